"""Models built with the package's Keras classes load in a fresh Python process.

One subprocess builds a small model with the custom classes of each module about Keras
(fusion, attention, gan, retrieval, autoencoders) and a text classifier of chapter 2, whose mean of
word vectors is ``attention.MaskedMean``, trains it a little, saves it as ``.keras`` and records
its outputs; a second subprocess, which has never built any of them, imports the modules,
loads every file with ``keras.models.load_model`` and computes the same outputs again.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

# Shared by both processes: the inputs, and the outputs that must survive saving.
COMMON = """
import json, sys, warnings
from pathlib import Path

import numpy as np

from crossmodal_helpers import attention, autoencoders, fusion, gan, retrieval, text

import keras

folder = Path(sys.argv[1])
rng = np.random.default_rng(0)
images = rng.random((6, 12, 12, 1)).astype("float32")
words = rng.random((6, 5)).astype("float32")
tokens = rng.integers(0, 10, size=(6, 7))
tokens[:, 0] = 1  # zeros are padding
tokens[5] = 0  # an empty text: its mean of token vectors is zeros, not NaN
sequence = rng.normal(size=(6, 7, 4)).astype("float32")
noise = gan.noise(6, 8, seed=1)
small_images = images[:, 2:10, 2:10]


def outputs(name, model):
    if name.startswith("fusion"):
        return {"predictions": model.predict([images, words], verbose=0)}
    if name in ("attention_transformer", "text_classifier"):
        return {"predictions": model.predict(tokens, verbose=0)}
    if name == "attention_pooling":
        with warnings.catch_warnings():  # SingleUnitAttention's one-unit softmax
            warnings.simplefilter("ignore")
            return {"pooled": model.predict([sequence, sequence], verbose=0)}
    if name == "gan":
        return {
            "generated": gan.generate(model.generator, 6, seed=1),
            "judged": model.discriminator.predict(small_images, verbose=0),
            "settings": np.array([model.label_smoothing, model.mode_seeking, model.seed]),
        }
    if name == "retrieval":
        return {
            "images": model.encode_images(images),
            "texts": model.encode_texts(words),
            "temperature": np.array(float(model.temperature)),
        }
    if name == "vae":
        return {
            "sampled": model.sample(labels=np.arange(6) % 3, seed=1),
            "codes": model.encode(small_images, np.arange(6) % 3),
            "settings": np.array([model.beta, model.seed, model.n_classes]),
        }
    raise KeyError(name)
"""

SAVE = """
keras.utils.set_random_seed(0)


def encoders():
    return fusion.build_image_encoder((12, 12, 1), 8), fusion.build_text_encoder(5, 8, hidden=8)


models = {}
for kind in ("gated", "attention", "concat"):
    models[f"fusion_{kind}"] = fusion.build_fused_model(
        *encoders(),
        fusion.make_fusion(kind, units=4),
        fusion.build_head(3, hidden=4),
        modality_dropout=0.3,
        seed=1,
    )
image_encoder, text_encoder = encoders()
models["fusion_late"] = fusion.build_late_fusion_model(
    fusion.build_unimodal_model(image_encoder, fusion.build_head(3), name="image_model"),
    fusion.build_unimodal_model(text_encoder, fusion.build_head(3), name="text_model"),
    weights=(1.0, 0.5),
    trainable=True,
)
labels = np.arange(6) % 3
for name, model in models.items():
    fusion.fit_classifier(model, [images, words], labels, epochs=1)

models["attention_transformer"] = attention.build_transformer_classifier(
    10, 3, max_length=7, d_model=8, num_heads=2, ff_dim=8
)
models["attention_transformer"].compile(optimizer="adam", loss="sparse_categorical_crossentropy")
models["attention_transformer"].fit(tokens, labels, epochs=1, verbose=0)
models["text_classifier"] = text.build_text_classifier(10, 3, embedding_dim=4)
models["text_classifier"].compile(optimizer="adam", loss="sparse_categorical_crossentropy")
models["text_classifier"].fit(tokens, labels, epochs=1, verbose=0)
query, values = keras.Input((7, 4)), keras.Input((7, 4))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    pooled = keras.layers.Concatenate()(
        [
            attention.AttentionPooling(4)(query, values),
            attention.SingleUnitAttention()(query, values),
        ]
    )
models["attention_pooling"] = keras.Model([query, values], pooled)

models["gan"] = gan.GAN(
    gan.build_generator(8, width=4, image_shape=(8, 8, 1)),
    gan.build_discriminator((8, 8, 1), width=4, hidden=8),
    label_smoothing=0.1,
    seed=3,
)
models["gan"].compile(
    d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3)
)
models["gan"].fit(small_images, epochs=1, batch_size=6, verbose=0)

models["retrieval"] = retrieval.build_dual_encoder(*encoders(), embed_dim=4, temperature=0.1)
models["retrieval"].compile(optimizer=keras.optimizers.Adam(1e-2))
models["retrieval"].fit([images, words], epochs=2, batch_size=6, verbose=0)

models["vae"] = autoencoders.build_vae((8, 8, 1), 2, n_classes=3, hidden=8, beta=0.5, seed=2)
models["vae"].compile(optimizer=keras.optimizers.Adam(1e-3))
models["vae"].fit([small_images, np.arange(6) % 3], epochs=1, batch_size=6, verbose=0)

for name, model in models.items():
    model.save(folder / f"{name}.keras")
    np.savez(folder / f"{name}.npz", **outputs(name, model))
print(json.dumps(sorted(models)))
"""

LOAD = """
report = {}
for path in sorted(folder.glob("*.keras")):
    with warnings.catch_warnings():  # a GAN's custom compile() is not restored, and says so
        warnings.simplefilter("ignore")
        model = keras.models.load_model(path)
    expected = np.load(folder / f"{path.stem}.npz")
    got = outputs(path.stem, model)
    report[path.stem] = {
        "class": type(model).__name__,
        "max_difference": max(
            float(np.max(np.abs(np.asarray(got[key]) - expected[key]))) for key in expected.files
        ),
    }
print(json.dumps(report))
"""

CLASSES = {
    "fusion_gated": ("Functional", ("GatedFusion", "ModalityDropout")),
    "fusion_attention": ("Functional", ("AttentionFusion", "ModalityDropout")),
    "fusion_concat": ("Functional", ("ConcatFusion", "ModalityDropout")),
    "fusion_late": ("Functional", ("InferenceMode", "LateFusion")),
    "attention_transformer": (
        "Functional",
        ("MaskedMean", "PositionalEmbedding", "TransformerBlock"),
    ),
    "text_classifier": ("Functional", ("MaskedMean",)),
    "attention_pooling": ("Functional", ("AttentionPooling", "SingleUnitAttention")),
    "gan": ("GAN", ("GAN",)),
    "retrieval": ("DualEncoder", ("DualEncoder",)),
    "vae": ("VAE", ("VAE",)),
}


def _python(code: str, folder: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(COMMON) + textwrap.dedent(code), str(folder)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> tuple[Path, dict]:
    """The folder of saved models and, per model, what the second process made of it."""
    folder = tmp_path_factory.mktemp("saved_models")
    assert json.loads(_python(SAVE, folder)) == sorted(CLASSES)
    return folder, json.loads(_python(LOAD, folder))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CLASSES))
def test_a_saved_model_loads_in_a_fresh_process(saved, name):
    folder, loaded = saved
    cls, custom = CLASSES[name]
    with zipfile.ZipFile(folder / f"{name}.keras") as archive:
        config = archive.read("config.json").decode("utf-8")
    for class_name in custom:
        assert f'"registered_name": "crossmodal_helpers>{class_name}"' in config
    assert name in loaded, f"{name}.keras was not loaded"
    assert loaded[name]["class"] == cls
    assert loaded[name]["max_difference"] < 1e-5, loaded[name]
