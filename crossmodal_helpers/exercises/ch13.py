"""Self-checks of chapter 13: pretraining and transfer."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from crossmodal_helpers.exercises import (
    AnswerProblem,
    Feedback,
    as_number,
    compare_number,
    self_check,
)

#: The two views of exercise 'NT-Xent by hand': row i of each embeds a view of image i.
VIEWS_FIRST = np.array([[1.0, 0.0], [0.0, 2.0], [-1.0, -1.0]])
VIEWS_SECOND = np.array([[2.0, 1.0], [0.0, 1.0], [-1.0, 0.0]])
#: The temperature of exercise 'NT-Xent by hand'.
VIEWS_TEMPERATURE = 0.5
#: The batch size of exercise 'How many negatives?'.
NEGATIVES_BATCH = 256


def _nt_xent(
    first: np.ndarray,
    second: np.ndarray,
    tau: float,
    *,
    self_out: bool = True,
    same_side: bool = True,
    normalise: bool = True,
) -> float:
    views = np.concatenate([first, second]).astype(np.float64)
    if normalise:
        views = views / np.linalg.norm(views, axis=1, keepdims=True)
    n = len(first)
    logits = views @ views.T / tau
    allowed = np.ones_like(logits, dtype=bool)
    if self_out:
        np.fill_diagonal(allowed, False)
    if not same_side:
        allowed[:n, :n] = False
        allowed[n:, n:] = False
    positive = np.concatenate([np.arange(n, 2 * n), np.arange(n)])
    masked = np.where(allowed, logits, -np.inf)
    log_norm = np.log(np.exp(masked).sum(axis=1))
    return float(np.mean(log_norm - logits[np.arange(2 * n), positive]))


@self_check
def nt_xent(answer: Any) -> Feedback:
    """Check exercise 'NT-Xent by hand': the loss of the three pairs of views."""
    hint = (
        "section 13.2: normalise the six vectors, divide their cosine similarities by the "
        "temperature, and for each vector take the cross-entropy of its partner among the "
        "five other vectors; average over all six"
    )
    got = as_number(answer, "loss", hint)
    first, second, tau = VIEWS_FIRST, VIEWS_SECOND, VIEWS_TEMPERATURE
    expected = _nt_xent(first, second, tau)
    mistakes = {
        _nt_xent(first, second, tau, self_out=False): (
            "a vector's similarity with itself is in the denominator: leave it out"
        ),
        _nt_xent(first, second, tau, normalise=False): (
            "normalise the vectors to unit length before taking dot products"
        ),
        _nt_xent(first, second, tau, same_side=False): (
            "that is chapter 8's loss, which contrasts only with the other side: NT-Xent "
            "also counts the other views of the same side as negatives"
        ),
        _nt_xent(first, second, 1.0): "divide the similarities by the temperature",
    }
    for wrong, why in mistakes.items():
        if math.isclose(got, wrong, rel_tol=1e-3) and not math.isclose(
            wrong, expected, rel_tol=1e-3
        ):
            return Feedback(False, "loss is not right", why)
    return compare_number(got, expected, name="loss", hint=hint, rel_tol=1e-3)


@self_check
def negatives(answer: Any) -> Feedback:
    """Check exercise 'How many negatives?': negatives per example in SimCLR and in CLIP."""
    n = NEGATIVES_BATCH
    if not isinstance(answer, Mapping) or sorted(map(str, answer)) != ["clip", "simclr"]:
        raise AnswerProblem(
            "negatives must be a dict with the keys 'simclr' and 'clip'",
            "write negatives = {'simclr': ..., 'clip': ...}",
        )
    values = {str(key): value for key, value in answer.items()}
    simclr = as_number(values["simclr"], "simclr", "count the views of the batch")
    clip = as_number(values["clip"], "clip", "count the texts of the batch")
    if simclr == 2 * n - 1:
        return Feedback(
            False, "simclr counts one view too many", "the partner view is the positive"
        )
    if simclr == n - 1:
        return Feedback(
            False,
            "simclr counts only the views of the other side",
            "NT-Xent also contrasts a view with the other views of its own side",
        )
    feedback = compare_number(
        simclr, 2 * n - 2, name="simclr", hint="a batch of N images gives 2N views"
    )
    if not feedback.passed:
        return feedback
    if clip == 2 * n - 2:
        return Feedback(
            False,
            "clip is not right",
            "chapter 8's loss compares an image only with the batch's texts",
        )
    feedback = compare_number(
        clip, n - 1, name="clip", hint="an image's row of the similarity matrix has N texts"
    )
    if not feedback.passed:
        return feedback
    return Feedback(True, "both counts are right")


@self_check
def random_probe(
    answer: Any,
    encoder: Any,
    train_images: Any,
    train_labels: Any,
    test_images: Any,
    test_labels: Any,
) -> Feedback:
    """Check exercise 'The untrained control': a linear probe on an untrained encoder."""
    import keras

    from crossmodal_helpers import pretraining

    hint = (
        "embed the labelled training images and the test images with the untrained encoder "
        "(pretraining.embed), then score pretraining.linear_probe_accuracy on them"
    )
    got = as_number(answer, "random_accuracy", hint)
    if not 0 <= got <= 1:
        return Feedback(False, "random_accuracy must be a share between 0 and 1", hint)
    if not isinstance(encoder, keras.Model):
        raise AnswerProblem(
            "untrained must be the Keras encoder you built",
            "build it with fusion.build_image_encoder(IMAGE_SHAPE, 64)",
        )
    expected = pretraining.linear_probe_accuracy(
        pretraining.embed(encoder, train_images),
        train_labels,
        pretraining.embed(encoder, test_images),
        test_labels,
    )
    return compare_number(got, expected, name="random_accuracy", hint=hint, abs_tol=0.01)
