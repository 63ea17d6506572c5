"""Interactive widgets that also work in the static website.

Introduced in chapter 1. The browsers pre-render their items and link the controls in the
browser (``jslink``), so the saved widget state keeps them interactive on the website,
where no Python kernel runs.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np

from crossmodal_helpers.plots import check_images


def to_png(image: np.ndarray, scale: int = 1) -> bytes:
    """Encode an HW or HWC float image in [0, 1] as PNG bytes, enlarged ``scale`` times."""
    from PIL import Image

    image = check_images(image[None], name="image")[0]
    if image.shape[-1] == 1:
        image = image[..., 0]
    pixels = np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)
    if scale > 1:
        pixels = np.repeat(np.repeat(pixels, scale, axis=0), scale, axis=1)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def pair_browser(
    images: np.ndarray,
    captions: Sequence[str],
    *,
    title: str = "Image–caption pairs",
    display_px: int = 112,
):
    """Browse image–caption pairs with a slider: works live and on the website.

    ``images`` is N×H×W or N×H×W×C in [0, 1]; ``captions`` has one string per image.
    Keep N small (tens): every item is embedded in the page.
    """
    import ipywidgets as widgets

    images = check_images(images, name="images")
    if isinstance(captions, str) or len(captions) != len(images):
        got = "a single string" if isinstance(captions, str) else f"{len(captions)} captions"
        raise ValueError(f"captions must have one string per image ({len(images)}), got {got}")
    if len(images) == 0:
        raise ValueError("images must contain at least one image, got 0")
    height, width = images.shape[1:3]
    scale = max(1, display_px // max(height, width))
    pages = []
    for i, (image, caption) in enumerate(zip(images, captions, strict=True)):
        picture = widgets.Image(value=to_png(image, scale), format="png")
        text = widgets.HTML(f"<b>#{i}</b>: <span class='pair-caption'>{caption}</span>")
        pages.append(widgets.VBox([picture, text]))
    stack = widgets.Stack(pages, selected_index=0)
    slider = widgets.IntSlider(value=0, min=0, max=len(pages) - 1, description="item")
    widgets.jslink((slider, "value"), (stack, "selected_index"))
    header = widgets.HTML(f"<b>{title}</b> ({len(pages)} items; drag or use the arrow keys)")
    return widgets.VBox([header, slider, stack])
