"""Sphinx extension: the ``results-table`` directive of the "Results and runtimes" page.

The directive leaves a placeholder while pages are read; once every notebook has executed
(write phase), the placeholder becomes a table built from the book's results files,
``_build/results/*.json``. ``scripts/cache_guard.py`` ties each file to the execution whose
page the book shows (and ``--check`` fails the build when one is not). Each result is its
own ``<span class="result">`` (``result-key``, then ``result-value``), so a test can read
the page value by value.
"""

from __future__ import annotations

import os
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from crossmodal_helpers import results

CHAPTER_BUDGET_S = 150
BOOK_BUDGET_S = 20 * 60


class results_placeholder(nodes.General, nodes.Element):
    """Replaced by the results table at doctree-resolved time."""


class ResultsTableDirective(SphinxDirective):
    """Insert the table of chapter run times and key results (``:timings:`` for times only)."""

    has_content = False
    option_spec = {"timings": directives.flag}

    def run(self) -> list[nodes.Node]:
        return [results_placeholder(timings="timings" in self.options)]


def _results_folder(app: Sphinx) -> Path:
    folder = os.environ.get(results.RESULTS_ENV)
    return Path(folder) if folder else Path(app.outdir).parent / "results"


def _row(cells: tuple[str | nodes.Node, ...]) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        entry += cell if isinstance(cell, nodes.Node) else nodes.paragraph(text=cell)
        row += entry
    return row


def _results_cell(values: dict[str, object]) -> nodes.paragraph:
    """``key=value, …``: each pair a ``result`` span of ``result-key`` and ``result-value``."""
    cell = nodes.paragraph()
    for i, (key, value) in enumerate(sorted(values.items())):
        if i:
            cell += nodes.Text(", ")
        pair = nodes.inline(classes=["result"])
        pair += nodes.inline(text=key, classes=["result-key"])
        pair += nodes.Text("=")
        pair += nodes.inline(text=results.format_value(value), classes=["result-value"])
        cell += pair
    return cell if values else nodes.paragraph(text="-")


def _table(
    header: tuple[str, ...], rows: list[tuple[str | nodes.Node, ...]], widths: tuple[int, ...]
) -> nodes.table:
    table = nodes.table(classes=["results-table"])
    group = nodes.tgroup(cols=len(header))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    head += _row(header)
    body = nodes.tbody()
    for row in rows:
        body += _row(row)
    group += head
    group += body
    return table


def _timing_rows(records: dict[str, dict]) -> list[tuple[str, str, str]]:
    """Rows (chapter, wall seconds, verdict) and a last row with the whole book's total."""
    rows = []
    for chapter, data in sorted(records.items()):
        seconds = data["wall_seconds"]
        verdict = "within budget" if seconds <= CHAPTER_BUDGET_S else "over budget"
        rows.append((chapter, f"{seconds:.1f}", verdict))
    total = sum(data["wall_seconds"] for data in records.values())
    verdict = "within budget" if total <= BOOK_BUDGET_S else "over budget"
    rows.append(("whole book", f"{total:.1f}", verdict))
    return rows


def replace_placeholders(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Swap each placeholder for the table of the results files present now."""
    for node in doctree.findall(results_placeholder):
        records = results.load_all(_results_folder(app))
        if records and node["timings"]:
            header = ("chapter", "wall seconds", f"budget ({CHAPTER_BUDGET_S} s per chapter)")
            node.replace_self(_table(header, _timing_rows(records), (40, 20, 40)))
        elif records:
            header = ("chapter", "wall seconds", "key results")
            rows = [
                (chapter, f"{data['wall_seconds']:.1f}", _results_cell(data["results"]))
                for chapter, data in sorted(records.items())
            ]
            node.replace_self(_table(header, rows, (25, 12, 63)))
        else:
            node.replace_self(
                nodes.paragraph(text="No chapter has recorded results yet: run `make book`.")
            )


def setup(app: Sphinx) -> dict[str, object]:
    app.add_node(results_placeholder)
    app.add_directive("results-table", ResultsTableDirective)
    app.connect("doctree-resolved", replace_placeholders)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
