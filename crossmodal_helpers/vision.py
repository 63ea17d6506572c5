"""Image recognition: rotation and noise, HOG features, the book's digit CNN, a robustness widget.

Introduced in chapter 3. The chapter teaches each piece first; later chapters reuse them in
one line, above all :func:`train_digit_classifier`, the small CNN that judges generated and
reconstructed digits. TensorFlow/Keras, SciPy, scikit-image and ipywidgets are imported
inside the functions that need them, so importing this module is cheap.
"""

from __future__ import annotations

import base64
import hashlib
import html
import importlib
import inspect
import json
import math
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from crossmodal_helpers._checks import (
    check_count,
    check_flag,
    check_images,
    check_labels,
    check_names,
    check_number,
    check_sequence,
    output_classes,
)

if TYPE_CHECKING:
    import ipywidgets
    import keras

#: Epochs of the book's digit CNN. Introduced in chapter 3.
DIGIT_CNN_EPOCHS = 10
#: Mini-batch size and peak learning rate of :func:`fit_digit_cnn`. Introduced in chapter 3.
DIGIT_CNN_BATCH_SIZE = 64
DIGIT_CNN_LEARNING_RATE = 3e-3
#: Bump to invalidate every cached digit classifier written by an older version.
_MODEL_CACHE_FORMAT = 1
#: What decides the cached digit classifier, for its cache key: the data modules whose
#: every line can change which images reach training and in which order (the parsing, the
#: seeded splits and their constants), and the functions that load the split, seed, build
#: and train the model. Looked up when the key is made, so the key follows the code.
_DIGIT_CNN_MODULES = ("crossmodal_helpers.datasets._core", "crossmodal_helpers.datasets.mnist5k")
_DIGIT_CNN_FUNCTIONS = (
    ("crossmodal_helpers.datasets", "load"),
    ("crossmodal_helpers.runtime", "seed_everything"),
    ("crossmodal_helpers.vision", "digit_augmentation"),
    ("crossmodal_helpers.vision", "build_digit_cnn"),
    ("crossmodal_helpers.vision", "fit_digit_cnn"),
    ("crossmodal_helpers.vision", "train_digit_classifier"),
)


# --------------------------------------------------------------------------- perturbations


def rotate(images: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate every image ``degrees`` counter-clockwise about its centre. Introduced in chapter 3.

    ``images`` is a batch, N×H×W or N×H×W×C in [0, 1]; the result is float32 NHWC of the
    same size (corners that come from outside the image are black, i.e. 0), bilinearly
    interpolated. One H×W×C image is rejected with a ``ValueError``: rotate ``image[None]``
    (a batch of one) and take ``[0]`` of the result.
    """
    from scipy import ndimage

    images = check_images(images)
    degrees = check_number(degrees, "degrees")
    if degrees % 360 == 0:
        return images.copy()
    turned = ndimage.rotate(images, degrees, axes=(1, 2), reshape=False, order=1, cval=0.0)
    return np.clip(turned, 0.0, 1.0).astype(np.float32)


def add_noise(images: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    """Add Gaussian pixel noise of standard deviation ``sigma``, clipped to [0, 1].

    Introduced in chapter 3. ``images`` is a batch, N×H×W or N×H×W×C in [0, 1] (one H×W×C
    image is rejected: pass ``image[None]``). The same ``seed`` gives the same noise;
    ``sigma=0`` returns a copy of the images (float32 NHWC).
    """
    images = check_images(images)
    sigma = check_number(sigma, "sigma", minimum=0.0)
    seed = check_count(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    noisy = images + rng.normal(0.0, sigma, size=images.shape).astype(np.float32)
    return np.clip(noisy, 0.0, 1.0).astype(np.float32)


# --------------------------------------------------------------------------- features


def hog_features(
    images: np.ndarray,
    *,
    orientations: int = 9,
    pixels_per_cell: int = 7,
    cells_per_block: int = 2,
) -> np.ndarray:
    """Histogram-of-oriented-gradients vectors, one row per image. Introduced in chapter 3.

    Wraps ``skimage.feature.hog`` (L2-Hys block normalisation) with square cells of
    ``pixels_per_cell`` pixels and blocks of ``cells_per_block`` cells. Colour images use the
    channel with the strongest gradient at each pixel. For a 28×28 digit the defaults give
    4×4 cells, 3×3 overlapping blocks and 3·3·2·2·9 = 324 numbers.
    """
    from skimage.feature import hog

    images = check_images(images)
    orientations = check_count(orientations, "orientations", minimum=1)
    pixels_per_cell = check_count(pixels_per_cell, "pixels_per_cell", minimum=1)
    cells_per_block = check_count(cells_per_block, "cells_per_block", minimum=1)
    if len(images) == 0:
        raise ValueError("images must contain at least one image, got 0")
    smallest = pixels_per_cell * cells_per_block
    if min(images.shape[1:3]) < smallest:
        raise ValueError(
            f"images of {images.shape[1]}×{images.shape[2]} pixels are too small for blocks of "
            f"{cells_per_block}×{cells_per_block} cells of {pixels_per_cell} pixels "
            f"(need at least {smallest}×{smallest})"
        )
    colour = images.shape[-1] == 3
    options = {
        "orientations": orientations,
        "pixels_per_cell": (pixels_per_cell, pixels_per_cell),
        "cells_per_block": (cells_per_block, cells_per_block),
        "block_norm": "L2-Hys",
        "feature_vector": True,
    }
    rows = [
        hog(image if colour else image[..., 0], channel_axis=-1 if colour else None, **options)
        for image in images
    ]
    return np.stack(rows).astype(np.float32)


# --------------------------------------------------------------------------- the digit CNN


def digit_augmentation() -> keras.Sequential:
    """Random label-preserving changes of a digit: rotation, shift, zoom.

    Introduced in chapter 3. Up to ±10° of rotation (the factor is a fraction of a full
    turn), ±10% shift and ±10% zoom, with black (0) filled in. No flips and no large
    rotations: a mirrored 2 or a 6 turned upside down is no longer the same digit.
    Keras' random layers change their input when called directly or inside ``fit``, and
    pass it through with ``training=False``.
    """
    import keras
    from keras import layers

    return keras.Sequential(
        [
            layers.RandomRotation(10 / 360, fill_mode="constant"),
            layers.RandomTranslation(0.1, 0.1, fill_mode="constant"),
            layers.RandomZoom(0.1, fill_mode="constant"),
        ],
        name="augment",
    )


def build_digit_cnn(
    input_shape: tuple[int, int, int] = (28, 28, 1), n_classes: int = 10
) -> keras.Model:
    """The book's small digit CNN (Keras functional API). Introduced in chapter 3.

    Two convolution + max-pooling stages, then dropout on the flattened features, a
    dense layer and the softmax. It holds no augmentation, so ``model(images)`` and
    ``model.predict(images)`` agree; :func:`fit_digit_cnn` adds the augmentation around
    it for training only.
    """
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Conv2D(16, 5, padding="same", activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = layers.Conv2D(32, 5, padding="same", activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(2, name="pool2")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(0.3, name="dropout")(x)
    x = layers.Dense(64, activation="relu", name="dense")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="softmax")(x)
    return keras.Model(inputs, outputs, name="digit_cnn")


def fit_digit_cnn(
    model: keras.Model,
    images: np.ndarray,
    labels: np.ndarray,
    *,
    epochs: int = DIGIT_CNN_EPOCHS,
    validation_data: tuple[np.ndarray, np.ndarray] | None = None,
) -> keras.callbacks.History:
    """Train ``model`` quietly on augmented ``images`` and ``labels``; return the History.

    Introduced in chapter 3. The model is trained inside ``Sequential([digit_augmentation(),
    model])``, which shares its weights, with softmax cross-entropy and Adam, the learning
    rate decaying along a cosine from ``DIGIT_CNN_LEARNING_RATE`` to 0 over the run, on
    mini-batches of ``DIGIT_CNN_BATCH_SIZE``. Afterwards ``model`` is compiled with the same
    loss and accuracy, so ``model.evaluate`` works. Seed first
    (``runtime.seed_everything``) for a repeatable run.
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    images = check_images(images)
    n_classes = output_classes(model)
    labels = check_labels(labels, n=len(images), n_classes=n_classes)
    epochs = check_count(epochs, "epochs", minimum=1)
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError("validation_data must be a pair (images, labels)")
        val_images = check_images(validation_data[0], name="validation images")
        val_labels = check_labels(
            validation_data[1], "validation labels", n=len(val_images), n_classes=n_classes
        )
        validation_data = (val_images, val_labels)
    steps = epochs * math.ceil(len(images) / DIGIT_CNN_BATCH_SIZE)
    schedule = keras.optimizers.schedules.CosineDecay(DIGIT_CNN_LEARNING_RATE, steps)
    trainer = keras.Sequential([digit_augmentation(), model], name="augmented_digit_cnn")
    trainer.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = trainer.fit(
        images,
        labels,
        epochs=epochs,
        batch_size=DIGIT_CNN_BATCH_SIZE,
        validation_data=validation_data,
        verbose=0,
    )
    _compile_for_evaluation(model)
    return history


def _compile_for_evaluation(model: keras.Model) -> None:
    """Compile ``model`` with the loss and metric ``evaluate`` needs, and no optimizer state."""
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])


def _digit_cnn_code() -> list[str]:
    """The source of every module and function that decides the cached digit classifier."""
    sources = [inspect.getsource(importlib.import_module(name)) for name in _DIGIT_CNN_MODULES]
    for module, name in _DIGIT_CNN_FUNCTIONS:
        sources.append(inspect.getsource(getattr(importlib.import_module(module), name)))
    return sources


def _model_cache_key(settings: dict[str, Any]) -> str:
    """A cache key that changes with the settings, the data and model code, and Keras."""
    import keras

    from crossmodal_helpers.datasets import mnist5k

    identity = {
        **settings,
        "format": _MODEL_CACHE_FORMAT,
        "keras": keras.__version__,
        "data": mnist5k.CACHE_KEY,
        "code": _digit_cnn_code(),
        "constants": [DIGIT_CNN_BATCH_SIZE, DIGIT_CNN_LEARNING_RATE],
    }
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    return f"digit-cnn-{digest[:16]}"


def _load_cached_model(path: Path, manifest: Path) -> keras.Model | None:
    """The cached model, or None if it is missing, corrupt or does not match its manifest."""
    import keras

    try:
        expected = json.loads(manifest.read_text(encoding="utf-8"))
        payload = path.read_bytes()
    except (OSError, ValueError):
        return None
    if not isinstance(expected, dict) or expected.get("sha256") != (
        hashlib.sha256(payload).hexdigest()
    ):
        return None
    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception:  # a damaged archive raises many kinds of errors
        return None
    _compile_for_evaluation(model)
    return model


def _save_cached_model(model: keras.Model, path: Path, manifest: Path) -> None:
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.keras")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        manifest.unlink(missing_ok=True)
        model.save(tmp)
        digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
        tmp.replace(path)
        manifest_tmp = manifest.with_name(f"{manifest.name}.{os.getpid()}.tmp")
        manifest_tmp.write_text(json.dumps({"sha256": digest}) + "\n", encoding="utf-8")
        manifest_tmp.replace(manifest)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        warnings.warn(
            f"could not cache the digit classifier in {path.parent} ({err})",
            RuntimeWarning,
            stacklevel=3,
        )


def train_digit_classifier(
    seed: int = 0,
    *,
    epochs: int = DIGIT_CNN_EPOCHS,
    n_train: int | None = None,
    cache: bool = True,
) -> keras.Model:
    """The book's digit classifier: :func:`build_digit_cnn` trained on the mnist5k train split.

    Introduced in chapter 3 and used by later chapters to judge generated and reconstructed
    digits. Seeds everything with ``seed`` (``runtime.seed_everything``), so a run repeats
    exactly on the same machine; ``n_train`` keeps only the first images of the (shuffled)
    train split. With ``cache=True`` the trained model is kept as a ``.keras`` file in the
    data cache folder (``datasets.cache_dir()``) under a key made from the settings, the
    source of the data loading, splitting and model code, and the Keras version; a missing
    or corrupt file is rebuilt. Either way the call ends by re-seeding everything with
    ``seed``, so what a chapter trains afterwards does not depend on whether the cache was
    warm.
    """
    from crossmodal_helpers import datasets, runtime

    seed = check_count(seed, "seed", minimum=0)
    epochs = check_count(epochs, "epochs", minimum=1)
    if n_train is not None:
        n_train = check_count(n_train, "n_train", minimum=1)
    cache = check_flag(cache, "cache")
    runtime.quiet_tensorflow()
    key = _model_cache_key({"seed": seed, "epochs": epochs, "n_train": n_train})
    path = datasets.cache_dir() / f"{key}.keras"
    manifest = datasets.cache_dir() / f"{key}.json"
    if cache and (path.exists() or manifest.exists()):
        model = _load_cached_model(path, manifest)
        if model is not None:
            runtime.seed_everything(seed)
            return model
        warnings.warn(
            f"the digit classifier cache {path} is damaged or incomplete; rebuilding it",
            RuntimeWarning,
            stacklevel=2,
        )
    train = datasets.load("mnist5k", split="train", seed=0)
    if n_train is not None and n_train > len(train):
        raise ValueError(f"n_train must be at most {len(train)} (the train split), got {n_train}")
    images, labels = train.images[:n_train], train.labels[:n_train]
    runtime.seed_everything(seed)
    model = build_digit_cnn()
    fit_digit_cnn(model, images, labels, epochs=epochs)
    if cache:
        _save_cached_model(model, path, manifest)
    runtime.seed_everything(seed)
    return model


# --------------------------------------------------------------------------- widget


def _predicted(output: Any, n: int, n_classes: int, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(labels, confidences) from a predictor's probabilities (N, K) or labels (N,)."""
    output = np.asarray(output)
    if output.shape == (n, n_classes):
        return output.argmax(axis=1), output.max(axis=1)
    if output.shape == (n,) and np.issubdtype(output.dtype, np.integer):
        if output.min() < 0 or output.max() >= n_classes:
            raise ValueError(
                f"predictor {name!r} returned labels outside [0, {n_classes}): "
                f"[{output.min()}, {output.max()}]"
            )
        return output, np.full(n, np.nan)
    raise ValueError(
        f"predictor {name!r} must return probabilities of shape ({n}, {n_classes}) or integer "
        f"labels of shape ({n},), got shape {output.shape} and dtype {output.dtype}"
    )


def robustness_explorer(
    images: np.ndarray,
    labels: np.ndarray,
    predictors: Mapping[str, Callable[[np.ndarray], Any]],
    label_names: Sequence[str],
    *,
    angles: Sequence[float] = (0, 30, 60, 90, 120, 150, 180),
    sigmas: Sequence[float] = (0.0, 0.2, 0.4, 0.6),
    seed: int = 0,
    display_px: int = 112,
) -> ipywidgets.VBox:
    """Rotate and add noise to a few digits and compare the models' predictions.

    Introduced in chapter 3. Every (image, angle, noise level) is rendered and predicted
    ahead of time, and the controls are linked in the browser (``jslink``), so the widget
    works live in Jupyter/Colab and in the static website. ``predictors`` maps a model name
    to a function from a batch of images to probabilities (N, K) or integer labels (N,).
    Keep it small: len(images) × len(angles) × len(sigmas) pages are embedded in the page.
    Digits are drawn as dark ink on white, like ``plots.show_images``.
    """
    import ipywidgets as widgets

    from crossmodal_helpers.widgets import pages, panel, show_page, to_png

    images = check_images(images)
    if len(images) == 0:
        raise ValueError("images must contain at least one image, got 0")
    names = check_names(label_names, "label_names")
    if not names:
        raise ValueError("label_names must name at least one class, got none")
    labels = check_labels(labels, n=len(images), n_classes=len(names))
    if not isinstance(predictors, Mapping) or not predictors:
        raise TypeError("predictors must be a non-empty dict {model name: predict function}")
    for name, predict in predictors.items():
        if not callable(predict):
            raise TypeError(f"predictors[{name!r}] must be callable, got {type(predict).__name__}")
    display_px = check_count(display_px, "display_px", minimum=1)
    angles = [check_number(a, "each angle") for a in check_sequence(angles, "angles")]
    sigmas = [check_number(s, "each sigma", minimum=0.0) for s in check_sequence(sigmas, "sigmas")]
    if not angles or not sigmas:
        raise ValueError("angles and sigmas must each contain at least one value")

    # Every variant, in the order (image, angle, sigma), predicted in one batch per model.
    variants = np.stack(
        [
            add_noise(rotate(images[i : i + 1], angle), sigma, seed)[0]
            for i in range(len(images))
            for angle in angles
            for sigma in sigmas
        ]
    )
    predictions = {
        name: _predicted(predict(variants), len(variants), len(names), name)
        for name, predict in predictors.items()
    }
    scale = max(1, display_px // max(images.shape[1:3]))

    def page(index: int, truth: int) -> ipywidgets.HTML:
        rows = []
        for name, (predicted, confidence) in predictions.items():
            guess = int(predicted[index])
            mark = ("#1b7f3b", "right") if guess == truth else ("#b3261e", "wrong")
            sure = "" if np.isnan(confidence[index]) else f" (p = {confidence[index]:.2f})"
            rows.append(
                f"<div>{html.escape(name)}: <b style='color:{mark[0]}'>"
                f"{html.escape(names[guess])}</b>{sure}, {mark[1]}</div>"
            )
        picture = base64.b64encode(to_png(1.0 - variants[index], scale)).decode("ascii")
        return widgets.HTML(
            "<div style='display:flex;align-items:center;gap:12px'>"
            f"<img alt='the transformed digit' src='data:image/png;base64,{picture}'>"
            f"<div>{''.join(rows)}</div></div>"
        )

    angle_slider = widgets.SelectionSlider(
        options=[(f"{a:g}°", a) for a in angles], description="rotation"
    )
    sigma_slider = widgets.SelectionSlider(
        options=[(f"{s:g}", s) for s in sigmas], description="noise σ"
    )
    digit_buttons = widgets.ToggleButtons(
        options=[f"#{i}: {names[y]}" for i, y in enumerate(labels)], description="digit"
    )
    angle_titles = [f"{a:g}°" for a in angles]
    sigma_titles = [f"σ {s:g}" for s in sigmas]
    digit_pages, index = [], 0
    for truth in labels:
        angle_pages = []
        for _ in angles:
            by_sigma = pages(
                [page(index + k, int(truth)) for k in range(len(sigmas))], sigma_titles
            )
            show_page(sigma_slider, by_sigma)
            angle_pages.append(by_sigma)
            index += len(sigmas)
        by_angle = pages(angle_pages, angle_titles)
        show_page(angle_slider, by_angle)
        digit_pages.append(by_angle)
    by_digit = pages(digit_pages, list(digit_buttons.options))
    show_page(digit_buttons, by_digit)
    return panel(
        f"<b>Rotate a digit, add noise, compare {' and '.join(map(html.escape, predictors))}</b>",
        digit_buttons,
        angle_slider,
        sigma_slider,
        by_digit,
    )
