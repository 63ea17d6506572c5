"""The shared argument checks: what they accept and the errors that name the argument."""

from __future__ import annotations

import numpy as np
import pytest

from crossmodal_helpers._checks import (
    MAX_ELEMENTS,
    MAX_WIDTH,
    check_allocation,
    check_count,
    check_flag,
    check_image,
    check_images,
    check_labels,
    check_model_inputs,
    check_names,
    check_number,
    check_numeric_array,
    check_positive,
    check_sequence,
    check_str,
    check_texts,
    check_width,
)


def test_check_texts_returns_a_list():
    assert check_texts(("a red circle", "two")) == ["a red circle", "two"]
    assert check_texts(np.array(["x", "y"])) == ["x", "y"]


@pytest.mark.parametrize(
    ("texts", "kwargs", "error", "words"),
    [
        ("one caption", {}, TypeError, "captions must be a list of str, got a single str"),
        (7, {}, TypeError, "captions must be a list of str, got int"),
        (["ok", 3], {}, TypeError, "at index 1"),
        (["ok", "  "], {"nonempty": True}, ValueError, r"captions\[1\] is empty"),
    ],
)
def test_check_texts_rejects_bad_input(texts, kwargs, error, words):
    with pytest.raises(error, match=words):
        check_texts(texts, "captions", **kwargs)


def test_check_texts_allows_empty_texts_unless_asked():
    assert check_texts(["", "a"], "captions") == ["", "a"]


def test_check_numeric_array_returns_float64():
    out = check_numeric_array([[1, 2], [3, 4]], "x", ndim=2)
    assert out.dtype == np.float64 and out.shape == (2, 2)


@pytest.mark.parametrize(
    ("value", "ndim", "error", "words"),
    [
        (["a", "b"], 1, TypeError, "x must be a numeric array"),
        ([1.0, 2.0], 2, ValueError, "x must be a 2-D array"),
        ([[1.0]], 1, ValueError, r"x must be a 1-D array \(one value per item\)"),
        (np.zeros(0), 1, ValueError, "x must not be empty"),
        ([1.0, np.nan], 1, ValueError, "x contains NaN"),
    ],
)
def test_check_numeric_array_rejects_bad_input(value, ndim, error, words):
    with pytest.raises(error, match=words):
        check_numeric_array(value, "x", ndim=ndim)


# ------------------------------------------------- images, labels, numbers, names, sizes


@pytest.mark.parametrize(
    ("check", "value", "error", "words"),
    [
        (check_images, np.zeros((28, 28, 1)), ValueError, r"one H×W×C image: pass x\[None\]"),
        (check_images, np.zeros((4, 4, 3)), ValueError, "one H×W×C image"),
        (check_images, np.full((1, 4, 4), 255.0), ValueError, "divide 8-bit images by 255"),
        (check_images, np.full((1, 4, 4), np.nan), ValueError, "x contains NaN"),
        (check_image, np.zeros((2, 4, 4, 1)), ValueError, "x must be one image"),
        (check_labels, [0.0, 1.0], TypeError, "x must hold integer class ids"),
        (check_labels, [[0, 1]], ValueError, "x must be a 1-D array"),
        (check_labels, [0, -1], ValueError, "x must be class ids >= 0"),
        (check_number, float("nan"), ValueError, "x must be a finite number"),
        (check_number, "1", TypeError, "x must be a number"),
        (check_positive, 0.0, ValueError, "x must be a positive number"),
        (check_positive, True, TypeError, "x must be a number"),
        (check_flag, 1, TypeError, "x must be True or False"),
        (check_names, "abc", TypeError, "x must be a list of str, got a single str"),
        (check_names, [1.5], TypeError, "x must hold str, got float at index 0"),
        (check_sequence, "abc", TypeError, "x must be a list of values"),
        (check_sequence, [], ValueError, "x must hold at least one value"),
        (check_str, 3, TypeError, "x must be a str, got int"),
        (check_width, 10**9, ValueError, f"x must be at most {MAX_WIDTH}"),
        (check_model_inputs, [np.zeros((2, 3)), np.zeros((3, 3))], ValueError, "lengths"),
        (check_model_inputs, [[1, 2]], TypeError, r"x\[0\] must be a NumPy array"),
        (check_model_inputs, np.array([1.0, np.inf]), ValueError, "x contains NaN"),
    ],
)
def test_the_checks_reject_bad_values_naming_the_argument(check, value, error, words):
    with pytest.raises(error, match=words):
        check(value, name="x") if check in (check_images, check_image) else check(value, "x")


def test_the_checks_return_clean_values():
    assert check_images(np.zeros((2, 4, 4))).shape == (2, 4, 4, 1)
    assert check_image(np.zeros((4, 4))).shape == (4, 4, 1)
    assert check_labels([0, 2], n=2, n_classes=3).dtype == np.int64
    assert check_names(range(3), "x", n=3) == ["0", "1", "2"]
    assert check_number(np.float32(2.5), "x", minimum=0) == 2.5
    assert check_count(5, "x", maximum=5) == 5
    assert check_texts(["a", "b"], "x", per_image=2) == ["a", "b"]
    ids = np.array([[1, 2]])
    assert check_model_inputs([np.zeros((1, 4, 4, 1)), ids])[1] is ids


def test_labels_and_texts_must_match_the_counts():
    with pytest.raises(ValueError, match=r"x must be class ids in \[0, 3\)"):
        check_labels([0, 3], "x", n_classes=3)
    with pytest.raises(ValueError, match=r"x must have one entry per example \(3\)"):
        check_labels([0, 1], "x", n=3)
    with pytest.raises(ValueError, match=r"x must have one str per image \(3\), got 2"):
        check_texts(["a", "b"], "x", per_image=3)


def test_huge_allocations_are_refused_before_numpy_tries():
    check_allocation((16, 16), "x")
    with pytest.raises(ValueError, match="x is too large"):
        check_allocation((MAX_ELEMENTS, 2), "x")
