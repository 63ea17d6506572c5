"""Self-checks of chapter 7 accept the solutions and explain typical mistakes."""

from __future__ import annotations

import numpy as np
import pytest

from crossmodal_helpers import exercises, gan

ch07 = exercises.ch07


def _densities() -> tuple[np.ndarray, np.ndarray]:
    x = np.linspace(-5, 5, 101)
    p_data = 0.5 * np.exp(-0.5 * ((x + 2) / 0.6) ** 2) + 0.5 * np.exp(-0.5 * (x - 1.5) ** 2)
    p_g = np.exp(-0.5 * (x / 1.5) ** 2)
    return p_data, p_g


def test_optimal_discriminator_accepts_the_solution_and_spots_the_swap():
    p_data, p_g = _densities()
    assert ch07.optimal_discriminator(p_data / (p_data + p_g), p_data, p_g).passed
    assert ch07.optimal_discriminator(list(p_data / (p_data + p_g)), p_data, p_g).passed
    swapped = ch07.optimal_discriminator(p_g / (p_data + p_g), p_data, p_g)
    assert not swapped.passed and "swapped" in swapped.message
    assert "still empty" in ch07.optimal_discriminator(..., p_data, p_g).message
    assert "shape" in ch07.optimal_discriminator(p_data[:5], p_data, p_g).message


def test_optimal_discriminator_needs_positive_densities_of_one_shape():
    p_data, p_g = _densities()
    feedback = ch07.optimal_discriminator(p_data, p_data, -p_g)
    assert not feedback.passed and "p_g must be a non-empty 1-D array" in feedback.message
    feedback = ch07.optimal_discriminator(p_data, p_data, p_g[:10])
    assert not feedback.passed and "same shape" in feedback.message


def test_generator_gradients_accepts_the_solution_and_checks_signs():
    assert ch07.generator_gradients((-0.01, -0.99)).passed
    assert ch07.generator_gradients([-0.2, -0.8], d=0.2).passed
    assert "99 times" in ch07.generator_gradients((-0.01, -0.99)).message
    sign = ch07.generator_gradients((0.01, 0.99))
    assert not sign.passed and "wrong sign" in sign.message
    swapped = ch07.generator_gradients((-0.99, -0.01))
    assert not swapped.passed and "saturating" in swapped.message
    assert "pair" in ch07.generator_gradients(-0.01).message
    assert ch07.generator_gradients(np.array([-0.01, -0.99])).passed
    assert "still empty" in ch07.generator_gradients(...).message


def test_frechet_1d_matches_the_package_and_spots_the_population_std():
    rng = np.random.default_rng(0)
    a, b = rng.normal(1.0, 2.0, 40), rng.normal(0.0, 1.0, 60)
    expected = (a.mean() - b.mean()) ** 2 + (a.std(ddof=1) - b.std(ddof=1)) ** 2
    assert expected == pytest.approx(gan.frechet_distance(a[:, None], b[:, None]), rel=1e-9)
    assert ch07.frechet_1d(expected, a, b).passed
    biased = (a.mean() - b.mean()) ** 2 + (a.std() - b.std()) ** 2
    feedback = ch07.frechet_1d(biased, a, b)
    assert not feedback.passed and "ddof=0" in feedback.message
    assert not ch07.frechet_1d(expected + 1.0, a, b).passed
    assert "still empty" in ch07.frechet_1d(..., a, b).message


def test_accuracy_by_kind_accepts_the_solution_and_names_what_is_wrong():
    predicted = np.array([1, 2, 3, 3, 5, 7])
    requested = np.array([1, 2, 3, 4, 5, 7])
    kinds = np.array(["word", "word", "numeral", "numeral", "chinese", "chinese"])
    right = {"word": 1.0, "numeral": 0.5, "chinese": 1.0}
    feedback = ch07.accuracy_by_kind(right, predicted, requested, kinds)
    assert feedback.passed and "'numeral'" in feedback.message
    missing = ch07.accuracy_by_kind({"word": 1.0}, predicted, requested, kinds)
    assert not missing.passed and "chinese" in missing.message
    wrong = ch07.accuracy_by_kind({**right, "word": 0.5}, predicted, requested, kinds)
    assert not wrong.passed and "accuracy['word']" in wrong.message
    assert "dict" in ch07.accuracy_by_kind(..., predicted, requested, kinds).message
    feedback = ch07.accuracy_by_kind(right, predicted, requested[:3], kinds)
    assert not feedback.passed and "one entry per sample" in feedback.message
