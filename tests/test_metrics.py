"""Unit tests of crossmodal_helpers.metrics, checked against scikit-learn."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from crossmodal_helpers import metrics

matplotlib.use("Agg")


def test_report_matches_scikit_learn():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, 200)
    y_pred = np.where(rng.random(200) < 0.7, y_true, rng.integers(0, 4, 200))
    report = metrics.classification_report(y_true, y_pred, list("abcd"))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, zero_division=0)
    np.testing.assert_allclose(report.precision, p)
    np.testing.assert_allclose(report.recall, r)
    np.testing.assert_allclose(report.f1, f)
    np.testing.assert_array_equal(report.support, s)
    np.testing.assert_array_equal(report.confusion, confusion_matrix(y_true, y_pred))
    assert report.accuracy == pytest.approx(accuracy_score(y_true, y_pred))
    assert report.macro_f1 == pytest.approx(f.mean())
    assert "macro F1" in str(report)


def test_a_class_never_predicted_scores_zero_not_nan():
    report = metrics.classification_report([0, 1, 2], [0, 1, 1], ["x", "y", "z"])
    assert report.precision[2] == 0 and report.f1[2] == 0
    assert not np.isnan(report.f1).any()


@pytest.mark.parametrize(
    ("y_true", "y_pred", "error", "words"),
    [
        ([0, 1], [0], ValueError, "equal length"),
        ([], [], ValueError, "must not be empty"),
        ([0, 3], [0, 1], ValueError, r"class ids in \[0, 3\)"),
        ([0.0, 1.0], [0, 1], TypeError, "integer class ids"),
    ],
)
def test_bad_labels_are_explained(y_true, y_pred, error, words):
    with pytest.raises(error, match=words):
        metrics.classification_report(y_true, y_pred, ["a", "b", "c"])


def test_confusion_matrix_plot_labels_every_cell():
    report = metrics.classification_report([0, 1, 1], [0, 1, 0], ["cat", "dog"])
    ax = metrics.plot_confusion_matrix(report)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog"]
    assert len(ax.texts) == 4
