"""Unit tests of crossmodal_helpers.gan (chapter 7): builders, the GAN model, evaluation."""

from __future__ import annotations

import base64
from pathlib import Path

import nbformat
import numpy as np
import pytest

from crossmodal_helpers import gan

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "07_gans.ipynb"


@pytest.fixture(scope="module")
def keras():
    from crossmodal_helpers import runtime

    runtime.quiet_tensorflow()
    import keras

    keras.utils.set_random_seed(0)
    return keras


def _images(n: int = 8, size: int = 8, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, size, size, 1)).astype(np.float32)


def _weights(model) -> list[np.ndarray]:
    return [w.numpy() for w in model.trainable_weights]


# --------------------------------------------------------------------------- builders


def test_generator_maps_noise_to_images_in_unit_range(keras):
    generator = gan.build_generator(8, width=4, image_shape=(12, 16, 1))
    images = np.asarray(generator(gan.noise(5, 8)))
    assert images.shape == (5, 12, 16, 1)
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert [t.name for t in generator.inputs] == ["noise"]


def test_conditional_generator_takes_noise_and_condition(keras):
    generator = gan.build_generator(8, condition_dim=3, width=4)
    images = np.asarray(generator([gan.noise(2, 8), np.ones((2, 3), np.float32)]))
    assert images.shape == (2, 28, 28, 1)
    assert [t.shape[-1] for t in generator.inputs] == [8, 3]


def test_discriminator_outputs_one_logit_per_image(keras):
    plain = gan.build_discriminator((8, 8, 1), width=4, hidden=8)
    assert tuple(plain(_images(3)).shape) == (3, 1)
    conditional = gan.build_discriminator((8, 8, 1), condition_dim=5, width=4, hidden=8)
    assert tuple(conditional([_images(3), np.zeros((3, 5), np.float32)]).shape) == (3, 1)
    assert [t.shape[-1] for t in conditional.inputs[1:]] == [5]


def test_projection_makes_the_logit_depend_on_the_condition(keras):
    model = gan.build_discriminator((8, 8, 1), condition_dim=2, width=4, hidden=8)
    images = _images(4)
    a = np.asarray(model([images, np.zeros((4, 2), np.float32)]))
    b = np.asarray(model([images, np.ones((4, 2), np.float32)]))
    assert not np.allclose(a, b)


@pytest.mark.parametrize(
    ("builder", "kwargs", "error", "words"),
    [
        (gan.build_generator, {"latent_dim": 0}, ValueError, "latent_dim must be at least 1"),
        (gan.build_generator, {"width": 2.5}, TypeError, "width must be an int"),
        (gan.build_generator, {"image_shape": (30, 30, 1)}, ValueError, "divisible by 4"),
        (gan.build_generator, {"condition_dim": -1}, ValueError, "condition_dim"),
        (gan.build_discriminator, {"image_shape": (28, 28)}, ValueError, "image_shape"),
        (gan.build_discriminator, {"condition_dim": 1.0}, TypeError, "condition_dim"),
        (gan.build_discriminator, {"hidden": True}, TypeError, "hidden must be an int"),
    ],
)
def test_builders_reject_bad_arguments(builder, kwargs, error, words):
    with pytest.raises(error, match=words):
        builder(**kwargs)


# --------------------------------------------------------------------------- the GAN model


def _small_gan(keras, *, condition_dim=0, **options):
    generator = gan.build_generator(8, condition_dim=condition_dim, width=4, image_shape=(8, 8, 1))
    discriminator = gan.build_discriminator(
        (8, 8, 1), condition_dim=condition_dim, width=4, hidden=8
    )
    model = gan.GAN(generator, discriminator, **options)
    model.compile(d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(1e-2))
    return model


def test_one_epoch_of_fit_changes_both_players(keras):
    model = _small_gan(keras, label_smoothing=0.1)
    before_g, before_d = _weights(model.generator), _weights(model.discriminator)
    history = model.fit(_images(16), epochs=1, batch_size=8, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss", "real_score", "fake_score"}
    assert all(np.isfinite(v[0]) for v in history.history.values())
    for before, model_part in ((before_g, model.generator), (before_d, model.discriminator)):
        after = _weights(model_part)
        assert any(not np.allclose(a, b) for a, b in zip(before, after, strict=True))


def test_the_discriminator_step_lowers_its_loss_on_a_fixed_batch(keras):
    model = _small_gan(keras)
    images = _images(16)
    first = model.fit(images, epochs=1, batch_size=16, verbose=0, shuffle=False)
    model.generator.trainable = False  # the discriminator alone: it must learn
    model.g_optimizer = keras.optimizers.SGD(0.0)
    later = model.fit(images, epochs=15, batch_size=16, verbose=0, shuffle=False)
    assert later.history["d_loss"][-1] < first.history["d_loss"][0]


def test_conditional_training_with_mismatched_pairs_and_mode_seeking(keras):
    model = _small_gan(keras, condition_dim=3, matching_aware=True, mode_seeking=0.1)
    conditions = np.eye(3, dtype=np.float32)[np.arange(16) % 3]
    before = _weights(model.generator)
    history = model.fit([_images(16), conditions], epochs=2, batch_size=8, verbose=0)
    assert len(history.history["g_loss"]) == 2
    assert all(np.isfinite(history.history["g_loss"]))
    after = _weights(model.generator)
    assert any(not np.allclose(a, b) for a, b in zip(before, after, strict=True))


def test_mode_seeking_raises_the_generator_loss_of_a_generator_that_ignores_noise(keras):
    # A generator whose output does not depend on z pays the full mode-seeking penalty.
    images = _images(16)
    losses = {}
    for weight in (0.0, 0.5):
        keras.utils.set_random_seed(2)
        model = _small_gan(keras, seed=1, mode_seeking=weight)
        for layer in model.generator.layers:
            if layer.name == "project":
                layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
        model.g_optimizer = keras.optimizers.SGD(0.0)
        model.d_optimizer = keras.optimizers.SGD(0.0)
        losses[weight] = model.fit(images, epochs=1, batch_size=16, verbose=0).history["g_loss"][0]
    assert losses[0.5] > losses[0.0] + 1000


def test_sample_snapshots_keep_one_batch_per_epoch(keras):
    model = _small_gan(keras)
    snapshots = gan.SampleSnapshots(gan.noise(3, 8))
    model.fit(_images(16), epochs=2, batch_size=8, verbose=0, callbacks=[snapshots])
    assert len(snapshots.snapshots) == 2
    assert snapshots.snapshots[0].shape == (3, 8, 8, 1)


def test_training_is_repeatable_with_the_same_seeds(keras):
    runs = []
    for _ in range(2):
        keras.utils.set_random_seed(1)
        model = _small_gan(keras, seed=3)
        model.fit(_images(16), epochs=1, batch_size=8, verbose=0, shuffle=False)
        runs.append(gan.generate(model.generator, 4, seed=0))
    np.testing.assert_array_equal(runs[0], runs[1])


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"label_smoothing": 1.0}, ValueError, r"label_smoothing must be in \[0, 1\)"),
        ({"label_smoothing": "0.1"}, TypeError, "label_smoothing must be a number"),
        ({"seed": -1}, ValueError, "seed must be at least 0"),
        ({"mode_seeking": 2.0}, ValueError, r"mode_seeking must be in \[0, 1\]"),
    ],
)
def test_gan_rejects_bad_options(keras, kwargs, error, words):
    with pytest.raises(error, match=words):
        _small_gan(keras, **kwargs)


def test_matching_aware_needs_a_conditional_discriminator(keras):
    with pytest.raises(ValueError, match="matching_aware"):
        _small_gan(keras, matching_aware=True)


# --------------------------------------------------------------------------- sampling


def test_noise_is_seeded_standard_normal():
    np.testing.assert_array_equal(gan.noise(4, 3, seed=1), gan.noise(4, 3, seed=1))
    assert not np.allclose(gan.noise(4, 3, seed=1), gan.noise(4, 3, seed=2))
    z = gan.noise(20000, 2, seed=0)
    assert z.dtype == np.float32 and abs(z.mean()) < 0.03 and abs(z.std() - 1) < 0.03


def test_generate_is_repeatable_and_checks_its_inputs(keras):
    generator = gan.build_generator(8, width=4, image_shape=(8, 8, 1))
    np.testing.assert_array_equal(gan.generate(generator, 3), gan.generate(generator, 3))
    with pytest.raises(ValueError, match="no condition input"):
        gan.generate(generator, 3, conditions=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="n .* must be given"):
        gan.generate(generator)
    with pytest.raises(TypeError, match="generator must be a keras.Model"):
        gan.generate(np.zeros(3), 2)
    conditional = gan.build_generator(8, condition_dim=2, width=4, image_shape=(8, 8, 1))
    assert gan.generate(conditional, conditions=np.zeros((5, 2))).shape == (5, 8, 8, 1)
    with pytest.raises(ValueError, match="conditions must be given"):
        gan.generate(conditional, 3)
    with pytest.raises(ValueError, match=r"conditions must have shape \(N, 2\)"):
        gan.generate(conditional, conditions=np.zeros((5, 3)))
    with pytest.raises(ValueError, match="n must equal len"):
        gan.generate(conditional, 4, conditions=np.zeros((5, 2)))


# --------------------------------------------------------------------------- evaluation


def _exact_gaussian_sample(mean, cov, n=400, seed=0):
    """Rows whose sample mean and covariance (ddof=1) are exactly ``mean`` and ``cov``."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, len(mean)))
    x -= x.mean(axis=0)
    x = x @ np.linalg.inv(np.linalg.cholesky(np.cov(x, rowvar=False))).T  # whiten
    return x @ np.linalg.cholesky(cov).T + mean


def test_frechet_distance_of_identical_sets_is_zero():
    features = np.random.default_rng(0).normal(size=(300, 6))
    assert gan.frechet_distance(features, features) == pytest.approx(0.0, abs=1e-6)


def test_frechet_distance_matches_the_formula_for_known_gaussians():
    from scipy import linalg

    rng = np.random.default_rng(1)
    a_root, b_root = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    cov_a, cov_b = a_root @ a_root.T + np.eye(4), b_root @ b_root.T + np.eye(4)
    mean_a, mean_b = np.array([0.0, 1.0, 2.0, 3.0]), np.array([1.0, 1.0, -1.0, 0.5])
    a = _exact_gaussian_sample(mean_a, cov_a, seed=2)
    b = _exact_gaussian_sample(mean_b, cov_b, seed=3)
    root = linalg.sqrtm(cov_a @ cov_b).real
    expected = np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a + cov_b - 2 * root)
    assert gan.frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)


def test_frechet_distance_of_diagonal_gaussians_has_a_closed_form():
    var_a, var_b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 4.0, 1.0])
    a = _exact_gaussian_sample(np.zeros(3), np.diag(var_a), seed=4)
    b = _exact_gaussian_sample(np.array([3.0, 0.0, 0.0]), np.diag(var_b), seed=5)
    expected = 9.0 + np.sum((np.sqrt(var_a) - np.sqrt(var_b)) ** 2)  # = 9 + 1 + 0 + 4
    assert gan.frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)
    assert gan.frechet_distance(b, a) == pytest.approx(expected, rel=1e-6)


def test_frechet_distance_handles_one_feature_and_singular_covariances():
    a = np.random.default_rng(0).normal(size=(50, 1))
    assert gan.frechet_distance(a, a + 2.0) == pytest.approx(4.0, rel=1e-6)
    singular = np.zeros((10, 3))
    singular[:, 0] = np.arange(10)
    assert gan.frechet_distance(singular, singular + 1.0) == pytest.approx(3.0, abs=1e-3)


@pytest.mark.parametrize(
    ("a", "b", "error", "words"),
    [
        ([[1.0, 2.0], [3.0, 4.0]], np.zeros((2, 2)), TypeError, "features_a must be a NumPy"),
        (np.zeros(5), np.zeros((5, 1)), ValueError, "features_a must be 2-D"),
        (np.zeros((1, 3)), np.zeros((5, 3)), ValueError, "at least 2 samples"),
        (np.zeros((4, 3)), np.zeros((4, 2)), ValueError, "same number of features"),
        (np.zeros((4, 2)), np.full((4, 2), np.nan), ValueError, "features_b must hold finite"),
    ],
)
def test_frechet_distance_rejects_bad_input(a, b, error, words):
    with pytest.raises(error, match=words):
        gan.frechet_distance(a, b)


def test_class_shares_coverage_and_entropy():
    balanced = np.repeat(np.arange(10), 5)
    assert gan.class_coverage(balanced, 10) == 1.0
    assert gan.class_entropy(balanced, 10) == pytest.approx(np.log2(10))
    collapsed = np.array([3] * 45 + [4] * 5)
    np.testing.assert_allclose(gan.class_shares(collapsed, 10)[3:5], [0.9, 0.1])
    assert gan.class_coverage(collapsed, 10) == pytest.approx(0.2)
    assert gan.class_coverage(collapsed, 10, min_share=0.5) == pytest.approx(0.1)
    assert gan.class_entropy(np.zeros(7, dtype=int), 10) == 0.0


@pytest.mark.parametrize(
    ("labels", "n_classes", "kwargs", "error", "words"),
    [
        (np.array([0, 1, 10]), 10, {}, ValueError, r"in \[0, 10\)"),
        (np.array([0.0, 1.0]), 10, {}, TypeError, "integer class ids"),
        (np.array([], dtype=int), 10, {}, ValueError, "non-empty"),
        (np.array([0, 1]), 0, {}, ValueError, "n_classes must be at least 1"),
        (np.array([0, 1]), 2, {"min_share": 1.5}, ValueError, "min_share"),
    ],
)
def test_class_coverage_rejects_bad_input(labels, n_classes, kwargs, error, words):
    with pytest.raises(error, match=words):
        gan.class_coverage(labels, n_classes, **kwargs)


def test_classifier_features_reads_a_named_layer(keras):
    inputs = keras.Input(shape=(8, 8, 1))
    hidden = keras.layers.Dense(5, name="dense")(keras.layers.Flatten()(inputs))
    outputs = keras.layers.Dense(3, activation="softmax", name="softmax")(hidden)
    classifier = keras.Model(inputs, outputs)
    assert gan.classifier_features(classifier, _images(4)).shape == (4, 5)
    with pytest.raises(ValueError, match="layer must be one of"):
        gan.classifier_features(classifier, _images(4), layer="penultimate")


# --------------------------------------------------------------------------- widget


def _fake_generator(texts: list[str]) -> np.ndarray:
    return np.stack([np.full((8, 8, 1), (len(t) % 10) / 10, np.float32) for t in texts])


def test_description_explorer_prerenders_every_description_and_links_them(monkeypatch):
    import ipywidgets as widgets

    links = []
    original = widgets.jslink
    monkeypatch.setattr(widgets, "jslink", lambda a, b: links.append((a, b)) or original(a, b))
    box = gan.description_explorer(
        _fake_generator, ["seven", "six plus one"], read=lambda texts: ["7"] * len(texts)
    )
    dropdown = next(c for c in box.children if isinstance(c, widgets.Dropdown))
    stack = next(c for c in box.children if isinstance(c, widgets.Tab))
    assert list(dropdown.options) == ["seven", "six plus one"]
    assert len(stack.children) == 2
    assert "read as" in stack.children[0].children[1].value
    assert ((dropdown, "index"), (stack, "selected_index")) in links


def test_description_explorer_live_box_renders_typed_text():
    import ipywidgets as widgets

    box = gan.description_explorer(_fake_generator, ["seven"], n_samples=3)
    text = next(c for c in box.children if isinstance(c, widgets.Text))
    picture = box.children[box.children.index(text) + 1]
    assert picture.value == ""
    text.value = "the number after six"
    prefix = '<img src="data:image/png;base64,'
    assert picture.value.startswith(prefix)
    encoded = picture.value[len(prefix) :].split('"', 1)[0]
    assert base64.b64decode(encoded).startswith(b"\x89PNG")
    assert 'alt="samples for the number after six"' in picture.value
    static = gan.description_explorer(_fake_generator, ["seven"], live=False)
    assert not any(isinstance(c, widgets.Text) for c in static.children)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "words"),
    [
        ((_fake_generator, []), {}, ValueError, "non-empty list"),
        ((_fake_generator, "seven"), {}, TypeError, "descriptions must be a list of str"),
        ((_fake_generator, ["seven", " "]), {}, ValueError, r"descriptions\[1\] is empty"),
        (("not callable", ["seven"]), {}, TypeError, "generate_images must be callable"),
        ((lambda texts: _fake_generator(texts[:1]), ["seven"]), {}, ValueError, "one image per"),
        ((_fake_generator, ["seven"]), {"n_samples": 0}, ValueError, "n_samples"),
    ],
)
def test_description_explorer_rejects_bad_input(args, kwargs, error, words):
    with pytest.raises(error, match=words):
        gan.description_explorer(*args, **kwargs)


# --------------------------------------------------------------------------- the chapter


@pytest.mark.skipif(not NOTEBOOK.exists(), reason="chapter 7 notebook not present")
def test_the_chapter_shows_the_package_source_of_its_gan():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    assert "inspect.getsource(gan.GAN)" in code
    for name in ("build_generator", "build_discriminator", "frechet_distance"):
        assert f"gan.{name}" in code


# --------------------------------------------------------------------------- 2-D toy GANs


def test_ring_of_gaussians_lies_around_its_centres():
    centres = gan.ring_centres(8, radius=2.0)
    assert centres.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 2.0, rtol=1e-6)
    points = gan.ring_of_gaussians(4000, std=0.05, seed=1)
    assert points.shape == (4000, 2) and points.dtype == np.float32
    np.testing.assert_array_equal(points, gan.ring_of_gaussians(4000, std=0.05, seed=1))
    stats = gan.mode_statistics(points, centres, 0.05)
    assert stats["covered"] == 8
    assert stats["high_quality"] > 0.98
    np.testing.assert_allclose(stats["shares"].sum(), stats["high_quality"])


def test_mode_statistics_sees_a_collapsed_generator():
    centres = gan.ring_centres()
    collapsed = np.repeat(centres[:2], 50, axis=0) + 0.01
    stats = gan.mode_statistics(collapsed, centres, 0.05)
    assert stats["covered"] == 2
    assert stats["high_quality"] == 1.0
    far = gan.mode_statistics(np.zeros((10, 2)), centres, 0.05)  # the ring's centre
    assert far["covered"] == 0 and far["high_quality"] == 0.0


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: gan.ring_centres(1), ValueError, "modes"),
        (lambda: gan.ring_centres(8, radius=0), ValueError, "radius"),
        (lambda: gan.ring_of_gaussians(0), ValueError, "n"),
        (lambda: gan.ring_of_gaussians(10, std=-1.0), ValueError, "std"),
        (
            lambda: gan.mode_statistics(np.zeros((5, 3)), gan.ring_centres(), 0.1),
            ValueError,
            "samples",
        ),
        (lambda: gan.mode_statistics(np.zeros(5), gan.ring_centres(), 0.1), ValueError, "samples"),
        (
            lambda: gan.mode_statistics(np.zeros((5, 2)), gan.ring_centres(), 0.1, min_share=2),
            ValueError,
            "min_share",
        ),
        (lambda: gan.build_toy_discriminator(spectral_norm=1), TypeError, "spectral_norm"),
        (lambda: gan.build_toy_generator(0), ValueError, "latent_dim"),
        (lambda: gan.build_upsampler("deconv"), ValueError, "method"),
        (lambda: gan.build_upsampler(kernel_size=0), ValueError, "kernel_size"),
        (lambda: gan.nyquist_share(np.zeros((2, 7, 8))), ValueError, "even"),
        (lambda: gan.nyquist_share(np.zeros((7, 8))), ValueError, "images"),
    ],
)
def test_toy_helpers_reject_bad_input(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_toy_gan_rejects_an_unknown_loss_and_trains_both_losses(keras):
    generator, discriminator = (
        gan.build_toy_generator(width=8),
        gan.build_toy_discriminator(width=8),
    )
    with pytest.raises(ValueError, match="loss"):
        gan.ToyGAN(generator, discriminator, loss="hinge")
    points = gan.ring_of_gaussians(64, seed=0)
    for loss, n_critic in (("gan", 1), ("wgan-gp", 2)):
        model = gan.ToyGAN(
            gan.build_toy_generator(width=8),
            gan.build_toy_discriminator(width=8, spectral_norm=loss == "gan"),
            loss=loss,
            n_critic=n_critic,
        )
        model.compile(
            d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3)
        )
        history = model.fit(points, batch_size=32, epochs=1, verbose=0).history
        assert np.isfinite(history["d_loss"][-1]) and np.isfinite(history["g_loss"][-1])


def test_toy_gan_round_trips_through_keras_saving(keras, tmp_path):
    model = gan.ToyGAN(
        gan.build_toy_generator(width=8), gan.build_toy_discriminator(width=8), loss="wgan-gp"
    )
    path = tmp_path / "toy.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, gan.ToyGAN) and loaded.loss_name == "wgan-gp"
    z = gan.noise(4, 2, seed=0)
    np.testing.assert_allclose(loaded.generator(z), model.generator(z), rtol=1e-6)


def test_transposed_convolutions_put_energy_at_the_nyquist_frequency(keras):
    checkerboard = np.indices((8, 8)).sum(axis=0) % 2 * 1.0
    assert gan.nyquist_share(checkerboard[None]) == pytest.approx(1.0)
    smooth = np.tile(np.linspace(0, 1, 8), (8, 1))
    assert gan.nyquist_share(smooth[None, ..., None]) < 0.1
    keras.utils.set_random_seed(0)
    transposed = gan.generate(gan.build_upsampler("transposed", blocks=2, width=8), 16, seed=0)
    keras.utils.set_random_seed(0)
    resized = gan.generate(gan.build_upsampler("resize", blocks=2, width=8), 16, seed=0)
    assert transposed.shape == resized.shape == (16, 16, 16, 1)
    assert gan.nyquist_share(transposed) > 2 * gan.nyquist_share(resized)
