"""Cross-modal retrieval: dual encoders, the contrastive loss, Recall@K, zero-shot, search.

Introduced in chapter 8. Two encoders map images and texts into one space of unit vectors,
where the cosine similarity of an image and a text says how well they match. The pieces:

- :func:`info_nce_loss`, the symmetric contrastive loss of CLIP (Radford et al., 2021), and
  :func:`build_dual_encoder`, a ``keras.Model`` subclass (:class:`DualEncoder`) that trains
  two encoders with it on the similarities of the pairs in a batch;
- :func:`similarity_matrix`, :func:`first_relevant_rank`, :func:`recall_at_k`,
  :func:`chance_recall_at_k` and :func:`median_rank` to evaluate retrieval in either
  direction, with a matrix saying which gallery items are right for each query;
- the matching rule of the shapes scenes, whose captions are not unique:
  :func:`parse_shapes_caption`, :func:`scene_satisfies` and :func:`shapes_relevance`;
- :func:`fit_cca`, canonical correlation analysis, the linear baseline;
- :func:`fit_char_ngrams` (character n-grams of any script) and
  :func:`fit_crosslingual_student` (:class:`CrossLingualStudent`): text encoders for other
  languages that imitate a trained one, learned from a parallel set;
- :func:`zero_shot_classify` (classes described by text prompts), :func:`show_retrievals`
  (a figure of the top results per query) and :func:`search_box` (a search widget).

ipywidgets is imported by the widget. :class:`DualEncoder` is registered for serialisation,
so a saved dual encoder loads with ``keras.models.load_model`` once this module is imported.
"""

from __future__ import annotations

import html
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from keras import ops

from crossmodal_helpers._checks import (
    check_count,
    check_flag,
    check_images,
    check_model_inputs,
    check_number,
    check_numeric_array,
    check_positive,
    check_str,
    check_texts,
    check_width,
)
from crossmodal_helpers._types import Shape, Tensor

#: The attributes a shapes caption can state about an object. Introduced in chapter 8.
SHAPE_ATTRIBUTES = ("color", "shape", "size", "position")


# --------------------------------------------------------------------------- similarity and loss


def similarity_matrix(a: Any, b: Any) -> np.ndarray:
    """Cosine similarities of every row of ``a`` with every row of ``b``: shape (len(a), len(b)).

    Introduced in chapter 8. Rows are divided by their length first, so the result does not
    depend on how long the vectors are; an all-zero row has no direction and is an error.
    """
    a, b = check_numeric_array(a, "a", ndim=2), check_numeric_array(b, "b", ndim=2)
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"a and b must have the same number of columns (embedding size), got "
            f"{a.shape[1]} and {b.shape[1]}"
        )
    unit = []
    for name, x in (("a", a), ("b", b)):
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        if (norms == 0).any():
            raise ValueError(f"{name} has an all-zero row ({int(np.argmin(norms))}): no direction")
        unit.append(x / norms)
    return unit[0] @ unit[1].T


def info_nce_loss(similarity: Tensor, temperature: float | Tensor = 1.0) -> Tensor:
    """Symmetric InfoNCE loss of a batch of N pairs, as in CLIP. Introduced in chapter 8.

    ``similarity[i, j]`` is the cosine similarity of image i and text j, so the N matching
    pairs are on the diagonal. Each row is a softmax classification "which text belongs to
    this image?", each column "which image belongs to this text?"; the loss averages the
    two cross-entropies. Works on NumPy arrays and Keras tensors; NumPy input and a number
    as ``temperature`` are checked first (tensors inside training cannot be).
    """
    if not ops.is_tensor(similarity):
        check_similarity_batch(similarity)
    if not ops.is_tensor(temperature):
        temperature = check_positive(temperature, "temperature")
    logits = ops.convert_to_tensor(similarity, dtype="float32") / temperature
    n = ops.shape(logits)[0]
    diagonal = ops.eye(n, dtype=logits.dtype)
    image_to_text = -ops.sum(ops.log_softmax(logits, axis=1) * diagonal, axis=1)
    text_to_image = -ops.sum(ops.log_softmax(logits, axis=0) * diagonal, axis=0)
    return ops.mean(image_to_text + text_to_image) / 2


def check_similarity_batch(similarity: Any) -> np.ndarray:
    """Check that ``similarity`` is a square, finite matrix (one row and column per pair).

    Introduced in chapter 8. :func:`info_nce_loss` runs it on NumPy input; inside training,
    on tensors, such checks cannot run. A batch needs at least 2 pairs: with one there is
    no other pair to contrast with, and the loss is 0 whatever the encoders do.
    """
    matrix = check_numeric_array(similarity, "similarity", ndim=2)
    if matrix.shape[0] != matrix.shape[1]:
        raise ValueError(
            f"similarity must be square (N images × N texts of N pairs), got {matrix.shape}"
        )
    if len(matrix) < 2:
        raise ValueError(
            "similarity must hold at least 2 pairs (a batch of one has no negatives to "
            f"contrast with), got {matrix.shape}"
        )
    return matrix


# --------------------------------------------------------------------------- dual encoder


@keras.saving.register_keras_serializable(package="crossmodal_helpers")
class DualEncoder(keras.Model):
    """An image encoder and a text encoder into one space of unit vectors.

    Introduced in chapter 8. Each encoder is followed by a linear projection to
    ``embed_dim`` numbers and an L2 normalisation. Called on ``[images, texts]`` the
    model returns the (N, N) cosine similarities of the batch, and
    :meth:`compute_loss` turns them into :func:`info_nce_loss` at the model's
    temperature, so ``fit`` needs no targets. With ``learn_temperature`` the
    temperature is learned as ``exp(-log_scale)``, as in CLIP, and never drops below
    1/100.
    """

    def __init__(
        self,
        image_encoder: keras.Model,
        text_encoder: keras.Model,
        *,
        embed_dim: int = 64,
        temperature: float = 0.07,
        learn_temperature: bool = True,
        max_scale: float = 100.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.image_encoder = image_encoder
        self.text_encoder = text_encoder
        self.embed_dim = embed_dim
        self.initial_temperature = temperature
        self.learn_temperature = learn_temperature
        self.max_scale = max_scale
        self.image_projection = keras.layers.Dense(embed_dim, name="image_projection")
        self.text_projection = keras.layers.Dense(embed_dim, name="text_projection")
        self.log_scale = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(math.log(1.0 / temperature)),
            trainable=learn_temperature,
            name="log_scale",
        )

    def build(self, input_shape: Sequence[Shape]) -> None:
        image_shape, text_shape = input_shape
        self.image_projection.build(self.image_encoder.compute_output_shape(image_shape))
        self.text_projection.build(self.text_encoder.compute_output_shape(text_shape))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "image_encoder": keras.saving.serialize_keras_object(self.image_encoder),
            "text_encoder": keras.saving.serialize_keras_object(self.text_encoder),
            "embed_dim": self.embed_dim,
            "temperature": self.initial_temperature,
            "learn_temperature": self.learn_temperature,
            "max_scale": self.max_scale,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DualEncoder:
        config = dict(config)
        for part in ("image_encoder", "text_encoder"):
            config[part] = keras.saving.deserialize_keras_object(config[part])
        return cls(**config)

    @property
    def temperature(self) -> Tensor:
        """The temperature τ = 1 / min(exp(log_scale), max_scale) (a tensor)."""
        return 1.0 / ops.minimum(ops.exp(self.log_scale), self.max_scale)

    def embed_images(self, images: Tensor, training: bool = False) -> Tensor:
        """Unit vectors of a batch of images (a tensor)."""
        features = self.image_encoder(images, training=training)
        return ops.normalize(self.image_projection(features), axis=-1)

    def embed_texts(self, texts: Tensor, training: bool = False) -> Tensor:
        """Unit vectors of a batch of texts (a tensor)."""
        features = self.text_encoder(texts, training=training)
        return ops.normalize(self.text_projection(features), axis=-1)

    def call(self, inputs: Sequence[Tensor], training: bool = False) -> Tensor:
        images, texts = inputs
        image_vectors = self.embed_images(images, training=training)
        text_vectors = self.embed_texts(texts, training=training)
        return ops.matmul(image_vectors, ops.transpose(text_vectors))

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Tensor | None = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Tensor:
        """The batch's loss: :func:`info_nce_loss` of the similarities ``y_pred`` at the
        model's temperature, plus any losses the layers add. ``fit`` needs no targets."""
        loss = info_nce_loss(y_pred, self.temperature)
        if self.losses:
            loss = loss + ops.sum(self.losses)
        return loss

    def _check_inputs(self, values: Any, name: str, encoder: keras.Model) -> np.ndarray:
        """``values`` checked for ``encoder``: finite numbers (images in [0, 1]) of its shape."""
        if not isinstance(values, np.ndarray):
            raise TypeError(f"{name} must be a NumPy array, got {type(values).__name__}")
        array = check_model_inputs(values, name)
        expected = tuple(encoder.inputs[0].shape[1:])
        if array.ndim != 1 + len(expected) or any(
            size is not None and size != got
            for size, got in zip(expected, array.shape[1:], strict=True)
        ):
            raise ValueError(
                f"{name} must have shape (N, {', '.join(str(size) for size in expected)}) "
                f"for the {encoder.name} encoder, got {array.shape}"
            )
        return array.astype(np.float32, copy=False)

    def fit(
        self, x: Any = None, y: Any = None, batch_size: int | None = None, *args: Any, **kwargs: Any
    ) -> keras.callbacks.History:
        """Train both encoders on the pairs ``x = [images, texts]``; no targets are needed.

        As ``keras.Model.fit``, after checking the arguments: ``batch_size`` must be at
        least 2, since a batch of one pair has no other pair to contrast with and its loss
        is 0 whatever the encoders do, and NumPy input is checked as by
        :meth:`encode_images` and :meth:`encode_texts` (at least 2 pairs, one text per
        image). A ``tf.data.Dataset`` or other data source is passed on unchecked. When
        the number of pairs leaves a last batch of one, that batch's loss is 0: it adds no
        gradient and pulls the epoch's mean loss down a little.
        """
        if batch_size is not None:
            check_count(batch_size, "batch_size", minimum=2)
        arrays = list(x) if isinstance(x, (list, tuple)) else [x]
        if all(isinstance(array, np.ndarray) for array in arrays):
            if len(arrays) != 2:
                raise ValueError(f"x must be [images, texts], got {len(arrays)} arrays")
            images = self._check_inputs(arrays[0], "images", self.image_encoder)
            texts = self._check_inputs(arrays[1], "texts", self.text_encoder)
            if len(images) != len(texts):
                raise ValueError(
                    f"texts must have one row per image ({len(images)}), got {len(texts)}"
                )
            if len(images) < 2:
                raise ValueError(
                    f"x must hold at least 2 pairs (one pair has nothing to contrast with), "
                    f"got {len(images)}"
                )
        return super().fit(x, y, batch_size, *args, **kwargs)

    def _encode(
        self, embed: Callable[[np.ndarray], Tensor], inputs: np.ndarray, batch_size: int
    ) -> np.ndarray:
        parts = [
            ops.convert_to_numpy(embed(inputs[start : start + batch_size]))
            for start in range(0, len(inputs), batch_size)
        ]
        return np.concatenate(parts) if parts else np.zeros((0, self.embed_dim), np.float32)

    def encode_images(self, images: Any, batch_size: int = 256) -> np.ndarray:
        """Unit vectors of images as a NumPy array (len(images), embed_dim).

        ``images`` is a NumPy array of the image encoder's input shape, values in [0, 1].
        """
        batch_size = check_count(batch_size, "batch_size")
        images = self._check_inputs(images, "images", self.image_encoder)
        return self._encode(self.embed_images, images, batch_size)

    def encode_texts(self, texts: Any, batch_size: int = 256) -> np.ndarray:
        """Unit vectors of text features as a NumPy array (len(texts), embed_dim).

        ``texts`` is a NumPy array of the text encoder's input shape (e.g. bags of words).
        """
        batch_size = check_count(batch_size, "batch_size")
        texts = self._check_inputs(texts, "texts", self.text_encoder)
        return self._encode(self.embed_texts, texts, batch_size)


def build_dual_encoder(
    image_encoder: keras.Model,
    text_encoder: keras.Model,
    *,
    embed_dim: int = 64,
    temperature: float = 0.07,
    learn_temperature: bool = True,
) -> DualEncoder:
    """A :class:`DualEncoder` of two encoders (e.g. chapter 4's), ready to compile and fit.

    Introduced in chapter 8. ``temperature`` is the initial (or, with
    ``learn_temperature=False``, the fixed) temperature τ; CLIP starts at 0.07.
    """
    for name, encoder in (("image_encoder", image_encoder), ("text_encoder", text_encoder)):
        if not isinstance(encoder, keras.Model) or len(encoder.inputs) != 1:
            raise TypeError(f"{name} must be a keras.Model with one input, got {encoder!r}")
        if len(encoder.outputs) != 1 or len(encoder.outputs[0].shape) != 2:
            raise ValueError(f"{name} must output one vector per example, (batch, features)")
    embed_dim = check_width(embed_dim, "embed_dim")
    temperature = check_positive(temperature, "temperature")
    learn_temperature = check_flag(learn_temperature, "learn_temperature")
    return DualEncoder(
        image_encoder,
        text_encoder,
        embed_dim=embed_dim,
        temperature=temperature,
        learn_temperature=learn_temperature,
        name="dual_encoder",
    )


# --------------------------------------------------------------------------- ranking metrics


def _check_relevance(similarity: Any, relevant: Any) -> tuple[np.ndarray, np.ndarray]:
    similarity = check_numeric_array(similarity, "similarity", ndim=2)
    relevant = np.asarray(relevant)
    if relevant.dtype != bool:
        raise TypeError(
            f"relevant must be a boolean array (True where a gallery item is right for a "
            f"query), got dtype {relevant.dtype}"
        )
    if relevant.shape != similarity.shape:
        raise ValueError(
            f"relevant must have the shape of similarity {similarity.shape} (queries × "
            f"gallery), got {relevant.shape}"
        )
    empty = np.flatnonzero(~relevant.any(axis=1))
    if len(empty):
        raise ValueError(
            f"every query needs at least one relevant gallery item; {len(empty)} have none "
            f"(the first is query {int(empty[0])})"
        )
    return similarity, relevant


def _check_ks(ks: Any) -> list[int]:
    if isinstance(ks, (int, np.integer)) or not isinstance(ks, (Sequence, np.ndarray)):
        raise TypeError(f"ks must be a sequence of ints such as (1, 5, 10), got {ks!r}")
    ks = [check_count(k, "each of ks") for k in ks]
    if not ks:
        raise ValueError("ks must not be empty")
    return ks


def first_relevant_rank(similarity: Any, relevant: Any) -> np.ndarray:
    """Rank (1 = top) of the best-ranked relevant gallery item, for each query (row).

    Introduced in chapter 8. ``similarity`` is (queries, gallery); ``relevant`` a boolean
    array of the same shape. Ties are broken by gallery order (a stable sort), so the
    result is deterministic.
    """
    similarity, relevant = _check_relevance(similarity, relevant)
    order = np.argsort(-similarity, axis=1, kind="stable")
    hits = np.take_along_axis(relevant, order, axis=1)
    return hits.argmax(axis=1) + 1


def recall_at_k(similarity: Any, relevant: Any, ks: Sequence[int] = (1, 5, 10)) -> dict[int, float]:
    """Recall@K for each K: the share of queries with a relevant item among the top K.

    Introduced in chapter 8. Returns ``{k: recall}``; ``similarity`` is (queries, gallery),
    ``relevant`` a boolean array of the same shape (the identity matrix when each query has
    exactly one match).
    """
    ks = _check_ks(ks)
    ranks = first_relevant_rank(similarity, relevant)
    return {k: float(np.mean(ranks <= k)) for k in ks}


def chance_recall_at_k(relevant: Any, ks: Sequence[int] = (1, 5, 10)) -> dict[int, float]:
    """The Recall@K a random ranking gets on average, for each K: the baseline to beat.

    Introduced in chapter 8. A query with r relevant items among G misses all of them in a
    random top K with probability $\\binom{G-r}{K} / \\binom{G}{K}$; the result averages
    one minus that over the queries. With one relevant item per query it is K / G.
    """
    relevant = np.asarray(relevant)
    _check_relevance(np.zeros(relevant.shape), relevant)
    ks = _check_ks(ks)
    n_relevant = relevant.sum(axis=1)
    gallery = relevant.shape[1]
    out = {}
    for k in ks:
        miss = np.ones(len(relevant))
        for i in range(min(k, gallery)):
            miss *= np.clip((gallery - n_relevant - i) / (gallery - i), 0.0, None)
        out[k] = float(np.mean(1.0 - miss))
    return out


def median_rank(similarity: Any, relevant: Any) -> float:
    """The median over queries of the rank of the first relevant item (1 is perfect).

    Introduced in chapter 8.
    """
    return float(np.median(first_relevant_rank(similarity, relevant)))


# --------------------------------------------------------------------------- shapes matching rule


def _phrases() -> dict[str, tuple[str, str]]:
    """Surface phrase -> (attribute, canonical value), from the shapes data set's grammar."""
    from crossmodal_helpers.datasets import shapes

    return {
        phrase: (attribute, value) for (attribute, phrase), value in shapes.PHRASE_TO_VALUE.items()
    }


def parse_shapes_caption(caption: str) -> list[dict[str, str]]:
    """What a shapes caption states: one dict of attribute -> value per mentioned object.

    Introduced in chapter 8. Objects are separated by "and"; within a mention the words are
    read with the data set's own synonym table (``shapes.PHRASE_TO_VALUE``), two-word
    phrases first ("top left", "bottom middle"), and every other word is skipped. So
    ``"there is a big violet disc on the left and a cross"`` gives
    ``[{"size": "large", "color": "purple", "shape": "circle", "position": "left"},
    {"shape": "cross"}]``. A caption that states nothing is an error.
    """
    if not isinstance(caption, str):
        raise TypeError(f"caption must be a str, got {type(caption).__name__}")
    phrases = _phrases()
    objects: list[dict[str, str]] = []
    for mention in " ".join(caption.lower().split()).split(" and "):
        words, stated, i = mention.split(), {}, 0
        while i < len(words):
            for length in (2, 1):
                phrase = " ".join(words[i : i + length])
                if len(phrase.split()) == length and phrase in phrases:
                    attribute, value = phrases[phrase]
                    if stated.get(attribute, value) != value:
                        raise ValueError(
                            f"caption states two values of {attribute} for one object: "
                            f"{stated[attribute]!r} and {value!r} in {caption!r}"
                        )
                    stated[attribute] = value
                    i += length
                    break
            else:
                i += 1
        if stated:
            objects.append(stated)
    if not objects:
        raise ValueError(
            f"caption {caption!r} states no colour, shape, size or position of the shapes scenes"
        )
    return objects


def scene_satisfies(
    objects: Sequence[Mapping[str, str]], stated: Sequence[Mapping[str, str]]
) -> bool:
    """True when every stated object is matched by a *distinct* object of the scene.

    Introduced in chapter 8. An object matches a stated object when it has every attribute
    value stated (unstated attributes may be anything). The scene may hold more objects
    than the caption mentions. ``objects`` are the scene's objects (dicts with "shape",
    "color", "size", "position"), ``stated`` comes from :func:`parse_shapes_caption`.
    """
    if not stated:
        raise ValueError("stated must list at least one object")
    for group, name in ((objects, "objects"), (stated, "stated")):
        for item in group:
            if not isinstance(item, Mapping):
                raise TypeError(f"{name} must hold dicts of attribute -> value")
    if len(stated) > len(objects):
        return False
    for chosen in itertools.permutations(range(len(objects)), len(stated)):
        if all(
            objects[j].get(attribute) == value
            for s, j in zip(stated, chosen, strict=True)
            for attribute, value in s.items()
        ):
            return True
    return False


def shapes_relevance(captions: Sequence[str], scenes: Mapping[str, Any]) -> np.ndarray:
    """Which scenes satisfy which captions: a boolean array (len(captions), n_scenes).

    Introduced in chapter 8. ``scenes`` holds the per-slot attribute arrays of the shapes
    data set, shape (n_scenes, 3) padded with "" (``dataset.meta`` has them). Applies
    :func:`scene_satisfies` to every pair, vectorised over the scenes.
    """
    captions = check_texts(captions, "captions")
    if not isinstance(scenes, Mapping) or any(a not in scenes for a in SHAPE_ATTRIBUTES):
        raise TypeError(
            f"scenes must map each of {SHAPE_ATTRIBUTES} to an (n_scenes, slots) array, e.g. "
            "the meta of a shapes Dataset"
        )
    columns = {a: np.asarray(scenes[a]).astype(str) for a in SHAPE_ATTRIBUTES}
    shapes_ = {columns[a].shape for a in SHAPE_ATTRIBUTES}
    if len(shapes_) != 1 or len(next(iter(shapes_))) != 2:
        raise ValueError(f"scenes' attribute arrays must share one 2-D shape, got {shapes_}")
    n_scenes, slots = next(iter(shapes_))
    out = np.zeros((len(captions), n_scenes), dtype=bool)
    for row, caption in enumerate(captions):
        stated = parse_shapes_caption(caption)
        if len(stated) > slots:
            continue
        # match[k][:, j]: slot j of each scene has every attribute stated of object k
        match = []
        for s in stated:
            ok = np.ones((n_scenes, slots), dtype=bool)
            for attribute, value in s.items():
                ok &= columns[attribute] == value
            match.append(ok)
        for chosen in itertools.permutations(range(slots), len(stated)):
            hit = np.ones(n_scenes, dtype=bool)
            for k, j in enumerate(chosen):
                hit &= match[k][:, j]
            out[row] |= hit
    return out


# --------------------------------------------------------------------------- CCA baseline


@dataclass(frozen=True)
class CanonicalCorrelation:
    """A fitted CCA: two linear maps into a shared space of ``n_components`` numbers.

    Introduced in chapter 8. :meth:`transform_x` and :meth:`transform_y` centre their input
    and project it on the canonical directions, scaling each direction by its canonical
    correlation, so that when two projections are compared by cosine similarity the
    directions on which the modalities agree most count most.
    """

    x_mean: np.ndarray
    x_weights: np.ndarray
    y_mean: np.ndarray
    y_weights: np.ndarray
    correlations: np.ndarray

    def _project(self, data: Any, mean: np.ndarray, weights: np.ndarray, name: str) -> np.ndarray:
        data = check_numeric_array(data, name, ndim=2)
        if data.shape[1] != len(mean):
            raise ValueError(f"{name} must have {len(mean)} columns, got {data.shape[1]}")
        return (data - mean) @ weights * self.correlations

    def transform_x(self, x: Any) -> np.ndarray:
        """Project the first modality: (n, n_components)."""
        return self._project(x, self.x_mean, self.x_weights, "x")

    def transform_y(self, y: Any) -> np.ndarray:
        """Project the second modality: (n, n_components)."""
        return self._project(y, self.y_mean, self.y_weights, "y")


def _inverse_sqrt(covariance: np.ndarray, name: str) -> np.ndarray:
    values, vectors = np.linalg.eigh(covariance)
    if values.min() <= 1e-12 * max(values.max(), 1e-300):
        raise ValueError(
            f"the covariance of {name} is singular: raise regularization above 0 or remove "
            "constant or duplicate columns"
        )
    return (vectors / np.sqrt(values)) @ vectors.T


def fit_cca(
    x: Any, y: Any, n_components: int = 16, *, regularization: float = 0.1
) -> CanonicalCorrelation:
    """Canonical correlation analysis (Hotelling, 1936), regularised as in Hardoon et al. (2004).

    Introduced in chapter 8. Finds directions $a_k$, $b_k$ that make $a_k^\\top x$ and
    $b_k^\\top y$ as correlated as possible, each uncorrelated with the earlier ones: with
    covariances $C_{xx}$, $C_{yy}$, $C_{xy}$ (ridge-regularised by ``regularization`` times
    their mean variance), the singular value decomposition
    $C_{xx}^{-1/2} C_{xy} C_{yy}^{-1/2} = U S V^\\top$ gives $a_k = C_{xx}^{-1/2} u_k$,
    $b_k = C_{yy}^{-1/2} v_k$ and the canonical correlations $S_{kk}$ — exactly so with
    ``regularization=0``, where the directions are those of scikit-learn's iterative
    ``CCA``; the ridge moves both. Closed form, no iterations; x and y are (pairs,
    features).
    """
    x, y = check_numeric_array(x, "x", ndim=2), check_numeric_array(y, "y", ndim=2)
    if len(x) != len(y):
        raise ValueError(f"x and y must be pairs of equal length, got {len(x)} and {len(y)}")
    n_components = check_count(n_components, "n_components")
    if n_components > min(x.shape[1], y.shape[1]):
        raise ValueError(
            f"n_components must be at most the smaller number of features "
            f"({min(x.shape[1], y.shape[1])}), got {n_components}"
        )
    regularization = check_number(regularization, "regularization", minimum=0.0)
    x_mean, y_mean = x.mean(axis=0), y.mean(axis=0)
    xc, yc = x - x_mean, y - y_mean

    def covariance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a.T @ b / len(a)

    whitened = []
    for data, name in ((xc, "x"), (yc, "y")):
        c = covariance(data, data)
        c = c + regularization * np.trace(c) / len(c) * np.eye(len(c))
        whitened.append(_inverse_sqrt(c, name))
    u, s, vt = np.linalg.svd(whitened[0] @ covariance(xc, yc) @ whitened[1])
    return CanonicalCorrelation(
        x_mean=x_mean,
        x_weights=whitened[0] @ u[:, :n_components],
        y_mean=y_mean,
        y_weights=whitened[1] @ vt.T[:, :n_components],
        correlations=s[:n_components],
    )


# --------------------------------------------------------------------------- cross-lingual student


def _check_ngram_range(ngram_range: Any) -> None:
    if (
        not isinstance(ngram_range, tuple)
        or len(ngram_range) != 2
        or not all(isinstance(n, int) and n >= 1 for n in ngram_range)
        or ngram_range[0] > ngram_range[1]
    ):
        raise ValueError(f"ngram_range must be a pair (low, high) of ints, got {ngram_range!r}")


def fit_char_ngrams(texts: Sequence[str], ngram_range: tuple[int, int] = (1, 3)) -> Any:
    """A TF-IDF of the character n-grams within words, fitted on ``texts``.

    Introduced in chapter 8. scikit-learn's ``analyzer="char_wb"`` pads each word with a
    space, so with single characters (which Chinese needs) the space itself would be a
    feature that every text shares; it is left out, as is every n-gram of spaces only, so
    that a text with no known n-gram becomes the zero vector.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = check_texts(texts, "texts", nonempty=True)
    _check_ngram_range(ngram_range)
    settings = {"analyzer": "char_wb", "ngram_range": ngram_range, "sublinear_tf": True}
    grams = TfidfVectorizer(**settings).fit(texts).vocabulary_
    return TfidfVectorizer(**settings, vocabulary=sorted(g for g in grams if g.strip())).fit(texts)


@dataclass(frozen=True)
class CrossLingualStudent:
    """Text encoders for several languages, each mapped into one teacher's shared space.

    Introduced in chapter 8. Per language a character n-gram TF-IDF (``vectorizers``) and a
    linear map (``weights``, features × dimensions) fitted by :func:`fit_crosslingual_student`.
    :meth:`encode` returns unit vectors that are compared with the teacher's image vectors
    like the teacher's own text vectors.
    """

    vectorizers: Mapping[str, Any]
    weights: Mapping[str, np.ndarray]

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the student reads, in the order it was given them."""
        return tuple(self.vectorizers)

    def guess_language(self, texts: Sequence[str]) -> list[str]:
        """Per text, the language whose n-gram vocabulary covers most of its n-grams."""
        texts = check_texts(texts, "texts")
        first = next(iter(self.vectorizers.values()))
        analyzer = first.build_analyzer()  # the same analyser for every language
        grams = np.array([max(len({g for g in analyzer(text) if g.strip()}), 1) for text in texts])
        coverage = np.stack(
            [v.transform(texts).getnnz(axis=1) / grams for v in self.vectorizers.values()]
        )
        return [self.languages[i] for i in coverage.argmax(axis=0)]

    def encode(self, texts: Sequence[str], language: str | None = None) -> np.ndarray:
        """Unit vectors (len(texts), dimensions); ``language=None`` guesses it per text."""
        texts = check_texts(texts, "texts")
        if language is not None and language not in self.vectorizers:
            listed = ", ".join(repr(code) for code in self.languages)
            raise ValueError(f"language must be one of {listed} or None, got {language!r}")
        chosen = [language] * len(texts) if language else self.guess_language(texts)
        dimensions = next(iter(self.weights.values())).shape[1]
        out = np.zeros((len(texts), dimensions))
        for code in set(chosen):
            rows = [i for i, c in enumerate(chosen) if c == code]
            features = self.vectorizers[code].transform([texts[i] for i in rows])
            out[rows] = np.asarray(features @ self.weights[code])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)


def fit_crosslingual_student(
    names: Mapping[str, Sequence[str]],
    teacher_vectors: Any,
    *,
    ngram_range: tuple[int, int] = (1, 3),
    regularization: float = 1.0,
) -> CrossLingualStudent:
    """Teach a text encoder per language to imitate a trained one, from parallel texts.

    Introduced in chapter 8. ``names[language][i]`` is the same item as row ``i`` of
    ``teacher_vectors`` (the trained model's vectors of its own-language texts): a
    **parallel set**. Per language, the texts become TF-IDF vectors of character n-grams
    within words (:func:`fit_char_ngrams`; single characters count, which Chinese needs), and a
    ridge regression $W = X^\\top (X X^\\top + \\lambda I)^{-1} Y$ maps them onto the teacher's
    vectors $Y$ — the distillation of Reimers and Gurevych (2020), linear. Solved in the
    dual (pairs × pairs), which is cheap while pairs are fewer than n-grams.
    """
    import scipy.linalg

    if not isinstance(names, Mapping) or not names:
        raise TypeError("names must be a non-empty dict language -> list of texts")
    teacher = check_numeric_array(teacher_vectors, "teacher_vectors", ndim=2)
    _check_ngram_range(ngram_range)
    regularization = check_positive(regularization, "regularization")
    vectorizers, weights = {}, {}
    for language, texts in names.items():
        language = check_str(language, "a language of names")
        texts = check_texts(texts, f"names[{language!r}]", nonempty=True)
        if len(texts) != len(teacher):
            raise ValueError(
                f"names[{language!r}] must be parallel to teacher_vectors ({len(teacher)} "
                f"rows), got {len(texts)} texts"
            )
        vectorizer = fit_char_ngrams(texts, ngram_range)
        x = vectorizer.transform(texts)
        gram = np.asarray((x @ x.T).todense())
        factor = scipy.linalg.cho_factor(gram + regularization * np.eye(len(texts)))
        dual = scipy.linalg.cho_solve(factor, teacher)  # symmetric positive definite
        vectorizers[language] = vectorizer
        weights[language] = np.asarray(x.T @ dual)
    return CrossLingualStudent(vectorizers=vectorizers, weights=weights)


# --------------------------------------------------------------------------- zero-shot


def zero_shot_classify(
    image_embeddings: Any, prompt_embeddings: Any, prompt_classes: Sequence[int]
) -> np.ndarray:
    """Classify images by the class whose text prompts they are most similar to.

    Introduced in chapter 8. ``prompt_classes[p]`` is the class of prompt ``p``. The prompts
    of a class are averaged (prompt ensembling, as in CLIP) and the image gets the class of
    the most similar average; no classifier is trained. Returns class ids (len(images),).
    """
    images = check_numeric_array(image_embeddings, "image_embeddings", ndim=2)
    prompts = check_numeric_array(prompt_embeddings, "prompt_embeddings", ndim=2)
    classes = np.asarray(prompt_classes)
    if classes.shape != (len(prompts),) or not np.issubdtype(classes.dtype, np.integer):
        raise ValueError(
            f"prompt_classes must hold one int class id per prompt ({len(prompts)}), got "
            f"{classes.shape} of dtype {classes.dtype}"
        )
    if classes.min() < 0:
        raise ValueError("prompt_classes must be class ids >= 0")
    n_classes = int(classes.max()) + 1
    missing = sorted(set(range(n_classes)) - set(classes.tolist()))
    if missing:
        raise ValueError(f"every class needs at least one prompt; class {missing[0]} has none")
    unit = prompts / np.linalg.norm(prompts, axis=1, keepdims=True)
    centroids = np.stack([unit[classes == c].mean(axis=0) for c in range(n_classes)])
    return similarity_matrix(images, centroids).argmax(axis=1)


# --------------------------------------------------------------------------- figures and widgets


def show_retrievals(
    queries: Sequence[str],
    images: np.ndarray,
    top: Any,
    correct: Any,
    *,
    captions: Sequence[Sequence[str]] | None = None,
    size: float = 1.15,
):
    """A figure: one row per text query with its top-K images, wrong ones framed in red.

    Introduced in chapter 8. ``top[q]`` lists the gallery indices retrieved for query
    ``q`` (best first) and ``correct[q, r]`` says whether the r-th of them is right;
    ``captions[q][r]`` (optional) is written under each image. Returns the figure.
    """
    import matplotlib.pyplot as plt

    queries = check_texts(queries, "queries")
    images = check_images(images)
    size = check_positive(size, "size")
    if captions is not None:
        if isinstance(captions, str) or len(captions) != len(queries):
            raise ValueError(f"captions must have one list of str per query ({len(queries)})")
        captions = [check_texts(row, f"captions[{q}]") for q, row in enumerate(captions)]
    top, correct = np.asarray(top), np.asarray(correct)
    if top.ndim != 2 or top.shape[0] != len(queries):
        raise ValueError(
            f"top must have one row of indices per query ({len(queries)}), got {top.shape}"
        )
    if correct.shape != top.shape or correct.dtype != bool:
        raise ValueError(f"correct must be a boolean array of shape {top.shape}")
    if not np.issubdtype(top.dtype, np.integer) or top.min() < 0 or top.max() >= len(images):
        raise ValueError(f"top must hold indices into images (0 to {len(images) - 1})")
    rows, k = top.shape
    fig, axes = plt.subplots(
        rows,
        k + 1,
        figsize=((k + 2.2) * size, rows * size * (1.2 if captions is None else 1.55)),
        squeeze=False,
        gridspec_kw={"width_ratios": [2.2] + [1] * k},
    )
    for q in range(rows):
        axes[q, 0].axis("off")
        axes[q, 0].text(
            1.0,
            0.5,
            "\n".join(_wrap(queries[q], 26)),
            ha="right",
            va="center",
            fontsize=8,
            transform=axes[q, 0].transAxes,
        )
        for r in range(k):
            ax = axes[q, r + 1]
            ax.imshow(images[top[q, r]].squeeze(), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            colour = "#1b7f3b" if correct[q, r] else "#d62728"
            for spine in ax.spines.values():
                spine.set_color(colour)
                spine.set_linewidth(1.5 if correct[q, r] else 3.0)
            label = f"{r + 1}" + ("" if correct[q, r] else " ✗")
            if captions is not None:
                label += "\n" + "\n".join(_wrap(captions[q][r], 16)[:2])
            ax.set_title(label, fontsize=7, color=colour)
    fig.tight_layout()
    return fig


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [""]


def search_box(
    images: np.ndarray,
    search: Callable[[str], Any],
    queries: Sequence[str],
    *,
    k: int = 5,
    captions: Sequence[str] | None = None,
    judge: Callable[[str], Any] | None = None,
    title: str = "Search the images with text",
    display_px: int = 64,
):
    """A text search box over a gallery of images: live in Jupyter, pre-rendered on the web.

    Introduced in chapter 8. ``search(text)`` returns one similarity score per gallery
    image. The widget has two parts. A menu of ``queries`` whose top-``k`` results are
    rendered in advance and linked in the browser (``jslink``), so it works on the static
    website; and a text box that runs ``search`` on whatever is typed — this needs a
    running Python kernel (Jupyter, Colab), and on the website shows the first query.
    ``captions[i]`` (optional) is shown under gallery image i. ``judge(text)`` (optional)
    returns one bool per gallery image saying whether it is right for the text, or None
    when it cannot tell; wrong results are then marked ✗.
    """
    import ipywidgets as widgets

    from crossmodal_helpers.widgets import pages, panel, picture, show_page, to_png

    images = check_images(images, name="images")
    if len(images) == 0:
        raise ValueError("images must contain at least one image, got 0")
    if not callable(search):
        raise TypeError(f"search must be a function text -> scores, got {type(search).__name__}")
    queries = check_texts(queries, "queries")
    if not queries or len(set(queries)) != len(queries):
        raise ValueError("queries must be a non-empty list of distinct texts (the menu)")
    k = check_count(k, "k")
    if k > len(images):
        raise ValueError(f"k must be at most the number of images ({len(images)}), got {k}")
    if captions is not None:
        captions = check_texts(captions, "captions", per_image=len(images))
    if judge is not None and not callable(judge):
        raise TypeError(f"judge must be a function text -> verdicts, got {type(judge).__name__}")
    title = check_str(title, "title")
    scale = max(1, check_count(display_px, "display_px") // max(images.shape[1:3]))

    def results(text: str) -> list[tuple[int, float, str]]:
        scores = np.asarray(search(text), dtype=float).reshape(-1)
        if scores.shape != (len(images),):
            raise ValueError(
                f"search must return one score per image ({len(images)}), got {scores.shape}"
            )
        verdicts = judge(text) if judge is not None else None
        if verdicts is not None and np.shape(verdicts) != (len(images),):
            raise ValueError(
                f"judge must return one bool per image ({len(images)}) or None, got shape "
                f"{np.shape(verdicts)}"
            )
        found = []
        for i in np.argsort(-scores, kind="stable")[:k]:
            wrong = verdicts is not None and not verdicts[i]
            note = f"<b>{scores[i]:.2f}</b>" + (" ✗" if wrong else "")
            if captions is not None:
                note += f"<br><span style='font-size:80%'>{html.escape(captions[i])}</span>"
            note = f"<div style='line-height:1.25'>{note}</div>"
            found.append((int(i), float(scores[i]), note))
        return found

    def tile(i: int, note: str) -> Any:
        about = f": {captions[i]}" if captions is not None else ""
        shown_image = picture(to_png(images[i], scale), f"result, gallery image #{i}{about}")
        layout = widgets.Layout(width=f"{max(display_px, 96) + 8}px")
        return widgets.VBox([shown_image, widgets.HTML(note)], layout=layout)

    shown = pages(
        [widgets.HBox([tile(i, note) for i, _, note in results(q)]) for q in queries], queries
    )
    wide = widgets.Layout(width="480px")
    menu = widgets.Dropdown(
        options=[(q, i) for i, q in enumerate(queries)], value=0, description="query", layout=wide
    )
    show_page(menu, shown)

    box = widgets.Text(value=queries[0], description="search", continuous_update=False, layout=wide)
    live = widgets.HBox([tile(i, note) for i, _, note in results(queries[0])])

    def on_change(change: dict) -> None:
        text = change["new"].strip()
        if text:
            live.children = [tile(i, note) for i, _, note in results(text)]

    box.observe(on_change, names="value")
    return panel(
        f"<b>{html.escape(title)}</b>: top {k} images per query",
        widgets.HTML("Pre-rendered queries (work everywhere):"),
        menu,
        shown,
        widgets.HTML("Type your own query and press Enter (needs a running kernel):"),
        box,
        live,
    )
