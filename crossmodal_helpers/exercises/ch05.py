"""Self-checks of chapter 5: autoencoders."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from crossmodal_helpers.exercises import Feedback, check_choice, check_value

#: The four pixels of exercise 'Reconstruction losses by hand': an input and its
#: reconstruction.
LOSS_INPUT = np.array([0.0, 1.0, 1.0, 0.5])
LOSS_RECONSTRUCTION = np.array([0.1, 0.8, 0.6, 0.5])

#: The options of exercise 'Without modality dropout'.
DROPOUT_OPTIONS = ("text to image", "image to number", "both", "neither")


def _mse(x: np.ndarray, x_hat: np.ndarray) -> float:
    return float(np.mean((x - x_hat) ** 2))


def _bce(x: np.ndarray, x_hat: np.ndarray) -> float:
    return float(-np.mean(x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat)))


def losses(answer: Any) -> Feedback:
    """Check exercise 'Reconstruction losses by hand': ``{"mse": ..., "bce": ...}``."""
    x, x_hat = LOSS_INPUT, LOSS_RECONSTRUCTION
    expected = {"mse": _mse(x, x_hat), "bce": _bce(x, x_hat)}
    if not isinstance(answer, dict) or sorted(answer) != ["bce", "mse"]:
        return Feedback(
            False,
            "losses must be a dict with the keys 'mse' and 'bce'",
            "write losses = {'mse': ..., 'bce': ...}",
        )
    mistakes = {
        "mse": {
            float(np.sum((x - x_hat) ** 2)): "you summed the squared errors: average them",
            float(np.mean(np.abs(x - x_hat))): "square the errors before averaging",
        },
        "bce": {
            float(-np.sum(x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat))): (
                "you summed over the pixels: average them, as Keras does"
            ),
            float(-np.mean(x * np.log10(x_hat) + (1 - x) * np.log10(1 - x_hat))): (
                "use the natural logarithm (np.log), not log10"
            ),
            float(-np.mean(x * np.log(x_hat))): (
                "the term (1 - x) log(1 - x_hat) matters too: it punishes ink where there is none"
            ),
        },
    }
    hints = {
        "mse": "MSE is the mean over the pixels of (x - x_hat) ** 2",
        "bce": "BCE is minus the mean over the pixels of x log(x_hat) + (1 - x) log(1 - x_hat)",
    }
    for key in ("mse", "bce"):
        got = answer[key]
        if isinstance(got, (int, float, np.number)) and not isinstance(got, bool):
            for wrong, hint in mistakes[key].items():
                if math.isclose(float(got), wrong, rel_tol=1e-4) and not math.isclose(
                    wrong, expected[key], rel_tol=1e-4
                ):
                    return Feedback(False, f"{key} = {got} is not right", hint)
        feedback = check_value(got, expected[key], name=key, hint=hints[key], rel_tol=1e-4)
        if not feedback.passed:
            return feedback
    return Feedback(True, f"MSE = {expected['mse']:.4f} and BCE = {expected['bce']:.4f}")


def true_bottleneck(answer: Any, model: Any) -> Feedback:
    """Check exercise 'The real bottleneck': how many numbers reach the leaky decoder's core."""
    decoder = model.get_layer("decoder")
    joins = [layer for layer in decoder.layers if type(layer).__name__ == "Concatenate"]
    if len(joins) != 1:
        return Feedback(
            False,
            "model must be the leaky autoencoder of section 5.2 (its decoder joins two inputs)",
            "pass the model built by autoencoders.build_leaky_autoencoder",
        )
    expected = int(joins[0].output.shape[-1])
    if isinstance(answer, float) and answer.is_integer():
        answer = int(answer)
    if isinstance(answer, (int, np.integer)) and not isinstance(answer, bool):
        code = int(model.get_layer("encoder").output.shape[-1])
        if int(answer) == code:
            return Feedback(
                False,
                f"width = {answer} counts only the code",
                "the decoder also reads the raw image through its 'leak' layer: add its units",
            )
        answer = int(answer)
    return check_value(
        answer,
        expected,
        name="width",
        hint="count the numbers in the vector the decoder's Concatenate layer produces",
    )


def pca_baseline(answer: Any, train_images: Any, test_images: Any) -> Feedback:
    """Check exercise 'The linear baseline': test MSE of a 32-component PCA fitted on train."""
    from sklearn.decomposition import PCA

    hint = (
        "flatten the images to 784 numbers, fit PCA(n_components=32) on the training "
        "images, then average (inverse_transform(transform(test)) - test) ** 2"
    )
    if isinstance(answer, bool) or not isinstance(answer, (int, float, np.number)):
        return check_value(answer, 0.0, name="pca_mse", hint=hint)  # empty or not a number

    train = np.asarray(train_images, dtype=np.float64).reshape(len(train_images), -1)
    test = np.asarray(test_images, dtype=np.float64).reshape(len(test_images), -1)
    pca = PCA(n_components=32, svd_solver="full").fit(train)
    expected = float(np.mean((pca.inverse_transform(pca.transform(test)) - test) ** 2))
    on_test = PCA(n_components=32, svd_solver="full").fit(test)
    leaked = float(np.mean((on_test.inverse_transform(on_test.transform(test)) - test) ** 2))
    if math.isclose(float(answer), leaked, rel_tol=1e-2):
        return Feedback(
            False,
            f"pca_mse = {answer} comes from a PCA fitted on the test images",
            "fit the PCA on the training images only, then transform and invert the test images",
        )
    return check_value(
        answer,
        expected,
        name="pca_mse",
        rel_tol=1e-2,
        hint=hint,
    )


def without_dropout(answer: Any) -> Feedback:
    """Check exercise 'Without modality dropout': which cross-modal path still works."""
    return check_choice(
        answer,
        "image to number",
        DROPOUT_OPTIONS,
        hint="in training both modalities were always there; which one alone determines both "
        "targets (its pixels and the number), and which one was never asked to work alone?",
    )
