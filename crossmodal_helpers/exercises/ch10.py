"""Self-checks of chapter 10: challenges and choices."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from crossmodal_helpers.exercises import (
    AnswerProblem,
    Feedback,
    as_array,
    as_number,
    compare_number,
    self_check,
)

#: Exercise 'Chance with several right answers': gallery size, right items, cut-off K.
GALLERY, RELEVANT, K = 50, 3, 10

#: Exercise 'How sure is a Recall@1?': whether the top item was right, for 200 queries.
HITS = (np.arange(200) % 5 < 3).astype(int)

#: Exercise 'Can the model see its misaligned pairs?': similarity scores of the pairs.
ALIGNED_SCORES = (0.82, 0.75, 0.64, 0.58, 0.41, 0.33)
MISALIGNED_SCORES = (0.61, 0.41, 0.22, 0.15)


def _matches(got: float, value: float, tol: float = 1e-6) -> bool:
    return math.isclose(got, value, rel_tol=tol, abs_tol=tol)


@self_check
def chance_recall(answer: Any) -> Feedback:
    """Check exercise 'Chance with several right answers': the exact chance Recall@K."""
    hint = (
        "a random top 10 finds a right image unless all ten come from the wrong ones: "
        "count those top tens with math.comb"
    )
    got = as_number(answer, f"chance Recall@{K}", hint)
    miss = math.comb(GALLERY - RELEVANT, K) / math.comb(GALLERY, K)
    expected = 1 - miss
    mistakes = {
        K / GALLERY: "that is the chance with one right image: here three count",
        RELEVANT * K / GALLERY: (
            "adding the chances of the three right images counts the rankings that find two "
            "of them twice: compute the chance of finding none and subtract it from 1"
        ),
        miss: "that is the chance of missing all three right images: take 1 minus it",
        1 - (1 - RELEVANT / GALLERY) ** K: (
            "that draws the ten images with replacement; a ranking shows each image once, "
            "so count the top tens without a right image with math.comb"
        ),
    }
    for wrong, mistake in mistakes.items():
        if _matches(got, wrong) and not math.isclose(wrong, expected):
            return Feedback(False, f"that is not the chance Recall@{K}", mistake)
    return compare_number(got, expected, name=f"chance Recall@{K}", hint=hint, rel_tol=1e-4)


@self_check
def recall_interval(answer: Any) -> Feedback:
    """Check exercise 'How sure is a Recall@1?': the normal-approximation 95% interval."""
    p, n = float(HITS.mean()), len(HITS)
    half_width = 1.96 * math.sqrt(p * (1 - p) / n)
    hint = (
        "p is the share of hits among the n queries; the half-width is 1.96 standard errors "
        "of that share (the exercise gives the formula)"
    )
    values = as_array(answer, "interval", hint)
    if values.shape != (2,):
        raise AnswerProblem("interval must be a tuple of two numbers (low, high)", hint)
    low, high = as_number(values[0], "low", hint), as_number(values[1], "high", hint)
    if low > high:
        return Feedback(False, "low is above high: give (low, high)", hint)
    centre, half = (low + high) / 2, (high - low) / 2
    if not math.isclose(centre, p, abs_tol=1e-3):
        return Feedback(False, "the interval is not centred on the Recall@1", hint)
    if math.isclose(half, 1.96 * math.sqrt(p * (1 - p)), abs_tol=1e-3):
        return Feedback(
            False,
            "the interval is far too wide",
            "that is 1.96 standard deviations of one query's hit; the standard error of "
            "the mean divides it by sqrt(n)",
        )
    if math.isclose(half, 1.96 * p * (1 - p) / math.sqrt(n), abs_tol=2e-4):
        return Feedback(
            False,
            "the interval is too narrow",
            "take the square root of p (1 − p) as well: sqrt(p (1 − p) / n)",
        )
    if math.isclose(half, 2 * math.sqrt(p * (1 - p) / n), abs_tol=2e-4):
        return Feedback(
            False,
            "the half-width uses 2 standard errors",
            "a 95% interval uses the normal quantile 1.96",
        )
    if math.isclose(half, half_width, abs_tol=1e-3):
        return Feedback(True, "the interval is right")
    direction = "too wide" if half > half_width else "too narrow"
    return Feedback(False, f"the interval is {direction}", hint)


@self_check
def detection_auc(answer: Any) -> Feedback:
    """Check exercise 'Can the model see its misaligned pairs?': the AUC by hand."""
    hint = "compare every aligned score with every misaligned score: 6 × 4 = 24 combinations"
    got = as_number(answer, "AUC", hint)
    aligned = np.asarray(ALIGNED_SCORES)[:, None]
    misaligned = np.asarray(MISALIGNED_SCORES)[None, :]
    higher, ties = np.mean(aligned > misaligned), np.mean(aligned == misaligned)
    expected = float(higher + 0.5 * ties)
    mistakes = {
        1 - expected: (
            "you measured how often the misaligned pair scores higher: the AUC asks how "
            "often the aligned pair does"
        ),
        float(higher): "a tie (0.41 against 0.41) counts one half, not zero",
        float(higher + ties): "a tie (0.41 against 0.41) counts one half, not one",
    }
    for wrong, mistake in mistakes.items():
        if _matches(got, wrong) and not math.isclose(wrong, expected):
            return Feedback(False, "that is not the AUC", mistake)
    return compare_number(got, expected, name="AUC", hint=hint, rel_tol=1e-4)


@self_check
def best_models(answer: Any, records: Mapping[str, Any] | None = None) -> Feedback:
    """Check exercise 'Read the table': the best model of each task in the model table.

    The table is rebuilt from ``records`` (default: ``results.load_all()``, the chapters'
    results files, as in the chapter).
    """
    from crossmodal_helpers import challenges, results

    records = results.load_all() if records is None else records
    expected = challenges.best_per_task(challenges.model_table(records))
    if not expected:
        return Feedback(
            False,
            "no chapter has recorded a model's quality yet",
            "run chapters 2–9 first; section 10.4 says how",
        )
    hint = (
        "leave out the models without a recorded quality; then, within each task, keep the "
        "model with the highest quality"
    )
    if answer is None or answer is Ellipsis:
        return Feedback(False, "best_models is still empty: replace the ... with your code", hint)
    if hasattr(answer, "to_dict") and not isinstance(answer, Mapping):  # a pandas Series
        answer = answer.to_dict()
    if not isinstance(answer, Mapping):
        return Feedback(
            False, f"best_models must be a dict task -> model, got a {type(answer).__name__}", hint
        )
    missing = [task for task in expected if task not in answer]
    if missing:
        return Feedback(False, f"best_models lacks the task(s) {missing}", hint)
    extra = [task for task in answer if task not in expected]
    if extra:
        return Feedback(
            False,
            f"best_models has task(s) without a measured model: {extra}",
            "leave out tasks whose models have no recorded quality (dropna)",
        )
    wrong = [task for task in expected if answer[task] != expected[task]]
    if wrong:
        task = wrong[0]
        return Feedback(
            False,
            f"{len(wrong)} task(s) have another best model; e.g. for {task!r} you gave "
            f"{answer[task]!r}",
            "take the largest quality (higher is better for every metric in the table)",
        )
    return Feedback(True, f"the best model of each of the {len(expected)} measured tasks")
