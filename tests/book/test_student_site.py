"""No solution leaks into the student edition: website, downloadable sources or notebooks."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
STUDENT = ROOT / "_build" / "student"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
sys.path.insert(0, str(ROOT / "scripts"))
import student_edition  # noqa: E402


def _split(path: Path) -> tuple[list[str], str]:
    """A chapter's solution lines, and all of its text outside solutions."""
    nb = nbformat.read(path, as_version=4)
    solutions, rest = [], []
    for cell in nb.cells:
        if cell.cell_type != "markdown" or "{solution}" not in cell.source:
            rest.append(cell.source)
            continue
        kept = student_edition.strip_solutions(cell.source)
        rest.append(kept)
        solutions += [line for line in cell.source.splitlines() if line not in kept]
    return solutions, "\n".join(rest)


def _solution_lines(path: Path) -> list[str]:
    """Distinctive lines of a chapter's solutions: in no chapter's text outside solutions."""
    solutions, _ = _split(path)
    elsewhere = "\n".join(_split(other)[1] for other in NOTEBOOKS)
    return [
        line.strip()
        for line in solutions
        if len(line.strip()) >= 25
        and not line.strip().startswith(("```", ":::", ":class:"))
        and line.strip() not in elsewhere
    ]


def _files() -> list[Path]:
    if not (STUDENT / "html" / "index.html").is_file():
        pytest.fail("the student edition is not built: run `make student` first")
    suffixes = {".html", ".ipynb", ".md", ".txt", ".js", ".json"}
    return [p for p in STUDENT.rglob("*") if p.suffix in suffixes and "_static" not in p.parts]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_solution_text_in_the_student_edition(notebook):
    lines = _solution_lines(notebook)
    assert lines, f"{notebook.stem}: no solution text found to check"
    for path in _files():
        text = path.read_text(encoding="utf-8", errors="replace")
        text = re.sub(r"\s+", " ", text)
        for line in lines:
            assert re.sub(r"\s+", " ", line) not in text, f"{path} leaks: {line!r}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_exercises_and_self_checks_stay(notebook):
    student = nbformat.read(STUDENT / "notebooks" / notebook.name, as_version=4)
    markdown = "\n".join(c.source for c in student.cells if c.cell_type == "markdown")
    code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    original = nbformat.read(notebook, as_version=4)
    n_exercises = sum(c.source.count("{exercise}") for c in original.cells)
    assert markdown.count("{exercise}") == n_exercises
    assert "{solution}" not in markdown
    assert "exercises." in code
    html = (STUDENT / "html" / "notebooks" / f"{notebook.stem}.html").read_text(encoding="utf-8")
    assert "student edition" in html
