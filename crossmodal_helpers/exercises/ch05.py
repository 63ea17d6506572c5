"""Self-checks of chapter 5: autoencoders."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from crossmodal_helpers.exercises import (
    AnswerProblem,
    Feedback,
    as_number,
    check_choice,
    compare_number,
    self_check,
)

#: The four pixels of exercise 'Reconstruction losses by hand': an input and its
#: reconstruction.
LOSS_INPUT = np.array([0.0, 1.0, 1.0, 0.5])
LOSS_RECONSTRUCTION = np.array([0.1, 0.8, 0.6, 0.5])

#: The options of exercise 'Without modality dropout'.
DROPOUT_OPTIONS = ("text to image", "image to number", "both", "neither")


@self_check
def losses(answer: Any) -> Feedback:
    """Check exercise 'Reconstruction losses by hand': ``{"mse": ..., "bce": ...}``."""
    x, x_hat = LOSS_INPUT, LOSS_RECONSTRUCTION
    pixel_bce = -(x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat))
    expected = {"mse": float(np.mean((x - x_hat) ** 2)), "bce": float(pixel_bce.mean())}
    if not isinstance(answer, Mapping) or sorted(map(str, answer)) != ["bce", "mse"]:
        raise AnswerProblem(
            "losses must be a dict with the keys 'mse' and 'bce'",
            "write losses = {'mse': ..., 'bce': ...}",
        )
    values = {str(key): value for key, value in answer.items()}
    mistakes = {
        "mse": {
            float(np.sum((x - x_hat) ** 2)): "you summed the squared errors: average them",
            float(np.mean(np.abs(x - x_hat))): "square the errors before averaging",
            float(np.sqrt(np.mean((x - x_hat) ** 2))): "that is the root of the MSE",
        },
        "bce": {
            float(pixel_bce.sum()): "you summed over the pixels: average them, as Keras does",
            float(-np.mean(x * np.log10(x_hat) + (1 - x) * np.log10(1 - x_hat))): (
                "use the natural logarithm (np.log), not log10"
            ),
            float(-np.mean(x * np.log(x_hat))): (
                "the term (1 - x) log(1 - x_hat) matters too: it punishes ink where there is none"
            ),
            float(-pixel_bce.mean()): "the cross-entropy has a minus sign in front",
        },
    }
    hints = {
        "mse": "section 5.1: the squared error of each pixel, averaged over the four pixels",
        "bce": "section 5.1: the cross-entropy of each pixel (both terms, natural logarithm), "
        "averaged over the four pixels",
    }
    for key in ("mse", "bce"):
        got = as_number(values[key], key, hints[key])
        for wrong, hint in mistakes[key].items():
            if math.isclose(got, wrong, rel_tol=1e-4) and not math.isclose(
                wrong, expected[key], rel_tol=1e-4
            ):
                return Feedback(False, f"{key} is not right", hint)
        feedback = compare_number(got, expected[key], name=key, hint=hints[key], rel_tol=1e-4)
        if not feedback.passed:
            return feedback
    return Feedback(True, "both losses are right")


@self_check
def true_bottleneck(answer: Any, model: Any) -> Feedback:
    """Check exercise 'The real bottleneck': how many numbers reach the leaky decoder's core."""
    hint = "count the numbers in the vector the decoder's Concatenate layer produces"
    width = as_number(answer, "width", hint)
    decoder = model.get_layer("decoder")
    joins = [layer for layer in decoder.layers if type(layer).__name__ == "Concatenate"]
    if len(joins) != 1:
        raise AnswerProblem(
            "model must be the leaky autoencoder of section 5.2 (its decoder joins two inputs)",
            "pass the model built by autoencoders.build_leaky_autoencoder",
        )
    expected = int(joins[0].output.shape[-1])
    code = int(model.get_layer("encoder").output.shape[-1])
    if width == code != expected:
        return Feedback(
            False,
            "width counts only the code",
            "the decoder also reads the raw image through its 'leak' layer: add its units",
        )
    return compare_number(width, expected, name="width", hint=hint)


@self_check
def pca_baseline(answer: Any, train_images: Any, test_images: Any) -> Feedback:
    """Check exercise 'The linear baseline': test MSE of a 32-component PCA fitted on train."""
    from sklearn.decomposition import PCA

    hint = (
        "flatten the images to 784 numbers, fit the PCA on the training images only, then "
        "reconstruct the test images and average the squared errors over all their pixels"
    )
    got = as_number(answer, "pca_mse", hint)
    train = np.asarray(train_images, dtype=np.float64).reshape(len(train_images), -1)
    test = np.asarray(test_images, dtype=np.float64).reshape(len(test_images), -1)
    pca = PCA(n_components=32, svd_solver="full").fit(train)
    expected = float(np.mean((pca.inverse_transform(pca.transform(test)) - test) ** 2))
    on_test = PCA(n_components=32, svd_solver="full").fit(test)
    leaked = float(np.mean((on_test.inverse_transform(on_test.transform(test)) - test) ** 2))
    if math.isclose(got, leaked, rel_tol=1e-2) and not math.isclose(got, expected, rel_tol=1e-2):
        return Feedback(
            False,
            "pca_mse comes from a PCA fitted on the test images",
            "fit the PCA on the training images only, then transform and invert the test images",
        )
    return compare_number(got, expected, name="pca_mse", rel_tol=1e-2, hint=hint)


@self_check
def without_dropout(answer: Any) -> Feedback:
    """Check exercise 'Without modality dropout': which cross-modal path still works."""
    return check_choice(
        answer,
        "image to number",
        DROPOUT_OPTIONS,
        hint="in training both modalities were always there; which one alone determines both "
        "targets (its pixels and the number), and which one was never asked to work alone?",
    )


#: The Gaussian of exercise 'The KL term by hand': the means and log-variances of an
#: encoder's :math:`q(z \mid x)` for one image, three latent dimensions.
KL_MEAN = np.array([0.5, -1.0, 0.0])
KL_LOG_VAR = np.array([0.0, math.log(0.25), math.log(4.0)])

#: The options of exercise 'How wide a code for a conditional VAE?'.
CVAE_WIDTH_OPTIONS = ("more often", "about as often", "less often")


@self_check
def kl_to_prior(answer: Any) -> Feedback:
    """Check exercise 'The KL term by hand': KL(N(mean, exp(log_var)) || N(0, I)) in nats."""
    mean, log_var = KL_MEAN, KL_LOG_VAR
    variance = np.exp(log_var)
    expected = float(0.5 * np.sum(mean**2 + variance - log_var - 1))
    hint = (
        "section 5.9: one half times the sum over the dimensions of "
        "mean² + variance - log(variance) - 1, with variance = exp(log_var)"
    )
    got = as_number(answer, "kl", hint)
    mistakes = {
        float(np.sum(mean**2 + variance - log_var - 1)): "you forgot the factor one half",
        float(0.5 * np.sum(mean**2 + log_var - log_var - 1)): (
            "the variance is exp(log_var), not log_var itself"
        ),
        float(0.5 * np.sum(mean**2 + variance - log_var)): (
            "each dimension contributes '- 1': without it a code equal to the prior would "
            "not have KL 0"
        ),
        float(0.5 * np.sum(mean**2 + variance + log_var - 1)): (
            "the log-variance enters with a minus sign"
        ),
    }
    for wrong, why in mistakes.items():
        if math.isclose(got, wrong, rel_tol=1e-4) and not math.isclose(
            wrong, expected, rel_tol=1e-4
        ):
            return Feedback(False, "kl is not right", why)
    return compare_number(got, expected, name="kl", hint=hint, rel_tol=1e-4)


@self_check
def cvae_width(answer: Any) -> Feedback:
    """Check exercise 'How wide a code for a conditional VAE?': the predicted direction."""
    return check_choice(
        answer,
        "less often",
        CVAE_WIDTH_OPTIONS,
        hint="with room in the code, the encoder can write the digit into it as well; what "
        "does the decoder then learn to read the digit from, and what does a code drawn from "
        "the prior say about the digit?",
    )
