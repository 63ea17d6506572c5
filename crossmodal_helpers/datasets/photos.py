"""Photos: real photographs that ship inside scikit-image and scikit-learn wheels.

Introduced in chapter 1. For preprocessing and hand-made features (edges, colour, HOG).
Only images bundled in the wheels are used (no download); each comes with its name (the
text), a one-line description and its licence. Without ``size=`` the images keep their own
sizes; with ``size=`` they are centre-cropped to a square and resized to RGB
``size × size`` so they can be batched.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from crossmodal_helpers.datasets._core import (
    DEFAULT_FRACTIONS,
    DataCard,
    Dataset,
    check_int,
    require,
)

NAME = "photos"
DEFAULT_SPLIT = "all"
MIN_SIZE, MAX_SIZE = 8, 1024

#: (name, loader, description, licence); loader "skimage:<function>" or "sklearn:<file>".
PHOTOS: tuple[tuple[str, str, str, str], ...] = (
    ("astronaut", "skimage:astronaut", "astronaut Eileen Collins (NASA)", "public domain"),
    ("camera", "skimage:camera", "a person with a camera on a tripod", "CC0 (Lav Varshney)"),
    ("chelsea", "skimage:chelsea", "Chelsea the cat", "CC0 (Stefan van der Walt)"),
    ("coffee", "skimage:coffee", "a cup of coffee on a wooden table", "CC0 (Rachel Michetti)"),
    ("rocket", "skimage:rocket", "launch of DSCOVR on a Falcon 9 rocket", "public domain (SpaceX)"),
    ("coins", "skimage:coins", "Greek coins from Pompeii", "no known copyright restrictions"),
    ("clock", "skimage:clock", "a motion-blurred wall clock", "public domain (S. van der Walt)"),
    ("moon", "skimage:moon", "the surface of the moon", "scikit-image sample, licence not stated"),
    ("brick", "skimage:brick", "a brick wall", "CC0 (CC0Textures)"),
    ("grass", "skimage:grass", "grass", "CC0 (DeviantArt, linolafett)"),
    ("gravel", "skimage:gravel", "gravel", "CC0 (CC0Textures)"),
    (
        "hubble",
        "skimage:hubble_deep_field",
        "the Hubble eXtreme Deep Field",
        "public domain (NASA)",
    ),
    (
        "cells",
        "skimage:immunohistochemistry",
        "immunohistochemical staining of colonic glands",
        "no known copyright restrictions",
    ),
    ("retina", "skimage:retina", "a fundus photograph of a human retina", "CC0 (M. Häggström)"),
    (
        "page",
        "skimage:page",
        "a scanned page of printed text",
        "scikit-image sample, licence not stated",
    ),
    ("text", "skimage:text", "handwritten text seen at an angle", "public domain (Wikipedia)"),
    (
        "motorcycle",
        "skimage:stereo_motorcycle",
        "a motorcycle in a workshop (left image of a stereo pair)",
        "Middlebury 2014 stereo data, licence not stated (research use)",
    ),
    (
        "china",
        "sklearn:china.jpg",
        "a Chinese temple by a lake",
        "CC BY 2.0 (danielbuechele, Flickr)",
    ),
    ("flower", "sklearn:flower.jpg", "an orange dahlia", "CC BY 2.0 (vultilion, Flickr)"),
)

CARD = DataCard(
    name=NAME,
    title="Photos from scikit-image and scikit-learn",
    modalities="image (+ the photo's name as text)",
    source=(
        "skimage.data functions whose images ship in the scikit-image wheel (no pooch "
        "download) and the two sample images of sklearn.datasets.load_sample_images() (china, "
        "flower; read with Pillow)"
    ),
    licence=(
        "per photo in meta['licence']: mostly public domain or CC0; china and flower CC BY "
        "2.0; moon, page and motorcycle state no licence (scikit-image ships them as sample "
        "data); see each skimage.data function's docstring"
    ),
    attribution=(
        "scikit-image sample data (van der Walt et al., PeerJ 2014) and scikit-learn sample "
        "images; photographers named in meta['licence']"
    ),
    size=f"{len(PHOTOS)} photos from 102×102 to 1411×1411 pixels, grey or RGB",
    classes="none (texts are the photo names)",
    splits="none: only split='all' (a demonstration set, not for training)",
    options=(
        "size=None: keep each photo's size and channels (images is then a 1-D object array "
        "of (H, W, C) float32 arrays); size=int (8-1024): centre-crop to a square, resize, "
        "convert to RGB, giving a (N, size, size, 3) float32 batch"
    ),
    caveats=(
        "'chelsea' (skimage also calls it 'cat') appears once; 'camera' is the CC0 image "
        "that replaced the classic cameraman in scikit-image 0.18.",
        "Grey photos are (H, W, 1) without size= and repeated to RGB with size=.",
    ),
)


def _sklearn_sample(filename: str) -> np.ndarray:
    """A sample image of scikit-learn, read with Pillow without importing scikit-learn."""
    spec = importlib.util.find_spec("sklearn")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "datasets" / "images" / filename
        if path.is_file():
            pil = require("PIL.Image", "pip install pillow", "the photos data set")
            with pil.open(path) as image:
                return np.asarray(image.convert("RGB"))
    sk_datasets = require("sklearn.datasets", "pip install scikit-learn", "the photos data set")
    bunch = sk_datasets.load_sample_images()
    names = [Path(str(f)).name for f in bunch.filenames]
    return bunch.images[names.index(filename)]


def _load_one(loader: str) -> np.ndarray:
    """One photo as float32 (H, W, C) in [0, 1]."""
    kind, _, which = loader.partition(":")
    if kind == "skimage":
        data = require("skimage.data", "pip install scikit-image", "the photos data set")
        image = getattr(data, which)()
        if which == "stereo_motorcycle":
            image = image[0]
    else:
        image = _sklearn_sample(which)
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[..., None]
    image = image[..., :3]
    if image.dtype == np.uint8:
        return image.astype(np.float32) / 255.0
    return np.clip(image.astype(np.float32), 0.0, 1.0)


def _square(image: np.ndarray, size: int) -> np.ndarray:
    """Centre-crop to a square, resize to ``size`` with Pillow (Lanczos), convert to RGB."""
    pil = require("PIL.Image", "pip install pillow", "resizing photos")
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    crop = image[top : top + side, left : left + side]
    rgb = np.repeat(crop, 3, axis=-1) if crop.shape[-1] == 1 else crop
    as_bytes = np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)
    resized = pil.fromarray(as_bytes).resize((size, size), pil.Resampling.LANCZOS)
    return np.asarray(resized, dtype=np.float32) / 255.0


def load(
    split: str = DEFAULT_SPLIT,
    seed: int = 0,
    *,
    size: int | None = None,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
) -> Dataset:
    """Load the photos; see :data:`CARD`. Introduced in chapter 1.

    ``seed`` and ``fractions`` are accepted for a uniform API but unused: there are no
    splits, and ``split`` must be "all".
    """
    if split != "all":
        raise ValueError(
            f"photos has no train/val/test splits ({len(PHOTOS)} demonstration photos): "
            f"use split='all', got {split!r}"
        )
    if size is not None:
        size = check_int(size, "size", minimum=MIN_SIZE)
        if size > MAX_SIZE:
            raise ValueError(f"size must be between {MIN_SIZE} and {MAX_SIZE} pixels, got {size}")
    originals = [_load_one(loader) for _, loader, _, _ in PHOTOS]
    if size is None:
        images = np.empty(len(originals), dtype=object)
        for i, image in enumerate(originals):
            images[i] = image
    else:
        images = np.stack([_square(image, size) for image in originals])
    return Dataset(
        name=NAME,
        split=split,
        images=images,
        texts=[name for name, _, _, _ in PHOTOS],
        meta={
            "description": np.array([d for _, _, d, _ in PHOTOS]),
            "licence": np.array([lic for _, _, _, lic in PHOTOS]),
            "source": np.array(
                [
                    f"skimage.data.{w.split(':')[1]}"
                    if w.startswith("skimage")
                    else f"sklearn.datasets.load_sample_images ({w.split(':')[1]})"
                    for _, w, _, _ in PHOTOS
                ]
            ),
            "height": np.array([im.shape[0] for im in originals], dtype=np.int64),
            "width": np.array([im.shape[1] for im in originals], dtype=np.int64),
            "channels": np.array([im.shape[2] for im in originals], dtype=np.int64),
            "index": np.arange(len(originals), dtype=np.int64),
        },
    )
