"""Self-checks of chapter 4: multimodal fusion."""

from __future__ import annotations

from typing import Any

import numpy as np

from crossmodal_helpers.exercises import Feedback, check_array, check_choice

#: Candidate text weights of exercise 'The best fixed weight' (the image weight stays 1).
TEXT_WEIGHTS = tuple(round(0.1 * k, 1) for k in range(21))


def _probabilities(value: Any, name: str) -> np.ndarray:
    array = np.asarray(value, dtype=float)
    if array.ndim != 2 or array.shape[1] < 2:
        raise ValueError(
            f"{name} must be class probabilities of shape (N, classes), got {array.shape}"
        )
    return array


def _product_rule(p_image: np.ndarray, p_text: np.ndarray, w_text: float = 1.0) -> np.ndarray:
    logits = np.log(np.clip(p_image, 1e-7, 1.0)) + w_text * np.log(np.clip(p_text, 1e-7, 1.0))
    logits -= logits.max(axis=1, keepdims=True)
    fused = np.exp(logits)
    return fused / fused.sum(axis=1, keepdims=True)


def product_rule(answer: Any, p_image: Any, p_text: Any) -> Feedback:
    """Check exercise 'Late fusion by hand': the normalised product of the two posteriors."""
    p_image = _probabilities(p_image, "p_image")
    p_text = _probabilities(p_text, "p_text")
    expected = _product_rule(p_image, p_text)
    hint = (
        "add the logarithms of the two probability arrays (clip them away from 0 first), "
        "subtract each row's maximum, exponentiate and divide each row by its sum"
    )
    got = np.asarray(answer, dtype=float) if answer is not Ellipsis and answer is not None else None
    if got is not None and got.shape == expected.shape:
        if not np.allclose(got.sum(axis=1), 1.0, atol=1e-4):
            return Feedback(
                False, "the rows of fused do not sum to 1: they are not probabilities yet", hint
            )
        if np.allclose(got, (p_image + p_text) / 2, atol=1e-4):
            return Feedback(
                False,
                "fused is the average of the probabilities (the sum rule), not the product",
                hint,
            )
    return check_array(answer, expected, name="fused", hint=hint, rtol=1e-3, atol=1e-5)


def gated_fusion(answer: Any, layer: Any, h_image: Any, h_text: Any) -> Feedback:
    """Check exercise 'A gate by hand': the output of a GatedFusion layer, computed in NumPy."""
    h_image = np.asarray(h_image, dtype=np.float32)
    h_text = np.asarray(h_text, dtype=np.float32)
    expected = np.asarray(layer([h_image, h_text]), dtype=float)
    gate = np.asarray(layer.gate([h_image, h_text]), dtype=float)
    hint = (
        "g = sigmoid([h_image, h_text] @ W_g + b_g); project each modality with tanh(h @ W + b); "
        "then h = g * image_part + (1 - g) * text_part"
    )
    got = np.asarray(answer, dtype=float) if answer is not Ellipsis and answer is not None else None
    if got is not None and got.shape == expected.shape:
        image_part = np.asarray(layer.project[0](h_image), dtype=float)
        text_part = np.asarray(layer.project[1](h_text), dtype=float)
        swapped = (1 - gate) * image_part + gate * text_part
        if np.allclose(got, swapped, atol=1e-4) and not np.allclose(swapped, expected, atol=1e-4):
            return Feedback(
                False, "the gate weighs the wrong modality", "g multiplies the image part"
            )
    return check_array(answer, expected, name="fused", hint=hint, rtol=1e-3, atol=1e-4)


def best_text_weight(answer: Any, p_image: Any, p_text: Any, labels: Any) -> Feedback:
    """Check exercise 'The best fixed weight': the text weight with the best validation accuracy."""
    p_image = _probabilities(p_image, "p_image")
    p_text = _probabilities(p_text, "p_text")
    labels = np.asarray(labels)
    accuracy = {
        w: float(np.mean(_product_rule(p_image, p_text, w).argmax(axis=1) == labels))
        for w in TEXT_WEIGHTS
    }
    best = max(accuracy.values())
    hint = (
        "for each w in exercises.ch04.TEXT_WEIGHTS fuse with log p_image + w * log p_text, "
        "compute the validation accuracy and keep the w with the highest one"
    )
    if answer is None or answer is Ellipsis:
        return Feedback(False, "w_text is still empty: replace the ... with your code", hint)
    if isinstance(answer, bool) or not isinstance(answer, (int, float, np.number)):
        return Feedback(False, f"w_text should be a number, got {type(answer).__name__}", hint)
    w = round(float(answer), 1)
    if w not in accuracy:
        return Feedback(False, f"w_text = {answer} is not one of TEXT_WEIGHTS (0, 0.1, …, 2)", hint)
    if accuracy[w] == best:
        return Feedback(True, f"w_text = {w:g} reaches the best validation accuracy, {best:.3f}")
    return Feedback(
        False,
        f"w_text = {w:g} gives validation accuracy {accuracy[w]:.3f}; a better weight exists",
        hint,
    )


def which_fusion(answers: Any) -> Feedback:
    """Check exercise 'Which fusion?': a dict mapping 'a' to 'd' to early, late or joint."""
    expected = {"a": "late", "b": "joint", "c": "early", "d": "late"}
    options = ["early", "late", "joint"]
    if not isinstance(answers, dict) or sorted(answers) != sorted(expected):
        return Feedback(
            False,
            "answers must be a dict with the keys 'a', 'b', 'c' and 'd'",
            "write answers = {'a': 'late', 'b': ..., 'c': ..., 'd': ...}",
        )
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
    for key in sorted(expected):
        feedback = check_choice(answers[key], expected[key], options, hint=hints[key])
        if not feedback.passed:
            return Feedback(False, f"scenario ({key}): {feedback.message}", feedback.hint)
    return Feedback(True, "all three scenarios have the fitting fusion")
