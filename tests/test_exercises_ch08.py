"""Self-checks of chapter 8 accept the solutions and explain typical mistakes."""

from __future__ import annotations

import numpy as np
import pytest

from crossmodal_helpers import exercises, retrieval

ch08 = exercises.ch08
S, TAU, MARGIN = ch08.SIMILARITY, ch08.TEMPERATURE, ch08.MARGIN


def _log_softmax(logits: np.ndarray, axis: int) -> np.ndarray:
    return logits - np.log(np.exp(logits).sum(axis=axis, keepdims=True))


def _solution_info_nce() -> float:
    """The solution printed in the chapter."""
    logits = S / TAU
    image_to_text = -np.diag(_log_softmax(logits, axis=1)).mean()
    text_to_image = -np.diag(_log_softmax(logits, axis=0)).mean()
    return float((image_to_text + text_to_image) / 2)


def test_info_nce_accepts_the_solution_and_the_package_loss():
    assert ch08.info_nce(_solution_info_nce()).passed
    assert ch08.info_nce(float(retrieval.info_nce_loss(S, TAU))).passed


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (float(-np.diag(_log_softmax(S / TAU, axis=1)).mean()), "only the image → text"),
        (float(-np.diag(_log_softmax(S / TAU, axis=0)).mean()), "only the text → image"),
        (2 * _solution_info_nce(), "divide their sum by 2"),
        (3 * _solution_info_nce(), "instead of summing"),
        (_solution_info_nce() / np.log(10), "natural logarithm"),
        (1.0, "its own partner"),
    ],
)
def test_info_nce_explains_mistakes(wrong, hint):
    feedback = ch08.info_nce(wrong)
    assert not feedback.passed and hint in feedback.hint


def test_info_nce_without_temperature_is_explained():
    logits = S
    wrong = (-np.diag(_log_softmax(logits, 1)).mean() - np.diag(_log_softmax(logits, 0)).mean()) / 2
    feedback = ch08.info_nce(float(wrong))
    assert not feedback.passed and "temperature" in feedback.hint
    assert "still empty" in ch08.info_nce(...).message


def test_ranking_accepts_the_package_answer():
    sim, rel = ch08.RANKING_SIMILARITY, ch08.RANKING_RELEVANT
    recall = retrieval.recall_at_k(sim, rel, (1, 3))
    answer = {
        "recall_at_1": recall[1],
        "recall_at_3": recall[3],
        "median_rank": retrieval.median_rank(sim, rel),
    }
    assert ch08.ranking(answer).passed


@pytest.mark.parametrize(
    ("median", "hint"),
    [(1.5, "ranks start at 1"), (3.0, "best-ranked one"), (4.0, "decreasing similarity")],
)
def test_ranking_explains_median_rank_mistakes(median, hint):
    feedback = ch08.ranking({"recall_at_1": 0.25, "recall_at_3": 0.75, "median_rank": median})
    assert not feedback.passed and hint in feedback.hint


def test_ranking_needs_the_three_keys():
    assert "keys" in ch08.ranking({"recall_at_1": 0.25}).message
    assert "keys" in ch08.ranking(...).message
    wrong = ch08.ranking({"recall_at_1": 0.5, "recall_at_3": 0.75, "median_rank": 2.5})
    assert not wrong.passed and "recall_at_1" in wrong.message


def test_matching_accepts_the_solution():
    stated = retrieval.parse_shapes_caption(ch08.MATCHING_CAPTION)
    solution = [
        i for i, s in enumerate(ch08.MATCHING_SCENES) if retrieval.scene_satisfies(s, stated)
    ]
    assert solution == [2, 5]
    assert ch08.matching(solution).passed
    assert ch08.matching(np.array([5, 2])).passed


@pytest.mark.parametrize(
    ("answer", "text"),
    [
        ([0, 2, 5], "only one circle"),
        ([1, 2, 5], "cannot be both"),
        ([2, 4, 5], "no circle is at the top"),
        ([2], "is missing from your list"),
        ("2, 5", "got a string"),
    ],
)
def test_matching_explains_mistakes(answer, text):
    feedback = ch08.matching(answer)
    assert not feedback.passed and text in feedback.message


def _solution_hardest_negative() -> float:
    """The solution printed in the chapter."""
    positive = np.diag(S)
    off = ~np.eye(len(S), dtype=bool)
    wrong_text = np.where(off, np.maximum(0, MARGIN - positive[:, None] + S), 0).max(axis=1)
    wrong_image = np.where(off, np.maximum(0, MARGIN - positive[None, :] + S), 0).max(axis=0)
    return float((wrong_text + wrong_image).mean())


def test_hardest_negative_accepts_the_solution():
    assert ch08.hardest_negative(_solution_hardest_negative()).passed


def test_hardest_negative_explains_mistakes():
    positive = np.diag(S)
    off = ~np.eye(len(S), dtype=bool)
    summed = (
        np.where(off, np.maximum(0, MARGIN - positive[:, None] + S), 0).sum(axis=1)
        + np.where(off, np.maximum(0, MARGIN - positive[None, :] + S), 0).sum(axis=0)
    ).mean()
    feedback = ch08.hardest_negative(float(summed))
    assert not feedback.passed and "older VSE loss" in feedback.hint
    with_positive = (
        np.maximum(0, MARGIN - positive[:, None] + S).max(axis=1)
        + np.maximum(0, MARGIN - positive[None, :] + S).max(axis=0)
    ).mean()
    feedback = ch08.hardest_negative(float(with_positive))
    assert not feedback.passed and "diagonal" in feedback.hint
    assert "instead of summing" in ch08.hardest_negative(3 * _solution_hardest_negative()).hint
    assert "still empty" in ch08.hardest_negative(None).message
