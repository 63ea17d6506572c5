"""Self-checks of chapter 11 accept the solutions and explain typical mistakes."""

from __future__ import annotations

from collections import Counter

import pytest

from crossmodal_helpers import captioning, exercises

ch11 = exercises.ch11


def test_clipped_precision_accepts_the_solution_and_nltk():
    from nltk.translate.bleu_score import modified_precision

    hypothesis = Counter(ch11.HYPOTHESIS.split())
    references = [Counter(r.split()) for r in ch11.REFERENCES]
    clipped = sum(min(n, max(r[w] for r in references)) for w, n in hypothesis.items())
    assert ch11.clipped_precision(clipped / sum(hypothesis.values())).passed
    nltk_p1 = modified_precision([r.split() for r in ch11.REFERENCES], ch11.HYPOTHESIS.split(), 1)
    assert ch11.clipped_precision(float(nltk_p1)).passed


@pytest.mark.parametrize(
    ("wrong", "hint"), [(1.0, "clip each word"), (6 / 7, "single reference"), (0.2, "at most")]
)
def test_clipped_precision_explains_mistakes(wrong, hint):
    feedback = ch11.clipped_precision(wrong)
    assert not feedback.passed and hint in feedback.hint


def test_beam_by_hand_accepts_the_best_caption_and_names_greedy():
    assert ch11.beam_by_hand(0.36).passed
    feedback = ch11.beam_by_hand(0.24)
    assert not feedback.passed and "greedy" in feedback.message
    assert not ch11.beam_by_hand(1.5).passed


def test_attribute_accuracy_accepts_the_package_and_explains_mistakes():
    scene = {"objects": list(ch11.SCENE_OBJECTS)}
    assert ch11.attribute_accuracy(
        captioning.attribute_scores([ch11.GENERATED], [scene]).accuracy
    ).passed
    for wrong, hint in [(5 / 6, "never mentioned"), (0.5, "synonym"), (5 / 12, "only where")]:
        feedback = ch11.attribute_accuracy(wrong)
        assert not feedback.passed and hint in feedback.hint
