"""Self-checks of chapter 4: multimodal fusion."""

from __future__ import annotations

from typing import Any

import numpy as np

from crossmodal_helpers.exercises import (
    AnswerProblem,
    Feedback,
    as_array,
    as_number,
    check_array,
    check_choices,
    self_check,
)

#: Candidate text weights of exercise 'The best fixed weight' (the image weight stays 1).
TEXT_WEIGHTS = tuple(round(0.1 * k, 1) for k in range(21))


def _probabilities(value: Any, name: str) -> np.ndarray:
    array = np.asarray(value, dtype=float)
    if array.ndim != 2 or array.shape[1] < 2:
        raise AnswerProblem(
            f"{name} must be class probabilities of shape (N, classes), got {array.shape}",
            f"pass the {name} computed in the cell above the exercise",
        )
    return array


@self_check
def product_rule(answer: Any, p_image: Any, p_text: Any) -> Feedback:
    """Check exercise 'Late fusion by hand': the normalised product of the two posteriors.

    The exact product is accepted, and so is the product of probabilities clipped at 1e-7
    (the chapter's guard against log 0).
    """
    p_image = _probabilities(p_image, "p_image")
    p_text = _probabilities(p_text, "p_text")
    hint = (
        "multiply the two probabilities of each class and scale each row so that it sums "
        "to 1; logarithms keep tiny products from underflowing to 0"
    )
    got = as_array(answer, "fused", hint).astype(float)
    candidates = []
    for floor in (0.0, 1e-7):
        with np.errstate(divide="ignore", invalid="ignore"):
            logits = np.log(np.clip(p_image, floor, 1.0)) + np.log(np.clip(p_text, floor, 1.0))
            logits -= logits.max(axis=1, keepdims=True)
            fused = np.exp(logits)
            candidates.append(fused / fused.sum(axis=1, keepdims=True))
    expected = candidates[1] if np.isnan(candidates[0]).any() else candidates[0]
    if got.shape == expected.shape:
        if any(np.allclose(got, c, rtol=1e-3, atol=1e-5) for c in candidates):
            return Feedback(True, f"fused matches (shape {got.shape})")
        if np.isfinite(got).all() and not np.allclose(got.sum(axis=1), 1.0, atol=1e-4):
            return Feedback(
                False, "the rows of fused do not sum to 1: they are not probabilities yet", hint
            )
        if np.allclose(got, (p_image + p_text) / 2, atol=1e-4):
            return Feedback(
                False,
                "fused is the average of the probabilities (the sum rule), not the product",
                hint,
            )
    return check_array(got, expected, name="fused", hint=hint, rtol=1e-3, atol=1e-5)


@self_check
def gated_fusion(answer: Any, layer: Any, h_image: Any, h_text: Any) -> Feedback:
    """Check exercise 'A gate by hand': the output of a GatedFusion layer, computed in NumPy."""
    h_image = np.asarray(h_image, dtype=np.float32)
    h_text = np.asarray(h_text, dtype=np.float32)
    expected = np.asarray(layer([h_image, h_text]), dtype=float)
    gate = np.asarray(layer.gate([h_image, h_text]), dtype=float)
    hint = (
        "three steps, as in section 4.6: the gate reads both encodings side by side through "
        "a sigmoid; each modality gets its own tanh projection; the gate then mixes the two "
        "projections"
    )
    got = as_array(answer, "fused", hint).astype(float)
    if got.shape == expected.shape:
        image_part = np.asarray(layer.project[0](h_image), dtype=float)
        text_part = np.asarray(layer.project[1](h_text), dtype=float)
        swapped = (1 - gate) * image_part + gate * text_part
        if np.allclose(got, swapped, atol=1e-4) and not np.allclose(swapped, expected, atol=1e-4):
            return Feedback(
                False, "the gate weighs the wrong modality", "g multiplies the image part"
            )
    return check_array(got, expected, name="fused", hint=hint, rtol=1e-3, atol=1e-4)


@self_check
def best_text_weight(answer: Any, p_image: Any, p_text: Any, labels: Any) -> Feedback:
    """Check exercise 'The best fixed weight': the text weight with the best validation accuracy.

    Several weights may tie for the best accuracy; any of them passes.
    """
    hint = (
        "for each w in exercises.ch04.TEXT_WEIGHTS fuse with log p_image + w * log p_text, "
        "measure the validation accuracy of the arg max, and keep a w with the highest one"
    )
    got = as_number(answer, "w_text", hint)
    w = next((weight for weight in TEXT_WEIGHTS if abs(got - weight) < 1e-6), None)
    p_image = _probabilities(p_image, "p_image")
    p_text = _probabilities(p_text, "p_text")
    labels = np.asarray(labels)
    log_image, log_text = np.log(np.clip(p_image, 1e-7, 1)), np.log(np.clip(p_text, 1e-7, 1))
    accuracy = {
        weight: float(np.mean((log_image + weight * log_text).argmax(axis=1) == labels))
        for weight in TEXT_WEIGHTS
    }
    if w is None:
        raise AnswerProblem("w_text is not one of TEXT_WEIGHTS (0, 0.1, …, 2)", hint)
    if accuracy[w] == max(accuracy.values()):
        return Feedback(True, f"w_text = {w:g} reaches the best validation accuracy")
    return Feedback(
        False,
        f"w_text = {w:g} gives validation accuracy {accuracy[w]:.3f}; a better weight exists",
        hint,
    )


@self_check
def which_fusion(answers: Any) -> Feedback:
    """Check exercise 'Which fusion?': a dict mapping 'a' to 'd' to early, late or joint."""
    hints = {
        "a": "which strategy needs no paired training data and multiplies evidence that is "
        "independent given the class?",
        "b": "is there a fixed set of labels that a photo model and a headline model could each "
        "be trained to predict, so that their predictions could be compared? If not, where "
        "must the comparison be learned?",
        "c": "which strategy lets one classifier see the raw signals of both modalities side "
        "by side?",
        "d": "the two classifiers of (a) already predict the category of the photo and of the "
        "caption: what could you do with their two predictions (section 4.8)?",
    }
    return check_choices(
        answers,
        {"a": "late", "b": "joint", "c": "early", "d": "late"},
        ("early", "late", "joint"),
        hints=hints,
    )
