"""Unit tests of crossmodal_helpers.fusion (chapter 4): features, noise, fusion layers, models."""

from __future__ import annotations

import numpy as np
import pytest

from crossmodal_helpers import fusion

DIGIT_WORDS = [str(d) for d in range(10)]


@pytest.fixture(scope="module")
def keras():
    from crossmodal_helpers import runtime

    runtime.quiet_tensorflow()
    import keras

    keras.utils.set_random_seed(0)
    return keras


@pytest.fixture(scope="module")
def digit_text_model(keras):
    """A text model that reads the numeral: word "k" votes strongly for class k."""
    vocabulary = fusion.word_vocabulary(DIGIT_WORDS)
    words = keras.Input(shape=(len(vocabulary),))
    layer = keras.layers.Dense(10, activation="softmax")
    model = keras.Model(words, layer(words), name="reader")
    kernel = np.zeros((len(vocabulary), 10), dtype=np.float32)
    for k in range(10):
        kernel[vocabulary.index(str(k)), k] = 20.0
    layer.set_weights([kernel, np.zeros(10, dtype=np.float32)])
    return model, vocabulary


def _images(n: int = 6, size: int = 12, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, size, size, 1)).astype(np.float32)


# --------------------------------------------------------------------------- text features


def test_word_vocabulary_keeps_symbols_and_chinese_numerals():
    vocabulary = fusion.word_vocabulary(["Six plus one", "9 - 2", "3 × 3", "七"])
    assert vocabulary[:2] == [fusion.UNKNOWN, fusion.MASK]
    for word in ("six", "plus", "-", "×", "9", "七"):
        assert word in vocabulary
    assert "Six" not in vocabulary


@pytest.mark.parametrize(
    ("texts", "error", "words"),
    [
        ("seven", TypeError, "single str"),
        (["seven", 7], TypeError, "at index 1"),
        (["", "  "], ValueError, "at least one word"),
        (42, TypeError, "list of str"),
    ],
)
def test_word_vocabulary_rejects_bad_input(texts, error, words):
    with pytest.raises(error, match=words):
        fusion.word_vocabulary(texts)


def test_bag_of_words_counts_words_and_unknowns():
    vocabulary = fusion.word_vocabulary(["one plus one", "two"])
    counts = fusion.bag_of_words(["one plus one", "three", "", "? two"], vocabulary)
    assert counts.shape == (4, len(vocabulary)) and counts.dtype == np.float32
    assert counts[0, vocabulary.index("one")] == 2 and counts[0, vocabulary.index("plus")] == 1
    assert counts[1, 0] == 1 and counts[1].sum() == 1  # "three" is unknown
    assert counts[2].sum() == 0  # an empty text is an all-zero row
    assert counts[3, vocabulary.index(fusion.MASK)] == 1


def test_bag_of_words_needs_a_vocabulary_from_word_vocabulary():
    with pytest.raises(ValueError, match="word_vocabulary"):
        fusion.bag_of_words(["one"], ["one", "two"])


# --------------------------------------------------------------------------- noise


def test_mask_words_extremes_and_nesting():
    texts = ["six plus one", "the number after six", "七"] * 20
    assert fusion.mask_words(texts, 0.0) == texts
    assert all(set(t.split()) == {fusion.MASK} for t in fusion.mask_words(texts, 1.0))
    low, high = fusion.mask_words(texts, 0.3, seed=4), fusion.mask_words(texts, 0.6, seed=4)
    for a, b in zip(low, high, strict=True):
        for word_low, word_high in zip(a.split(), b.split(), strict=True):
            assert word_low != fusion.MASK or word_high == fusion.MASK  # a superset is masked
    masked = sum(w == fusion.MASK for t in high for w in t.split())
    assert 0.4 < masked / sum(len(t.split()) for t in texts) < 0.8


def test_mask_words_takes_one_rate_per_text():
    out = fusion.mask_words(["a b", "c d"], np.array([0.0, 1.0]))
    assert out == ["a b", "? ?"]


@pytest.mark.parametrize(
    ("rate", "error", "words"),
    [
        (1.5, ValueError, r"\[0, 1\]"),
        (-0.1, ValueError, r"\[0, 1\]"),
        (True, TypeError, "number"),
        (np.array([0.1, 0.2, 0.3]), ValueError, "one value per item"),
    ],
)
def test_mask_words_rejects_bad_rates(rate, error, words):
    with pytest.raises(error, match=words):
        fusion.mask_words(["a b", "c d"], rate)


def test_add_image_noise_level_zero_is_a_copy_and_level_one_occludes():
    images = _images(4, size=20)
    clean = fusion.add_image_noise(images, 0.0)
    assert np.array_equal(clean, images) and clean is not images
    noisy = fusion.add_image_noise(np.ones((4, 20, 20, 1), np.float32), 1.0, seed=2)
    assert noisy.dtype == np.float32 and noisy.min() >= 0 and noisy.max() <= 1
    side = int(round(fusion.OCCLUSION_AT_LEVEL_1 * 20))
    assert ((noisy == 0).reshape(4, -1).sum(axis=1) >= side * side).all()


def test_add_image_noise_is_seeded_and_takes_one_level_per_image():
    images = _images(3)
    a = fusion.add_image_noise(images, [0.0, 0.5, 1.0], seed=7)
    b = fusion.add_image_noise(images, np.array([0.0, 0.5, 1.0]), seed=7)
    assert np.array_equal(a, b) and np.array_equal(a[0], images[0])
    assert not np.array_equal(a, fusion.add_image_noise(images, [0.0, 0.5, 1.0], seed=8))


@pytest.mark.parametrize(
    ("images", "level", "error", "words"),
    [
        (np.zeros((2, 5)), 0.5, ValueError, "shape"),
        (np.full((2, 8, 8), 2.0), 0.5, ValueError, r"\[0, 1\]"),
        (np.zeros((2, 8, 8)), 1.5, ValueError, "level"),
        (np.zeros((2, 8, 8)), [0.1, 0.2, 0.3], ValueError, "one value per item"),
        (np.zeros((2, 8, 8)), ["a", "b"], TypeError, "numbers"),
    ],
)
def test_add_image_noise_rejects_bad_input(images, level, error, words):
    with pytest.raises(error, match=words):
        fusion.add_image_noise(images, level)


def test_make_inputs_returns_images_and_word_counts():
    vocabulary = fusion.word_vocabulary(DIGIT_WORDS)
    images, words = fusion.make_inputs(_images(3), ["1", "2", "3"], vocabulary, text_rate=0.0)
    assert images.shape == (3, 12, 12, 1) and words.shape == (3, len(vocabulary))
    assert words[:, vocabulary.index("2")].tolist() == [0, 1, 0]


def test_corrupt_pairs_draws_each_modality_independently():
    images, texts = _images(4), ["one two three"] * 4
    noisy, masked = fusion.corrupt_pairs(images, texts, image_level=0.5, text_rate=0.5, seed=3)
    assert np.array_equal(noisy, fusion.add_image_noise(images, 0.5, seed=3))
    assert masked == fusion.mask_words(texts, 0.5, seed=4)
    with pytest.raises(ValueError, match="pairs of equal length"):
        fusion.corrupt_pairs(images, texts[:3])
    with pytest.raises(ValueError, match="seed"):
        fusion.corrupt_pairs(images, texts, seed=-1)


def test_paired_modalities_must_have_equal_lengths():
    vocabulary = fusion.word_vocabulary(DIGIT_WORDS)
    with pytest.raises(ValueError, match="pairs of equal length"):
        fusion.make_inputs(_images(3), ["1", "2"], vocabulary)
    with pytest.raises(ValueError, match="one entry per pair"):
        fusion.check_pairs(_images(3), ["1", "2", "3"], [0, 1])
    assert fusion.check_pairs(_images(2), ["1", "2"], [1, 2]) == 2


# --------------------------------------------------------------------------- fusion layers


def test_make_fusion_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown fusion 'sum'; choose one of concat"):
        fusion.make_fusion("sum")
    with pytest.raises(TypeError, match="must be a str"):
        fusion.make_fusion(3)
    with pytest.raises(ValueError, match="units"):
        fusion.make_fusion("gated", units=0)


@pytest.mark.parametrize(("name", "width"), [("concat", 12), ("gated", 6), ("attention", 6)])
def test_fusion_layers_return_one_vector_per_example(keras, name, width):
    layer = fusion.make_fusion(name, units=6)
    a, b = np.ones((3, 5), np.float32), np.zeros((3, 7), np.float32)
    out = keras.ops.convert_to_numpy(layer([a, b]))
    assert out.shape == (3, width)
    symbolic = layer([keras.Input((5,)), keras.Input((7,))])
    assert tuple(symbolic.shape) == (None, width)
    assert len(layer.trainable_weights) == {"concat": 0, "gated": 6, "attention": 5}[name]


def test_fusion_layers_reject_wrong_shapes(keras):
    with pytest.raises(ValueError, match="one vector per example"):
        fusion.make_fusion("concat")([keras.Input((4, 4)), keras.Input((3,))])
    with pytest.raises(ValueError, match="list of tensors"):
        fusion.make_fusion("attention")(keras.Input((3,)))
    with pytest.raises(ValueError, match="exactly 2"):
        fusion.make_fusion("gated")([keras.Input((3,)), keras.Input((3,)), keras.Input((3,))])


def test_gated_fusion_follows_its_formula(keras):
    layer = fusion.GatedFusion(4)
    rng = np.random.default_rng(0)
    h_x, h_t = rng.normal(size=(5, 3)).astype(np.float32), rng.normal(size=(5, 2)).astype("f4")
    out = keras.ops.convert_to_numpy(layer([h_x, h_t]))
    (w_x, b_x), (w_t, b_t) = (p.get_weights() for p in layer.project)
    w_g, b_g = layer.gate_layer.get_weights()
    g = 1 / (1 + np.exp(-(np.concatenate([h_x, h_t], axis=1) @ w_g + b_g)))
    expected = g * np.tanh(h_x @ w_x + b_x) + (1 - g) * np.tanh(h_t @ w_t + b_t)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    gate = keras.ops.convert_to_numpy(layer.gate([h_x, h_t]))
    np.testing.assert_allclose(gate, g, rtol=1e-4, atol=1e-5)
    assert fusion.GatedFusion.from_config(layer.get_config()).units == 4


def test_attention_fusion_weights_sum_to_one_for_three_modalities(keras):
    layer = fusion.AttentionFusion(4)
    inputs = [np.random.default_rng(k).normal(size=(6, 3 + k)).astype(np.float32) for k in range(3)]
    assert keras.ops.convert_to_numpy(layer(inputs)).shape == (6, 4)
    alpha = keras.ops.convert_to_numpy(layer.weights_of(inputs))
    assert alpha.shape == (6, 3)
    np.testing.assert_allclose(alpha.sum(axis=1), 1.0, rtol=1e-5)


def test_modality_dropout_blanks_one_whole_modality_only_in_training(keras):
    layer = fusion.ModalityDropout(0.6, seed=1)
    images, words = np.ones((400, 4, 4, 1), np.float32), np.ones((400, 5), np.float32)
    same = layer([images, words], training=False)
    assert all(
        np.array_equal(keras.ops.convert_to_numpy(a), b)
        for a, b in zip(same, (images, words), strict=True)
    )
    dropped_images, dropped_words = (
        keras.ops.convert_to_numpy(x) for x in layer([images, words], training=True)
    )
    image_kept = dropped_images.reshape(400, -1).max(axis=1)
    word_kept = dropped_words.max(axis=1)
    # Each modality is kept or blanked whole; never both blanked; no rescaling.
    assert set(np.unique(dropped_images)) <= {0.0, 1.0} and set(np.unique(dropped_words)) <= {
        0.0,
        1.0,
    }
    assert (dropped_images.reshape(400, -1).min(axis=1) == image_kept).all()
    assert ((image_kept + word_kept) >= 1).all()
    share = np.mean((image_kept + word_kept) == 1)
    assert 0.5 < share < 0.7
    assert 0.35 < np.mean(image_kept[(image_kept + word_kept) == 1] == 0) < 0.65


@pytest.mark.parametrize("rate", [1.0, -0.2])
def test_modality_dropout_rejects_bad_rates(keras, rate):
    with pytest.raises(ValueError, match="rate"):
        fusion.ModalityDropout(rate)


def test_late_fusion_with_unit_weights_is_the_product_rule(keras):
    p = np.array([[0.7, 0.2, 0.1], [0.3, 0.3, 0.4]], np.float32)
    q = np.array([[0.2, 0.7, 0.1], [0.1, 0.1, 0.8]], np.float32)
    out = keras.ops.convert_to_numpy(fusion.LateFusion()([p, q]))
    expected = p * q / (p * q).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(out, expected, rtol=1e-5)
    assert fusion.LateFusion(trainable=True).trainable


def test_late_fusion_rejects_bad_weights_and_widths(keras):
    with pytest.raises(ValueError, match="each weight"):
        fusion.LateFusion((1.0, -1.0))
    with pytest.raises(ValueError, match="one weight per modality"):
        fusion.LateFusion((1.0,))
    with pytest.raises(ValueError, match="same classes"):
        fusion.LateFusion()([keras.Input((3,)), keras.Input((4,))])


# --------------------------------------------------------------------------- models


@pytest.fixture(scope="module")
def parts(keras):
    vocabulary = fusion.word_vocabulary(DIGIT_WORDS)
    return {
        "vocabulary": vocabulary,
        "image_encoder": fusion.build_image_encoder((12, 12, 1), 8),
        "text_encoder": fusion.build_text_encoder(len(vocabulary), 8, hidden=8),
    }


def test_build_fused_model_wires_encoders_fusion_and_head(keras, parts):
    model = fusion.build_fused_model(
        parts["image_encoder"],
        parts["text_encoder"],
        fusion.make_fusion("gated", units=8),
        fusion.build_head(10, hidden=8),
        modality_dropout=0.3,
        seed=0,
    )
    assert [tuple(t.shape) for t in model.inputs] == [
        (None, 12, 12, 1),
        (None, len(parts["vocabulary"])),
    ]
    assert model.get_layer("modality_dropout").rate == 0.3
    images, words = fusion.make_inputs(_images(4), ["1", "2", "3", "4"], parts["vocabulary"])
    probabilities = fusion.predict_pairs(model, images, words)
    assert probabilities.shape == (4, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_build_fused_model_rejects_bad_parts(keras, parts):
    head = fusion.build_head(10)
    with pytest.raises(TypeError, match="fusion must be a Keras layer"):
        fusion.build_fused_model(parts["image_encoder"], parts["text_encoder"], "concat", head)
    with pytest.raises(TypeError, match="image_encoder must be a keras.Model"):
        fusion.build_fused_model(
            object(), parts["text_encoder"], fusion.make_fusion("concat"), head
        )
    grid = keras.Input((4, 4, 1))
    flat_less = keras.Model(grid, keras.layers.Conv2D(2, 3)(grid))
    with pytest.raises(ValueError, match="one vector per example"):
        fusion.build_fused_model(
            flat_less, parts["text_encoder"], fusion.make_fusion("concat"), head
        )
    with pytest.raises(ValueError, match="modality_dropout"):
        fusion.build_fused_model(
            parts["image_encoder"],
            parts["text_encoder"],
            fusion.make_fusion("concat"),
            head,
            modality_dropout=1.0,
        )


@pytest.mark.parametrize(
    ("shape", "words"), [((28, 28), "height, width, channels"), ((4, 4, 1), "at least 8×8")]
)
def test_build_image_encoder_rejects_bad_shapes(keras, shape, words):
    with pytest.raises(ValueError, match=words):
        fusion.build_image_encoder(shape)


def test_build_head_and_text_encoder_check_their_arguments(keras):
    with pytest.raises(ValueError, match="n_classes"):
        fusion.build_head(1)
    with pytest.raises(ValueError, match="dropout"):
        fusion.build_head(3, dropout=1.0)
    with pytest.raises(TypeError, match="vocab_size"):
        fusion.build_text_encoder(12.5)


def test_early_fusion_and_its_image_mlp_control_differ_only_in_the_word_counts(keras):
    early = fusion.build_early_fusion_model((12, 12, 1), 7, 10, hidden=8)
    control = fusion.build_image_mlp((12, 12, 1), 10, hidden=8)
    assert early.count_params() - control.count_params() == 7 * 8  # the words' input weights
    kinds = [type(layer).__name__ for layer in control.layers]
    assert kinds == ["InputLayer", "Flatten", "Dense", "Dropout", "Dense"]
    with pytest.raises(ValueError, match="image_shape"):
        fusion.build_image_mlp((12, 12), 10)


def test_unimodal_and_early_fusion_models_are_fed_by_predict_pairs(keras, parts):
    images, words = fusion.make_inputs(_images(3), ["1", "2", "3"], parts["vocabulary"])
    image_model = fusion.build_unimodal_model(
        parts["image_encoder"], fusion.build_head(10), name="i"
    )
    text_model = fusion.build_unimodal_model(parts["text_encoder"], fusion.build_head(10), name="t")
    early = fusion.build_early_fusion_model((12, 12, 1), len(parts["vocabulary"]), 10, hidden=8)
    control = fusion.build_image_mlp((12, 12, 1), 10, hidden=8)
    for model in (image_model, text_model, early, control):
        assert fusion.predict_pairs(model, images, words).shape == (3, 10)
    with pytest.raises(ValueError, match="expects inputs of shapes"):
        fusion.predict_pairs(image_model, np.zeros((3, 10, 10, 1), np.float32), words)
    with pytest.raises(ValueError, match="pairs of equal length"):
        fusion.predict_pairs(early, images, words[:2])


def test_late_fusion_model_freezes_and_multiplies(keras, parts, digit_text_model):
    reader, vocabulary = digit_text_model
    image_model = fusion.build_unimodal_model(
        fusion.build_image_encoder((12, 12, 1), 4), fusion.build_head(10, hidden=4), name="img"
    )
    late = fusion.build_late_fusion_model(image_model, reader, weights=(1.0, 1.0))
    assert not image_model.trainable and not reader.trainable
    images, words = fusion.make_inputs(_images(3), ["1", "2", "3"], vocabulary)
    p, q = image_model.predict(images, verbose=0), reader.predict(words, verbose=0)
    expected = p * q / (p * q).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(
        fusion.predict_pairs(late, images, words), expected, rtol=1e-3, atol=1e-6
    )
    two = keras.Input((5,))
    other = keras.Model(two, keras.layers.Dense(2, activation="softmax")(two))
    with pytest.raises(ValueError, match="same classes"):
        fusion.build_late_fusion_model(image_model, other)


def _dropout_model(keras, width: int, name: str, probe: list | None = None):
    """A softmax over ``width`` classes behind a heavy Dropout; ``probe`` collects the
    ``training`` flag the model's layers are called with."""

    class TrainingProbe(keras.layers.Layer):
        def call(self, x, training=None):
            probe.append(training)
            return x

    inputs = keras.Input((width,))
    x = inputs if probe is None else TrainingProbe()(inputs)
    x = keras.layers.Dropout(0.9)(keras.layers.Dense(width, name=f"{name}_dense")(x))
    return keras.Model(inputs, keras.layers.Softmax()(x), name=name)


def test_late_fusion_runs_its_frozen_models_in_inference_mode(keras):
    """Freezing does not switch Dropout off in Keras 3; late fusion must, also inside fit."""
    seen = {"image": [], "text": []}
    first = _dropout_model(keras, 4, "first", seen["image"])
    second = _dropout_model(keras, 4, "second", seen["text"])
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(64, 4)).astype("float32"), rng.normal(size=(64, 4)).astype("float32")
    y = rng.integers(0, 4, 64)
    frozen_weights = [w.copy() for w in first.get_weights() + second.get_weights()]
    late = fusion.build_late_fusion_model(first, second, trainable=True)
    # Called as during fit, the output is deterministic and equals inference.
    in_training = [keras.ops.convert_to_numpy(late([x, t], training=True)) for _ in range(2)]
    inference = keras.ops.convert_to_numpy(late([x, t], training=False))
    np.testing.assert_allclose(in_training[0], in_training[1], rtol=1e-6)
    np.testing.assert_allclose(in_training[0], inference, rtol=1e-6)
    seen["image"].clear(), seen["text"].clear()
    fusion.fit_classifier(late, [x, t], y, epochs=2, batch_size=16)
    # Inside fit, the frozen models were called (traced) in inference mode only ...
    assert seen["image"] and seen["text"]
    assert not any(seen["image"]) and not any(seen["text"])
    # ... their weights did not move, and the two fusion weights did.
    after = first.get_weights() + second.get_weights()
    for before, now in zip(frozen_weights, after, strict=True):
        np.testing.assert_array_equal(before, now)
    assert not np.allclose(late.get_layer("late_fusion_weights").get_weights()[0], 1.0)


def test_a_functional_training_false_is_overridden_so_the_wrapper_is_needed(keras):
    """Why InferenceMode exists: ``model(x, training=False)`` in a functional graph does
    not survive an outer call with training=True (if Keras changes this, the wrapper can go)."""
    inner = _dropout_model(keras, 4, "inner")
    inputs = keras.Input((4,))
    naive = keras.Model(inputs, inner(inputs, training=False))
    wrapped = keras.Model(inputs, fusion.InferenceMode(inner)(inputs))
    x = np.ones((256, 4), "float32")
    expected = keras.ops.convert_to_numpy(inner(x))
    naive_out = keras.ops.convert_to_numpy(naive(x, training=True))
    wrapped_out = keras.ops.convert_to_numpy(wrapped(x, training=True))
    assert not np.allclose(naive_out, expected, atol=1e-3)  # Dropout(0.9) was active
    np.testing.assert_allclose(wrapped_out, expected, rtol=1e-6)


def test_inference_mode_checks_its_model_and_round_trips_through_a_saved_file(keras, tmp_path):
    with pytest.raises(TypeError, match="keras.Model"):
        fusion.InferenceMode(keras.layers.Dense(3))
    first, second = _dropout_model(keras, 3, "a"), _dropout_model(keras, 3, "b")
    late = fusion.build_late_fusion_model(first, second)
    path = tmp_path / "late.keras"
    late.save(path)
    loaded = keras.models.load_model(path)
    x = np.random.default_rng(1).normal(size=(5, 3)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded([x, x], training=True)),
        keras.ops.convert_to_numpy(late([x, x])),
        rtol=1e-5,
    )


def test_fit_classifier_trains_quietly_and_checks_labels(keras, digit_text_model):
    _, vocabulary = digit_text_model
    texts = [str(k % 10) for k in range(200)]
    words = fusion.bag_of_words(texts, vocabulary)
    labels = np.arange(200) % 10
    model = fusion.build_unimodal_model(
        fusion.build_text_encoder(len(vocabulary), 16), fusion.build_head(10), name="fit_me"
    )
    history = fusion.fit_classifier(model, words, labels, epochs=30, learning_rate=0.01)
    assert history.history["accuracy"][-1] > 0.9
    with pytest.raises(ValueError, match="one entry per example"):
        fusion.fit_classifier(model, words, labels[:10])


def test_accuracy_grid_measures_each_setting(keras, digit_text_model):
    reader, vocabulary = digit_text_model
    labels = np.arange(40) % 10
    texts = [str(k) for k in labels]
    grid = fusion.accuracy_grid(
        {"reader": reader},
        _images(40),
        texts,
        labels,
        vocabulary,
        image_levels=(0.0, 1.0),
        text_rates=(0.0, 1.0),
    )
    accuracy = grid["reader"]
    assert accuracy.shape == (2, 2)
    np.testing.assert_allclose(accuracy[:, 0], 1.0)  # clean text: the reader is always right
    np.testing.assert_allclose(accuracy[:, 1], 0.1)  # all masked: it answers 0, right for 1 in 10
    right = fusion.accuracy_grid(
        {"reader": reader},
        _images(40),
        texts,
        labels,
        vocabulary,
        image_levels=(0.0, 1.0),
        text_rates=(0.0, 1.0),
        per_item=True,
    )["reader"]
    assert right.shape == (2, 2, 40) and right.dtype == bool
    np.testing.assert_allclose(right.mean(axis=2), accuracy)
    np.testing.assert_array_equal(right[0, 1], labels == 0)  # all masked: right on the zeros
    with pytest.raises(ValueError, match="pairs of equal length"):
        fusion.accuracy_grid(
            {"reader": reader},
            _images(3),
            texts,
            labels,
            vocabulary,
            image_levels=(0.0,),
            text_rates=(0.0,),
        )
    with pytest.raises(TypeError, match="non-empty dict"):
        fusion.accuracy_grid(
            {}, _images(40), texts, labels, vocabulary, image_levels=(0.0,), text_rates=(0.0,)
        )


def test_noise_explorer_prerenders_every_setting_and_links_the_sliders(keras, digit_text_model):
    reader, vocabulary = digit_text_model
    explorer = fusion.noise_explorer(
        {"reader": reader},
        _images(2),
        ["3", "4"],
        np.array([3, 4]),
        vocabulary,
        DIGIT_WORDS,
        image_levels=(0.0, 1.0),
        text_rates=(0.0, 0.5, 1.0),
    )
    header, chooser, level_slider, rate_slider, pairs = explorer.children
    assert len(chooser.options) == 2 and len(pairs.children) == 2
    assert list(level_slider.options) == ["0", "1"] and list(rate_slider.options) == [
        "0",
        "0.5",
        "1",
    ]
    pictures, side = pairs.children[1].children
    truth, captions, by_level = side.children
    assert len(pictures.children) == 2 and len(captions.children) == 3
    assert len(by_level.children) == 2 and len(by_level.children[0].children) == 3
    assert "<code>4</code>" in captions.children[0].value
    assert "<code>?</code>" in captions.children[2].value
    assert "#1b7f3b" in by_level.children[0].children[0].value  # clean text: right, in green
    with pytest.raises(ValueError, match="pairs of equal length"):
        fusion.noise_explorer(
            {"reader": reader}, _images(2), ["3"], np.array([3, 4]), vocabulary, DIGIT_WORDS
        )
    with pytest.raises(TypeError, match="non-empty dict"):
        fusion.noise_explorer({}, _images(2), ["3", "4"], np.array([3, 4]), vocabulary, DIGIT_WORDS)


def test_film_scales_and_shifts_every_position_by_the_condition(keras):
    layer = fusion.FiLM()
    rng = np.random.default_rng(0)
    features = rng.normal(size=(2, 3, 3, 4)).astype(np.float32)
    condition = rng.normal(size=(2, 5)).astype(np.float32)
    out = np.asarray(layer([features, condition]))
    gamma, beta = (np.asarray(c) for c in layer.coefficients(condition))
    assert gamma.shape == beta.shape == (2, 4)
    expected = (1 + gamma[:, None, None, :]) * features + beta[:, None, None, :]
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    # a fresh layer is close to the identity; sequences (batch, steps, channels) work too
    np.testing.assert_allclose(out, features, atol=0.2)
    assert np.asarray(fusion.FiLM()([features[:, 0], condition])).shape == (2, 3, 4)


def test_film_rejects_wrong_inputs_and_round_trips(keras, tmp_path):
    features = keras.Input(shape=(3, 3, 4))
    with pytest.raises(ValueError, match="FiLM"):
        fusion.FiLM()(features)
    with pytest.raises(ValueError, match="condition"):
        fusion.FiLM()([features, keras.Input(shape=(2, 5))])
    condition = keras.Input(shape=(5,))
    model = keras.Model([features, condition], fusion.FiLM(name="film")([features, condition]))
    path = tmp_path / "film.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    x = [np.ones((1, 3, 3, 4), np.float32), np.ones((1, 5), np.float32)]
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), rtol=1e-6)
