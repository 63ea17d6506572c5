"""Self-checks of chapter 4 accept the solutions and explain typical mistakes."""

from __future__ import annotations

import numpy as np
import pytest

from crossmodal_helpers import exercises, fusion

ch04 = exercises.ch04


def _probabilities(seed: int, n: int = 50, k: int = 10) -> np.ndarray:
    logits = np.random.default_rng(seed).normal(scale=2.0, size=(n, k))
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


def _product(p: np.ndarray, q: np.ndarray, w: float = 1.0) -> np.ndarray:
    logits = np.log(np.clip(p, 1e-7, 1)) + w * np.log(np.clip(q, 1e-7, 1))
    logits -= logits.max(axis=1, keepdims=True)
    return np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


def test_product_rule_accepts_the_solution_and_explains_mistakes():
    p, q = _probabilities(0), _probabilities(1)
    assert ch04.product_rule(_product(p, q), p, q).passed
    assert ch04.product_rule(_product(p, q).tolist(), p, q).passed
    unnormalised = ch04.product_rule(p * q, p, q)
    assert not unnormalised.passed and "sum to 1" in unnormalised.message
    average = ch04.product_rule((p + q) / 2, p, q)
    assert not average.passed and "sum rule" in average.message
    assert "still empty" in ch04.product_rule(..., p, q).message
    assert "shape" in ch04.product_rule(p[:3], p, q).message


def test_product_rule_needs_probability_arrays():
    feedback = ch04.product_rule(np.zeros(3), np.zeros(3), np.zeros(3))
    assert not feedback.passed and "p_image must be class probabilities" in feedback.message


@pytest.fixture(scope="module")
def gate_layer():
    from crossmodal_helpers import runtime

    runtime.quiet_tensorflow()
    import keras

    keras.utils.set_random_seed(0)
    layer = fusion.GatedFusion(6)
    rng = np.random.default_rng(0)
    h_image = rng.normal(size=(5, 4)).astype(np.float32)
    h_text = rng.normal(size=(5, 3)).astype(np.float32)
    layer([h_image, h_text])
    return layer, h_image, h_text


def test_gated_fusion_accepts_the_solution_and_spots_a_swapped_gate(gate_layer):
    layer, h_image, h_text = gate_layer
    (w_x, b_x), (w_t, b_t) = (p.get_weights() for p in layer.project)
    w_g, b_g = layer.gate_layer.get_weights()
    g = 1 / (1 + np.exp(-(np.concatenate([h_image, h_text], axis=1) @ w_g + b_g)))
    image_part, text_part = np.tanh(h_image @ w_x + b_x), np.tanh(h_text @ w_t + b_t)
    assert ch04.gated_fusion(g * image_part + (1 - g) * text_part, layer, h_image, h_text).passed
    swapped = ch04.gated_fusion((1 - g) * image_part + g * text_part, layer, h_image, h_text)
    assert not swapped.passed and "wrong modality" in swapped.message
    wrong = ch04.gated_fusion(image_part + text_part, layer, h_image, h_text)
    assert not wrong.passed and "sigmoid" in wrong.hint and "@" not in wrong.hint
    assert "still empty" in ch04.gated_fusion(..., layer, h_image, h_text).message


def test_best_text_weight_accepts_any_best_weight_and_rejects_others():
    p, q = _probabilities(2, n=300), _probabilities(3, n=300)
    labels = np.random.default_rng(4).integers(0, 10, size=300)
    accuracy = {w: np.mean(_product(p, q, w).argmax(1) == labels) for w in ch04.TEXT_WEIGHTS}
    best = max(accuracy.values())
    winners = [w for w, a in accuracy.items() if a == best]
    losers = [w for w, a in accuracy.items() if a < best]
    assert ch04.best_text_weight(winners[0], p, q, labels).passed
    assert ch04.best_text_weight(np.float64(winners[-1]), p, q, labels).passed
    feedback = ch04.best_text_weight(losers[0], p, q, labels)
    assert not feedback.passed and "better weight exists" in feedback.message
    assert "not one of TEXT_WEIGHTS" in ch04.best_text_weight(3.7, p, q, labels).message
    assert "should be a number" in ch04.best_text_weight("1", p, q, labels).message
    assert "still empty" in ch04.best_text_weight(..., p, q, labels).message


def test_which_fusion():
    assert ch04.which_fusion({"a": "late", "b": "joint", "c": "Early", "d": "late"}).passed
    wrong = ch04.which_fusion({"a": "late", "b": "late", "c": "early", "d": "late"})
    assert not wrong.passed and "(b)" in wrong.message
    # Agreement on a label both classifiers predict needs no joint model (section 4.8).
    joint_d = ch04.which_fusion({"a": "late", "b": "joint", "c": "early", "d": "joint"})
    assert not joint_d.passed and "(d)" in joint_d.message
    assert "late" not in joint_d.hint and "joint" not in joint_d.hint
    assert not ch04.which_fusion({"a": "late", "b": "joint", "c": "early"}).passed
    assert not ch04.which_fusion({"a": "late"}).passed
    assert not ch04.which_fusion({"a": ..., "b": ..., "c": ..., "d": ...}).passed
