"""Figures used across chapters: image grids with captions.

Introduced in chapter 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def check_images(images: Any, *, name: str = "images") -> np.ndarray:
    """Validate a batch of images (N×H×W or N×H×W×C, C in {1, 3}, values in [0, 1]).

    Introduced in chapter 1. Returns the batch as float32 NHWC; raises a ``ValueError`` or
    ``TypeError`` that names ``name`` and what was expected.
    """
    if not isinstance(images, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(images).__name__}")
    if not (np.issubdtype(images.dtype, np.floating) or np.issubdtype(images.dtype, np.integer)):
        raise TypeError(f"{name} must hold numbers, got dtype {images.dtype}")
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(
            f"{name} must have shape (N, H, W) or (N, H, W, C) with C in (1, 3), got {images.shape}"
        )
    images = images.astype(np.float32, copy=False)
    if images.size and not np.isfinite(images).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    if images.size and (images.min() < 0.0 or images.max() > 1.0):
        raise ValueError(
            f"{name} must have values in [0, 1], got [{images.min():.3g}, {images.max():.3g}]"
            " (divide 8-bit images by 255)"
        )
    return images


def show_images(
    images: np.ndarray,
    captions: Sequence[str] | None = None,
    *,
    columns: int = 8,
    size: float = 1.4,
    cmap: str = "gray_r",
):
    """Show a grid of images with optional captions; return the matplotlib figure."""
    import matplotlib.pyplot as plt

    images = check_images(images)
    if captions is not None and len(captions) != len(images):
        raise ValueError(
            f"captions must have one entry per image ({len(images)}), got {len(captions)}"
        )
    if columns < 1:
        raise ValueError(f"columns must be at least 1, got {columns}")
    rows = max(1, -(-len(images) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * size, rows * size * 1.15))
    for i, ax in enumerate(np.atleast_1d(axes).ravel()):
        ax.axis("off")
        if i >= len(images):
            continue
        image = images[i]
        if image.shape[-1] == 1:
            ax.imshow(image[..., 0], cmap=cmap, vmin=0, vmax=1)
        else:
            ax.imshow(image)
        if captions is not None:
            ax.set_title(captions[i], fontsize=8)
    fig.tight_layout()
    return fig
