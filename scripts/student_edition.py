"""Build the student edition: the chapters without their solutions.

    python scripts/student_edition.py          # notebooks and website into _build/student

Writes ``_build/student/notebooks/*.ipynb`` (solution blocks and cells tagged ``solution``
removed, exercises and self-check cells kept) and builds a website from them into
``_build/student/html``. The chapters' code is unchanged, so the build reuses the main
book's execution cache instead of executing anything again.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "_build" / "student"
FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{solution\}")


def strip_solutions(markdown: str) -> str:
    """Remove every ``{solution}`` directive block (backtick or colon fenced) from MyST."""
    kept: list[str] = []
    closing: str | None = None
    for line in markdown.splitlines(keepends=True):
        if closing is None:
            match = FENCE.match(line)
            if match:
                closing = match.group("fence")
                continue
            kept.append(line)
        elif line.strip() == closing:
            closing = None
    if closing is not None:
        raise ValueError(f"a solution block opened with {closing} is never closed")
    return re.sub(r"\n{3,}", "\n\n", "".join(kept)).strip() + "\n"


def student_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` without solutions; exercise statements and self-checks stay."""
    nb = nbformat.from_dict(nb)
    cells = []
    for cell in nb.cells:
        if "solution" in cell.metadata.get("tags", []):
            continue
        if cell.cell_type == "markdown" and "{solution}" in cell.source:
            cell.source = strip_solutions(cell.source).rstrip("\n")
        cells.append(cell)
    nb.cells = cells
    return nb


def write_notebooks(target: Path) -> list[Path]:
    """Write the student notebooks into ``target``; return their paths."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        out = target / path.name
        nbformat.write(student_notebook(nbformat.read(path, as_version=4)), out)
        written.append(out)
    return written


def prepare_source(source: Path) -> Path:
    """Lay out a book source folder for the student site; return its config file."""
    shutil.rmtree(source, ignore_errors=True)
    shutil.copytree(ROOT / "book", source / "book")
    write_notebooks(source / "notebooks")
    config_path = source / "book" / "_config.yml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["title"] = f"{config['title']} (student edition)"
    config["execute"]["cache"] = str(ROOT / "_build" / ".jupyter_cache")
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return config_path


def build_site(source: Path, config: Path) -> None:
    """Build the student website strictly into ``_build/student/html``."""
    build = OUT / "site"
    shutil.rmtree(build, ignore_errors=True)
    command = [
        str(Path(sys.executable).with_name("jupyter-book")),
        "build",
        str(source),
        "--config",
        str(config),
        "--toc",
        str(source / "book" / "_toc.yml"),
        "--path-output",
        str(build),
        "-W",
        "-n",
        "--keep-going",
        "--all",
    ]
    subprocess.run(command, check=True)
    shutil.rmtree(OUT / "html", ignore_errors=True)
    shutil.move(build / "_build" / "html", OUT / "html")
    shutil.rmtree(build, ignore_errors=True)


def main() -> int:
    notebooks = write_notebooks(OUT / "notebooks")
    print(f"student notebooks: {len(notebooks)} in {OUT / 'notebooks'}")
    source = OUT / "src"
    build_site(source, prepare_source(source))
    shutil.rmtree(source)
    print(f"student website: {OUT / 'html' / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
