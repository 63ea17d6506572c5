"""Evaluation shared by the chapters: per-class precision, recall, F1 and confusion matrices.

Introduced in chapter 1 and used from chapters 2 and 3 on; also the size of a fitted
scikit-learn or closed-form model (:func:`count_parameters`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from crossmodal_helpers._checks import check_flag, check_names


def _check_labels(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> None:
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(
            f"y_true and y_pred must be 1-D arrays of equal length, got shapes "
            f"{y_true.shape} and {y_pred.shape}"
        )
    if len(y_true) == 0:
        raise ValueError("y_true and y_pred must not be empty")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if not np.issubdtype(y.dtype, np.integer):
            raise TypeError(f"{name} must hold integer class ids, got dtype {y.dtype}")
        if y.min() < 0 or y.max() >= n_classes:
            raise ValueError(
                f"{name} must hold class ids in [0, {n_classes}) for {n_classes} label names, "
                f"got values in [{y.min()}, {y.max()}]"
            )


@dataclass(frozen=True)
class ClassificationReport:
    """Accuracy, per-class precision/recall/F1/support and macro F1. Introduced in chapter 1."""

    label_names: tuple[str, ...]
    accuracy: float
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray
    confusion: np.ndarray

    @property
    def macro_f1(self) -> float:
        """Unweighted mean of the per-class F1 scores."""
        return float(self.f1.mean())

    def __str__(self) -> str:
        width = max(8, *(len(n) for n in self.label_names))
        lines = [f"{'class':<{width}}  precision  recall     f1  support"]
        for i, name in enumerate(self.label_names):
            lines.append(
                f"{name:<{width}}  {self.precision[i]:9.3f}  {self.recall[i]:6.3f}  "
                f"{self.f1[i]:5.3f}  {self.support[i]:7d}"
            )
        lines.append(f"{'accuracy':<{width}}  {self.accuracy:.3f}   macro F1 {self.macro_f1:.3f}")
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(str(self))


def classification_report(
    y_true: Sequence[int] | np.ndarray,
    y_pred: Sequence[int] | np.ndarray,
    label_names: Sequence[str],
) -> ClassificationReport:
    """Evaluate predicted class ids against the truth. Introduced in chapter 1.

    Precision of class $k$ is $TP_k / (TP_k + FP_k)$, recall $TP_k / (TP_k + FN_k)$ and F1
    their harmonic mean; a class never predicted (or never present) gets 0, not NaN.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    names = tuple(check_names(label_names, "label_names"))
    if not names:
        raise ValueError("label_names must name at least one class, got none")
    _check_labels(y_true, y_pred, len(names))
    k = len(names)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (y_true, y_pred), 1)
    tp = np.diag(confusion).astype(float)
    predicted = confusion.sum(axis=0)
    support = confusion.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros(k), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros(k), where=support > 0)
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros(k), where=total > 0)
    return ClassificationReport(
        label_names=names,
        accuracy=float(tp.sum() / len(y_true)),
        precision=precision,
        recall=recall,
        f1=f1,
        support=support,
        confusion=confusion,
    )


def plot_confusion_matrix(report: ClassificationReport, *, normalize: bool = True, ax=None):
    """Draw a report's confusion matrix (rows: truth, columns: prediction); return the axes."""
    import matplotlib.pyplot as plt

    if not isinstance(report, ClassificationReport):
        raise TypeError(
            f"report must be a ClassificationReport (classification_report()), got "
            f"{type(report).__name__}"
        )
    normalize = check_flag(normalize, "normalize")
    matrix = report.confusion.astype(float)
    if normalize:
        rows = matrix.sum(axis=1, keepdims=True)
        matrix = np.divide(matrix, rows, out=np.zeros_like(matrix), where=rows > 0)
    if ax is None:
        size = 1.2 + 0.45 * len(report.label_names)
        _, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues", vmin=0, vmax=matrix.max() or 1)
    ticks = np.arange(len(report.label_names))
    ax.set_xticks(ticks, report.label_names, rotation=45, ha="right")
    ax.set_yticks(ticks, report.label_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = matrix.max() / 2
    for i in ticks:
        for j in ticks:
            text = f"{matrix[i, j]:.2f}" if normalize else f"{int(matrix[i, j])}"
            colour = "white" if matrix[i, j] > threshold else "black"
            ax.text(j, i, text, ha="center", va="center", fontsize=7, color=colour)
    return ax


#: The fitted arrays that hold a scikit-learn estimator's learned numbers, by class name.
_FITTED_ARRAYS = {
    "CountVectorizer": (),  # a vocabulary of words, no learned numbers
    "TfidfVectorizer": ("idf_",),
    "TfidfTransformer": ("idf_",),
    "StandardScaler": ("mean_", "scale_"),
    "PCA": ("components_", "mean_"),
    "TruncatedSVD": ("components_",),
    "MultinomialNB": ("feature_log_prob_", "class_log_prior_"),
    "LinearSVC": ("coef_", "intercept_"),
    "LogisticRegression": ("coef_", "intercept_"),
    "SVC": ("support_vectors_", "dual_coef_", "intercept_"),
}


def _count_one(model: Any) -> int:
    steps = getattr(model, "steps", None)
    if isinstance(steps, list):  # a scikit-learn Pipeline
        return sum(_count_one(step) for _, step in steps if step not in (None, "passthrough"))
    name = type(model).__name__
    if name == "DecisionTreeClassifier" and hasattr(model, "tree_"):
        leaf = model.tree_.children_left == -1
        # a split stores a feature and a threshold, a leaf its class scores
        return int(2 * np.sum(~leaf) + np.sum(leaf) * model.tree_.value.shape[-1])
    if name in _FITTED_ARRAYS:
        arrays = list(_FITTED_ARRAYS[name])
        if name == "PCA" and getattr(model, "whiten", False):
            arrays.append("explained_variance_")
        if name in ("TfidfVectorizer", "TfidfTransformer") and not model.use_idf:
            arrays = []
        missing = [a for a in arrays if not hasattr(model, a)]
        if missing:
            raise ValueError(f"model must be fitted first: {name} has no {', '.join(missing)}")
        return sum(int(np.asarray(getattr(model, a)).size) for a in arrays)
    if dataclasses.is_dataclass(model) and not isinstance(model, type):
        fields = [getattr(model, f.name) for f in dataclasses.fields(model)]
        return sum(int(v.size) for v in fields if isinstance(v, np.ndarray))
    known = ", ".join(sorted([*_FITTED_ARRAYS, "DecisionTreeClassifier", "Pipeline"]))
    raise TypeError(
        f"model must be a fitted scikit-learn {known} or a dataclass of NumPy arrays "
        f"(such as retrieval.CanonicalCorrelation), got {name}; for a Keras model use "
        "model.count_params()"
    )


def count_parameters(*models: Any) -> int:
    """Number of learned numbers in fitted scikit-learn or closed-form models, summed.

    Introduced in chapter 2, the counterpart of Keras' ``model.count_params()``. Counts what
    the model uses to predict: naive Bayes its log probabilities per word and class and its
    class priors, a linear model its weights and intercepts, a kernel SVM its support
    vectors, dual coefficients and intercepts, a decision tree a feature and a threshold
    per split and the class scores of each leaf, TF-IDF its inverse document frequencies,
    PCA its components and mean. A bag-of-words vocabulary is a list of words, not
    numbers, and counts 0. A ``Pipeline`` is the sum of its steps; a dataclass of NumPy
    arrays (a closed-form model such as ``retrieval.CanonicalCorrelation``) the sum of its
    arrays' sizes.
    """
    if not models:
        raise TypeError("count_parameters needs at least one fitted model")
    return sum(_count_one(model) for model in models)
