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


def test_backward_max_match_names_the_sentence_it_gets_wrong():
    def no_dictionary(text, dictionary):
        return list(text)

    feedback = ch02.backward_max_match(no_dictionary)
    assert not feedback.passed and "研究生命起源" in feedback.message
    assert "END of the text" in feedback.hint


def test_backward_max_match_accepts_tuples():
    def segment(text, dictionary):
        words, end = [], len(text)
        while end:
            size = max(s for s in range(1, end + 1) if s == 1 or text[end - s : end] in dictionary)
            words.insert(0, text[end - size : end])
            end -= size
        return tuple(words)

    assert ch02.backward_max_match(segment).passed


def test_rotten_scores():
    right = {"precision": 0.75, "recall": 0.8, "f1": 2 * 0.75 * 0.8 / 1.55}
    assert ch02.rotten_scores(right).passed
    swapped = ch02.rotten_scores({**right, "precision": 0.8, "recall": 0.75})
    assert not swapped.passed and "PREDICTED" in swapped.hint
    mean = ch02.rotten_scores({**right, "f1": 0.775})
    assert not mean.passed and "harmonic" in mean.hint
    assert "keys 'precision'" in ch02.rotten_scores([0.75, 0.8]).message
    assert "should be a number" in ch02.rotten_scores({**right, "f1": "0.77"}).message
