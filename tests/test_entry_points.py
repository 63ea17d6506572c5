"""Every public entry point rejects bad input clearly, one test per kind of mistake.

Each test calls the entry points that share one cause with one kind of bad input and
asserts the error type (``TypeError`` for the wrong kind of value, ``ValueError`` for a
wrong value), that the message names the argument, and, where a call could change state,
that a rejected call changed nothing.
"""

from __future__ import annotations

import numpy as np
import pytest

from crossmodal_helpers import (
    attention,
    autoencoders,
    case_study,
    challenges,
    fusion,
    gan,
    metrics,
    plots,
    results,
    retrieval,
    text,
    vision,
    widgets,
)

RNG = np.random.default_rng(0)
DIGITS = RNG.random((6, 28, 28, 1)).astype(np.float32)
LABELS = np.arange(6) % 3
WORDS = ["one", "two", "three", "one", "two", "three"]
VOCABULARY = fusion.word_vocabulary(WORDS)
BAGS = fusion.bag_of_words(WORDS, VOCABULARY)


def _encoders(width: int = 8) -> tuple:
    """A small image encoder of 28×28 digits and a text encoder of the bags of words."""
    return (
        fusion.build_image_encoder((28, 28, 1), width),
        fusion.build_text_encoder(len(VOCABULARY), width, hidden=width),
    )


@pytest.fixture(scope="module")
def joint_model(keras):
    """A small fused model of 3 classes on 28×28 digits and bags of words."""
    return fusion.build_fused_model(
        *_encoders(),
        fusion.make_fusion("concat"),
        fusion.build_head(3, hidden=8),
    )


@pytest.fixture(scope="module")
def digit_cnn(keras):
    return vision.build_digit_cnn(n_classes=3)


@pytest.fixture(scope="module")
def bimodal(keras):
    return autoencoders.build_bimodal_autoencoder(
        *_encoders(),
        code_dim=4,
        hidden=8,
        n_numbers=3,
    )


@pytest.fixture(scope="module")
def dual_encoder(keras):
    return retrieval.build_dual_encoder(*_encoders(4), embed_dim=4)


@pytest.fixture(scope="module")
def digit_gan(keras):
    return gan.GAN(
        gan.build_generator(8, width=4, image_shape=(28, 28, 1)),
        gan.build_discriminator((28, 28, 1), width=4, hidden=8),
    )


def _raises(error, argument, call, *args, **kwargs):
    with pytest.raises(error) as caught:
        call(*args, **kwargs)
    assert argument in str(caught.value), f"the message does not name {argument!r}: {caught.value}"


# ----------------------------------------------------------------- one image read as a batch

ONE_IMAGE = DIGITS[0]  # 28×28×1: one H×W×C image, not 28 images 28×1 pixels wide
BATCH_ENTRY_POINTS = {
    "vision.rotate": lambda x: vision.rotate(x, 30),
    "vision.add_noise": lambda x: vision.add_noise(x, 0.1),
    "vision.hog_features": vision.hog_features,
    "fusion.add_image_noise": lambda x: fusion.add_image_noise(x, 0.5),
    "attention.extract_patches": lambda x: attention.extract_patches(x, 7),
    "plots.show_images": plots.show_images,
    "widgets.pair_browser": lambda x: widgets.pair_browser(x, ["a"] * len(x)),
}


@pytest.mark.parametrize("call", BATCH_ENTRY_POINTS.values(), ids=BATCH_ENTRY_POINTS)
def test_one_image_is_rejected_where_a_batch_is_expected(call):
    with pytest.raises(ValueError, match=r"images.*one H×W×C image: pass images\[None\]"):
        call(ONE_IMAGE)


def test_a_batch_of_one_keeps_its_shape():
    assert vision.rotate(ONE_IMAGE[None], 30).shape == (1, 28, 28, 1)
    assert vision.add_noise(ONE_IMAGE[None], 0.1).shape == (1, 28, 28, 1)
    colour = RNG.random((16, 16, 3))
    assert widgets.to_png(colour).startswith(b"\x89PNG")  # one image where one is expected
    assert attention.attention_overlay(colour, np.ones((4, 4))).shape == (16, 16, 3)


# ----------------------------------------------------------------- 0–255 or NaN pixels

BAD_PIXELS = {"0-255": DIGITS * 255, "NaN": np.where(DIGITS > 0.5, np.nan, DIGITS)}


def _pixel_entry_points(model, cnn, bimodal, dual, digit_gan):
    return {
        "DualEncoder.encode_images": dual.encode_images,
        "DualEncoder.fit": lambda x: dual.fit([x, BAGS], batch_size=3, verbose=0),
        "GAN.fit": lambda x: digit_gan.fit(x, batch_size=3, verbose=0),
        "fusion.fit_classifier": lambda x: fusion.fit_classifier(model, [x, BAGS], LABELS),
        "fusion.predict_pairs": lambda x: fusion.predict_pairs(model, x, BAGS),
        "fusion.accuracy_grid": lambda x: fusion.accuracy_grid(
            {"m": model}, x, WORDS, LABELS, VOCABULARY, image_levels=[0], text_rates=[0]
        ),
        "vision.fit_digit_cnn": lambda x: vision.fit_digit_cnn(cnn, x, LABELS, epochs=1),
        "vision.rotate": lambda x: vision.rotate(x, 30),
        "gan.classifier_features": lambda x: gan.classifier_features(cnn, x),
        "BimodalAutoencoder.encode": lambda x: bimodal.encode(x, BAGS),
        "retrieval.search_box": lambda x: retrieval.search_box(x, lambda t: x[:, 0, 0, 0], ["q"]),
    }


@pytest.mark.parametrize("pixels", BAD_PIXELS.values(), ids=BAD_PIXELS)
def test_images_outside_0_1_or_with_nan_are_rejected(
    joint_model, digit_cnn, bimodal, dual_encoder, digit_gan, pixels
):
    entry_points = _pixel_entry_points(joint_model, digit_cnn, bimodal, dual_encoder, digit_gan)
    for name, call in entry_points.items():
        with pytest.raises(ValueError, match=r"images|inputs\[0\]") as caught:
            call(pixels)
        assert "[0, 1]" in str(caught.value) or "NaN" in str(caught.value), name
    models = (joint_model, digit_cnn, dual_encoder, digit_gan)
    assert not any(model.compiled for model in models)  # nothing was trained


# ----------------------------------------------------------------- labels out of range


def _label_entry_points(model, cnn):
    predict = {"m": lambda x: np.zeros((len(x), 3))}
    return {
        "fusion.fit_classifier": lambda y: fusion.fit_classifier(model, [DIGITS, BAGS], y),
        "fusion.accuracy_grid": lambda y: fusion.accuracy_grid(
            {"m": model}, DIGITS, WORDS, y, VOCABULARY, image_levels=[0], text_rates=[0]
        ),
        "fusion.noise_explorer": lambda y: fusion.noise_explorer(
            {"m": model}, DIGITS, WORDS, y, VOCABULARY, ["a", "b", "c"]
        ),
        "vision.fit_digit_cnn": lambda y: vision.fit_digit_cnn(cnn, DIGITS, y, epochs=1),
        "vision.robustness_explorer": lambda y: vision.robustness_explorer(
            DIGITS, y, predict, ["a", "b", "c"]
        ),
        "text.top_terms": lambda y: text.top_terms(np.ones((6, 2)), y, ["x", "y"], ["a", "b", "c"]),
        "metrics.classification_report": lambda y: metrics.classification_report(
            y, LABELS, ["a", "b", "c"]
        ),
    }


@pytest.mark.parametrize(
    "labels", [LABELS + 3, LABELS - 1, LABELS.astype(float)], ids=["too big", "negative", "float"]
)
def test_labels_out_of_range_or_of_the_wrong_kind_are_rejected(joint_model, digit_cnn, labels):
    error = TypeError if labels.dtype.kind == "f" else ValueError
    for name, call in _label_entry_points(joint_model, digit_cnn).items():
        with pytest.raises(error, match=r"labels|y_true") as caught:
            call(labels)
        assert "class ids" in str(caught.value), name
    assert not joint_model.compiled and not digit_cnn.compiled


# ----------------------------------------------------------------- training and loss parameters

NOT_POSITIVE = [float("nan"), -1.0, 0.0, float("inf")]


@pytest.mark.parametrize("value", NOT_POSITIVE)
def test_learning_rates_and_temperatures_must_be_positive_and_finite(joint_model, keras, value):
    _raises(
        ValueError, "learning_rate", fusion.fit_classifier, joint_model, [DIGITS, BAGS], LABELS,
        learning_rate=value,
    )  # fmt: skip
    assert not joint_model.compiled
    _raises(ValueError, "temperature", retrieval.info_nce_loss, np.eye(4), value)
    encoder = fusion.build_text_encoder(len(VOCABULARY), 4, hidden=4)
    _raises(
        ValueError, "temperature", retrieval.build_dual_encoder, encoder, encoder,
        temperature=value,
    )  # fmt: skip


def test_counts_and_tolerances_must_be_valid(joint_model):
    _raises(ValueError, "batch_size", fusion.fit_classifier, joint_model, DIGITS, LABELS,
            batch_size=0)  # fmt: skip
    _raises(TypeError, "learning_rate", fusion.fit_classifier, joint_model, [DIGITS, BAGS], LABELS,
            learning_rate="fast")  # fmt: skip
    boxes = np.array([[0, 0, 10, 10]])
    for tolerance in (float("nan"), -1.0):
        _raises(ValueError, "tolerance", attention.pointing_hits, np.ones((1, 4)), boxes,
                image_size=20, tolerance=tolerance)  # fmt: skip
    _raises(ValueError, "regularization", retrieval.fit_cca, RNG.random((9, 3)), RNG.random((9, 3)),
            n_components=2, regularization=float("nan"))  # fmt: skip


def test_a_contrastive_batch_needs_two_pairs():
    _raises(ValueError, "similarity", retrieval.info_nce_loss, np.ones((1, 1)))
    _raises(ValueError, "similarity", retrieval.check_similarity_batch, np.ones((1, 1)))
    assert float(retrieval.info_nce_loss(np.eye(2))) > 0


def test_a_dual_encoder_trains_on_batches_of_at_least_two_pairs(keras):
    dual = retrieval.build_dual_encoder(*_encoders(4), embed_dim=4)
    dual.compile(optimizer="adam")
    before = [w.copy() for w in dual.get_weights()]
    _raises(ValueError, "batch_size", dual.fit, [DIGITS, BAGS], batch_size=1, verbose=0)
    _raises(ValueError, "at least 2 pairs", dual.fit, [DIGITS[:1], BAGS[:1]], verbose=0)
    _raises(ValueError, "texts", dual.fit, [DIGITS, BAGS[:5]], verbose=0)
    for now, then in zip(dual.get_weights(), before, strict=True):
        np.testing.assert_array_equal(now, then)  # nothing was trained
    history = dual.fit([DIGITS, BAGS], batch_size=2, epochs=1, verbose=0)
    assert history.history["loss"][0] > 0


def test_a_dual_encoder_encodes_only_inputs_of_its_encoders_shape(dual_encoder):
    _raises(ValueError, "images", dual_encoder.encode_images, DIGITS[0])  # one image
    _raises(ValueError, "texts", dual_encoder.encode_texts, BAGS[:, :-1])
    _raises(ValueError, "texts", dual_encoder.encode_texts, np.where(BAGS > 0, np.nan, BAGS))
    _raises(TypeError, "texts", dual_encoder.encode_texts, ["one", "two"])
    assert dual_encoder.encode_texts(BAGS).shape == (6, 4)


def test_a_conditional_gan_checks_its_conditions(keras):
    conditional = gan.GAN(
        gan.build_generator(8, condition_dim=3, width=4, image_shape=(28, 28, 1)),
        gan.build_discriminator((28, 28, 1), width=4, hidden=8, condition_dim=3),
    )
    conditions = np.eye(3)[LABELS]
    _raises(ValueError, "conditions", conditional.fit, [DIGITS, conditions * np.nan])
    _raises(ValueError, "conditions", conditional.fit, [DIGITS, conditions[:5]])
    _raises(ValueError, "[images, conditions]", conditional.fit, DIGITS)
    _raises(ValueError, "[0, 1]", conditional.fit, [DIGITS * 255, conditions])
    assert not conditional.compiled


def test_a_vae_checks_its_images_and_labels(keras):
    cvae = autoencoders.build_vae(latent_dim=2, n_classes=3, hidden=8)
    cvae.compile(optimizer=keras.optimizers.Adam(1e-3))
    with pytest.raises(ValueError, match=r"x must be \[images, labels\]"):
        cvae.fit(DIGITS, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="labels must have one entry per example"):
        cvae.fit([DIGITS, LABELS[:4]], epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"labels must be class ids in \[0, 3\)"):
        cvae.fit([DIGITS, LABELS + 3], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="images"):
        cvae.fit([DIGITS * 255, LABELS], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="labels are only for a conditional VAE"):
        autoencoders.build_vae(latent_dim=2, hidden=8).sample(2, labels=[0, 1])


def test_a_masked_mean_over_an_empty_text_is_zero_not_nan(keras):
    encoder = text.build_text_encoder(10, 4)
    ids = np.array([[0, 0, 0], [3, 0, 0], [3, 5, 0]])
    table = encoder.get_layer("embedding").get_weights()[0]
    np.testing.assert_allclose(
        encoder.predict(ids, verbose=0), [np.zeros(4), table[3], (table[3] + table[5]) / 2],
        rtol=1e-6,
    )  # fmt: skip
    vectorizer = keras.layers.TextVectorization(output_sequence_length=4)
    vectorizer.adapt(["one two", "three"])
    strings = text.build_text_encoder(10, 4, vectorizer=vectorizer)
    np.testing.assert_array_equal(
        strings.predict(np.array(["", "one"], dtype=object), verbose=0)[:1], np.zeros((1, 4))
    )
    transformer = attention.build_transformer_classifier(
        10, 3, max_length=3, d_model=4, num_heads=2, ff_dim=4
    )
    probabilities = transformer.predict(ids, verbose=0)
    assert np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_attention_needs_at_least_one_feature():
    empty = np.zeros((1, 3, 0))
    _raises(
        ValueError, "d_k", attention.scaled_dot_product_attention, empty, empty, np.ones((1, 3, 2))
    )


# ----------------------------------------------------------------- a failed call changes nothing


@pytest.mark.parametrize(
    ("weights", "trainable", "error"),
    [((1.0, -1.0), False, ValueError), ((1.0,), False, ValueError), ("ab", False, TypeError),
     ((1.0, float("nan")), False, ValueError), ((1.0, 1.0), "yes", TypeError)],
)  # fmt: skip
def test_a_rejected_late_fusion_leaves_the_models_trainable(keras, weights, trainable, error):
    image_model = fusion.build_unimodal_model(
        fusion.build_image_encoder((28, 28, 1), 4), fusion.build_head(3, hidden=4), name="img"
    )
    text_model = fusion.build_unimodal_model(
        fusion.build_text_encoder(len(VOCABULARY), 4, hidden=4),
        fusion.build_head(3, hidden=4, name="head2"),
        name="txt",
    )
    with pytest.raises(error, match="weight|trainable"):
        fusion.build_late_fusion_model(
            image_model, text_model, weights=weights, trainable=trainable
        )
    assert image_model.trainable and text_model.trainable


# ----------------------------------------------------------------- a bare str taken as a list


def _str_entry_points():
    cat = np.zeros((3, 8, 8, 1))
    return {
        "stop_words": lambda: text.remove_stop_words(["the", "cat"], stop_words="the"),
        "tokens": lambda: text.ngrams("the cat", 2),
        "label_names": lambda: metrics.classification_report([0, 1], [0, 1], "ab"),
        "label_names ": lambda: text.top_terms(np.ones((2, 2)), [0, 1], ["x", "y"], "ab"),
        "label_names  ": lambda: vision.robustness_explorer(
            cat, np.array([0, 1, 2]), {"m": lambda x: np.zeros(len(x), int)}, "abc"
        ),
        "captions": lambda: widgets.pair_browser(cat, "abc"),
        "captions ": lambda: plots.show_images(cat, "abc"),
        "captions  ": lambda: retrieval.shapes_relevance("a red circle", {}),
        "descriptions": lambda: autoencoders.reconstruction_picker("abc", cat),
        "descriptions ": lambda: gan.description_explorer(lambda t: cat, "seven"),
        "queries": lambda: retrieval.search_box(cat, lambda t: np.zeros(3), "cat"),
        "texts": lambda: fusion.check_pairs(cat, "abc"),
        "vocabulary": lambda: fusion.bag_of_words(["a"], "[UNK] a"),
    }


@pytest.mark.parametrize(("argument", "call"), _str_entry_points().items())
def test_a_single_str_is_rejected_where_a_list_of_str_is_expected(argument, call):
    with pytest.raises(TypeError, match=argument.strip()) as caught:
        call()
    assert "str" in str(caught.value)


# ----------------------------------------------------------------- HTML in captions


def test_pair_browser_shows_captions_as_text_not_html():
    caption = "<script>alert('x')</script> & <b>bold</b>"
    browser = widgets.pair_browser(np.zeros((1, 8, 8)), [caption], title="<i>t</i>")
    shown = _html_of(browser)
    assert "&lt;script&gt;" in shown and "<script>" not in shown
    assert "&lt;b&gt;bold" in shown and "&lt;i&gt;t&lt;/i&gt;" in shown


def _html_of(widget) -> str:
    parts = (
        [getattr(widget, "value", "")] if isinstance(getattr(widget, "value", None), str) else []
    )
    for child in getattr(widget, "children", ()):
        parts.append(_html_of(child))
    return "".join(parts)


# ----------------------------------------------------------------- no NaN or garbage returned


def test_softmax_of_only_minus_infinity_is_zero_not_nan():
    weights = attention.softmax(np.array([[-np.inf, -np.inf], [0.0, -np.inf]]))
    np.testing.assert_array_equal(weights, [[0.0, 0.0], [1.0, 0.0]])
    for bad in (np.nan, np.inf):
        _raises(ValueError, "scores", attention.softmax, np.array([0.0, bad]))


def test_frechet_distance_of_a_set_with_itself_is_not_negative():
    for seed in range(5):
        x = np.random.default_rng(seed).normal(size=(50, 8))
        assert gan.frechet_distance(x, x) >= 0.0


def test_best_threshold_rejects_nan_scores():
    _raises(ValueError, "scores", case_study.best_threshold, [0.2, np.nan], np.array([True, False]))


def test_nearest_words_never_return_the_query():
    vocabulary = ["a", "b", "c"]
    embeddings = RNG.normal(size=(3, 4))
    found = [w for w, _ in text.nearest_words("a", embeddings, vocabulary, k=2)]
    assert sorted(found) == ["b", "c"]
    _raises(ValueError, "k", text.nearest_words, "a", embeddings, vocabulary, k=3)
    _raises(ValueError, "embeddings", text.nearest_words, "a", embeddings * np.nan, vocabulary)


# ----------------------------------------------------------------- results keys


@pytest.mark.parametrize("key", ["acc\n", "acc\r", "acc\x00", "a b", "Acc"])
def test_results_keys_with_control_characters_are_rejected(monkeypatch, tmp_path, key):
    monkeypatch.setenv(results.RESULTS_ENV, str(tmp_path))
    results.start("00_test")
    _raises(ValueError, "key", results.record, key, 0.5)
    assert results.current()["results"] == {}
    if key != "Acc":
        _raises(ValueError, "name", results.glue, key, 0.5)


# ----------------------------------------------------------------- huge counts

HUGE = 10**12
HUGE_COUNTS = {
    "n": lambda: gan.noise(HUGE),
    "length": lambda: case_study.encode_tokens(["a"], ["[PAD]", "[UNK]", "a"], HUGE),
    "length ": lambda: case_study.encode_tags([["O"]], HUGE),
    "n_resamples": lambda: challenges.bootstrap_interval([0.0, 1.0], n_resamples=HUGE),
    "units": lambda: fusion.build_image_encoder((28, 28, 1), HUGE),
    "embedding_dim": lambda: text.build_text_encoder(10, HUGE),
    "code_dim": lambda: autoencoders.build_dense_autoencoder(code_dim=HUGE),
    "scale": lambda: widgets.to_png(np.zeros((8, 8)), HUGE),
}


@pytest.mark.parametrize(("argument", "call"), HUGE_COUNTS.items(), ids=list(HUGE_COUNTS))
def test_huge_counts_are_rejected_before_allocating(argument, call):
    with pytest.raises(ValueError, match=argument.strip()) as caught:
        call()
    assert "at most" in str(caught.value) or "too large" in str(caught.value)
