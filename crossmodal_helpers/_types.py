"""Type names shared by the modules about Keras (chapters 4 to 8)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

#: A tensor as a Keras layer receives it: a backend tensor (``tf.Tensor`` under TensorFlow)
#: when it is called eagerly, a ``keras.KerasTensor`` while a functional model is built.
#: Keras 3 has no common base class for the two, so the name says what is meant.
Tensor: TypeAlias = Any
#: A shape as Keras passes it to ``build`` and ``compute_output_shape``: one entry per axis,
#: None where the size is unknown (the batch axis of a functional model).
Shape: TypeAlias = Sequence[int | None]
