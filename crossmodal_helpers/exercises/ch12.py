"""Self-checks of chapter 12: visual question answering."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from crossmodal_helpers.exercises import (
    Feedback,
    as_array,
    as_number,
    check_array,
    compare_number,
    self_check,
)

#: Exercise 'Chance on balanced questions': the number of answers of each template.
TEMPLATE_ANSWERS = (6, 5, 6, 3, 3, 2)
#: Exercise 'The prior of an existence question': colours × shapes, and the object counts.
PAIRS, OBJECT_COUNTS = 30, (1, 2, 3)


def _first_mistake(got: float, expected: float, mistakes: dict[float, str]) -> str | None:
    """The explanation of a known wrong value that ``got`` equals, if any."""
    for wrong, mistake in mistakes.items():
        same = math.isclose(got, wrong, rel_tol=1e-6, abs_tol=1e-6)
        if same and not math.isclose(wrong, expected, rel_tol=1e-6, abs_tol=1e-6):
            return mistake
    return None


@self_check
def prior_of_no(answer: Any) -> Feedback:
    """Check exercise 'The prior of an existence question': P(no red circle in a scene)."""
    hint = (
        "find the chance that one object is not a red circle, then that none of n objects "
        "is, and average over the equally likely numbers of objects"
    )
    got = as_number(answer, "p_no", hint)
    miss = (PAIRS - 1) / PAIRS
    expected = sum(miss**n for n in OBJECT_COUNTS) / len(OBJECT_COUNTS)
    mistakes = {
        miss ** (sum(OBJECT_COUNTS) / len(OBJECT_COUNTS)): (
            "that uses the average number of objects in the exponent: average the "
            "probabilities of the three cases instead"
        ),
        1 - expected: "that is the chance of a yes",
        miss: "that is the answer for a scene with a single object",
    }
    mistake = _first_mistake(got, expected, mistakes)
    if mistake:
        return Feedback(False, "that is not the probability of a no", mistake)
    return compare_number(got, expected, name="p_no", hint=hint, rel_tol=1e-4)


@self_check
def blind_accuracy(answer: Any) -> Feedback:
    """Check exercise 'Chance on balanced questions': the best question-only accuracy."""
    hint = (
        "the question tells its template; within a template with k equally frequent "
        "answers the best guess is right once in k; the templates are equally frequent"
    )
    got = as_number(answer, "best_blind", hint)
    expected = float(np.mean([1 / k for k in TEMPLATE_ANSWERS]))
    n_answers = 6 + 5 + 3 + 2
    mistakes = {
        1 / n_answers: (
            "that guesses among all answers; the question already rules out the answers "
            "of the other templates"
        ),
        1 / 3: "that averages over the three types; count the six templates",
        len(TEMPLATE_ANSWERS) / sum(TEMPLATE_ANSWERS): (
            "that divides the number of templates by the number of answers: average the "
            "chance of each template instead"
        ),
    }
    mistake = _first_mistake(got, expected, mistakes)
    if mistake:
        return Feedback(False, "that is not the best blind accuracy", mistake)
    return compare_number(got, expected, name="best_blind", hint=hint, rel_tol=1e-4)


@self_check
def film_by_hand(answer: Any, features: Any, gamma: Any, beta: Any) -> Feedback:
    """Check exercise 'FiLM by hand': (1 + gamma) * features + beta, per example and channel."""
    features = np.asarray(features, dtype=float)
    gamma = np.asarray(gamma, dtype=float)
    beta = np.asarray(beta, dtype=float)
    hint = (
        "give gamma and beta axes of length 1 for height and width, so that each example's "
        "coefficients reach every position, and scale by 1 + gamma"
    )
    got = as_array(answer, "modulated", hint).astype(float)
    g, b = gamma[:, None, None, :], beta[:, None, None, :]
    expected = (1 + g) * features + b
    if got.shape == expected.shape and np.allclose(got, g * features + b, atol=1e-6):
        return Feedback(False, "modulated scales by gamma, not by 1 + gamma", hint)
    return check_array(got, expected, name="modulated", hint=hint, rtol=1e-5, atol=1e-6)
