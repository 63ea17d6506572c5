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


def _texts_and_labels():
    texts = ["good fun film", "dull film", "good acting", "dull and long", "fun", "long film"]
    return texts, np.array([0, 1, 0, 1, 0, 1])


def test_count_parameters_of_classical_models():
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import SVC, LinearSVC

    texts, labels = _texts_and_labels()
    bayes = make_pipeline(CountVectorizer(), MultinomialNB()).fit(texts, labels)
    n_words = len(bayes[0].vocabulary_)
    assert metrics.count_parameters(bayes) == 2 * n_words + 2
    svm = make_pipeline(TfidfVectorizer(), LinearSVC()).fit(texts, labels)
    assert metrics.count_parameters(svm) == n_words + n_words + 1  # idf, weights, intercept
    x = np.random.default_rng(0).normal(size=(40, 3))
    kernel = SVC().fit(x, (x[:, 0] > 0).astype(int))
    n_support = len(kernel.support_vectors_)
    assert metrics.count_parameters(kernel) == 3 * n_support + n_support + 1
    assert metrics.count_parameters(bayes, kernel) == 2 * n_words + 2 + 4 * n_support + 1


def test_count_parameters_of_a_tree_and_of_pca():
    from sklearn.decomposition import PCA
    from sklearn.tree import DecisionTreeClassifier

    x = np.array([[0.0], [1.0], [2.0], [3.0]])
    tree = DecisionTreeClassifier(random_state=0).fit(x, [0, 0, 1, 1])
    assert tree.tree_.node_count == 3  # one split, two leaves with two class scores each
    assert metrics.count_parameters(tree) == 2 + 2 * 2
    pca = PCA(n_components=2).fit(np.random.default_rng(0).normal(size=(20, 5)))
    assert metrics.count_parameters(pca) == 2 * 5 + 5
    whitened = PCA(n_components=2, whiten=True).fit(np.random.default_rng(0).normal(size=(20, 5)))
    assert metrics.count_parameters(whitened) == 2 * 5 + 5 + 2


def test_count_parameters_of_a_closed_form_model():
    from crossmodal_helpers import retrieval

    rng = np.random.default_rng(0)
    cca = retrieval.fit_cca(rng.normal(size=(50, 6)), rng.normal(size=(50, 4)), n_components=3)
    assert metrics.count_parameters(cca) == (6 + 6 * 3) + (4 + 4 * 3) + 3


def test_count_parameters_explains_bad_input():
    from sklearn.naive_bayes import MultinomialNB

    with pytest.raises(TypeError, match="count_params"):
        metrics.count_parameters(object())
    with pytest.raises(TypeError, match="at least one"):
        metrics.count_parameters()
    with pytest.raises(ValueError, match="fitted first"):
        metrics.count_parameters(MultinomialNB())
