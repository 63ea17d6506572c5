"""Case study on image–caption reports: entities, grounding and inconsistency detection.

Introduced in chapter 9. The chapter builds a **modular cross-modal checker** for the
``shapes`` reports of chapter 1: a sequence tagger (chapter 2) reads which attributes a
caption states, a small CNN reads the colour, shape and size of whatever stands in each
cell of the image's 3×3 grid, and the two readings are compared. The pieces kept here:

- token and tag encoding for the tagger, entity spans and span-level entity F1;
- per-cell attribute targets and the per-cell attribute CNN;
- parsing a tagged caption into its mentions, scoring a caption's consistency with the
  image, and localising a mention in the grid;
- the base-rate arithmetic of a detector (precision from recall, false-positive rate and
  prevalence).

Keras is imported inside :func:`build_cell_attribute_model`, so importing this module is
cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from crossmodal_helpers._checks import (
    check_allocation,
    check_count,
    check_fraction,
    check_numeric_array,
    check_texts,
    check_width,
)
from crossmodal_helpers.datasets.shapes import (
    COLORS,
    PHRASE_TO_VALUE,
    POSITIONS,
    SHAPES,
    SIZES,
    TAG_OF,
    TAGS,
)

#: Attributes the cell CNN reads, with their values; index ``len(values)`` means "empty cell".
#: Introduced in chapter 9.
CELL_ATTRIBUTES: dict[str, tuple[str, ...]] = {"color": COLORS, "shape": SHAPES, "size": SIZES}
#: The grid the scenes are laid out on (3×3 cells). Introduced in chapter 9.
GRID = 3
#: Vocabulary entries for padding (id 0) and unknown words (id 1). Introduced in chapter 9.
PAD, UNKNOWN = "[PAD]", "[UNK]"
_ATTRIBUTE_OF_TAG = {tag: attribute for attribute, tag in TAG_OF.items()}


# --------------------------------------------------------------------------- checks


def _check_tag_lists(tag_lists: Any, name: str) -> list[list[str]]:
    if isinstance(tag_lists, str) or not isinstance(tag_lists, (Sequence, np.ndarray)):
        raise TypeError(f"{name} must be a list of tag lists, got {type(tag_lists).__name__}")
    out = []
    for i, tags in enumerate(tag_lists):
        if isinstance(tags, str) or not isinstance(tags, (Sequence, np.ndarray)):
            raise TypeError(f"{name}[{i}] must be a list of tags, got {type(tags).__name__}")
        unknown = sorted({str(t) for t in tags} - set(TAGS))
        if unknown:
            raise ValueError(f"{name}[{i}] has unknown tags {unknown}; tags are {TAGS}")
        out.append([str(t) for t in tags])
    return out


def _check_mentions(mentions: Any) -> list[list[dict[str, str]]]:
    if isinstance(mentions, (str, dict)) or not isinstance(mentions, (Sequence, np.ndarray)):
        raise TypeError(f"mentions must be a list (one per report), got {type(mentions).__name__}")
    known = {**CELL_ATTRIBUTES, "position": POSITIONS}
    out = []
    for i, report in enumerate(mentions):
        if isinstance(report, (str, dict)) or not isinstance(report, (Sequence, np.ndarray)):
            raise TypeError(f"mentions[{i}] must be a list of dicts, got {type(report).__name__}")
        for mention in report:
            if not isinstance(mention, dict):
                raise TypeError(f"mentions[{i}] must hold dicts, got {type(mention).__name__}")
            for attribute, value in mention.items():
                if attribute not in known or value not in known[attribute]:
                    raise ValueError(
                        f"mentions[{i}] states {attribute}={value!r}; attributes are "
                        f"{sorted(known)} with the values of the shapes data set"
                    )
        if len(report) > GRID * GRID:
            raise ValueError(f"mentions[{i}] names more objects than the grid has cells")
        out.append(list(report))
    return out


def _check_probabilities(probs: Any, n: int) -> dict[str, np.ndarray]:
    if not isinstance(probs, dict) or sorted(probs) != sorted(CELL_ATTRIBUTES):
        raise TypeError(
            f"probs must be a dict with keys {sorted(CELL_ATTRIBUTES)} (the cell CNN's "
            f"predictions), got {type(probs).__name__}"
        )
    out = {}
    for attribute, values in CELL_ATTRIBUTES.items():
        p = np.asarray(probs[attribute], dtype=np.float64)
        expected = (n, GRID, GRID, len(values) + 1)
        if p.shape != expected:
            raise ValueError(f"probs[{attribute!r}] must have shape {expected}, got {p.shape}")
        if not np.isfinite(p).all():
            raise ValueError(f"probs[{attribute!r}] contains NaN or infinite values")
        out[attribute] = p.reshape(n, GRID * GRID, -1)
    return out


# --------------------------------------------------------------------------- text side


def token_vocabulary(texts: Sequence[str]) -> list[str]:
    """The tagger's vocabulary: :data:`PAD` (id 0), :data:`UNKNOWN` (id 1), sorted words.

    Introduced in chapter 9. Words are the white-space tokens of the captions, exactly the
    tokens the ``shapes`` tags are aligned with.
    """
    texts = check_texts(texts, nonempty=True)
    return [PAD, UNKNOWN, *sorted({w for text in texts for w in text.split()} - {PAD, UNKNOWN})]


def encode_tokens(texts: Sequence[str], vocabulary: Sequence[str], length: int) -> np.ndarray:
    """Token ids of each caption, padded with 0 to ``length``: int64 ``(len(texts), length)``.

    Introduced in chapter 9. Words missing from ``vocabulary`` get the :data:`UNKNOWN` id.
    """
    texts = check_texts(texts, nonempty=True)
    vocabulary = list(vocabulary)
    if vocabulary[:2] != [PAD, UNKNOWN]:
        raise ValueError(f"vocabulary must start with {PAD!r}, {UNKNOWN!r}: use token_vocabulary")
    longest = max((len(t.split()) for t in texts), default=0)
    length = check_count(length, "length", minimum=max(longest, 1))
    check_allocation((len(texts), length), "length")
    index = {word: i for i, word in enumerate(vocabulary)}
    ids = np.zeros((len(texts), int(length)), dtype=np.int64)
    for row, text in enumerate(texts):
        words = text.split()
        ids[row, : len(words)] = [index.get(w, 1) for w in words]
    return ids


def encode_tags(tag_lists: Sequence[Sequence[str]], length: int) -> np.ndarray:
    """Tag ids (indices into ``TAGS``) padded with 0 to ``length``. Introduced in chapter 9.

    Padding positions are masked by the tagger, so their 0 ("O") never enters the loss.
    """
    tag_lists = _check_tag_lists(tag_lists, "tag_lists")
    length = check_count(length, "length")
    if any(len(tags) > length for tags in tag_lists):
        raise ValueError(f"length ({length}) is shorter than the longest tag list")
    check_allocation((len(tag_lists), length), "length")
    ids = np.zeros((len(tag_lists), int(length)), dtype=np.int64)
    for row, tags in enumerate(tag_lists):
        ids[row, : len(tags)] = [TAGS.index(t) for t in tags]
    return ids


def decode_tags(probabilities: Any, texts: Sequence[str]) -> list[list[str]]:
    """The most probable tag of every token of each caption (padding dropped).

    Introduced in chapter 9. ``probabilities`` is the tagger's output
    ``(len(texts), length, len(TAGS))``.
    """
    texts = check_texts(texts, nonempty=True)
    p = np.asarray(probabilities)
    if not np.issubdtype(p.dtype, np.number) or not np.isfinite(p).all():
        raise ValueError("probabilities must hold finite numbers (the tagger's output)")
    if p.ndim != 3 or len(p) != len(texts) or p.shape[2] != len(TAGS):
        raise ValueError(
            f"probabilities must have shape ({len(texts)}, length, {len(TAGS)}), got {p.shape}"
        )
    best = p.argmax(axis=2)
    return [[TAGS[k] for k in best[i, : len(t.split())]] for i, t in enumerate(texts)]


def entity_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """The entities of a tagged caption: maximal runs of one tag other than "O".

    Introduced in chapter 9. Returns ``(start, end, tag)`` with ``end`` exclusive, so
    "in the **top left**" gives one POSITION span of two tokens.
    """
    (tags,) = _check_tag_lists([tags], "tags")
    spans, start = [], 0
    for k in range(1, len(tags) + 1):
        if k == len(tags) or tags[k] != tags[start]:
            if tags[start] != "O":
                spans.append((start, k, tags[start]))
            start = k
    return spans


def entity_f1(true_tags: Sequence[Sequence[str]], predicted_tags: Sequence[Sequence[str]]) -> float:
    """Span-level (exact match) micro F1 of predicted entities. Introduced in chapter 9.

    A predicted entity counts as correct only if a true entity has the same start, end and
    tag. With $C$ correct, $P$ predicted and $T$ true entities over all captions, precision
    is $C/P$, recall $C/T$ and F1 $= 2C/(P+T)$.
    """
    true_tags = _check_tag_lists(true_tags, "true_tags")
    predicted_tags = _check_tag_lists(predicted_tags, "predicted_tags")
    if len(true_tags) != len(predicted_tags):
        raise ValueError(
            f"true_tags and predicted_tags must have one entry per caption, got "
            f"{len(true_tags)} and {len(predicted_tags)}"
        )
    correct = predicted = true = 0
    for i, (t, p) in enumerate(zip(true_tags, predicted_tags, strict=True)):
        if len(t) != len(p):
            raise ValueError(f"caption {i}: {len(t)} true tags but {len(p)} predicted tags")
        gold, guess = set(entity_spans(t)), set(entity_spans(p))
        correct, predicted, true = (
            correct + len(gold & guess),
            predicted + len(guess),
            true + len(gold),
        )
    return 2 * correct / (predicted + true) if predicted + true else 1.0


def parse_mentions(caption: str, tags: Sequence[str]) -> list[dict[str, str]]:
    """Read a tagged caption into one dict of stated attributes per mentioned object.

    Introduced in chapter 9. Mentions are separated by the word "and" (the captions'
    grammar); each entity span is looked up as a colour, shape, size or position phrase
    and stored under its canonical value (``{"color": "red", "shape": "circle",
    "position": "top left"}``). A span that is not a known phrase of its tag (a tagging
    error) is skipped.
    """
    (caption,) = check_texts([caption], "caption", nonempty=True)
    (tags,) = _check_tag_lists([tags], "tags")
    words = caption.split()
    if len(words) != len(tags):
        raise ValueError(f"caption has {len(words)} words but tags has {len(tags)} entries")
    owner = np.cumsum([w == "and" for w in words])
    mentions: list[dict[str, str]] = [{} for _ in range(int(owner[-1]) + 1)]
    for start, end, tag in entity_spans(tags):
        attribute = _ATTRIBUTE_OF_TAG[tag]
        value = PHRASE_TO_VALUE.get((attribute, " ".join(words[start:end])))
        if value is not None:
            mentions[int(owner[start])][attribute] = value
    return mentions


# --------------------------------------------------------------------------- image side


def cell_targets(dataset: Any) -> dict[str, np.ndarray]:
    """Per-cell attribute ids of a ``shapes`` data set: ``{attribute: (N, 3, 3)}``.

    Introduced in chapter 9. Cell (row, column) holds the id of its object's colour, shape
    or size, or ``len(values)`` ("empty") when no object stands there.
    """
    meta = getattr(dataset, "meta", None)
    if getattr(dataset, "name", None) != "shapes" or meta is None:
        raise TypeError(
            f'dataset must be a shapes data set (datasets.load("shapes", ...)), '
            f"got {type(dataset).__name__}"
        )
    n = len(dataset.texts)
    out = {a: np.full((n, GRID * GRID), len(v), dtype=np.int64) for a, v in CELL_ATTRIBUTES.items()}
    for i in range(n):
        for j in range(int(meta["n_objects"][i])):
            cell = POSITIONS.index(str(meta["position"][i][j]))
            for attribute, values in CELL_ATTRIBUTES.items():
                out[attribute][i, cell] = values.index(str(meta[attribute][i][j]))
    return {a: v.reshape(n, GRID, GRID) for a, v in out.items()}


def build_cell_attribute_model(image_size: int = 48, *, filters: int = 16) -> Any:
    """A CNN that reads colour, shape and size in each cell of the 3×3 grid.

    Introduced in chapter 9. Three 3×3 convolutions (``filters``, 2× and 3× as many), each
    followed by max pooling, shrink the image to a 3×3 map of features, one vector per
    grid cell; a 1×1 convolution per attribute turns each into a softmax over the values
    plus "empty". Outputs ``{"color": (N, 3, 3, 7), "shape": (N, 3, 3, 6), "size": (N, 3,
    3, 3)}``. ``image_size`` must be a multiple of 24 (8 × the grid).
    """
    if isinstance(image_size, bool) or not isinstance(image_size, (int, np.integer)):
        raise TypeError(f"image_size must be an int, got {type(image_size).__name__}")
    if image_size < 24 or image_size % (8 * GRID):
        raise ValueError(f"image_size must be a positive multiple of 24, got {image_size}")
    filters = check_width(filters, "filters")
    import keras

    layers = keras.layers
    image = keras.Input(shape=(image_size, image_size, 3), name="image")
    x = image
    for k, width in enumerate((filters, 2 * filters, 3 * filters)):
        x = layers.Conv2D(width, 3, padding="same", activation="relu", name=f"conv{k + 1}")(x)
        x = layers.MaxPooling2D(2 if k < 2 else image_size // (4 * GRID), name=f"pool{k + 1}")(x)
    x = layers.Conv2D(64, 1, activation="relu", name="cell_features")(x)
    outputs = {
        a: layers.Conv2D(len(v) + 1, 1, activation="softmax", name=a)(x)
        for a, v in CELL_ATTRIBUTES.items()
    }
    return keras.Model(image, outputs, name="cell_attribute_cnn")


# --------------------------------------------------------------------------- comparing


def _assign_cells(occupied: np.ndarray, k: int) -> list[int]:
    """The ``k`` most probably occupied cells, in reading order (the captions' order)."""
    return sorted(int(c) for c in np.argsort(-occupied, kind="stable")[:k])


def consistency_scores(
    mentions: Sequence[Sequence[dict[str, str]]], probs: dict[str, Any]
) -> tuple[np.ndarray, list[str]]:
    """How well each caption's stated attributes agree with the image: score in [0, 1].

    Introduced in chapter 9. Mention $j$ of a caption with $k$ mentions is matched to the
    $j$-th of the $k$ cells the CNN finds most probably occupied, in reading order (the
    order the captions mention objects in). Each stated colour, shape or size gets the
    CNN's probability of that value in that cell; a stated position gets the probability
    that the named cell is occupied. The score is the smallest of these probabilities — a
    caption is as believable as its least believable claim — and the second return value
    names the attribute that gave it.
    """
    mentions = _check_mentions(mentions)
    p = _check_probabilities(probs, len(mentions))
    scores, weakest = np.ones(len(mentions)), [""] * len(mentions)
    for i, report in enumerate(mentions):
        occupied = 1.0 - p["color"][i, :, -1]
        for j, cell in enumerate(_assign_cells(occupied, len(report))):
            for attribute, value in report[j].items():
                if attribute == "position":
                    prob = occupied[POSITIONS.index(value)]
                else:
                    prob = p[attribute][i, cell, CELL_ATTRIBUTES[attribute].index(value)]
                if prob < scores[i]:
                    scores[i], weakest[i] = float(prob), attribute
    return scores, weakest


def localise(
    mentions: Sequence[Sequence[dict[str, str]]], probs: dict[str, Any]
) -> list[list[int]]:
    """The grid cell (0–8, row by row) each mention describes, from its words and the image.

    Introduced in chapter 9. A learned localiser: the cell $c$ maximising
    $\\log P(\\text{occupied}_c) + \\sum_a \\log P(a_c = \\text{stated } a)$ over the stated
    colour, shape and size. Stated positions are ignored on purpose — they would give the
    answer away.
    """
    mentions = _check_mentions(mentions)
    p = _check_probabilities(probs, len(mentions))
    tiny = 1e-9
    cells = []
    for i, report in enumerate(mentions):
        base = np.log(1.0 - p["color"][i, :, -1] + tiny)
        row = []
        for mention in report:
            score = base.copy()
            for attribute, values in CELL_ATTRIBUTES.items():
                if attribute in mention:
                    score += np.log(p[attribute][i, :, values.index(mention[attribute])] + tiny)
            row.append(int(score.argmax()))
        cells.append(row)
    return cells


def cell_hits(cells: Any, boxes: Any, image_size: int) -> np.ndarray:
    """Does the centre of each predicted cell fall inside the object's box?

    Introduced in chapter 9 (the pointing game of chapter 6 with one point per cell).
    ``cells`` are grid cells 0–8, ``boxes`` (N, 4) as (x0, y0, x1, y1) pixels with
    exclusive ends.
    """
    cells, boxes = np.asarray(cells), np.asarray(boxes)
    if cells.ndim != 1 or not np.issubdtype(cells.dtype, np.integer):
        raise TypeError(f"cells must be a 1-D array of ints, got {cells.dtype} {cells.shape}")
    if len(cells) and (cells.min() < 0 or cells.max() >= GRID * GRID):
        raise ValueError(f"cells must be in [0, {GRID * GRID}), got [{cells.min()}, {cells.max()}]")
    if boxes.shape != (len(cells), 4):
        raise ValueError(f"boxes must have shape ({len(cells)}, 4), got {boxes.shape}")
    if not np.issubdtype(boxes.dtype, np.number) or not np.isfinite(boxes).all():
        raise ValueError("boxes must hold finite numbers (pixels)")
    image_size = check_count(image_size, "image_size")
    side = image_size / GRID
    x, y = (cells % GRID + 0.5) * side, (cells // GRID + 0.5) * side
    return (x >= boxes[:, 0]) & (x < boxes[:, 2]) & (y >= boxes[:, 1]) & (y < boxes[:, 3])


def best_threshold(scores: Any, is_positive: Any) -> float:
    """The threshold $\\tau$ that maximises F1 when "score < $\\tau$" flags a positive.

    Introduced in chapter 9. Choose it on validation data, never on the test set.
    """
    scores = check_numeric_array(scores, "scores", ndim=1)
    positive = np.asarray(is_positive)
    if positive.shape != scores.shape:
        raise ValueError(
            f"scores and is_positive must be 1-D and of equal, non-zero length, got "
            f"{scores.shape} and {positive.shape}"
        )
    if positive.dtype != bool:
        raise TypeError(f"is_positive must be a bool array, got dtype {positive.dtype}")
    candidates = np.unique(np.concatenate([scores, [np.inf]]))
    flagged = scores[None, :] < candidates[:, None]
    tp = (flagged & positive).sum(axis=1)
    f1 = 2 * tp / (flagged.sum(axis=1) + positive.sum())
    return float(candidates[int(f1.argmax())])


def precision_at_base_rate(recall: float, false_positive_rate: float, prevalence: Any) -> Any:
    """Precision of a detector at a given prevalence of positives (Bayes' rule).

    Introduced in chapter 9. $P(\\text{fake} \\mid \\text{flag}) = r\\pi / (r\\pi +
    f(1-\\pi))$ with recall $r$, false-positive rate $f$ and prevalence $\\pi$ (a number or
    an array).
    """
    recall = check_fraction(recall, "recall")
    false_positive_rate = check_fraction(false_positive_rate, "false_positive_rate")
    pi = np.asarray(prevalence)
    if not np.issubdtype(pi.dtype, np.number) or np.issubdtype(pi.dtype, np.bool_):
        raise TypeError(f"prevalence must be a number or an array of numbers, got {pi.dtype}")
    pi = pi.astype(np.float64)
    if not np.all((pi >= 0) & (pi <= 1)):
        raise ValueError("prevalence must be in [0, 1]")
    flagged = recall * pi + false_positive_rate * (1 - pi)
    out = np.divide(recall * pi, flagged, out=np.zeros_like(pi), where=flagged > 0)
    return float(out) if out.ndim == 0 else out
