"""Self-checks of chapter 3: image recognition."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from crossmodal_helpers.exercises import Feedback, check_array, check_value

#: The Sobel kernel of the horizontal derivative (it responds to vertical edges).
SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32)


def sobel_x(answer: Any) -> Feedback:
    """Check exercise 'Sobel by hand': the valid correlation of the first test digit with G_x."""
    from scipy.signal import correlate2d

    from crossmodal_helpers import datasets

    image = datasets.load("mnist5k", split="test", seed=0).images[0, ..., 0]
    expected = correlate2d(image, SOBEL_X, mode="valid")
    hint = (
        "entry (i, j) combines the kernel with the 3×3 patch whose top-left corner is pixel "
        "(i, j), entry by entry; how many such positions fit along one side of 28 pixels?"
    )
    feedback = check_array(answer, expected, name="gx", hint=hint, atol=1e-5)
    if not feedback.passed and np.shape(answer) == expected.shape:
        flipped = np.asarray(answer, dtype=float)
        if np.allclose(flipped, -expected, atol=1e-5):
            return Feedback(
                False,
                "gx has the right size but the opposite sign everywhere",
                "you flipped the kernel (that is convolution); "
                "a CNN layer and this exercise use correlation, without the flip",
            )
    return feedback


def hog_length(answer: Any) -> Feedback:
    """Check exercise 'How long is a HOG vector?': 28×28 digit, 4×4-pixel cells, 2×2 blocks."""
    from crossmodal_helpers import vision

    blank = np.zeros((1, 28, 28), dtype=np.float32)
    expected = vision.hog_features(blank, pixels_per_cell=4, cells_per_block=2).shape[1]
    return check_value(
        answer,
        expected,
        name="hog_length",
        hint="section 3.3 counts the vector for 7×7-pixel cells: which of its factors "
        "depend on the cell size? (The blocks overlap, moving one cell at a time.)",
    )


def digit_cnn_parameters(kernel_size: int) -> int:
    """Trainable parameters of the chapter's CNN with square kernels of ``kernel_size``."""
    conv1 = kernel_size * kernel_size * 1 * 16 + 16
    conv2 = kernel_size * kernel_size * 16 * 32 + 32
    dense = 7 * 7 * 32 * 64 + 64
    output = 64 * 10 + 10
    return conv1 + conv2 + dense + output


def cnn_parameters(answer: Any) -> Feedback:
    """Check exercise 'Counting parameters': the chapter's CNN with 3×3 instead of 5×5 kernels."""
    hint = (
        "a Conv2D layer has one k×k kernel per input channel and filter, plus one bias per "
        "filter; pooling, flatten and dropout learn nothing. cnn.summary() lists every "
        "layer's output shape and parameter count for k = 5: which of them change with k?"
    )
    numbers = (int, float, np.integer, np.floating)
    five_by_five = digit_cnn_parameters(5)
    if isinstance(answer, numbers) and not isinstance(answer, bool) and answer == five_by_five:
        return Feedback(
            False,
            f"n_parameters = {answer} is the chapter's model with 5×5 kernels",
            "count again with k = 3 in both convolutions; does padding='same' let the "
            "kernel size change the shape of the map the dense layer sees?",
        )
    return check_value(answer, digit_cnn_parameters(3), name="n_parameters", hint=hint)


def precision_recall(answer: Any, confusion: Any, digit: int = 9) -> Feedback:
    """Check exercise 'Precision and recall by hand': (precision, recall) of one digit."""
    confusion = np.asarray(confusion)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1]:
        return Feedback(
            False,
            f"confusion must be a square matrix, got shape {confusion.shape}",
            "pass the report's confusion matrix: cnn_report.confusion",
        )
    if isinstance(digit, (bool, np.bool_)) or not isinstance(digit, (int, np.integer)):
        return Feedback(False, f"digit must be an int class id, got {digit!r}", "")
    if not 0 <= digit < len(confusion):
        return Feedback(
            False, f"digit must be a class id in [0, {len(confusion)}), got {digit}", ""
        )
    if answer is None or answer is Ellipsis:
        return Feedback(False, "answer is still empty: give (precision, recall)", "")
    try:
        precision, recall = answer
    except (TypeError, ValueError):
        return Feedback(
            False,
            "answer must be a pair (precision, recall)",
            "write answer = (precision_9, recall_9)",
        )
    true_positives = float(confusion[digit, digit])
    predicted, actual = float(confusion[:, digit].sum()), float(confusion[digit, :].sum())
    # A digit never predicted (or never present) gets 0, as in metrics.classification_report.
    expected_precision = true_positives / predicted if predicted else 0.0
    expected_recall = true_positives / actual if actual else 0.0
    numbers = (int, float, np.integer, np.floating)
    if (
        all(isinstance(v, numbers) and not isinstance(v, bool) for v in (precision, recall))
        and not math.isclose(expected_precision, expected_recall)
        and math.isclose(float(precision), expected_recall, rel_tol=1e-4)
        and math.isclose(float(recall), expected_precision, rel_tol=1e-4)
    ):
        return Feedback(
            False,
            "precision and recall are swapped",
            "precision asks 'of the images predicted as this digit, how many are it?' "
            "(a column), recall 'of the images of this digit, how many were found?' (a row)",
        )
    for name, value, expected, among in (
        ("precision", precision, expected_precision, f"the images predicted as {digit}"),
        ("recall", recall, expected_recall, f"the images that are a {digit}"),
    ):
        feedback = check_value(
            value,
            expected,
            name=name,
            rel_tol=1e-4,
            hint=f"{name} counts among {among}: is that a row or a column of the confusion "
            "matrix (rows are the truth, columns the prediction)?",
        )
        if not feedback.passed:
            return feedback
    return Feedback(True, f"precision {precision:.3f} and recall {recall:.3f} of digit {digit}")
