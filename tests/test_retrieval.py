"""Unit tests of crossmodal_helpers.retrieval (chapter 8): loss, metrics, matching rule, CCA."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from crossmodal_helpers import retrieval
from crossmodal_helpers.datasets import shapes


@pytest.fixture(scope="module")
def keras():
    from crossmodal_helpers import runtime

    runtime.quiet_tensorflow()
    import keras

    keras.utils.set_random_seed(0)
    return keras


def _reference_info_nce(similarity: np.ndarray, temperature: float) -> float:
    """The symmetric InfoNCE loss written as in the chapter's formula, with plain loops."""
    logits = np.asarray(similarity, dtype=np.float64) / temperature
    n = len(logits)
    total = 0.0
    for i in range(n):
        row = np.exp(logits[i] - logits[i].max())
        column = np.exp(logits[:, i] - logits[:, i].max())
        total -= np.log(row[i] / row.sum())
        total -= np.log(column[i] / column.sum())
    return total / (2 * n)


# --------------------------------------------------------------------------- similarity


def test_similarity_matrix_is_the_cosine_of_every_pair():
    a = np.array([[1.0, 0.0], [3.0, 4.0]])
    b = np.array([[0.0, 2.0], [1.0, 1.0], [-5.0, 0.0]])
    expected = np.array([[0.0, 1 / np.sqrt(2), -1.0], [0.8, 7 / (5 * np.sqrt(2)), -0.6]])
    np.testing.assert_allclose(retrieval.similarity_matrix(a, b), expected)


@pytest.mark.parametrize(
    ("a", "b", "error", "match"),
    [
        (np.ones((2, 3)), np.ones((2, 4)), ValueError, "same number of columns"),
        (np.ones(3), np.ones((2, 3)), ValueError, "2-D array"),
        (np.zeros((2, 3)), np.ones((2, 3)), ValueError, "all-zero row"),
        (np.array([[np.nan, 1.0]]), np.ones((1, 2)), ValueError, "NaN"),
        (np.array([["a", "b"]]), np.ones((1, 2)), TypeError, "numeric"),
        (np.ones((0, 3)), np.ones((2, 3)), ValueError, "empty"),
    ],
)
def test_similarity_matrix_rejects_bad_input(a, b, error, match):
    with pytest.raises(error, match=match):
        retrieval.similarity_matrix(a, b)


# --------------------------------------------------------------------------- InfoNCE


@pytest.mark.parametrize("temperature", [1.0, 0.5, 0.07])
def test_info_nce_loss_equals_the_numpy_reference(keras, temperature):
    similarity = np.array(
        [[0.9, 0.1, -0.3, 0.2], [0.4, 0.7, 0.0, -0.1], [0.2, 0.3, 0.5, 0.6], [-0.2, 0.1, 0.3, 0.8]]
    )
    loss = float(retrieval.info_nce_loss(similarity, temperature))
    assert loss == pytest.approx(_reference_info_nce(similarity, temperature), rel=1e-5)


def test_info_nce_loss_is_symmetric_only_over_both_directions(keras):
    similarity = np.array([[0.9, 0.8, 0.0], [0.0, 0.5, 0.0], [0.0, 0.0, 0.7]])
    # the loss treats rows and columns alike, so transposing the batch changes nothing
    assert float(retrieval.info_nce_loss(similarity, 0.5)) == pytest.approx(
        float(retrieval.info_nce_loss(similarity.T, 0.5)), rel=1e-6
    )


def test_info_nce_loss_limits(keras):
    n = 8
    # every text equally similar to every image: the loss is log N (a uniform guess)
    assert float(retrieval.info_nce_loss(np.zeros((n, n)), 0.1)) == pytest.approx(np.log(n))
    # matching pairs far more similar than the rest: the loss goes to 0
    assert float(retrieval.info_nce_loss(np.eye(n), 0.01)) < 1e-6


def test_check_similarity_batch(keras):
    assert retrieval.check_similarity_batch(np.eye(3)).shape == (3, 3)
    with pytest.raises(ValueError, match="square"):
        retrieval.check_similarity_batch(np.ones((2, 3)))
    with pytest.raises(ValueError, match="NaN"):
        retrieval.check_similarity_batch(np.full((2, 2), np.nan))


# --------------------------------------------------------------------------- dual encoder


def _encoders(keras, vocab: int = 6):
    images = keras.Input(shape=(8, 8, 3))
    image_encoder = keras.Model(
        images, keras.layers.Dense(16, activation="relu")(keras.layers.Flatten()(images))
    )
    words = keras.Input(shape=(vocab,))
    text_encoder = keras.Model(words, keras.layers.Dense(16, activation="relu")(words))
    return image_encoder, text_encoder


def _toy_pairs(n: int = 64, vocab: int = 6, seed: int = 0):
    """Images whose colour is set by which of the first three words the text contains."""
    rng = np.random.default_rng(seed)
    which = rng.integers(3, size=n)
    images = np.full((n, 8, 8, 3), 0.1, dtype=np.float32)
    images[np.arange(n), :, :, which] = 0.9
    words = np.zeros((n, vocab), dtype=np.float32)
    words[np.arange(n), which] = 1.0
    words[np.arange(n), 3 + rng.integers(3, size=n)] = 1.0  # a distracting word
    return images, words, which


def test_dual_encoder_returns_cosine_similarities_and_unit_vectors(keras):
    model = retrieval.build_dual_encoder(*_encoders(keras), embed_dim=8)
    images, words, _ = _toy_pairs(5)
    similarity = np.asarray(model([images, words]))
    assert similarity.shape == (5, 5)
    assert np.all(np.abs(similarity) <= 1 + 1e-5)
    image_vectors = model.encode_images(images, batch_size=2)
    text_vectors = model.encode_texts(words)
    np.testing.assert_allclose(np.linalg.norm(image_vectors, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(image_vectors @ text_vectors.T, similarity, atol=1e-5)
    assert float(model.temperature) == pytest.approx(0.07, rel=1e-5)


def test_dual_encoder_learns_to_match_toy_pairs(keras):
    keras.utils.set_random_seed(0)
    model = retrieval.build_dual_encoder(*_encoders(keras), embed_dim=8)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    images, words, which = _toy_pairs(128)
    history = model.fit([images, words], epochs=15, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    similarity = model.encode_texts(words) @ model.encode_images(images).T
    same_colour = which[:, None] == which[None, :]
    assert retrieval.recall_at_k(similarity, same_colour, (1,))[1] > 0.95


def test_fixed_temperature_stays_fixed(keras):
    model = retrieval.build_dual_encoder(
        *_encoders(keras), embed_dim=4, temperature=0.2, learn_temperature=False
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    images, words, _ = _toy_pairs(32)
    model.fit([images, words], epochs=2, batch_size=16, verbose=0)
    assert float(model.temperature) == pytest.approx(0.2, rel=1e-6)
    assert not model.log_scale.trainable


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"embed_dim": 0}, ValueError, "embed_dim"),
        ({"embed_dim": 2.5}, TypeError, "embed_dim"),
        ({"temperature": 0.0}, ValueError, "temperature"),
        ({"temperature": "0.1"}, TypeError, "temperature"),
        ({"learn_temperature": 1}, TypeError, "learn_temperature"),
    ],
)
def test_build_dual_encoder_rejects_bad_arguments(keras, kwargs, error, match):
    with pytest.raises(error, match=match):
        retrieval.build_dual_encoder(*_encoders(keras), **kwargs)


def test_build_dual_encoder_needs_keras_models(keras):
    _, text_encoder = _encoders(keras)
    with pytest.raises(TypeError, match="image_encoder"):
        retrieval.build_dual_encoder("cnn", text_encoder)


# --------------------------------------------------------------------------- ranking metrics


SIMILARITY = np.array(
    [
        [0.9, 0.1, 0.3, 0.0],  # query 0: its item (0) is ranked 1st
        [0.8, 0.2, 0.1, 0.0],  # query 1: its item (1) is ranked 2nd
        [0.1, 0.2, 0.3, 0.4],  # query 2: its item (2) is ranked 2nd
        [0.4, 0.3, 0.2, 0.1],  # query 3: its item (3) is ranked 4th
    ]
)


def test_first_relevant_rank_recall_and_median_on_a_toy_matrix():
    relevant = np.eye(4, dtype=bool)
    np.testing.assert_array_equal(retrieval.first_relevant_rank(SIMILARITY, relevant), [1, 2, 2, 4])
    assert retrieval.recall_at_k(SIMILARITY, relevant, (1, 2, 3, 4)) == {
        1: 0.25,
        2: 0.75,
        3: 0.75,
        4: 1.0,
    }
    assert retrieval.median_rank(SIMILARITY, relevant) == 2.0


def test_several_relevant_items_count_the_best_ranked_one():
    relevant = np.eye(4, dtype=bool)
    relevant[3, 1] = True  # query 3 is also answered by item 1, ranked 2nd
    np.testing.assert_array_equal(retrieval.first_relevant_rank(SIMILARITY, relevant), [1, 2, 2, 2])


def test_ties_are_broken_by_gallery_order():
    similarity = np.zeros((2, 3))
    relevant = np.array([[False, False, True], [True, False, False]])
    np.testing.assert_array_equal(retrieval.first_relevant_rank(similarity, relevant), [3, 1])


def test_random_scores_give_chance_recall():
    rng = np.random.default_rng(0)
    one_each = np.zeros((2000, 100), dtype=bool)
    one_each[np.arange(2000), rng.integers(100, size=2000)] = True
    assert retrieval.recall_at_k(rng.random((2000, 100)), one_each)[10] == pytest.approx(
        0.10, abs=0.02
    )


def test_chance_recall_matches_the_formula_and_a_simulation():
    relevant = np.zeros((3, 10), dtype=bool)
    relevant[0, 0] = True  # one relevant item: K / G
    relevant[1, :2] = True  # two: 1 - (8 choose K) / (10 choose K)
    relevant[2] = True  # all relevant: always found
    chance = retrieval.chance_recall_at_k(relevant, (1, 3, 12))
    from math import comb

    for k in (1, 3):
        expected = (k / 10 + 1 - comb(8, k) / comb(10, k) + 1) / 3
        assert chance[k] == pytest.approx(expected)
    assert chance[12] == 1.0
    rng = np.random.default_rng(0)
    simulated = np.mean(
        [retrieval.recall_at_k(rng.random((3, 10)), relevant, (3,))[3] for _ in range(3000)]
    )
    assert simulated == pytest.approx(chance[3], abs=0.02)
    with pytest.raises(ValueError, match="at least one relevant"):
        retrieval.chance_recall_at_k(np.zeros((2, 3), dtype=bool))


@pytest.mark.parametrize(
    ("relevant", "error", "match"),
    [
        (np.eye(4), TypeError, "boolean"),
        (np.eye(3, dtype=bool), ValueError, "shape"),
        (np.zeros((4, 4), dtype=bool), ValueError, "at least one relevant"),
    ],
)
def test_ranking_metrics_reject_bad_relevance(relevant, error, match):
    with pytest.raises(error, match=match):
        retrieval.recall_at_k(SIMILARITY, relevant)


@pytest.mark.parametrize(
    ("ks", "error"), [(5, TypeError), ([], ValueError), ([0], ValueError), ([1.5], TypeError)]
)
def test_recall_at_k_rejects_bad_ks(ks, error):
    with pytest.raises(error, match="ks"):
        retrieval.recall_at_k(SIMILARITY, np.eye(4, dtype=bool), ks)


# --------------------------------------------------------------------------- matching rule


def test_parse_shapes_caption_reads_synonyms_and_two_word_positions():
    caption = "there is a big violet disc on the middle left and a plus and a small red square"
    assert retrieval.parse_shapes_caption(caption) == [
        {"size": "large", "color": "purple", "shape": "circle", "position": "left"},
        {"shape": "cross"},
        {"size": "small", "color": "red", "shape": "square"},
    ]
    assert retrieval.parse_shapes_caption("a green triangle at the top") == [
        {"color": "green", "shape": "triangle", "position": "top"}
    ]
    assert retrieval.parse_shapes_caption("A  RED diamond in the upper right") == [
        {"color": "red", "shape": "diamond", "position": "top right"}
    ]


def test_parse_shapes_caption_agrees_with_the_data_sets_tags():
    data = shapes.generate(300, size=32, seed=3)
    for caption, tags, owners in zip(
        data["captions"], data["tags"], data["token_objects"], strict=True
    ):
        read = shapes.read_caption(caption.split(), tags, owners)
        expected = [
            {attribute: value for (owner, attribute), value in read.items() if owner == j}
            for j in range(max(owner for owner, _ in read) + 1)
        ]
        assert retrieval.parse_shapes_caption(caption) == expected, caption


@pytest.mark.parametrize(
    ("caption", "error", "match"),
    [
        ("hello world", ValueError, "states no"),
        ("a red blue circle", ValueError, "two values of color"),
        (["a red circle"], TypeError, "caption must be a str"),
    ],
)
def test_parse_shapes_caption_rejects_bad_captions(caption, error, match):
    with pytest.raises(error, match=match):
        retrieval.parse_shapes_caption(caption)


RED_CIRCLE = {"shape": "circle", "color": "red", "size": "small", "position": "top"}
BLUE_SQUARE = {"shape": "square", "color": "blue", "size": "large", "position": "centre"}
GREEN_CIRCLE = {"shape": "circle", "color": "green", "size": "large", "position": "left"}


@pytest.mark.parametrize(
    ("objects", "caption", "expected"),
    [
        ([RED_CIRCLE], "a red circle", True),
        ([RED_CIRCLE], "a big red circle", False),  # size stated and wrong
        ([RED_CIRCLE], "a red circle at the bottom", False),  # position stated and wrong
        ([RED_CIRCLE, BLUE_SQUARE], "a red circle", True),  # extra objects are allowed
        ([BLUE_SQUARE, RED_CIRCLE], "a red circle and a blue square", True),  # any order
        ([RED_CIRCLE, BLUE_SQUARE], "a red square and a blue circle", False),  # binding
        ([RED_CIRCLE], "a red circle and a circle", False),  # two distinct circles needed
        ([RED_CIRCLE, GREEN_CIRCLE], "a red circle and a circle", True),
        ([RED_CIRCLE, GREEN_CIRCLE], "a circle and a red circle", True),  # greedy would fail
        ([GREEN_CIRCLE], "a large green circle on the left", True),
    ],
)
def test_scene_satisfies_hand_made_cases(objects, caption, expected):
    stated = retrieval.parse_shapes_caption(caption)
    assert retrieval.scene_satisfies(objects, stated) is expected


def test_scene_satisfies_rejects_bad_input():
    with pytest.raises(ValueError, match="at least one"):
        retrieval.scene_satisfies([RED_CIRCLE], [])
    with pytest.raises(TypeError, match="dicts"):
        retrieval.scene_satisfies(["red circle"], [{"shape": "circle"}])


def _objects(meta: dict, i: int) -> list[dict[str, str]]:
    return [
        {a: str(meta[a][i, j]) for a in retrieval.SHAPE_ATTRIBUTES}
        for j in range(int(meta["n_objects"][i]))
    ]


def test_shapes_relevance_agrees_with_scene_satisfies():
    data = shapes.generate(60, size=32, seed=1)
    relevant = retrieval.shapes_relevance(data["captions"], data)
    assert relevant.shape == (60, 60)
    assert relevant.diagonal().all(), "every scene satisfies its own caption"
    for i, j in itertools.product(range(60), range(60)):
        stated = retrieval.parse_shapes_caption(data["captions"][i])
        assert relevant[i, j] == retrieval.scene_satisfies(_objects(data, j), stated)


def test_shapes_relevance_rejects_bad_scenes():
    with pytest.raises(TypeError, match="scenes must map"):
        retrieval.shapes_relevance(["a red circle"], {"shape": np.array([["circle"]])})
    bad = {a: np.array([["x", ""]]) for a in retrieval.SHAPE_ATTRIBUTES}
    bad["color"] = np.array([["red"]])
    with pytest.raises(ValueError, match="share one 2-D shape"):
        retrieval.shapes_relevance(["a red circle"], bad)
    with pytest.raises(TypeError, match="captions"):
        retrieval.shapes_relevance("a red circle", {a: np.array([[""]]) for a in bad})


# --------------------------------------------------------------------------- CCA


def _correlated(n: int = 500, seed: int = 0):
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 2))
    x = np.c_[latent, rng.normal(size=(n, 3))] @ rng.normal(size=(5, 5))
    y = np.c_[latent + 0.3 * rng.normal(size=(n, 2)), rng.normal(size=(n, 2))] @ rng.normal(
        size=(4, 4)
    )
    return x, y


def test_fit_cca_finds_the_canonical_correlations_of_scikit_learn():
    from sklearn.cross_decomposition import CCA

    x, y = _correlated()
    ours = retrieval.fit_cca(x, y, n_components=2, regularization=0.0)
    theirs = CCA(n_components=2, max_iter=5000, tol=1e-10).fit(x, y)
    a, b = theirs.transform(x, y)
    for k in range(2):
        reference = abs(np.corrcoef(a[:, k], b[:, k])[0, 1])
        assert ours.correlations[k] == pytest.approx(reference, abs=1e-3)


def test_fit_cca_without_the_ridge_finds_the_directions_of_scikit_learn():
    """Chapter 8.6: with regularization=0 the projections are scikit-learn's (up to sign and
    scale); with the ridge they are not exactly."""
    from sklearn.cross_decomposition import CCA

    x, y = _correlated()
    theirs = CCA(n_components=2, max_iter=5000, tol=1e-12).fit(x, y)
    a, b = theirs.transform(x, y)
    ours = retrieval.fit_cca(x, y, n_components=2, regularization=0.0)
    for k in range(2):
        assert abs(np.corrcoef(ours.transform_x(x)[:, k], a[:, k])[0, 1]) > 0.9999
        assert abs(np.corrcoef(ours.transform_y(y)[:, k], b[:, k])[0, 1]) > 0.9999
    ridge = retrieval.fit_cca(x, y, n_components=2, regularization=0.1)
    assert abs(np.corrcoef(ridge.transform_x(x)[:, 0], a[:, 0])[0, 1]) < 0.99


def test_fit_cca_projections_are_correlated_pairs_and_uncorrelated_directions():
    x, y = _correlated()
    cca = retrieval.fit_cca(x, y, n_components=2, regularization=0.0)
    a, b = cca.transform_x(x), cca.transform_y(y)
    for k in range(2):
        assert np.corrcoef(a[:, k], b[:, k])[0, 1] == pytest.approx(cca.correlations[k])
    assert abs(np.corrcoef(a[:, 0], a[:, 1])[0, 1]) < 1e-6
    assert np.all(np.diff(cca.correlations) <= 0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_components": 5}, ValueError, "n_components"),
        ({"regularization": -1.0}, ValueError, "regularization"),
        ({"regularization": None}, TypeError, "regularization"),
    ],
)
def test_fit_cca_rejects_bad_arguments(kwargs, error, match):
    x, y = _correlated()
    with pytest.raises(error, match=match):
        retrieval.fit_cca(x, y, **{"n_components": 2, **kwargs})


def test_fit_cca_rejects_unpaired_and_singular_input():
    x, y = _correlated()
    with pytest.raises(ValueError, match="pairs of equal length"):
        retrieval.fit_cca(x[:10], y[:11], n_components=1)
    with pytest.raises(ValueError, match="singular"):
        retrieval.fit_cca(np.c_[x, x[:, :1]], y, n_components=1, regularization=0.0)
    cca = retrieval.fit_cca(x, y, n_components=1)
    with pytest.raises(ValueError, match="columns"):
        cca.transform_x(y)


# --------------------------------------------------------------------------- zero-shot


def test_zero_shot_classify_averages_the_prompts_of_a_class():
    images = np.array([[1.0, 0.1], [0.1, 1.0], [0.7, 0.8]])
    prompts = np.array([[1.0, 0.0], [1.0, 0.2], [0.0, 1.0]])
    np.testing.assert_array_equal(
        retrieval.zero_shot_classify(images, prompts, [0, 0, 1]), [0, 1, 1]
    )


@pytest.mark.parametrize(
    ("classes", "match"),
    [
        ([0, 1], "one int class id per prompt"),
        ([0, 2, 2], "class 1 has none"),
        ([0, -1, 1], ">= 0"),
    ],
)
def test_zero_shot_classify_rejects_bad_prompt_classes(classes, match):
    with pytest.raises(ValueError, match=match):
        retrieval.zero_shot_classify(np.eye(3), np.eye(3), classes)


# --------------------------------------------------------------------------- figure and widget


def _gallery(n: int = 6) -> np.ndarray:
    images = np.zeros((n, 8, 8, 3), dtype=np.float32)
    images[np.arange(n), :, :, np.arange(n) % 3] = np.linspace(0.2, 1.0, n)[:, None, None]
    return images


def test_show_retrievals_draws_one_row_per_query():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    top = np.array([[0, 1, 2], [3, 4, 5]])
    correct = np.array([[True, False, True], [False, False, True]])
    fig = retrieval.show_retrievals(
        ["red", "a long query about blue"], _gallery(), top, correct, captions=[list("abc")] * 2
    )
    assert len(fig.axes) == 2 * 4
    assert "✗" in fig.axes[2].get_title() and "✗" not in fig.axes[1].get_title()
    plt.close(fig)
    with pytest.raises(ValueError, match="correct"):
        retrieval.show_retrievals(["red", "blue"], _gallery(), top, correct.astype(int))
    with pytest.raises(ValueError, match="indices"):
        retrieval.show_retrievals(["red", "blue"], _gallery(), top + 3, correct)
    with pytest.raises(ValueError, match="one row of indices per query"):
        retrieval.show_retrievals(["red"], _gallery(), top, correct)


def _search(text: str) -> np.ndarray:
    """Scores that rank image i first for the query "i"."""
    scores = np.zeros(6)
    if text.isdigit() and int(text) < 6:
        scores[int(text)] = 1.0
    return scores


def test_search_box_prerenders_the_menu_and_searches_live():
    import ipywidgets as widgets

    box = retrieval.search_box(
        _gallery(), _search, ["1", "4"], k=3, judge=lambda text: np.arange(6) == int(text)
    )
    header, _, menu, stack, _, text, live = box.children
    assert isinstance(menu, widgets.Dropdown) and isinstance(stack, widgets.Tab)
    assert len(stack.children) == 2 and len(stack.children[0].children) == 3
    first_note = stack.children[1].children[0].children[1].value
    second_note = stack.children[1].children[1].children[1].value
    assert "<b>1.00</b>" in first_note and "✗" not in first_note and "✗" in second_note
    before = live.children[0].children[0].value
    text.value = "5"
    assert live.children[0].children[0].value != before
    assert "<b>1.00</b>" in live.children[0].children[1].value


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"k": 7}, ValueError, "at most the number of images"),
        ({"queries": ["1", "1"]}, ValueError, "distinct"),
        ({"queries": "1"}, TypeError, "queries"),
        ({"search": "not callable"}, TypeError, "search"),
        ({"search": lambda text: np.zeros(3)}, ValueError, "one score per image"),
        ({"judge": lambda text: np.ones(2, bool)}, ValueError, "judge"),
        ({"captions": ["a"]}, ValueError, "captions"),
    ],
)
def test_search_box_rejects_bad_arguments(kwargs, error, match):
    arguments = {"search": _search, "queries": ["1", "2"], **kwargs}
    with pytest.raises(error, match=match):
        retrieval.search_box(_gallery(), **arguments)


# --------------------------------------------------------------------------- cross-lingual student


def _parallel_toy():
    """Two languages naming the same four items; the teacher's vectors are one-hot."""
    names = {
        "en": ["red apple", "green apple", "cat face", "red heart"],
        "zh": ["红苹果", "青苹果", "猫脸", "红心"],
    }
    return names, np.eye(4)


def test_crosslingual_student_imitates_the_teacher_on_its_parallel_set():
    names, teacher = _parallel_toy()
    student = retrieval.fit_crosslingual_student(names, teacher, regularization=0.01)
    assert student.languages == ("en", "zh")
    for language, texts in names.items():
        vectors = student.encode(texts, language)
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-6)
        assert (vectors.argmax(axis=1) == np.arange(4)).all(), language
    # an unseen name lands nearest the item it shares most characters with
    assert student.encode(["苹果"], "zh")[0][:2].min() > student.encode(["苹果"], "zh")[0][2:].max()
    assert student.encode(["没有"], "zh").sum() == 0.0, "no known n-gram: the zero vector"


def test_crosslingual_student_guesses_the_language_from_its_ngrams():
    names, teacher = _parallel_toy()
    student = retrieval.fit_crosslingual_student(names, teacher)
    assert student.guess_language(["苹果", "apple", "红"]) == ["zh", "en", "zh"]
    guessed = student.encode(["青苹果", "cat face"])
    np.testing.assert_allclose(guessed[0], student.encode(["青苹果"], "zh")[0])
    np.testing.assert_allclose(guessed[1], student.encode(["cat face"], "en")[0])


@pytest.mark.parametrize(
    ("names", "teacher", "options", "error", "message"),
    [
        ([["a"]], np.eye(1), {}, TypeError, "names must be a non-empty dict"),
        ({}, np.eye(1), {}, TypeError, "names must be a non-empty dict"),
        ({"en": ["a b", "c d"]}, np.eye(3), {}, ValueError, "must be parallel"),
        ({"en": ["a b", " "]}, np.eye(2), {}, ValueError, "is empty"),
        ({"en": ["a", "b"]}, np.eye(2), {"ngram_range": (3, 1)}, ValueError, "ngram_range"),
        ({"en": ["a", "b"]}, np.eye(2), {"ngram_range": [1, 3]}, ValueError, "ngram_range"),
        ({"en": ["a", "b"]}, np.eye(2), {"regularization": 0}, ValueError, "regularization"),
        ({"en": ["a", "b"]}, [1, 2], {}, ValueError, "teacher_vectors"),
    ],
)
def test_crosslingual_student_rejects_bad_input(names, teacher, options, error, message):
    with pytest.raises(error, match=message):
        retrieval.fit_crosslingual_student(names, teacher, **options)


def test_crosslingual_student_encode_rejects_an_unknown_language():
    names, teacher = _parallel_toy()
    student = retrieval.fit_crosslingual_student(names, teacher)
    with pytest.raises(ValueError, match="language must be one of 'en', 'zh' or None"):
        student.encode(["x"], "fr")
    with pytest.raises(TypeError, match="texts must be a list of str"):
        student.encode("红心")


def test_char_ngrams_read_chinese_without_the_padding_space():
    vectorizer = retrieval.fit_char_ngrams(["红苹果", "猫脸"], ngram_range=(1, 2))
    assert " " not in vectorizer.vocabulary_
    assert {"苹", "苹果", "猫"} <= set(vectorizer.vocabulary_)
    assert vectorizer.transform(["没有"]).nnz == 0, "no known n-gram: the zero vector"
    assert vectorizer.transform(["青苹果"]).nnz == 4  # 苹, 果, 苹果 and 果 at a word end
    with pytest.raises(ValueError, match="is empty"):
        retrieval.fit_char_ngrams(["红心", ""])
