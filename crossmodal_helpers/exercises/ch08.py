"""Self-checks of chapter 8: cross-modal retrieval."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from crossmodal_helpers.exercises import Feedback, check_value

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


def _info_nce(similarity: np.ndarray, temperature: float, directions: str = "both") -> float:
    logits = similarity / temperature
    rows = logits.diagonal() - np.log(np.exp(logits).sum(axis=1))
    columns = logits.diagonal() - np.log(np.exp(logits).sum(axis=0))
    if directions == "rows":
        return float(-rows.mean())
    if directions == "columns":
        return float(-columns.mean())
    return float(-(rows + columns).mean() / 2)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


def _first_mistake(answer: Any, mistakes: dict[float, str], expected: float) -> str | None:
    if not _is_number(answer) or not math.isfinite(float(answer)):
        return None
    for wrong, hint in mistakes.items():
        if math.isclose(float(answer), wrong, rel_tol=1e-4) and not math.isclose(
            wrong, expected, rel_tol=1e-4
        ):
            return hint
    return None


def info_nce(answer: Any) -> Feedback:
    """Check exercise 'InfoNCE by hand': the symmetric loss of SIMILARITY at TEMPERATURE."""
    s, tau = SIMILARITY, TEMPERATURE
    expected = _info_nce(s, tau)
    n = len(s)
    mistakes = {
        _info_nce(s, tau, "rows"): (
            "you computed only the image → text direction (softmax over each row): average "
            "it with the text → image direction (softmax over each column)"
        ),
        _info_nce(s, tau, "columns"): (
            "you computed only the text → image direction: average it with the other one"
        ),
        _info_nce(s, 1.0): "divide the similarities by the temperature before the softmax",
        n * expected: "average over the N pairs instead of summing",
        2 * expected: "the two directions are averaged: divide their sum by 2",
        expected / math.log(10): "use the natural logarithm (np.log)",
    }
    hint = _first_mistake(answer, mistakes, expected)
    if hint is not None:
        return Feedback(False, f"loss = {answer} is not right", hint)
    return check_value(
        answer,
        expected,
        name="loss",
        rel_tol=1e-4,
        hint="logits = SIMILARITY / TEMPERATURE; take -log softmax of the diagonal over rows "
        "and over columns, average each over the pairs, then average the two",
    )


def _ranks(similarity: np.ndarray, relevant: np.ndarray) -> np.ndarray:
    order = np.argsort(-similarity, axis=1, kind="stable")
    return np.take_along_axis(relevant, order, axis=1).argmax(axis=1) + 1


def ranking(answer: Any) -> Feedback:
    """Check exercise 'Recall@K and median rank by hand' (RANKING_SIMILARITY, RANKING_RELEVANT).

    ``answer`` is ``{"recall_at_1": ..., "recall_at_3": ..., "median_rank": ...}``.
    """
    keys = ["median_rank", "recall_at_1", "recall_at_3"]
    if not isinstance(answer, dict) or sorted(answer) != keys:
        return Feedback(
            False,
            "answer must be a dict with the keys 'recall_at_1', 'recall_at_3' and 'median_rank'",
            "write ranks = {'recall_at_1': ..., 'recall_at_3': ..., 'median_rank': ...}",
        )
    ranks = _ranks(RANKING_SIMILARITY, RANKING_RELEVANT)
    expected = {
        "recall_at_1": float(np.mean(ranks <= 1)),
        "recall_at_3": float(np.mean(ranks <= 3)),
        "median_rank": float(np.median(ranks)),
    }
    ascending = np.argsort(RANKING_SIMILARITY, axis=1, kind="stable")
    ascending_ranks = np.take_along_axis(RANKING_RELEVANT, ascending, axis=1).argmax(axis=1) + 1
    last = RANKING_SIMILARITY.shape[1] - np.take_along_axis(
        RANKING_RELEVANT, ascending, axis=1
    ).argmax(axis=1)
    mistakes = {
        "median_rank": {
            float(np.median(ranks - 1)): "ranks start at 1 (the top item has rank 1), not 0",
            float(np.median(last)): (
                "for a query with several right images, use the rank of the best-ranked one"
            ),
            float(np.median(ascending_ranks)): "rank by decreasing similarity: the most "
            "similar image comes first",
        },
        "recall_at_1": {},
        "recall_at_3": {},
    }
    for key in ("recall_at_1", "recall_at_3", "median_rank"):
        hint = _first_mistake(answer[key], mistakes[key], expected[key])
        if hint is not None:
            return Feedback(False, f"{key} = {answer[key]} is not right", hint)
        feedback = check_value(
            answer[key],
            expected[key],
            name=key,
            hint="sort each row by decreasing similarity, find the position (from 1) of the "
            "first right image; Recall@K is the share of queries with that rank <= K",
        )
        if not feedback.passed:
            return feedback
    return Feedback(
        True,
        f"Recall@1 = {expected['recall_at_1']}, Recall@3 = {expected['recall_at_3']}, "
        f"median rank = {expected['median_rank']}",
    )


def matching(answer: Any) -> Feedback:
    """Check exercise 'Which scenes satisfy the caption?': the indices of MATCHING_SCENES."""
    from crossmodal_helpers.retrieval import parse_shapes_caption, scene_satisfies

    stated = parse_shapes_caption(MATCHING_CAPTION)
    expected = [i for i, scene in enumerate(MATCHING_SCENES) if scene_satisfies(scene, stated)]
    if answer is None or answer is Ellipsis:
        return Feedback(False, "satisfied is still empty: replace the ... with your code")
    try:
        got = sorted(int(i) for i in answer)
    except (TypeError, ValueError):
        return Feedback(
            False, "satisfied must be a list of scene indices such as [0, 3]", "e.g. [1, 2]"
        )
    if got == expected:
        return Feedback(True, f"the scenes {expected} satisfy {MATCHING_CAPTION!r}")
    extra = sorted(set(got) - set(expected))
    why = {
        0: "scene 0 has only one circle",
        1: "in scene 1 the only circle at the top is the red one, and it cannot be both objects",
        3: "scene 3 has no red circle",
        4: "in scene 4 no circle is at the top",
    }
    if extra:
        return Feedback(
            False,
            why.get(extra[0], f"scene {extra[0]} does not satisfy the caption"),
            "each object the caption states needs its own, distinct object in the scene, "
            "with every stated attribute",
        )
    missing = sorted(set(expected) - set(got))
    if missing:
        return Feedback(
            False,
            f"you left out scene {missing[0]}",
            "a scene may hold more objects than the caption mentions, in any order, and "
            "attributes the caption does not state may be anything; try every way of "
            "assigning stated objects to scene objects, not just the first that fits",
        )


def _hardest_negative(similarity: np.ndarray, margin: float, reduce: str = "max") -> float:
    positive = similarity.diagonal()
    off = ~np.eye(len(similarity), dtype=bool)
    by_row = np.maximum(0.0, margin - positive[:, None] + similarity) * off
    by_column = np.maximum(0.0, margin - positive[None, :] + similarity) * off
    if reduce == "sum":
        return float((by_row.sum(axis=1) + by_column.sum(axis=0)).mean())
    return float((by_row.max(axis=1) + by_column.max(axis=0)).mean())


def hardest_negative(answer: Any) -> Feedback:
    """Check exercise 'The hardest negative': the VSE++ loss of SIMILARITY with MARGIN."""
    s, margin = SIMILARITY, MARGIN
    expected = _hardest_negative(s, margin)
    with_positive = float(
        (
            np.maximum(0.0, margin - s.diagonal()[:, None] + s).max(axis=1)
            + np.maximum(0.0, margin - s.diagonal()[None, :] + s).max(axis=0)
        ).mean()
    )
    mistakes = {
        _hardest_negative(s, margin, "sum"): (
            "that is the sum over all negatives (the older VSE loss); VSE++ keeps only the "
            "largest hinge of each row and of each column"
        ),
        with_positive: "leave the matching pair itself (the diagonal) out of the maximum",
        len(s) * expected: "average over the pairs instead of summing",
    }
    hint = _first_mistake(answer, mistakes, expected)
    if hint is not None:
        return Feedback(False, f"loss = {answer} is not right", hint)
    return check_value(
        answer,
        expected,
        name="loss",
        rel_tol=1e-4,
        hint="for pair i: max over j != i of max(0, MARGIN - s_ii + s_ij) (a wrong text) plus "
        "the same over the column (a wrong image); average over i",
    )
