"""Self-checks of chapter 1: cross-modal data."""

from __future__ import annotations

from typing import Any

import numpy as np

from crossmodal_helpers.exercises import Feedback, check_array, check_choice, check_value


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


def leakage(answer: Any, movies: Any) -> Feedback:
    """Check exercise 'Measuring leakage': the leaked fraction of a random 70/30 split."""
    movies = np.asarray(movies)
    in_test = np.random.default_rng(1).random(len(movies)) < 0.3
    seen = set(movies[~in_test])
    expected = float(np.mean([movie in seen for movie in movies[in_test]]))
    if isinstance(answer, (int, float, np.number)) and not 0 <= float(answer) <= 1:
        return Feedback(
            False, f"leaked = {answer} is not a fraction in [0, 1]", "divide by the test size"
        )
    return check_value(
        answer,
        expected,
        name="leaked",
        rel_tol=1e-9,
        hint="collect the training movies in a set, then average `movie in seen` over the "
        "test snippets' movies",
    )


def tag_counts(answer: Any, tags: Any) -> Feedback:
    """Check exercise 'Counting entities': tokens per entity tag over all captions."""
    expected: dict[str, int] = {}
    for caption_tags in tags:
        for tag in caption_tags:
            expected[tag] = expected.get(tag, 0) + 1
    hint = "loop over every caption's tag list and count each tag (collections.Counter helps)"
    if not isinstance(answer, dict):
        return Feedback(False, f"tag_counts should be a dict, got {type(answer).__name__}", hint)
    missing = sorted(set(expected) - set(answer))
    if missing:
        return Feedback(False, f"tag_counts has no entry for {', '.join(missing)}", hint)
    for tag in sorted(expected):
        if answer[tag] != expected[tag]:
            direction = "too many" if answer[tag] > expected[tag] else "too few"
            return Feedback(False, f"tag_counts[{tag!r}] = {answer[tag]} counts {direction}", hint)
    return Feedback(True, f"{sum(expected.values())} tokens counted across {len(expected)} tags")
