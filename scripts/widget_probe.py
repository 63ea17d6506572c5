"""Check the book's widgets in a browser page, the way a reader uses them.

    from widget_probe import probe_widgets
    findings = probe_widgets(page, label="01_crossmodal_data")  # a Playwright sync page
    problems = [f for f in findings if not f.ok]

Every book widget is a :func:`crossmodal_helpers.widgets.panel`: a VBox whose first child
is an HTML title carrying the ``<style>`` that hides the tab bars of the ``Tab`` widgets
with the class ``crossmodal-pages`` (:func:`~crossmodal_helpers.widgets.pages`). For each
panel the probe checks that

(a) no tab bar of a pages element is shown (``.widget-tab-bar``, ``.p-TabBar``,
    ``.lm-TabBar``: ipywidgets 7 draws the bar as p-TabBar + widget-tab-bar, version 8
    as lm-TabBar + widget-tab-bar);
(b) every shown pages element (all top-level ones must be shown) shows exactly one page;
(c) operating each control changes which page or what content is shown: sliders (their
    handle is ``.noUi-handle`` in ipywidgets 8, the jQuery-UI ``.ui-slider-handle`` in 7)
    get ArrowRight, a Dropdown's ``<select>`` the next option, ToggleButtons a click on
    the next button. Controls inside pages (one per page) are operated where shown.

Only DOM classes both major versions share are relied on: ``widget-tab``,
``widget-tab-contents``, ``widget-vbox``, ``widget-html``, ``widget-slider``,
``widget-dropdown``, ``widget-toggle-buttons``, ``mod-active``; what is shown is decided
by layout (``getClientRects``), not by the hidden-classes (p-mod-hidden / lm-mod-hidden).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

PAGES_CLASS = "crossmodal-pages"
VIEW_SCRIPT = 'script[type="application/vnd.jupyter.widget-view+json"]'
#: The most controls operated in one panel (nested controls are found as pages change).
MAX_OPERATIONS = 24


@dataclass(frozen=True)
class Finding:
    """One check of one widget: ``control`` is empty for checks of the whole panel."""

    widget: str
    control: str
    ok: bool
    detail: str

    def __str__(self) -> str:
        mark = "ok" if self.ok else "PROBLEM"
        control = f" [{self.control}]" if self.control else ""
        return f"{mark}: {self.widget}{control}: {self.detail}"


_JS_HELPERS = """
const shown = (el) => {
  if (!el || !el.isConnected || el.getClientRects().length === 0) return false;
  const style = getComputedStyle(el);
  return style.display !== 'none' && style.visibility !== 'hidden';
};
const isBar = (el) => el.matches('.widget-tab-bar, .p-TabBar, .lm-TabBar');
"""

# Mark every panel with data-probe-panel; return their titles.
_JS_FIND_PANELS = (
    "() => {"
    + _JS_HELPERS
    + f"""
  const styled = (box) => [...box.children].some((child) =>
    child.classList.contains('widget-html') &&
    [...child.querySelectorAll('style')].some((s) => s.textContent.includes('{PAGES_CLASS}')));
  for (const el of document.querySelectorAll('[data-probe-panel], [data-probe-control]')) {{
    el.removeAttribute('data-probe-panel');  // marks of an earlier probe of this page
    el.removeAttribute('data-probe-control');
  }}
  const panels = [];
  for (const pages of document.querySelectorAll('.{PAGES_CLASS}')) {{
    let panel = null;
    for (let up = pages.parentElement; up; up = up.parentElement) {{
      if (up.classList.contains('widget-vbox') && styled(up)) {{ panel = up; break; }}
    }}
    if (panel === null) {{
      // Not in a book panel: group under the outermost widget around it.
      panel = pages;
      for (let up = pages.parentElement; up; up = up.parentElement) {{
        if (up.classList.contains('jupyter-widgets')) panel = up;
      }}
    }}
    if (!panels.includes(panel)) panels.push(panel);
  }}
  return panels.map((panel, k) => {{
    panel.setAttribute('data-probe-panel', String(k));
    const title = [...panel.children].find((c) => c.classList.contains('widget-html'));
    return {{ title: title ? title.innerText.trim().replace(/\\s+/g, ' ') : '',
              styled: styled(panel) }};
  }});
}}"""
)

# The state of one panel: tab bars shown, pages shown, and a signature of what is shown.
_JS_PANEL_STATE = (
    "(panel) => {"
    + _JS_HELPERS
    + f"""
  const all = [...panel.querySelectorAll('.{PAGES_CLASS}')];
  const bars = [], pages = [], content = [];
  all.forEach((el, i) => {{
    for (const child of el.children) {{
      if (isBar(child) && (getComputedStyle(child).display !== 'none' || shown(child))) {{
        bars.push(i);
      }}
    }}
    const outer = el.parentElement && el.parentElement.closest('.{PAGES_CLASS}');
    const top = !(outer && panel.contains(outer));
    const box = [...el.children].find((c) => c.classList.contains('widget-tab-contents'));
    const kids = box ? [...box.children] : [];
    const on = kids.map((c, j) => (shown(c) ? j : -1)).filter((j) => j >= 0);
    pages.push({{ index: i, top, visible: shown(el), count: kids.length, shown: on }});
    if (top && shown(el)) {{
      for (const j of on) {{
        const page = kids[j];
        content.push(page.innerText);
        for (const img of page.querySelectorAll('img')) {{
          if (shown(img)) content.push(img.src.length + ':' + img.src.slice(-48));
        }}
      }}
    }}
  }});
  const visiblePages = pages.filter((p) => p.visible).map((p) => [p.index, p.shown]);
  return {{ bars, pages, signature: JSON.stringify([visiblePages, content]) }};
}}"""
)

# Mark the shown controls of a panel not yet marked; return the new ones.
_JS_NEW_CONTROLS = (
    "(panel, start) => {"
    + _JS_HELPERS
    + """
  const found = [];
  let next = start;
  const selector = '.widget-slider, .widget-dropdown, .widget-toggle-buttons';
  for (const el of panel.querySelectorAll(selector)) {
    if (el.hasAttribute('data-probe-control') || !shown(el)) continue;
    let kind = 'slider';
    if (el.classList.contains('widget-dropdown')) kind = 'dropdown';
    else if (el.classList.contains('widget-toggle-buttons')) kind = 'toggle-buttons';
    const label = [...el.children].find((c) => c.classList.contains('widget-label'));
    const name = label ? label.innerText.trim() : '';
    const id = String(next++);
    el.setAttribute('data-probe-control', id);
    found.push({ id, kind, name });
  }
  return found;
}"""
)


def wait_for_widgets(page, timeout_s: float = 60.0) -> int:
    """Wait until every widget view of ``page`` is rendered and the DOM is still.

    Returns how many views did not render in time (the html managers put each rendered
    view in a ``div.widget-subarea`` just before its ``<script>``).
    """
    count_missing = f"""() => [...document.querySelectorAll('{VIEW_SCRIPT}')].filter((s) => {{
        const area = s.previousElementSibling;
        return !(area && area.classList.contains('widget-subarea') && area.children.length);
      }}).length"""
    size = "() => document.querySelectorAll('.widget-subarea *').length"
    deadline = time.monotonic() + timeout_s
    missing = page.evaluate(count_missing)
    while missing and time.monotonic() < deadline:
        page.wait_for_timeout(200)
        missing = page.evaluate(count_missing)
    # Children views are created asynchronously: wait until the widget DOM stops growing.
    last, still = -1, 0
    while still < 3 and time.monotonic() < deadline:
        now = page.evaluate(size)
        still = still + 1 if now == last else 0
        last = now
        page.wait_for_timeout(150)
    return missing


def _structure(widget: str, state: dict, when: str) -> list[Finding]:
    problems = []
    if state["bars"]:
        problems.append(
            f"tab bar shown on {len(state['bars'])} of {len(state['pages'])} pages elements"
        )
    for pages in state["pages"]:
        if pages["top"] and not pages["visible"]:
            problems.append(f"pages element {pages['index']} is not shown")
        elif pages["visible"] and len(pages["shown"]) != 1:
            problems.append(
                f"pages element {pages['index']} shows {len(pages['shown'])} of "
                f"{pages['count']} pages, not 1"
            )
    if problems:
        return [Finding(widget, "", False, f"{when}: " + "; ".join(problems))]
    top = sum(p["top"] for p in state["pages"])
    return [
        Finding(
            widget,
            "",
            True,
            f"{when}: {len(state['pages'])} pages elements ({top} top-level), tab bars "
            "hidden, one page shown in each shown pages element",
        )
    ]


def _operate(page, control, kind: str) -> str:
    """Operate ``control`` once; return what was done."""
    if kind == "slider":
        handle = control.locator(".noUi-handle, .ui-slider-handle").first
        handle.focus()
        handle.press("ArrowRight")
        return "ArrowRight on the slider handle"
    if kind == "dropdown":
        select = control.locator("select").first
        count, current = select.evaluate("s => [s.options.length, s.selectedIndex]")
        if count < 2:
            raise ValueError(f"the dropdown has {count} option(s)")
        target = (current + 1) % count
        select.select_option(index=target)
        return f"selected option {target + 1} of {count}"
    buttons = control.locator("button")
    count = buttons.count()
    if count < 2:
        raise ValueError(f"the toggle buttons have {count} button(s)")
    active = buttons.evaluate_all("bs => bs.findIndex(b => b.classList.contains('mod-active'))")
    target = (active + 1) % count
    buttons.nth(target).click()
    return f"clicked button {target + 1} of {count}"


def _changes(before: dict, after: dict) -> str:
    moved = []
    old = {p["index"]: p["shown"] for p in before["pages"] if p["visible"]}
    for p in after["pages"]:
        if p["visible"] and p["index"] in old and old[p["index"]] != p["shown"]:
            moved.append(f"pages {p['index']}: page {old[p['index']]} -> {p['shown']}")
    return "; ".join(moved[:4]) + ("; …" if len(moved) > 4 else "") or "content changed"


def probe_panel(page, index: int, widget: str, settle_s: float = 3.0) -> list[Finding]:
    """Check the panel marked ``data-probe-panel=index`` and operate its controls."""
    panel = page.locator(f'[data-probe-panel="{index}"]')
    state = panel.evaluate(_JS_PANEL_STATE)
    findings = _structure(widget, state, "as loaded")
    seen = 0
    while seen < MAX_OPERATIONS:
        fresh = panel.evaluate(_JS_NEW_CONTROLS, seen)
        if not fresh:
            break
        for control in fresh:
            seen += 1
            name = f"{control['kind']} {control['name']!r}" if control["name"] else control["kind"]
            locator = panel.locator(f'[data-probe-control="{control["id"]}"]')
            if not locator.evaluate("el => el.getClientRects().length > 0"):
                continue  # an earlier control switched its page away; it is checked if shown
            before = panel.evaluate(_JS_PANEL_STATE)
            try:
                action = _operate(page, locator, control["kind"])
            except Exception as error:  # a control the probe cannot operate is a problem
                message = str(error).splitlines()[0]
                findings.append(Finding(widget, name, False, f"could not operate: {message}"))
                continue
            after = before
            deadline = time.monotonic() + settle_s
            while time.monotonic() < deadline:
                page.wait_for_timeout(50)
                after = panel.evaluate(_JS_PANEL_STATE)
                if after["signature"] != before["signature"]:
                    break
            if after["signature"] == before["signature"]:
                findings.append(
                    Finding(widget, name, False, f"{action}: the shown page did not change")
                )
            else:
                findings.append(Finding(widget, name, True, f"{action}: {_changes(before, after)}"))
    if seen == 0:
        findings.append(Finding(widget, "", False, "no control (slider, dropdown, buttons)"))
    structure = _structure(widget, panel.evaluate(_JS_PANEL_STATE), "after operating")
    findings += [f for f in structure if not f.ok]
    return findings


def probe_widgets(page, label: str = "", timeout_s: float = 60.0) -> list[Finding]:
    """Find and check every book widget on ``page`` (a Playwright sync ``Page``).

    ``label`` prefixes each widget's name (e.g. the chapter). Returns one finding per
    check: the panel's structure as loaded, one per control operated, and any problem
    after operating. A page with no widget views gives no finding.
    """
    prefix = f"{label}: " if label else ""
    missing = wait_for_widgets(page, timeout_s)
    findings = []
    if missing:
        findings.append(
            Finding(f"{prefix}page", "", False, f"{missing} widget view(s) did not render")
        )
    for k, panel in enumerate(page.evaluate(_JS_FIND_PANELS)):
        title = panel["title"]
        title = title if len(title) <= 60 else title[:59] + "…"
        widget = f"{prefix}widget {k + 1} ({title})"
        if not panel["styled"]:
            findings.append(
                Finding(widget, "", False, "pages outside a widgets.panel (no tab-bar style)")
            )
        findings += probe_panel(page, k, widget)
    return findings


def widgets_found(findings: list[Finding]) -> int:
    """How many widgets ``findings`` are about."""
    return len({f.widget for f in findings if re.search(r"(^|: )widget \d+ \(", f.widget)})


def controls_operated(findings: list[Finding]) -> int:
    """How many controls were operated (successfully or not)."""
    return sum(1 for f in findings if f.control)
