"""Attention: scaled dot-product and multi-head attention, Transformer blocks, grounding.

Introduced in chapter 6. The chapter writes the attention function out in NumPy and in
``keras.ops``; this module keeps those two functions and the reusable pieces built on them:

- :func:`scaled_dot_product_attention` (NumPy) and :func:`scaled_dot_product_attention_ops`
  (``keras.ops``), with boolean masks;
- :class:`SingleUnitAttention`, the broken "attention" of the book's source article, kept
  to show why it attends to nothing, and :class:`AttentionPooling`, its repair;
- :class:`PositionalEmbedding` and :class:`TransformerBlock` (multi-head self-attention,
  feed-forward network, residual connections, layer normalisation) and
  :func:`build_transformer_classifier`, and :class:`MaskedMean`, the mean over the tokens
  of a text that chapter 2's text encoder uses as well;
- cross-attention between modalities: :func:`extract_patches`, :func:`grounding_queries`,
  :func:`build_grounding_model`, :func:`pointing_hits` / :func:`pointing_accuracy`,
  :func:`attention_overlay` and the :func:`attention_browser` widget.

The layers are ordinary Keras layers, registered for serialisation, so a saved model that
uses them loads with ``keras.models.load_model`` once this module is imported.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from keras import ops

from crossmodal_helpers._checks import (
    check_count,
    check_dropout,
    check_fraction,
    check_image,
    check_images,
    check_number,
    check_positive,
    check_str,
    check_texts,
    check_width,
)
from crossmodal_helpers._types import Shape, Tensor
from crossmodal_helpers.text import token_input

# --------------------------------------------------------------------------- checks


def check_attention_inputs(
    q: Any, k: Any, v: Any, mask: Any = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Validate the inputs of :func:`scaled_dot_product_attention`. Introduced in chapter 6.

    Returns ``q``, ``k``, ``v`` as float64 arrays and ``mask`` broadcast to the scores'
    shape (..., n_q, n_k), or None. Raises a ``TypeError``/``ValueError`` naming the
    argument for non-numeric or non-finite inputs, mismatched feature sizes or lengths, a
    non-boolean or non-broadcastable mask, and a mask that leaves a query nothing to attend to.
    """
    arrays = []
    for name, x in (("q", q), ("k", k), ("v", v)):
        x = np.asarray(x)
        if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
            raise TypeError(f"{name} must hold numbers, got dtype {x.dtype}")
        if x.ndim < 2 or 0 in x.shape[-2:]:
            raise ValueError(
                f"{name} must have shape (..., length, features) with at least one row and one "
                f"feature (d_k >= 1), got {x.shape}"
            )
        if not np.isfinite(x).all():
            raise ValueError(f"{name} contains NaN or infinite values")
        arrays.append(x.astype(np.float64))
    q, k, v = arrays
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"q and k must have the same number of features d_k, got {q.shape[-1]} and "
            f"{k.shape[-1]}"
        )
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"k and v must have one row per key (same length), got {k.shape[-2]} and {v.shape[-2]}"
        )
    if mask is None:
        return q, k, v, None
    scores_shape = np.broadcast_shapes(q.shape[:-2], k.shape[:-2]) + (q.shape[-2], k.shape[-2])
    mask = np.asarray(mask)
    if mask.dtype != np.bool_:
        raise TypeError(f"mask must be a boolean array (True = may attend), got dtype {mask.dtype}")
    try:
        mask = np.broadcast_to(mask, scores_shape)
    except ValueError:
        raise ValueError(
            f"mask of shape {mask.shape} does not broadcast to the scores' shape "
            f"{scores_shape} (..., queries, keys)"
        ) from None
    if not mask.any(axis=-1).all():
        raise ValueError("mask leaves a query with no key to attend to (a row of all False)")
    return q, k, v, mask


# --------------------------------------------------------------------------- attention


def softmax(scores: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``, computed stably (the maximum is subtracted first).

    Introduced in chapter 6. Entries of $-\\infty$ get weight 0, also when a whole row
    is $-\\infty$ (then every weight is 0, not NaN); NaN and $+\\infty$ are errors.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if np.isnan(scores).any() or np.isposinf(scores).any():
        raise ValueError("scores must be finite or -inf (masked), got NaN or +inf")
    top = scores.max(axis=axis, keepdims=True)
    e = np.exp(scores - np.where(np.isfinite(top), top, 0.0))
    total = e.sum(axis=axis, keepdims=True)
    return np.divide(e, total, out=np.zeros_like(e), where=total > 0)


def scaled_dot_product_attention(q, k, v, mask=None):
    """Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V in NumPy.

    Introduced in chapter 6. ``q`` is (..., n_q, d_k), ``k`` (..., n_k, d_k), ``v``
    (..., n_k, d_v); ``mask`` (optional, boolean, broadcastable to (..., n_q, n_k)) is
    True where a query may attend to a key. Returns the outputs (..., n_q, d_v) and the
    weights (..., n_q, n_k), whose rows sum to 1.
    """
    q, k, v, mask = check_attention_inputs(q, k, v, mask)
    d_k = q.shape[-1]
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(d_k)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = softmax(scores, axis=-1)
    return weights @ v, weights


def scaled_dot_product_attention_ops(q, k, v, mask=None):
    """The same attention in ``keras.ops``, so it runs on any Keras backend and device.

    Introduced in chapter 6. Masked scores get a large negative number instead of
    $-\\infty$, so a fully masked row gives uniform weights rather than NaN.
    """
    d_k = ops.shape(q)[-1]
    scores = ops.matmul(q, ops.swapaxes(k, -1, -2)) / ops.sqrt(ops.cast(d_k, q.dtype))
    if mask is not None:
        scores = ops.where(mask, scores, ops.full_like(scores, -1e9))
    weights = ops.softmax(scores, axis=-1)
    return ops.matmul(weights, v), weights


# --------------------------------------------------------------------------- Keras layers


@keras.saving.register_keras_serializable(package="crossmodal_helpers")
class MaskedMean(keras.layers.GlobalAveragePooling1D):
    """The mean of a sequence's vectors over its unmasked steps; an empty one gives zeros.

    Introduced in chapter 2 (the mean of a text's word vectors in
    ``text.build_text_encoder``) and used again in chapter 6 by
    :func:`build_transformer_classifier`. Keras' ``GlobalAveragePooling1D`` divides the
    sum by the number of unmasked steps, which is 0 for an empty text, so its output is
    NaN; this layer divides by max(count, 1), so an empty text gives the zero vector and
    every other text the same mean as before.
    """

    def call(self, inputs: Tensor, mask: Tensor | None = None) -> Tensor:
        if mask is None:
            return super().call(inputs)
        channels_last = self.data_format == "channels_last"
        steps_axis = 1 if channels_last else 2
        keep = ops.cast(ops.expand_dims(mask, 2 if channels_last else 1), "bool")
        total = ops.sum(ops.where(keep, inputs, 0), axis=steps_axis, keepdims=self.keepdims)
        count = ops.sum(ops.cast(keep, inputs.dtype), axis=steps_axis, keepdims=self.keepdims)
        return total / ops.maximum(count, 1)


@keras.saving.register_keras_serializable(package="crossmodal_helpers")
class SingleUnitAttention(keras.layers.Layer):
    """The source article's "attention", translated to Keras 3. It attends to nothing.

    Introduced in chapter 6, as a warning. ``Dense(1, activation="softmax")`` takes a
    softmax over a single unit, which is always 1, and the second softmax runs over the
    last axis, which again has size 1. So every weight is exactly 1, the output is the
    plain sum of ``values`` over time, and no gradient reaches the ``Dense`` layer.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.weight = keras.layers.Dense(1, activation="softmax")

    def weights_of(self, query: Tensor) -> Tensor:
        """The "attention weights" (batch, time, 1): all ones."""
        score = self.weight(query)
        return ops.softmax(score, axis=-1)

    def call(self, query: Tensor, values: Tensor) -> Tensor:
        attention = self.weights_of(query)
        context = attention * values
        return ops.sum(context, axis=1)


@keras.saving.register_keras_serializable(package="crossmodal_helpers")
class AttentionPooling(keras.layers.Layer):
    """The repaired layer: one score per time step, softmax over the time axis.

    Introduced in chapter 6. $s_t = w^\\top \\tanh(W x_t)$, $\\alpha = \\mathrm{softmax}_t(s)$
    and the output is $\\sum_t \\alpha_t v_t$: additive attention (Bahdanau et al., 2015)
    with one learned query. The weights of each example sum to 1 over time.
    """

    def __init__(self, units: int = 32, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = check_count(units, "units")
        self.hidden = keras.layers.Dense(self.units, activation="tanh")
        self.score = keras.layers.Dense(1, use_bias=False)

    def weights_of(self, query: Tensor) -> Tensor:
        """The attention weights (batch, time, 1); they sum to 1 over time."""
        return ops.softmax(self.score(self.hidden(query)), axis=1)

    def call(self, query: Tensor, values: Tensor) -> Tensor:
        return ops.sum(self.weights_of(query) * values, axis=1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="crossmodal_helpers")
class PositionalEmbedding(keras.layers.Layer):
    """Token embedding plus a learned embedding of each position (0 = padding).

    Introduced in chapter 6. Self-attention ignores order, so the position of each
    token is added to its vector: $x_t = E[w_t] + P[t]$. Id 0 is padding and masked.
    """

    def __init__(self, max_length: int, vocab_size: int, d_model: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_length = check_count(max_length, "max_length")
        self.vocab_size = check_count(vocab_size, "vocab_size", minimum=2)
        self.d_model = check_count(d_model, "d_model")
        self.tokens = keras.layers.Embedding(self.vocab_size, self.d_model, name="tokens")
        self.positions = keras.layers.Embedding(self.max_length, self.d_model, name="positions")

    def call(self, ids: Tensor) -> Tensor:
        length = ops.shape(ids)[-1]
        return self.tokens(ids) + self.positions(ops.arange(length))

    def compute_mask(self, ids: Tensor, mask: Tensor | None = None) -> Tensor:
        return ops.not_equal(ids, 0)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "max_length": self.max_length,
            "vocab_size": self.vocab_size,
            "d_model": self.d_model,
        }


def sinusoidal_encoding(length: int, d_model: int, *, base: float = 10000.0) -> np.ndarray:
    """The sinusoidal position code of Vaswani et al. (2017), shape ``(length, d_model)``.

    Introduced in chapter 6. Position :math:`p` gets, for :math:`i = 0, \\dots, d/2 - 1`,
    :math:`PE[p, 2i] = \\sin(p\\,\\omega_i)` and :math:`PE[p, 2i + 1] = \\cos(p\\,\\omega_i)`
    with frequencies :math:`\\omega_i = \\text{base}^{-2i/d}`, from one radian per
    position down to about :math:`1/\\text{base}`. ``d_model`` must be even.
    """
    length = check_count(length, "length")
    d_model = check_count(d_model, "d_model", minimum=2)
    if d_model % 2:
        raise ValueError(f"d_model must be even (a sine and a cosine per frequency), got {d_model}")
    base = check_positive(base, "base")
    frequencies = base ** (-np.arange(0, d_model, 2) / d_model)
    angles = np.arange(length)[:, None] * frequencies[None, :]
    return np.stack([np.sin(angles), np.cos(angles)], axis=-1).reshape(length, d_model)


@keras.saving.register_keras_serializable(package="crossmodal_helpers")
class SinusoidalPositionEncoding(keras.layers.Layer):
    """Add the fixed sinusoidal code of each position to a sequence of vectors.

    Introduced in chapter 6, beside the learned :class:`PositionalEmbedding`. Input
    ``(batch, time, d_model)``; output ``x_t + PE[t]`` (see :func:`sinusoidal_encoding`),
    for any length, with no weights to learn. A mask on the input is passed on.
    """

    def __init__(self, base: float = 10000.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base = check_positive(base, "base")
        self.supports_masking = True

    def call(self, inputs: Tensor) -> Tensor:
        length, d_model = ops.shape(inputs)[-2], inputs.shape[-1]
        if d_model is None or d_model % 2:
            raise ValueError(f"the last axis (d_model) must be even and known, got {d_model}")
        half = ops.arange(0, d_model, 2, dtype="float32") / d_model
        frequencies = ops.power(ops.cast(self.base, "float32"), -half)
        angles = ops.arange(length, dtype="float32")[:, None] * frequencies[None, :]
        code = ops.reshape(
            ops.stack([ops.sin(angles), ops.cos(angles)], axis=-1), (length, d_model)
        )
        return inputs + ops.cast(code, inputs.dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "base": self.base}


@keras.saving.register_keras_serializable(package="crossmodal_helpers")
class TransformerBlock(keras.layers.Layer):
    """One Transformer encoder block (Vaswani et al., 2017). Introduced in chapter 6.

    $h = \\mathrm{LayerNorm}(x + \\mathrm{MHA}(x, x, x))$, then
    $y = \\mathrm{LayerNorm}(h + \\mathrm{FFN}(h))$ with a two-layer ReLU network
    ``ff_dim`` wide. Padding (the incoming Keras mask) is never attended to.
    :meth:`attention_weights` returns the self-attention weights per head.
    """

    def __init__(
        self,
        d_model: int,
        num_heads: int = 2,
        ff_dim: int = 64,
        dropout: float = 0.1,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.d_model = check_count(d_model, "d_model")
        self.num_heads = check_count(num_heads, "num_heads")
        if self.d_model % self.num_heads:
            raise ValueError(
                f"d_model ({self.d_model}) must be divisible by num_heads ({self.num_heads})"
            )
        self.ff_dim = check_count(ff_dim, "ff_dim")
        self.dropout = check_dropout(dropout)
        self.supports_masking = True
        self.attention = keras.layers.MultiHeadAttention(
            self.num_heads,
            self.d_model // self.num_heads,
            dropout=self.dropout,
            name="self_attention",
        )
        self.ffn = keras.Sequential(
            [
                keras.layers.Dense(self.ff_dim, activation="relu"),
                keras.layers.Dense(self.d_model),
            ],
            name="ffn",
        )
        self.norm1 = keras.layers.LayerNormalization(epsilon=1e-6, name="norm1")
        self.norm2 = keras.layers.LayerNormalization(epsilon=1e-6, name="norm2")
        self.drop1 = keras.layers.Dropout(self.dropout)
        self.drop2 = keras.layers.Dropout(self.dropout)

    def build(self, input_shape: Shape) -> None:
        if len(input_shape) != 3 or input_shape[-1] != self.d_model:
            raise ValueError(
                f"TransformerBlock expects inputs of shape (batch, length, {self.d_model}), "
                f"got {tuple(input_shape)}"
            )
        self.attention.build(input_shape, input_shape)
        self.ffn.build(input_shape)
        self.norm1.build(input_shape)
        self.norm2.build(input_shape)

    @staticmethod
    def _key_mask(mask: Tensor | None) -> Tensor | None:
        return None if mask is None else ops.expand_dims(ops.cast(mask, "bool"), 1)

    def attention_weights(self, inputs: Tensor, mask: Tensor | None = None) -> Tensor:
        """Self-attention weights (batch, heads, length, length) for ``inputs``."""
        _, weights = self.attention(
            inputs, inputs, attention_mask=self._key_mask(mask), return_attention_scores=True
        )
        return weights

    def call(
        self, inputs: Tensor, mask: Tensor | None = None, training: bool | None = None
    ) -> Tensor:
        attended = self.attention(
            inputs, inputs, attention_mask=self._key_mask(mask), training=training
        )
        h = self.norm1(inputs + self.drop1(attended, training=training))
        return self.norm2(h + self.drop2(self.ffn(h), training=training))

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "d_model": self.d_model,
            "num_heads": self.num_heads,
            "ff_dim": self.ff_dim,
            "dropout": self.dropout,
        }


def build_transformer_classifier(
    vocab_size: int,
    n_classes: int,
    *,
    max_length: int,
    d_model: int = 32,
    num_heads: int = 2,
    ff_dim: int = 64,
    dropout: float = 0.1,
    vectorizer: keras.layers.TextVectorization | None = None,
) -> keras.Model:
    """A small Transformer text classifier. Introduced in chapter 6.

    Token ids (batch, ``max_length``), 0 = padding — or raw strings when ``vectorizer``
    (an adapted ``keras.layers.TextVectorization`` with ``output_sequence_length =
    max_length``) is given — go through a :class:`PositionalEmbedding`, one
    :class:`TransformerBlock` (layer name ``"transformer"``), the mean over the non-padding
    positions (:class:`MaskedMean`: zeros for a text without tokens), dropout and a
    softmax over ``n_classes``. Compile it yourself.
    """
    vocab_size = check_count(vocab_size, "vocab_size", minimum=2)
    n_classes = check_count(n_classes, "n_classes", minimum=2)
    max_length = check_count(max_length, "max_length")
    dropout = check_dropout(dropout)
    inputs, ids = token_input(vocab_size, vectorizer=vectorizer, length=max_length)
    x = PositionalEmbedding(max_length, vocab_size, d_model, name="embedding")(ids)
    x = TransformerBlock(d_model, num_heads, ff_dim, dropout, name="transformer")(x)
    x = MaskedMean(name="mean_of_tokens")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="classes")(x)
    return keras.Model(inputs, outputs, name="transformer_classifier")


# --------------------------------------------------------------------------- patches


def extract_patches(images: np.ndarray, patch: int) -> np.ndarray:
    """Cut images into non-overlapping square patches, row by row. Introduced in chapter 6.

    ``images`` is N×H×W×C (or N×H×W) in [0, 1] with H and W multiples of ``patch``. Returns
    (N, (H / patch) · (W / patch), patch · patch · C): each patch flattened, as the Vision
    Transformer feeds them to its first layer (Dosovitskiy et al., 2021).
    """
    images = check_images(images, name="images")
    patch = check_count(patch, "patch")
    n, height, width, channels = images.shape
    if height % patch or width % patch:
        raise ValueError(
            f"image height and width ({height}×{width}) must be multiples of patch ({patch})"
        )
    rows, cols = height // patch, width // patch
    grid = images.reshape(n, rows, patch, cols, patch, channels).transpose(0, 1, 3, 2, 4, 5)
    return grid.reshape(n, rows * cols, patch * patch * channels)


# --------------------------------------------------------------------------- grounding


@dataclass(frozen=True)
class GroundingQueries:
    """Questions "what colour is the <shape word>?" about shapes scenes.

    Introduced in chapter 6. One row per scene and up to ``words.shape[1]`` queries per
    scene (padding: word ``""``, answer 0, ``present`` False): ``words`` are the shape words
    as the caption writes them (synonyms included), ``answers`` the colour ids of the named
    objects (indices into ``colors``), ``boxes`` their (x0, y0, x1, y1) boxes and
    ``objects`` their object slots.
    """

    words: np.ndarray
    answers: np.ndarray
    boxes: np.ndarray
    objects: np.ndarray
    present: np.ndarray
    colors: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.present.sum())

    def word_ids(self, vocabulary: Sequence[str]) -> np.ndarray:
        """The query words as ids for a model: word ``vocabulary[i]`` is ``i + 1``, 0 pads.

        Raises a ``ValueError`` naming any word that is not in ``vocabulary``.
        """
        lookup = {str(word): i + 1 for i, word in enumerate(vocabulary)}
        unknown = sorted({w for w in self.words[self.present] if w not in lookup})
        if unknown:
            raise ValueError(f"words not in vocabulary: {', '.join(unknown)}")
        ids = np.zeros(self.words.shape, dtype=np.int64)
        ids[self.present] = [lookup[w] for w in self.words[self.present]]
        return ids


def grounding_queries(dataset: Any, *, max_queries: int = 3) -> GroundingQueries:
    """The grounding questions of a ``shapes`` data set: shape word in, colour out.

    Introduced in chapter 6. Every SHAPE token of a caption becomes a query, unless another
    object of the scene has the same shape (then the question "what colour is the circle?"
    has two answers and is skipped). Captions must be consistent with their scenes.
    """
    from crossmodal_helpers.datasets.shapes import COLORS

    max_queries = check_count(max_queries, "max_queries")
    meta = getattr(dataset, "meta", None)
    needed = ("tags", "token_objects", "shape", "color", "boxes", "n_objects")
    if getattr(dataset, "name", None) != "shapes" or meta is None:
        raise TypeError(
            'dataset must be a shapes data set (datasets.load("shapes", ...)), '
            f"got {type(dataset).__name__}"
        )
    missing = [key for key in needed if key not in meta]
    if missing:
        raise ValueError(f"dataset.meta lacks {', '.join(missing)}")
    if "is_consistent" in meta and not np.all(meta["is_consistent"]):
        raise ValueError(
            "dataset has inconsistent captions (mismatch_rate > 0): their shape words need "
            "not name an object of the scene; load it with mismatch_rate=0"
        )
    n = len(dataset.texts)
    words = np.full((n, max_queries), "", dtype=object)
    answers = np.zeros((n, max_queries), dtype=np.int64)
    boxes = np.full((n, max_queries, 4), -1, dtype=np.int64)
    objects = np.full((n, max_queries), -1, dtype=np.int64)
    present = np.zeros((n, max_queries), dtype=bool)
    for i, caption in enumerate(dataset.texts):
        shapes = list(meta["shape"][i][: meta["n_objects"][i]])
        q = 0
        for token, tag, j in zip(
            caption.split(), meta["tags"][i], meta["token_objects"][i], strict=True
        ):
            if tag != "SHAPE" or shapes.count(shapes[j]) != 1 or q == max_queries:
                continue
            words[i, q] = token
            answers[i, q] = COLORS.index(meta["color"][i][j])
            boxes[i, q] = meta["boxes"][i][j]
            objects[i, q] = j
            present[i, q] = True
            q += 1
    return GroundingQueries(words, answers, boxes, objects, present, tuple(COLORS))


def build_grounding_model(
    vocab_size: int,
    n_answers: int,
    *,
    image_size: int = 48,
    grid: int = 12,
    d_model: int = 32,
    num_heads: int = 1,
) -> tuple[keras.Model, keras.Model]:
    """A cross-attention model: query words attend over image patches. Introduced in chapter 6.

    Inputs: ``image`` (batch, image_size, image_size, 3) and ``words`` (batch, queries),
    word ids below ``vocab_size`` with 0 as padding (:meth:`GroundingQueries.word_ids`). The
    image is cut into ``grid``×``grid`` patches:

    - **values** are the patches' own pixels, linearly projected (the Vision Transformer's
      patch embedding, a ``Conv2D`` with kernel = stride = patch side), so reading a colour
      needs attention *on* the object;
    - **keys** come from a small CNN (receptive field a little larger than an object), so a
      patch can be recognised as part of a circle or a cross;
    - **queries** are the words' embeddings.

    ``keras.layers.MultiHeadAttention`` (layer ``"cross_attention"``) mixes the values; the
    query and its context go through a ReLU layer to a softmax over ``n_answers``
    (layer ``"answer"``). Returns ``(model, attention_model)``: the second maps the same
    inputs to the attention weights (batch, heads, queries, grid²), sharing all weights;
    padding queries get weights of 0.
    """
    vocab_size = check_count(vocab_size, "vocab_size", minimum=2)
    n_answers = check_count(n_answers, "n_answers", minimum=2)
    image_size = check_count(image_size, "image_size", maximum=4096)
    grid = check_count(grid, "grid")
    d_model = check_width(d_model, "d_model")
    num_heads = check_count(num_heads, "num_heads", maximum=d_model)
    if image_size % (2 * grid):
        raise ValueError(
            f"image_size ({image_size}) must be a multiple of 2 × grid ({2 * grid}), so that "
            "patches tile the image"
        )
    if d_model % num_heads:
        raise ValueError(f"d_model ({d_model}) must be divisible by num_heads ({num_heads})")
    layers = keras.layers
    patch, stride = image_size // grid, image_size // (2 * grid)
    image = keras.Input(shape=(image_size, image_size, 3), name="image")
    words = keras.Input(shape=(None,), dtype="int64", name="words")
    x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu", name="conv1")(image)
    x = layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2")(x)
    x = layers.Conv2D(d_model, 2 * stride + 1, strides=stride, padding="same", name="key_conv")(x)
    keys = layers.Reshape((grid * grid, d_model), name="keys")(x)
    v = layers.Conv2D(d_model, patch, strides=patch, name="patch_embedding")(image)
    values = layers.Reshape((grid * grid, d_model), name="values")(v)
    queries = layers.Embedding(vocab_size, d_model, mask_zero=True, name="queries")(words)
    cross = layers.MultiHeadAttention(num_heads, d_model // num_heads, name="cross_attention")
    context, weights = cross(queries, values, key=keys, return_attention_scores=True)
    h = layers.Concatenate(name="query_and_context")([queries, context])
    h = layers.Dense(64, activation="relu", name="hidden")(h)
    answer = layers.Dense(n_answers, activation="softmax", name="answer")(h)
    model = keras.Model([image, words], answer, name="grounding_model")
    return model, keras.Model([image, words], weights, name="grounding_attention")


def _peaks(attention: Any, n_boxes: int) -> tuple[np.ndarray, int]:
    attention = np.asarray(attention, dtype=np.float64)
    if attention.ndim == 3:
        if attention.shape[1] != attention.shape[2]:
            raise ValueError(f"attention maps must be square, got shape {attention.shape}")
        attention = attention.reshape(len(attention), -1)
    if attention.ndim != 2:
        raise ValueError(
            f"attention must have shape (N, grid·grid) or (N, grid, grid), got {attention.shape}"
        )
    grid = int(round(np.sqrt(attention.shape[1])))
    if grid * grid != attention.shape[1]:
        raise ValueError(
            f"attention must cover a square grid of patches, got {attention.shape[1]} weights"
        )
    if len(attention) != n_boxes:
        raise ValueError(
            f"attention and boxes must have one row per query, got {len(attention)} and {n_boxes}"
        )
    if not np.isfinite(attention).all():
        raise ValueError("attention contains NaN or infinite values")
    return attention.argmax(axis=1), grid


def pointing_hits(
    attention: Any, boxes: Any, *, image_size: int, tolerance: float = 0.0
) -> np.ndarray:
    """For each query, does the attention peak fall inside the named object's box?

    Introduced in chapter 6 (the "pointing game" of Zhang et al., 2016). ``attention`` is
    (N, grid·grid) or (N, grid, grid), over a square grid of patches covering a square image
    of side ``image_size``; ``boxes`` is (N, 4) as (x0, y0, x1, y1) pixels with exclusive
    ends. The peak is the centre of the patch with the largest weight (the first, on ties);
    it hits when it lies in the box grown by ``tolerance`` pixels on every side.
    """
    boxes = np.asarray(boxes)
    if not np.issubdtype(boxes.dtype, np.number) or np.issubdtype(boxes.dtype, np.bool_):
        raise TypeError(f"boxes must hold numbers (pixels), got dtype {boxes.dtype}")
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"boxes must have shape (N, 4) as (x0, y0, x1, y1), got {boxes.shape}")
    if (boxes[:, 2] <= boxes[:, 0]).any() or (boxes[:, 3] <= boxes[:, 1]).any():
        raise ValueError("boxes must have x1 > x0 and y1 > y0 (padding rows of -1 included?)")
    if not np.isfinite(boxes).all():
        raise ValueError("boxes contains NaN or infinite values")
    image_size = check_count(image_size, "image_size")
    tolerance = check_number(tolerance, "tolerance", minimum=0.0)
    peaks, grid = _peaks(attention, len(boxes))
    side = image_size / grid
    x = (peaks % grid + 0.5) * side
    y = (peaks // grid + 0.5) * side
    return (
        (x >= boxes[:, 0] - tolerance)
        & (x < boxes[:, 2] + tolerance)
        & (y >= boxes[:, 1] - tolerance)
        & (y < boxes[:, 3] + tolerance)
    )


def pointing_accuracy(
    attention: Any, boxes: Any, *, image_size: int, tolerance: float = 0.0
) -> float:
    """The share of queries whose attention peak is inside the named object's box.

    Introduced in chapter 6; see :func:`pointing_hits`.
    """
    return float(pointing_hits(attention, boxes, image_size=image_size, tolerance=tolerance).mean())


# --------------------------------------------------------------------------- pictures


def attention_overlay(image: np.ndarray, weights: Any, *, alpha: float = 0.65) -> np.ndarray:
    """An image with an attention map laid over it as a heat map. Introduced in chapter 6.

    ``weights`` is a grid×grid map (or grid² weights) over square patches of the H×W×3
    ``image``; it is scaled to its maximum, enlarged to the image and coloured with
    matplotlib's "inferno" map, then blended in with opacity ``alpha``. Returns H×W×3 in
    [0, 1].
    """
    import matplotlib

    image = check_image(image, name="image")
    if image.shape[-1] == 1:
        image = np.repeat(image, 3, axis=-1)
    weights = np.asarray(weights)
    if not np.issubdtype(weights.dtype, np.number) or np.issubdtype(weights.dtype, np.bool_):
        raise TypeError(f"weights must hold numbers, got dtype {weights.dtype}")
    weights = weights.astype(np.float64)
    grid = int(round(np.sqrt(weights.size)))
    if weights.ndim not in (1, 2) or grid == 0 or grid * grid != weights.size:
        raise ValueError(f"weights must be a square grid of patches, got shape {weights.shape}")
    if not np.isfinite(weights).all() or weights.min() < 0:
        raise ValueError("weights must be finite and >= 0 (attention weights)")
    height, width = image.shape[:2]
    if height % grid or width % grid:
        raise ValueError(f"image side ({height}×{width}) must be a multiple of the grid ({grid})")
    alpha = check_fraction(alpha, "alpha")
    weights = weights.reshape(grid, grid)
    scaled = weights / weights.max() if weights.max() > 0 else weights
    big = np.kron(scaled, np.ones((height // grid, width // grid)))
    heat = matplotlib.colormaps["inferno"](big)[..., :3]
    return ((1 - alpha) * image + alpha * heat).astype(np.float32)


def attention_browser(
    images: np.ndarray,
    captions: Sequence[str],
    queries: Sequence[Sequence[tuple[str, Any, str]]],
    *,
    title: str = "Where does each word look?",
    display_px: int = 192,
):
    """Browse attention maps: a slider picks the scene, buttons pick the word.

    Introduced in chapter 6. ``queries[i]`` lists, for scene ``i``, ``(word, weights,
    note)`` triples: the word, its grid×grid attention map and a line of text (e.g. the
    model's answer). Every picture is rendered in advance and the controls are linked in the
    browser (``jslink``), so the widget works on the static website as well as in Jupyter.
    """
    import ipywidgets as widgets

    from crossmodal_helpers.widgets import pages, panel, picture, show_page, to_png

    images = check_images(images, name="images")
    captions = check_texts(captions, "captions", per_image=len(images))
    title = check_str(title, "title")
    display_px = check_count(display_px, "display_px")
    if isinstance(queries, str) or not hasattr(queries, "__len__"):
        raise TypeError(f"queries must be a list of lists, got {type(queries).__name__}")
    if len(queries) != len(images):
        raise ValueError(
            f"queries must have one list per image ({len(images)}), got {len(queries)}"
        )
    if len(images) == 0:
        raise ValueError("images must contain at least one image, got 0")
    scale = max(1, display_px // max(images.shape[1:3]))
    scenes = []
    for i, (image, caption, items) in enumerate(zip(images, captions, queries, strict=True)):
        if not items:
            raise ValueError(f"queries[{i}] is empty: give at least one (word, weights, note)")
        views = []
        for word, weights, note in items:
            overlay = picture(
                to_png(attention_overlay(image, weights), scale),
                f"the scene “{caption}” with the attention of “{word}” as a glow over it",
            )
            label = widgets.HTML(f"<b>{html.escape(word)}</b>: {html.escape(note)}")
            views.append(widgets.VBox([overlay, label]))
        words = [word for word, _, _ in items]
        inner = pages(views, words)
        buttons = widgets.ToggleButtons(
            options=[(word, k) for k, word in enumerate(words)], description="word"
        )
        show_page(buttons, inner)
        heading = widgets.HTML(f"<b>#{i}</b>: <i>{html.escape(caption)}</i>")
        scenes.append(widgets.VBox([heading, buttons, inner]))
    shown = pages(scenes, [f"#{i}" for i in range(len(scenes))])
    slider = widgets.IntSlider(value=0, min=0, max=len(scenes) - 1, description="scene")
    show_page(slider, shown)
    return panel(f"<b>{html.escape(title)}</b> ({len(scenes)} scenes)", slider, shown)
