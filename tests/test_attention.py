"""Unit tests of crossmodal_helpers.attention (chapter 6)."""

from __future__ import annotations

import ast
import inspect
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest

from crossmodal_helpers import attention, datasets

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "06_attention.ipynb"
RNG = np.random.default_rng(0)


def _qkv(batch=(2,), n_q=3, n_k=5, d_k=4, d_v=6):
    rng = np.random.default_rng(1)
    return (
        rng.normal(size=(*batch, n_q, d_k)),
        rng.normal(size=(*batch, n_k, d_k)),
        rng.normal(size=(*batch, n_k, d_v)),
    )


# ----------------------------------------------------------------------------- softmax, attention


def test_softmax_is_stable_and_sums_to_one():
    p = attention.softmax(np.array([[1000.0, 1000.0, -np.inf], [0.0, np.log(3.0), 0.0]]))
    np.testing.assert_allclose(p, [[0.5, 0.5, 0.0], [0.2, 0.6, 0.2]])
    np.testing.assert_allclose(attention.softmax(RNG.normal(size=(3, 4)), axis=0).sum(0), 1.0)


def test_attention_shapes_and_weights_sum_to_one():
    q, k, v = _qkv()
    out, w = attention.scaled_dot_product_attention(q, k, v)
    assert out.shape == (2, 3, 6) and w.shape == (2, 3, 5)
    np.testing.assert_allclose(w.sum(-1), 1.0)
    assert (w >= 0).all()


def test_attention_matches_the_formula():
    q, k, v = _qkv(batch=())
    scores = q @ k.T / 2.0  # sqrt(d_k) = 2
    expected_w = np.exp(scores) / np.exp(scores).sum(1, keepdims=True)
    out, w = attention.scaled_dot_product_attention(q, k, v)
    np.testing.assert_allclose(w, expected_w)
    np.testing.assert_allclose(out, expected_w @ v)


def test_attention_broadcasts_batch_dimensions():
    q, k, v = _qkv(batch=(2, 3))
    out, w = attention.scaled_dot_product_attention(q, k[0, 0], v[0, 0])  # shared keys
    assert out.shape == (2, 3, 3, 6)
    np.testing.assert_allclose(
        w[1, 2], attention.scaled_dot_product_attention(q[1, 2], k[0, 0], v[0, 0])[1]
    )


def test_mask_gives_zero_weight_and_renormalises():
    q, k, v = _qkv(batch=())
    mask = np.array([True, True, False, True, False])
    out, w = attention.scaled_dot_product_attention(q, k, v, mask=mask)
    assert (w[:, ~mask] == 0).all()
    np.testing.assert_allclose(w.sum(-1), 1.0)
    kept_out, kept_w = attention.scaled_dot_product_attention(q, k[mask], v[mask])
    np.testing.assert_allclose(w[:, mask], kept_w)
    np.testing.assert_allclose(out, kept_out)


def test_causal_mask():
    x = RNG.normal(size=(4, 3))
    _, w = attention.scaled_dot_product_attention(x, x, x, mask=np.tril(np.ones((4, 4), bool)))
    assert np.allclose(np.triu(w, 1), 0.0) and w[0, 0] == 1.0


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (
            (np.ones((3, 4)), np.ones((5, 3)), np.ones((5, 2))),
            ValueError,
            "same number of features",
        ),
        ((np.ones((3, 4)), np.ones((5, 4)), np.ones((4, 2))), ValueError, "one row per key"),
        ((np.ones(4), np.ones((5, 4)), np.ones((5, 2))), ValueError, "q must have shape"),
        ((np.full((3, 4), np.nan), np.ones((5, 4)), np.ones((5, 2))), ValueError, "NaN"),
        ((np.array([["a"]]), np.ones((1, 1)), np.ones((1, 1))), TypeError, "q must hold numbers"),
    ],
)
def test_attention_rejects_bad_inputs(args, error, match):
    with pytest.raises(error, match=match):
        attention.scaled_dot_product_attention(*args)


def test_attention_rejects_bad_masks():
    q, k, v = _qkv(batch=())
    with pytest.raises(TypeError, match="boolean"):
        attention.scaled_dot_product_attention(q, k, v, mask=np.ones(5))
    with pytest.raises(ValueError, match="does not broadcast"):
        attention.scaled_dot_product_attention(q, k, v, mask=np.ones(4, bool))
    with pytest.raises(ValueError, match="no key to attend to"):
        attention.scaled_dot_product_attention(q, k, v, mask=np.zeros(5, bool))


def test_keras_ops_version_matches_numpy():
    q, k, v = _qkv()
    mask = np.array([True, False, True, True, False])
    for m in (None, mask):
        out, w = attention.scaled_dot_product_attention(q, k, v, mask=m)
        out_ops, w_ops = attention.scaled_dot_product_attention_ops(
            q.astype("float32"), k.astype("float32"), v.astype("float32"), m
        )
        np.testing.assert_allclose(np.asarray(w_ops), w, atol=1e-5)
        np.testing.assert_allclose(np.asarray(out_ops), out, atol=1e-5)


def _functions(source: str) -> dict[str, str]:
    tree = ast.parse(textwrap.dedent(source))
    return {n.name: ast.dump(n) for n in tree.body if isinstance(n, ast.FunctionDef)}


def test_notebook_shows_the_package_attention_verbatim():
    """The chapter writes the attention functions out; they must equal the package's."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    names = ("softmax", "scaled_dot_product_attention", "scaled_dot_product_attention_ops")
    found: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            found.update(_functions(cell.source))
    for name in names:
        assert name in found, f"the chapter does not define {name}"
        package = _functions(inspect.getsource(getattr(attention, name)))[name]
        assert found[name] == package, f"the chapter's {name} differs from the package's"


# ----------------------------------------------------------------------------- Keras layers


def test_single_unit_attention_weights_are_all_one():
    layer = attention.SingleUnitAttention()
    query, values = RNG.normal(size=(2, 5, 3)), RNG.normal(size=(2, 5, 4))
    with pytest.warns(UserWarning, match="axis has size 1"):  # Keras 3 itself warns
        weights = np.asarray(layer.weights_of(query))
        out = np.asarray(layer(query, values))
        layer.weight.set_weights([w * 100 + 3 for w in layer.weight.get_weights()])
        scrambled = np.asarray(layer(query, values))
    assert weights.shape == (2, 5, 1)
    np.testing.assert_allclose(weights, 1.0, atol=1e-6)  # 1 up to float32 rounding
    np.testing.assert_allclose(out, values.sum(axis=1), rtol=1e-5)
    np.testing.assert_allclose(scrambled, out)  # no parameter changes the output


def test_attention_pooling_weights_sum_to_one_over_time():
    layer = attention.AttentionPooling(8)
    query, values = RNG.normal(size=(2, 5, 3)), RNG.normal(size=(2, 5, 4))
    weights = np.asarray(layer.weights_of(query))
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-5)
    assert weights.std() > 0
    out = np.asarray(layer(query, values))
    np.testing.assert_allclose(out, (weights * values).sum(axis=1), rtol=1e-5)
    with pytest.raises(ValueError, match="units"):
        attention.AttentionPooling(0)


def test_positional_embedding_masks_padding_and_depends_on_position():
    layer = attention.PositionalEmbedding(6, 10, 4)
    ids = np.array([[3, 3, 0, 0]])
    x = np.asarray(layer(ids))
    assert x.shape == (1, 4, 4)
    assert not np.allclose(x[0, 0], x[0, 1])  # same word, different positions
    np.testing.assert_array_equal(np.asarray(layer.compute_mask(ids)), [[True, True, False, False]])


def test_sinusoidal_encoding_follows_the_formula_and_the_layer_adds_it():
    import keras

    pe = attention.sinusoidal_encoding(10, 6)
    p, i = 7, 2
    omega = 10000.0 ** (-2 * i / 6)
    np.testing.assert_allclose(pe[p, 2 * i : 2 * i + 2], [np.sin(p * omega), np.cos(p * omega)])
    np.testing.assert_allclose(pe[0], [0, 1, 0, 1, 0, 1])
    # the dot product depends only on the offset
    dots = [pe[q] @ pe[q + 3] for q in range(7)]
    np.testing.assert_allclose(dots, dots[0])
    x = RNG.normal(size=(2, 10, 6)).astype("float32")
    layer = attention.SinusoidalPositionEncoding()
    np.testing.assert_allclose(np.asarray(layer(x)), x + pe, atol=1e-5)
    again = attention.SinusoidalPositionEncoding.from_config(layer.get_config())
    assert again.base == layer.base
    assert (
        keras.saving.get_registered_object("crossmodal_helpers>SinusoidalPositionEncoding")
        is attention.SinusoidalPositionEncoding
    )


def test_sinusoidal_encoding_argument_errors():
    with pytest.raises(ValueError, match="d_model must be even"):
        attention.sinusoidal_encoding(4, 5)
    with pytest.raises(ValueError, match="length"):
        attention.sinusoidal_encoding(0, 4)
    with pytest.raises(ValueError, match="base"):
        attention.SinusoidalPositionEncoding(base=-1.0)
    with pytest.raises(ValueError, match="even"):
        attention.SinusoidalPositionEncoding()(np.zeros((1, 3, 5), "float32"))


def test_transformer_block_shapes_and_padding_is_ignored():
    import keras

    block = attention.TransformerBlock(8, num_heads=2, ff_dim=16, dropout=0.0)
    x = RNG.normal(size=(1, 4, 8)).astype("float32")
    mask = np.array([[True, True, True, False]])
    y = np.asarray(block(x, mask=mask))
    assert y.shape == x.shape
    x2 = x.copy()
    x2[0, 3] = 100.0  # change only the padded position
    np.testing.assert_allclose(np.asarray(block(x2, mask=mask))[0, :3], y[0, :3], atol=1e-5)
    weights = np.asarray(block.attention_weights(x, mask=mask))
    assert weights.shape == (1, 2, 4, 4)
    np.testing.assert_allclose(weights[..., 3], 0.0, atol=1e-6)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)
    assert isinstance(block, keras.layers.Layer)


def test_transformer_block_rejects_bad_arguments():
    with pytest.raises(ValueError, match="divisible"):
        attention.TransformerBlock(10, num_heads=3)
    with pytest.raises(ValueError, match="dropout"):
        attention.TransformerBlock(8, dropout=1.0)
    with pytest.raises(TypeError, match="d_model"):
        attention.TransformerBlock(8.0)
    with pytest.raises(ValueError, match="expects inputs of shape"):
        attention.TransformerBlock(8)(np.zeros((1, 3, 6), "float32"))


def test_unknown_layer_name():
    with pytest.raises(AttributeError):
        attention.NoSuchLayer  # noqa: B018


def test_transformer_classifier_with_ids_and_with_a_vectorizer():
    import keras

    model = attention.build_transformer_classifier(50, 2, max_length=7, d_model=8)
    probs = np.asarray(model(np.array([[4, 5, 6, 0, 0, 0, 0]])))
    assert probs.shape == (1, 2)
    np.testing.assert_allclose(probs.sum(), 1.0, rtol=1e-5)
    vectorizer = keras.layers.TextVectorization(max_tokens=30, output_sequence_length=7)
    vectorizer.adapt(["a good film", "a dull movie"])
    model = attention.build_transformer_classifier(30, 3, max_length=7, vectorizer=vectorizer)
    assert np.asarray(model(np.array(["a good film"], dtype=object))).shape == (1, 3)
    assert model.get_layer("transformer").num_heads == 2


def test_transformer_classifier_rejects_bad_arguments():
    import keras

    with pytest.raises(ValueError, match="n_classes"):
        attention.build_transformer_classifier(50, 1, max_length=7)
    with pytest.raises(TypeError, match="TextVectorization"):
        attention.build_transformer_classifier(50, 2, max_length=7, vectorizer="words")
    vectorizer = keras.layers.TextVectorization(max_tokens=30)
    vectorizer.adapt(["one two three four five six"])
    with pytest.raises(ValueError, match="smaller than the vectorizer"):
        attention.build_transformer_classifier(3, 2, max_length=7, vectorizer=vectorizer)


# ----------------------------------------------------------------------------- patches


def test_extract_patches_order_and_content():
    images = RNG.random((2, 6, 4, 3)).astype("float32")
    patches = attention.extract_patches(images, 2)
    assert patches.shape == (2, 6, 12)
    np.testing.assert_array_equal(patches[1, 0], images[1, :2, :2].ravel())
    np.testing.assert_array_equal(patches[1, 1], images[1, :2, 2:4].ravel())  # row by row
    np.testing.assert_array_equal(patches[0, 5], images[0, 4:6, 2:4].ravel())
    assert attention.extract_patches(images[..., 0], 2).shape == (2, 6, 4)


def test_extract_patches_rejects_bad_input():
    with pytest.raises(ValueError, match="multiples of patch"):
        attention.extract_patches(np.zeros((1, 6, 6, 3)), 4)
    with pytest.raises(ValueError, match="patch must be at least 1"):
        attention.extract_patches(np.zeros((1, 6, 6, 3)), 0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        attention.extract_patches(np.full((1, 4, 4, 3), 255.0), 2)


# ----------------------------------------------------------------------------- grounding


@pytest.fixture(scope="module")
def scenes():
    return datasets.load("shapes", split="all", n=80, size=48)


def test_grounding_queries_name_unique_shapes(scenes):
    queries = attention.grounding_queries(scenes)
    from crossmodal_helpers.datasets.shapes import COLORS, PHRASE_TO_VALUE

    assert queries.words.shape == (80, 3) and len(queries) == queries.present.sum() > 0
    for i, q in zip(*np.nonzero(queries.present), strict=True):
        j = queries.objects[i, q]
        shape = PHRASE_TO_VALUE[("shape", queries.words[i, q])]
        assert scenes.meta["shape"][i][j] == shape
        assert list(scenes.meta["shape"][i]).count(shape) == 1  # never ambiguous
        assert COLORS[queries.answers[i, q]] == scenes.meta["color"][i][j]
        np.testing.assert_array_equal(queries.boxes[i, q], scenes.meta["boxes"][i][j])
    assert (queries.words[~queries.present] == "").all()
    duplicated = [
        i
        for i in range(80)
        if len(set(scenes.meta["shape"][i][: scenes.meta["n_objects"][i]]))
        < scenes.meta["n_objects"][i]
    ]
    assert duplicated and all(
        queries.present[i].sum() < scenes.meta["n_objects"][i] for i in duplicated
    )


def test_grounding_word_ids(scenes):
    queries = attention.grounding_queries(scenes)
    vocabulary = sorted(set(queries.words[queries.present]))
    ids = queries.word_ids(vocabulary)
    assert (ids[~queries.present] == 0).all()
    i, q = np.argwhere(queries.present)[0]
    assert vocabulary[ids[i, q] - 1] == queries.words[i, q]
    with pytest.raises(ValueError, match="not in vocabulary"):
        queries.word_ids(vocabulary[1:])


def test_grounding_queries_reject_bad_data():
    with pytest.raises(ValueError, match="mismatch_rate=0"):
        attention.grounding_queries(datasets.load("shapes", n=60, mismatch_rate=0.5))
    with pytest.raises(TypeError, match="shapes data set"):
        attention.grounding_queries(datasets.load("digits"))
    with pytest.raises(ValueError, match="max_queries"):
        attention.grounding_queries(datasets.load("shapes", n=60), max_queries=0)


def test_grounding_model_shapes_and_weights(scenes):
    model, attention_model = attention.build_grounding_model(10, 6, image_size=48, grid=12)
    words = np.array([[3, 5, 0], [2, 0, 0]])
    answers = np.asarray(model([scenes.images[:2], words]))
    assert answers.shape == (2, 3, 6)
    weights = np.asarray(attention_model([scenes.images[:2], words]))
    assert weights.shape == (2, 1, 3, 144)
    np.testing.assert_allclose(weights.sum(-1)[:, 0], words > 0, rtol=1e-5)  # padding: 0
    assert model.get_layer("cross_attention").num_heads == 1


def test_grounding_model_rejects_bad_arguments():
    with pytest.raises(ValueError, match="multiple of 2 × grid"):
        attention.build_grounding_model(10, 6, image_size=48, grid=10)
    with pytest.raises(ValueError, match="divisible by num_heads"):
        attention.build_grounding_model(10, 6, d_model=30, num_heads=4)
    with pytest.raises(ValueError, match="n_answers"):
        attention.build_grounding_model(10, 1)


# ----------------------------------------------------------------------------- pointing


def test_pointing_hits_on_hand_made_cases():
    # 2×2 grid over an 8-pixel image: patch centres at 2 and 6.
    maps = np.array([[0.7, 0.1, 0.1, 0.1], [0.1, 0.1, 0.1, 0.7], [0.1, 0.7, 0.1, 0.1]])
    boxes = np.array([[0, 0, 4, 4], [0, 0, 4, 4], [5, 0, 8, 3]])
    np.testing.assert_array_equal(
        attention.pointing_hits(maps, boxes, image_size=8), [True, False, True]
    )
    assert attention.pointing_accuracy(maps, boxes, image_size=8) == pytest.approx(2 / 3)
    assert attention.pointing_accuracy(maps.reshape(3, 2, 2), boxes, image_size=8) == pytest.approx(
        2 / 3
    )


def test_pointing_box_ends_are_exclusive_and_tolerance_grows_the_box():
    maps = np.array([[1.0, 0.0, 0.0, 0.0]])  # peak at (2, 2)
    assert not attention.pointing_hits(maps, np.array([[0, 0, 2, 2]]), image_size=8)[0]
    assert attention.pointing_hits(maps, np.array([[0, 0, 2, 2]]), image_size=8, tolerance=1)[0]
    assert attention.pointing_hits(maps, np.array([[2, 2, 3, 3]]), image_size=8)[0]


def test_pointing_ties_take_the_first_patch():
    maps = np.array([[0.5, 0.0, 0.0, 0.5]])
    np.testing.assert_array_equal(
        attention.pointing_hits(maps, np.array([[0, 0, 4, 4]]), image_size=8), [True]
    )


@pytest.mark.parametrize(
    ("maps", "boxes", "match"),
    [
        (np.ones((2, 4)), np.array([[0, 0, 4, 4], [-1, -1, -1, -1]]), "x1 > x0"),
        (np.ones((1, 4)), np.array([[0, 0, 4]]), r"shape \(N, 4\)"),
        (np.ones((1, 5)), np.array([[0, 0, 4, 4]]), "square grid"),
        (np.ones((1, 2, 3)), np.array([[0, 0, 4, 4]]), "must be square"),
        (np.ones((2, 4)), np.array([[0, 0, 4, 4]]), "one row per query"),
        (np.full((1, 4), np.nan), np.array([[0, 0, 4, 4]]), "NaN"),
        (np.ones(4), np.array([[0, 0, 4, 4]]), "must have shape"),
    ],
)
def test_pointing_rejects_bad_input(maps, boxes, match):
    with pytest.raises(ValueError, match=match):
        attention.pointing_hits(maps, boxes, image_size=8)


def test_pointing_rejects_bad_tolerance():
    with pytest.raises(ValueError, match="tolerance"):
        attention.pointing_hits(
            np.ones((1, 4)), np.array([[0, 0, 4, 4]]), image_size=8, tolerance=-1
        )


# ----------------------------------------------------------------------------- pictures, widget


def test_attention_overlay_highlights_the_peak():
    image = np.zeros((8, 8, 3), "float32")
    out = attention.attention_overlay(image, np.array([[0.0, 1.0], [0.0, 0.0]]))
    assert out.shape == (8, 8, 3) and out.min() >= 0 and out.max() <= 1
    assert out[:4, 4:].mean() > out[4:, :4].mean()
    assert attention.attention_overlay(image[..., :1], np.ones(4)).shape == (8, 8, 3)


def test_attention_overlay_rejects_bad_input():
    image = np.zeros((8, 8, 3), "float32")
    with pytest.raises(ValueError, match="square grid"):
        attention.attention_overlay(image, np.ones(5))
    with pytest.raises(ValueError, match="multiple of the grid"):
        attention.attention_overlay(image, np.ones((3, 3)))
    with pytest.raises(ValueError, match="alpha"):
        attention.attention_overlay(image, np.ones(4), alpha=2.0)


def test_attention_browser_builds_linked_pages():
    import ipywidgets as widgets

    images = np.zeros((2, 8, 8, 3), "float32")
    queries = [
        [("circle", np.ones(4), "red")],
        [("disc", np.ones(4), "a"), ("plus", np.eye(2), "b")],
    ]
    browser = attention.attention_browser(images, ["a red circle", "a disc and a plus"], queries)
    assert isinstance(browser, widgets.VBox)
    slider, stack = browser.children[1], browser.children[2]
    assert slider.max == 1 and len(stack.children) == 2
    buttons = stack.children[1].children[1]
    assert [label for label, _ in buttons.options] == ["disc", "plus"]


def test_attention_browser_rejects_bad_input():
    images = np.zeros((1, 8, 8, 3), "float32")
    with pytest.raises(ValueError, match="one str per image"):
        attention.attention_browser(images, ["a", "b"], [[("w", np.ones(4), "")]])
    with pytest.raises(ValueError, match="one list per image"):
        attention.attention_browser(images, ["a"], [])
    with pytest.raises(ValueError, match="is empty"):
        attention.attention_browser(images, ["a"], [[]])
