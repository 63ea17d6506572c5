"""Self-checks of chapter 10: challenges and choices."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from crossmodal_helpers.exercises import Feedback, check_value

#: Exercise 'Chance with several right answers': gallery size, right items, cut-off K.
GALLERY, RELEVANT, K = 50, 3, 10

#: Exercise 'How sure is a Recall@1?': whether the top item was right, for 200 queries.
HITS = (np.arange(200) % 5 < 3).astype(int)

#: Exercise 'Can the model see its misaligned pairs?': similarity scores of the pairs.
ALIGNED_SCORES = (0.82, 0.75, 0.64, 0.58, 0.41, 0.33)
MISALIGNED_SCORES = (0.61, 0.41, 0.22, 0.15)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


def _matches(answer: Any, value: float, tol: float = 1e-6) -> bool:
    return _is_number(answer) and math.isclose(float(answer), value, rel_tol=tol, abs_tol=tol)


def chance_recall(answer: Any) -> Feedback:
    """Check exercise 'Chance with several right answers': the exact chance Recall@K."""
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
            "so use math.comb(47, 10) / math.comb(50, 10) for the chance of no right image"
        ),
    }
    for wrong, hint in mistakes.items():
        if _matches(answer, wrong) and not math.isclose(wrong, expected):
            return Feedback(False, f"{answer} is not the chance Recall@{K}", hint)
    hint = "a random top 10 misses all 3 right images with probability C(47, 10) / C(50, 10)"
    return check_value(answer, expected, name=f"chance Recall@{K}", hint=hint, rel_tol=1e-4)


def recall_interval(answer: Any) -> Feedback:
    """Check exercise 'How sure is a Recall@1?': the normal-approximation 95% interval."""
    p, n = float(HITS.mean()), len(HITS)
    half_width = 1.96 * math.sqrt(p * (1 - p) / n)
    hint = "use p ± 1.96 · sqrt(p (1 − p) / n) with p the share of hits and n = 200"
    if answer is None or answer is Ellipsis:
        return Feedback(False, "interval is still empty: replace the ... with your code", hint)
    try:
        values = [float(v) for v in answer]
    except (TypeError, ValueError):
        return Feedback(False, "interval must be a tuple of two numbers (low, high)", hint)
    if len(values) != 2 or not all(math.isfinite(v) for v in values):
        return Feedback(False, "interval must be a tuple of two finite numbers (low, high)", hint)
    low, high = values
    if low > high:
        return Feedback(False, f"low {low} is above high {high}: give (low, high)", hint)
    centre, half = (low + high) / 2, (high - low) / 2
    if not math.isclose(centre, p, abs_tol=1e-3):
        return Feedback(
            False, f"the interval is centred on {centre:.4f}, not on the Recall@1", hint
        )
    if math.isclose(half, 1.96 * math.sqrt(p * (1 - p)), abs_tol=1e-3):
        return Feedback(
            False,
            f"the half-width {half:.4f} is far too wide",
            "that is 1.96 standard deviations of one query's hit; the standard error of "
            "the mean divides it by sqrt(n)",
        )
    if math.isclose(half, 1.96 * p * (1 - p) / math.sqrt(n), abs_tol=2e-4):
        return Feedback(
            False,
            f"the half-width {half:.4f} is too narrow",
            "take the square root of p (1 − p) as well: sqrt(p (1 − p) / n)",
        )
    if math.isclose(half, 2 * math.sqrt(p * (1 - p) / n), abs_tol=2e-4):
        return Feedback(
            False,
            f"the half-width {half:.4f} uses 2 standard errors",
            "a 95% interval uses the normal quantile 1.96",
        )
    if math.isclose(half, half_width, abs_tol=1e-3):
        return Feedback(True, f"interval = ({low:.4f}, {high:.4f})")
    direction = "too wide" if half > half_width else "too narrow"
    return Feedback(False, f"the interval ({low:.4f}, {high:.4f}) is {direction}", hint)


def _auc(tie: float) -> float:
    aligned = np.asarray(ALIGNED_SCORES)[:, None]
    misaligned = np.asarray(MISALIGNED_SCORES)[None, :]
    return float(np.mean((aligned > misaligned) + tie * (aligned == misaligned)))


def detection_auc(answer: Any) -> Feedback:
    """Check exercise 'Can the model see its misaligned pairs?': the AUC by hand."""
    expected = _auc(0.5)
    mistakes = {
        1 - expected: (
            "you measured how often the misaligned pair scores higher: the AUC asks how "
            "often the aligned pair does"
        ),
        _auc(0.0): "a tie (0.41 against 0.41) counts one half, not zero",
        _auc(1.0): "a tie (0.41 against 0.41) counts one half, not one",
    }
    for wrong, hint in mistakes.items():
        if _matches(answer, wrong) and not math.isclose(wrong, expected):
            return Feedback(False, f"{answer} is not the AUC", hint)
    hint = "compare every aligned score with every misaligned score: 6 × 4 = 24 combinations"
    return check_value(answer, expected, name="AUC", hint=hint, rel_tol=1e-4)


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
        "drop the rows without a quality, group by 'task' and take the row of the largest "
        "quality in each group (idxmax)"
    )
    if answer is None or answer is Ellipsis:
        return Feedback(False, "best_models is still empty: replace the ... with your code", hint)
    if not isinstance(answer, Mapping):
        return Feedback(False, f"best_models must be a dict task -> model, got {answer!r}", hint)
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
