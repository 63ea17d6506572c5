"""Widgets rendered by ipywidgets 7's front end (Colab's): scripts/widget_page.py.

The page builder is tested without a browser. One browser test renders a real
ipywidgets 7.7.1 widget state, made by the book's widgets in ``.venv-colab``, with
html-manager 0.20 in Chromium and checks it with scripts/widget_probe.py; it is skipped
when ``.venv-colab`` (built by ``make colab-check``), Chromium or node_modules is missing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import widget_page  # noqa: E402
import widget_probe  # noqa: E402

COLAB_PYTHON = ROOT / ".venv-colab" / "bin" / "python"
STATE = {
    "version_major": 2,
    "version_minor": 0,
    "state": {
        "m1": {
            "model_name": "HTMLModel",
            "model_module": "@jupyter-widgets/controls",
            "model_module_version": "1.5.0",
            "state": {"value": "<style>.x{}</style></script><b>caption</b>"},
        },
        "m2": {
            "model_name": "IntSliderModel",
            "model_module": "@jupyter-widgets/controls",
            "model_module_version": "1.5.0",
            "state": {"value": 0},
        },
    },
}


def _view(model_id: str) -> dict:
    return {"version_major": 2, "version_minor": 0, "model_id": model_id}


def _notebook(views: list[str], state: dict | None = STATE) -> dict:
    cells = [{"cell_type": "markdown", "source": "# title", "metadata": {}}]
    for model_id in views:
        cells.append(
            {
                "cell_type": "code",
                "source": "",
                "metadata": {},
                "outputs": [
                    {"output_type": "stream", "name": "stdout", "text": "hi"},
                    {
                        "output_type": "display_data",
                        "metadata": {},
                        "data": {
                            widget_page.VIEW_MIME: _view(model_id),
                            "text/plain": "VBox()",
                        },
                    },
                ],
            }
        )
    metadata = {} if state is None else {"widgets": {widget_page.STATE_MIME: state}}
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": metadata, "cells": cells}


class _Page(HTMLParser):
    """The scripts of a page and whether every element opened was closed."""

    VOID = {"meta", "link", "br", "img", "input", "hr"}

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[dict, str]] = []
        self.open: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "script":
            self.scripts.append((dict(attrs), ""))
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()

    def handle_data(self, data):
        if self.open and self.open[-1] == "script":
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    page.close()
    assert page.open == [], f"unclosed elements: {page.open}"
    return page


def test_page_holds_the_state_and_the_views_in_order():
    text = widget_page.build_page(_notebook(["m1", "m2"]), title="01 <chapter>")
    assert text.startswith("<!DOCTYPE html>")
    page = _parse(text)
    assert page.tags[:2] == ["html", "head"] and "body" in page.tags
    by_type = {}
    for attrs, body in page.scripts:
        by_type.setdefault(attrs.get("type"), []).append(body)
    (state,) = by_type[widget_page.STATE_MIME]
    assert json.loads(state) == STATE
    views = [json.loads(body) for body in by_type[widget_page.VIEW_MIME]]
    assert views == [_view("m1"), _view("m2")]
    # HTML in the state cannot end the script early: every "<" is escaped in the JSON.
    assert "</script><b>" not in text and "<style>" not in text
    assert "<title>01 &lt;chapter&gt;</title>" in text


def test_page_loads_its_scripts_from_local_files():
    text = widget_page.build_page(_notebook(["m1"]))
    sources = [a["src"] for a, _ in _parse(text).scripts if "src" in a]
    assert sources == [widget_page.REQUIRE_JS, widget_page.MANAGER_DIR + "embed-amd.js"]
    assert all(not s.startswith(("/", "http:", "https:", "//")) for s in sources)
    (manager,) = [a for a, _ in _parse(text).scripts if a.get("src", "").endswith("embed-amd.js")]
    # The manager's fallback for unknown modules stays on this host.
    assert manager["data-jupyter-widgets-cdn"] == widget_page.MISSING_CDN
    assert "__jupyter_widgets_assets_path__" in text
    assert "://" not in text


def test_notebooks_without_widgets_give_no_page_and_broken_ones_an_error():
    assert widget_page.build_page(_notebook([])) is None
    assert widget_page.build_page(_notebook([], state=None)) is None
    with pytest.raises(ValueError, match="no saved widget state"):
        widget_page.build_page(_notebook(["m1"], state=None))
    with pytest.raises(ValueError, match="without a model"):
        widget_page.build_page(_notebook(["m1", "gone"]))


def test_executed_notebooks_skips_the_work_folders_helpers(tmp_path):
    for name in [
        "01_a/01_a.ipynb",
        "02_b/02_b.ipynb",
        "source/x.ipynb",
        "01_a/home/y.ipynb",
        "01_a/.ipynb_checkpoints/01_a-checkpoint.ipynb",
    ]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    found = [p.relative_to(tmp_path).as_posix() for p in widget_page.executed_notebooks(tmp_path)]
    assert found == ["01_a/01_a.ipynb", "02_b/02_b.ipynb"]


def test_copy_vendor_copies_require_and_the_version_7_manager(tmp_path):
    modules = tmp_path / "node_modules"
    (modules / "requirejs").mkdir(parents=True)
    (modules / "requirejs" / "require.js").write_text("// require")
    dist = modules / "html-manager-7" / "dist"
    dist.mkdir(parents=True)
    for name in ("embed-amd.js", "font.woff", "embed.js.map"):
        (dist / name).write_text(name)
    out = tmp_path / "out"
    widget_page.copy_vendor(out, modules)
    assert (out / widget_page.REQUIRE_JS).read_text() == "// require"
    assert (out / widget_page.MANAGER_DIR / "embed-amd.js").is_file()
    assert (out / widget_page.MANAGER_DIR / "font.woff").is_file()
    assert not (out / widget_page.MANAGER_DIR / "embed.js.map").exists()
    with pytest.raises(FileNotFoundError, match="npm install"):
        widget_page.copy_vendor(out, tmp_path / "nothing")


def test_probe_of_a_folder_without_notebooks_is_a_problem(tmp_path):
    (finding,) = widget_page.probe_executed_notebooks(tmp_path)
    assert not finding.ok and "no notebook" in finding.detail


def test_findings_are_counted_by_widget_and_control():
    f = widget_probe.Finding
    findings = [
        f("01: widget 1 (pairs)", "", True, "as loaded"),
        f("01: widget 1 (pairs)", "slider 'item'", True, "page 0 -> 1"),
        f("01: widget 2 (more)", "dropdown", False, "did not change"),
        f("01: page", "", False, "request left: https://unpkg.com/x"),
    ]
    assert widget_probe.widgets_found(findings) == 2
    assert widget_probe.controls_operated(findings) == 2
    assert str(findings[2]) == "PROBLEM: 01: widget 2 (more) [dropdown]: did not change"


# Run in .venv-colab (ipywidgets 7.7.1): build book widgets, save each group's state and
# views as a notebook. "good" uses every kind of control the book links (IntSlider,
# SelectionSlider, Dropdown, ToggleButtons, nested pages); "broken" is what the probe must
# catch: pages outside a panel (tab bar shown) and a slider linked to nothing.
_MAKE_STATE = r"""
import json, sys
from pathlib import Path
import numpy as np
import ipywidgets
from ipywidgets.embed import dependency_state, embed_data
from ipywidgets.widgets.widget_link import Link
from crossmodal_helpers import attention, autoencoders, widgets

def save(path, views):
    # jslink's Link models reference the widgets, not the other way round: add them.
    links = [w for w in ipywidgets.Widget.widgets.values() if isinstance(w, Link)]
    data = embed_data(views=views, state=dependency_state(views + links, drop_defaults=False))
    outputs = [{"output_type": "display_data", "metadata": {},
                "data": {"application/vnd.jupyter.widget-view+json": spec, "text/plain": "Box"}}
               for spec in data["view_specs"]]
    cells = [{"cell_type": "code", "source": "", "metadata": {}, "execution_count": 1,
              "outputs": outputs}]
    nb = {"nbformat": 4, "nbformat_minor": 5, "cells": cells, "metadata": {"widgets": {
        "application/vnd.jupyter.widget-state+json": data["manager_state"]}}}
    Path(path).write_text(json.dumps(nb))
    ipywidgets.Widget.close_all()

rng = np.random.default_rng(0)
pairs = widgets.pair_browser(rng.random((3, 8, 8)), ["a <b>bold</b> caption", "two", "three"])
scenes = attention.attention_browser(
    np.zeros((2, 8, 8, 3), "float32"), ["a red circle", "a disc and a plus"],
    [[("circle", np.ones(4), "red")], [("disc", np.ones(4), "a"), ("plus", np.eye(2), "b")]])
menu = autoencoders.reconstruction_picker(["one", "two"], rng.random((2, 8, 8)))
levels = ipywidgets.SelectionSlider(options=["low", "high"], description="level")
shown = widgets.pages([ipywidgets.HTML("low page"), ipywidgets.HTML("high page")])
widgets.show_page(levels, shown)
chooser = widgets.panel("<b>Levels</b>", levels, shown)
save(sys.argv[1] + "/good/good.ipynb", [pairs, scenes, menu, chooser])

loose = ipywidgets.IntSlider(max=1, description="loose")
bare = widgets.pages([ipywidgets.HTML("one"), ipywidgets.HTML("two")])
save(sys.argv[1] + "/broken/broken.ipynb", [ipywidgets.VBox([loose, bare])])
print(ipywidgets.__version__)
"""


@pytest.mark.slow
def test_version_7_widgets_render_and_switch_pages_in_chromium(tmp_path):
    if not COLAB_PYTHON.is_file():
        pytest.skip(".venv-colab is missing: `make colab-check` builds it (ipywidgets 7.7.1)")
    if widget_page.chromium() is None:
        pytest.skip("Chromium is missing: apt-get install chromium")
    if not (widget_page.NODE_MODULES / "html-manager-7" / "dist" / "embed-amd.js").is_file():
        pytest.skip("html-manager 0.20 is missing: run `npm install` (alias html-manager-7)")
    for group in ("good", "broken"):
        (tmp_path / group).mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    made = subprocess.run(
        [str(COLAB_PYTHON), "-c", _MAKE_STATE, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr[-3000:]
    assert made.stdout.split()[-1].startswith("7."), made.stdout
    state = json.loads((tmp_path / "good" / "good.ipynb").read_text())["metadata"]["widgets"]
    modules = {m["model_module_version"] for m in state[widget_page.STATE_MIME]["state"].values()}
    assert modules <= {"1.2.0", "1.5.0"}, modules  # ipywidgets 7's base and controls

    findings = widget_page.probe_executed_notebooks(tmp_path)
    for finding in findings:
        print(finding)
    good = [f for f in findings if f.widget.startswith("good:")]
    broken = [f for f in findings if f.widget.startswith("broken:")]
    assert widget_probe.widgets_found(good) == 4
    # pair_browser 1 slider; attention 1 slider + the shown scene's word buttons (scene 1
    # after the slider moved); picker 1 dropdown; levels 1 selection slider.
    assert widget_probe.controls_operated(good) == 5
    assert [str(f) for f in good if not f.ok] == []
    problems = " ".join(f.detail for f in broken if not f.ok)
    assert "tab bar shown" in problems
    assert "did not change" in problems
