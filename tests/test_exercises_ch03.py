"""Unit tests of crossmodal_helpers.exercises.ch03: right answers pass, wrong ones get hints."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import correlate2d

from crossmodal_helpers import datasets, exercises
from crossmodal_helpers.exercises import Feedback, ch03


def _first_test_digit() -> np.ndarray:
    return datasets.load("mnist5k", split="test", seed=0).images[0, ..., 0]


def test_chapter_checks_are_reachable_from_the_package():
    assert exercises.ch03 is ch03


def test_sobel_x_accepts_the_valid_correlation():
    digit = _first_test_digit()
    loops = np.zeros((26, 26), dtype=np.float32)
    for i in range(26):
        for j in range(26):
            loops[i, j] = (ch03.SOBEL_X * digit[i : i + 3, j : j + 3]).sum()
    feedback = ch03.sobel_x(loops)
    assert feedback.passed, str(feedback)


def test_sobel_x_explains_a_flipped_kernel():
    digit = _first_test_digit()
    convolved = correlate2d(digit, ch03.SOBEL_X[::-1, ::-1], mode="valid")
    feedback = ch03.sobel_x(convolved)
    assert not feedback.passed and "flipped the kernel" in feedback.hint


@pytest.mark.parametrize(
    ("answer", "words"),
    [(..., "still empty"), (np.zeros((28, 28)), "28×28"), (np.zeros((25, 26)), "shape")],
)
def test_sobel_x_rejects_wrong_answers_with_a_hint(answer, words):
    feedback = ch03.sobel_x(answer)
    assert isinstance(feedback, Feedback) and not feedback.passed
    assert words in feedback.message and feedback.hint


def test_hog_length():
    assert ch03.hog_length(36 * 4 * 9).passed
    wrong = ch03.hog_length(324)
    assert not wrong.passed and "too small" in wrong.message and "block" in wrong.hint
    cells = ch03.hog_length(7 * 7 * 9)
    assert not cells.passed and "each cell once" in cells.message
    assert not ch03.hog_length(...).passed
    assert not ch03.hog_length("1296").passed


def test_cnn_parameters_formula_and_check():
    assert not hasattr(ch03, "digit_cnn_parameters")  # no helper hands out the answer
    assert ch03.cnn_parameters(160 + 4640 + 100416 + 650).passed
    wrong = ch03.cnn_parameters(114314)  # the 5×5 model
    assert not wrong.passed and "5×5" in wrong.message and "padding" in wrong.hint
    other = ch03.cnn_parameters(100000)
    assert not other.passed and "too small" in other.message and "summary" in other.hint


def test_the_hints_shown_before_any_attempt_do_not_give_the_answer_away():
    """An empty answer shows the hint at once, so it must leave the work to the learner."""
    sobel = ch03.sobel_x(...).hint
    assert ".sum()" not in sobel and "SOBEL_X *" not in sobel
    hog = ch03.hog_length(...).hint
    assert not any(step in hog for step in ("28 / 4", "− 2 + 1", "36", "1296", "1,296"))
    parameters = ch03.cnn_parameters(...).hint
    assert "7·7·32" not in parameters and "105" not in parameters
    for answer in (..., (..., ...)):
        hint = ch03.precision_recall(answer, _confusion(), digit=9).hint
        assert "divides" not in hint and "sum of its" not in hint


def _confusion() -> np.ndarray:
    confusion = np.diag(np.full(10, 70))
    confusion[9, 4] = 5  # five 9s taken for 4s: recall of 9 drops
    confusion[7, 9] = 2  # two 7s taken for 9s: precision of 9 drops
    return confusion


def test_precision_recall_accepts_the_right_pair():
    precision, recall = 70 / 72, 70 / 75
    feedback = ch03.precision_recall((precision, recall), _confusion(), digit=9)
    assert feedback.passed, str(feedback)


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ((70 / 75, 70 / 72), "swapped"),
        ((70 / 72, 0.5), "recall"),
        ((..., ...), "still empty"),
        (..., "still empty"),
        ((0.5,), "pair"),
        ("0.9, 0.9", "got a string"),
    ],
)
def test_precision_recall_rejects_wrong_answers(answer, words):
    feedback = ch03.precision_recall(answer, _confusion(), digit=9)
    assert not feedback.passed and words in feedback.message


@pytest.mark.parametrize(
    ("confusion", "digit", "words"),
    [(np.zeros((3, 4)), 1, "square matrix"), (np.eye(3), 5, "digit must be")],
)
def test_precision_recall_rejects_a_bad_matrix_or_digit(confusion, digit, words):
    feedback = ch03.precision_recall((1.0, 1.0), confusion, digit=digit)
    assert not feedback.passed and words in feedback.message
