"""Self-checks of chapter 2: text mining."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from crossmodal_helpers.exercises import Feedback, check_array, check_value

#: The three documents of exercise 'TF-IDF by hand'.
TFIDF_CORPUS = (
    "a great film",
    "a dull film",
    "a great great cast",
)

#: The dictionary and sentences of exercise 'Backward maximum matching'.
SEGMENT_DICTIONARY = frozenset(
    [
        "研究",
        "研究生",
        "生命",
        "命",
        "起源",
        "我",
        "喜欢",
        "这部",
        "电影",
        "北京",
        "北京大学",
        "大学",
        "学生",
    ]
)
SEGMENT_SENTENCES = ("研究生命起源", "我喜欢这部电影", "北京大学生", "我喜欢研究", "影迷")

#: Confusion matrix of exercise 'Precision, recall and F1' (rows: truth fresh, rotten;
#: columns: prediction fresh, rotten).
CONFUSION = np.array([[900, 200], [150, 600]])


def _tfidf_expected() -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from crossmodal_helpers.text import tokenize

    vectorizer = TfidfVectorizer(tokenizer=tokenize, token_pattern=None, lowercase=False)
    return vectorizer.fit_transform(TFIDF_CORPUS).toarray()


def tfidf(answer: Any) -> Feedback:
    """Check exercise 'TF-IDF by hand': the (3, 5) TF-IDF matrix of :data:`TFIDF_CORPUS`."""
    expected = _tfidf_expected()
    hint = (
        "columns are the terms in alphabetical order (a, cast, dull, film, great); "
        "tf is the raw count, idf = ln((1 + N) / (1 + df)) + 1 with N = 3 documents, "
        "and each row is divided by its Euclidean length"
    )
    try:
        got = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        got = None
    if got is not None and got.shape == expected.shape and np.isfinite(got).all():
        norms = np.linalg.norm(got, axis=1, keepdims=True)
        proportional = (norms > 0).all() and np.allclose(got / norms, expected, rtol=1e-4)
        if proportional and not np.allclose(norms, 1.0, rtol=1e-4):
            return Feedback(
                False,
                "tfidf_matrix has the right proportions but its rows do not have length 1",
                "divide each row by its Euclidean (L2) norm, np.linalg.norm(row)",
            )
    return check_array(answer, expected, name="tfidf_matrix", hint=hint, rtol=1e-4)


def _reference_backward(text: str, dictionary: frozenset[str]) -> list[str]:
    longest = max(len(word) for word in dictionary)
    words: list[str] = []
    end = len(text)
    while end > 0:
        for size in range(min(longest, end), 0, -1):
            piece = text[end - size : end]
            if size == 1 or piece in dictionary:
                words.insert(0, piece)
                end -= size
                break
    return words


def backward_max_match(segment: Any) -> Feedback:
    """Check exercise 'Backward maximum matching': a function ``segment(text, dictionary)``."""
    hint = (
        "start at the END of the text; take the longest dictionary word that ends there "
        "(or a single character if none does), put it in front of the result, and repeat "
        "on what is left"
    )
    if segment is None or segment is Ellipsis:
        return Feedback(False, "segment is still empty: write the function", hint)
    if not callable(segment):
        return Feedback(False, f"segment must be a function, got {type(segment).__name__}", hint)
    function: Callable[[str, frozenset[str]], Any] = segment
    for text in SEGMENT_SENTENCES:
        expected = _reference_backward(text, SEGMENT_DICTIONARY)
        try:
            got = function(text, SEGMENT_DICTIONARY)
        except Exception as error:  # a learner's bug: report it, never raise
            return Feedback(
                False, f"segment({text!r}, dictionary) raised {type(error).__name__}: {error}", hint
            )
        if not isinstance(got, list) or not all(isinstance(w, str) for w in got):
            return Feedback(
                False,
                f"segment({text!r}, dictionary) must return a list of str, got {got!r}"[:160],
                hint,
            )
        if "".join(got) != text:
            return Feedback(
                False,
                f"segment({text!r}, dictionary) returned {got}, which does not spell the text",
                "every character must end up in exactly one word, in order",
            )
        if got != expected:
            return Feedback(False, f"segment({text!r}, dictionary) returned {got}", hint)
    return Feedback(True, f"all {len(SEGMENT_SENTENCES)} sentences are segmented correctly")


def rotten_scores(answer: Any) -> Feedback:
    """Check exercise 'Precision, recall and F1': a dict of the three scores of 'rotten'."""
    tp = CONFUSION[1, 1]
    precision = tp / CONFUSION[:, 1].sum()
    recall = tp / CONFUSION[1, :].sum()
    expected = {
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(2 * precision * recall / (precision + recall)),
    }
    hints = {
        "precision": "precision = TP / (TP + FP): of the snippets PREDICTED rotten (a column), "
        "the share that truly are",
        "recall": "recall = TP / (TP + FN): of the snippets that TRULY are rotten (a row), "
        "the share the model found",
        "f1": "F1 is the harmonic mean 2PR / (P + R), not the arithmetic mean",
    }
    if not isinstance(answer, dict) or sorted(answer) != sorted(expected):
        return Feedback(
            False,
            "scores must be a dict with the keys 'precision', 'recall' and 'f1'",
            "write scores = {'precision': ..., 'recall': ..., 'f1': ...}",
        )
    for key in ("precision", "recall", "f1"):
        feedback = check_value(answer[key], expected[key], name=key, hint=hints[key], rel_tol=1e-3)
        if not feedback.passed:
            return feedback
    return Feedback(True, "precision, recall and F1 of 'rotten' are right")
