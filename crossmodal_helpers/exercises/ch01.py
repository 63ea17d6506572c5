"""Self-checks of chapter 1: cross-modal data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from crossmodal_helpers.exercises import (
    AnswerProblem,
    Feedback,
    as_array,
    as_number,
    check_array,
    check_choices,
    compare_number,
    self_check,
)


@self_check
def class_means(answer: Any) -> Feedback:
    """Check exercise 'Mean digits': the mean 8×8 image of each digit class, shape (10, 8, 8)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    hint = (
        "entry k is one 8×8 image: the pixel-by-pixel average of all images whose label "
        "is k, on the raw 0–16 scale of digits.images"
    )
    got = as_array(answer, "class_means", hint)
    if got.shape == (10, 8, 8) and np.isfinite(got).all() and 0 < got.max() <= 1:
        return Feedback(False, "class_means is on a 0–1 scale", "use digits.images, not images")
    return check_array(
        got,
        np.stack([digits.images[digits.target == k].mean(axis=0) for k in range(10)]),
        name="class_means",
        hint=hint,
    )


@self_check
def which_kind(answers: Any) -> Feedback:
    """Check exercise 'Multimodal or cross-modal?': a dict mapping 'a', 'b', 'c' to a kind."""
    hint = (
        "ask what the model receives at test time: both modalities together (multimodal) "
        "or one modality, with the other as output or target (cross-modal)"
    )
    return check_choices(
        answers,
        {"a": "cross-modal", "b": "multimodal", "c": "cross-modal"},
        ("multimodal", "cross-modal"),
        hints=dict.fromkeys("abc", hint),
    )


@self_check
def leakage(answer: Any, movies: Any) -> Feedback:
    """Check exercise 'Measuring leakage': the leaked fraction of a random 70/30 split."""
    hint = (
        "a test snippet leaks when its movie also occurs among the training snippets "
        "(~in_test); the answer is the share of test snippets that leak"
    )
    leaked = as_number(answer, "leaked", hint)
    if not 0 <= leaked <= 1:
        raise AnswerProblem("leaked is not a fraction in [0, 1]", "divide by the test size")
    movies = np.asarray(movies)
    in_test = np.random.default_rng(1).random(len(movies)) < 0.3
    seen = set(movies[~in_test])
    test_movies = movies[in_test]
    expected = float(np.mean([movie in seen for movie in test_movies]))
    share_of_all = float(np.sum([movie in seen for movie in test_movies]) / len(movies))
    if abs(leaked - share_of_all) < 1e-9 and abs(expected - share_of_all) > 1e-9:
        raise AnswerProblem("leaked is a share of all snippets", "divide by the test size only")
    return compare_number(leaked, expected, name="leaked", hint=hint, rel_tol=1e-6)


@self_check
def tag_counts(answer: Any, tags: Any) -> Feedback:
    """Check exercise 'Counting entities': tokens per entity tag over all captions."""
    expected: dict[str, int] = {}
    for caption_tags in tags:
        for tag in caption_tags:
            expected[tag] = expected.get(tag, 0) + 1
    hint = "go through every caption's tag list and count each tag (collections.Counter helps)"
    if not isinstance(answer, Mapping):
        raise AnswerProblem(f"tag_counts should be a dict, got a {type(answer).__name__}", hint)
    counts = {str(tag): value for tag, value in answer.items()}
    missing = sorted(set(expected) - set(counts))
    if missing:
        raise AnswerProblem(f"tag_counts has no entry for {', '.join(missing)}", hint)
    extra = sorted(set(counts) - set(expected))
    if extra:
        raise AnswerProblem(f"tag_counts has tags that never occur: {', '.join(extra)}", hint)
    for tag in sorted(expected):
        got = as_number(counts[tag], f"tag_counts[{tag!r}]", hint)
        if got != expected[tag]:
            direction = "too many" if got > expected[tag] else "too few"
            raise AnswerProblem(f"tag_counts[{tag!r}] counts {direction}", hint)
    return Feedback(True, f"{sum(expected.values())} tokens counted across {len(expected)} tags")
