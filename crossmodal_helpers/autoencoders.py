"""Autoencoders: dense, convolutional, a leaky variant kept for teaching, bimodal, variational.

Introduced in chapter 5. An autoencoder is an encoder :math:`z = f_\\theta(x)` into a small
code and a decoder :math:`\\hat x = g_\\phi(z)` back to the input, trained to make
:math:`\\hat x` close to :math:`x`. The image builders return uncompiled Keras models
whose encoder and decoder are the nested models named ``"encoder"`` and ``"decoder"``; the
bimodal builder returns a :class:`BimodalAutoencoder`; :class:`VAE` is a (conditional)
variational autoencoder whose ``train_step`` maximises the evidence lower bound. This
module imports Keras (its :class:`VAE` is a ``keras.Model``).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from crossmodal_helpers._checks import (
    check_count,
    check_fraction,
    check_images,
    check_labels,
    check_model_inputs,
    check_positive,
    check_str,
    check_texts,
    check_width,
)
from crossmodal_helpers._types import Tensor

#: The shape of one MNIST digit, the default input of every builder. Introduced in chapter 5.
IMAGE_SHAPE = (28, 28, 1)


# --------------------------------------------------------------------------- argument checks


def _check_image_shape(shape: Any, name: str = "input_shape") -> tuple[int, int, int]:
    if isinstance(shape, str) or not isinstance(shape, Sequence) or len(shape) != 3:
        raise ValueError(
            f"{name} must be (height, width, channels) such as (28, 28, 1), got {shape!r}"
        )
    return tuple(check_width(size, f"each entry of {name}") for size in shape)  # type: ignore[return-value]


# --------------------------------------------------------------------------- image autoencoders


def build_dense_encoder(
    input_shape: Sequence[int] = IMAGE_SHAPE, code_dim: int = 32, *, hidden: int = 256
) -> Any:
    """The encoder $f_\\theta$: Flatten → Dense(hidden, ReLU) → a linear code of ``code_dim``.

    Introduced in chapter 5. The model is named ``"encoder"``.
    """
    input_shape = _check_image_shape(input_shape)
    code_dim = check_width(code_dim, "code_dim")
    hidden = check_width(hidden, "hidden")
    import keras

    return keras.Sequential(
        [
            keras.Input(shape=input_shape, name="image"),
            keras.layers.Flatten(),
            keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dense(code_dim, name="code"),
        ],
        name="encoder",
    )


def reconstruction_head(inputs: Any, output_shape: Sequence[int], *, hidden: int = 256) -> Any:
    """The decoder's layers on a Keras tensor: Dense(hidden, ReLU) → a sigmoid per pixel.

    Introduced in chapter 5. Returns the tensor reshaped to ``output_shape``, so every
    reconstructed pixel lies in [0, 1], like the images.
    """
    output_shape = _check_image_shape(output_shape, "output_shape")
    hidden = check_width(hidden, "hidden")
    import keras

    hidden_layer = keras.layers.Dense(hidden, activation="relu")(inputs)
    pixels = keras.layers.Dense(math.prod(output_shape), activation="sigmoid")(hidden_layer)
    return keras.layers.Reshape(output_shape, name="reconstruction")(pixels)


def build_dense_autoencoder(
    input_shape: Sequence[int] = IMAGE_SHAPE, code_dim: int = 32, *, hidden: int = 256
) -> Any:
    """A dense autoencoder: image → ``code_dim`` numbers → image. Introduced in chapter 5.

    The encoder (``model.get_layer("encoder")``) maps an image to a linear code through one
    ReLU layer of ``hidden`` units; the decoder (``"decoder"``) mirrors it and ends in one
    sigmoid per pixel, so reconstructions lie in [0, 1]. The decoder sees only the code.
    """
    input_shape = _check_image_shape(input_shape)
    code_dim = check_width(code_dim, "code_dim")
    hidden = check_width(hidden, "hidden")
    import keras

    encoder = build_dense_encoder(input_shape, code_dim, hidden=hidden)
    code = keras.Input(shape=(code_dim,), name="code")
    decoder = keras.Model(
        code, reconstruction_head(code, input_shape, hidden=hidden), name="decoder"
    )
    images = keras.Input(shape=input_shape, name="image")
    return keras.Model(images, decoder(encoder(images)), name="dense_autoencoder")


def build_leaky_autoencoder(
    input_shape: Sequence[int] = IMAGE_SHAPE,
    code_dim: int = 1,
    *,
    hidden: int = 256,
    leak_dim: int = 32,
) -> Any:
    """The WRONG autoencoder of a widely copied snippet, kept to show why it fails.

    Introduced in chapter 5. Identical to :func:`build_dense_autoencoder` except that the
    decoder is called as ``decoder([x, z])``: like the snippet's ``Decoder.call(inputs,
    encoding)``, it passes the raw input through a ReLU layer of ``leak_dim`` units and
    concatenates that with the code. The decoder can therefore reconstruct $x$ from $x$
    itself, whatever the size of the code; the code learns little.
    """
    input_shape = _check_image_shape(input_shape)
    code_dim = check_width(code_dim, "code_dim")
    hidden = check_width(hidden, "hidden")
    leak_dim = check_width(leak_dim, "leak_dim")
    import keras

    encoder = build_dense_encoder(input_shape, code_dim, hidden=hidden)
    raw = keras.Input(shape=input_shape, name="raw_input")
    code = keras.Input(shape=(code_dim,), name="code")
    leak = keras.layers.Dense(leak_dim, activation="relu", name="leak")(keras.layers.Flatten()(raw))
    joined = keras.layers.Concatenate()([leak, code])
    decoder = keras.Model(
        [raw, code], reconstruction_head(joined, input_shape, hidden=hidden), name="decoder"
    )
    images = keras.Input(shape=input_shape, name="image")
    return keras.Model(images, decoder([images, encoder(images)]), name="leaky_autoencoder")


def build_conv_autoencoder(
    input_shape: Sequence[int] = IMAGE_SHAPE,
    code_dim: int = 32,
    *,
    filters: Sequence[int] = (16, 32),
) -> Any:
    """A convolutional autoencoder: strided convolutions down, transposed ones up.

    Introduced in chapter 5. Each entry of ``filters`` is a 3×3 convolution with stride 2
    (halving height and width), followed by a dense linear code; the decoder mirrors the
    encoder with transposed convolutions and ends in a sigmoid. Height and width must be
    divisible by ``2 ** len(filters)``.
    """
    input_shape = _check_image_shape(input_shape)
    code_dim = check_width(code_dim, "code_dim")
    if isinstance(filters, (str, bytes)) or not isinstance(filters, Sequence) or not filters:
        raise ValueError(
            f"filters must be a non-empty list of ints such as (16, 32), got {filters!r}"
        )
    filters = [check_width(f, "each entry of filters") for f in filters]
    factor = 2 ** len(filters)
    height, width, channels = input_shape
    if height % factor or width % factor:
        raise ValueError(
            f"input_shape height and width must be divisible by 2 ** len(filters) = {factor}, "
            f"got {height}×{width}"
        )
    import keras

    layers = keras.layers
    encoder = keras.Sequential(
        [
            keras.Input(shape=input_shape, name="image"),
            *[layers.Conv2D(f, 3, strides=2, padding="same", activation="relu") for f in filters],
            layers.Flatten(),
            layers.Dense(code_dim, name="code"),
        ],
        name="encoder",
    )
    small = (height // factor, width // factor, filters[-1])
    decoder = keras.Sequential(
        [
            keras.Input(shape=(code_dim,), name="code"),
            layers.Dense(math.prod(small), activation="relu"),
            layers.Reshape(small),
            *[
                layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation="relu")
                for f in reversed(filters[:-1])
            ],
            layers.Conv2DTranspose(channels, 3, strides=2, padding="same", activation="sigmoid"),
        ],
        name="decoder",
    )
    images = keras.Input(shape=input_shape, name="image")
    return keras.Model(images, decoder(encoder(images)), name="conv_autoencoder")


# --------------------------------------------------------------------------- bimodal autoencoder


#: What the text decoder of :func:`build_bimodal_autoencoder` can reconstruct.
TEXT_TARGETS = ("number", "words", None)


@dataclass(frozen=True)
class BimodalAutoencoder:
    """A shared-code autoencoder of images and descriptions. Introduced in chapter 5.

    ``model`` maps ``[images, words]`` to a dict with the reconstructed ``"image"`` and,
    depending on ``text_target``, ``"number"`` (probabilities of the number the description
    names) or ``"words"`` (a probability distribution over the vocabulary: which words a
    description of this code would use); ``encoder`` maps the same inputs to the shared
    code; ``image_decoder`` and ``text_decoder`` (None when ``text_target`` is None) map a
    code to each output. A missing modality is given as a blank, as in chapter 4: an
    all-zero image or an all-zero bag of words.
    """

    model: Any
    encoder: Any
    image_decoder: Any
    text_decoder: Any
    text_target: str | None = "number"

    def _inputs(self, images: Any, words: Any) -> list[np.ndarray]:
        if images is None and words is None:
            raise ValueError("give images, words or both; got neither")
        image_shape = tuple(self.encoder.inputs[0].shape[1:])
        vocab_size = self.encoder.inputs[1].shape[1]
        if images is not None:
            images = check_images(images)
            if images.shape[1:] != image_shape:
                raise ValueError(f"images must have shape (N, *{image_shape}), got {images.shape}")
        if words is not None:
            words = check_model_inputs(np.asarray(words), "words").astype(np.float32)
            if words.ndim != 2 or words.shape[1] != vocab_size:
                raise ValueError(
                    f"words must be bags of words of shape (N, {vocab_size}), got {words.shape}"
                )
        if images is not None and words is not None and len(images) != len(words):
            raise ValueError(
                f"images and words must be pairs of equal length, got {len(images)} and "
                f"{len(words)}"
            )
        n = len(images) if images is not None else len(words)
        return [
            images if images is not None else np.zeros((n, *image_shape), np.float32),
            words if words is not None else np.zeros((n, vocab_size), np.float32),
        ]

    def encode(self, images: Any = None, words: Any = None) -> np.ndarray:
        """The shared code of images, descriptions or pairs (a missing modality is blank)."""
        return self.encoder.predict(self._inputs(images, words), verbose=0, batch_size=256)

    def reconstruct(
        self, images: Any = None, words: Any = None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Both reconstructions from what is given: (images, the text decoder's output).

        The second is the number probabilities (``text_target="number"``), the word
        distribution (``"words"``) or None (no text decoder).
        """
        outputs = self.model.predict(self._inputs(images, words), verbose=0, batch_size=256)
        return outputs["image"], outputs.get(self.text_target) if self.text_target else None


def build_bimodal_autoencoder(
    image_encoder: Any,
    text_encoder: Any,
    *,
    code_dim: int = 32,
    hidden: int = 128,
    n_numbers: int = 10,
    modality_dropout: float = 2 / 3,
    seed: int | None = None,
    text_target: str | None = "number",
) -> BimodalAutoencoder:
    """The bimodal autoencoder of Ngiam et al. (2011) for digits and their descriptions.

    Introduced in chapter 5. The two encoders (e.g. chapter 4's
    ``fusion.build_image_encoder`` and ``fusion.build_text_encoder``) meet in one shared
    linear code of ``code_dim`` numbers, through a dense ReLU layer of ``hidden`` units.
    From the code an image decoder reconstructs the image (a sigmoid per pixel) and a text
    decoder reconstructs, by ``text_target``:

    - ``"number"``: the number the description names (a softmax over ``n_numbers``, output
      ``"number"``), trained with cross-entropy on that number — a label;
    - ``"words"``: the description's words (a softmax over the text encoder's vocabulary,
      output ``"words"``), trained with cross-entropy on the description's word shares — the
      pairs alone, no labels;
    - ``None``: nothing (output ``"image"`` only), for an image autoencoder with the same
      network.

    During training chapter 4's ``ModalityDropout`` blanks one modality of a share
    ``modality_dropout`` of the pairs (half of them each way), so either modality alone
    learns to fill the code.
    """
    import keras

    from crossmodal_helpers import fusion

    for name, encoder in (("image_encoder", image_encoder), ("text_encoder", text_encoder)):
        if not isinstance(encoder, keras.Model) or len(encoder.inputs) != 1:
            raise TypeError(f"{name} must be a keras.Model with one input, got {encoder!r}")
    image_shape = _check_image_shape(
        tuple(image_encoder.inputs[0].shape[1:]), "image_encoder input"
    )
    code_dim = check_width(code_dim, "code_dim")
    hidden = check_width(hidden, "hidden")
    n_numbers = check_width(n_numbers, "n_numbers")
    rate = check_fraction(modality_dropout, "modality_dropout")
    if rate == 1.0:
        raise ValueError("modality_dropout must be below 1: some pairs must keep both modalities")
    if seed is not None:
        seed = check_count(seed, "seed", minimum=0)
    if not (text_target is None or (isinstance(text_target, str) and text_target in TEXT_TARGETS)):
        raise ValueError(f"text_target must be 'number', 'words' or None, got {text_target!r}")

    layers = keras.layers
    images = keras.Input(shape=image_shape, name="image")
    words = keras.Input(shape=tuple(text_encoder.inputs[0].shape[1:]), name="words")
    features = layers.Concatenate()([image_encoder(images), text_encoder(words)])
    shared = layers.Dense(hidden, activation="relu", name="shared_hidden")(features)
    code = layers.Dense(code_dim, name="shared_code")(shared)
    encoder = keras.Model([images, words], code, name="encoder")

    code_in = keras.Input(shape=(code_dim,), name="code")
    image_decoder = keras.Model(
        code_in, reconstruction_head(code_in, image_shape, hidden=hidden), name="image_decoder"
    )
    text_decoder = None
    if text_target is not None:
        text_hidden = layers.Dense(hidden, activation="relu")(code_in)
        size = n_numbers if text_target == "number" else int(text_encoder.inputs[0].shape[-1])
        text_out = layers.Dense(size, activation="softmax", name=text_target)(text_hidden)
        text_decoder = keras.Model(code_in, text_out, name="text_decoder")

    train_images = keras.Input(shape=image_shape, name="image")
    train_words = keras.Input(shape=tuple(text_encoder.inputs[0].shape[1:]), name="words")
    seen_images, seen_words = train_images, train_words
    if rate > 0:
        dropout = fusion.ModalityDropout(rate, seed=seed, name="modality_dropout")
        seen_images, seen_words = dropout([train_images, train_words])
    codes = encoder([seen_images, seen_words])
    outputs = {"image": image_decoder(codes)}
    if text_decoder is not None:
        outputs[text_target] = text_decoder(codes)
    model = keras.Model([train_images, train_words], outputs, name="bimodal_autoencoder")
    return BimodalAutoencoder(model, encoder, image_decoder, text_decoder, text_target)


# --------------------------------------------------------------------------- variational


@keras.saving.register_keras_serializable(package="crossmodal_helpers")
class VAE(keras.Model):
    """A variational autoencoder, conditional if its networks take a label.

    Introduced in chapter 5. ``encoder`` maps images (or ``[images, one_hot_labels]``) to
    ``[mean, log_var]`` of a diagonal Gaussian :math:`q(z \\mid x)`; ``decoder`` maps a
    latent vector (or ``[z, one_hot_labels]``) to per-pixel ink probabilities. Each training
    step draws :math:`z = \\mu + \\sigma \\odot \\varepsilon` with
    :math:`\\varepsilon \\sim \\mathcal N(0, I)` (the reparameterisation trick) and
    minimises the negative evidence lower bound per image,

    .. math::

        -\\text{ELBO} = \\sum_j \\text{BCE}(x_j, \\hat x_j)
            + \\beta \\cdot \\tfrac12 \\sum_k \\big(\\mu_k^2 + \\sigma_k^2
            - \\log \\sigma_k^2 - 1\\big),

    the reconstruction term summed over pixels and the KL divergence from the prior
    :math:`\\mathcal N(0, I)` summed over latent dimensions. ``fit`` tracks ``loss``,
    ``reconstruction`` and ``kl``. ``fit(images)`` trains a VAE, ``fit([images, labels])``
    (integer labels) a conditional VAE (Sohn et al., 2015).
    """

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        *,
        beta: float = 1.0,
        seed: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        for name, part in (("encoder", encoder), ("decoder", decoder)):
            if not isinstance(part, keras.Model):
                raise TypeError(f"{name} must be a keras.Model, got {type(part).__name__}")
        if len(encoder.outputs) != 2:
            raise ValueError("encoder must have two outputs, [mean, log_var]")
        self.encoder = encoder
        self.decoder = decoder
        self.conditional = len(encoder.inputs) == 2
        if (len(decoder.inputs) == 2) != self.conditional:
            raise ValueError("encoder and decoder must both take a label, or neither")
        self.latent_dim = int(decoder.inputs[0].shape[-1])
        self.n_classes = int(encoder.inputs[1].shape[-1]) if self.conditional else 0
        self.beta = check_positive(beta, "beta")
        self.seed = check_count(seed, "seed", minimum=0)
        self.noise_seed = keras.random.SeedGenerator(self.seed)
        self.trackers = {
            name: keras.metrics.Mean(name=name) for name in ("loss", "reconstruction", "kl")
        }
        self.built = True  # both networks are built functional models

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "beta": self.beta,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> VAE:
        config = dict(config)
        for part in ("encoder", "decoder"):
            config[part] = keras.saving.deserialize_keras_object(config[part])
        return cls(**config)

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.trackers.values())

    def fit(self, x: Any = None, *args: Any, **kwargs: Any) -> keras.callbacks.History:
        """Train on ``images``, or ``[images, labels]`` if conditional.

        As ``keras.Model.fit``, after checking NumPy input: the images must be a batch with
        values in [0, 1] and no NaN (they are the Bernoulli targets), the labels integer
        class ids in ``[0, n_classes)``, one per image. A ``tf.data.Dataset`` or other data
        source is passed on unchecked.
        """
        arrays = list(x) if isinstance(x, (list, tuple)) else [x]
        if all(isinstance(array, np.ndarray) for array in arrays):
            if len(arrays) != 1 + self.conditional:
                expected = "[images, labels]" if self.conditional else "images"
                raise ValueError(f"x must be {expected}, got {len(arrays)} arrays")
            images = check_images(arrays[0], name="images")
            if self.conditional:
                check_labels(arrays[1], "labels", n=len(images), n_classes=self.n_classes)
        return super().fit(x, *args, **kwargs)

    def _split(self, inputs: Any) -> tuple[Tensor, Tensor | None]:
        if self.conditional:
            images, labels = inputs
            return images, ops.one_hot(
                ops.cast(ops.reshape(labels, (-1,)), "int32"), self.n_classes
            )
        return inputs, None

    def _with(self, x: Tensor, one_hot: Tensor | None) -> Any:
        return [x] if one_hot is None else [x, one_hot]

    def call(self, inputs: Any, training: bool = False) -> Tensor:
        """The reconstruction decoded from the mean code (no sampling)."""
        images, one_hot = self._split(inputs)
        mean, _ = self.encoder(self._with(images, one_hot), training=training)
        return self.decoder(self._with(mean, one_hot), training=training)

    def negative_elbo(self, images: Tensor, one_hot: Tensor | None) -> dict[str, Tensor]:
        """Sample one code per image and return the loss and its two terms (batch means)."""
        mean, log_var = self.encoder(self._with(images, one_hot), training=True)
        epsilon = keras.random.normal(ops.shape(mean), seed=self.noise_seed)
        z = mean + ops.exp(0.5 * log_var) * epsilon  # the reparameterisation trick
        probabilities = self.decoder(self._with(z, one_hot), training=True)
        pixels = ops.clip(probabilities, 1e-7, 1 - 1e-7)
        target = ops.cast(images, pixels.dtype)
        bce = -(target * ops.log(pixels) + (1 - target) * ops.log(1 - pixels))
        reconstruction = ops.mean(ops.sum(ops.reshape(bce, (ops.shape(bce)[0], -1)), axis=1))
        kl = ops.mean(0.5 * ops.sum(ops.square(mean) + ops.exp(log_var) - log_var - 1.0, axis=1))
        return {"loss": reconstruction + self.beta * kl, "reconstruction": reconstruction, "kl": kl}

    def train_step(self, data: Any) -> dict[str, Tensor]:
        images, one_hot = self._split(keras.utils.unpack_x_y_sample_weight(data)[0])
        with tf.GradientTape() as tape:
            terms = self.negative_elbo(images, one_hot)
        gradients = tape.gradient(terms["loss"], self.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights, strict=True))
        for name, value in terms.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def test_step(self, data: Any) -> dict[str, Tensor]:
        images, one_hot = self._split(keras.utils.unpack_x_y_sample_weight(data)[0])
        for name, value in self.negative_elbo(images, one_hot).items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def _one_hot(self, labels: Any, n: int | None = None) -> np.ndarray | None:
        if not self.conditional:
            if labels is not None:
                raise ValueError("labels are only for a conditional VAE; this one takes none")
            return None
        if labels is None:
            raise ValueError("a conditional VAE needs labels: one class id per sample")
        labels = check_labels(labels, "labels", n=n, n_classes=self.n_classes)
        return np.eye(self.n_classes, dtype=np.float32)[labels]

    def encode(self, images: Any, labels: Any = None) -> np.ndarray:
        """The mean code :math:`\\mu(x)` of each image (given its label if conditional)."""
        images = check_images(images)
        one_hot = self._one_hot(labels, len(images))
        mean, _ = self.encoder.predict(self._with(images, one_hot), batch_size=512, verbose=0)
        return mean

    def sample(self, n: int | None = None, labels: Any = None, *, seed: int = 0) -> np.ndarray:
        """Decode codes drawn from the prior :math:`\\mathcal N(0, I)`.

        ``n`` samples from a VAE; from a conditional VAE one sample per entry of
        ``labels`` (the requested classes; ``n`` may be left out). Seeded: the same
        ``seed`` gives the same codes.
        """
        seed = check_count(seed, "seed", minimum=0)
        if n is None:
            if labels is None:
                raise ValueError("give n, the number of samples (or labels, one per sample)")
            n = len(np.asarray(labels))
        n = check_count(n, "n")
        one_hot = self._one_hot(labels, n)
        z = np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype(np.float32)
        return self.decoder.predict(self._with(z, one_hot), batch_size=512, verbose=0)


def build_vae(
    input_shape: Sequence[int] = IMAGE_SHAPE,
    latent_dim: int = 16,
    *,
    n_classes: int | None = None,
    hidden: int = 256,
    beta: float = 1.0,
    seed: int = 0,
) -> VAE:
    """A dense (conditional) VAE for images: two ReLU layers around a Gaussian code.

    Introduced in chapter 5. The encoder is ``Flatten → Dense(hidden, ReLU)`` and two linear
    heads, ``mean`` and ``log_var`` of ``latent_dim`` numbers each; the decoder is
    :func:`reconstruction_head`. With ``n_classes`` the label, one-hot, is concatenated to
    the flattened image in the encoder and to the code in the decoder: a conditional VAE.
    """
    input_shape = _check_image_shape(input_shape)
    latent_dim = check_width(latent_dim, "latent_dim")
    hidden = check_width(hidden, "hidden")
    if n_classes is not None:
        n_classes = check_width(n_classes, "n_classes")
    layers = keras.layers
    images = keras.Input(shape=input_shape, name="image")
    features = layers.Flatten()(images)
    encoder_inputs: list[Any] = [images]
    code = keras.Input(shape=(latent_dim,), name="z")
    decoder_inputs: list[Any] = [code]
    decoder_features = code
    if n_classes is not None:
        label_in = keras.Input(shape=(n_classes,), name="label")
        label_out = keras.Input(shape=(n_classes,), name="label")
        features = layers.Concatenate()([features, label_in])
        decoder_features = layers.Concatenate()([code, label_out])
        encoder_inputs.append(label_in)
        decoder_inputs.append(label_out)
    hidden_layer = layers.Dense(hidden, activation="relu")(features)
    mean = layers.Dense(latent_dim, name="mean")(hidden_layer)
    log_var = layers.Dense(latent_dim, name="log_var")(hidden_layer)
    encoder = keras.Model(encoder_inputs, [mean, log_var], name="encoder")
    decoder = keras.Model(
        decoder_inputs,
        reconstruction_head(decoder_features, input_shape, hidden=hidden),
        name="decoder",
    )
    name = "conditional_vae" if n_classes is not None else "vae"
    return VAE(encoder, decoder, beta=beta, seed=seed, name=name)


# --------------------------------------------------------------------------- widget


def reconstruction_picker(
    descriptions: Sequence[str],
    images: np.ndarray,
    captions: Sequence[str] | None = None,
    *,
    title: str = "From a description to an image",
    display_px: int = 112,
) -> Any:
    """Pick a description from a menu and see the image decoded from it.

    Introduced in chapter 5. ``images[i]`` (N×H×W or N×H×W×C in [0, 1]) is what the model
    drew for ``descriptions[i]``; ``captions[i]`` (optional) is shown under it. All images
    are rendered in advance and the menu is linked to them in the browser (``jslink``), so
    the picker also works on the website, where no Python runs.
    """
    import ipywidgets as widgets

    from crossmodal_helpers.widgets import pages, panel, picture, show_page, to_png

    images = check_images(images, name="images")
    descriptions = check_texts(descriptions, "descriptions", per_image=len(images))
    title = check_str(title, "title")
    if len(images) == 0:
        raise ValueError("images must contain at least one image, got 0")
    if len(set(descriptions)) != len(descriptions):
        raise ValueError("descriptions must be distinct: each is one entry of the menu")
    if captions is not None:
        captions = check_texts(captions, "captions", per_image=len(images))
    scale = max(1, check_count(display_px, "display_px") // max(images.shape[1:3]))
    drawn = []
    for i, image in enumerate(images):
        parts = [picture(to_png(image, scale), f"image decoded from “{descriptions[i]}”")]
        if captions is not None:
            parts.append(widgets.HTML(html.escape(captions[i])))
        drawn.append(widgets.VBox(parts))
    shown = pages(drawn, list(descriptions))
    menu = widgets.Dropdown(
        options=[(text, i) for i, text in enumerate(descriptions)], value=0, description="text"
    )
    show_page(menu, shown)
    return panel(f"<b>{html.escape(title)}</b> (pick a description)", menu, shown)
