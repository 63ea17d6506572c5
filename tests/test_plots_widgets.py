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
    with pytest.raises(ValueError, match="one entry per image"):
        plots.show_images(np.zeros((3, 4, 4)), ["a"])


def test_to_png_round_trips_and_scales():
    image = np.linspace(0, 1, 16, dtype=np.float32).reshape(4, 4)
    decoded = np.asarray(Image.open(io.BytesIO(widgets.to_png(image, scale=3))))
    assert decoded.shape == (12, 12)
    assert decoded[0, 0] == 0 and decoded[-1, -1] == 255


def test_pair_browser_links_slider_and_pages():
    browser = widgets.pair_browser(np.zeros((3, 8, 8)), ["zero", "one", "two"])
    header, slider, stack = browser.children
    assert (slider.min, slider.max) == (0, 2)
    assert len(stack.children) == 3
    assert "one" in stack.children[1].children[1].value


@pytest.mark.parametrize(
    ("captions", "words"), [(["a"], "got 1 captions"), ("abc", "a single string")]
)
def test_pair_browser_needs_one_caption_per_image(captions, words):
    with pytest.raises(ValueError, match=words):
        widgets.pair_browser(np.zeros((3, 8, 8)), captions)


def test_pair_browser_needs_at_least_one_item():
    with pytest.raises(ValueError, match="at least one image"):
        widgets.pair_browser(np.zeros((0, 8, 8)), [])
