"""Unit tests of crossmodal_helpers.exercises: feedback, hints, never AssertionError."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits

from crossmodal_helpers import exercises


def test_feedback_is_truthy_only_when_passed():
    assert exercises.Feedback(True, "ok")
    assert not exercises.Feedback(False, "no", "hint")


def test_failed_feedback_shows_the_hint_as_text_and_html():
    feedback = exercises.Feedback(False, "x is wrong", "try y")
    assert str(feedback) == "Not yet: x is wrong\nHint: try y"
    assert "Hint: try y" in feedback._repr_html_()


@pytest.mark.parametrize(
    ("answer", "passed", "words"),
    [
        (0.5, True, "answer = 0.5"),
        (0.7, False, "too large"),
        (0.1, False, "too small"),
        ("0.5", False, "should be a number"),
        (float("nan"), False, "not a finite number"),
        (..., False, "still empty"),
        (None, False, "still empty"),
    ],
)
def test_check_value(answer, passed, words):
    feedback = exercises.check_value(answer, 0.5, hint="h")
    assert feedback.passed is passed
    assert words in feedback.message


def test_check_value_compares_strings_and_types():
    assert exercises.check_value("svm", "svm").passed
    assert "should be a str" in exercises.check_value(3, "svm").message
    assert "not the expected" in exercises.check_value("tree", "svm").message


def test_check_array_reports_shape_then_values():
    expected = np.arange(6.0).reshape(2, 3)
    assert exercises.check_array(expected.copy(), expected).passed
    assert "shape (3, 2)" in exercises.check_array(expected.T, expected).message
    wrong = expected.copy()
    wrong[1, 2] = 0
    message = exercises.check_array(wrong, expected).message
    assert "1 of 6 entries" in message and "(1, 2)" in message
    assert "NaN" in exercises.check_array(np.full((2, 3), np.nan), expected).message
    assert "non-numeric" in exercises.check_array(np.array([["a"] * 3] * 2), expected).message


def test_check_choice():
    options = ["multimodal", "cross-modal"]
    assert exercises.check_choice(" Cross-Modal ", "cross-modal", options).passed
    assert "not one of" in exercises.check_choice("both", "cross-modal", options).message
    assert "not the best" in exercises.check_choice("multimodal", "cross-modal", options).message


def test_ch01_class_means_accepts_the_solution_and_explains_mistakes():
    digits = load_digits()
    solution = np.stack([digits.images[digits.target == k].mean(axis=0) for k in range(10)])
    assert exercises.ch01.class_means(solution).passed
    scaled = exercises.ch01.class_means(solution / 16)
    assert not scaled.passed and "select the images" in scaled.hint
    assert "still empty" in exercises.ch01.class_means(...).message
    assert "shape (10, 64)" in exercises.ch01.class_means(solution.reshape(10, 64)).message


def test_ch01_which_kind():
    right = {"a": "cross-modal", "b": "multimodal", "c": "cross-modal"}
    assert exercises.ch01.which_kind(right).passed
    wrong = exercises.ch01.which_kind({**right, "b": "cross-modal"})
    assert not wrong.passed and "task (b)" in wrong.message and "test time" in wrong.hint
    assert "keys 'a', 'b' and 'c'" in exercises.ch01.which_kind(["a"]).message
    assert "not one of" in exercises.ch01.which_kind({**right, "a": "both"}).message


def test_ch01_leakage():
    movies = np.array([f"m{i % 7}" for i in range(60)])
    in_test = np.random.default_rng(1).random(60) < 0.3
    seen = set(movies[~in_test])
    right = float(np.mean([m in seen for m in movies[in_test]]))
    assert exercises.ch01.leakage(right, movies).passed
    assert "not a fraction" in exercises.ch01.leakage(3.0, movies).message
    assert "still empty" in exercises.ch01.leakage(..., movies).message
    wrong = exercises.ch01.leakage(right / 2, movies)
    assert not wrong.passed and "too small" in wrong.message


def test_ch01_tag_counts():
    tags = [["O", "COLOR", "SHAPE"], ["COLOR", "SHAPE", "O", "POSITION"]]
    assert exercises.ch01.tag_counts({"O": 2, "COLOR": 2, "SHAPE": 2, "POSITION": 1}, tags).passed
    assert (
        "no entry for COLOR, POSITION, SHAPE" in exercises.ch01.tag_counts({"O": 2}, tags).message
    )
    too_many = exercises.ch01.tag_counts({"O": 3, "COLOR": 2, "SHAPE": 2, "POSITION": 1}, tags)
    assert "counts too many" in too_many.message
    assert "should be a dict" in exercises.ch01.tag_counts([1], tags).message
