"""The built website, checked the way a reader sees it: in Chromium, served on 127.0.0.1."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import widget_probe  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
TF_NOISE = ("cuda drivers", "oneDNN", "absl::InitializeLog", "cudart_stub", "cuInit")
DESKTOP = {"width": 1280, "height": 900}
#: A phone's screen, as wide as the iPhone 12 to 15.
PHONE = {"width": 390, "height": 844}
#: Images whose alt text is missing, blank, or MyST-NB's fallback (the image's address).
JS_WITHOUT_ALT = """els => els.filter((e) => {
  const alt = (e.getAttribute('alt') || '').trim();
  return !alt || alt === e.getAttribute('src');
}).map((e) => e.src.slice(0, 80))"""
#: Code boxes whose text is wider than the box, with their longest line.
JS_CUT_OFF = """els => els.filter((e) => e.scrollWidth > e.clientWidth).map((e) => {
  const lines = e.innerText.split('\\n');
  const longest = lines.reduce((a, b) => (b.length > a.length ? b : a), '');
  return `${e.scrollWidth} > ${e.clientWidth} px: ${longest.trim().slice(0, 60)}`;
})"""
#: The outermost elements that reach past the right edge of the screen, outside any box
#: that scrolls or clips them.
JS_WIDEST = """() => {
  const right = document.documentElement.clientWidth;
  const boxed = (e) => {
    for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return true;
    }
    return false;
  };
  const out = [];
  for (const e of document.body.querySelectorAll('*')) {
    if (e.getBoundingClientRect().right <= right || boxed(e)) continue;
    if (out.some((o) => o.contains(e))) continue;
    out.push(e);
    if (out.length === 3) break;
  }
  return out.map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`).join(', ');
}"""


def _pages(site: Path) -> list[str]:
    return sorted(
        str(p.relative_to(site)) for p in site.rglob("*.html") if "_static" not in p.parts
    )


def _visit(browser, url: str) -> dict[str, list[str]]:
    """Load ``url`` as a reader does, at desktop width and then at phone width.

    Returns failed and off-host requests, broken images, console errors, images without
    alt text, code-cell lines cut off by their box at desktop width and, at phone width,
    the page's width when it is wider than the screen.
    """
    seen: dict[str, list[str]] = {"failed": [], "external": [], "errors": []}
    page = browser.new_page(viewport=DESKTOP)
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
    # Widget views (and their images) are drawn by script after the page has loaded.
    widget_probe.wait_for_widgets(page)
    seen["images_broken"] = page.eval_on_selector_all(
        "img", "els => els.filter(e => !(e.complete && e.naturalWidth > 0)).map(e => e.src)"
    )
    seen["images_without_alt"] = page.eval_on_selector_all("img", JS_WITHOUT_ALT)
    # Folded cells (the Colab set-up) are measured unfolded, as a reader who opens them.
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    seen["code_cut_off"] = page.eval_on_selector_all("div.cell_input pre", JS_CUT_OFF)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(200)
    width = page.evaluate("document.documentElement.scrollWidth")
    seen["phone_overflow"] = (
        [f"{width} px wide; wider than the screen: {page.evaluate(JS_WIDEST)}"]
        if width > PHONE["width"]
        else []
    )
    page.close()
    return seen


@pytest.fixture(scope="module")
def visits(browser, base_url, site) -> dict[str, dict[str, list[str]]]:
    """Every page of the site, visited once: what :func:`_visit` found, by page."""
    pages = _pages(site)
    assert len(pages) >= 8
    return {name: _visit(browser, f"{base_url}/{name}") for name in pages}


def _found(visits: dict[str, dict[str, list[str]]], key: str) -> list[str]:
    return [f"{name}: {item}" for name, seen in visits.items() for item in seen[key]]


def test_every_page_loads_offline(visits):
    external = _found(visits, "external")
    print(f"pages visited: {len(visits)}; requests leaving 127.0.0.1: {len(external)}")
    assert external == [], "requests left 127.0.0.1:\n" + "\n".join(external[:20])
    failed = _found(visits, "failed")
    assert failed == [], "failed responses:\n" + "\n".join(failed[:20])
    broken = _found(visits, "images_broken")
    assert broken == [], "images that did not load:\n" + "\n".join(broken[:20])
    errors = _found(visits, "errors")
    assert errors == [], "console errors:\n" + "\n".join(errors[:20])


def test_every_image_has_alt_text(visits):
    missing = _found(visits, "images_without_alt")
    assert missing == [], "images without alt text:\n" + "\n".join(missing[:20])


def test_no_page_is_wider_than_a_phone(visits):
    wide = _found(visits, "phone_overflow")
    assert wide == [], f"pages wider than {PHONE['width']} px:\n" + "\n".join(wide)


def test_code_cells_fit_their_box_at_desktop_width(visits):
    cut = _found(visits, "code_cut_off")
    assert cut == [], "code lines cut off at desktop width:\n" + "\n".join(cut[:20])


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
