"""Unit tests of crossmodal_helpers.pretraining (chapter 13): NT-Xent, SimCLR, few labels."""

from __future__ import annotations

import numpy as np
import pytest

RNG = np.random.default_rng(0)


@pytest.fixture(scope="module")
def pretraining(keras):
    from crossmodal_helpers import pretraining

    return pretraining


def _reference_nt_xent(first: np.ndarray, second: np.ndarray, tau: float) -> float:
    """NT-Xent written as in the chapter's formula, with plain loops."""
    views = np.concatenate([first, second]).astype(np.float64)
    views /= np.linalg.norm(views, axis=1, keepdims=True)
    n = len(first)
    total = 0.0
    for i in range(2 * n):
        partner = (i + n) % (2 * n)
        others = [k for k in range(2 * n) if k != i]
        denominator = sum(np.exp(views[i] @ views[k] / tau) for k in others)
        total -= np.log(np.exp(views[i] @ views[partner] / tau) / denominator)
    return total / (2 * n)


# --------------------------------------------------------------------------- the loss


@pytest.mark.parametrize("tau", [0.1, 0.5, 1.0])
def test_nt_xent_matches_the_formula(pretraining, tau):
    first, second = RNG.normal(size=(5, 3)), RNG.normal(size=(5, 3))
    got = float(pretraining.nt_xent_loss(first, second, tau))
    assert got == pytest.approx(_reference_nt_xent(first, second, tau), rel=1e-5)


def test_nt_xent_of_a_constant_embedding_is_log_of_2n_minus_1(pretraining):
    same = np.ones((4, 3))
    assert float(pretraining.nt_xent_loss(same, same, 0.5)) == pytest.approx(np.log(7), rel=1e-5)


def test_nt_xent_is_small_when_views_match_and_differ_from_the_rest(pretraining):
    first = np.eye(4)
    good = float(pretraining.nt_xent_loss(first, first, 0.1))
    bad = float(pretraining.nt_xent_loss(first, np.roll(first, 1, axis=0), 0.1))
    assert good < 0.01 < bad


def test_nt_xent_agrees_with_the_exercise_check(pretraining):
    from crossmodal_helpers import exercises

    ch13 = exercises.ch13
    loss = float(
        pretraining.nt_xent_loss(ch13.VIEWS_FIRST, ch13.VIEWS_SECOND, ch13.VIEWS_TEMPERATURE)
    )
    assert exercises.ch13.nt_xent(loss).passed


@pytest.mark.parametrize(
    ("first", "second", "tau", "error", "match"),
    [
        (np.ones((3, 2)), np.ones((4, 2)), 0.5, ValueError, "same shape"),
        (np.ones((1, 2)), np.ones((1, 2)), 0.5, ValueError, "at least 2"),
        (np.ones(3), np.ones(3), 0.5, ValueError, "2-D"),
        (np.ones((3, 2)), np.ones((3, 2)), 0.0, ValueError, "temperature"),
        (np.ones((3, 2)), np.ones((3, 2)), "0.5", TypeError, "temperature"),
        (np.full((3, 2), np.nan), np.ones((3, 2)), 0.5, ValueError, "NaN"),
    ],
)
def test_nt_xent_rejects_bad_input(pretraining, first, second, tau, error, match):
    with pytest.raises(error, match=match):
        pretraining.nt_xent_loss(first, second, tau)


# --------------------------------------------------------------------------- the model


def test_the_augmenter_changes_images_only_in_training(pretraining, keras):
    images = RNG.random((4, 28, 28, 1)).astype("float32")
    augmenter = pretraining.build_augmenter(seed=0)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(augmenter(images, training=False)), images
    )
    changed = keras.ops.convert_to_numpy(augmenter(images, training=True))
    assert changed.shape == images.shape
    assert not np.allclose(changed, images)


def test_random_erasing_blanks_one_square_of_the_given_size(pretraining, keras):
    layer = pretraining.RandomErasing(1.0, size=5, seed=0)
    images = np.ones((3, 12, 12, 1), "float32")
    erased = keras.ops.convert_to_numpy(layer(images, training=True))
    assert np.all((erased == 0).sum(axis=(1, 2, 3)) == 25)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"shift": 1.5}, ValueError, "shift"),
        ({"erase": -0.1}, ValueError, "erase"),
        ({"seed": -1}, ValueError, "seed"),
        ({"zoom": "a"}, TypeError, "zoom"),
    ],
)
def test_the_augmenter_checks_its_arguments(pretraining, kwargs, error, match):
    with pytest.raises(error, match=match):
        pretraining.build_augmenter(**kwargs)


def _encoder(keras):
    from crossmodal_helpers import fusion

    return fusion.build_image_encoder((28, 28, 1), 8)


def test_simclr_pretrains_without_labels_and_lowers_its_loss(pretraining, keras):
    keras.utils.set_random_seed(0)
    images = np.zeros((64, 28, 28, 1), "float32")
    for i in range(64):  # 64 distinct blobs
        images[i, (i // 8) * 3 : (i // 8) * 3 + 6, (i % 8) * 3 : (i % 8) * 3 + 6] = 1
    model = pretraining.SimCLR(_encoder(keras), temperature=0.5)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    history = model.fit(images, epochs=6, batch_size=32, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    assert model(images[:2]).shape == (2, 8)


def test_simclr_refuses_labels_and_batches_of_one(pretraining, keras):
    model = pretraining.SimCLR(_encoder(keras))
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    images = RNG.random((4, 28, 28, 1)).astype("float32")
    with pytest.raises(ValueError, match="y must be None"):
        model.fit(images, np.arange(4), verbose=0)
    with pytest.raises(ValueError, match="batch_size"):
        model.fit(images, batch_size=1, verbose=0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        model.fit(images * 255, verbose=0)
    with pytest.raises(ValueError, match="temperature"):
        pretraining.SimCLR(_encoder(keras), temperature=-1.0)


def test_simclr_config_round_trips(pretraining, keras):
    model = pretraining.SimCLR(_encoder(keras), projection_dim=6, hidden=10, temperature=0.3)
    clone = pretraining.SimCLR.from_config(model.get_config())
    assert (clone.projection_dim, clone.hidden, clone.temperature) == (6, 10, 0.3)


# --------------------------------------------------------------------------- few labels


def test_sample_per_class_draws_the_budget_from_every_class(pretraining):
    labels = np.repeat(np.arange(5), 10)
    rows = pretraining.sample_per_class(labels, 3, seed=1)
    assert np.array_equal(np.bincount(labels[rows]), [3] * 5)
    assert np.array_equal(rows, pretraining.sample_per_class(labels, 3, seed=1))
    assert not np.array_equal(rows, pretraining.sample_per_class(labels, 3, seed=2))


@pytest.mark.parametrize(
    ("labels", "per_class", "error", "match"),
    [
        (np.repeat(np.arange(3), 2), 3, ValueError, "smallest class"),
        (np.repeat(np.arange(3), 2), 0, ValueError, "per_class"),
        (np.array([0.0, 1.0]), 1, TypeError, "labels"),
    ],
)
def test_sample_per_class_rejects_impossible_budgets(pretraining, labels, per_class, error, match):
    with pytest.raises(error, match=match):
        pretraining.sample_per_class(labels, per_class)


def test_linear_probe_reads_separable_features(pretraining):
    labels = np.repeat(np.arange(3), 20)
    features = np.eye(3)[labels] * 5 + RNG.normal(scale=0.1, size=(60, 3))
    assert pretraining.linear_probe_accuracy(features, labels, features, labels) == 1.0


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (
            (np.ones((4, 2)), np.arange(3), np.ones((4, 2)), np.arange(4)),
            ValueError,
            "train_labels",
        ),
        ((np.ones((4, 2)), np.arange(4), np.ones((4, 3)), np.arange(4)), ValueError, "columns"),
        (
            (np.ones((4, 2)), np.zeros(4, int), np.ones((4, 2)), np.arange(4)),
            ValueError,
            "2 classes",
        ),
    ],
)
def test_linear_probe_rejects_mismatched_input(pretraining, args, error, match):
    with pytest.raises(error, match=match):
        pretraining.linear_probe_accuracy(*args)


def test_train_classifier_counts_updates_and_resets_the_optimizer(pretraining, keras):
    keras.utils.set_random_seed(0)
    model = pretraining.build_transfer_classifier(_encoder(keras), 3)
    images = RNG.random((9, 28, 28, 1)).astype("float32")
    labels = np.arange(9) % 3
    pretraining.train_classifier(model, images, labels, steps=5, batch_size=4)
    assert int(model.optimizer.iterations) == 5
    start = model.get_weights()
    pretraining.train_classifier(model, images, labels, steps=3, batch_size=4)
    assert int(model.optimizer.iterations) == 3  # started afresh
    model.set_weights(start)
    assert 0 <= pretraining.accuracy(model, images, labels) <= 1


def test_transfer_functions_check_their_arguments(pretraining, keras):
    model = pretraining.build_transfer_classifier(_encoder(keras), 3)
    images = RNG.random((3, 28, 28, 1)).astype("float32")
    with pytest.raises(TypeError, match="encoder"):
        pretraining.build_transfer_classifier("encoder", 3)
    with pytest.raises(ValueError, match="n_classes"):
        pretraining.build_transfer_classifier(_encoder(keras), 1)
    with pytest.raises(ValueError, match="labels"):
        pretraining.train_classifier(model, images, np.arange(4))
    with pytest.raises(ValueError, match="steps"):
        pretraining.train_classifier(model, images, np.arange(3), steps=0)
    with pytest.raises(ValueError, match="learning_rate"):
        pretraining.train_classifier(model, images, np.arange(3), learning_rate=0.0)
    with pytest.raises(TypeError, match="model"):
        pretraining.accuracy(None, images, np.arange(3))
    with pytest.raises(TypeError, match="encoder"):
        pretraining.embed(None, images)


def test_a_saved_simclr_model_loads_with_the_same_encoder(pretraining, keras, tmp_path):
    keras.utils.set_random_seed(0)
    model = pretraining.SimCLR(_encoder(keras), temperature=0.3)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    images = RNG.random((8, 28, 28, 1)).astype("float32")
    model.fit(images, epochs=1, batch_size=4, verbose=0)
    model.save(tmp_path / "simclr.keras")
    loaded = keras.models.load_model(tmp_path / "simclr.keras")
    assert isinstance(loaded, pretraining.SimCLR) and loaded.temperature == 0.3
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(images)),
        keras.ops.convert_to_numpy(model(images)),
        atol=1e-6,
    )
