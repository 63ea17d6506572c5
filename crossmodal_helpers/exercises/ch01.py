"""Self-checks of chapter 1: cross-modal data."""

from __future__ import annotations

from typing import Any

import numpy as np

from crossmodal_helpers.exercises import Feedback, check_array, check_choice


def class_means(answer: Any) -> Feedback:
    """Check exercise 'Mean digits': the mean 8×8 image of each digit class, shape (10, 8, 8)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    expected = np.stack([digits.images[digits.target == k].mean(axis=0) for k in range(10)])
    return check_array(
        answer,
        expected,
        name="class_means",
        hint="select the images of one class with a boolean mask (target == k), "
        "average over axis 0, and stack the ten results",
    )


def which_kind(answers: Any) -> Feedback:
    """Check exercise 'Multimodal or cross-modal?': a dict mapping 'a', 'b', 'c' to a kind."""
    expected = {"a": "cross-modal", "b": "multimodal", "c": "cross-modal"}
    options = ["multimodal", "cross-modal"]
    if not isinstance(answers, dict) or sorted(answers) != sorted(expected):
        return Feedback(
            False,
            "answers must be a dict with the keys 'a', 'b' and 'c'",
            "write answers = {'a': 'cross-modal', 'b': ..., 'c': ...}",
        )
    hint = (
        "ask what the model receives at test time: both modalities together (multimodal) "
        "or one modality, with the other as output or target (cross-modal)"
    )
    for key in sorted(expected):
        feedback = check_choice(answers[key], expected[key], options, hint=hint)
        if not feedback.passed:
            return Feedback(False, f"task ({key}): {feedback.message}", feedback.hint)
    return Feedback(True, "all three tasks are classified correctly")
