"""Unit tests of crossmodal_helpers.exercises.ch09: accept the solutions, explain mistakes."""

from __future__ import annotations

from crossmodal_helpers.exercises import ch09


def test_entity_f1_by_hand():
    assert ch09.entity_f1_by_hand(2 * 3 / (5 + 6)).passed
    assert ch09.entity_f1_by_hand(0.545).passed
    token_level = ch09._token_f1(ch09.F1_TRUE, ch09.F1_PREDICTED)
    feedback = ch09.entity_f1_by_hand(token_level)
    assert not feedback.passed and "token-level" in feedback.message
    assert not ch09.entity_f1_by_hand(...).passed


def test_base_rate():
    assert ch09.base_rate(0.9 * 0.02 / (0.9 * 0.02 + 0.05 * 0.98)).passed
    feedback = ch09.base_rate(0.95)
    assert not feedback.passed and "specificity" in feedback.message
    assert "1,000 reports" in ch09.base_rate(0.9).hint


def test_why_chance():
    assert ch09.why_chance("fakeness is a property of the pair").passed
    assert not ch09.why_chance("the encoders are too small").passed
    assert not ch09.why_chance(3).passed
