"""Self-supervised pretraining and transfer with few labels.

Introduced in chapter 13. An encoder is first trained without labels, then reused for a
task that has only a few labelled examples. The pieces:

- :func:`nt_xent_loss`, the contrastive loss of SimCLR (Chen et al., 2020) on two augmented
  views of each image, and :class:`SimCLR`, a ``keras.Model`` subclass whose ``train_step``
  draws the two views, embeds them and minimises that loss, so ``fit`` needs only images;
- :func:`build_augmenter`, the random shifts, zooms, rotations and erasures that make the
  two views of a digit differ;
- :func:`sample_per_class`, a label budget: the same number of labelled examples per class;
- :func:`embed`, the features an encoder gives a batch of images, and
  :func:`linear_probe_accuracy`, a logistic regression on frozen features;
- :func:`build_transfer_classifier` and :func:`train_classifier`, the encoder with a softmax
  head, trained for a fixed number of updates (from scratch or from pretrained weights).

:class:`SimCLR` is registered for serialisation, so a saved model loads with
``keras.models.load_model`` once this module is imported.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from crossmodal_helpers._checks import (
    check_count,
    check_fraction,
    check_images,
    check_labels,
    check_numeric_array,
    check_positive,
    check_width,
)
from crossmodal_helpers._types import Tensor

# --------------------------------------------------------------------------- the loss


def nt_xent_loss(first: Tensor, second: Tensor, temperature: float | Tensor = 0.5) -> Tensor:
    """SimCLR's normalised temperature-scaled cross-entropy of N pairs of views.

    Introduced in chapter 13. ``first[i]`` and ``second[i]`` embed two views of image i.
    All 2N embeddings are normalised to unit length; for each of them the other view of the
    same image is the positive and the remaining 2N − 2 embeddings are the negatives:

    .. math:: \\ell_i = -\\log \\frac{\\exp(s_{i,p(i)}/\\tau)}
              {\\sum_{k \\ne i} \\exp(s_{i,k}/\\tau)}

    with cosine similarities ``s`` and temperature τ; the loss is the mean over the 2N
    embeddings. Unlike :func:`crossmodal_helpers.retrieval.info_nce_loss` (chapter 8), which
    contrasts an image only with texts, every view is also contrasted with the other views
    of its own side. Works on NumPy arrays and Keras tensors; NumPy input and a number as
    ``temperature`` are checked first.
    """
    if not ops.is_tensor(first) or not ops.is_tensor(second):
        first = check_numeric_array(first, "first", ndim=2)
        second = check_numeric_array(second, "second", ndim=2)
        if first.shape != second.shape:
            raise ValueError(
                f"first and second must have the same shape (one row per image), got "
                f"{first.shape} and {second.shape}"
            )
        if len(first) < 2:
            raise ValueError(
                f"first must hold at least 2 images (one image has no negatives), got {len(first)}"
            )
    if not ops.is_tensor(temperature):
        temperature = check_positive(temperature, "temperature")
    views = ops.concatenate(
        [ops.convert_to_tensor(first, "float32"), ops.convert_to_tensor(second, "float32")],
        axis=0,
    )
    views = ops.normalize(views, axis=-1)
    n = ops.shape(views)[0] // 2
    logits = ops.matmul(views, ops.transpose(views)) / temperature
    logits = logits - 1e9 * ops.eye(2 * n, dtype=logits.dtype)  # a view is not its own pair
    positives = ops.concatenate([ops.arange(n, 2 * n), ops.arange(0, n)])
    losses = keras.losses.sparse_categorical_crossentropy(positives, logits, from_logits=True)
    return ops.mean(losses)


# --------------------------------------------------------------------------- the model


def build_augmenter(
    *,
    shift: float = 0.15,
    zoom: float = 0.15,
    rotation: float = 0.05,
    erase: float = 0.5,
    seed: int = 0,
) -> keras.Sequential:
    """Random changes that keep a digit's identity. Introduced in chapter 13.

    A random shift by up to ``shift`` of the width and height, a zoom by up to ``zoom``, a
    rotation by up to ``rotation`` of a full turn, and, with probability ``erase``, a blank
    square of 10×10 pixels at a random place (a crude random erasing). The layers act only
    in training mode; called with ``training=False`` the model returns its input.
    """
    shift = check_fraction(shift, "shift")
    zoom = check_fraction(zoom, "zoom")
    rotation = check_fraction(rotation, "rotation")
    erase = check_fraction(erase, "erase")
    seed = check_count(seed, "seed", minimum=0)
    layers = keras.layers
    return keras.Sequential(
        [
            layers.RandomTranslation(shift, shift, fill_mode="constant", seed=seed),
            layers.RandomZoom(zoom, fill_mode="constant", seed=seed + 1),
            layers.RandomRotation(rotation, fill_mode="constant", seed=seed + 2),
            RandomErasing(erase, size=10, seed=seed + 3),
        ],
        name="augmenter",
    )


@keras.saving.register_keras_serializable(package="crossmodal_helpers")
class RandomErasing(keras.layers.Layer):
    """Blank a ``size``×``size`` square at a random place of each image, with ``rate``.

    Introduced in chapter 13. Active only in training mode.
    """

    def __init__(self, rate: float = 0.5, *, size: int = 10, seed: int = 0, **kwargs: Any):
        super().__init__(**kwargs)
        self.rate = check_fraction(rate, "rate")
        self.size = check_width(size, "size")
        self.seed = check_count(seed, "seed", minimum=0)
        self.generator = keras.random.SeedGenerator(self.seed)

    def call(self, images: Tensor, training: bool = False) -> Tensor:
        if not training or self.rate == 0:
            return images
        shape = ops.shape(images)
        n, height, width = shape[0], shape[1], shape[2]
        top = keras.random.randint((n, 1, 1, 1), 0, height - self.size + 1, seed=self.generator)
        left = keras.random.randint((n, 1, 1, 1), 0, width - self.size + 1, seed=self.generator)
        erase = keras.random.uniform((n, 1, 1, 1), seed=self.generator) < self.rate
        rows = ops.reshape(ops.arange(height), (1, -1, 1, 1))
        columns = ops.reshape(ops.arange(width), (1, 1, -1, 1))
        inside = (
            (rows >= top)
            & (rows < top + self.size)
            & (columns >= left)
            & (columns < left + self.size)
        )
        return ops.where(inside & erase, ops.zeros_like(images), images)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "size": self.size, "seed": self.seed}


@keras.saving.register_keras_serializable(package="crossmodal_helpers")
class SimCLR(keras.Model):
    """An encoder pretrained with SimCLR's contrastive loss, without labels.

    Introduced in chapter 13. Each training step draws two random views of every image of
    the batch (``augmenter`` in training mode, twice), passes both through the ``encoder``
    and a small projection head (Dense(``hidden``, ReLU) → Dense(``projection_dim``)), and
    minimises :func:`nt_xent_loss` at ``temperature``. ``fit(images)`` needs no labels.
    Called on images, the model returns the encoder's features (the head is discarded
    after pretraining, as in the paper: the features before it transfer better).
    """

    def __init__(
        self,
        encoder: keras.Model,
        *,
        augmenter: keras.Model | None = None,
        projection_dim: int = 32,
        hidden: int = 64,
        temperature: float = 0.5,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.encoder = encoder
        self.augmenter = augmenter if augmenter is not None else build_augmenter()
        self.projection_dim = check_width(projection_dim, "projection_dim")
        self.hidden = check_width(hidden, "hidden")
        self.temperature = check_positive(temperature, "temperature")
        self.projector = keras.Sequential(
            [
                keras.layers.Dense(self.hidden, activation="relu"),
                keras.layers.Dense(self.projection_dim),
            ],
            name="projector",
        )
        self.loss_tracker = keras.metrics.Mean(name="loss")

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return [self.loss_tracker]

    def build(self, input_shape: Any) -> None:
        if not self.projector.built:
            features = self.encoder.compute_output_shape(input_shape)
            self.projector.build((None, *tuple(features)[1:]))
        self.built = True

    def call(self, images: Tensor, training: bool = False) -> Tensor:
        return self.encoder(images, training=training)

    def project(self, images: Tensor, training: bool = False) -> Tensor:
        """The projection head's vectors of a batch of images (the loss's input)."""
        return self.projector(self.encoder(images, training=training), training=training)

    def train_step(self, data: Any) -> dict[str, Tensor]:
        import tensorflow as tf

        images = keras.utils.unpack_x_y_sample_weight(data)[0]
        first = self.augmenter(images, training=True)
        second = self.augmenter(images, training=True)
        with tf.GradientTape() as tape:
            loss = nt_xent_loss(
                self.project(first, training=True),
                self.project(second, training=True),
                self.temperature,
            )
        weights = self.encoder.trainable_weights + self.projector.trainable_weights
        gradients = tape.gradient(loss, weights)
        self.optimizer.apply_gradients(zip(gradients, weights, strict=True))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "augmenter": keras.saving.serialize_keras_object(self.augmenter),
            "projection_dim": self.projection_dim,
            "hidden": self.hidden,
            "temperature": self.temperature,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SimCLR:
        config = dict(config)
        for part in ("encoder", "augmenter"):
            config[part] = keras.saving.deserialize_keras_object(config[part])
        return cls(**config)

    def fit(
        self, x: Any = None, y: Any = None, batch_size: int | None = None, *args: Any, **kwargs: Any
    ) -> keras.callbacks.History:
        """Pretrain on the images ``x`` (no labels: ``y`` must be None).

        As ``keras.Model.fit`` after checking: ``batch_size`` at least 2 (a batch of one
        image has no negatives), NumPy images in [0, 1] with at least 2 of them.
        """
        if y is not None:
            raise ValueError("y must be None: SimCLR pretraining uses no labels")
        if batch_size is not None:
            check_count(batch_size, "batch_size", minimum=2)
        if isinstance(x, np.ndarray):
            x = check_images(x, name="x")
            if len(x) < 2:
                raise ValueError(f"x must hold at least 2 images, got {len(x)}")
            if not self.built:
                self.build((None, *x.shape[1:]))
        return super().fit(x, None, batch_size, *args, **kwargs)


# --------------------------------------------------------------------------- few labels


def sample_per_class(labels: Any, per_class: int, *, seed: int = 0) -> np.ndarray:
    """Indices of ``per_class`` examples of every class, drawn at random. Introduced in chapter 13.

    A label budget: the rows of a training set whose labels we pretend to know. Sorted, so
    the same seed always gives the same rows. Every class must have ``per_class`` examples.
    """
    labels = check_labels(labels, "labels")
    per_class = check_count(per_class, "per_class")
    seed = check_count(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        if len(rows) < per_class:
            raise ValueError(
                f"per_class must be at most the size of the smallest class ({len(rows)} "
                f"examples of class {label}), got {per_class}"
            )
        chosen.append(rng.choice(rows, per_class, replace=False))
    return np.sort(np.concatenate(chosen))


def embed(encoder: keras.Model, images: Any, *, batch_size: int = 500) -> np.ndarray:
    """The features ``encoder`` gives ``images``, as a NumPy array. Introduced in chapter 13."""
    if not isinstance(encoder, keras.Model):
        raise TypeError(f"encoder must be a keras.Model, got {type(encoder).__name__}")
    images = check_images(images)
    batch_size = check_count(batch_size, "batch_size")
    return np.asarray(encoder.predict(images, batch_size=batch_size, verbose=0))


def linear_probe_accuracy(
    train_features: Any,
    train_labels: Any,
    test_features: Any,
    test_labels: Any,
    *,
    c: float = 1.0,
) -> float:
    """Test accuracy of a logistic regression on frozen features. Introduced in chapter 13.

    The features are standardised with the training rows' mean and spread, then a
    multinomial logistic regression with inverse regularisation strength ``c`` is fitted.
    The encoder that made the features is not changed: a *linear probe*.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train_features = check_numeric_array(train_features, "train_features", ndim=2)
    test_features = check_numeric_array(test_features, "test_features", ndim=2)
    train_labels = check_labels(train_labels, "train_labels", n=len(train_features))
    test_labels = check_labels(test_labels, "test_labels", n=len(test_features))
    if train_features.shape[1] != test_features.shape[1]:
        raise ValueError(
            f"test_features must have {train_features.shape[1]} columns like "
            f"train_features, got {test_features.shape[1]}"
        )
    if len(np.unique(train_labels)) < 2:
        raise ValueError("train_labels must hold at least 2 classes")
    c = check_positive(c, "c")
    probe = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=1000))
    probe.fit(train_features, train_labels)
    return float(np.mean(probe.predict(test_features) == test_labels))


def build_transfer_classifier(
    encoder: keras.Model,
    n_classes: int,
    *,
    augmenter: keras.Model | None = None,
    name: str = "classifier",
) -> keras.Model:
    """``encoder`` followed by a softmax layer of ``n_classes``. Introduced in chapter 13.

    With ``augmenter``, training images are first changed at random (the layers act only in
    training mode), so a model trained from scratch can see the same kinds of views as the
    pretraining did. The encoder is used as given: pass a pretrained one to fine-tune it,
    a freshly built one to train from scratch.
    """
    if not isinstance(encoder, keras.Model):
        raise TypeError(f"encoder must be a keras.Model, got {type(encoder).__name__}")
    n_classes = check_count(n_classes, "n_classes", minimum=2)
    inputs = keras.Input(shape=encoder.inputs[0].shape[1:], name="image")
    x = augmenter(inputs) if augmenter is not None else inputs
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="class")(encoder(x))
    return keras.Model(inputs, outputs, name=name)


def train_classifier(
    model: keras.Model,
    images: Any,
    labels: Any,
    *,
    steps: int = 100,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    seed: int = 0,
) -> keras.Model:
    """Train ``model`` with Adam for exactly ``steps`` updates. Introduced in chapter 13.

    With a handful of labelled images an "epoch" is a few updates, so the budget is counted
    in updates: the images are drawn at random with replacement into ``steps`` batches of
    ``batch_size`` (sparse categorical cross-entropy). Every budget of labels thus gets the
    same number of updates. A model compiled by an earlier call keeps its compiled training
    function (no second tracing), but its optimizer starts afresh: the step count and
    Adam's moments are set back to zero. Set the weights to start from before calling.
    Returns the trained model.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    images = check_images(images)
    labels = check_labels(labels, "labels", n=len(images))
    steps = check_count(steps, "steps")
    batch_size = check_count(batch_size, "batch_size")
    learning_rate = check_positive(learning_rate, "learning_rate")
    seed = check_count(seed, "seed", minimum=0)
    rows = np.random.default_rng(seed).integers(0, len(images), steps * batch_size)
    optimizer = getattr(model, "optimizer", None)
    if (
        not model.compiled
        or not isinstance(optimizer, keras.optimizers.Adam)
        or not np.isclose(float(optimizer.learning_rate), learning_rate)
    ):
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate),
            loss="sparse_categorical_crossentropy",
        )
    else:
        learning_rate_variable = getattr(optimizer, "_learning_rate", None)
        for variable in optimizer.variables:
            if variable is not learning_rate_variable:  # the step count and the moments
                variable.assign(ops.zeros_like(variable))
    model.fit(images[rows], labels[rows], batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    return model


def accuracy(model: keras.Model, images: Any, labels: Any) -> float:
    """The share of ``images`` that ``model`` puts in their class. Introduced in chapter 13."""
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    images = check_images(images)
    labels = check_labels(labels, "labels", n=len(images))
    predicted = np.asarray(model.predict(images, batch_size=500, verbose=0)).argmax(axis=1)
    return float(np.mean(predicted == labels))
