"""Keep every page of the site free of console errors caused by the stack itself.

Three faults, each logging a console error on every page:

- sphinx-thebe registers its inline configuration script while the HTML builder already
  exists, so Sphinx writes it twice and the second ``const THEBE_JS_URL`` is a redeclaration;
- ipywidgets 8 typesets control labels through MathJax 2's ``MathJax.Hub.Queue``, while the
  site serves MathJax 3 (jupyter-widgets/ipywidgets#3829); ``widgets-offline.js`` maps that
  call onto MathJax 3's ``typesetPromise``;
- the PyData theme reads the colour mode from the browser's storage, falls back to its
  ``default_mode`` template value, which the book theme leaves empty, and reports "invalid
  theme mode" on a first visit; it becomes ``auto`` (follow the reader's system).
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


def clean_page(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Keep the first of scripts with the same file name and inline body; set a colour mode."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for script in context.get("script_files", []):
        attributes = getattr(script, "attributes", {})
        # An inline script's file name is None or "", depending on who added it.
        key = (str(getattr(script, "filename", script) or ""), str(attributes.get("body", "")))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept
    # The layout's colour-mode fallback for readers who never chose one.
    context["default_mode"] = context.get("default_mode") or "auto"


def setup(app: Sphinx) -> dict[str, object]:
    # Last, after the themes have added their own scripts.
    app.connect("html-page-context", clean_page, priority=999)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
