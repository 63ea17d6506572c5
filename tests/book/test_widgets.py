"""The book's widgets on the website (ipywidgets 8), operated in Chromium.

Each chapter page is served on 127.0.0.1 (fixtures of conftest.py) and checked with
scripts/widget_probe.py: the tab bars of the pages are hidden, one page is shown, and
every slider, drop-down and toggle button switches what is shown, with no kernel.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import widget_probe  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: Chapters that show at least one interactive widget.
WIDGET_CHAPTERS = {f"{n:02d}" for n in range(1, 9)}


def _probe(browser, url: str, label: str) -> list[widget_probe.Finding]:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    # Requests that would leave this machine are never sent (test_site.py reports them).
    page.route(
        lambda u: urlparse(u).hostname not in ("127.0.0.1", None),
        lambda route: route.abort(),
    )
    try:
        page.goto(url, wait_until="load")
        findings = widget_probe.probe_widgets(page, label=label)
    finally:
        page.close()
    for error in dict.fromkeys(errors):
        findings.append(widget_probe.Finding(f"{label}: page", "", False, error))
    return findings


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_widgets_work_without_a_kernel(browser, base_url, site, notebook):
    name = f"notebooks/{notebook.stem}.html"
    assert (site / name).is_file(), f"{name} is missing from the built site"
    findings = _probe(browser, f"{base_url}/{name}", notebook.stem)
    for finding in findings:
        print(finding)
    found = widget_probe.widgets_found(findings)
    operated = widget_probe.controls_operated(findings)
    print(f"{notebook.stem}: widgets found: {found}; controls operated: {operated}")
    problems = [str(f) for f in findings if not f.ok]
    assert problems == [], "widget problems:\n" + "\n".join(problems)
    if notebook.stem[:2] in WIDGET_CHAPTERS:
        assert found >= 1, f"{notebook.stem}: no book widget on the page"
    elif found == 0:
        pytest.skip(f"{notebook.stem} has no widgets")
