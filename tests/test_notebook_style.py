"""The notebook house style (DESIGN.md), checked on every chapter."""

from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import nbtools  # noqa: E402

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest brings tomli
    import tomli as tomllib

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
INSTALL = re.compile(r"(^|\n)\s*[!%]\s*pip\b|pip\"?,?\s*\"?install|conda install|apt-get install")
ABSOLUTE_PATH = re.compile(r"[\"'](/(home|work|root|Users|tmp|usr)/|[A-Za-z]:\\\\)")


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.stem)
def notebook(request) -> tuple[Path, nbformat.NotebookNode]:
    return request.param, nbformat.read(request.param, as_version=4)


def test_there_are_chapters():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


def test_file_name_is_numbered(notebook):
    path, _ = notebook
    assert re.fullmatch(r"(\d\d_[a-z0-9_]+|appendix_[a-z0-9_]+)\.ipynb", path.name)


def test_title_cell_has_objectives_prerequisites_and_time(notebook):
    _, nb = notebook
    first = nb.cells[0]
    assert first.cell_type == "markdown"
    assert first.source.startswith("# "), "the first cell must open with the chapter title"
    for part in ("Learning objectives", "Prerequisites", "Time on CPU"):
        assert part in first.source, f"the title cell lacks '{part}'"


def test_second_cell_is_the_folded_colab_setup_cell(notebook):
    _, nb = notebook
    setup = nb.cells[1]
    assert setup.cell_type == "code"
    assert setup.source == nbtools.colab_block(), "run `make format`"
    assert setup.metadata.get("tags") == ["hide-input"], "the set-up cell is folded on the site"


def test_third_cell_imports_and_sets_up_the_chapter(notebook):
    path, nb = notebook
    imports = nb.cells[2]
    assert imports.cell_type == "code"
    assert "hide-input" not in imports.metadata.get("tags", []), "the imports stay visible"
    assert f'runtime.setup(seed=0, chapter="{path.stem}")' in imports.source


def test_installs_only_in_the_setup_cell(notebook):
    _, nb = notebook
    assert INSTALL.search(nb.cells[1].source), "the set-up cell installs the helper package"
    for index, cell in enumerate(nb.cells[2:], start=2):
        if cell.cell_type == "code":
            assert not INSTALL.search(cell.source), f"cell {index} installs something"


def test_no_absolute_paths(notebook):
    _, nb = notebook
    for index, cell in enumerate(nb.cells):
        assert not ABSOLUTE_PATH.search(cell.source), f"cell {index} has an absolute path"


def test_committed_without_outputs_in_canonical_form(notebook):
    path, nb = notebook
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {index} has outputs"
            assert cell.execution_count is None, f"cell {index} has an execution count"
    assert path.read_text(encoding="utf-8") == nbtools.render(nb), "run `make format`"


def _columns(line: str) -> int:
    """Columns a line takes in a monospaced code box: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def test_code_lines_fit_the_website_code_box(notebook):
    """The site's code box holds 88 columns at desktop width; longer lines are cut off."""
    _, nb = notebook
    limit = tomllib.loads((ROOT / "notebooks" / "ruff.toml").read_text())["line-length"]
    assert limit <= 88, "the website's code box holds 88 columns"
    long = [
        f"cell {index}, line {number}: {_columns(line)} columns"
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for number, line in enumerate(cell.source.splitlines(), start=1)
        if _columns(line) > limit
    ]
    assert not long, f"code lines longer than {limit} columns:\n" + "\n".join(long)


def test_python3_kernel(notebook):
    _, nb = notebook
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.metadata["kernelspec"]["language"] == "python"


def test_exercises_have_solutions_and_self_checks(notebook):
    _, nb = notebook
    text = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    exercises = re.findall(r"\{exercise\}.*\n:label: (\S+)", text)
    solutions = re.findall(r"\{solution\} (\S+)", text)
    assert exercises, "every chapter has at least one exercise"
    assert sorted(exercises) == sorted(solutions), "every exercise needs exactly one solution"
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    assert "exercises." in code, "exercises need a self-check cell (crossmodal_helpers.exercises)"


def test_chapter_ends_with_the_results_summary(notebook):
    _, nb = notebook
    last_code = [cell for cell in nb.cells if cell.cell_type == "code"][-1]
    assert last_code.source.strip() == "results.summary()"


def test_every_figure_has_a_caption(notebook):
    _, nb = notebook
    for index, cell in enumerate(nb.cells):
        figure = cell.metadata.get("mystnb", {}).get("figure")
        if figure is not None:
            assert figure.get("caption"), f"cell {index}: figure without a caption"
            assert figure.get("name"), f"cell {index}: figure without a name"


def test_labels_are_unique_across_the_book():
    seen: dict[str, str] = {}
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        labels = [
            cell.metadata.get("mystnb", {}).get("figure", {}).get("name")
            for cell in nb.cells
            if cell.cell_type == "code"
        ]
        text = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
        labels += re.findall(r"^:label: (\S+)", text, flags=re.MULTILINE)
        labels += re.findall(r"^\((\S+)\)=", text, flags=re.MULTILINE)
        for label in filter(None, labels):
            assert label not in seen, f"label {label} is in {seen.get(label)} and {path.stem}"
            seen[label] = path.stem


def test_toc_and_notebooks_agree():
    files = _toc_files()
    for stem in (f"notebooks/{p.stem}" for p in NOTEBOOKS):
        assert stem in files, f"{stem} is missing from book/_toc.yml"
    for entry in files:
        candidates = [ROOT / f"{entry}{suffix}" for suffix in (".md", ".ipynb")]
        assert any(c.exists() for c in candidates), f"toc entry {entry} has no file"


def test_figure_cells_display_nothing_but_the_figure(notebook):
    """A figure cell whose last line displays a value shows it as a second figure target."""
    _, nb = notebook
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.metadata.get("mystnb", {}).get("figure"):
            last = cell.source.rstrip().splitlines()[-1]
            assert not last.startswith("results.record("), (
                f"cell {index}: a figure cell ends with results.record(...), whose value is "
                "displayed as a second output: record earlier, or end with a statement"
            )


def test_every_figure_has_alt_text(notebook):
    """Each figure's <img> gets alt text that says what it shows, beside the caption."""
    _, nb = notebook
    for index, cell in enumerate(nb.cells):
        mystnb = cell.metadata.get("mystnb", {})
        if cell.cell_type != "code" or "figure" not in mystnb:
            continue
        alt = mystnb.get("image", {}).get("alt", "")
        assert len(alt.split()) >= 8, f"cell {index}: alt text {alt!r} says too little"
        assert alt != mystnb["figure"]["caption"], f"cell {index}: alt text repeats the caption"


def test_alt_texts_belong_to_figures():
    names = {name for path in NOTEBOOKS for name in nbtools.figure_names(nbformat.read(path, 4))}
    stale = sorted(set(nbtools.figure_alt()) - names)
    assert not stale, f"book/figure_alt.yml names figures no chapter has: {stale}"


def test_nbtools_fails_on_a_figure_without_alt_text(tmp_path, capsys):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("plt.show()")
    cell.metadata["mystnb"] = {"figure": {"caption": "A plot.", "name": "fig-not-listed"}}
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), cell]
    path = tmp_path / "99_example.ipynb"
    path.write_text(nbtools.render(nb), encoding="utf-8")
    assert nbtools.main(["check", str(path)]) == 1
    assert "no alt text in book/figure_alt.yml" in capsys.readouterr().out
