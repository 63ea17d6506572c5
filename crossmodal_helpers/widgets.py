"""Interactive widgets that work in Jupyter, Colab and the static website alike.

Introduced in chapter 1. Every widget in the book is built from this small toolkit, which
uses only what ipywidgets 7.7 (Colab's front end renders version 7 natively) and
ipywidgets 8 (JupyterLab 4, VS Code, the website's widget manager) both have:

- :func:`pages` holds pre-rendered pages of which one is shown at a time (the part of
  ipywidgets 8's ``Stack`` that the book needs; ``Stack`` does not exist in version 7);
- :func:`show_page` links a control to the pages in the browser (``jslink``), so a widget
  keeps working on the website, where no Python kernel runs;
- :func:`panel` is the outer box of every widget: a title, the controls and the pages;
- :func:`picture` shows an image at the size it was rendered at.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from crossmodal_helpers._checks import (
    check_count,
    check_image,
    check_images,
    check_str,
    check_texts,
)

if TYPE_CHECKING:
    import ipywidgets

#: CSS class of every :func:`pages` widget.
PAGES_CLASS = "crossmodal-pages"
# A ``Tab`` whose tab bar is hidden is a ``Stack``: ipywidgets 7 draws the bar with the
# classes p-TabBar / widget-tab-bar, version 8 with lm-TabBar / widget-tab-bar.
_PAGES_STYLE = (
    "<style>"
    f".{PAGES_CLASS} > .widget-tab-bar, .{PAGES_CLASS} > .p-TabBar, "
    f".{PAGES_CLASS} > .lm-TabBar {{display: none !important;}} "
    f".{PAGES_CLASS} > .widget-tab-contents {{border: none !important; padding: 0 !important;}}"
    "</style>"
)


def to_png(image: np.ndarray, scale: int = 1) -> bytes:
    """Encode an HW or HWC float image in [0, 1] as PNG bytes, enlarged ``scale`` times."""
    from PIL import Image

    image = check_image(image, name="image")
    scale = check_count(scale, "scale", maximum=64)
    if image.shape[-1] == 1:
        image = image[..., 0]
    pixels = np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)
    if scale > 1:
        pixels = np.repeat(np.repeat(pixels, scale, axis=0), scale, axis=1)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def picture(png: bytes, alt: str) -> ipywidgets.HTML:
    """An image shown at the PNG's own size, with alt text. Introduced in chapter 1.

    Without a size, a box stretches an image to its full width (a 28-pixel digit becomes a
    blurred 600-pixel one); with it, the picture keeps the scale it was rendered at.
    ``alt`` says what the image shows, for readers who cannot see it (ipywidgets' ``Image``
    has no alt text, so this is an ``HTML`` widget holding an ``<img>``).
    """
    import ipywidgets as widgets
    from PIL import Image

    if not isinstance(png, bytes):
        raise TypeError(f"png must be PNG bytes (see to_png), got {type(png).__name__}")
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError(f"alt must say what the image shows, got {alt!r}")
    try:
        width, height = Image.open(io.BytesIO(png)).size
    except OSError as error:
        raise ValueError(f"png must be a PNG image, could not read it: {error}") from None
    source = base64.b64encode(png).decode("ascii")
    return widgets.HTML(
        f'<img src="data:image/png;base64,{source}" alt="{html.escape(alt)}" '
        f'width="{width}" height="{height}">'
    )


def pages(
    children: Sequence[ipywidgets.Widget], titles: Sequence[str] | None = None
) -> ipywidgets.Tab:
    """Pages of which one is shown at a time, chosen by ``selected_index``.

    Introduced in chapter 1. A ``Tab`` with its tab bar hidden by :func:`panel`'s style:
    ``Tab`` and ``selected_index`` exist in ipywidgets 7 and 8. ``titles`` name the pages
    where a front end shows the tabs after all.
    """
    import ipywidgets as widgets

    children = list(children)
    if not children:
        raise ValueError("children must hold at least one widget, got none")
    for i, child in enumerate(children):
        if not isinstance(child, widgets.Widget):
            raise TypeError(
                f"children[{i}] must be an ipywidgets widget, got {type(child).__name__}"
            )
    names = [str(i + 1) for i in range(len(children))] if titles is None else titles
    if isinstance(names, str) or len(names) != len(children):
        raise ValueError(f"titles must hold one string per page ({len(children)}), got {names!r}")
    tab = widgets.Tab(children=children)
    for i, name in enumerate(names):
        tab.set_title(i, str(name))
    tab.selected_index = 0
    tab.add_class(PAGES_CLASS)
    return tab


def show_page(control: ipywidgets.Widget, shown: ipywidgets.Tab) -> None:
    """Show the page of ``shown`` whose number ``control`` holds, linked in the browser.

    Introduced in chapter 1. Selection controls (``Dropdown``, ``ToggleButtons``,
    ``SelectionSlider``) give their ``index``, integer sliders their ``value``.
    """
    import ipywidgets as widgets

    if not isinstance(shown, widgets.Tab):
        raise TypeError(f"shown must be made by widgets.pages(), got {type(shown).__name__}")
    if not isinstance(control, widgets.Widget):
        raise TypeError(f"control must be an ipywidgets widget, got {type(control).__name__}")
    if control.has_trait("index"):
        trait = "index"
    elif isinstance(control, widgets.IntSlider):
        trait = "value"
    else:
        raise TypeError(
            "control must be a selection widget (Dropdown, ToggleButtons, SelectionSlider) "
            f"or an IntSlider, got {type(control).__name__}"
        )
    widgets.jslink((control, trait), (shown, "selected_index"))


def panel(title: str, *parts: ipywidgets.Widget) -> ipywidgets.VBox:
    """The outer box of a book widget: a bold title (HTML), then ``parts`` from top to bottom.

    Introduced in chapter 1. It carries the style that hides the tab bars of
    :func:`pages`. ``title`` is HTML: escape any text in it that comes from data.
    """
    import ipywidgets as widgets

    if not isinstance(title, str):
        raise TypeError(f"title must be a string of HTML, got {type(title).__name__}")
    heading = widgets.HTML(_PAGES_STYLE + title)
    return widgets.VBox([heading, *parts])


def pair_browser(
    images: np.ndarray,
    captions: Sequence[str],
    *,
    title: str = "Image–caption pairs",
    display_px: int = 112,
) -> ipywidgets.VBox:
    """Browse image–caption pairs with a slider: works live and on the website.

    Introduced in chapter 1. ``images`` is N×H×W or N×H×W×C in [0, 1]; ``captions`` has
    one string per image, shown as text (not HTML). Keep N small (tens): every item is
    embedded in the page.
    """
    import ipywidgets as widgets

    images = check_images(images, name="images")
    captions = check_texts(captions, "captions", per_image=len(images))
    title = check_str(title, "title")
    display_px = check_count(display_px, "display_px")
    if len(images) == 0:
        raise ValueError("images must contain at least one image, got 0")
    height, width = images.shape[1:3]
    scale = max(1, display_px // max(height, width))
    items = []
    for i, (image, caption) in enumerate(zip(images, captions, strict=True)):
        shown_image = picture(to_png(image, scale), f"the image of pair #{i}: {caption}")
        text = widgets.HTML(
            f"<b>#{i}</b>: <span class='pair-caption'>{html.escape(str(caption))}</span>"
        )
        items.append(widgets.VBox([shown_image, text]))
    shown = pages(items, [f"#{i}" for i in range(len(items))])
    slider = widgets.IntSlider(value=0, min=0, max=len(items) - 1, description="item")
    show_page(slider, shown)
    return panel(
        f"<b>{html.escape(title)}</b> ({len(items)} items; drag or use the arrow keys)",
        slider,
        shown,
    )
