"""Unit tests of crossmodal_helpers.plots and crossmodal_helpers.widgets."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest
from PIL import Image

from crossmodal_helpers import plots, widgets

matplotlib.use("Agg")


def test_check_images_adds_a_channel_axis_and_casts():
    out = plots.check_images(np.zeros((2, 4, 5)))
    assert out.shape == (2, 4, 5, 1) and out.dtype == np.float32


@pytest.mark.parametrize(
    ("images", "error", "words"),
    [
        ([[0.0]], TypeError, "must be a NumPy array"),
        (np.zeros((2, 4)), ValueError, r"shape \(N, H, W\)"),
        (np.zeros((2, 4, 4, 2)), ValueError, "C in"),
        (np.full((1, 2, 2), 255.0), ValueError, "divide 8-bit images by 255"),
        (np.full((1, 2, 2), np.nan), ValueError, "NaN"),
        (np.array([[["a"]]]), TypeError, "must hold numbers"),
    ],
)
def test_check_images_rejects_bad_input(images, error, words):
    with pytest.raises(error, match=words):
        plots.check_images(images, name="images")


def test_show_images_lays_out_a_grid_with_captions():
    fig = plots.show_images(np.random.default_rng(0).random((5, 8, 8)), list("abcde"), columns=3)
    titles = [ax.get_title() for ax in fig.axes]
    assert len(fig.axes) == 6 and titles[:5] == list("abcde")


def test_show_images_needs_one_caption_per_image():
    with pytest.raises(ValueError, match="one str per image"):
        plots.show_images(np.zeros((3, 4, 4)), ["a"])


def test_to_png_round_trips_and_scales():
    image = np.linspace(0, 1, 16, dtype=np.float32).reshape(4, 4)
    decoded = np.asarray(Image.open(io.BytesIO(widgets.to_png(image, scale=3))))
    assert decoded.shape == (12, 12)
    assert decoded[0, 0] == 0 and decoded[-1, -1] == 255


def test_pair_browser_links_slider_and_pages():
    browser = widgets.pair_browser(np.zeros((3, 8, 8)), ["zero", "one", "two"])
    header, slider, stack = browser.children
    assert isinstance(stack, type(widgets.pages([slider])))
    assert (slider.min, slider.max) == (0, 2)
    assert len(stack.children) == 3
    assert "one" in stack.children[1].children[1].value


@pytest.mark.parametrize(
    ("captions", "error", "words"),
    [(["a"], ValueError, "got 1"), ("abc", TypeError, "captions must be a list of str")],
)
def test_pair_browser_needs_one_caption_per_image(captions, error, words):
    with pytest.raises(error, match=words):
        widgets.pair_browser(np.zeros((3, 8, 8)), captions)


def test_pair_browser_needs_at_least_one_item():
    with pytest.raises(ValueError, match="at least one image"):
        widgets.pair_browser(np.zeros((0, 8, 8)), [])


def test_pair_browser_shows_captions_as_text_not_html():
    browser = widgets.pair_browser(np.zeros((1, 8, 8)), ["<b>bold</b> & co"])
    caption = browser.children[2].children[0].children[1].value
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in caption and "<b>bold</b>" not in caption


def test_pages_is_a_tab_that_the_panel_style_turns_into_a_stack():
    import ipywidgets

    shown = widgets.pages([ipywidgets.HTML("a"), ipywidgets.HTML("b")], ["first", "second"])
    assert isinstance(shown, ipywidgets.Tab) and shown.selected_index == 0
    assert widgets.PAGES_CLASS in shown._dom_classes
    assert [shown.get_title(i) for i in range(2)] == ["first", "second"]
    box = widgets.panel("<b>title</b>", shown)
    style = box.children[0].value
    assert f".{widgets.PAGES_CLASS} > .widget-tab-bar" in style and "display: none" in style
    assert box.children[1] is shown


def test_show_page_links_index_of_selections_and_value_of_sliders(monkeypatch):
    import ipywidgets

    links = []
    monkeypatch.setattr(ipywidgets, "jslink", lambda a, b: links.append((a, b)))
    shown = widgets.pages([ipywidgets.HTML("a"), ipywidgets.HTML("b")])
    menu = ipywidgets.Dropdown(options=["a", "b"])
    slider = ipywidgets.IntSlider(min=0, max=1)
    widgets.show_page(menu, shown)
    widgets.show_page(slider, shown)
    assert links == [
        ((menu, "index"), (shown, "selected_index")),
        ((slider, "value"), (shown, "selected_index")),
    ]


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda w: widgets.pages([]), ValueError, "children must hold at least one"),
        (lambda w: widgets.pages(["a"]), TypeError, r"children\[0\] must be an ipywidgets"),
        (lambda w: widgets.pages([w.HTML()], ["a", "b"]), ValueError, "titles must hold one"),
        (lambda w: widgets.pages([w.HTML()], "a"), ValueError, "titles must hold one"),
        (lambda w: widgets.show_page(w.Text(), widgets.pages([w.HTML()])), TypeError, "control"),
        (lambda w: widgets.show_page(w.IntSlider(), w.VBox()), TypeError, "widgets.pages"),
        (lambda w: widgets.panel(None), TypeError, "title must be a string"),
    ],
)
def test_toolkit_rejects_bad_input(call, error, words):
    import ipywidgets

    with pytest.raises(error, match=words):
        call(ipywidgets)


def test_picture_keeps_the_size_it_was_rendered_at_and_has_alt_text():
    shown = widgets.picture(widgets.to_png(np.zeros((4, 6)), scale=3), 'a "black" strip')
    assert 'width="18" height="12"' in shown.value
    assert 'alt="a &quot;black&quot; strip"' in shown.value
    assert shown.value.startswith('<img src="data:image/png;base64,')


@pytest.mark.parametrize(
    ("png", "alt", "error", "words"),
    [
        ("not bytes", "a digit", TypeError, "png must be PNG bytes"),
        (b"not a png", "a digit", ValueError, "could not read"),
        (None, "", ValueError, "alt must say what the image shows"),
        (None, "  ", ValueError, "alt must say what the image shows"),
        (None, None, ValueError, "alt must say what the image shows"),
    ],
)
def test_picture_rejects_bad_input(png, alt, error, words):
    png = widgets.to_png(np.zeros((4, 6))) if png is None else png
    with pytest.raises(error, match=words):
        widgets.picture(png, alt)
