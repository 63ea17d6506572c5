"""The shared argument checks: what they accept and the errors that name the argument."""

from __future__ import annotations

import numpy as np
import pytest

from crossmodal_helpers._checks import check_numeric_array, check_texts


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
