"""Multimodal fusion: encoders + fusion + head, noise per modality, missing modalities.

Introduced in chapter 4. Every fused model in the book has the same three parts, as in
MultiBench (Liang et al., 2021): one **encoder** per modality, a **fusion** layer that turns
the encoders' vectors into one, and a **head** that classifies it. Because the parts are
separate, fusion strategies can be swapped and compared on equal terms::

    model = build_fused_model(
        build_image_encoder((28, 28, 1)),
        build_text_encoder(len(vocabulary)),
        make_fusion("gated", units=64),
        build_head(10),
    )

The module also has the chapter's text features (a bag of words that keeps "+", "-", "×"
and Chinese numerals), controlled noise for each modality, early fusion and its pixels-only
control, late fusion over frozen models run in inference mode, modality dropout and a noise
explorer widget. The fusion layers are ordinary Keras layers, registered for serialisation,
so a saved model that uses them loads with ``keras.models.load_model`` once this module is
imported.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from crossmodal_helpers._checks import (
    check_count,
    check_flag,
    check_fraction,
    check_images,
    check_labels,
    check_model_inputs,
    check_names,
    check_positive,
    check_sequence,
    check_texts,
    check_width,
    output_classes,
)
from crossmodal_helpers._types import Shape, Tensor

#: Vocabulary entry for words never seen when the vocabulary was built. Introduced in chapter 4.
UNKNOWN = "[UNK]"
#: The token :func:`mask_words` writes in place of an unreadable word. Introduced in chapter 4.
MASK = "?"
#: Fusion layers :func:`make_fusion` knows, by name. Introduced in chapter 4.
FUSION_NAMES = ("concat", "gated", "attention")
#: Side of the occluding square at noise level 1, as a share of the image side.
OCCLUSION_AT_LEVEL_1 = 0.5


# --------------------------------------------------------------------------- checks


def _per_item(value: Any, n: int, name: str, *, upper: float) -> np.ndarray:
    """A scalar or one value per item, checked to lie in [0, upper]; returns shape (n,)."""
    if np.ndim(value) == 0:
        return np.full(n, check_fraction(value, name, upper=upper))
    array = np.asarray(value)
    if array.shape != (n,):
        raise ValueError(
            f"{name} must be a number or have one value per item ({n},), got {array.shape}"
        )
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.bool_):
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    array = array.astype(float)
    if not np.isfinite(array).all() or array.min() < 0 or array.max() > upper:
        raise ValueError(f"{name} must have values in [0, {upper:g}]")
    return array


def check_pairs(images: Any, texts: Any, labels: Any | None = None) -> int:
    """Check that images, texts (and labels) are paired: one of each per item.

    Introduced in chapter 4. Returns the number of pairs; raises a ``ValueError`` naming the
    lengths when they differ, since mismatched modalities silently pair the wrong items.
    """
    if isinstance(texts, str):
        raise TypeError("texts must be a list of str (one per image), got a single str")
    for value, name in ((images, "images"), (texts, "texts"), (labels, "labels")):
        if value is not None and not hasattr(value, "__len__"):
            raise TypeError(f"{name} must be an array or a list, got {type(value).__name__}")
    n_images, n_texts = len(images), len(texts)
    if n_images != n_texts:
        raise ValueError(
            f"images and texts must be pairs of equal length, got {n_images} images and "
            f"{n_texts} texts"
        )
    if labels is not None and len(labels) != n_images:
        raise ValueError(f"labels must have one entry per pair ({n_images}), got {len(labels)}")
    return n_images


# --------------------------------------------------------------------------- text features


def word_vocabulary(texts: Sequence[str]) -> list[str]:
    """The vocabulary of a bag of words: :data:`UNKNOWN`, :data:`MASK`, then sorted words.

    Introduced in chapter 4. Words are the lower-cased white-space tokens, so "+", "-", "×"
    and Chinese numerals such as "七" stay words of their own.
    """
    texts = check_texts(texts)
    words = {word for text in texts for word in text.lower().split()}
    if not words:
        raise ValueError("texts must contain at least one word, got none")
    return [UNKNOWN, MASK, *sorted(words - {UNKNOWN, MASK})]


def bag_of_words(texts: Sequence[str], vocabulary: Sequence[str]) -> np.ndarray:
    """Count the words of each text: a float32 array ``(len(texts), len(vocabulary))``.

    Introduced in chapter 4. Words missing from ``vocabulary`` are counted as
    :data:`UNKNOWN`; an empty text is an all-zero row, which is also how a missing text is
    represented.
    """
    texts = check_texts(texts)
    vocabulary = check_names(vocabulary, "vocabulary")
    if not vocabulary or vocabulary[0] != UNKNOWN:
        raise ValueError(f"vocabulary must start with {UNKNOWN!r}: build it with word_vocabulary")
    index = {word: i for i, word in enumerate(vocabulary)}
    counts = np.zeros((len(texts), len(vocabulary)), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in text.lower().split():
            counts[row, index.get(word, 0)] += 1.0
    return counts


# --------------------------------------------------------------------------- noise


def mask_words(texts: Sequence[str], rate: float | np.ndarray, *, seed: int = 0) -> list[str]:
    """Replace each word by :data:`MASK` with probability ``rate``, independently.

    Introduced in chapter 4. ``rate`` is one number or one per text. Every word gets one
    uniform draw ``u`` and is masked when ``u < rate``, so with the same ``seed`` a higher
    rate masks a superset of the words a lower rate masks.
    """
    texts = check_texts(texts)
    rates = _per_item(rate, len(texts), "rate", upper=1.0)
    seed = check_count(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    out = []
    for text, r in zip(texts, rates, strict=True):
        words = text.split()
        draws = rng.random(len(words))
        out.append(" ".join(MASK if u < r else w for w, u in zip(words, draws, strict=True)))
    return out


def add_image_noise(images: np.ndarray, level: float | np.ndarray, *, seed: int = 0) -> np.ndarray:
    """Gaussian pixel noise of standard deviation ``level`` plus a black occluding square.

    Introduced in chapter 4; it extends chapter 3's ``vision.add_noise`` with a level per
    image and occlusion. The square's side is ``level × OCCLUSION_AT_LEVEL_1`` of the image
    side, at a random place. ``level`` (in [0, 1]) is one number or one per image. With the
    same ``seed`` the noise pattern and the square's place stay fixed while the level grows.
    """
    images = check_images(images)
    n, height, width = images.shape[:3]
    levels = _per_item(level, n, "level", upper=1.0)
    seed = check_count(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    pattern = rng.normal(size=images.shape).astype(np.float32)
    corner = rng.random((n, 2))
    noisy = images + pattern * levels[:, None, None, None].astype(np.float32)
    sides = np.rint(levels * OCCLUSION_AT_LEVEL_1 * min(height, width)).astype(int)
    for i in np.flatnonzero(sides):
        top = int(round(corner[i, 0] * (height - sides[i])))
        left = int(round(corner[i, 1] * (width - sides[i])))
        noisy[i, top : top + sides[i], left : left + sides[i]] = 0.0
    return np.clip(noisy, 0.0, 1.0)


def corrupt_pairs(
    images: np.ndarray,
    texts: Sequence[str],
    *,
    image_level: float | np.ndarray = 0.0,
    text_rate: float | np.ndarray = 0.0,
    seed: int = 0,
) -> tuple[np.ndarray, list[str]]:
    """Noisy images and masked texts: :func:`add_image_noise` and :func:`mask_words`.

    Introduced in chapter 4. ``image_level`` and ``text_rate`` are each one number or one
    per pair; the two modalities draw their noise independently (seeds ``seed`` and
    ``seed + 1``).
    """
    check_pairs(images, texts)
    seed = check_count(seed, "seed", minimum=0)
    return (
        add_image_noise(images, image_level, seed=seed),
        mask_words(texts, text_rate, seed=seed + 1),
    )


def make_inputs(
    images: np.ndarray,
    texts: Sequence[str],
    vocabulary: Sequence[str],
    *,
    image_level: float | np.ndarray = 0.0,
    text_rate: float | np.ndarray = 0.0,
    seed: int = 0,
) -> list[np.ndarray]:
    """Noisy model inputs for image–text pairs: ``[images, bag of words]``.

    Introduced in chapter 4. Corrupts the pairs with :func:`corrupt_pairs` (image noise at
    ``image_level``, words masked at ``text_rate``), then counts the words with
    :func:`bag_of_words`.
    """
    noisy_images, noisy_texts = corrupt_pairs(
        images, texts, image_level=image_level, text_rate=text_rate, seed=seed
    )
    return [noisy_images, bag_of_words(noisy_texts, vocabulary)]


# --------------------------------------------------------------------------- Keras layers


def _check_modalities(input_shape: Any, layer: str, exactly: int | None = None) -> list[Shape]:
    """The shapes of a fusion layer's inputs, checked: one (batch, features) per modality."""
    if (
        not isinstance(input_shape, (list, tuple))
        or not input_shape
        or not isinstance(input_shape[0], (list, tuple))
    ):
        raise ValueError(f"{layer} must be called on a list of tensors, one per modality")
    shapes = list(input_shape)
    if exactly is not None and len(shapes) != exactly:
        raise ValueError(f"{layer} fuses exactly {exactly} modalities, got {len(shapes)}")
    if len(shapes) < 2:
        raise ValueError(f"{layer} needs at least two modalities, got {len(shapes)}")
    for m, shape in enumerate(shapes):
        if len(shape) != 2:
            raise ValueError(
                f"{layer} expects one vector per example from each encoder, shape "
                f"(batch, features); modality {m} has shape {tuple(shape)}"
            )
    return shapes


@keras.saving.register_keras_serializable(package="crossmodal_helpers")
class ConcatFusion(keras.layers.Layer):
    """Fusion by concatenation: $h = [h_1; h_2; \\dots]$. Introduced in chapter 4."""

    def build(self, input_shape: list[Shape]) -> None:
        _check_modalities(input_shape, "ConcatFusion")

    def call(self, inputs: Sequence[Tensor]) -> Tensor:
        return ops.concatenate(list(inputs), axis=-1)

    def compute_output_shape(self, input_shape: list[Shape]) -> tuple[int | None, ...]:
        shapes = _check_modalities(input_shape, "ConcatFusion")
        widths = [s[-1] for s in shapes]
        total = None if None in widths else sum(widths)
        return (shapes[0][0], total)


@keras.saving.register_keras_serializable(package="crossmodal_helpers")
class GatedFusion(keras.layers.Layer):
    """A gated multimodal unit (Arevalo et al., 2017) for two modalities.

    Introduced in chapter 4. Each modality is projected to ``units`` numbers,
    $\\tilde h_m = \\tanh(W_m h_m + b_m)$; a gate computed from both,
    $g = \\sigma(W_g [h_1; h_2] + b_g)$, mixes them feature by feature:
    $h = g \\odot \\tilde h_1 + (1 - g) \\odot \\tilde h_2$. :meth:`gate` returns $g$.
    """

    def __init__(self, units: int = 64, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = check_count(units, "units")
        self.project = [
            keras.layers.Dense(self.units, activation="tanh", name=f"project_{m}") for m in range(2)
        ]
        self.gate_layer = keras.layers.Dense(self.units, activation="sigmoid", name="gate")

    def build(self, input_shape: list[Shape]) -> None:
        shapes = _check_modalities(input_shape, "GatedFusion", exactly=2)
        for project, shape in zip(self.project, shapes, strict=True):
            project.build(tuple(shape))
        self.gate_layer.build((shapes[0][0], sum(s[-1] for s in shapes)))

    def gate(self, inputs: Sequence[Tensor]) -> Tensor:
        """The gate $g$ for a pair of encoder outputs: 1 trusts modality 0, 0 modality 1."""
        return self.gate_layer(ops.concatenate(list(inputs), axis=-1))

    def call(self, inputs: Sequence[Tensor]) -> Tensor:
        g = self.gate(inputs)
        first, second = (project(x) for project, x in zip(self.project, inputs, strict=True))
        return g * first + (1.0 - g) * second

    def compute_output_shape(self, input_shape: list[Shape]) -> tuple[int | None, ...]:
        return (input_shape[0][0], self.units)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="crossmodal_helpers")
class AttentionFusion(keras.layers.Layer):
    """Attention over modalities: a softmax-weighted sum of projected modality vectors.

    Introduced in chapter 4. $\\tilde h_m = \\tanh(W_m h_m + b_m)$, scores
    $s_m = v^\\top \\tilde h_m$, weights $\\alpha = \\mathrm{softmax}(s)$ and
    $h = \\sum_m \\alpha_m \\tilde h_m$: one weight per modality and example, for any
    number of modalities. :meth:`weights_of` returns $\\alpha$, shape (batch, modalities).
    """

    def __init__(self, units: int = 64, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = check_count(units, "units")
        self.project: list[keras.layers.Dense] = []
        self.score = keras.layers.Dense(1, use_bias=False, name="score")

    def build(self, input_shape: list[Shape]) -> None:
        shapes = _check_modalities(input_shape, "AttentionFusion")
        self.project = [
            keras.layers.Dense(self.units, activation="tanh", name=f"project_{m}")
            for m in range(len(shapes))
        ]
        for project, shape in zip(self.project, shapes, strict=True):
            project.build(tuple(shape))
        self.score.build((shapes[0][0], self.units))

    def _projected(self, inputs: Sequence[Tensor]) -> Tensor:
        return ops.stack(
            [project(x) for project, x in zip(self.project, inputs, strict=True)], axis=1
        )

    def weights_of(self, inputs: Sequence[Tensor]) -> Tensor:
        """The attention weights $\\alpha$ of each modality, shape (batch, modalities)."""
        return ops.softmax(ops.squeeze(self.score(self._projected(inputs)), -1), axis=-1)

    def call(self, inputs: Sequence[Tensor]) -> Tensor:
        projected = self._projected(inputs)
        alpha = ops.softmax(self.score(projected), axis=1)
        return ops.sum(alpha * projected, axis=1)

    def compute_output_shape(self, input_shape: list[Shape]) -> tuple[int | None, ...]:
        return (input_shape[0][0], self.units)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="crossmodal_helpers")
class FiLM(keras.layers.Layer):
    """Feature-wise linear modulation: the condition scales and shifts every feature map.

    Introduced in chapter 12 (Perez et al., 2018). Called on ``[features, condition]``:
    features (batch, ..., C), e.g. a CNN's feature maps (batch, H, W, C), and a condition
    vector (batch, D), e.g. a question. Two linear maps of the condition give one scale
    and one shift per channel, applied at every position:

    .. math::

        \\mathrm{FiLM}(F \\mid q)_{\\ldots c} = (1 + \\gamma_c(q))\\, F_{\\ldots c} + \\beta_c(q),
        \\qquad \\gamma(q) = W_\\gamma q + b_\\gamma,\\; \\beta(q) = W_\\beta q + b_\\beta.

    Writing the scale as :math:`1 + \\gamma` (with :math:`\\gamma` and :math:`\\beta` starting
    near 0) makes a fresh layer close to the identity, so the image path trains from the
    start. Unlike
    concatenation, which adds the question's contribution once, after the image is
    summarised, FiLM is multiplicative and acts inside the image encoder: the question
    decides which features of every region count. :meth:`coefficients` returns
    :math:`(\\gamma, \\beta)`, each (batch, C).
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale: keras.layers.Dense | None = None
        self.shift: keras.layers.Dense | None = None

    def build(self, input_shape: list[Shape]) -> None:
        if (
            not isinstance(input_shape, (list, tuple))
            or len(input_shape) != 2
            or not isinstance(input_shape[0], (list, tuple))
        ):
            raise ValueError("FiLM must be called on [features, condition]")
        features, condition = (tuple(s) for s in input_shape)
        if len(features) < 2 or features[-1] is None:
            raise ValueError(f"FiLM features must be (batch, ..., channels), got shape {features}")
        if len(condition) != 2:
            raise ValueError(
                f"FiLM condition must be one vector per example (batch, features), got {condition}"
            )
        channels = int(features[-1])
        small = keras.initializers.RandomNormal(stddev=0.01)
        self.scale = keras.layers.Dense(channels, kernel_initializer=small, name="gamma")
        self.shift = keras.layers.Dense(channels, kernel_initializer=small, name="beta")
        self.scale.build(condition)
        self.shift.build(condition)

    def coefficients(self, condition: Tensor) -> tuple[Tensor, Tensor]:
        """The scale offsets $\\gamma$ and shifts $\\beta$ for a batch of conditions."""
        return self.scale(condition), self.shift(condition)

    def call(self, inputs: Sequence[Tensor]) -> Tensor:
        features, condition = inputs
        gamma, beta = self.coefficients(condition)
        extra = len(features.shape) - 2  # broadcast over the positions (H, W, ...)
        shape = (-1,) + (1,) * extra + (gamma.shape[-1],)
        return (1.0 + ops.reshape(gamma, shape)) * features + ops.reshape(beta, shape)

    def compute_output_shape(self, input_shape: list[Shape]) -> Shape:
        return tuple(input_shape[0])


@keras.saving.register_keras_serializable(package="crossmodal_helpers")
class ModalityDropout(keras.layers.Layer):
    """During training, blank one whole modality of an example with probability ``rate``.

    Introduced in chapter 4 (ModDrop, Neverova et al., 2016). Called on a list of
    inputs, one per modality; for each example it draws whether to drop a modality and,
    if so, which one (uniformly), and multiplies that modality's input by zero. No
    example loses all modalities, nothing is rescaled, and at inference it does
    nothing, so a missing modality at test time is given as zeros, as in training.
    """

    def __init__(self, rate: float = 0.3, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate = check_fraction(rate, "rate", closed=False)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs: Sequence[Tensor], training: bool | None = None) -> list[Tensor]:
        inputs = list(inputs)
        if len(inputs) < 2:
            raise ValueError(f"ModalityDropout needs at least two modalities, got {len(inputs)}")
        if not training or self.rate == 0.0:
            return inputs
        u = keras.random.uniform((ops.shape(inputs[0])[0],), seed=self.seed_generator)
        dropped = ops.where(u < self.rate, ops.floor(u / self.rate * len(inputs)), -1.0)
        out = []
        for m, x in enumerate(inputs):
            keep = ops.cast(ops.not_equal(dropped, float(m)), x.dtype)
            out.append(x * ops.reshape(keep, (-1,) + (1,) * (len(x.shape) - 1)))
        return out

    def compute_output_shape(self, input_shape: list[Shape]) -> list[Shape]:
        return list(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


@keras.saving.register_keras_serializable(package="crossmodal_helpers")
class LateFusion(keras.layers.Layer):
    """Combine class probabilities of per-modality models: a weighted sum of logs.

    Introduced in chapter 4. $p(y) \\propto \\exp\\big(\\sum_m w_m \\log p_m(y)\\big)$;
    with $w_m = 1$ it is the product rule. The weights (``weights``, one per modality,
    never negative) are fixed unless ``trainable``.
    """

    def __init__(
        self, weights: Sequence[float] = (1.0, 1.0), trainable: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(trainable=trainable, **kwargs)
        values = [check_fraction(w, "each weight", upper=math.inf) for w in weights]
        if len(values) < 2:
            raise ValueError(
                f"weights must give one weight per modality (2 or more), got {len(values)}"
            )
        self.initial_weights = values

    def build(self, input_shape: list[Shape]) -> None:
        shapes = _check_modalities(input_shape, "LateFusion", exactly=len(self.initial_weights))
        if len({s[-1] for s in shapes}) != 1:
            raise ValueError(
                "LateFusion combines probabilities over the same classes; got widths "
                f"{[s[-1] for s in shapes]}"
            )
        self.modality_weights = self.add_weight(
            shape=(len(self.initial_weights),),
            initializer=keras.initializers.Constant(self.initial_weights),
            constraint=keras.constraints.NonNeg(),
            name="modality_weights",
        )

    def call(self, inputs: Sequence[Tensor]) -> Tensor:
        logits = sum(
            self.modality_weights[m] * ops.log(ops.clip(p, 1e-7, 1.0)) for m, p in enumerate(inputs)
        )
        return ops.softmax(logits, axis=-1)

    def compute_output_shape(self, input_shape: list[Shape]) -> tuple[int | None, ...]:
        return tuple(input_shape[0])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "weights": self.initial_weights}


@keras.saving.register_keras_serializable(package="crossmodal_helpers")
class InferenceMode(keras.layers.Layer):
    """Call a trained model in inference mode, always: its dropout stays off.

    Introduced in chapter 4 for late fusion. Freezing a model (``trainable = False``)
    stops its weights from changing, but in Keras 3 it does not switch its ``Dropout``
    layers to inference: a frozen model inside a model that is being fitted still drops
    units at random. Nor does writing ``model(x, training=False)`` when building a
    functional model help, because the outer model passes its own ``training`` flag on
    to every layer it calls. This layer calls ``model(x, training=False)`` inside its own
    ``call``, which takes no ``training`` argument, so the flag cannot be overridden.
    """

    def __init__(self, model: keras.Model, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(model, keras.Model):
            raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
        self.model = model

    def build(self, input_shape: Shape) -> None:
        self.model.build(input_shape)

    def call(self, inputs: Tensor) -> Tensor:
        return self.model(inputs, training=False)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return self.model.compute_output_shape(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "model": keras.saving.serialize_keras_object(self.model),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> InferenceMode:
        config = dict(config)
        config["model"] = keras.saving.deserialize_keras_object(config["model"])
        return cls(**config)


def make_fusion(name: str, *, units: int = 64) -> keras.layers.Layer:
    """A fusion layer by name: "concat", "gated" or "attention". Introduced in chapter 4.

    ``units`` is the size of the fused vector for "gated" and "attention" ("concat" keeps
    the encoders' sizes).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, one of {FUSION_NAMES}, got {type(name).__name__}")
    if name not in FUSION_NAMES:
        raise ValueError(f"unknown fusion {name!r}; choose one of {', '.join(FUSION_NAMES)}")
    units = check_width(units, "units")
    if name == "concat":
        return ConcatFusion(name="concat_fusion")
    if name == "gated":
        return GatedFusion(units, name="gated_fusion")
    return AttentionFusion(units, name="attention_fusion")


# --------------------------------------------------------------------------- encoders and heads


def _check_image_shape(shape: Any) -> tuple[int, int, int]:
    if not isinstance(shape, (tuple, list)) or len(shape) != 3:
        raise ValueError(f"image_shape must be (height, width, channels), got {shape!r}")
    shape = tuple(check_count(s, "each entry of image_shape") for s in shape)
    if shape[0] < 8 or shape[1] < 8:
        raise ValueError(f"image_shape must be at least 8×8 pixels, got {shape}")
    return shape


def build_image_encoder(
    image_shape: Sequence[int], units: int = 64, *, name: str = "image_encoder"
) -> keras.Model:
    """A small CNN from an image to ``units`` numbers. Introduced in chapter 4.

    Two 3×3 convolutions with stride 2 (16 and 32 filters, ReLU) halve the resolution twice,
    then one dense ReLU layer gives the image vector $h_x$.
    """
    image_shape = _check_image_shape(image_shape)
    units = check_width(units, "units")
    layers = keras.layers
    inputs = keras.Input(shape=image_shape, name="image")
    x = layers.Conv2D(16, 3, strides=2, activation="relu", name="conv1")(inputs)
    x = layers.Conv2D(32, 3, strides=2, activation="relu", name="conv2")(x)
    x = layers.Dense(units, activation="relu", name="image_vector")(layers.Flatten()(x))
    return keras.Model(inputs, x, name=name)


def build_text_encoder(
    vocab_size: int, units: int = 64, *, hidden: int = 128, name: str = "text_encoder"
) -> keras.Model:
    """A small MLP from a bag of words to ``units`` numbers. Introduced in chapter 4.

    The input is the word counts of :func:`bag_of_words`; two dense ReLU layers (``hidden``
    then ``units``) give the text vector $h_t$. (Chapter 2's ``text.build_text_encoder``
    averages word embeddings of token ids; counts suit the short descriptions here and make
    a missing text simply an all-zero input.)
    """
    vocab_size = check_count(vocab_size, "vocab_size", minimum=2)
    units = check_width(units, "units")
    hidden = check_width(hidden, "hidden")
    inputs = keras.Input(shape=(vocab_size,), name="words")
    x = keras.layers.Dense(hidden, activation="relu", name="text_hidden")(inputs)
    x = keras.layers.Dense(units, activation="relu", name="text_vector")(x)
    return keras.Model(inputs, x, name=name)


def build_head(
    n_classes: int, *, hidden: int = 64, dropout: float = 0.2, name: str = "head"
) -> keras.Sequential:
    """The classifier on top of a (fused) vector: dense ReLU, dropout, softmax.

    Introduced in chapter 4. Returns a ``keras.Sequential`` to call on a tensor.
    """
    n_classes = check_count(n_classes, "n_classes", minimum=2)
    hidden = check_width(hidden, "hidden")
    dropout = check_fraction(dropout, "dropout", closed=False)
    return keras.Sequential(
        [
            keras.layers.Dense(hidden, activation="relu", name="head_hidden"),
            keras.layers.Dropout(dropout, name="head_dropout"),
            keras.layers.Dense(n_classes, activation="softmax", name="classes"),
        ],
        name=name,
    )


def _check_encoder(encoder: Any, name: str) -> None:
    if not isinstance(encoder, keras.Model):
        raise TypeError(f"{name} must be a keras.Model, got {type(encoder).__name__}")
    if len(encoder.inputs) != 1 or len(encoder.outputs) != 1:
        raise ValueError(f"{name} must have one input and one output")
    if len(encoder.outputs[0].shape) != 2:
        raise ValueError(
            f"{name} must output one vector per example, shape (batch, features); got "
            f"{tuple(encoder.outputs[0].shape)}"
        )


def _input_like(encoder: keras.Model) -> keras.KerasTensor:
    tensor = encoder.inputs[0]
    return keras.Input(shape=tuple(tensor.shape[1:]), dtype=tensor.dtype, name=tensor.name)


def build_unimodal_model(
    encoder: keras.Model, head: keras.layers.Layer, *, name: str
) -> keras.Model:
    """One modality alone: ``head(encoder(x))``. Introduced in chapter 4.

    The single-modality baselines are built from the same encoder and head builders as the
    joint models, so a single-modality model and a joint model differ in the fusion only
    (the joint head reads the wider fused vector). Early fusion has no encoders; its
    control is :func:`build_image_mlp`.
    """
    _check_encoder(encoder, "encoder")
    inputs = _input_like(encoder)
    return keras.Model(inputs, head(encoder(inputs)), name=name)


def build_fused_model(
    image_encoder: keras.Model,
    text_encoder: keras.Model,
    fusion: keras.layers.Layer,
    head: keras.layers.Layer,
    *,
    modality_dropout: float = 0.0,
    seed: int | None = None,
    name: str = "joint_fusion",
) -> keras.Model:
    """Joint (intermediate) fusion: two encoders, a fusion layer and a head, trained together.

    Introduced in chapter 4. Inputs ``[image, words]``; with ``modality_dropout`` > 0 a
    :class:`ModalityDropout` layer blanks one whole modality of that share of the training
    examples before the encoders. Built with the Keras functional API, so
    ``model.summary()`` shows the data flow.
    """
    _check_encoder(image_encoder, "image_encoder")
    _check_encoder(text_encoder, "text_encoder")
    if not isinstance(fusion, keras.layers.Layer):
        raise TypeError(
            "fusion must be a Keras layer such as make_fusion('concat'), "
            f"got {type(fusion).__name__}"
        )
    rate = check_fraction(modality_dropout, "modality_dropout", closed=False)
    if seed is not None:
        seed = check_count(seed, "seed", minimum=0)
    image, words = _input_like(image_encoder), _input_like(text_encoder)
    x, t = image, words
    if rate > 0:
        x, t = ModalityDropout(rate, seed=seed, name="modality_dropout")([x, t])
    fused = fusion([image_encoder(x), text_encoder(t)])
    return keras.Model([image, words], head(fused), name=name)


def build_early_fusion_model(
    image_shape: Sequence[int],
    vocab_size: int,
    n_classes: int,
    *,
    hidden: int = 128,
    dropout: float = 0.2,
) -> keras.Model:
    """Early fusion: concatenate the raw features (pixels and word counts), one classifier.

    Introduced in chapter 4. Inputs ``[image, words]``; the flattened pixels and the word
    counts are joined into one vector $[x; t]$ that a one-hidden-layer network classifies.
    """
    vocab_size = check_count(vocab_size, "vocab_size", minimum=2)
    return _raw_feature_mlp(
        image_shape, vocab_size, n_classes, hidden=hidden, dropout=dropout, name="early_fusion"
    )


def build_image_mlp(
    image_shape: Sequence[int],
    n_classes: int,
    *,
    hidden: int = 128,
    dropout: float = 0.2,
    name: str = "image_mlp",
) -> keras.Model:
    """The control for early fusion: the same one-hidden-layer network on the pixels alone.

    Introduced in chapter 4. Early fusion differs from the CNN image model in two ways at
    once, the fusion point and the architecture (no convolutions); this model differs from
    early fusion only in the missing word counts, so comparing the two isolates the fusion.
    Input: the image.
    """
    return _raw_feature_mlp(image_shape, None, n_classes, hidden=hidden, dropout=dropout, name=name)


def _raw_feature_mlp(
    image_shape: Sequence[int],
    vocab_size: int | None,
    n_classes: int,
    *,
    hidden: int,
    dropout: float,
    name: str,
) -> keras.Model:
    """Flattened pixels (joined with the word counts unless ``vocab_size`` is None), one
    hidden ReLU layer, dropout and a softmax."""
    image_shape = _check_image_shape(image_shape)
    hidden = check_width(hidden, "hidden")
    dropout = check_fraction(dropout, "dropout", closed=False)
    n_classes = check_count(n_classes, "n_classes", minimum=2)
    layers = keras.layers
    image = keras.Input(shape=image_shape, name="image")
    features = layers.Flatten(name="pixels")(image)
    inputs: keras.KerasTensor | list[keras.KerasTensor] = image
    if vocab_size is not None:
        words = keras.Input(shape=(vocab_size,), name="words")
        features = layers.Concatenate(name="raw_features")([features, words])
        inputs = [image, words]
    x = layers.Dense(hidden, activation="relu", name="hidden")(features)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(n_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name=name)


def build_late_fusion_model(
    image_model: keras.Model,
    text_model: keras.Model,
    *,
    weights: Sequence[float] = (1.0, 1.0),
    trainable: bool = False,
    name: str = "late_fusion",
) -> keras.Model:
    """Late fusion: combine the class probabilities of two trained single-modality models.

    Introduced in chapter 4. Inputs ``[image, words]``. The two models are frozen (their
    ``trainable`` is set to False) and always run in inference mode (:class:`InferenceMode`),
    so their dropout is off also while the fusion weights are fitted; a :class:`LateFusion`
    layer combines their outputs with ``weights``, which are learned when ``trainable`` is
    True (fit the returned model on held-out data, not on the data the two models were
    trained on).
    """
    for model, label in ((image_model, "image_model"), (text_model, "text_model")):
        _check_encoder(model, label)
    if image_model.outputs[0].shape[-1] != text_model.outputs[0].shape[-1]:
        raise ValueError(
            "image_model and text_model must predict the same classes, got "
            f"{image_model.outputs[0].shape[-1]} and {text_model.outputs[0].shape[-1]} outputs"
        )
    # Every argument is checked before the models are frozen: a rejected call changes nothing.
    weights = [
        check_fraction(w, "each weight", upper=math.inf) for w in check_sequence(weights, "weights")
    ]
    if len(weights) != 2:
        raise ValueError(f"weights must give one weight per model (2), got {len(weights)}")
    trainable = check_flag(trainable, "trainable")
    image_model.trainable = False
    text_model.trainable = False
    image, words = _input_like(image_model), _input_like(text_model)
    votes = [
        InferenceMode(model, name=f"{label}_inference")(tensor)
        for model, label, tensor in ((image_model, "image", image), (text_model, "text", words))
    ]
    combine = LateFusion(weights, trainable=trainable, name="late_fusion_weights")
    return keras.Model([image, words], combine(votes), name=name)


# ------------------------------------------------------------------ training and evaluation


def fit_classifier(
    model: keras.Model,
    inputs: np.ndarray | Sequence[np.ndarray],
    labels: np.ndarray,
    *,
    epochs: int = 8,
    batch_size: int = 128,
    learning_rate: float = 3e-3,
    validation_data: tuple | None = None,
) -> keras.callbacks.History:
    """Compile (Adam, sparse cross-entropy, accuracy) and fit quietly; return the History.

    Introduced in chapter 4.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    inputs = check_model_inputs(inputs)
    n = len(inputs[0]) if isinstance(inputs, list) else len(inputs)
    n_classes = output_classes(model)
    labels = check_labels(labels, n=n, n_classes=n_classes)
    epochs = check_count(epochs, "epochs")
    batch_size = check_count(batch_size, "batch_size")
    learning_rate = check_positive(learning_rate, "learning_rate")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError("validation_data must be a pair (inputs, labels)")
        val_inputs = check_model_inputs(validation_data[0], "validation inputs")
        n_val = len(val_inputs[0]) if isinstance(val_inputs, list) else len(val_inputs)
        val_labels = check_labels(
            validation_data[1], "validation labels", n=n_val, n_classes=n_classes
        )
        validation_data = (val_inputs, val_labels)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model.fit(
        inputs,
        labels,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=validation_data,
        verbose=0,
    )


def predict_pairs(model: keras.Model, images: np.ndarray, words: np.ndarray) -> np.ndarray:
    """Class probabilities of any of the chapter's models for image–text inputs.

    Introduced in chapter 4. A model with two inputs gets ``[images, words]``; a model with
    one input gets the modality its input shape asks for (images for an image input of rank
    4, words for a vector input), so single-modality and fused models are called alike.
    """
    if not hasattr(model, "inputs") or not hasattr(model, "predict"):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    images = check_images(images)
    words = check_model_inputs(words, "words")
    if words.ndim != 2:
        raise ValueError(f"words must be bags of words (N, vocabulary), got shape {words.shape}")
    if len(images) != len(words):
        raise ValueError(
            f"images and words must be pairs of equal length, got {len(images)} and {len(words)}"
        )
    shapes = [tuple(t.shape[1:]) for t in model.inputs]
    given = {4: images, 2: words}
    feeds = []
    for shape in shapes:
        array = given.get(len(shape) + 1)
        if array is None or tuple(array.shape[1:]) != shape:
            raise ValueError(
                f"model {model.name!r} expects inputs of shapes {shapes}; got images "
                f"{tuple(images.shape[1:])} and words {tuple(words.shape[1:])}"
            )
        feeds.append(array)
    return model.predict(feeds if len(feeds) > 1 else feeds[0], batch_size=512, verbose=0)


def accuracy_grid(
    models: Mapping[str, keras.Model],
    images: np.ndarray,
    texts: Sequence[str],
    labels: np.ndarray,
    vocabulary: Sequence[str],
    *,
    image_levels: Sequence[float],
    text_rates: Sequence[float],
    seed: int = 0,
    per_item: bool = False,
) -> dict[str, np.ndarray]:
    """Accuracy of each model at every (image noise level, text mask rate) setting.

    Introduced in chapter 4. Returns ``{name: array (len(image_levels), len(text_rates))}``;
    with ``per_item=True`` it returns instead whether each item was classified correctly,
    ``{name: bool array (len(image_levels), len(text_rates), len(labels))}``, for paired
    comparisons and bootstrap intervals (its mean over the last axis is the accuracy).
    All settings share one seed, so the noise pattern of an item only grows with the level,
    and each model predicts all settings in one batch.
    """
    check_pairs(images, texts, labels)
    if not isinstance(models, Mapping) or not models:
        raise TypeError("models must be a non-empty dict {name: keras.Model}")
    known = [c for c in (output_classes(m) for m in models.values()) if c is not None]
    labels = check_labels(labels, n=len(texts), n_classes=min(known) if known else None)
    image_levels = [
        check_fraction(v, "each image level") for v in check_sequence(image_levels, "image_levels")
    ]
    text_rates = [
        check_fraction(v, "each text rate") for v in check_sequence(text_rates, "text_rates")
    ]
    check_images(images)
    check_texts(texts)
    check_names(vocabulary, "vocabulary")
    seed = check_count(seed, "seed", minimum=0)
    per_item = check_flag(per_item, "per_item")
    settings = [(level, rate) for level in image_levels for rate in text_rates]
    batches = [
        make_inputs(images, texts, vocabulary, image_level=level, text_rate=rate, seed=seed)
        for level, rate in settings
    ]
    noisy_images = np.concatenate([batch[0] for batch in batches])
    words = np.concatenate([batch[1] for batch in batches])
    shape = (len(image_levels), len(text_rates), len(labels))
    grid = {}
    for name, model in models.items():
        predicted = predict_pairs(model, noisy_images, words).argmax(axis=1)
        correct = (predicted == np.tile(labels, len(settings))).reshape(shape)
        grid[name] = correct if per_item else correct.mean(axis=2)
    return grid


# --------------------------------------------------------------------------- widget


def noise_explorer(
    models: Mapping[str, keras.Model],
    images: np.ndarray,
    texts: Sequence[str],
    labels: np.ndarray,
    vocabulary: Sequence[str],
    label_names: Sequence[str],
    *,
    image_levels: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 1.0),
    text_rates: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 1.0),
    seed: int = 0,
    display_px: int = 112,
):
    """Sliders for the noise of each modality, showing every model's prediction on a pair.

    Introduced in chapter 4. Every (pair, image level, text rate) is rendered and predicted
    ahead of time and the sliders are linked in the browser (``jslink``), so the widget is
    interactive in Jupyter, Colab and the static website alike. ``models`` maps a name to
    any model :func:`predict_pairs` accepts. Keep it small: len(images) × len(image_levels)
    × len(text_rates) predictions are embedded in the page.
    """
    import ipywidgets as widgets

    from crossmodal_helpers.widgets import pages, panel, picture, show_page, to_png

    n = check_pairs(images, texts, labels)
    if n == 0:
        raise ValueError("images must contain at least one pair, got 0")
    names = check_names(label_names, "label_names")
    labels = check_labels(labels, n=n, n_classes=len(names))
    if not isinstance(models, Mapping) or not models:
        raise TypeError("models must be a non-empty dict {name: keras.Model}")
    levels = [
        check_fraction(v, "each image level") for v in check_sequence(image_levels, "image_levels")
    ]
    rates = [check_fraction(v, "each text rate") for v in check_sequence(text_rates, "text_rates")]
    check_images(images)
    check_texts(texts)
    check_names(vocabulary, "vocabulary")
    seed = check_count(seed, "seed", minimum=0)
    display_px = check_count(display_px, "display_px")
    # Noisy pairs for every (level, rate), pair-major within each setting.
    corrupted = {
        (a, b): corrupt_pairs(images, texts, image_level=level, text_rate=rate, seed=seed)
        for a, level in enumerate(levels)
        for b, rate in enumerate(rates)
    }
    noisy_images = np.concatenate([pictures for pictures, _ in corrupted.values()])
    words = np.concatenate([bag_of_words(masked, vocabulary) for _, masked in corrupted.values()])
    probabilities = {
        name: predict_pairs(model, noisy_images, words).reshape(len(levels), len(rates), n, -1)
        for name, model in models.items()
    }
    scale = max(1, display_px // max(images.shape[1:3]))

    def prediction_table(i: int, a: int, b: int) -> Any:
        rows = []
        for name, p in probabilities.items():
            guess = int(p[a, b, i].argmax())
            colour = "#1b7f3b" if guess == labels[i] else "#b3261e"
            width = int(round(100 * p[a, b, i, guess]))
            rows.append(
                f"<tr><td style='white-space:nowrap;padding-right:8px'>{html.escape(name)}</td>"
                f"<td style='color:{colour};padding-right:8px'><b>{html.escape(names[guess])}"
                f"</b></td><td style='width:104px'><div style='background:{colour};"
                f"width:{width}px;height:0.8em'></div></td>"
                f"<td>{p[a, b, i, guess]:.2f}</td></tr>"
            )
        return widgets.HTML(
            "<table><tr><th>model</th><th>says</th><th colspan=2>confidence</th></tr>"
            + "".join(rows)
            + "</table>",
            layout=widgets.Layout(width="max-content"),
        )

    wide = {"description_width": "initial"}
    level_slider = widgets.SelectionSlider(
        options=[f"{level:g}" for level in levels], description="image noise level", style=wide
    )
    rate_slider = widgets.SelectionSlider(
        options=[f"{rate:g}" for rate in rates], description="text mask rate", style=wide
    )
    level_titles = [f"level {level:g}" for level in levels]
    rate_titles = [f"rate {rate:g}" for rate in rates]
    pair_pages = []
    for i in range(n):
        pictures = pages(
            [
                picture(
                    to_png(corrupted[a, 0][0][i], scale),
                    f"test digit #{i} at image noise level {levels[a]:g}",
                )
                for a in range(len(levels))
            ],
            level_titles,
        )
        captions = pages(
            [
                widgets.HTML(f"text: <code>{html.escape(corrupted[0, b][1][i])}</code>")
                for b in range(len(rates))
            ],
            rate_titles,
        )
        tables = []
        for a in range(len(levels)):
            by_rate = pages([prediction_table(i, a, b) for b in range(len(rates))], rate_titles)
            show_page(rate_slider, by_rate)
            tables.append(by_rate)
        by_level = pages(tables, level_titles)
        show_page(level_slider, pictures)
        show_page(level_slider, by_level)
        show_page(rate_slider, captions)
        truth = widgets.HTML(f"true class: <b>{html.escape(names[labels[i]])}</b>")
        pair_pages.append(widgets.HBox([pictures, widgets.VBox([truth, captions, by_level])]))
    pair_names = [f"pair {i + 1}" for i in range(n)]
    pairs = pages(pair_pages, pair_names)
    chooser = widgets.ToggleButtons(options=pair_names, description="pair")
    show_page(chooser, pairs)
    return panel(
        "<b>Noise explorer</b>: move the sliders to corrupt each modality; "
        "green = right, red = wrong",
        chooser,
        level_slider,
        rate_slider,
        pairs,
    )
