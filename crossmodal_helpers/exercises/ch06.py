"""Self-checks of chapter 6: attention."""

from __future__ import annotations

from typing import Any

import numpy as np

from crossmodal_helpers.exercises import Feedback, check_array, check_choice

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


def attention_weights(answer: Any) -> Feedback:
    """Check exercise 'Attention by hand': the (2, 3) weights of Q_SMALL over K_SMALL."""
    scores = Q_SMALL @ K_SMALL.T
    expected = _softmax(scores / np.sqrt(Q_SMALL.shape[1]))
    hint = (
        "scores = Q @ K.T / sqrt(d_k) with d_k = 4; then a softmax along each ROW "
        "(one row per query), so every row sums to 1"
    )
    try:
        got = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        got = None
    if got is not None and got.shape == expected.shape and np.isfinite(got).all():
        if np.allclose(got, _softmax(scores), atol=1e-4):
            return Feedback(
                False,
                "weights are the softmax of the UNSCALED scores: too peaked",
                "divide the scores by sqrt(d_k) = 2 before the softmax",
            )
        if np.allclose(got, _softmax(scores / np.sqrt(Q_SMALL.shape[1]), axis=0), atol=1e-4):
            return Feedback(
                False,
                "the softmax ran down the columns: each key's weights sum to 1, not each query's",
                "use axis=-1 (along the keys), so that each row sums to 1",
            )
        if np.allclose(got, scores / np.sqrt(Q_SMALL.shape[1]), atol=1e-4):
            return Feedback(False, "weights are the scaled scores: the softmax is missing", hint)
    return check_array(answer, expected, name="weights", hint=hint, rtol=1e-4, atol=1e-6)


def causal_mask(answer: Any) -> Feedback:
    """Check exercise 'A causal mask': a boolean (5, 5) mask, True where j <= i."""
    expected = np.tril(np.ones((CAUSAL_LENGTH, CAUSAL_LENGTH), dtype=bool))
    hint = (
        "row i is the query at position i and column j the key; it may look at keys "
        "j = 0, …, i (itself and the past): which triangle of the matrix is that, and is the "
        "diagonal in it?"
    )
    if answer is None or answer is Ellipsis:
        return Feedback(False, "mask is still empty: replace the ... with your code", hint)
    got = np.asarray(answer)
    if got.shape == expected.shape:
        if got.dtype != np.bool_:
            return Feedback(
                False,
                f"mask has dtype {got.dtype}; attention masks here are booleans",
                "convert with .astype(bool) (True = may attend)",
            )
        if np.array_equal(got, expected.T):
            return Feedback(
                False,
                "mask lets each position see the FUTURE (upper triangle), not the past",
                hint,
            )
        if np.array_equal(got, np.tril(expected, k=-1)):
            return Feedback(
                False,
                "the diagonal is False: a token may not attend to itself, and the first row "
                "has nothing to attend to",
                "keep the diagonal: np.tril(..., k=0)",
            )
    return check_array(answer, expected, name="mask", hint=hint)


def _reference_hits() -> np.ndarray:
    grid = POINTING_MAPS.shape[1]
    side = POINTING_IMAGE_SIZE / grid
    peaks = POINTING_MAPS.reshape(len(POINTING_MAPS), -1).argmax(axis=1)
    x, y = (peaks % grid + 0.5) * side, (peaks // grid + 0.5) * side
    b = POINTING_BOXES
    return (x >= b[:, 0]) & (x < b[:, 2]) & (y >= b[:, 1]) & (y < b[:, 3])


def pointing(answer: Any) -> Feedback:
    """Check exercise 'Pointing by hand': a boolean hit per map of POINTING_MAPS."""
    expected = _reference_hits()
    hint = (
        "for each map: find the patch with the largest weight, turn its row and column into "
        "the pixel coordinates of that patch's centre (patches are 8 pixels wide), and test "
        "that centre against the box, whose ends are exclusive"
    )
    if answer is None or answer is Ellipsis:
        return Feedback(False, "hits is still empty: replace the ... with your code", hint)
    got = np.asarray(answer)
    if got.shape == expected.shape and got.dtype == np.bool_:
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
    return check_array(answer, expected, name="hits", hint=hint)


def looking_beside(answer: Any) -> Feedback:
    """Check exercise 'Looking beside the object': which design lets attention miss."""
    return check_choice(
        answer,
        "contextual values",
        VALUE_OPTIONS,
        hint="ask what a patch NEXT TO the object carries in its value: if it already 'sees' "
        "the object's colour, the model does not need to attend to the object itself",
    )
