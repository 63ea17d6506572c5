"""Self-checks of appendix A accept the solutions and explain typical mistakes."""

from __future__ import annotations

import numpy as np

import crossmodal_helpers.exercises.appendix as appendix_checks

SOLUTION = {
    "colab_tpu": "TPUStrategy",
    "four_gpus": "MirroredStrategy",
    "two_machines": "MultiWorkerMirroredStrategy",
    "laptop_cpu": "default",
}
GRADIENTS = np.array([[1.0, 2.0], [3.0, 2.0]])
SIZES = np.array([3, 1])


def test_per_replica_batch():
    assert appendix_checks.per_replica_batch(64).passed
    assert appendix_checks.per_replica_batch(64.0).passed
    multiplied = appendix_checks.per_replica_batch(512 * 8)
    assert not multiplied.passed and "divide" in multiplied.hint
    assert "too large" in appendix_checks.per_replica_batch(128).message
    assert "still empty" in appendix_checks.per_replica_batch(...).message
    assert not appendix_checks.per_replica_batch("64").passed
    assert not appendix_checks.per_replica_batch(True).passed


def test_scaled_learning_rate():
    assert appendix_checks.scaled_learning_rate(3.2).passed
    square_root = appendix_checks.scaled_learning_rate(0.1 * np.sqrt(32))
    assert not square_root.passed and "sqrt" in square_root.hint
    assert "too small" in appendix_checks.scaled_learning_rate(0.1).message
    assert "still empty" in appendix_checks.scaled_learning_rate(None).message


def test_which_strategy():
    assert appendix_checks.which_strategy(SOLUTION).passed
    lower = {key: value.lower() for key, value in SOLUTION.items()}
    assert appendix_checks.which_strategy(lower).passed
    wrong = appendix_checks.which_strategy({**SOLUTION, "two_machines": "MirroredStrategy"})
    assert not wrong.passed and "two_machines" in wrong.message and "machines" in wrong.hint
    unknown = appendix_checks.which_strategy({**SOLUTION, "colab_tpu": "TPU"})
    assert not unknown.passed and "not one of the options" in unknown.message
    assert "dict" in appendix_checks.which_strategy(["TPUStrategy"]).message
    assert "dict" in appendix_checks.which_strategy({"colab_tpu": "TPUStrategy"}).message


def test_combined_gradient():
    assert appendix_checks.combined_gradient([1.5, 2.0], GRADIENTS, SIZES).passed
    plain = appendix_checks.combined_gradient(GRADIENTS.mean(axis=0), GRADIENTS, SIZES)
    assert not plain.passed and "plain mean" in plain.message and "weighted" in plain.hint
    assert "shape" in appendix_checks.combined_gradient([1.5], GRADIENTS, SIZES).message
    assert "still empty" in appendix_checks.combined_gradient(..., GRADIENTS, SIZES).message
    assert not appendix_checks.combined_gradient("abc", GRADIENTS, SIZES).passed
    # equal shares: the plain mean IS the weighted mean, and must be accepted
    assert appendix_checks.combined_gradient([2.0, 2.0], GRADIENTS, [5, 5]).passed


def test_combined_gradient_explains_mismatched_inputs():
    feedback = appendix_checks.combined_gradient([1.5, 2.0], GRADIENTS, [1, 2, 3])
    assert not feedback.passed and "sizes shape" in feedback.message
    feedback = appendix_checks.combined_gradient([1.5, 2.0], [1.0, 2.0], [1, 2])
    assert not feedback.passed and "gradients must have shape" in feedback.message
