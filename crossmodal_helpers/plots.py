"""Figures used across chapters: image grids with captions.

Introduced in chapter 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from crossmodal_helpers._checks import check_count, check_images, check_positive, check_texts

__all__ = ["check_images", "show_images"]


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
    if captions is not None:
        captions = check_texts(captions, "captions", per_image=len(images))
    columns = check_count(columns, "columns")
    size = check_positive(size, "size")
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
