"""Unit tests of crossmodal_helpers.vision: perturbations, HOG, the digit CNN, the widget."""

from __future__ import annotations

import ast
import inspect
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from crossmodal_helpers import vision

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "notebooks" / "03_image_recognition.ipynb"


def _digits(n: int = 4, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 28, 28, 1)).astype(np.float32)


def test_importing_vision_does_not_import_tensorflow_or_skimage():
    code = (
        "import sys; from crossmodal_helpers import vision; "
        "print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('tensorflow', 'keras', 'skimage', 'scipy')))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


# --------------------------------------------------------------------------- rotate


def test_rotate_90_degrees_turns_counter_clockwise():
    image = np.zeros((1, 5, 5), dtype=np.float32)
    image[0, 0, 2] = 1.0  # top centre
    turned = vision.rotate(image, 90)
    assert turned.shape == (1, 5, 5, 1) and turned.dtype == np.float32
    np.testing.assert_allclose(turned[0, ..., 0], np.rot90(image[0]), atol=1e-6)


def test_rotate_keeps_size_and_range_and_zero_is_a_copy():
    images = _digits()
    turned = vision.rotate(images, 33.3)
    assert turned.shape == images.shape
    assert turned.min() >= 0 and turned.max() <= 1
    same = vision.rotate(images, 0)
    np.testing.assert_array_equal(same, images)
    assert same is not images
    np.testing.assert_array_equal(vision.rotate(images, 360), images)


def test_rotate_works_on_colour_images():
    rgb = np.random.default_rng(1).random((2, 16, 16, 3))
    assert vision.rotate(rgb, 15).shape == (2, 16, 16, 3)


@pytest.mark.parametrize(
    ("images", "degrees", "error", "words"),
    [
        ([[0.0]], 10, TypeError, "images must be a NumPy array"),
        (np.zeros((2, 4)), 10, ValueError, r"images must have shape \(N, H, W\)"),
        (np.full((1, 4, 4), 255.0), 10, ValueError, "values in \\[0, 1\\]"),
        (np.zeros((1, 4, 4)), "30", TypeError, "degrees must be a number"),
        (np.zeros((1, 4, 4)), True, TypeError, "degrees must be a number"),
        (np.zeros((1, 4, 4)), float("nan"), ValueError, "degrees must be a finite number"),
    ],
)
def test_rotate_rejects_bad_input(images, degrees, error, words):
    with pytest.raises(error, match=words):
        vision.rotate(images, degrees)


# --------------------------------------------------------------------------- add_noise


def test_add_noise_is_seeded_clipped_and_zero_sigma_is_identity():
    images = _digits()
    first = vision.add_noise(images, 0.3, seed=5)
    np.testing.assert_array_equal(first, vision.add_noise(images, 0.3, seed=5))
    assert not np.array_equal(first, vision.add_noise(images, 0.3, seed=6))
    assert first.min() >= 0 and first.max() <= 1 and first.dtype == np.float32
    np.testing.assert_array_equal(vision.add_noise(images, 0.0), images)


def test_add_noise_has_the_requested_spread():
    grey = np.full((8, 28, 28), 0.5, dtype=np.float32)
    noisy = vision.add_noise(grey, 0.05, seed=0)
    assert abs(float((noisy - 0.5).std()) - 0.05) < 0.002


@pytest.mark.parametrize(
    ("sigma", "seed", "error", "words"),
    [
        (-0.1, 0, ValueError, "sigma must be at least 0"),
        ("0.1", 0, TypeError, "sigma must be a number"),
        (float("inf"), 0, ValueError, "sigma must be a finite number"),
        (0.1, -1, ValueError, "seed must be at least 0"),
        (0.1, 1.5, TypeError, "seed must be an int"),
        (0.1, True, TypeError, "seed must be an int"),
    ],
)
def test_add_noise_rejects_bad_arguments(sigma, seed, error, words):
    with pytest.raises(error, match=words):
        vision.add_noise(np.zeros((1, 4, 4)), sigma, seed)


# --------------------------------------------------------------------------- HOG


def test_hog_features_shape_matches_the_formula():
    features = vision.hog_features(_digits(3))
    assert features.shape == (3, 3 * 3 * 2 * 2 * 9) and features.dtype == np.float32
    finer = vision.hog_features(_digits(1), pixels_per_cell=4)
    assert finer.shape == (1, 6 * 6 * 2 * 2 * 9)


def test_hog_features_are_unchanged_by_brightness_scaling():
    images = _digits(2) * 0.5
    np.testing.assert_allclose(
        vision.hog_features(images), vision.hog_features(images * 2), atol=1e-5
    )


def test_hog_features_accept_colour_images():
    rgb = np.random.default_rng(2).random((2, 32, 32, 3))
    assert vision.hog_features(rgb, pixels_per_cell=8).shape == (2, 3 * 3 * 2 * 2 * 9)


@pytest.mark.parametrize(
    ("images", "options", "error", "words"),
    [
        (np.zeros((0, 28, 28)), {}, ValueError, "at least one image"),
        (np.zeros((1, 10, 10)), {}, ValueError, "too small"),
        (np.zeros((1, 28, 28)), {"pixels_per_cell": 0}, ValueError, "pixels_per_cell"),
        (np.zeros((1, 28, 28)), {"orientations": 9.0}, TypeError, "orientations must be an int"),
        ("not images", {}, TypeError, "images must be a NumPy array"),
        (np.full((1, 28, 28), np.nan), {}, ValueError, "NaN"),
    ],
)
def test_hog_features_reject_bad_input(images, options, error, words):
    with pytest.raises(error, match=words):
        vision.hog_features(images, **options)


# --------------------------------------------------------------------------- the digit CNN


def _package_functions() -> dict[str, str]:
    source = (ROOT / "crossmodal_helpers" / "vision.py").read_text(encoding="utf-8")
    return {
        node.name: ast.get_source_segment(source, node)
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef)
    }


def test_the_chapter_shows_the_package_cnn_verbatim():
    cells = json.loads(CHAPTER.read_text(encoding="utf-8"))["cells"]
    code = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]
    functions = _package_functions()
    for name in ("digit_augmentation", "build_digit_cnn"):
        assert any(functions[name] in cell for cell in code), (
            f"notebook 03 must contain vision.{name} exactly as in the package"
        )
    assert any("vision.fit_digit_cnn(" in cell for cell in code)


def test_build_digit_cnn_shapes_and_parameters():
    model = vision.build_digit_cnn()
    assert model.input_shape == (None, 28, 28, 1)
    assert model.output_shape == (None, 10)
    convolutions = (5 * 5 * 1 * 16 + 16) + (5 * 5 * 16 * 32 + 32)
    assert model.count_params() == convolutions + (7 * 7 * 32 * 64 + 64) + (64 * 10 + 10)


def test_augmentation_changes_digits_only_in_training_mode():
    import keras

    keras.utils.set_random_seed(0)
    augment = vision.digit_augmentation()
    images = _digits(2)
    unchanged = keras.ops.convert_to_numpy(augment(images, training=False))
    np.testing.assert_array_equal(unchanged, images)
    changed = keras.ops.convert_to_numpy(augment(images, training=True))
    assert not np.allclose(changed, images)


def _same_weights(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights(), strict=True))


SMALL = {"epochs": 1, "n_train": 96}


def test_train_digit_classifier_is_deterministic_and_matches_the_chapter_recipe():
    from crossmodal_helpers import datasets, runtime

    first = vision.train_digit_classifier(seed=0, cache=False, **SMALL)
    second = vision.train_digit_classifier(seed=0, cache=False, **SMALL)
    assert _same_weights(first, second)
    other_seed = vision.train_digit_classifier(seed=1, cache=False, **SMALL)
    assert not _same_weights(first, other_seed)
    # The chapter's steps: seed, build, fit (with validation data, which must not matter).
    train = datasets.load("mnist5k", split="train")
    val = datasets.load("mnist5k", split="val")
    runtime.seed_everything(0)
    chapter = vision.build_digit_cnn()
    vision.fit_digit_cnn(
        chapter,
        train.images[:96],
        train.labels[:96],
        epochs=1,
        validation_data=(val.images, val.labels),
    )
    assert _same_weights(first, chapter)
    # No augmentation is left in the trained classifier: calling it equals predicting.
    called = first(val.images[:8])
    np.testing.assert_allclose(
        np.asarray(called), first.predict(val.images[:8], verbose=0), atol=1e-6
    )
    assert first.evaluate(val.images[:8], val.labels[:8], verbose=0)[1] >= 0


def test_train_digit_classifier_caches_and_rebuilds_a_corrupt_cache(shared_cache):
    model = vision.train_digit_classifier(seed=0, cache=True, **SMALL)
    files = sorted(shared_cache.glob("digit-cnn-*.keras"))
    assert len(files) == 1
    loaded = vision.train_digit_classifier(seed=0, cache=True, **SMALL)
    assert _same_weights(model, loaded)
    files[0].write_bytes(b"not a keras archive")
    with pytest.warns(RuntimeWarning, match="digit classifier cache"):
        rebuilt = vision.train_digit_classifier(seed=0, cache=True, **SMALL)
    assert _same_weights(model, rebuilt)
    assert files[0].read_bytes()[:2] == b"PK"  # a valid zip archive again


@pytest.mark.parametrize(
    ("options", "error", "words"),
    [
        ({"seed": -1}, ValueError, "seed must be at least 0"),
        ({"seed": "0"}, TypeError, "seed must be an int"),
        ({"epochs": 0}, ValueError, "epochs must be at least 1"),
        ({"n_train": 10**6}, ValueError, "n_train must be at most"),
        ({"n_train": 2.5}, TypeError, "n_train must be an int"),
        ({"cache": "yes"}, TypeError, "cache must be True or False"),
    ],
)
def test_train_digit_classifier_rejects_bad_arguments(options, error, words):
    with pytest.raises(error, match=words):
        vision.train_digit_classifier(**options)


@pytest.mark.parametrize(
    ("labels", "error", "words"),
    [
        ([0.0, 1.0], TypeError, "labels must hold integer class ids"),
        (np.array([0, 10]), ValueError, r"labels must be class ids in \[0, 10\)"),
        (np.array([0, 1, 2]), ValueError, r"labels must have one entry per example \(2\)"),
    ],
)
def test_fit_digit_cnn_rejects_bad_labels(labels, error, words):
    with pytest.raises(error, match=words):
        vision.fit_digit_cnn(vision.build_digit_cnn(), _digits(2), labels)


# --------------------------------------------------------------------------- the widget


def _fake_predictors():
    def always_seven(images):
        return np.full(len(images), 7)

    def probabilities(images):
        out = np.zeros((len(images), 10), dtype=np.float32)
        out[:, 1] = 0.9
        out[:, 0] = 0.1
        return out

    return {"sevens": always_seven, "ones": probabilities}


def test_robustness_explorer_prerenders_and_links_every_combination():
    explorer = vision.robustness_explorer(
        _digits(2),
        np.array([7, 3]),
        _fake_predictors(),
        [str(d) for d in range(10)],
        angles=(0, 90, 180),
        sigmas=(0.0, 0.5),
    )
    header, digit_buttons, angle_slider, sigma_slider, stack = explorer.children
    assert len(digit_buttons.options) == 2 and digit_buttons.options[0] == "#0: 7"
    assert len(angle_slider.options) == 3 and len(sigma_slider.options) == 2
    assert len(stack.children) == 2
    assert all(len(angles.children) == 3 for angles in stack.children)
    assert all(len(s.children) == 2 for angles in stack.children for s in angles.children)
    text = stack.children[0].children[0].children[0].value
    assert "data:image/png;base64," in text
    assert "sevens" in text and "right" in text  # the 7 is predicted as 7
    assert "ones" in text and "p = 0.90" in text and "wrong" in text


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"predictors": {}}, TypeError, "non-empty dict"),
        ({"predictors": {"x": 3}}, TypeError, "must be callable"),
        ({"predictors": {"x": lambda im: np.zeros(len(im))}}, ValueError, "integer labels"),
        ({"predictors": {"x": lambda im: np.full(len(im), 12)}}, ValueError, "outside"),
        ({"label_names": ["0", "1"]}, ValueError, r"labels must be class ids in \[0, 2\)"),
        ({"label_names": "0123456789"}, TypeError, "label_names must be a list of str"),
        ({"angles": ()}, ValueError, "at least one value"),
        ({"sigmas": (-1.0,)}, ValueError, "each sigma must be at least 0"),
        ({"labels": np.array([1])}, ValueError, r"labels must have one entry per example \(2\)"),
    ],
)
def test_robustness_explorer_rejects_bad_input(kwargs, error, words):
    arguments = {
        "images": _digits(2),
        "labels": np.array([7, 3]),
        "predictors": _fake_predictors(),
        "label_names": [str(d) for d in range(10)],
        **kwargs,
    }
    with pytest.raises(error, match=words):
        vision.robustness_explorer(**arguments)


# --------------------------------------------------------------------------- model cache key

_SETTINGS = {"seed": 0, "epochs": 1, "n_train": None}


@pytest.mark.parametrize(
    ("module", "old", "new"),
    [
        # the seeded stream the split is drawn from
        ("crossmodal_helpers.datasets._core", "SPLIT_STREAM = 101", "SPLIT_STREAM = 103"),
        # how a class is cut into train / val / test
        (
            "crossmodal_helpers.datasets._core",
            "np.round(np.cumsum(fracs)",
            "np.floor(np.cumsum(fracs)",
        ),
        # how the source images are parsed
        (
            "crossmodal_helpers.datasets.mnist5k",
            "np.clip(np.rint(features)",
            "np.clip(np.floor(features)",
        ),
    ],
)
def test_the_digit_cnn_cache_key_changes_with_the_data_split_logic(
    tmp_path, monkeypatch, module, old, new
):
    """A cached classifier trained on another split must not be reused: editing the split
    or parsing code of the data modules changes the key."""
    import importlib

    loaded = importlib.import_module(module)
    before = vision._model_cache_key(_SETTINGS)
    source = Path(loaded.__file__).read_text(encoding="utf-8")
    assert old in source
    edited = tmp_path / Path(loaded.__file__).name
    edited.write_text(source.replace(old, new), encoding="utf-8")
    monkeypatch.setattr(loaded, "__file__", str(edited))
    assert vision._model_cache_key(_SETTINGS) != before


@pytest.mark.parametrize(("module", "name"), vision._DIGIT_CNN_FUNCTIONS)
def test_the_digit_cnn_cache_key_changes_with_each_function_that_decides_the_model(
    monkeypatch, module, name
):
    import importlib

    before = vision._model_cache_key(_SETTINGS)

    def replacement(*args, **kwargs):
        return "another implementation"

    monkeypatch.setattr(importlib.import_module(module), name, replacement)
    assert vision._model_cache_key(_SETTINGS) != before


def test_the_digit_cnn_cache_key_covers_the_split_functions():
    """The splitting functions train_digit_classifier's data pass through are all hashed."""
    from crossmodal_helpers.datasets import _core, mnist5k

    code = "\n".join(vision._digit_cnn_code())
    for function in (
        mnist5k.load,
        mnist5k.arrays,
        _core.labelled_images,
        _core.split_indices,
        _core.assign_splits,
        _core._cut,
        _core.rng_for,
    ):
        assert inspect.getsource(function) in code, function.__name__
    assert vision._model_cache_key(_SETTINGS) == vision._model_cache_key(dict(_SETTINGS))
    assert vision._model_cache_key(_SETTINGS) != vision._model_cache_key({**_SETTINGS, "seed": 1})
