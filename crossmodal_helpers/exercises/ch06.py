"""Self-checks of chapter 6: attention."""

from __future__ import annotations

from typing import Any

import numpy as np

from crossmodal_helpers.exercises import (
    Feedback,
    as_array,
    check_array,
    check_choice,
    self_check,
)

#: Queries, keys and values of exercise 'Attention by hand' (2 queries, 3 keys, d_k = 4).
Q_SMALL = np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 2.0, 0.0, 2.0]])
K_SMALL = np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0]])
V_SMALL = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])

#: Length of the sequence of exercise 'A causal mask'.
CAUSAL_LENGTH = 5

#: Attention maps (4×4 patches over a 32×32 image) and boxes of exercise 'Pointing by hand'.
POINTING_IMAGE_SIZE = 32
POINTING_MAPS = np.zeros((4, 4, 4))
POINTING_MAPS[0, 1, 2] = 1.0  # patch row 1, column 2: centre (x=20, y=12)
POINTING_MAPS[1, 3, 0] = 1.0  # row 3, column 0: centre (4, 28)
POINTING_MAPS[2, 0, 3] = 0.6  # row 0, column 3: centre (28, 4)
POINTING_MAPS[2, 2, 2] = 0.4
POINTING_MAPS[3, 2, 1] = 1.0  # row 2, column 1: centre (12, 20)
POINTING_BOXES = np.array(
    [
        [16, 8, 26, 18],  # contains (20, 12): hit
        [24, 0, 32, 8],  # (4, 28) is not inside; (28, 4), the transposed point, is
        [18, 18, 30, 30],  # contains the second-highest patch (20, 20), not the peak
        [8, 16, 14, 22],  # contains (12, 20): hit
    ]
)

#: Options of exercise 'Looking beside the object'.
VALUE_OPTIONS = ("local values", "contextual values", "more heads", "longer training")


def _softmax(scores: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@self_check
def attention_weights(answer: Any) -> Feedback:
    """Check exercise 'Attention by hand': the (2, 3) weights of Q_SMALL over K_SMALL."""
    d_k = Q_SMALL.shape[1]
    scores = Q_SMALL @ K_SMALL.T
    expected = _softmax(scores / np.sqrt(d_k))
    hint = (
        "one row per query and one column per key: compare each query with each key, scale "
        "as section 6.2 says, then turn each query's row into weights that sum to 1"
    )
    got = as_array(answer, "weights", hint).astype(float)
    if got.shape == expected.shape and np.isfinite(got).all():
        if np.allclose(got, _softmax(scores), atol=1e-4):
            return Feedback(
                False,
                "weights are the softmax of the UNSCALED scores: too peaked",
                "divide the scores by sqrt(d_k) before the softmax",
            )
        if np.allclose(got, _softmax(scores / np.sqrt(d_k), axis=0), atol=1e-4):
            return Feedback(
                False,
                "the softmax ran down the columns: each key's weights sum to 1, not each query's",
                "normalise along the keys (the last axis), so that each row sums to 1",
            )
        if np.allclose(got, scores / np.sqrt(d_k), atol=1e-4):
            return Feedback(False, "weights are the scaled scores: the softmax is missing", hint)
        if np.allclose(got, _softmax(scores / d_k), atol=1e-4):
            return Feedback(
                False, "the scores are divided by d_k", "scale by the square root of d_k"
            )
    return check_array(got, expected, name="weights", hint=hint, rtol=1e-4, atol=1e-6)


@self_check
def causal_mask(answer: Any) -> Feedback:
    """Check exercise 'A causal mask': a (5, 5) mask, True where key j <= query i.

    Booleans are expected; a 0/1 array passes too.
    """
    query, key = np.indices((CAUSAL_LENGTH, CAUSAL_LENGTH))
    expected = key <= query
    hint = (
        "row i is the query at position i and column j the key; it may look at keys "
        "j = 0, …, i (itself and the past): which triangle of the matrix is that, and is the "
        "diagonal in it?"
    )
    got = as_array(answer, "mask", hint)
    if got.shape == expected.shape and np.isin(got, (0, 1)).all():
        got = got.astype(bool)
        if np.array_equal(got, expected.T):
            return Feedback(
                False,
                "mask lets each position see the FUTURE (upper triangle), not the past",
                hint,
            )
        if np.array_equal(got, key < query):
            return Feedback(
                False,
                "the diagonal is False: a token may not attend to itself, and the first row "
                "has nothing to attend to",
                "keep the diagonal: position i may attend to itself",
            )
        if np.array_equal(got, ~expected):
            return Feedback(
                False,
                "mask is True exactly where attention must be blocked",
                "here True means 'may attend'",
            )
    return check_array(got, expected, name="mask", hint=hint)


@self_check
def pointing(answer: Any) -> Feedback:
    """Check exercise 'Pointing by hand': a boolean hit per map of POINTING_MAPS."""
    grid = POINTING_MAPS.shape[1]
    side = POINTING_IMAGE_SIZE / grid
    peaks = POINTING_MAPS.reshape(len(POINTING_MAPS), -1).argmax(axis=1)
    x, y = (peaks % grid + 0.5) * side, (peaks // grid + 0.5) * side
    b = POINTING_BOXES
    expected = (x >= b[:, 0]) & (x < b[:, 2]) & (y >= b[:, 1]) & (y < b[:, 3])
    hint = (
        "for each map: find the patch with the largest weight, turn its row and column into "
        "the pixel coordinates of that patch's centre (patches are 8 pixels wide), and test "
        "that centre against the box, whose ends are exclusive"
    )
    got = as_array(answer, "hits", hint)
    if got.shape == expected.shape and np.isin(got, (0, 1)).all():
        got = got.astype(bool)
        if got[1] and not expected[1]:
            return Feedback(
                False,
                "map 1 is counted as a hit: x and y seem swapped",
                "the column gives x (horizontal), the row gives y (vertical)",
            )
        if got[2] and not expected[2]:
            return Feedback(
                False,
                "map 2 is counted as a hit, but its PEAK (the largest weight) is outside the box",
                "only the patch with the largest weight counts, not any patch with weight",
            )
    return check_array(got, expected, name="hits", hint=hint)


@self_check
def looking_beside(answer: Any) -> Feedback:
    """Check exercise 'Looking beside the object': which design lets attention miss."""
    return check_choice(
        answer,
        "contextual values",
        VALUE_OPTIONS,
        hint="ask what a patch NEXT TO the object carries in its value: if it already 'sees' "
        "the object's colour, the model does not need to attend to the object itself",
    )


#: The code length, width and offset of exercise 'Relative position in the sinusoidal code'.
RELATIVE_LENGTH, RELATIVE_WIDTH, RELATIVE_OFFSET, RELATIVE_COUNT = 64, 16, 5, 20


@self_check
def relative_position(answer: Any) -> Feedback:
    """Check exercise 'Relative position in the sinusoidal code': PE[p] · PE[p + 5]."""
    hint = (
        "with pe = attention.sinusoidal_encoding(64, 16), compute pe[p] @ pe[p + 5] for "
        "p = 0, ..., 19"
    )
    frequencies = 10000.0 ** (-np.arange(0, RELATIVE_WIDTH, 2) / RELATIVE_WIDTH)
    value = float(np.sum(np.cos(RELATIVE_OFFSET * frequencies)))
    got = as_array(answer, "dots", hint).astype(float)
    if got.shape == (RELATIVE_COUNT,) and np.allclose(got, 2 * value, rtol=1e-4):
        return Feedback(
            False, "dots are twice too large", "take each product once: pe[p] @ pe[p + 5]"
        )
    if got.shape == (RELATIVE_COUNT,) and np.allclose(got, RELATIVE_WIDTH / 2, rtol=1e-4):
        return Feedback(
            False,
            "dots are each code's product with itself",
            "pair position p with position p + 5, not with itself",
        )
    return check_array(got, np.full(RELATIVE_COUNT, value), name="dots", hint=hint, rtol=1e-4)
