"""Self-checks of chapter 8: cross-modal retrieval."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from crossmodal_helpers.exercises import (
    AnswerProblem,
    Feedback,
    as_array,
    as_number,
    compare_number,
    self_check,
)

#: The cosine similarities of a batch of three image–text pairs (rows: images, columns:
#: texts), for exercises 'InfoNCE by hand' and 'The hardest negative'.
SIMILARITY = np.array(
    [
        [0.8, 0.3, 0.1],
        [0.4, 0.6, 0.5],
        [0.45, 0.7, 0.5],
    ]
)
#: The temperature of exercise 'InfoNCE by hand'.
TEMPERATURE = 0.5
#: The margin of exercise 'The hardest negative'.
MARGIN = 0.2

#: Exercise 'Recall@K and median rank by hand': four text queries × six images, and which
#: images are right for each query.
RANKING_SIMILARITY = np.array(
    [
        [0.9, 0.2, 0.1, 0.4, 0.3, 0.0],
        [0.5, 0.1, 0.7, 0.2, 0.6, 0.3],
        [0.2, 0.8, 0.3, 0.9, 0.1, 0.7],
        [0.1, 0.3, 0.2, 0.6, 0.5, 0.4],
    ]
)
RANKING_RELEVANT = np.array(
    [
        [True, False, False, False, False, False],
        [False, False, False, False, True, False],
        [False, False, True, False, False, True],
        [False, True, False, False, False, False],
    ]
)

#: Exercise 'Which scenes satisfy the caption?': a caption and six hand-made scenes.
MATCHING_CAPTION = "a red circle and a circle at the top"
MATCHING_SCENES = (
    [
        {"shape": "circle", "color": "red", "size": "large", "position": "top"},
    ],
    [
        {"shape": "circle", "color": "red", "size": "small", "position": "top"},
        {"shape": "circle", "color": "blue", "size": "large", "position": "bottom left"},
    ],
    [
        {"shape": "circle", "color": "green", "size": "small", "position": "top"},
        {"shape": "square", "color": "yellow", "size": "large", "position": "centre"},
        {"shape": "circle", "color": "red", "size": "large", "position": "bottom"},
    ],
    [
        {"shape": "square", "color": "red", "size": "small", "position": "top"},
        {"shape": "circle", "color": "orange", "size": "small", "position": "right"},
    ],
    [
        {"shape": "circle", "color": "red", "size": "small", "position": "left"},
        {"shape": "circle", "color": "red", "size": "large", "position": "right"},
    ],
    [
        {"shape": "circle", "color": "red", "size": "small", "position": "top"},
        {"shape": "circle", "color": "red", "size": "large", "position": "bottom"},
    ],
)


#: Exercise 'Words or characters?': Chinese emoji names of a small training set, and three
#: query names that are not among them.
CHINESE_TRAIN_NAMES = ("红苹果", "猫脸", "汽车", "红心", "西瓜")
CHINESE_QUERIES = ("青苹果", "大笑的猫", "西班牙")


def _first_mistake(got: float, mistakes: dict[float, str], expected: float) -> str | None:
    for wrong, hint in mistakes.items():
        if math.isclose(got, wrong, rel_tol=1e-4) and not math.isclose(
            wrong, expected, rel_tol=1e-4
        ):
            return hint
    return None


@self_check
def info_nce(answer: Any) -> Feedback:
    """Check exercise 'InfoNCE by hand': the symmetric loss of SIMILARITY at TEMPERATURE.

    A number in any form passes, including the tensor ``retrieval.info_nce_loss`` returns.
    """
    hint = (
        "divide by the temperature first; each pair appears in two softmaxes, one over its "
        "row (image → text) and one over its column (text → image), and the loss asks both "
        "to give its own partner a high probability"
    )
    got = as_number(answer, "loss", hint)

    def loss(similarity: np.ndarray, temperature: float, directions: str = "both") -> float:
        logits = similarity / temperature
        rows = logits.diagonal() - np.log(np.exp(logits).sum(axis=1))
        columns = logits.diagonal() - np.log(np.exp(logits).sum(axis=0))
        chosen = {"rows": -rows, "columns": -columns, "both": -(rows + columns) / 2}
        return float(chosen[directions].mean())

    s, tau = SIMILARITY, TEMPERATURE
    expected = loss(s, tau)
    mistakes = {
        loss(s, tau, "rows"): (
            "you computed only the image → text direction (softmax over each row): average "
            "it with the text → image direction (softmax over each column)"
        ),
        loss(s, tau, "columns"): (
            "you computed only the text → image direction: average it with the other one"
        ),
        loss(s, 1.0): "divide the similarities by the temperature before the softmax",
        len(s) * expected: "average over the N pairs instead of summing",
        2 * expected: "the two directions are averaged: divide their sum by 2",
        expected / math.log(10): "use the natural logarithm (np.log)",
        -expected: "the loss is MINUS the log-probability of the right partner",
    }
    mistake = _first_mistake(got, mistakes, expected)
    if mistake is not None:
        return Feedback(False, "loss is not right", mistake)
    return compare_number(got, expected, name="loss", rel_tol=1e-4, hint=hint)


@self_check
def ranking(answer: Any) -> Feedback:
    """Check exercise 'Recall@K and median rank by hand' (RANKING_SIMILARITY, RANKING_RELEVANT).

    ``answer`` is ``{"recall_at_1": ..., "recall_at_3": ..., "median_rank": ...}``.
    """
    keys = ["median_rank", "recall_at_1", "recall_at_3"]
    if not isinstance(answer, Mapping) or sorted(map(str, answer)) != keys:
        raise AnswerProblem(
            "answer must be a dict with the keys 'recall_at_1', 'recall_at_3' and 'median_rank'",
            "write ranks = {'recall_at_1': ..., 'recall_at_3': ..., 'median_rank': ...}",
        )
    values = {str(key): value for key, value in answer.items()}
    descending = np.argsort(-RANKING_SIMILARITY, axis=1, kind="stable")
    ascending = np.argsort(RANKING_SIMILARITY, axis=1, kind="stable")
    hits = np.take_along_axis(RANKING_RELEVANT, descending, axis=1)
    ranks = hits.argmax(axis=1) + 1
    last = hits.shape[1] - hits[:, ::-1].argmax(axis=1)
    ascending_ranks = np.take_along_axis(RANKING_RELEVANT, ascending, axis=1).argmax(axis=1) + 1
    expected = {
        "recall_at_1": float(np.mean(ranks <= 1)),
        "recall_at_3": float(np.mean(ranks <= 3)),
        "median_rank": float(np.median(ranks)),
    }
    mistakes = {
        "median_rank": {
            float(np.median(ranks - 1)): "ranks start at 1 (the top item has rank 1), not 0",
            float(np.median(last)): (
                "for a query with several right images, use the rank of the best-ranked one"
            ),
            float(np.median(ascending_ranks)): "rank by decreasing similarity: the most "
            "similar image comes first",
            float(np.mean(ranks)): "that is the mean rank; the median is the middle value",
        },
        "recall_at_1": {},
        "recall_at_3": {
            float(np.mean(ranks < 3)): "Recall@3 counts ranks up to AND including 3",
        },
    }
    hint = (
        "sort each row by decreasing similarity, find the position (from 1) of the first "
        "right image; Recall@K is the share of queries with that rank <= K"
    )
    for key in ("recall_at_1", "recall_at_3", "median_rank"):
        got = as_number(values[key], key, hint)
        mistake = _first_mistake(got, mistakes[key], expected[key])
        if mistake is not None:
            return Feedback(False, f"{key} is not right", mistake)
        feedback = compare_number(got, expected[key], name=key, hint=hint)
        if not feedback.passed:
            return feedback
    return Feedback(True, "Recall@1, Recall@3 and the median rank are right")


@self_check
def matching(answer: Any) -> Feedback:
    """Check exercise 'Which scenes satisfy the caption?': the indices of MATCHING_SCENES."""
    from crossmodal_helpers.retrieval import parse_shapes_caption, scene_satisfies

    form = "satisfied must be a list of scene indices (ints from 0 to 5)"
    rule = (
        "each object the caption states needs its own, distinct object in the scene, "
        "with every stated attribute"
    )
    if isinstance(answer, (set, frozenset)):
        answer = sorted(answer)
    indices = as_array(answer, "satisfied", form)
    if indices.ndim != 1 or indices.dtype == np.bool_:
        raise AnswerProblem(form, "write satisfied = [...] with the indices of the scenes")
    if indices.size and (not np.all(indices == np.round(indices)) or indices.min() < 0):
        raise AnswerProblem(form, rule)
    got = [int(i) for i in indices]
    if any(i >= len(MATCHING_SCENES) for i in got):
        raise AnswerProblem(f"there are only {len(MATCHING_SCENES)} scenes, numbered from 0", form)
    if len(set(got)) != len(got):
        raise AnswerProblem("satisfied lists a scene more than once", "list each scene once")
    stated = parse_shapes_caption(MATCHING_CAPTION)
    expected = {i for i, scene in enumerate(MATCHING_SCENES) if scene_satisfies(scene, stated)}
    if set(got) == expected:
        return Feedback(True, f"exactly the right {len(expected)} scenes")
    extra = sorted(set(got) - expected)
    why = {
        0: "scene 0 has only one circle",
        1: "in scene 1 the only circle at the top is the red one, and it cannot be both objects",
        3: "scene 3 has no red circle",
        4: "in scene 4 no circle is at the top",
    }
    if extra:
        return Feedback(
            False, why.get(extra[0], f"scene {extra[0]} does not satisfy the caption"), rule
        )
    return Feedback(
        False,
        "a scene that satisfies the caption is missing from your list",
        "a scene may hold more objects than the caption mentions, in any order, and "
        "attributes the caption does not state may be anything; try every way of "
        "assigning stated objects to scene objects, not just the first that fits",
    )


@self_check
def hardest_negative(answer: Any) -> Feedback:
    """Check exercise 'The hardest negative': the VSE++ loss of SIMILARITY with MARGIN."""
    hint = (
        "VSE++ keeps, for each pair, only its hardest wrong text (in its row) and its hardest "
        "wrong image (in its column); a hinge is zero once the pair beats the negative by "
        "the margin"
    )
    got = as_number(answer, "loss", hint)
    s, margin = SIMILARITY, MARGIN
    positive = s.diagonal()
    off = ~np.eye(len(s), dtype=bool)
    by_row = np.maximum(0.0, margin - positive[:, None] + s)
    by_column = np.maximum(0.0, margin - positive[None, :] + s)
    expected = float(((by_row * off).max(axis=1) + (by_column * off).max(axis=0)).mean())
    mistakes = {
        float(((by_row * off).sum(axis=1) + (by_column * off).sum(axis=0)).mean()): (
            "that is the sum over all negatives (the older VSE loss); VSE++ keeps only the "
            "largest hinge of each row and of each column"
        ),
        float((by_row.max(axis=1) + by_column.max(axis=0)).mean()): (
            "leave the matching pair itself (the diagonal) out of the maximum"
        ),
        len(s) * expected: "average over the pairs instead of summing",
        float((by_row * off).max(axis=1).mean()): (
            "add the hardest wrong image of each column too, not only the hardest wrong text"
        ),
    }
    mistake = _first_mistake(got, mistakes, expected)
    if mistake is not None:
        return Feedback(False, "loss is not right", mistake)
    return compare_number(got, expected, name="loss", rel_tol=1e-4, hint=hint)


def _grams(text: str, lengths: tuple[int, ...]) -> set[str]:
    return {text[i : i + n] for n in lengths for i in range(len(text) - n + 1)}


@self_check
def shared_ngrams(answer: Any) -> Feedback:
    """Check exercise 'Words or characters?': per query, its known character 1- and 2-grams.

    ``answer`` is a list of three ints, one per name of CHINESE_QUERIES: how many distinct
    character n-grams of length 1 or 2 of the query occur in at least one training name.
    """
    form = f"shared must be a list of {len(CHINESE_QUERIES)} ints, one per query name"
    values = as_array(answer, "shared", form)
    if values.shape != (len(CHINESE_QUERIES),) or values.dtype == np.bool_:
        raise AnswerProblem(form, "write shared = [n1, n2, n3] in the order of CHINESE_QUERIES")
    if not np.all(values == np.round(values)) or values.min() < 0:
        raise AnswerProblem(form, "counts are whole numbers >= 0")
    got = [int(v) for v in values]

    def counts(lengths: tuple[int, ...]) -> list[int]:
        known = set().union(*(_grams(name, lengths) for name in CHINESE_TRAIN_NAMES))
        return [len(_grams(query, lengths) & known) for query in CHINESE_QUERIES]

    expected = counts((1, 2))
    if got == expected:
        return Feedback(True, "every count is right")
    mistakes = {
        tuple(counts((2,))): "you counted only pairs of characters: single characters count too",
        tuple(counts((1,))): "you counted only single characters: pairs of characters count too",
        (0,) * len(CHINESE_QUERIES): (
            "that is what a word tokenizer sees, with each unspaced name one token; count "
            "the character n-grams instead"
        ),
    }
    hint = mistakes.get(
        tuple(got),
        "list the distinct 1- and 2-character pieces of each query and keep those that "
        "also occur inside some training name",
    )
    wrong = next(i for i, (g, e) in enumerate(zip(got, expected, strict=True)) if g != e)
    return Feedback(
        False, f"the count of query {wrong} ({CHINESE_QUERIES[wrong]}) is not right", hint
    )
