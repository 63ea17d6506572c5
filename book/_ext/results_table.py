"""Sphinx extension: the ``results-table`` directive of the "Results and runtimes" page.

The directive leaves a placeholder while pages are read; once every notebook has executed
(write phase), the placeholder becomes a table built from ``_build/results/*.json``, the
same files ``make bench`` prints.
"""

from __future__ import annotations

import os
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from crossmodal_helpers import results


class results_placeholder(nodes.General, nodes.Element):
    """Replaced by the results table at doctree-resolved time."""


class ResultsTableDirective(SphinxDirective):
    """Insert the table of chapter run times and key results."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        return [results_placeholder()]


def _results_folder(app: Sphinx) -> Path:
    folder = os.environ.get(results.RESULTS_ENV)
    return Path(folder) if folder else Path(app.outdir).parent / "results"


def _row(cells: tuple[str, ...]) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        entry += nodes.paragraph(text=cell)
        row += entry
    return row


def _table(rows: list[tuple[str, str, str]]) -> nodes.table:
    table = nodes.table(classes=["results-table"])
    group = nodes.tgroup(cols=3)
    table += group
    for width in (25, 12, 63):
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    head += _row(("chapter", "wall seconds", "key results"))
    body = nodes.tbody()
    for row in rows:
        body += _row(row)
    group += head
    group += body
    return table


def replace_placeholders(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Swap each placeholder for the table of the results files present now."""
    for node in doctree.findall(results_placeholder):
        rows = results.table(results.load_all(_results_folder(app)))
        if rows:
            node.replace_self(_table(rows))
        else:
            node.replace_self(
                nodes.paragraph(text="No chapter has recorded results yet: run `make book`.")
            )


def setup(app: Sphinx) -> dict[str, object]:
    app.add_node(results_placeholder)
    app.add_directive("results-table", ResultsTableDirective)
    app.connect("doctree-resolved", replace_placeholders)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
