"""Self-checks of chapter 2: text mining."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from crossmodal_helpers.exercises import (
    Feedback,
    as_array,
    call_with_time_limit,
    check_array,
    check_value,
    self_check,
)

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

#: jieba's words and the hand segmentation of exercise 'Word F1 of a segmentation'.
WORD_F1_OUTPUT = ("请", "把手", "放在", "桌子", "上")
WORD_F1_REFERENCE = ("请", "把", "手", "放", "在", "桌子", "上")

#: Confusion matrix of exercise 'Precision, recall and F1' (rows: truth fresh, rotten;
#: columns: prediction fresh, rotten).
CONFUSION = np.array([[900, 200], [150, 600]])


@self_check
def tfidf(answer: Any) -> Feedback:
    """Check exercise 'TF-IDF by hand': the (3, 5) TF-IDF matrix of :data:`TFIDF_CORPUS`."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from crossmodal_helpers.text import tokenize

    vectorizer = TfidfVectorizer(tokenizer=tokenize, token_pattern=None, lowercase=False)
    expected = vectorizer.fit_transform(TFIDF_CORPUS).toarray()
    hint = (
        "columns are the terms in alphabetical order; tf is the raw count of a term in a "
        "document, idf follows the smooth formula of section 2.3, and each row is scaled "
        "to length 1 at the end"
    )
    got = as_array(answer, "tfidf_matrix", hint).astype(float)
    if got.shape == expected.shape and np.isfinite(got).all():
        norms = np.linalg.norm(got, axis=1, keepdims=True)
        proportional = (norms > 0).all() and np.allclose(got / norms, expected, rtol=1e-4)
        if proportional and not np.allclose(norms, 1.0, rtol=1e-4):
            return Feedback(
                False,
                "tfidf_matrix has the right proportions but its rows do not have length 1",
                "divide each row by its Euclidean (L2) norm",
            )
        counts = np.array(
            [
                [doc.split().count(t) for t in sorted(set(" ".join(TFIDF_CORPUS).split()))]
                for doc in TFIDF_CORPUS
            ],
            dtype=float,
        )
        if np.allclose(got, counts / np.linalg.norm(counts, axis=1, keepdims=True), rtol=1e-4):
            return Feedback(False, "tfidf_matrix holds normalised counts: the idf is missing", hint)
    return check_array(got, expected, name="tfidf_matrix", hint=hint, rtol=1e-4)


@self_check
def backward_max_match(segment: Any) -> Feedback:
    """Check exercise 'Backward maximum matching': a function ``segment(text, dictionary)``.

    Each call of the learner's function is stopped after ``exercises.TIME_LIMIT`` seconds.
    """
    hint = (
        "start at the END of the text; take the longest dictionary word that ends there "
        "(or a single character if none does), put it in front of the result, and repeat "
        "on what is left"
    )
    if segment is None or segment is Ellipsis:
        return Feedback(False, "segment is still empty: write the function", hint)
    if not callable(segment):
        return Feedback(False, f"segment must be a function, got a {type(segment).__name__}", hint)
    longest = max(len(word) for word in SEGMENT_DICTIONARY)
    for text in SEGMENT_SENTENCES:
        label = f"segment({text!r}, dictionary)"
        got = call_with_time_limit(segment, text, SEGMENT_DICTIONARY, label=label, hint=hint)
        if isinstance(got, np.ndarray):
            got = got.tolist()
        if not isinstance(got, (list, tuple)) or not all(isinstance(w, str) for w in got):
            return Feedback(
                False, f"{label} must return a list of str, got a {type(got).__name__}", hint
            )
        words = [str(word) for word in got]
        if "".join(words) != text:
            return Feedback(
                False,
                f"{label} returned {words}, which does not spell the text",
                "every character must end up in exactly one word, in order",
            )
        end, right = len(text), True
        for word in reversed(words):  # each word must be the longest match ending at `end`
            sizes = [
                s
                for s in range(min(longest, end), 1, -1)
                if text[end - s : end] in SEGMENT_DICTIONARY
            ]
            right = right and len(word) == (sizes[0] if sizes else 1)
            end -= len(word)
        if not right:
            return Feedback(False, f"{label} returned {words}", hint)
    return Feedback(True, f"all {len(SEGMENT_SENTENCES)} sentences are segmented correctly")


def _three_scores(
    answer: Any, expected: dict[str, float], hints: dict[str, str], success: str
) -> Feedback:
    """Compare a dict of 'precision', 'recall' and 'f1' with the expected values."""
    if not isinstance(answer, Mapping) or sorted(map(str, answer)) != sorted(expected):
        return Feedback(
            False,
            "scores must be a dict with the keys 'precision', 'recall' and 'f1'",
            "write scores = {'precision': ..., 'recall': ..., 'f1': ...}",
        )
    values = {str(key): value for key, value in answer.items()}
    for key in ("precision", "recall", "f1"):
        feedback = check_value(values[key], expected[key], name=key, hint=hints[key], rel_tol=1e-3)
        if not feedback.passed:
            return feedback
    return Feedback(True, success)


@self_check
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
        "f1": "F1 is the harmonic mean of precision and recall, not the arithmetic mean",
    }
    return _three_scores(answer, expected, hints, "precision, recall and F1 of 'rotten' are right")


def _spans(words: tuple[str, ...]) -> set[tuple[int, int]]:
    """The (start, end) character positions of each word."""
    spans, start = set(), 0
    for word in words:
        spans.add((start, start + len(word)))
        start += len(word)
    return spans


@self_check
def segmentation_scores(answer: Any) -> Feedback:
    """Check exercise 'Word F1 of a segmentation': jieba's words against the reference."""
    correct = len(_spans(WORD_F1_OUTPUT) & _spans(WORD_F1_REFERENCE))
    precision = correct / len(WORD_F1_OUTPUT)
    recall = correct / len(WORD_F1_REFERENCE)
    expected = {
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall),
    }
    hints = {
        "precision": "precision = right words / words in jieba's OUTPUT; a word is right only "
        "if it starts AND ends where a reference word does",
        "recall": "recall = right words / words in the REFERENCE",
        "f1": "F1 is the harmonic mean of precision and recall, not the arithmetic mean",
    }
    return _three_scores(
        answer, expected, hints, "precision, recall and F1 of the segmentation are right"
    )
