"""Unit tests of crossmodal_helpers.exercises.ch05: accept the solutions, explain mistakes."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA

from crossmodal_helpers import autoencoders
from crossmodal_helpers.exercises import ch05

X, X_HAT = ch05.LOSS_INPUT, ch05.LOSS_RECONSTRUCTION


def _solution_losses() -> dict[str, float]:
    return {
        "mse": float(np.mean((X - X_HAT) ** 2)),
        "bce": float(-np.mean(X * np.log(X_HAT) + (1 - X) * np.log(1 - X_HAT))),
    }


def test_losses_accepts_the_solution():
    assert ch05.losses(_solution_losses()).passed


@pytest.mark.parametrize(
    ("key", "wrong", "hint"),
    [
        ("mse", float(np.sum((X - X_HAT) ** 2)), "average them"),
        ("mse", float(np.mean(np.abs(X - X_HAT))), "square the errors"),
        ("bce", float(-np.sum(X * np.log(X_HAT) + (1 - X) * np.log(1 - X_HAT))), "average"),
        ("bce", float(-np.mean(X * np.log10(X_HAT) + (1 - X) * np.log10(1 - X_HAT))), "log10"),
        ("bce", float(-np.mean(X * np.log(X_HAT))), "(1 - x) log(1 - x_hat)"),
        ("bce", 1.0, "both terms"),
        ("bce", -float(-np.mean(X * np.log(X_HAT) + (1 - X) * np.log(1 - X_HAT))), "minus sign"),
    ],
)
def test_losses_explains_common_mistakes(key, wrong, hint):
    feedback = ch05.losses({**_solution_losses(), key: wrong})
    assert not feedback.passed and hint in feedback.hint


def test_losses_needs_a_dict_with_both_keys():
    assert "keys 'mse' and 'bce'" in ch05.losses(...).message
    assert "keys 'mse' and 'bce'" in ch05.losses({"mse": 0.1}).message
    assert "still empty" in ch05.losses({"mse": ..., "bce": ...}).message


@pytest.fixture(scope="module")
def leaky():
    from crossmodal_helpers import runtime

    runtime.seed_everything(0)
    return autoencoders.build_leaky_autoencoder((8, 8, 1), 1, hidden=8, leak_dim=32)


def test_true_bottleneck(leaky):
    assert ch05.true_bottleneck(33, leaky).passed
    assert ch05.true_bottleneck(33.0, leaky).passed
    code_only = ch05.true_bottleneck(1, leaky)
    assert not code_only.passed and "leak" in code_only.hint
    assert "too large" in ch05.true_bottleneck(64, leaky).message
    assert "still empty" in ch05.true_bottleneck(..., leaky).message


def test_true_bottleneck_needs_the_leaky_model():
    honest = autoencoders.build_dense_autoencoder((8, 8, 1), 1, hidden=8)
    assert "leaky autoencoder" in ch05.true_bottleneck(33, honest).message


def test_pca_baseline():
    rng = np.random.default_rng(0)
    train, test = rng.random((120, 8, 8, 1)), rng.random((40, 8, 8, 1))
    flat_train, flat_test = train.reshape(120, -1), test.reshape(40, -1)
    pca = PCA(n_components=32).fit(flat_train)
    right = float(np.mean((pca.inverse_transform(pca.transform(flat_test)) - flat_test) ** 2))
    assert ch05.pca_baseline(right, train, test).passed
    on_test = PCA(n_components=32).fit(flat_test)
    leaked = float(
        np.mean((on_test.inverse_transform(on_test.transform(flat_test)) - flat_test) ** 2)
    )
    feedback = ch05.pca_baseline(leaked, train, test)
    assert not feedback.passed and "fitted on the test images" in feedback.message
    assert "too large" in ch05.pca_baseline(right * 2, train, test).message
    assert "still empty" in ch05.pca_baseline(..., train, test).message
    assert "should be a number" in ch05.pca_baseline("0.1", train, test).message


def test_without_dropout():
    assert ch05.without_dropout("image to number").passed
    assert ch05.without_dropout(" Image to Number ").passed
    wrong = ch05.without_dropout("text to image")
    assert not wrong.passed and "determines both" in wrong.hint
    assert "not one of" in ch05.without_dropout("sometimes").message
    assert "still empty" in ch05.without_dropout(...).message
    assert "as a string" in ch05.without_dropout(2).message


def test_kl_to_prior_accepts_the_closed_form_and_names_the_usual_mistakes():
    mean, log_var = ch05.KL_MEAN, ch05.KL_LOG_VAR
    terms = mean**2 + np.exp(log_var) - log_var - 1
    assert ch05.kl_to_prior(float(0.5 * terms.sum())).passed
    assert "one half" in ch05.kl_to_prior(float(terms.sum())).hint
    wrong_variance = float(0.5 * np.sum(mean**2 - 1))
    assert "exp(log_var)" in ch05.kl_to_prior(wrong_variance).hint
    assert "still empty" in ch05.kl_to_prior(...).message


def test_cvae_width_accepts_the_prediction_and_explains_the_other_options():
    assert ch05.cvae_width("less often").passed
    assert ch05.cvae_width(" Less Often ").passed
    assert not ch05.cvae_width("more often").passed
    assert "not one of" in ch05.cvae_width("never").message
