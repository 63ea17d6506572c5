"""Unit tests of crossmodal_helpers.autoencoders (chapter 5): builders, shapes, leak, errors."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest

from crossmodal_helpers import autoencoders, fusion

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "05_autoencoders.ipynb"
SMALL = (8, 8, 1)


@pytest.fixture(scope="module")
def keras():
    from crossmodal_helpers import runtime

    runtime.seed_everything(0)
    import keras

    return keras


def _images(n: int, shape=SMALL, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, *shape)).astype(np.float32)


# ----------------------------------------------------------------------------- image autoencoders


@pytest.mark.parametrize("code_dim", [1, 3])
def test_dense_autoencoder_shapes_and_range(keras, code_dim):
    model = autoencoders.build_dense_autoencoder(SMALL, code_dim, hidden=16)
    x = _images(5)
    out = model.predict(x, verbose=0)
    assert out.shape == x.shape
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert model.get_layer("encoder").predict(x, verbose=0).shape == (5, code_dim)
    assert len(model.get_layer("decoder").inputs) == 1, "an honest decoder sees only the code"


def test_conv_autoencoder_shapes(keras):
    model = autoencoders.build_conv_autoencoder((16, 12, 1), 4, filters=(4, 8))
    x = _images(3, (16, 12, 1))
    assert model.predict(x, verbose=0).shape == x.shape
    assert model.get_layer("encoder").output.shape[-1] == 4
    rgb = autoencoders.build_conv_autoencoder((8, 8, 3), 2, filters=(4,))
    assert rgb.predict(_images(2, (8, 8, 3)), verbose=0).shape == (2, 8, 8, 3)


def test_leaky_decoder_really_receives_the_raw_input(keras):
    model = autoencoders.build_leaky_autoencoder(SMALL, 1, hidden=16, leak_dim=4)
    decoder = model.get_layer("decoder")
    assert [tensor.name for tensor in decoder.inputs] == ["raw_input", "code"]
    x1, x2 = _images(4, seed=1), _images(4, seed=2)
    # The whole model is decoder([x, encoder(x)]): it hands the decoder x itself ...
    code1 = model.get_layer("encoder").predict(x1, verbose=0)
    np.testing.assert_allclose(
        model.predict(x1, verbose=0), decoder.predict([x1, code1], verbose=0), rtol=1e-5
    )
    # ... and with the code held fixed, changing that raw input changes the reconstruction.
    assert not np.allclose(
        decoder.predict([x1, code1], verbose=0), decoder.predict([x2, code1], verbose=0)
    )


def test_leaky_decoder_joins_leak_and_code(keras):
    model = autoencoders.build_leaky_autoencoder(SMALL, 2, hidden=16, leak_dim=5)
    joins = [
        layer
        for layer in model.get_layer("decoder").layers
        if isinstance(layer, keras.layers.Concatenate)
    ]
    assert len(joins) == 1 and joins[0].output.shape[-1] == 7


@pytest.mark.parametrize(
    ("builder", "kwargs", "error", "words"),
    [
        (autoencoders.build_dense_autoencoder, {"code_dim": 0}, ValueError, "code_dim"),
        (autoencoders.build_dense_autoencoder, {"code_dim": 2.5}, TypeError, "code_dim"),
        (autoencoders.build_dense_autoencoder, {"code_dim": True}, TypeError, "code_dim"),
        (
            autoencoders.build_dense_autoencoder,
            {"input_shape": (28, 28)},
            ValueError,
            "input_shape",
        ),
        (autoencoders.build_dense_autoencoder, {"hidden": -1}, ValueError, "hidden"),
        (autoencoders.build_dense_encoder, {"input_shape": "28x28"}, ValueError, "input_shape"),
        (autoencoders.build_leaky_autoencoder, {"leak_dim": 0}, ValueError, "leak_dim"),
        (autoencoders.build_conv_autoencoder, {"filters": ()}, ValueError, "filters"),
        (autoencoders.build_conv_autoencoder, {"filters": "16"}, ValueError, "filters"),
        (autoencoders.build_conv_autoencoder, {"filters": (8, 0)}, ValueError, "filters"),
        (
            autoencoders.build_conv_autoencoder,
            {"input_shape": (28, 28, 1), "filters": (4, 4, 4)},
            ValueError,
            "divisible",
        ),
    ],
)
def test_builders_reject_bad_arguments(builder, kwargs, error, words):
    with pytest.raises(error, match=words):
        builder(**kwargs)


# ----------------------------------------------------------------------------- bimodal


@pytest.fixture(scope="module")
def bimodal(keras):
    return autoencoders.build_bimodal_autoencoder(
        fusion.build_image_encoder((28, 28, 1), 8),
        fusion.build_text_encoder(6, 8, hidden=8),
        code_dim=3,
        hidden=8,
        seed=0,
    )


def test_bimodal_outputs_and_codes(bimodal):
    x = _images(4, (28, 28, 1))
    words = np.eye(6, dtype=np.float32)[[2, 3, 4, 5]]
    images, numbers = bimodal.reconstruct(images=x, words=words)
    assert images.shape == x.shape and images.min() >= 0 and images.max() <= 1
    assert numbers.shape == (4, 10)
    np.testing.assert_allclose(numbers.sum(axis=1), 1.0, rtol=1e-5)
    for given in ({"images": x}, {"words": words}, {"images": x, "words": words}):
        assert bimodal.encode(**given).shape == (4, 3)


def test_a_missing_modality_is_a_blank(bimodal):
    x = _images(3, (28, 28, 1))
    words = np.eye(6, dtype=np.float32)[[2, 3, 4]]
    np.testing.assert_allclose(
        bimodal.encode(images=x), bimodal.encode(images=x, words=np.zeros_like(words))
    )
    np.testing.assert_allclose(
        bimodal.encode(words=words), bimodal.encode(images=np.zeros_like(x), words=words)
    )


def test_modality_dropout_is_in_the_training_model_only_when_asked(keras, bimodal):
    names = [layer.name for layer in bimodal.model.layers]
    assert "modality_dropout" in names
    assert "modality_dropout" not in [layer.name for layer in bimodal.encoder.layers]
    plain = autoencoders.build_bimodal_autoencoder(
        fusion.build_image_encoder((28, 28, 1), 4),
        fusion.build_text_encoder(6, 4, hidden=4),
        modality_dropout=0.0,
    )
    assert "modality_dropout" not in [layer.name for layer in plain.model.layers]


def test_modality_dropout_blanks_in_training_only(keras, bimodal):
    x = _images(64, (28, 28, 1))
    words = np.eye(6, dtype=np.float32)[np.arange(64) % 6]
    layer = bimodal.model.get_layer("modality_dropout")
    seen_x, seen_t = (np.asarray(v) for v in layer([x, words], training=True))
    no_image = (seen_x.reshape(64, -1) == 0).all(axis=1)
    no_text = (seen_t == 0).all(axis=1)
    assert no_image.any() and no_text.any() and not (no_image & no_text).any()
    same_x, _ = layer([x, words], training=False)
    np.testing.assert_array_equal(np.asarray(same_x), x)


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({}, "neither"),
        ({"images": np.zeros((2, 8, 8, 1))}, "images must have shape"),
        ({"words": np.zeros((2, 5))}, "words must be bags of words"),
        ({"images": np.zeros((2, 28, 28, 1)), "words": np.zeros((3, 6))}, "equal length"),
    ],
)
def test_bimodal_rejects_bad_inputs(bimodal, given, words):
    with pytest.raises(ValueError, match=words):
        bimodal.encode(**given)


def test_bimodal_builder_rejects_bad_arguments(keras):
    image_encoder = fusion.build_image_encoder((28, 28, 1), 4)
    text_encoder = fusion.build_text_encoder(6, 4, hidden=4)
    with pytest.raises(TypeError, match="image_encoder"):
        autoencoders.build_bimodal_autoencoder("cnn", text_encoder)
    with pytest.raises(ValueError, match="below 1"):
        autoencoders.build_bimodal_autoencoder(image_encoder, text_encoder, modality_dropout=1.0)
    with pytest.raises(ValueError, match="modality_dropout"):
        autoencoders.build_bimodal_autoencoder(image_encoder, text_encoder, modality_dropout=-0.1)
    with pytest.raises(ValueError, match="code_dim"):
        autoencoders.build_bimodal_autoencoder(image_encoder, text_encoder, code_dim=0)


def test_the_text_decoder_reconstructs_the_number_the_words_or_nothing(keras):
    x = _images(4, (28, 28, 1))
    words = np.eye(6, dtype=np.float32)[[2, 3, 4, 5]]
    shapes = {}
    for target in ("number", "words", None):
        model = autoencoders.build_bimodal_autoencoder(
            fusion.build_image_encoder((28, 28, 1), 4),
            fusion.build_text_encoder(6, 4, hidden=4),
            code_dim=3,
            hidden=4,
            text_target=target,
        )
        assert model.text_target == target
        assert sorted(model.model.output) == sorted(["image"] + ([target] if target else []))
        images, text_output = model.reconstruct(images=x, words=words)
        assert images.shape == x.shape
        shapes[target] = None if text_output is None else text_output.shape
        if text_output is not None:
            np.testing.assert_allclose(text_output.sum(axis=1), 1.0, rtol=1e-5)
    assert shapes == {"number": (4, 10), "words": (4, 6), None: None}


def test_the_builder_rejects_an_unknown_text_target(keras):
    image_encoder = fusion.build_image_encoder((28, 28, 1), 4)
    text_encoder = fusion.build_text_encoder(6, 4, hidden=4)
    for target in ("pixels", "", 1):
        with pytest.raises(ValueError, match="text_target"):
            autoencoders.build_bimodal_autoencoder(image_encoder, text_encoder, text_target=target)


# ----------------------------------------------------------------------------- widget


def test_reconstruction_picker_links_menu_and_pages():
    images = _images(3)
    picker = autoencoders.reconstruction_picker(
        ["seven", "7", "七"], images, ["a", "b", "<c>"], title="T"
    )
    header, menu, stack = picker.children
    assert len(stack.children) == 3 and menu.index == 0
    assert [label for label, _ in menu.options] == ["seven", "7", "七"]
    assert "&lt;c&gt;" in stack.children[2].children[1].value
    assert header.value.split("</style>")[-1].startswith("<b>T</b>")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((["a", "b"], _images(3)), "one str per image"),
        (([], _images(0)), "at least one"),
        ((["a", "a"], _images(2)), "distinct"),
        ((["a", "b"], _images(2), ["x"]), "captions"),
    ],
)
def test_reconstruction_picker_rejects_bad_input(args, words):
    with pytest.raises(ValueError, match=words):
        autoencoders.reconstruction_picker(*args)


def test_reconstruction_picker_rejects_a_single_str():
    with pytest.raises(TypeError, match="descriptions must be a list of str, got a single str"):
        autoencoders.reconstruction_picker("abc", _images(3))


# ----------------------------------------------------------------------------- the chapter


@pytest.mark.skipif(not NOTEBOOK.exists(), reason="chapter 5 notebook not present")
def test_the_chapter_shows_the_package_source_of_its_models():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    for name in ("build_dense_autoencoder", "build_leaky_autoencoder", "build_bimodal_autoencoder"):
        assert f"autoencoders.{name}" in code and "inspect.getsource" in code


# ----------------------------------------------------------------------------- variational


@pytest.mark.parametrize("n_classes", [None, 3])
def test_vae_trains_tracks_the_kl_and_samples_from_the_prior(keras, n_classes):
    vae = autoencoders.build_vae(SMALL, 2, n_classes=n_classes, hidden=8, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    x = _images(12)
    labels = np.arange(12) % 3
    history = vae.fit([x, labels] if n_classes else x, epochs=2, batch_size=6, verbose=0)
    assert set(history.history) == {"loss", "reconstruction", "kl"}
    for got, reconstruction, kl in zip(
        *(history.history[key] for key in ("loss", "reconstruction", "kl")), strict=True
    ):
        assert kl >= 0 and np.isclose(got, reconstruction + kl, rtol=1e-4)
    samples = vae.sample(labels=labels) if n_classes else vae.sample(5)
    assert samples.shape == ((12,) if n_classes else (5,)) + SMALL
    assert samples.min() >= 0 and samples.max() <= 1
    again = vae.sample(labels=labels) if n_classes else vae.sample(5)
    np.testing.assert_array_equal(samples, again)
    codes = vae.encode(x, labels) if n_classes else vae.encode(x)
    assert codes.shape == (12, 2)
    assert vae.count_params() > 0


def test_the_kl_term_is_the_closed_form_of_the_diagonal_gaussian(keras):
    vae = autoencoders.build_vae(SMALL, 3, hidden=8, seed=0)
    x = _images(4)
    mean, log_var = (np.asarray(a) for a in vae.encoder([x]))
    expected = np.mean(0.5 * np.sum(mean**2 + np.exp(log_var) - log_var - 1, axis=1))
    assert np.isclose(float(vae.negative_elbo(x, None)["kl"]), expected, rtol=1e-5)


def test_vae_argument_errors(keras):
    vae = autoencoders.build_vae(SMALL, 2, hidden=8)
    cvae = autoencoders.build_vae(SMALL, 2, n_classes=3, hidden=8)
    with pytest.raises(ValueError, match="only for a conditional VAE"):
        vae.sample(3, labels=[0, 1, 2])
    with pytest.raises(ValueError, match="needs labels"):
        cvae.sample(3)
    with pytest.raises(ValueError, match=r"labels must be class ids in \[0, 3\)"):
        cvae.sample(labels=[0, 1, 5])
    with pytest.raises(TypeError, match="labels must hold integer"):
        cvae.encode(_images(2), [0.0, 1.0])
    with pytest.raises(ValueError, match="give n"):
        vae.sample()
    with pytest.raises(ValueError, match="beta"):
        autoencoders.build_vae(SMALL, 2, beta=0)
    with pytest.raises(ValueError, match="latent_dim"):
        autoencoders.build_vae(SMALL, 0)
    with pytest.raises(ValueError, match="two outputs"):
        autoencoders.VAE(vae.decoder, vae.decoder)
    with pytest.raises(TypeError, match="encoder must be a keras.Model"):
        autoencoders.VAE("encoder", vae.decoder)
    with pytest.raises(ValueError, match="both take a label"):
        autoencoders.VAE(cvae.encoder, vae.decoder)
    with pytest.raises(ValueError, match="images"):
        vae.encode(np.full((2, *SMALL), 2.0))
