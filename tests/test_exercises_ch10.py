"""Self-checks of chapter 10 accept the solutions and explain typical mistakes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from crossmodal_helpers import challenges, exercises, retrieval

ch10 = exercises.ch10


# --------------------------------------------------------------------------- chance Recall@K


def test_chance_recall_accepts_the_solution_and_the_package():
    assert ch10.chance_recall(1 - math.comb(47, 10) / math.comb(50, 10)).passed
    relevant = np.zeros((1, ch10.GALLERY), dtype=bool)
    relevant[0, : ch10.RELEVANT] = True
    package = retrieval.chance_recall_at_k(relevant, (ch10.K,))[ch10.K]
    assert ch10.chance_recall(package).passed


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (0.2, "one right image"),
        (0.6, "counts the rankings that find two"),
        (math.comb(47, 10) / math.comb(50, 10), "take 1 minus it"),
        (1 - 0.94**10, "with replacement"),
        (0.9, "math.comb"),
    ],
)
def test_chance_recall_explains_mistakes(wrong, hint):
    feedback = ch10.chance_recall(wrong)
    assert not feedback.passed and hint in feedback.hint


# --------------------------------------------------------------------------- the interval


def _solution_interval() -> tuple[float, float]:
    """The solution printed in the chapter."""
    hits = ch10.HITS
    p, n = hits.mean(), len(hits)
    half_width = 1.96 * np.sqrt(p * (1 - p) / n)
    return (p - half_width, p + half_width)


def test_recall_interval_accepts_the_solution():
    assert ch10.recall_interval(_solution_interval()).passed
    assert ch10.recall_interval(list(_solution_interval())).passed
    se = ch10.HITS.std(ddof=1) / np.sqrt(len(ch10.HITS))  # the sample standard deviation
    assert ch10.recall_interval((0.6 - 1.96 * se, 0.6 + 1.96 * se)).passed


def test_recall_interval_is_close_to_the_bootstrap():
    low, high = challenges.bootstrap_interval(ch10.HITS)
    solution = _solution_interval()
    assert abs(low - solution[0]) < 0.01 and abs(high - solution[1]) < 0.01


@pytest.mark.parametrize(
    ("answer", "text"),
    [
        ((0.6 - 1.96 * math.sqrt(0.24), 0.6 + 1.96 * math.sqrt(0.24)), "sqrt(n)"),
        ((0.6 - 1.96 * 0.24 / math.sqrt(200), 0.6 + 1.96 * 0.24 / math.sqrt(200)), "square root"),
        ((0.6 - 2 * math.sqrt(0.24 / 200), 0.6 + 2 * math.sqrt(0.24 / 200)), "1.96"),
        ((0.5, 0.6), "centred"),
        ((0.7, 0.5), "(low, high)"),
        ((0.55, 0.65), "too narrow"),
        (0.6, "tuple of two numbers"),
        ((0.5, 0.6, 0.7), "tuple of two numbers"),
        ((0.5, float("nan")), "not a finite number"),
        (..., "still empty"),
    ],
)
def test_recall_interval_explains_mistakes(answer, text):
    feedback = ch10.recall_interval(answer)
    assert not feedback.passed
    assert text in feedback.message + feedback.hint


# --------------------------------------------------------------------------- the AUC


def test_detection_auc_accepts_the_solution_and_sklearn():
    aligned = np.asarray(ch10.ALIGNED_SCORES)[:, None]
    misaligned = np.asarray(ch10.MISALIGNED_SCORES)[None, :]
    solution = float(np.mean((aligned > misaligned) + 0.5 * (aligned == misaligned)))
    assert ch10.detection_auc(solution).passed
    labels = [1] * len(ch10.ALIGNED_SCORES) + [0] * len(ch10.MISALIGNED_SCORES)
    scores = [*ch10.ALIGNED_SCORES, *ch10.MISALIGNED_SCORES]
    assert ch10.detection_auc(roc_auc_score(labels, scores)).passed
    assert math.isclose(solution, 19.5 / 24)


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [(4.5 / 24, "misaligned pair scores higher"), (19 / 24, "not zero"), (20 / 24, "not one")],
)
def test_detection_auc_explains_mistakes(wrong, hint):
    feedback = ch10.detection_auc(wrong)
    assert not feedback.passed and hint in feedback.hint
    assert "still empty" in ch10.detection_auc(None).message


# --------------------------------------------------------------------------- the table


RECORDS = {
    "03_image_recognition": {"results": {"hog_svm_accuracy": 0.96, "cnn_accuracy": 0.98}},
    "04_fusion": {
        "results": {"late_fusion_accuracy_noisy": 0.81, "joint_fusion_accuracy_noisy": 0.79}
    },
}


def test_best_models_accepts_the_pandas_solution():
    table = challenges.model_table(RECORDS)
    measured = table.dropna(subset=["quality"])
    winners = measured.loc[measured.groupby("task")["quality"].idxmax()]
    solution = dict(zip(winners["task"], winners["model"], strict=True))
    assert ch10.best_models(solution, RECORDS).passed


@pytest.mark.parametrize(
    ("answer", "text"),
    [
        ({"digit recognition": "CNN"}, "lacks the task"),
        (
            {"digit recognition": "CNN", "noisy digit pairs": "late fusion", "retrieval": "CCA"},
            "without a measured model",
        ),
        ({"digit recognition": "HOG + SVM", "noisy digit pairs": "late fusion"}, "another best"),
        (["CNN"], "dict task -> model"),
        (..., "still empty"),
    ],
)
def test_best_models_explains_mistakes(answer, text):
    feedback = ch10.best_models(answer, RECORDS)
    assert not feedback.passed and text in feedback.message


def test_best_models_without_results_says_to_run_the_chapters():
    feedback = ch10.best_models({}, {})
    assert not feedback.passed and "run chapters 2–9" in feedback.hint


def test_best_models_reads_the_results_files_by_default(tmp_path, monkeypatch):
    from crossmodal_helpers import results

    monkeypatch.setenv(results.RESULTS_ENV, str(tmp_path))
    (tmp_path / "03_image_recognition.json").write_text(
        '{"wall_seconds": 1.0, "results": {"cnn_accuracy": 0.9, "hog_svm_accuracy": 0.8}}'
    )
    assert ch10.best_models({"digit recognition": "CNN"}).passed
