"""What the student edition must not contain: the solutions' text of the full chapters.

A solution line is one the student edition removes (``student_edition.student_notebook``):
a line of a ``{solution}`` block, of a gated solution or of a cell tagged ``solution``. The
distinctive ones (long, and found in no chapter outside its solutions) are searched for in
the text a reader can see: a page's text, a notebook's strings (sources, outputs, metadata)
or a file's text. Both sides are compared as their words only, so Markdown, HTML, code
highlighting and JSON escapes can neither hide a solution nor make one up.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import student_edition  # noqa: E402

# Fences and directive options are the same in every solution; they identify none.
SHARED = ("```", ":::", ":class:", ":label:")


def split(path: Path) -> tuple[list[str], str]:
    """A chapter's solution lines, and all of its text outside solutions."""
    nb = nbformat.read(path, as_version=4)
    kept = {cell.id: cell.source for cell in student_edition.student_notebook(nb).cells}
    solutions, rest = [], []
    for cell in nb.cells:
        if cell.id not in kept:
            solutions += cell.source.splitlines()
            continue
        rest.append(kept[cell.id])
        stays = set(kept[cell.id].splitlines())
        solutions += [line for line in cell.source.splitlines() if line not in stays]
    return solutions, "\n".join(rest)


def solution_lines(notebooks: list[Path]) -> dict[str, list[str]]:
    """Each chapter's distinctive solution lines: long and in no chapter's text outside them."""
    parts = {path.stem: split(path) for path in notebooks}
    elsewhere = normalise("\n".join(rest for _, rest in parts.values()))
    return {
        name: [
            normalise(line)
            for line in solutions
            if len(line.strip()) >= 25
            and len(normalise(line).split()) >= 4
            and not line.strip().startswith(SHARED)
            and normalise(line) not in elsewhere
        ]
        for name, (solutions, _) in parts.items()
    }


def normalise(text: str) -> str:
    """The words of ``text`` (letters, digits, underscores), one space apart and around."""
    return " " + " ".join(re.findall(r"\w+", text)) + " "


def _strings(value: object) -> Iterator[str]:
    """Every string in a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)


@functools.cache
def visible_text(path: Path) -> str:
    """What a reader of ``path`` sees: a page's text, a JSON file's strings, a file's text."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".html":
        return normalise(BeautifulSoup(raw, "html.parser").get_text(" "))
    if path.suffix in (".ipynb", ".json"):
        return normalise("\n".join(_strings(json.loads(raw))))
    return normalise(raw)


def leaks(path: Path, lines: list[str]) -> list[str]:
    """The solution ``lines`` a reader of ``path`` can see."""
    text = visible_text(path)
    return [line for line in lines if line in text]
