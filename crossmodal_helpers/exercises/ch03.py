"""Self-checks of chapter 3: image recognition."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from crossmodal_helpers.exercises import (
    AnswerProblem,
    Feedback,
    as_array,
    as_number,
    check_array,
    check_value,
    compare_number,
    self_check,
)

#: The Sobel kernel of the horizontal derivative (it responds to vertical edges).
SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32)


@self_check
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
    got = as_array(answer, "gx", hint)
    if got.shape == expected.shape and np.allclose(got, -expected, atol=1e-5):
        return Feedback(
            False,
            "gx has the right size but the opposite sign everywhere",
            "you flipped the kernel (that is convolution); "
            "a CNN layer and this exercise use correlation, without the flip",
        )
    if got.shape == (28, 28):
        return Feedback(
            False,
            "gx has the digit's size, 28×28: it includes positions where the kernel sticks out",
            "keep only the positions where the whole 3×3 kernel lies inside the image",
        )
    return check_array(got, expected, name="gx", hint=hint, atol=1e-5)


@self_check
def hog_length(answer: Any) -> Feedback:
    """Check exercise 'How long is a HOG vector?': 28×28 digit, 4×4-pixel cells, 2×2 blocks."""
    from crossmodal_helpers import vision

    hint = (
        "section 3.3 counts the vector for 7×7-pixel cells: which of its factors depend on "
        "the cell size? (The blocks overlap, moving one cell at a time.)"
    )
    got = as_number(answer, "hog_length", hint)
    blank = np.zeros((1, 28, 28), dtype=np.float32)
    expected = vision.hog_features(blank, pixels_per_cell=4, cells_per_block=2).shape[1]
    cells = (28 // 4) ** 2 * 9
    if got == cells and cells != expected:
        return Feedback(
            False,
            "hog_length counts each cell once",
            "in HOG each cell's histogram is repeated in every block that contains it",
        )
    return compare_number(got, expected, name="hog_length", hint=hint)


@self_check
def cnn_parameters(answer: Any) -> Feedback:
    """Check exercise 'Counting parameters': the chapter's CNN with 3×3 instead of 5×5 kernels.

    The expected count is read from ``vision.build_digit_cnn``'s layers, with the kernels of
    its convolutions taken as 3×3.
    """
    import keras

    from crossmodal_helpers import vision

    hint = (
        "a Conv2D layer has one k×k kernel per input channel and filter, plus one bias per "
        "filter; pooling, flatten and dropout learn nothing. cnn.summary() lists every "
        "layer's output shape and parameter count for k = 5: which of them change with k?"
    )
    got = as_number(answer, "n_parameters", hint)
    model = vision.build_digit_cnn()
    if got == model.count_params():
        return Feedback(
            False,
            "n_parameters is the chapter's model with 5×5 kernels",
            "count again with k = 3 in both convolutions; does padding='same' let the "
            "kernel size change the shape of the map the dense layer sees?",
        )
    expected = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            channels = layer.input.shape[-1]
            expected += 3 * 3 * channels * layer.filters + layer.filters
        else:
            expected += layer.count_params()
    return compare_number(got, expected, name="n_parameters", hint=hint)


@self_check
def precision_recall(answer: Any, confusion: Any, digit: int = 9) -> Feedback:
    """Check exercise 'Precision and recall by hand': (precision, recall) of one digit."""
    confusion = np.asarray(confusion)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1]:
        raise AnswerProblem(
            f"confusion must be a square matrix, got shape {confusion.shape}",
            "pass the report's confusion matrix: cnn_report.confusion",
        )
    if isinstance(digit, (bool, np.bool_)) or not isinstance(digit, (int, np.integer)):
        raise AnswerProblem(f"digit must be an int class id, got {digit!r}"[:80])
    if not 0 <= digit < len(confusion):
        raise AnswerProblem(f"digit must be a class id in [0, {len(confusion)}), got {digit}")
    pair = as_array(answer, "answer", "write answer = (precision_9, recall_9)")
    if pair.shape != (2,):
        raise AnswerProblem(
            "answer must be a pair (precision, recall)", "write answer = (precision_9, recall_9)"
        )
    precision, recall = as_number(pair[0], "precision"), as_number(pair[1], "recall")
    true_positives = float(confusion[digit, digit])
    predicted, actual = float(confusion[:, digit].sum()), float(confusion[digit, :].sum())
    # A digit never predicted (or never present) gets 0, as in metrics.classification_report.
    expected_precision = true_positives / predicted if predicted else 0.0
    expected_recall = true_positives / actual if actual else 0.0
    if (
        not math.isclose(expected_precision, expected_recall)
        and math.isclose(precision, expected_recall, rel_tol=1e-4)
        and math.isclose(recall, expected_precision, rel_tol=1e-4)
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
