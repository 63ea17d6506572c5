"""The student edition: solutions stripped, and the edition published for Colab on a branch.

Publishing is tested against local bare repositories: the small synthetic book of the Colab
edition's tests, and the real chapters from a clean clone. The built website is checked in
tests/book/test_student_site.py.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import colab_edition  # noqa: E402
import nbtools  # noqa: E402
import solution_text  # noqa: E402
import student_edition  # noqa: E402
from mini_book import (  # noqa: E402
    EXERCISES,
    executed_copies,
    git,
    make_executed,
    make_mini,
    make_remote,
)

SOLUTION = student_edition.SOLUTION_TAG
EXERCISE = f"""Intro.

{EXERCISES}
:::{{solution}} ex-free
Colon-fenced answer.
:::

Outro.
"""
# sphinx-exercise's gated syntax: a solution spanning cells, code cells included.
GATED_START = """Before the solution.

```{solution-start} ex-sum
:class: dropdown
```

The gated answer starts here."""
GATED_END = """The gated answer ends here.

```{solution-end}
```

After the solution."""


def test_solution_blocks_are_removed_and_exercises_kept():
    out = student_edition.strip_solutions(EXERCISE)
    assert "{exercise} Sum by hand" in out and "Add the numbers" in out and "Think." in out
    assert "Intro." in out and "Outro." in out
    assert "solution" not in out and "sum(numbers)" not in out and "Colon-fenced" not in out
    assert "answer" not in out


@pytest.mark.parametrize(
    "markdown, message",
    [
        ("````{solution} x\nanswer\n", "never closed"),
        ("```{solution-start} x\n```\nanswer\n", "no {solution-end}"),
    ],
)
def test_an_unclosed_solution_is_an_error(markdown, message):
    with pytest.raises(ValueError, match=message):
        student_edition.strip_solutions(markdown)


def test_cells_tagged_solution_are_dropped():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(EXERCISE),
            nbformat.v4.new_code_cell("answer = 42", metadata={"tags": ["solution"]}),
            nbformat.v4.new_markdown_cell("The answer.", metadata={"tags": ["solution"]}),
            nbformat.v4.new_code_cell("exercises.ch01.check(answer)"),
        ]
    )
    student = student_edition.student_notebook(nb)
    assert [c.cell_type for c in student.cells] == ["markdown", "code"]
    assert student.cells[1].source == "exercises.ch01.check(answer)"
    assert "{solution}" in nb.cells[0].source, "the original notebook must stay untouched"


def test_a_gated_solution_is_dropped_across_cells():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(GATED_START),
            nbformat.v4.new_code_cell("answer = 42"),
            nbformat.v4.new_markdown_cell("More of the answer."),
            nbformat.v4.new_markdown_cell(GATED_END),
            nbformat.v4.new_code_cell("exercises.ch01.check(answer)"),
        ]
    )
    student = student_edition.student_notebook(nb)
    assert [c.source for c in student.cells] == [
        "Before the solution.",
        "After the solution.",
        "exercises.ch01.check(answer)",
    ]
    with pytest.raises(ValueError, match="no {solution-end}"):
        student_edition.student_notebook(nbformat.v4.new_notebook(cells=nb.cells[:3]))


def test_a_cell_holding_only_a_solution_is_dropped():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("````{solution} ex\nanswer\n````"),
            nbformat.v4.new_code_cell("x = 1"),
        ]
    )
    assert [c.source for c in student_edition.student_notebook(nb).cells] == ["x = 1"]


def test_the_student_site_opens_the_student_branch(tmp_path):
    config = yaml.safe_load(student_edition.prepare_source(tmp_path / "src").read_text())
    full = yaml.safe_load((ROOT / "book" / "_config.yml").read_text(encoding="utf-8"))
    assert config["repository"]["branch"] == student_edition.BRANCH
    assert config["repository"]["url"] == full["repository"]["url"]
    assert config["html"]["baseurl"] == full["html"]["baseurl"].rstrip("/") + "/student/"
    assert config["sphinx"]["config"]["edition_branch"] == student_edition.BRANCH
    assert config["title"].endswith("(student edition)")


# --- publishing -----------------------------------------------------------------------


def _clone(remote: Path, folder: Path) -> Path:
    git(
        folder.parent,
        "clone",
        "--quiet",
        "--branch",
        student_edition.BRANCH,
        str(remote),
        str(folder),
    )
    return folder


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_publish_puts_the_chapters_without_solutions_on_the_student_branch(tmp_path):
    mini = make_mini(tmp_path)
    remote = make_remote(mini, tmp_path)
    commit = colab_edition.head_commit(mini)
    tip, counts = student_edition.publish(
        make_executed(mini, tmp_path / "run"), tmp_path / "out", str(remote), root=mini
    )
    clone = _clone(remote, tmp_path / "clone")
    assert git(clone, "rev-parse", "HEAD") == tip
    files = sorted(git(clone, "ls-files").splitlines())
    assert files == ["README.md", "notebooks/01_first.ipynb", "notebooks/02_second.ipynb"]
    assert counts["directive", "exercise"] == 2 and counts["directive", "solution"] == 0
    everything = "\n".join(_text(clone / name) for name in files)
    notebooks = "\n".join(_text(clone / name) for name in files[1:])
    for solution in ("sum(numbers)", "answer", "total = 42", "Solution", "solution"):
        assert solution not in notebooks
    assert "sum(numbers)" not in everything and "total = 42" not in everything
    assert "Sum by hand" in everything and "Add the numbers" in everything
    # Links lead to the student website, never to the sources or the full website.
    site = "https://example.github.io/mini/student/"
    assert f"({site}" in everything
    branches = set(re.findall(r"/(?:tree|blob)/([^/\s)`]+)", everything))
    assert branches == {student_edition.BRANCH}
    assert not re.search(r"https://example\.github\.io/mini/(?!student/)", everything)
    assert commit in _text(clone / "README.md")
    for name in files[1:]:
        nb = nbformat.read(clone / name, as_version=4)
        setup = next(cell for cell in nb.cells if cell.source.startswith(nbtools.COLAB_BEGIN))
        assert f"@{commit}" in setup.source
        for cell in nb.cells:
            assert not cell.get("outputs")
            if cell.cell_type == "markdown":
                assert colab_edition.myst_leftovers(cell.source) == []


def test_a_link_to_a_source_file_is_refused(tmp_path):
    mini = make_mini(tmp_path)
    path = mini / "notebooks" / "02_second.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].source += "\n\nThe [configuration](../book/_config.yml).\n"
    nbformat.write(nb, path)
    git(mini, "commit", "--quiet", "--all", "-m", "link a file")
    remote = make_remote(mini, tmp_path)
    executed = make_executed(mini, tmp_path / "run")
    with pytest.raises(ValueError, match="links to no file"):
        student_edition.publish(executed, tmp_path / "out", str(remote), root=mini)
    assert git(remote, "branch", "--list", student_edition.BRANCH) == ""


def test_the_publish_command_reports_an_error_in_one_line(tmp_path, capsys):
    argv = ["publish", "--remote", str(tmp_path / "nowhere.git"), "--executed", str(tmp_path)]
    assert student_edition.main([*argv, "--out", str(tmp_path / "out")]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and error.count("\n") == 1


def test_the_real_book_publishes_without_a_solution(tmp_path):
    source = tmp_path / "source"
    git(tmp_path, "clone", "--quiet", str(ROOT), str(source))
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", str(remote))
    git(source, "push", "--quiet", str(remote), "HEAD:refs/heads/main")
    executed = executed_copies(source / "notebooks", tmp_path / "run", {})
    student_edition.publish(executed, tmp_path / "out", str(remote), root=source)
    clone = _clone(remote, tmp_path / "clone")
    chapters = sorted((source / "notebooks").glob("*.ipynb"))
    published = sorted((clone / "notebooks").glob("*.ipynb"))
    assert [path.name for path in published] == [path.name for path in chapters]
    solutions = solution_text.solution_lines(chapters)
    assert sum(map(len, solutions.values())) > 50
    for path in [clone / "README.md", *published]:
        for chapter, lines in solutions.items():
            assert not solution_text.leaks(path, lines), f"{path.name} shows {chapter}'s solution"
        if path.suffix == ".ipynb":
            for cell in json.loads(_text(path))["cells"]:
                assert SOLUTION not in cell["metadata"].get("tags", [])
                assert not cell.get("outputs"), f"{path.name}: a cell with outputs"
