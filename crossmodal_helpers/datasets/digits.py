"""scikit-learn digits: 1,797 real handwritten digits, 8×8 grey, for fast demos.

Introduced in chapter 1. ``sklearn.datasets.load_digits`` ships the images in the wheel;
pixel values 0-16 are divided by 16.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from crossmodal_helpers.datasets._core import (
    DEFAULT_FRACTIONS,
    DataCard,
    Dataset,
    labelled_images,
    require,
)

NAME = "digits"
DEFAULT_SPLIT = "train"
INSTALL = "pip install scikit-learn"
DIGIT_NAMES = [str(d) for d in range(10)]

CARD = DataCard(
    name=NAME,
    title="scikit-learn handwritten digits",
    modalities="image (8×8×1, float32 in [0, 1])",
    source=(
        "sklearn.datasets.load_digits(): the test set of the UCI 'Optical Recognition of "
        "Handwritten Digits' data (32×32 bitmaps counted into 4×4 blocks)"
    ),
    licence="UCI Machine Learning Repository, CC BY 4.0; scikit-learn is BSD-3-Clause",
    attribution="E. Alpaydin and C. Kaynak, UCI Machine Learning Repository (1998)",
    size="1,797 images, about 180 per digit",
    classes="the digits 0-9 (label_names '0' … '9')",
    splits="stratified by digit, seeded, 70/15/15",
    options="fractions=(0.7, 0.15, 0.15)",
    caveats=(
        "8×8 pixels with 17 grey levels: far coarser than MNIST; good for seconds-long demos, "
        "not for judging image models.",
    ),
)


def arrays() -> tuple[np.ndarray, np.ndarray]:
    """All 1,797 images (N, 8, 8, 1) float32 in [0, 1] and labels, in source order.

    Introduced in chapter 1.
    """
    sk_datasets = require("sklearn.datasets", INSTALL, "the digits data set")
    bunch = sk_datasets.load_digits()
    images = (bunch.images[..., None] / 16.0).astype(np.float32)
    return images, np.asarray(bunch.target, dtype=np.int64)


def load(
    split: str = DEFAULT_SPLIT,
    seed: int = 0,
    *,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
) -> Dataset:
    """Load the scikit-learn digits; see :data:`CARD`. Introduced in chapter 1."""
    images, labels = arrays()
    return labelled_images(NAME, images, labels, DIGIT_NAMES, split, seed, fractions)
