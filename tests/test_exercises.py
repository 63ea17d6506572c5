"""Unit tests of the shared machinery of crossmodal_helpers.exercises, and of chapter 1's checks."""

from __future__ import annotations

import contextlib
import threading
import time

import numpy as np
import pytest
from sklearn.datasets import load_digits

from crossmodal_helpers import exercises
from crossmodal_helpers.exercises import AnswerProblem, Feedback


def test_feedback_is_truthy_only_when_passed():
    assert Feedback(True, "ok")
    assert not Feedback(False, "no", "hint")


def test_failed_feedback_shows_the_hint_as_text_and_html():
    feedback = Feedback(False, "x is wrong", "try y")
    assert str(feedback) == "Not yet: x is wrong\nHint: try y"
    assert "Hint: try y" in feedback._repr_html_()


@pytest.mark.parametrize(
    ("answer", "passed", "words"),
    [
        (0.5, True, "answer is right"),
        (np.float32(0.5), True, "answer is right"),
        (np.array([0.5]), True, "answer is right"),
        (0.7, False, "too large"),
        (0.1, False, "too small"),
        (-0.5, False, "wrong sign"),
        ("0.5", False, "should be a number"),
        (True, False, "got a bool"),
        ([0.5, 0.5], False, "one number"),
        (float("nan"), False, "not a finite number"),
        (..., False, "still empty"),
        (None, False, "still empty"),
    ],
)
def test_check_value_says_the_direction_never_the_value(answer, passed, words):
    feedback = exercises.check_value(answer, 0.5, hint="h")
    assert feedback.passed is passed
    assert words in feedback.message
    if not passed:
        assert "0.5" not in feedback.message.replace(repr(answer), "")


def test_check_value_accepts_float32_rounding():
    expected = 1 / 3
    assert exercises.check_value(np.float32(expected), expected, rel_tol=1e-9).passed
    assert not exercises.check_value(np.float64(expected) * (1 + 1e-7), expected, rel_tol=1e-9)


def test_check_value_compares_strings_and_types():
    assert exercises.check_value("svm", "svm").passed
    assert "should be a str" in exercises.check_value(3, "svm").message
    wrong = exercises.check_value("tree", "svm")
    assert "not the expected" in wrong.message and "svm" not in str(wrong)


def test_check_array_reports_shape_then_which_entries_without_values():
    expected = np.arange(6.0).reshape(2, 3) + 10
    assert exercises.check_array(expected.copy(), expected).passed
    assert "shape (3, 2)" in exercises.check_array(expected.T, expected).message
    wrong = expected.copy()
    wrong[1, 2] = 0
    feedback = exercises.check_array(wrong, expected)
    assert "1 of 6 entries" in feedback.message and "too small at (1, 2)" in feedback.message
    assert "15" not in str(feedback)
    assert "opposite sign" in exercises.check_array(-expected, expected).message
    assert "constant factor" in exercises.check_array(expected * 3, expected).message
    assert "NaN" in exercises.check_array(np.full((2, 3), np.nan), expected).message
    assert (
        "should hold numbers" in exercises.check_array(np.array([["a"] * 3] * 2), expected).message
    )


def test_check_array_on_booleans_names_one_wrong_entry_only():
    expected = np.array([True, False, True, False, True])
    feedback = exercises.check_array(~expected, expected)
    assert "5 of 5 entries" in feedback.message and "the first at 0" in feedback.message
    assert "True" not in feedback.message and "False" not in feedback.message


def test_check_choice():
    options = ["multimodal", "cross-modal"]
    assert exercises.check_choice(" Cross-Modal ", "cross-modal", options).passed
    assert "not one of" in exercises.check_choice("both", "cross-modal", options).message
    assert "not the best" in exercises.check_choice("multimodal", "cross-modal", options).message
    assert "still empty" in exercises.check_choice(..., "cross-modal", options).message


def test_check_choices_format_hint_shows_no_answer():
    feedback = exercises.check_choices(
        ["a"], {"a": "late", "b": "joint"}, ("early", "late", "joint"), hints={}
    )
    assert "'a': ..., 'b': ..." in feedback.hint and "'a': 'late'" not in str(feedback)


@pytest.mark.parametrize(
    ("value", "shape"),
    [
        ([[1, 2], [3, 4]], (2, 2)),
        (((1.0, 2.0), (3.0, 4.0)), (2, 2)),
        (np.float32(2.5), ()),
        (np.arange(3, dtype=np.float32), (3,)),
    ],
)
def test_as_array_reads_python_and_numpy_values(value, shape):
    assert exercises.as_array(value).shape == shape


def test_as_array_reads_tensors_and_sparse_matrices():
    import keras
    import scipy.sparse
    import tensorflow as tf

    matrix = np.arange(6.0).reshape(2, 3)
    for value in (
        tf.constant(matrix),
        keras.ops.convert_to_tensor(matrix),
        tf.Variable(matrix),
        scipy.sparse.csr_matrix(matrix),
        scipy.sparse.coo_array(matrix),
        tf.sparse.from_dense(matrix),
        [tf.constant(row) for row in matrix],
    ):
        np.testing.assert_array_equal(exercises.as_array(value), matrix)


def test_a_symbolic_keras_tensor_is_explained():
    import keras

    with pytest.raises(AnswerProblem, match="symbolic Keras tensor"):
        exercises.as_array(keras.Input(shape=(3,)))
    feedback = exercises.check_array(keras.Input(shape=(3,)), np.zeros(3))
    assert not feedback.passed and "no values yet" in feedback.message


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (None, "still empty"),
        ([..., ...], "still empty"),
        ("text", "got a string"),
        ([[1, 2], [3]], "ragged"),
        ({"a": 1}, "got a dict"),
        (np.array([1 + 2j]), "complex"),
        (len, "got a builtin_function_or_method"),
    ],
)
def test_as_array_rejects_what_is_not_an_array_of_numbers(value, words):
    with pytest.raises(AnswerProblem, match=words):
        exercises.as_array(value, "x")


def test_self_check_turns_any_error_into_feedback():
    @exercises.self_check
    def check(answer):
        return Feedback(True, "ok") if answer == 1 else 1 / 0

    @exercises.self_check
    def returns_nothing(answer):
        return None

    assert check(1).passed
    crashed = check(2)
    assert not crashed.passed and "could not be checked: ZeroDivisionError" in crashed.message
    assert isinstance(returns_nothing(1), Feedback) and not returns_nothing(1).passed
    assert check.__doc__ is None and check.__name__ == "check"


def _never_returns(*args):
    while True:
        pass


def _in_main_thread():
    """The timer signal needs the main thread; elsewhere a busy loop would be left spinning."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("runs only in the main thread, where Jupyter runs cells")


def _swallows_exceptions(*args):
    while True:  # a learner's over-broad except must not defeat the limit
        with contextlib.suppress(Exception):
            time.sleep(0.01)


@pytest.mark.parametrize("function", [_never_returns, _swallows_exceptions])
def test_a_function_that_never_returns_is_stopped_in_the_main_thread(function):
    _in_main_thread()
    start = time.perf_counter()
    with pytest.raises(AnswerProblem, match="did not finish within 0.3 s"):
        exercises.call_with_time_limit(function, 1, label="f(1)", seconds=0.3)
    assert time.perf_counter() - start < 3


def test_a_function_that_never_returns_is_stopped_outside_the_main_thread():
    outcome = {}

    def run():
        try:
            exercises.call_with_time_limit(time.sleep, 30, label="sleep", seconds=0.3)
        except AnswerProblem as problem:
            outcome["message"] = problem.message

    worker = threading.Thread(target=run)
    start = time.perf_counter()
    worker.start()
    worker.join(5)
    assert "did not finish" in outcome["message"] and time.perf_counter() - start < 3


def test_call_with_time_limit_returns_values_and_reports_errors():
    assert exercises.call_with_time_limit(max, 1, 2, label="max") == 2
    with pytest.raises(AnswerProblem, match=r"f\(\) raised KeyError: 'k'"):
        exercises.call_with_time_limit({}.__getitem__, "k", label="f()")
    with pytest.raises(AnswerProblem, match="recursed too deeply"):

        def forever(n):
            return forever(n + 1)

        exercises.call_with_time_limit(forever, 0, label="f(0)")


def test_a_hanging_segmenter_is_stopped_with_a_message(monkeypatch):
    _in_main_thread()
    monkeypatch.setattr(exercises, "TIME_LIMIT", 0.3)
    start = time.perf_counter()
    feedback = exercises.ch02.backward_max_match(_never_returns)
    assert not feedback.passed and "did not finish" in feedback.message
    assert time.perf_counter() - start < 3


def test_ch01_class_means_accepts_the_solution_and_explains_mistakes():
    digits = load_digits()
    solution = np.stack([digits.images[digits.target == k].mean(axis=0) for k in range(10)])
    assert exercises.ch01.class_means(solution).passed
    scaled = exercises.ch01.class_means(solution / 16)
    assert not scaled.passed and "0–1 scale" in scaled.message
    assert "still empty" in exercises.ch01.class_means(...).message
    assert "shape (10, 64)" in exercises.ch01.class_means(solution.reshape(10, 64)).message


def test_ch01_which_kind():
    right = {"a": "cross-modal", "b": "multimodal", "c": "cross-modal"}
    assert exercises.ch01.which_kind(right).passed
    wrong = exercises.ch01.which_kind({**right, "b": "cross-modal"})
    assert not wrong.passed and "(b)" in wrong.message and "test time" in wrong.hint
    malformed = exercises.ch01.which_kind(["a"])
    assert "keys 'a', 'b', 'c'" in malformed.message and "cross-modal'," not in str(malformed)
    assert "not one of" in exercises.ch01.which_kind({**right, "a": "both"}).message


def test_ch01_leakage():
    movies = np.array([f"m{i % 7}" for i in range(60)] + [f"solo{i}" for i in range(10)])
    in_test = np.random.default_rng(1).random(len(movies)) < 0.3
    seen = set(movies[~in_test])
    right = float(np.mean([m in seen for m in movies[in_test]]))
    assert exercises.ch01.leakage(right, movies).passed
    assert exercises.ch01.leakage(np.float32(right), movies).passed
    assert "not a fraction" in exercises.ch01.leakage(3.0, movies).message
    assert "still empty" in exercises.ch01.leakage(..., movies).message
    wrong = exercises.ch01.leakage(right / 2, movies)
    assert not wrong.passed and "too small" in wrong.message


def test_ch01_tag_counts():
    tags = [["O", "COLOR", "SHAPE"], ["COLOR", "SHAPE", "O", "POSITION"]]
    assert exercises.ch01.tag_counts({"O": 2, "COLOR": 2, "SHAPE": 2, "POSITION": 1}, tags).passed
    assert exercises.ch01.tag_counts(
        {"O": 2, "COLOR": 2, "SHAPE": 2, "POSITION": np.int64(1)}, tags
    )
    assert (
        "no entry for COLOR, POSITION, SHAPE" in exercises.ch01.tag_counts({"O": 2}, tags).message
    )
    too_many = exercises.ch01.tag_counts({"O": 3, "COLOR": 2, "SHAPE": 2, "POSITION": 1}, tags)
    assert "counts too many" in too_many.message
    assert "should be a dict" in exercises.ch01.tag_counts([1], tags).message
