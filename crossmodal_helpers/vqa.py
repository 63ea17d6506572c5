"""Visual question answering on shapes scenes: questions, balanced answers, models.

Introduced in chapter 12. A question about a scene of chapter 1's shapes data set is
generated from the scene's own record (each object's shape, colour and grid cell), so its
answer is known exactly. Three types of question, six templates::

    attribute  what colour is the <shape>?                 -> a colour
               what shape is the <colour> object?          -> a shape
               what colour is the object left of the <shape>?   (also right of, above, below)
    count      how many <shape>s are there?                -> 0, 1 or 2
               how many <colour> objects are there?        -> 0, 1 or 2
    exist      is there a <colour> <shape>?                -> yes or no

A question is asked only when its answer is unique (one circle in the scene for "what
colour is the circle?", one object left of it for the relation). :func:`make_questions`
then **balances** the answers of every template: it keeps the same number of questions for
each answer, so that the question alone says nothing about its answer (the language prior
of Goyal et al., 2017, removed by construction). :func:`answer_shares` measures how strong
that prior is before balancing.

Every model has the MultiBench parts of chapter 4 — encoders, a fusion, a head. The scene
encoder is pretrained and frozen: :func:`build_cell_encoder` and
:func:`build_cell_classifier` learn to name the colour and shape in each cell of the 3×3
grid (:func:`split_cells`, :func:`cell_labels`), and :func:`region_features` turns a scene
into nine region vectors. :func:`build_question_encoder` averages word embeddings.
:func:`build_vqa_model` fuses them with ``"concat"``, ``"film"`` (:class:`fusion.FiLM`) or
``"cross_attention"`` (:class:`QuestionToRegions`); :func:`build_question_only_model` and
:func:`build_image_only_model` are the two baselines, and :func:`accuracy_gap` compares two
models on the same questions with a paired bootstrap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from keras import ops

from crossmodal_helpers._checks import (
    check_count,
    check_images,
    check_numeric_array,
    check_width,
)
from crossmodal_helpers._types import Shape, Tensor
from crossmodal_helpers.datasets.shapes import COLORS, POSITIONS, SHAPES
from crossmodal_helpers.fusion import FiLM, build_head

#: The three question types. Introduced in chapter 12.
QUESTION_TYPES = ("attribute", "count", "exist")
#: Template name -> question type. Introduced in chapter 12.
TEMPLATES: dict[str, str] = {
    "colour_of_shape": "attribute",
    "shape_of_colour": "attribute",
    "colour_by_relation": "attribute",
    "count_shape": "count",
    "count_colour": "count",
    "exist": "exist",
}
#: Relations: word(s) in the question -> test on (row, column) of object minus reference.
RELATIONS = ("left of", "right of", "above", "below")
#: Counts a count question can have as its answer (a count of 3 is rare and never asked).
COUNTS = ("0", "1", "2")
#: Every answer, in the order of the models' softmax. Introduced in chapter 12.
ANSWERS: tuple[str, ...] = (*COLORS, *SHAPES, *COUNTS, "yes", "no")
#: The longest question, in words ("what colour is the object left of the triangle").
MAX_QUESTION_LENGTH = 9
#: The fusions :func:`build_vqa_model` knows. Introduced in chapter 12.
VQA_FUSIONS = ("concat", "film", "cross_attention")


def _plural(shape: str) -> str:
    return shape + ("es" if shape.endswith("s") else "s")


def question_vocabulary() -> list[str]:
    """Every word a generated question can use, sorted, after ``"[PAD]"`` (id 0).

    Introduced in chapter 12.
    """
    words = {"what", "colour", "is", "the", "shape", "object", "how", "many", "are", "there", "a"}
    words |= set(COLORS) | set(SHAPES) | {_plural(s) for s in SHAPES} | {"objects"}
    words |= {w for relation in RELATIONS for w in relation.split()}
    return ["[PAD]", *sorted(words)]


def _relation_holds(relation: str, obj: tuple[int, int], ref: tuple[int, int]) -> bool:
    (row, col), (ref_row, ref_col) = obj, ref
    return {
        "left of": col < ref_col,
        "right of": col > ref_col,
        "above": row < ref_row,
        "below": row > ref_row,
    }[relation]


def scene_questions(objects: Sequence[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """Every question with a unique answer about one scene: (template, question, answer).

    Introduced in chapter 12. ``objects`` are a scene's objects as in
    ``meta["scene"][i]["objects"]`` (dicts with ``shape``, ``color`` and ``position``).
    Relations compare grid cells as CLEVR does (Johnson et al., 2017): "left of the square"
    means in a column left of the square's, in any row.
    """
    if not isinstance(objects, Sequence) or not all(isinstance(o, dict) for o in objects):
        raise TypeError("objects must be a list of dicts, as in meta['scene'][i]['objects']")
    for o in objects:
        if not {"shape", "color", "position"} <= set(o):
            raise ValueError("each object needs 'shape', 'color' and 'position'")
    shapes = [o["shape"] for o in objects]
    colours = [o["color"] for o in objects]
    cells = [divmod(POSITIONS.index(o["position"]), 3) for o in objects]
    out: list[tuple[str, str, str]] = []
    for j, obj in enumerate(objects):
        if shapes.count(obj["shape"]) == 1:
            out.append(("colour_of_shape", f"what colour is the {obj['shape']}", obj["color"]))
            for relation in RELATIONS:
                hits = [
                    k for k in range(len(objects)) if _relation_holds(relation, cells[k], cells[j])
                ]
                if len(hits) == 1:
                    out.append(
                        (
                            "colour_by_relation",
                            f"what colour is the object {relation} the {obj['shape']}",
                            colours[hits[0]],
                        )
                    )
        if colours.count(obj["color"]) == 1:
            out.append(
                ("shape_of_colour", f"what shape is the {obj['color']} object", obj["shape"])
            )
    for shape in SHAPES:
        count = shapes.count(shape)
        if count < len(COUNTS):
            out.append(("count_shape", f"how many {_plural(shape)} are there", str(count)))
    for colour in COLORS:
        count = colours.count(colour)
        if count < len(COUNTS):
            out.append(("count_colour", f"how many {colour} objects are there", str(count)))
    present = set(zip(colours, shapes, strict=True))
    for colour in COLORS:
        for shape in SHAPES:
            answer = "yes" if (colour, shape) in present else "no"
            out.append(("exist", f"is there a {colour} {shape}", answer))
    return out


@dataclass(frozen=True)
class Questions:
    """Questions about the scenes of one split. Introduced in chapter 12.

    One row per question: ``texts`` (the question), ``scene`` (index of its scene in the
    split), ``answers`` (ids into :data:`ANSWERS`), ``templates`` and ``types``.
    """

    texts: list[str]
    scene: np.ndarray
    answers: np.ndarray
    templates: np.ndarray
    types: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)

    def token_ids(self) -> np.ndarray:
        """The questions as word ids (:func:`question_vocabulary`), padded with 0 to
        :data:`MAX_QUESTION_LENGTH`."""
        return encode_questions(self.texts)


def encode_questions(texts: Sequence[str]) -> np.ndarray:
    """Word ids of questions, (N, :data:`MAX_QUESTION_LENGTH`), padded with 0 at the end.

    Introduced in chapter 12. Raises a ``ValueError`` naming a word outside
    :func:`question_vocabulary` or a question that is too long.
    """
    if isinstance(texts, str) or not isinstance(texts, Sequence):
        raise TypeError("texts must be a list of questions (str)")
    lookup = {w: i for i, w in enumerate(question_vocabulary())}
    ids = np.zeros((len(texts), MAX_QUESTION_LENGTH), dtype=np.int64)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts must hold str, got {type(text).__name__} at index {i}")
        words = text.split()
        if len(words) > MAX_QUESTION_LENGTH:
            raise ValueError(
                f"question {i} has {len(words)} words, more than {MAX_QUESTION_LENGTH}"
            )
        unknown = [w for w in words if w not in lookup or w == "[PAD]"]
        if unknown:
            raise ValueError(f"question {i} has words outside the vocabulary: {unknown}")
        ids[i, : len(words)] = [lookup[w] for w in words]
    return ids


def _scene_objects(dataset: Any) -> list[list[dict[str, Any]]]:
    meta = getattr(dataset, "meta", None)
    if getattr(dataset, "name", None) != "shapes" or meta is None or "scene" not in meta:
        raise TypeError(
            'dataset must be a shapes data set (datasets.load("shapes", ...)), '
            f"got {type(dataset).__name__}"
        )
    return [scene["objects"] for scene in meta["scene"]]


def all_questions(dataset: Any) -> Questions:
    """Every question with a unique answer about every scene of ``dataset``, unbalanced.

    Introduced in chapter 12. This is the natural distribution of questions: most
    existence questions are answered "no", most count questions "0".
    """
    rows = [
        (i, template, text, answer)
        for i, objects in enumerate(_scene_objects(dataset))
        for template, text, answer in scene_questions(objects)
    ]
    return _questions(rows)


def _questions(rows: Sequence[tuple[int, str, str, str]]) -> Questions:
    templates = np.array([r[1] for r in rows], dtype=object)
    return Questions(
        texts=[r[2] for r in rows],
        scene=np.array([r[0] for r in rows], dtype=np.int64),
        answers=np.array([ANSWERS.index(r[3]) for r in rows], dtype=np.int64),
        templates=templates,
        types=np.array([TEMPLATES[t] for t in templates], dtype=object),
    )


def make_questions(dataset: Any, *, per_template: int = 600, seed: int = 0) -> Questions:
    """Balanced questions about the scenes of ``dataset``. Introduced in chapter 12.

    From :func:`all_questions`, every template keeps ``per_template // k`` questions for
    each of its ``k`` answers (fewer, the same for all its answers, if its rarest answer
    has fewer), drawn at random without replacement. Within a template, then, every answer
    is equally likely, and a model that reads only the question can do no better than
    chance.
    Returned in a random order.
    """
    per_template = check_count(per_template, "per_template")
    rng = np.random.default_rng(check_count(seed, "seed", minimum=0))
    pool = all_questions(dataset)
    keep: list[np.ndarray] = []
    for template in TEMPLATES:
        in_template = pool.templates == template
        answers = np.unique(pool.answers[in_template])
        groups = [np.flatnonzero(in_template & (pool.answers == a)) for a in answers]
        take = min(per_template // len(groups), *(len(g) for g in groups))
        keep += [rng.choice(g, size=take, replace=False) for g in groups]
    order = rng.permutation(np.concatenate(keep))
    return Questions(
        texts=[pool.texts[i] for i in order],
        scene=pool.scene[order],
        answers=pool.answers[order],
        templates=pool.templates[order],
        types=pool.types[order],
    )


def answer_shares(questions: Questions) -> dict[str, float]:
    """Per template, the share of its most frequent answer (what a prior alone scores).

    Introduced in chapter 12. On balanced questions each share is 1 / (number of answers).
    """
    if not isinstance(questions, Questions):
        raise TypeError(f"questions must be a vqa.Questions, got {type(questions).__name__}")
    shares = {}
    for template in TEMPLATES:
        answers = questions.answers[questions.templates == template]
        if len(answers):
            shares[template] = float(np.bincount(answers).max() / len(answers))
    return shares


def accuracy_by_type(correct: Any, types: Any) -> dict[str, float]:
    """Accuracy overall (key ``"overall"``) and per question type. Introduced in chapter 12.

    ``correct`` holds one 0/1 (or bool) per question, ``types`` its type.
    """
    correct = check_numeric_array(correct, "correct", ndim=1)
    types = np.asarray(types)
    if types.shape != correct.shape:
        raise ValueError(
            f"types must have one entry per question ({len(correct)}), got shape {types.shape}"
        )
    out = {"overall": float(correct.mean())}
    for kind in QUESTION_TYPES:
        chosen = types == kind
        if chosen.any():
            out[kind] = float(correct[chosen].mean())
    return out


# --------------------------------------------------------------------------- encoders


def build_question_encoder(
    vocab_size: int,
    *,
    embedding: int = 32,
    units: int = 64,
    max_length: int = MAX_QUESTION_LENGTH,
    name: str = "question_encoder",
) -> keras.Model:
    """Question word ids to one vector: the mean of the word embeddings, then a dense layer.

    Introduced in chapter 12; it is chapter 2's averaged-embedding encoder. Input
    ``question`` (batch, max_length) int ids, 0 = padding (left out of the mean). A mean
    forgets the word order, which the generated questions never need: no two templates
    use the same words in another order.
    """
    from crossmodal_helpers.attention import MaskedMean

    vocab_size = check_count(vocab_size, "vocab_size", minimum=2)
    embedding = check_width(embedding, "embedding")
    units = check_width(units, "units")
    max_length = check_count(max_length, "max_length")
    question = keras.Input(shape=(max_length,), dtype="int64", name="question")
    x = keras.layers.Embedding(vocab_size, embedding, mask_zero=True, name="word_embedding")(
        question
    )
    x = MaskedMean(name="mean_of_words")(x)
    x = keras.layers.Dense(units, activation="relu", name="question_vector")(x)
    return keras.Model(question, x, name=name)


def _check_grid(image_size: int, grid: int) -> int:
    """The side of one grid cell in pixels, checked (at least 8, a multiple of 4)."""
    if image_size % grid or (image_size // grid) % 4 or image_size // grid < 8:
        raise ValueError(
            f"image_size ({image_size}) must split into grid × grid ({grid}) cells whose side "
            "is a multiple of 4 pixels and at least 8"
        )
    return image_size // grid


def split_cells(images: np.ndarray, grid: int = 3) -> np.ndarray:
    """Cut scenes into their ``grid``×``grid`` cells, row by row: (N · grid², p, p, C).

    Introduced in chapter 12. A shapes scene puts each object inside one cell of a 3×3
    grid, so at ``grid=3`` every cell holds at most one whole object.
    """
    images = check_images(images)
    grid = check_count(grid, "grid")
    n, height, width, channels = images.shape
    if height != width:
        raise ValueError(f"images must be square, got {height}×{width}")
    side = _check_grid(height, grid)
    cells = images.reshape(n, grid, side, grid, side, channels).transpose(0, 1, 3, 2, 4, 5)
    return cells.reshape(n * grid * grid, side, side, channels)


def cell_labels(dataset: Any) -> tuple[np.ndarray, np.ndarray]:
    """Colour and shape of the object in each of a scene's 9 cells: two (N, 9) int arrays.

    Introduced in chapter 12. 0 means an empty cell; colour ``c`` is ``COLORS[c - 1]`` and
    shape ``s`` is ``SHAPES[s - 1]``. These are the targets the scene encoder is
    pretrained on (:func:`build_cell_classifier`), as real VQA systems start from a
    vision model pretrained to recognise objects.
    """
    objects = _scene_objects(dataset)
    colour = np.zeros((len(objects), len(POSITIONS)), dtype=np.int64)
    shape = np.zeros_like(colour)
    for i, scene in enumerate(objects):
        for obj in scene:
            cell = POSITIONS.index(obj["position"])
            colour[i, cell] = COLORS.index(obj["color"]) + 1
            shape[i, cell] = SHAPES.index(obj["shape"]) + 1
    return colour, shape


def build_cell_encoder(
    cell_size: int = 16, *, units: int = 32, name: str = "cell_encoder"
) -> keras.Model:
    """A small CNN from one grid cell to a vector of ``units`` numbers.

    Introduced in chapter 12. A convolution with kernel and stride ``cell_size / 4``
    (16 filters, a patch embedding), a 2×2 convolution with stride 2 (32 filters), both
    ReLU, then a dense ReLU layer.
    """
    cell_size = check_count(cell_size, "cell_size", minimum=8, maximum=4096)
    if cell_size % 4:
        raise ValueError(f"cell_size must be a multiple of 4, got {cell_size}")
    units = check_width(units, "units")
    layers = keras.layers
    cell = keras.Input(shape=(cell_size, cell_size, 3), name="cell")
    x = layers.Conv2D(16, cell_size // 4, strides=cell_size // 4, activation="relu", name="conv1")(
        cell
    )
    x = layers.Conv2D(32, 2, strides=2, activation="relu", name="conv2")(x)
    x = layers.Dense(units, activation="relu", name="cell_vector")(layers.Flatten()(x))
    return keras.Model(cell, x, name=name)


def build_cell_classifier(encoder: keras.Model) -> keras.Model:
    """The pretraining model: ``encoder`` + two softmax heads, ``colour`` (7 classes) and
    ``shape`` (6), class 0 = empty cell (:func:`cell_labels`). Introduced in chapter 12."""
    if not isinstance(encoder, keras.Model):
        raise TypeError(f"encoder must be a keras.Model, got {type(encoder).__name__}")
    cell = keras.Input(shape=tuple(encoder.inputs[0].shape[1:]), name="cell")
    vector = encoder(cell)
    colour = keras.layers.Dense(len(COLORS) + 1, activation="softmax", name="colour")(vector)
    shape = keras.layers.Dense(len(SHAPES) + 1, activation="softmax", name="shape")(vector)
    return keras.Model(cell, {"colour": colour, "shape": shape}, name="cell_classifier")


def region_features(encoder: keras.Model, images: np.ndarray, grid: int = 3) -> np.ndarray:
    """Frozen region vectors of scenes: (N, grid, grid, units + 2).

    Introduced in chapter 12. ``encoder`` (:func:`build_cell_encoder`) turns every cell into
    a vector; two channels with the cell's x and y in [-1, 1] are appended, because
    questions about "left of" and "above" need positions (FiLM appends such coordinate
    maps for the same reason, Perez et al., 2018).
    """
    if not isinstance(encoder, keras.Model):
        raise TypeError(f"encoder must be a keras.Model, got {type(encoder).__name__}")
    cells = split_cells(images, grid)
    n = len(cells) // (grid * grid)
    out = encoder.predict(cells, batch_size=1024, verbose=0)
    if isinstance(out, dict):  # a cell classifier: its colour and shape probabilities
        out = np.concatenate([out[key] for key in sorted(out)], axis=-1)
    vectors = np.asarray(out).reshape(n, grid, grid, -1)
    line = np.linspace(-1.0, 1.0, grid, dtype=np.float32)
    xs, ys = np.meshgrid(line, line)
    coords = np.broadcast_to(np.stack([xs, ys], axis=-1), (n, grid, grid, 2))
    return np.concatenate([vectors.astype(np.float32), coords], axis=-1)


# --------------------------------------------------------------------------- fusions


@keras.saving.register_keras_serializable(package="crossmodal_helpers")
class QuestionToRegions(keras.layers.Layer):
    """Cross-attention: each question word attends over the image regions.

    Introduced in chapter 12. Called on ``[words, regions, question]``: word vectors
    (batch, L, d) with padding mask ``mask`` (batch, L), region vectors (batch, R, c) and
    the question vector (batch, q). Each word is a query over the regions
    (``keras.layers.MultiHeadAttention``); the words' contexts are averaged over the real
    (non-padding) words and concatenated with the question vector.
    """

    def __init__(self, units: int = 64, num_heads: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = check_width(units, "units")
        self.num_heads = check_count(num_heads, "num_heads", maximum=self.units)
        if self.units % self.num_heads:
            raise ValueError(f"units ({units}) must be divisible by num_heads ({num_heads})")
        self.attention = keras.layers.MultiHeadAttention(
            self.num_heads, self.units // self.num_heads, name="word_to_region"
        )
        self.supports_masking = True  # reads the words' padding mask; passes none on

    def build(self, input_shape: list[Shape]) -> None:
        words, regions, _ = input_shape
        self.attention.build(tuple(words), tuple(regions))

    def weights_of(self, words: Tensor, regions: Tensor) -> Tensor:
        """Attention weights (batch, heads, L, R) of every word over the regions."""
        _, scores = self.attention(words, regions, return_attention_scores=True)
        return scores

    def call(self, inputs: Sequence[Tensor], mask: Tensor | None = None) -> Tensor:
        words, regions, question = inputs
        if isinstance(mask, (list, tuple)):  # Keras passes one mask per input
            mask = mask[0]
        context = self.attention(words, regions)
        real = ops.cast(mask, context.dtype)[..., None] if mask is not None else None
        if real is None:
            pooled = ops.mean(context, axis=1)
        else:
            pooled = ops.sum(context * real, axis=1) / ops.maximum(ops.sum(real, axis=1), 1.0)
        return ops.concatenate([pooled, question], axis=-1)

    def compute_mask(self, inputs: Sequence[Tensor], mask: Any = None) -> None:
        return None

    def compute_output_shape(self, input_shape: list[Shape]) -> tuple[int | None, ...]:
        words, _, question = input_shape
        return (words[0], words[-1] + question[-1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units, "num_heads": self.num_heads}


def _inputs(region_shape: Sequence[int]) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    regions = keras.Input(shape=tuple(region_shape), name="regions")
    question = keras.Input(shape=(MAX_QUESTION_LENGTH,), dtype="int64", name="question")
    return regions, question


def _check_region_shape(region_shape: Any) -> tuple[int, int, int]:
    if not isinstance(region_shape, (tuple, list)) or len(region_shape) != 3:
        raise ValueError(
            f"region_shape must be (grid, grid, features) as region_features gives, got "
            f"{region_shape!r}"
        )
    return tuple(check_count(s, "each entry of region_shape") for s in region_shape)


def _image_vector(regions: Tensor, units: int) -> Tensor:
    x = keras.layers.Flatten(name="regions_flat")(regions)
    return keras.layers.Dense(units, activation="relu", name="image_vector")(x)


def build_vqa_model(
    fusion: str,
    region_shape: Sequence[int],
    *,
    units: int = 64,
    hidden: int = 128,
    film_blocks: int = 2,
    name: str | None = None,
) -> keras.Model:
    """A VQA model: region vectors + question encoder + ``fusion`` + head.

    Introduced in chapter 12. Inputs ``[regions, question]``: the frozen region vectors of
    :func:`region_features`, shape ``region_shape`` per scene, and the word ids of
    :meth:`Questions.token_ids`; output a softmax over :data:`ANSWERS`. The fusions:

    - ``"concat"``: the regions are flattened to an image vector (dense, ``units``) and
      concatenated with the question vector (:class:`fusion.ConcatFusion`);
    - ``"film"``: ``film_blocks`` residual blocks, each a 3×3 convolution over the grid of
      regions whose feature maps the question scales and shifts (:class:`fusion.FiLM`),
      then flattened to an image vector as in "concat";
    - ``"cross_attention"``: every question word attends over the regions
      (:class:`QuestionToRegions`).

    The head is chapter 4's :func:`~crossmodal_helpers.fusion.build_head` with ``hidden`` units.
    """
    from crossmodal_helpers.fusion import ConcatFusion

    if not isinstance(fusion, str) or fusion not in VQA_FUSIONS:
        raise ValueError(f"fusion must be one of {', '.join(VQA_FUSIONS)}, got {fusion!r}")
    region_shape = _check_region_shape(region_shape)
    units = check_width(units, "units")
    hidden = check_width(hidden, "hidden")
    film_blocks = check_count(film_blocks, "film_blocks")
    vocabulary = question_vocabulary()
    question_encoder = build_question_encoder(len(vocabulary), units=units)
    regions, question = _inputs(region_shape)
    q = question_encoder(question)
    layers = keras.layers
    if fusion == "concat":
        fused = ConcatFusion(name="concat_fusion")([_image_vector(regions, units), q])
    elif fusion == "film":
        x = layers.Conv2D(units // 2, 1, activation="relu", name="film_in")(regions)
        for b in range(film_blocks):
            h = layers.Conv2D(units // 2, 3, padding="same", name=f"film_conv{b + 1}")(x)
            h = FiLM(name=f"film{b + 1}")([h, q])
            x = layers.Add(name=f"film_residual{b + 1}")([x, layers.ReLU()(h)])
        pooled = [
            layers.GlobalAveragePooling2D(name="film_mean")(x),
            layers.GlobalMaxPooling2D(name="film_max")(x),
        ]
        fused = ConcatFusion(name="film_and_question")([*pooled, q])
    else:
        cells = region_shape[0] * region_shape[1]
        flat = layers.Reshape((cells, region_shape[2]), name="region_list")(regions)
        keys = layers.Dense(units, name="region_vectors")(flat)
        embed = layers.Embedding(len(vocabulary), units, mask_zero=True, name="query_words")
        positions = layers.Embedding(MAX_QUESTION_LENGTH, units, name="word_positions")
        words = embed(question) + positions(ops.arange(MAX_QUESTION_LENGTH))[None]
        fused = QuestionToRegions(units, name="question_to_regions")(
            [words, keys, q], mask=ops.not_equal(question, 0)
        )
    head = build_head(len(ANSWERS), hidden=hidden, dropout=0.1)
    return keras.Model([regions, question], head(fused), name=name or f"vqa_{fusion}")


def build_question_only_model(*, units: int = 64, hidden: int = 128) -> keras.Model:
    """The question-only baseline: question encoder + head, no image. Introduced in chapter 12.

    Input ``question``. Whatever it gets right, it gets from the language prior.
    """
    units = check_width(units, "units")
    encoder = build_question_encoder(len(question_vocabulary()), units=units)
    head = build_head(len(ANSWERS), hidden=check_width(hidden, "hidden"), dropout=0.1)
    question = keras.Input(shape=(MAX_QUESTION_LENGTH,), dtype="int64", name="question")
    return keras.Model(question, head(encoder(question)), name="question_only")


def build_image_only_model(
    region_shape: Sequence[int], *, units: int = 64, hidden: int = 128
) -> keras.Model:
    """The image-only baseline: region vectors + head, no question. Introduced in chapter 12.

    Input ``regions``. It can only answer with what is likely for the scene, whatever is
    asked.
    """
    region_shape = _check_region_shape(region_shape)
    units = check_width(units, "units")
    regions = keras.Input(shape=region_shape, name="regions")
    head = build_head(len(ANSWERS), hidden=check_width(hidden, "hidden"), dropout=0.1)
    return keras.Model(regions, head(_image_vector(regions, units)), name="image_only")


def accuracy_gap(correct_a: Any, correct_b: Any, *, seed: int = 0) -> tuple[float, float, float]:
    """Accuracy of a minus accuracy of b on the same questions, with a 95% paired bootstrap
    interval: ``(gap, low, high)``. Introduced in chapter 12.

    Both models are scored on the same resampled questions, so the difficulty of the
    questions, which they share, cancels out of the gap.
    """
    from crossmodal_helpers.challenges import bootstrap_interval

    a = check_numeric_array(correct_a, "correct_a", ndim=1)
    b = check_numeric_array(correct_b, "correct_b", ndim=1)
    if a.shape != b.shape:
        raise ValueError(
            f"correct_a and correct_b must score the same questions, got {len(a)} and {len(b)}"
        )
    difference = a - b
    low, high = bootstrap_interval(difference, seed=check_count(seed, "seed", minimum=0))
    return float(difference.mean()), low, high
