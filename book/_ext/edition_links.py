"""Point the repository button of an edition's website at the edition's own branch.

The launch buttons (Colab, Binder, JupyterHub) open ``repository.branch``, but the book
theme's repository button always links to the repository's front page, which shows the
default branch: for the student edition, the full chapters with their solutions. The theme
has no option for that link, so the student edition's build (``scripts/student_edition.py``)
loads this extension with ``edition_branch`` set, and the button opens that branch instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sphinx.application import Sphinx

REPOSITORY_BUTTON = "source-repository-button"  # the book theme's label for it


def _buttons(buttons: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The header buttons and the buttons of their groups."""
    for button in buttons:
        yield button
        yield from _buttons(button.get("buttons", []))


def point_at_branch(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Make the page's repository button open ``edition_branch`` (the student edition's)."""
    branch = app.config.edition_branch
    for button in _buttons(context.get("header_buttons", [])):
        if branch and button.get("label") == REPOSITORY_BUTTON:
            button["url"] = f"{button['url'].rstrip('/')}/tree/{branch}"


def setup(app: Sphinx) -> dict[str, object]:
    """Register ``edition_branch`` (the branch the repository button opens; "" leaves it)."""
    app.add_config_value("edition_branch", "", "html", types=[str])
    # After the book theme has added its buttons (priority 501).
    app.connect("html-page-context", point_at_branch, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
