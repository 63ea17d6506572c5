"""Self-checks of chapter 2 accept the solutions and explain typical mistakes."""

from __future__ import annotations

import numpy as np

from crossmodal_helpers import exercises

ch02 = exercises.ch02


def _solution_tfidf() -> np.ndarray:
    documents = [doc.split() for doc in ch02.TFIDF_CORPUS]
    terms = sorted({t for doc in documents for t in doc})
    counts = np.array([[doc.count(t) for t in terms] for doc in documents], dtype=float)
    df = (counts > 0).sum(axis=0)
    idf = np.log((1 + len(documents)) / (1 + df)) + 1
    weights = counts * idf
    return weights / np.linalg.norm(weights, axis=1, keepdims=True)


def test_tfidf_accepts_the_solution():
    assert ch02.tfidf(_solution_tfidf()).passed
    assert ch02.tfidf(_solution_tfidf().tolist()).passed


def test_tfidf_explains_mistakes():
    solution = _solution_tfidf()
    unnormalised = ch02.tfidf(solution * 3.0)
    assert not unnormalised.passed and "length 1" in unnormalised.message
    assert "L2" in unnormalised.hint
    wrong = ch02.tfidf(np.ones((3, 5)))
    assert not wrong.passed and "alphabetical" in wrong.hint
    assert "shape (5, 3)" in ch02.tfidf(solution.T).message
    assert "still empty" in ch02.tfidf(...).message
    assert not ch02.tfidf("not a matrix").passed


def _backward(text, dictionary):
    longest = max(map(len, dictionary))
    words, end = [], len(text)
    while end:
        size = next(
            s
            for s in range(min(longest, end), 0, -1)
            if s == 1 or text[end - s : end] in dictionary
        )
        words.insert(0, text[end - size : end])
        end -= size
    return words


def _forward(text, dictionary):
    longest = max(map(len, dictionary))
    words, start = [], 0
    while start < len(text):
        size = next(
            s
            for s in range(min(longest, len(text) - start), 0, -1)
            if s == 1 or text[start : start + s] in dictionary
        )
        words.append(text[start : start + size])
        start += size
    return words


def test_backward_max_match_accepts_a_correct_function():
    feedback = ch02.backward_max_match(_backward)
    assert feedback.passed and "5 sentences" in feedback.message


def test_backward_max_match_rejects_forward_matching_with_a_hint():
    feedback = ch02.backward_max_match(_forward)
    assert not feedback.passed and "研究生命起源" in feedback.message
    assert "END of the text" in feedback.hint


def test_backward_max_match_reports_crashes_and_wrong_types():
    def crashes(text, dictionary):
        raise KeyError("oops")

    assert "raised KeyError" in ch02.backward_max_match(crashes).message
    assert "list of str" in ch02.backward_max_match(lambda t, d: t).message
    assert "does not spell" in ch02.backward_max_match(lambda t, d: [t[:1]]).message
    assert "must be a function" in ch02.backward_max_match("研究").message
    assert "still empty" in ch02.backward_max_match(...).message


def test_rotten_scores():
    right = {"precision": 0.75, "recall": 0.8, "f1": 2 * 0.75 * 0.8 / 1.55}
    assert ch02.rotten_scores(right).passed
    swapped = ch02.rotten_scores({**right, "precision": 0.8, "recall": 0.75})
    assert not swapped.passed and "PREDICTED" in swapped.hint
    mean = ch02.rotten_scores({**right, "f1": 0.775})
    assert not mean.passed and "harmonic" in mean.hint
    assert "keys 'precision'" in ch02.rotten_scores([0.75, 0.8]).message
    assert "should be a number" in ch02.rotten_scores({**right, "f1": "0.77"}).message
