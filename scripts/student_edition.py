"""Build the student edition: the chapters without their solutions; publish it for Colab.

    python scripts/student_edition.py [build]                 # notebooks and website
    python scripts/student_edition.py publish --remote URL-OR-PATH [--branch student]

``build`` writes ``_build/student/notebooks/*.ipynb`` (solutions removed: ``{solution}``
blocks, gated ``{solution-start}`` … ``{solution-end}`` solutions and cells tagged
``solution``; exercise statements and self-check cells kept) and builds a website from them
into ``_build/student/html``. The chapters' code is unchanged, so the build reuses the main
book's execution cache instead of executing anything again. The website's launch buttons
(Colab, and Binder or JupyterHub if configured) and its repository button open the
``student`` branch; its address is ``html.baseurl`` followed by ``student/``.

``publish`` converts the student chapters as the Colab edition converts the full ones
(``colab_edition.py``: plain Markdown, the book's own numbers, the set-up cell pinned to
HEAD), writes them into ``_build/student/colab/notebooks`` and commits them on the remote's
``student`` branch, which the student website's launch buttons open. It needs the executed
chapters of ``make test`` (``.nbmake/``) and refuses what ``colab_edition.publish`` refuses.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import colab_edition
import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "_build" / "student"
BRANCH = "student"
#: The tag that marks a cell (Markdown or code) as a solution.
SOLUTION_TAG = "solution"
SOLUTION_DIRECTIVES = ("solution", "solution-start", "solution-end")
STUDENT = colab_edition.Edition(
    name=colab_edition.COLAB.name,
    branch=BRANCH,
    command="python scripts/student_edition.py publish",
    summary=f"the exercises without their solutions (statements and self-checks kept), "
    f"{colab_edition.COLAB.summary}",
    links_sources=False,
)


class _Stripper:
    """Removes the solutions of one notebook's cells, in order: a gated solution spans cells."""

    def __init__(self) -> None:
        self.gated = False  # between a {solution-start} and its {solution-end}

    def markdown(self, markdown: str) -> str:
        """``markdown`` without its solution blocks and the gated solution it is part of."""
        kept: list[str] = []
        closing: str | None = None
        for line in markdown.splitlines(keepends=True):
            if closing is not None:  # inside a solution directive's own fences
                closing = None if colab_edition.closes(line, closing) else closing
                continue
            opening = colab_edition.DIRECTIVE.match(line.rstrip("\n"))
            if opening and opening["name"] in SOLUTION_DIRECTIVES:
                closing = opening["fence"]
                if opening["name"] != "solution":
                    self.gated = opening["name"] == "solution-start"
                continue
            if not self.gated:
                kept.append(line)
        if closing is not None:
            raise ValueError(f"a solution block opened with {closing} is never closed")
        return re.sub(r"\n{3,}", "\n\n", "".join(kept)).strip() + "\n"

    def finish(self) -> None:
        """Raise ValueError if a gated solution is still open at the end of its notebook."""
        if self.gated:
            raise ValueError("a {solution-start} has no {solution-end}")


def strip_solutions(markdown: str) -> str:
    """Remove every solution (``{solution}`` blocks, gated solutions) from MyST ``markdown``."""
    stripper = _Stripper()
    stripped = stripper.markdown(markdown)
    stripper.finish()
    return stripped


def student_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` without solutions; exercise statements and self-checks stay."""
    nb = nbformat.from_dict(nb)
    stripper = _Stripper()
    cells = []
    for cell in nb.cells:
        if SOLUTION_TAG in cell.metadata.get("tags", []):
            continue
        if cell.cell_type == "markdown" and "{solution" in cell.source:
            cell.source = stripper.markdown(cell.source).rstrip("\n")
            if not cell.source:
                continue
        elif stripper.gated:
            continue
        cells.append(cell)
    stripper.finish()
    nb.cells = cells
    return nb


def write_notebooks(target: Path, root: Path = ROOT) -> list[Path]:
    """Write the student notebooks of the chapters in ``root`` into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        out = target / path.name
        nbformat.write(student_notebook(nbformat.read(path, as_version=4)), out)
        written.append(out)
    return written


def student_site(config: dict[str, Any]) -> str:
    """The student website's address: ``student/`` under the book's (``html.baseurl``)."""
    return config["html"]["baseurl"].rstrip("/") + "/student/"


def prepare_source(source: Path, root: Path = ROOT) -> Path:
    """Lay out a book source folder for the student edition; return its config file.

    The configuration names the student edition: its title, its website's address, and the
    ``student`` branch, which the launch buttons open and the repository button shows
    (``book/_ext/edition_links.py``).
    """
    shutil.rmtree(source, ignore_errors=True)
    shutil.copytree(root / "book", source / "book")
    write_notebooks(source / "notebooks", root)
    config_path = source / "book" / "_config.yml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["title"] = f"{config['title']} (student edition)"
    config.setdefault("execute", {})["cache"] = str(root / "_build" / ".jupyter_cache")
    config["repository"]["branch"] = BRANCH
    config["html"]["baseurl"] = student_site(config)
    sphinx = config.setdefault("sphinx", {})
    sphinx.setdefault("local_extensions", {})["edition_links"] = "_ext"
    sphinx.setdefault("config", {})["edition_branch"] = BRANCH
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


def publish(
    executed: Path, out: Path, remote: str, branch: str = BRANCH, root: Path = ROOT
) -> tuple[str, Counter[Any]]:
    """Convert the student chapters for Colab into ``out/notebooks`` and publish them.

    Returns the new tip of ``branch`` on ``remote`` and what the conversion counted.
    """
    with tempfile.TemporaryDirectory(prefix="student-") as folder:
        source = Path(folder)
        prepare_source(source, root)
        counts = colab_edition.build(executed, out, root, STUDENT, source)
        book = colab_edition.load_book(source)
    readme = colab_edition.edition_readme(book, colab_edition.head_commit(root), branch, STUDENT)
    return colab_edition.publish(out, remote, branch, readme, root), counts


def main(argv: list[str] | None = None) -> int:
    """Build the student edition, or publish it for Colab; return the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("build", help="notebooks and website (the default command)")
    publish_parser = commands.add_parser("publish", help="commit the Colab form on a branch")
    colab_edition.add_edition_arguments(publish_parser, OUT / "colab", STUDENT.branch)
    args = parser.parse_args(argv)
    if args.command == "publish":
        started = time.perf_counter()
        try:
            tip, counts = publish(args.executed, args.out, args.remote, args.branch)
        except (ValueError, FileNotFoundError, colab_edition.PublishError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        seconds = time.perf_counter() - started
        colab_edition.report(counts, args.out, seconds, "Student edition for Colab")
        print(f"published {tip[:12]} on branch {args.branch} of {args.remote}")
        return 0
    notebooks = write_notebooks(OUT / "notebooks")
    print(f"student notebooks: {len(notebooks)} in {OUT / 'notebooks'}")
    source = OUT / "src"
    build_site(source, prepare_source(source))
    shutil.rmtree(source)
    print(f"student website: {OUT / 'html' / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
