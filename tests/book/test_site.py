"""The built website, checked the way a reader sees it: in Chromium, served on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
TF_NOISE = ("cuda drivers", "oneDNN", "absl::InitializeLog", "cudart_stub", "cuInit")


def _pages(site: Path) -> list[str]:
    return sorted(
        str(p.relative_to(site)) for p in site.rglob("*.html") if "_static" not in p.parts
    )


def _visit(browser, url: str) -> dict[str, list[str]]:
    """Load ``url``; return failed and off-host requests, broken images and console errors."""
    seen: dict[str, list[str]] = {"failed": [], "external": [], "images_broken": [], "errors": []}
    page = browser.new_page()
    page.on("pageerror", lambda error: seen["errors"].append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: message.type == "error" and seen["errors"].append(message.text),
    )

    def on_request(request) -> None:
        host = urlparse(request.url).hostname
        if request.url.startswith(("data:", "blob:", "about:")):
            return
        if host != "127.0.0.1":
            seen["external"].append(request.url)

    def on_response(response) -> None:
        if response.status >= 400:
            seen["failed"].append(f"{response.status} {response.url}")

    page.on("request", on_request)
    page.on("response", on_response)
    page.on("requestfailed", lambda r: seen["failed"].append(f"failed {r.url}"))
    # Requests that would leave this machine are recorded above and never sent.
    page.route(
        lambda u: urlparse(u).hostname not in ("127.0.0.1", None),
        lambda route: route.abort(),
    )
    page.goto(url, wait_until="networkidle")
    seen["images_broken"] = page.eval_on_selector_all(
        "img", "els => els.filter(e => !(e.complete && e.naturalWidth > 0)).map(e => e.src)"
    )
    page.close()
    return seen


def test_every_page_loads_offline(browser, base_url, site):
    pages = _pages(site)
    assert len(pages) >= 8
    external, failed, broken, errors = [], [], [], []
    for name in pages:
        seen = _visit(browser, f"{base_url}/{name}")
        external += [f"{name}: {u}" for u in seen["external"]]
        failed += [f"{name}: {u}" for u in seen["failed"]]
        broken += [f"{name}: {u}" for u in seen["images_broken"]]
        errors += [f"{name}: {e}" for e in seen["errors"]]
    print(f"pages visited: {len(pages)}; requests leaving 127.0.0.1: {len(external)}")
    assert external == [], "requests left 127.0.0.1:\n" + "\n".join(external[:20])
    assert failed == [], "failed responses:\n" + "\n".join(failed[:20])
    assert broken == [], "images that did not load:\n" + "\n".join(broken[:20])
    assert errors == [], "console errors:\n" + "\n".join(errors[:20])


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_figures_render(browser, base_url, notebook):
    page = browser.new_page()
    page.goto(f"{base_url}/notebooks/{notebook.stem}.html", wait_until="networkidle")
    sizes = page.eval_on_selector_all(
        "figure img, .cell_output img", "els => els.map(e => e.naturalWidth)"
    )
    page.close()
    assert sizes, f"{notebook.stem}: no figure on the page"
    assert min(sizes) > 0, f"{notebook.stem}: a figure failed to load"


def test_widget_renders_and_responds_to_keys(browser, base_url):
    page = browser.new_page()
    page.goto(f"{base_url}/notebooks/01_crossmodal_data.html", wait_until="networkidle")
    handle = page.locator(".widget-slider .noUi-handle").first
    handle.wait_for(state="visible", timeout=15000)
    caption = page.locator(".pair-caption:visible").first
    before = caption.inner_text()
    readout = page.locator(".widget-slider .widget-readout").first.inner_text()
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(300)
    after = page.locator(".pair-caption:visible").first.inner_text()
    readout_after = page.locator(".widget-slider .widget-readout").first.inner_text()
    page.close()
    assert (readout, readout_after) == ("0", "1"), "the slider did not move on ArrowRight"
    assert before != after, "the caption did not change with the slider"


def test_mathjax_renders_offline(browser, base_url):
    page = browser.new_page()
    page.goto(f"{base_url}/notebooks/01_crossmodal_data.html", wait_until="networkidle")
    page.wait_for_selector("mjx-container", timeout=15000)
    count = page.locator("mjx-container").count()
    page.close()
    assert count > 0


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_colab_link_points_at_the_notebook(site, notebook):
    config = yaml.safe_load((ROOT / "book" / "_config.yml").read_text())
    repo = urlparse(config["repository"]["url"]).path.strip("/")
    branch = config["repository"]["branch"]
    expected = (
        f"https://colab.research.google.com/github/{repo}/blob/{branch}/notebooks/{notebook.name}"
    )
    html = (site / "notebooks" / f"{notebook.stem}.html").read_text(encoding="utf-8")
    assert f'href="{expected}"' in html


def test_no_tensorflow_log_noise_on_any_chapter_page(site):
    for path in (site / "notebooks").glob("*.html"):
        text = path.read_text(encoding="utf-8")
        for noise in TF_NOISE:
            assert noise not in text, f"{path.relative_to(site)} shows TensorFlow log {noise!r}"


@pytest.mark.parametrize("notebook", NOTEBOOKS[:2], ids=lambda p: p.stem)
def test_colab_setup_is_folded_and_the_imports_are_visible(browser, base_url, notebook):
    page = browser.new_page()
    page.goto(f"{base_url}/notebooks/{notebook.stem}.html", wait_until="networkidle")
    setup = page.locator(".cell", has_text="Colab set-up").first
    imports = page.locator(".cell", has_text="runtime.setup(").first
    folded = "tag_hide-input" in (setup.get_attribute("class") or "")
    setup_code_visible = setup.locator(".cell_input pre").first.is_visible()
    imports_visible = imports.locator(".cell_input pre").first.is_visible()
    page.close()
    assert folded and not setup_code_visible, "the Colab set-up code is not folded"
    assert imports_visible, "the chapter's imports are hidden"
