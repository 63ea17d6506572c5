"""Generative adversarial networks: DCGAN builders, a GAN model with its own ``train_step``.

Introduced in chapter 7. A GAN is two networks trained against each other: a
**generator** :math:`G` that turns random noise :math:`z` (and, in a conditional GAN, a
condition :math:`c` such as an embedding of a description) into an image, and a
**discriminator** :math:`D` that tells real images from generated ones. :class:`GAN` puts
both into one ``keras.Model`` whose ``train_step`` plays one round of the game per batch, so
``fit`` trains a GAN like any other model::

    model = GAN(build_generator(), build_discriminator())
    model.compile(d_optimizer=keras.optimizers.Adam(2e-4), g_optimizer=keras.optimizers.Adam(2e-3))
    model.fit(images, epochs=10)
    generate(model.generator, 16)                  # 16 new images

A conditional GAN takes one condition vector per image: build both networks with
``condition_dim=...`` and call ``fit([images, conditions])``.

The module also measures generated images: :func:`frechet_distance` between two sets of
features, :func:`class_coverage` and :func:`class_entropy` of a classifier's predictions,
and a :func:`description_explorer` widget that turns descriptions into samples. SciPy and
ipywidgets are imported by the functions that need them. :class:`GAN` is registered for
serialisation, so a saved GAN loads with ``keras.models.load_model`` once this module is
imported.
"""

from __future__ import annotations

import base64
import html
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from crossmodal_helpers._checks import (
    check_allocation,
    check_count,
    check_flag,
    check_fraction,
    check_images,
    check_model_inputs,
    check_number,
    check_numeric_array,
    check_positive,
    check_texts,
    check_width,
)
from crossmodal_helpers._types import Tensor

#: Length of the noise vector :math:`z` of the chapter's generators. Introduced in chapter 7.
LATENT_DIM = 64
#: The shape of one MNIST digit, the default image shape of the builders.
IMAGE_SHAPE = (28, 28, 1)


# --------------------------------------------------------------------------- argument checks


def _check_image_shape(shape: Any) -> tuple[int, int, int]:
    if isinstance(shape, str) or not isinstance(shape, Sequence) or len(shape) != 3:
        raise ValueError(f"image_shape must be (height, width, channels), got {shape!r}")
    height, width, channels = (check_width(s, "each entry of image_shape") for s in shape)
    if height % 4 or width % 4:
        raise ValueError(
            "image_shape must have a height and width divisible by 4 (two stride-2 "
            f"layers), got {height}×{width}"
        )
    return height, width, channels


# --------------------------------------------------------------------------- builders


def build_generator(
    latent_dim: int = LATENT_DIM,
    *,
    condition_dim: int = 0,
    width: int = 16,
    image_shape: Sequence[int] = IMAGE_SHAPE,
) -> keras.Model:
    """The DCGAN generator :math:`G(z)`, or :math:`G(z, c)` with a condition.

    Introduced in chapter 7.

    Dense → reshape to a quarter-size map of ``2 * width`` channels → a stride-2
    ``Conv2DTranspose`` to half size (``width`` channels) → a stride-2 ``Conv2DTranspose``
    to the full image. Batch normalisation and ReLU between the layers, a sigmoid at the
    end, so pixels are in [0, 1] like the book's images (Radford et al., 2016). With
    ``condition_dim`` > 0 the model has two inputs, ``[z, c]``, concatenated before the
    dense layer (Mirza and Osindero, 2014).
    """
    latent_dim = check_width(latent_dim, "latent_dim")
    condition_dim = check_count(condition_dim, "condition_dim", minimum=0, maximum=2**14)
    width = check_width(width, "width")
    height, side, channels = _check_image_shape(image_shape)
    layers = keras.layers

    noise = keras.Input(shape=(latent_dim,), name="noise")
    inputs = [noise]
    x = noise
    if condition_dim:
        condition = keras.Input(shape=(condition_dim,), name="condition")
        inputs.append(condition)
        x = layers.Concatenate(name="noise_and_condition")([noise, condition])
    x = layers.Dense(height // 4 * side // 4 * 2 * width, use_bias=False, name="project")(x)
    x = layers.ReLU()(layers.BatchNormalization(name="project_bn")(x))
    x = layers.Reshape((height // 4, side // 4, 2 * width), name="to_map")(x)
    x = layers.Conv2DTranspose(width, 4, strides=2, padding="same", use_bias=False, name="up1")(x)
    x = layers.ReLU()(layers.BatchNormalization(name="up1_bn")(x))
    image = layers.Conv2DTranspose(
        channels, 4, strides=2, padding="same", activation="sigmoid", name="image"
    )(x)
    return keras.Model(inputs if condition_dim else noise, image, name="generator")


def build_discriminator(
    image_shape: Sequence[int] = IMAGE_SHAPE,
    *,
    condition_dim: int = 0,
    width: int = 16,
    hidden: int = 64,
) -> keras.Model:
    """The DCGAN discriminator :math:`D(x)`, or :math:`D(x, c)` with a condition.

    Introduced in chapter 7.

    Two stride-2 convolutions (``width`` and ``2 * width`` filters, LeakyReLU, no batch
    normalisation) and a dense LeakyReLU layer give features :math:`h(x)`; a linear unit gives
    the logit of "real", :math:`w^\\top h(x) + b` (a sigmoid turns it into :math:`D`). With
    ``condition_dim`` > 0 the model takes ``[x, c]`` and adds the *projection* term
    :math:`(V c)^\\top h(x)` to the logit (Miyato and Koyama, 2018), so that it can judge whether
    the image fits the condition.
    """
    image_shape = _check_image_shape(image_shape)
    condition_dim = check_count(condition_dim, "condition_dim", minimum=0, maximum=2**14)
    width = check_width(width, "width")
    hidden = check_width(hidden, "hidden")
    layers = keras.layers

    image = keras.Input(shape=image_shape, name="image")
    x = layers.Conv2D(width, 4, strides=2, padding="same", name="conv1")(image)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(2 * width, 4, strides=2, padding="same", name="conv2")(x)
    x = layers.LeakyReLU(0.2)(x)
    features = layers.LeakyReLU(0.2)(layers.Dense(hidden, name="features")(layers.Flatten()(x)))
    logit = layers.Dense(1, name="real")(features)
    inputs = image
    if condition_dim:
        condition = keras.Input(shape=(condition_dim,), name="condition")
        inputs = [image, condition]
        projected = layers.Dense(hidden, use_bias=False, name="projection")(condition)
        logit = layers.Add(name="real_given_condition")(
            [logit, ops.sum(projected * features, axis=-1, keepdims=True)]
        )
    return keras.Model(inputs, logit, name="discriminator")


# --------------------------------------------------------------------------- the GAN model


def _players_config(model: keras.Model) -> dict[str, Any]:
    """The serialised generator and discriminator of a two-player model's config."""
    return {
        part: keras.saving.serialize_keras_object(getattr(model, part))
        for part in ("generator", "discriminator")
    }


def _players_from_config(config: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``config`` with the generator and discriminator deserialised."""
    config = dict(config)
    for part in ("generator", "discriminator"):
        config[part] = keras.saving.deserialize_keras_object(config[part])
    return config


class _TwoPlayers(keras.Model):
    """What :class:`GAN` and :class:`ToyGAN` share: two networks saved together, and an
    optimiser for each. Subclasses give their other settings in ``_settings`` and their
    metrics in ``_trackers``."""

    generator: keras.Model
    discriminator: keras.Model

    def _settings(self) -> dict[str, Any]:
        return {}

    def _trackers(self) -> dict[str, keras.metrics.Metric]:
        return {}

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **_players_config(self), **self._settings()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        return cls(**_players_from_config(config))

    def compile(
        self,
        d_optimizer: keras.optimizers.Optimizer,
        g_optimizer: keras.optimizers.Optimizer,
        **kwargs: Any,
    ) -> None:
        super().compile(**kwargs)
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        self.trackers = self._trackers()

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(getattr(self, "trackers", {}).values())


@keras.saving.register_keras_serializable(package="crossmodal_helpers")
class GAN(_TwoPlayers):
    """A generator and a discriminator trained against each other by ``fit``.

    Introduced in chapter 7. ``fit(images)`` trains an unconditional GAN and
    ``fit([images, conditions])`` a conditional one. Each batch is one round of the
    game: the discriminator's loss is binary cross-entropy with target 1 (or
    ``1 - label_smoothing``) on real and 0 on generated images; the generator's loss is
    the non-saturating :math:`-\\log D(G(z))`. For conditional GANs, ``matching_aware`` also
    teaches the discriminator to reject real images paired with another example's
    condition (Reed et al., 2016), and ``mode_seeking`` > 0 adds that weight times
    :math:`1 / (\\lvert G(z_1, c) - G(z_2, c) \\rvert / \\lvert z_1 - z_2 \\rvert)` to the
    generator's loss, so that different noise gives different images (Mao et al., 2019).
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        *,
        label_smoothing: float = 0.0,
        matching_aware: bool = False,
        mode_seeking: float = 0.0,
        seed: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = generator.inputs[0].shape[-1]
        self.conditional = len(generator.inputs) == 2
        self.judges_condition = len(discriminator.inputs) == 2
        if matching_aware and not self.judges_condition:
            raise ValueError(
                "matching_aware needs a discriminator that takes the condition "
                "(build_discriminator(condition_dim=...))"
            )
        self.matching_aware = bool(matching_aware)
        self.mode_seeking = check_fraction(mode_seeking, "mode_seeking")
        self.label_smoothing = check_fraction(label_smoothing, "label_smoothing", closed=False)
        self.real_target = 1.0 - self.label_smoothing
        self.seed = check_count(seed, "seed", minimum=0)
        self.noise_seed = keras.random.SeedGenerator(self.seed)

    def _settings(self) -> dict[str, Any]:
        return {
            "label_smoothing": self.label_smoothing,
            "matching_aware": self.matching_aware,
            "mode_seeking": self.mode_seeking,
            "seed": self.seed,
        }

    def compile(
        self,
        d_optimizer: keras.optimizers.Optimizer,
        g_optimizer: keras.optimizers.Optimizer,
        **kwargs: Any,
    ) -> None:
        super().compile(d_optimizer, g_optimizer, **kwargs)
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)

    def _trackers(self) -> dict[str, keras.metrics.Metric]:
        names = ("d_loss", "g_loss", "real_score", "fake_score")
        return {name: keras.metrics.Mean(name=name) for name in names}

    def fit(self, x: Any = None, *args: Any, **kwargs: Any) -> keras.callbacks.History:
        """Train both players on ``images``, or ``[images, conditions]`` if conditional.

        As ``keras.Model.fit``, after checking NumPy input: the images must be a batch
        with values in [0, 1] and no NaN, the conditions finite numbers with one row per
        image. A ``tf.data.Dataset`` or other data source is passed on unchecked: its
        batches are tensors inside training.
        """
        arrays = list(x) if isinstance(x, (list, tuple)) else [x]
        if all(isinstance(array, np.ndarray) for array in arrays):
            if len(arrays) != 1 + self.conditional:
                expected = "[images, conditions]" if self.conditional else "images"
                raise ValueError(f"x must be {expected}, got {len(arrays)} arrays")
            images = check_images(arrays[0], name="images")
            if self.conditional:
                conditions = check_model_inputs(arrays[1], "conditions")
                if len(conditions) != len(images):
                    raise ValueError(
                        f"conditions must have one row per image ({len(images)}), "
                        f"got {len(conditions)}"
                    )
        return super().fit(x, *args, **kwargs)

    def train_step(self, data: Tensor | tuple[Tensor, ...]) -> dict[str, Tensor]:
        inputs = keras.utils.unpack_x_y_sample_weight(data)[0]
        images, conditions = inputs if self.conditional else (inputs, None)
        noise = keras.random.normal((tf.shape(images)[0], self.latent_dim), seed=self.noise_seed)
        with tf.GradientTape() as d_tape, tf.GradientTape() as g_tape:
            fakes = self.generator(
                [noise, conditions] if self.conditional else noise, training=True
            )
            pair = (lambda x: [x, conditions]) if self.judges_condition else (lambda x: x)
            real_logit = self.discriminator(pair(images), training=True)
            fake_logit = self.discriminator(pair(fakes), training=True)
            d_loss = self.bce(
                tf.fill(tf.shape(real_logit), self.real_target), real_logit
            ) + self.bce(tf.zeros_like(fake_logit), fake_logit)
            if self.matching_aware:
                wrong = self.discriminator([images, tf.roll(conditions, 1, axis=0)], training=True)
                d_loss += self.bce(tf.zeros_like(wrong), wrong)
            g_loss = self.bce(tf.ones_like(fake_logit), fake_logit)  # non-saturating
            if self.mode_seeking:  # MSGAN: other noise, same condition, other image
                half = tf.shape(images)[0] // 2
                other_noise = keras.random.normal((half, self.latent_dim), seed=self.noise_seed)
                others = self.generator(
                    [other_noise, conditions[:half]] if self.conditional else other_noise,
                    training=True,
                )
                ratio = tf.reduce_mean(tf.abs(fakes[:half] - others)) / tf.reduce_mean(
                    tf.abs(noise[:half] - other_noise)
                )
                g_loss += self.mode_seeking / (ratio + 1e-5)
        d_weights = self.discriminator.trainable_weights
        g_weights = self.generator.trainable_weights
        d_grads = d_tape.gradient(d_loss, d_weights)
        self.d_optimizer.apply_gradients(zip(d_grads, d_weights, strict=True))
        g_grads = g_tape.gradient(g_loss, g_weights)
        self.g_optimizer.apply_gradients(zip(g_grads, g_weights, strict=True))
        for name, value in (
            ("d_loss", d_loss),
            ("g_loss", g_loss),
            ("real_score", tf.reduce_mean(tf.sigmoid(real_logit))),
            ("fake_score", tf.reduce_mean(tf.sigmoid(fake_logit))),
        ):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}


class SampleSnapshots(keras.callbacks.Callback):
    """Keep the generator's samples for fixed noise after every epoch.

    Introduced in chapter 7. ``snapshots[k]`` holds the images after epoch ``k + 1``,
    generated from the same ``noise`` (and ``conditions``) every time, so the figures
    show one set of samples evolving.
    """

    def __init__(self, noise: np.ndarray, conditions: np.ndarray | None = None) -> None:
        super().__init__()
        self.noise = noise
        self.conditions = conditions
        self.snapshots: list[np.ndarray] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        generator = self.model.generator
        inputs = self.noise if self.conditions is None else [self.noise, self.conditions]
        self.snapshots.append(np.asarray(generator(inputs, training=False)))


def noise(n: int, latent_dim: int = LATENT_DIM, *, seed: int = 0) -> np.ndarray:
    """``n`` standard normal noise vectors :math:`z` (float32), the same for the same seed.

    Introduced in chapter 7.
    """
    n = check_count(n, "n")
    latent_dim = check_count(latent_dim, "latent_dim")
    seed = check_count(seed, "seed", minimum=0)
    check_allocation((n, latent_dim), "n")
    return np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)


def generate(
    generator: keras.Model,
    n: int | None = None,
    *,
    conditions: np.ndarray | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Images from a generator: ``n`` of them, or one per row of ``conditions``.

    Introduced in chapter 7. The noise comes from :func:`noise` with ``seed``, so the same
    call returns the same images, and the same seed with different conditions keeps the
    noise — the "style" — fixed while the condition changes.
    """
    if not hasattr(generator, "inputs") or not hasattr(generator, "predict"):
        raise TypeError(f"generator must be a keras.Model, got {type(generator).__name__}")
    conditional = len(generator.inputs) == 2
    if n is not None:
        n = check_count(n, "n")
        check_allocation((n, *generator.outputs[0].shape[1:]), "n")
    seed = check_count(seed, "seed", minimum=0)
    if conditional:
        if conditions is None:
            raise ValueError("conditions must be given for a conditional generator")
        conditions = np.asarray(conditions)
        if not np.issubdtype(conditions.dtype, np.number) or conditions.dtype == np.bool_:
            raise TypeError(f"conditions must hold numbers, got dtype {conditions.dtype}")
        conditions = conditions.astype(np.float32)
        expected = generator.inputs[1].shape[-1]
        if conditions.ndim != 2 or conditions.shape[1] != expected:
            raise ValueError(f"conditions must have shape (N, {expected}), got {conditions.shape}")
        if not np.isfinite(conditions).all():
            raise ValueError("conditions contains NaN or infinite values")
        if n is not None and n != len(conditions):
            raise ValueError(f"n must equal len(conditions) ({len(conditions)}), got {n}")
        n = len(conditions)
    elif conditions is not None:
        raise ValueError("conditions were given, but the generator has no condition input")
    elif n is None:
        raise ValueError("n (the number of images) must be given for an unconditional generator")
    z = noise(n, generator.inputs[0].shape[-1], seed=seed)
    # Direct calls in batches of 512: cheaper than ``predict`` for the few images a
    # figure or a widget asks for, and the same numbers.
    starts = range(0, n, 512)
    batches = [
        generator(
            [z[i : i + 512], conditions[i : i + 512]] if conditional else z[i : i + 512],
            training=False,
        )
        for i in starts
    ]
    return np.concatenate([keras.ops.convert_to_numpy(b) for b in batches])


# --------------------------------------------------------------------------- evaluation


def classifier_features(
    classifier: keras.Model, images: np.ndarray, *, layer: str = "dense"
) -> np.ndarray:
    """The activations of one layer of a trained classifier for ``images``.

    Introduced in chapter 7, to compare generated and real images in a feature space that
    knows about digits: for chapter 3's digit CNN the default ``"dense"`` is its
    penultimate layer (64 ReLU units).
    """
    if not isinstance(classifier, keras.Model):
        raise TypeError(f"classifier must be a keras.Model, got {type(classifier).__name__}")
    if not isinstance(layer, str):
        raise TypeError(f"layer must be a layer name (str), got {type(layer).__name__}")
    images = check_images(images)
    names = [item.name for item in classifier.layers]
    if layer not in names:
        raise ValueError(f"layer must be one of the classifier's layers {names}, got {layer!r}")
    extractor = keras.Model(classifier.inputs, classifier.get_layer(layer).output)
    return extractor.predict(images, batch_size=512, verbose=0)


def _check_features(features: Any, name: str) -> np.ndarray:
    if not isinstance(features, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(features).__name__}")
    if features.ndim != 2:
        raise ValueError(f"{name} must be 2-D (samples, features), got shape {features.shape}")
    if len(features) < 2:
        raise ValueError(f"{name} needs at least 2 samples to estimate a covariance")
    if not np.issubdtype(features.dtype, np.number) or not np.isfinite(features).all():
        raise ValueError(f"{name} must hold finite numbers")
    return features.astype(np.float64)


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """The Fréchet distance between Gaussians fitted to two sets of features.

    Introduced in chapter 7. With means :math:`\\mu_a, \\mu_b` and covariances
    :math:`\\Sigma_a, \\Sigma_b` of the rows,

    .. math::

        d^2 = \\lVert \\mu_a - \\mu_b \\rVert^2
            + \\operatorname{Tr}\\big(\\Sigma_a + \\Sigma_b - 2 (\\Sigma_a \\Sigma_b)^{1/2}\\big),

    the squared 2-Wasserstein distance between the two Gaussians (Heusel et al., 2017).
    On Inception features it is the FID; here the features come from the book's digit CNN.
    Rounding errors below 0 (identical sets) are returned as 0.
    """
    from scipy import linalg

    a = _check_features(features_a, "features_a")
    b = _check_features(features_b, "features_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"features_a and features_b must have the same number of features, got "
            f"{a.shape[1]} and {b.shape[1]}"
        )
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a = np.atleast_2d(np.cov(a, rowvar=False))
    cov_b = np.atleast_2d(np.cov(b, rowvar=False))
    with warnings.catch_warnings():  # dead ReLU units make a covariance singular
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        root = linalg.sqrtm(cov_a @ cov_b)
        if not np.isfinite(root).all():  # nudge both covariances off singularity
            offset = np.eye(len(cov_a)) * 1e-6
            root = linalg.sqrtm((cov_a + offset) @ (cov_b + offset))
    distance = float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2 * np.real(root)))
    # A squared distance is >= 0; the matrix square root's rounding can leave about -1e-15.
    return max(distance, 0.0)


def _check_labels(labels: Any, n_classes: Any) -> tuple[np.ndarray, int]:
    n_classes = check_count(n_classes, "n_classes")
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) == 0:
        raise ValueError(f"predicted_labels must be a non-empty 1-D array, got {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"predicted_labels must hold integer class ids, got {labels.dtype}")
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(
            f"predicted_labels must be in [0, {n_classes}), got [{labels.min()}, {labels.max()}]"
        )
    return labels, n_classes


def class_shares(predicted_labels: Any, n_classes: int) -> np.ndarray:
    """The share of samples predicted as each class (sums to 1). Introduced in chapter 7."""
    labels, n_classes = _check_labels(predicted_labels, n_classes)
    return np.bincount(labels, minlength=n_classes) / len(labels)


def class_coverage(
    predicted_labels: Any, n_classes: int, *, min_share: float | None = None
) -> float:
    """The fraction of classes that get at least ``min_share`` of the samples.

    Introduced in chapter 7. A class counts as covered when a classifier assigns it at
    least ``min_share`` of the generated samples; the default is half of a fair share,
    :math:`1 / (2K)` for :math:`K` classes. A generator that drops digits (mode collapse)
    scores below 1.
    """
    shares = class_shares(predicted_labels, n_classes)
    if min_share is None:
        min_share = 0.5 / len(shares)
    min_share = check_fraction(min_share, "min_share")
    return float(np.mean(shares >= min_share))


def class_entropy(predicted_labels: Any, n_classes: int) -> float:
    """The entropy, in bits, of the predicted classes (:math:`\\log_2 K` when all are equal).

    Introduced in chapter 7.
    """
    shares = class_shares(predicted_labels, n_classes)
    present = shares[shares > 0]
    return float(-(present * np.log2(present)).sum())


# --------------------------------------------------------------------------- widget


def _strip_png(images: np.ndarray, scale: int) -> bytes:
    """One PNG of images side by side, dark ink on white, 2-pixel white gaps."""
    from crossmodal_helpers.widgets import to_png

    images = 1.0 - check_images(images)
    gap = np.ones((images.shape[1], 2, images.shape[3]), dtype=np.float32)
    row = np.concatenate([part for image in images for part in (image, gap)][:-1], axis=1)
    return to_png(row, scale)


def description_explorer(
    generate_images: Callable[[list[str]], np.ndarray],
    descriptions: Sequence[str],
    *,
    read: Callable[[list[str]], list[str]] | None = None,
    n_samples: int = 8,
    display_px: int = 56,
    live: bool = True,
) -> Any:
    """Type or pick a description and see the images a conditional generator draws for it.

    Introduced in chapter 7. ``generate_images(texts)`` returns one image per text. Every
    description in ``descriptions`` is rendered ahead of time (``n_samples`` images, the
    text repeated) into :func:`~crossmodal_helpers.widgets.pages` linked to a ``Dropdown``
    in the browser (``jslink``), so that part works on the static website too. With
    ``live=True`` a text box below generates samples for any typed description; it needs a
    running kernel (Jupyter or Colab). ``read(texts)``, if given, says how the model reads
    each text.
    """
    import ipywidgets as widgets

    from crossmodal_helpers.widgets import pages, panel, picture, show_page

    descriptions = check_texts(descriptions, "descriptions", nonempty=True)
    if not descriptions:
        raise ValueError("descriptions must be a non-empty list of str")
    if read is not None and not callable(read):
        raise TypeError(f"read must be callable or None, got {type(read).__name__}")
    live = check_flag(live, "live")
    if not callable(generate_images):
        raise TypeError(f"generate_images must be callable, got {type(generate_images).__name__}")
    n_samples = check_count(n_samples, "n_samples")
    display_px = check_count(display_px, "display_px")

    def render(text: str) -> tuple[bytes, str]:
        images = np.asarray(generate_images([text] * n_samples))
        if len(images) != n_samples:
            raise ValueError(
                f"generate_images must return one image per text ({n_samples}), got {len(images)}"
            )
        scale = max(1, display_px // max(images.shape[1:3]))
        reading = f"read as: <b>{html.escape(read([text])[0])}</b>" if read else ""
        return _strip_png(images, scale), reading

    drawn = []
    for text in descriptions:
        png, reading = render(text)
        alt = f"{n_samples} images generated from the description “{text}”"
        drawn.append(widgets.VBox([picture(png, alt), widgets.HTML(reading)]))
    shown = pages(drawn, list(descriptions))
    chooser = widgets.Dropdown(options=list(descriptions), description="description")
    show_page(chooser, shown)
    parts = [chooser, shown]
    if live:
        box = widgets.Text(
            placeholder="e.g. the number before five",
            description="your text",
            continuous_update=False,
        )
        # An HTML image, filled on demand: an empty Image widget would be a broken image
        # on the static website.
        typed = widgets.HTML("")
        note = widgets.HTML("<i>typing needs a running kernel (Jupyter or Colab)</i>")

        def update(change: dict) -> None:
            text = change["new"].strip()
            if text:
                png, note.value = render(text)
                encoded = base64.b64encode(png).decode("ascii")
                alt = html.escape(f"samples for {text}", quote=True)
                typed.value = f'<img src="data:image/png;base64,{encoded}" alt="{alt}">'

        box.observe(update, names="value")
        parts += [box, typed, note]
    return panel(
        f"<b>From a description to images</b>: {n_samples} samples per description", *parts
    )


# --------------------------------------------------------------------------- 2-D toy GANs


def ring_centres(modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """The ``modes`` centres of :func:`ring_of_gaussians`, evenly spaced on a circle.

    Introduced in chapter 7. Returns a float32 array of shape ``(modes, 2)``.
    """
    modes = check_count(modes, "modes", minimum=2, maximum=1024)
    radius = check_positive(radius, "radius")
    angles = 2 * np.pi * np.arange(modes) / modes
    return (radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)).astype(np.float32)


def ring_of_gaussians(
    n: int, *, modes: int = 8, radius: float = 2.0, std: float = 0.05, seed: int = 0
) -> np.ndarray:
    """``n`` points from an equal mixture of 2-D Gaussians on a ring (Metz et al., 2017).

    Introduced in chapter 7. Each point picks one of the ``modes`` centres of
    :func:`ring_centres` at random and adds isotropic noise of standard deviation
    ``std``. Returns a float32 array of shape ``(n, 2)``, the same for the same seed.
    """
    n = check_count(n, "n")
    check_allocation((n, 2), "n")
    std = check_positive(std, "std")
    seed = check_count(seed, "seed", minimum=0)
    centres = ring_centres(modes, radius)
    rng = np.random.default_rng(seed)
    picks = rng.integers(len(centres), size=n)
    return (centres[picks] + std * rng.standard_normal((n, 2))).astype(np.float32)


def mode_statistics(
    samples: Any,
    centres: Any,
    std: float,
    *,
    min_share: float = 0.02,
) -> dict[str, Any]:
    """Which modes of a Gaussian mixture a set of 2-D samples covers, and how well.

    Introduced in chapter 7. A sample is *high quality* if it lies within three standard
    deviations (``3 * std``) of a centre, and it then belongs to the nearest centre; a
    mode is *covered* if at least ``min_share`` of all samples belong to it. Returns a
    dict with ``covered`` (the number of covered modes), ``high_quality`` (the share of
    high-quality samples) and ``shares`` (the share of samples belonging to each mode).
    """
    samples = check_numeric_array(samples, "samples", ndim=2)
    centres = check_numeric_array(centres, "centres", ndim=2)
    for array, name in ((samples, "samples"), (centres, "centres")):
        if array.shape[1] != 2 or len(array) == 0:
            raise ValueError(f"{name} must have shape (n, 2) with n >= 1, got {array.shape}")
    std = check_positive(std, "std")
    min_share = check_fraction(min_share, "min_share")
    distances = np.linalg.norm(samples[:, None, :] - centres[None, :, :], axis=2)
    nearest = distances.argmin(axis=1)
    close = distances.min(axis=1) <= 3 * std
    shares = np.bincount(nearest[close], minlength=len(centres)) / len(samples)
    return {
        "covered": int((shares >= min_share).sum()),
        "high_quality": float(close.mean()),
        "shares": shares,
    }


def build_toy_generator(
    latent_dim: int = 2, *, width: int = 64, depth: int = 2, name: str = "toy_generator"
) -> keras.Model:
    """A small MLP that maps ``latent_dim``-dimensional noise to a point in the plane.

    Introduced in chapter 7. ``depth`` hidden ReLU layers of ``width`` units, then a
    linear layer with two outputs.
    """
    latent_dim = check_width(latent_dim, "latent_dim")
    width = check_width(width, "width")
    depth = check_count(depth, "depth", maximum=16)
    layers = [keras.layers.Dense(width, activation="relu") for _ in range(depth)]
    return keras.Sequential([keras.Input((latent_dim,)), *layers, keras.layers.Dense(2)], name=name)


def build_toy_discriminator(
    *,
    width: int = 64,
    depth: int = 2,
    spectral_norm: bool = False,
    name: str = "toy_discriminator",
) -> keras.Model:
    """A small MLP that maps a point in the plane to one logit (or critic score).

    Introduced in chapter 7. ``depth`` hidden LeakyReLU layers of ``width`` units and a
    linear output. With ``spectral_norm`` every dense layer is wrapped in
    ``keras.layers.SpectralNormalization`` (Miyato et al., 2018), which divides its
    kernel by an estimate of its largest singular value.
    """
    width = check_width(width, "width")
    depth = check_count(depth, "depth", maximum=16)
    spectral_norm = check_flag(spectral_norm, "spectral_norm")
    wrap = keras.layers.SpectralNormalization if spectral_norm else (lambda layer: layer)
    layers: list[keras.layers.Layer] = []
    for _ in range(depth):
        layers += [wrap(keras.layers.Dense(width)), keras.layers.LeakyReLU(0.2)]
    return keras.Sequential([keras.Input((2,)), *layers, wrap(keras.layers.Dense(1))], name=name)


#: The losses :class:`ToyGAN` knows.
TOY_LOSSES = ("gan", "wgan-gp")


@keras.saving.register_keras_serializable(package="crossmodal_helpers")
class ToyGAN(_TwoPlayers):
    """A GAN on points in the plane, with the standard or the WGAN-GP loss.

    Introduced in chapter 7. With ``loss="gan"`` each batch is one round of the standard
    game (binary cross-entropy for the discriminator, the non-saturating loss for the
    generator). With ``loss="wgan-gp"`` the discriminator is a *critic* :math:`f` that
    takes ``n_critic`` steps per generator step on the loss
    :math:`\\mathbb{E}[f(G(z))] - \\mathbb{E}[f(x)] + \\lambda\\,
    \\mathbb{E}[(\\lVert \\nabla f(\\hat x) \\rVert - 1)^2]`, with :math:`\\hat x` random
    points between real and generated ones (Gulrajani et al., 2017), and the generator
    minimises :math:`-\\mathbb{E}[f(G(z))]`.
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        *,
        loss: str = "gan",
        n_critic: int = 1,
        penalty: float = 0.1,
        seed: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if loss not in TOY_LOSSES:
            raise ValueError(f"loss must be one of {TOY_LOSSES}, got {loss!r}")
        self.generator = generator
        self.discriminator = discriminator
        self.loss_name = loss
        self.n_critic = check_count(n_critic, "n_critic", maximum=100)
        self.penalty = check_number(penalty, "penalty", minimum=0.0)
        self.seed = check_count(seed, "seed", minimum=0)
        self.latent_dim = generator.inputs[0].shape[-1]
        self.noise_seed = keras.random.SeedGenerator(self.seed)

    def _settings(self) -> dict[str, Any]:
        return {
            "loss": self.loss_name,
            "n_critic": self.n_critic,
            "penalty": self.penalty,
            "seed": self.seed,
        }

    def _trackers(self) -> dict[str, keras.metrics.Metric]:
        return {name: keras.metrics.Mean(name=name) for name in ("d_loss", "g_loss")}

    def _noise(self, n: Tensor) -> Tensor:
        return keras.random.normal((n, self.latent_dim), seed=self.noise_seed)

    def _d_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        real_out = self.discriminator(real, training=True)
        fake_out = self.discriminator(fake, training=True)
        if self.loss_name == "gan":
            return tf.reduce_mean(
                tf.nn.softplus(-real_out) + tf.nn.softplus(fake_out)
            )  # -log D(x) - log(1 - D(G(z)))
        mix = keras.random.uniform((tf.shape(real)[0], 1), seed=self.noise_seed)
        between = mix * real + (1 - mix) * fake
        with tf.GradientTape() as tape:
            tape.watch(between)
            score = self.discriminator(between, training=True)
        slope = tf.norm(tape.gradient(score, between), axis=1)
        penalty = tf.reduce_mean((slope - 1.0) ** 2)
        return tf.reduce_mean(fake_out) - tf.reduce_mean(real_out) + self.penalty * penalty

    def train_step(self, data: Tensor | tuple[Tensor, ...]) -> dict[str, Tensor]:
        real = keras.utils.unpack_x_y_sample_weight(data)[0]
        n = tf.shape(real)[0]
        d_weights = self.discriminator.trainable_weights
        for _ in range(self.n_critic):
            fake = self.generator(self._noise(n), training=True)
            with tf.GradientTape() as tape:
                d_loss = self._d_loss(real, fake)
            grads = tape.gradient(d_loss, d_weights)
            self.d_optimizer.apply_gradients(zip(grads, d_weights, strict=True))
        g_weights = self.generator.trainable_weights
        with tf.GradientTape() as tape:
            fake_out = self.discriminator(self.generator(self._noise(n), training=True))
            if self.loss_name == "gan":
                g_loss = tf.reduce_mean(tf.nn.softplus(-fake_out))  # -log D(G(z))
            else:
                g_loss = -tf.reduce_mean(fake_out)
        grads = tape.gradient(g_loss, g_weights)
        self.g_optimizer.apply_gradients(zip(grads, g_weights, strict=True))
        self.trackers["d_loss"].update_state(d_loss)
        self.trackers["g_loss"].update_state(g_loss)
        return {name: tracker.result() for name, tracker in self.trackers.items()}


# --------------------------------------------------------------------------- checkerboard artefacts

#: The up-sampling methods of :func:`build_upsampler`.
UPSAMPLING_METHODS = ("transposed", "resize")


def build_upsampler(
    method: str = "transposed",
    *,
    kernel_size: int = 3,
    blocks: int = 3,
    width: int = 16,
    latent_dim: int = 16,
    name: str | None = None,
) -> keras.Model:
    """A small DCGAN-style generator that doubles a 4×4 map ``blocks`` times.

    Introduced in chapter 7. Noise → dense layer → 4×4×``width`` map (ReLU), then
    ``blocks`` up-sampling blocks of ``width`` channels with ReLU, then a 3×3 convolution
    to one channel with a sigmoid. ``method="transposed"`` up-samples with a stride-2
    transposed convolution of ``kernel_size``; ``method="resize"`` with nearest-neighbour
    resizing followed by an ordinary convolution of ``kernel_size`` (Odena et al., 2016).
    The output is ``4 * 2**blocks`` pixels on a side.
    """
    if method not in UPSAMPLING_METHODS:
        raise ValueError(f"method must be one of {UPSAMPLING_METHODS}, got {method!r}")
    kernel_size = check_count(kernel_size, "kernel_size", maximum=15)
    blocks = check_count(blocks, "blocks", maximum=6)
    width = check_width(width, "width")
    latent_dim = check_width(latent_dim, "latent_dim")
    layers: list[keras.layers.Layer] = [
        keras.Input((latent_dim,)),
        keras.layers.Dense(4 * 4 * width, activation="relu"),
        keras.layers.Reshape((4, 4, width)),
    ]
    for _ in range(blocks):
        if method == "transposed":
            layers.append(
                keras.layers.Conv2DTranspose(
                    width, kernel_size, strides=2, padding="same", activation="relu"
                )
            )
        else:
            layers += [
                keras.layers.UpSampling2D(2, interpolation="nearest"),
                keras.layers.Conv2D(width, kernel_size, padding="same", activation="relu"),
            ]
    layers.append(keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid"))
    return keras.Sequential(layers, name=name or f"{method}_upsampler")


def nyquist_share(images: Any) -> float:
    """The share of an image's varying energy at the highest (Nyquist) frequency.

    Introduced in chapter 7. For each image (shape ``(n, h, w)`` or ``(n, h, w, 1)``, even
    ``h`` and ``w``) the mean is removed and the 2-D power spectrum taken; the share is the
    energy in the row and column of the spectrum at the Nyquist frequency — a pattern
    that alternates from one pixel to the next, like a checkerboard — over the total.
    Returns the mean share over the images. White noise scores about
    :math:`(h + w - 1) / (h w)`.
    """
    array = np.asarray(images)
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    array = check_numeric_array(array, "images", ndim=3)
    height, width = array.shape[1:]
    if height % 2 or width % 2:
        raise ValueError(f"images must have even height and width, got {height}×{width}")
    centred = array - array.mean(axis=(1, 2), keepdims=True)
    power = np.abs(np.fft.fft2(centred)) ** 2
    total = power.sum(axis=(1, 2))
    nyquist = (
        power[:, height // 2, :].sum(axis=1)
        + power[:, :, width // 2].sum(axis=1)
        - power[:, height // 2, width // 2]
    )
    shares = np.where(total > 0, nyquist / np.maximum(total, 1e-30), 0.0)
    return float(shares.mean())
