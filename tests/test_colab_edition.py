"""The Colab edition: MyST turned into what Colab renders, and its publication on a branch.

Unit tests run on a small synthetic book (two chapters, a bibliography, executed copies
with glued values); the real chapters are converted with the values of the book's run when
``.nbmake/`` holds fresh executed copies (``make test`` makes them), else with stand-ins.
"""

from __future__ import annotations

import ast
import html
import json
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / ".nbmake"  # the executed chapters `make test` leaves
sys.path.insert(0, str(ROOT / "scripts"))
import colab_edition  # noqa: E402
import nbtools  # noqa: E402
from mini_book import (  # noqa: E402
    GLUE_ROLE,
    PNG,
    VALUES,
    executed_copies,
    git,
    make_executed,
    make_mini,
    make_remote,
)


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A two-chapter book in a git repository with one commit."""
    return make_mini(tmp_path)


@pytest.fixture
def executed(mini: Path, tmp_path: Path) -> Path:
    return make_executed(mini, tmp_path / "executed")


def _edition(root: Path, executed: Path, out: Path) -> dict[str, nbformat.NotebookNode]:
    colab_edition.build(executed, out, root)
    paths = sorted((out / "notebooks").glob("*.ipynb"))
    return {path.stem: nbformat.read(path, as_version=4) for path in paths}


def _cell(nb: nbformat.NotebookNode, cell_id: str) -> str:
    return next(cell.source for cell in nb.cells if cell.id == cell_id)


def _rendered_text(markdown: str) -> str:
    text = re.sub(r"<[^>]+>", "", colab_edition.COMMONMARK.render(markdown))
    return " ".join(html.unescape(text).split())


def _expected(plain: str, spec: str | None) -> str:
    """A glued value formatted with a role's spec, computed here independently."""
    try:
        value = ast.literal_eval(plain)
    except (SyntaxError, ValueError):
        value = plain
    return format(value, spec) if spec else str(value)


@pytest.fixture
def edition(mini: Path, executed: Path, tmp_path: Path) -> dict[str, nbformat.NotebookNode]:
    return _edition(mini, executed, tmp_path / "colab")


# --- the checker -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "markdown, kind",
    [
        ("Accuracy {glue:text}`acc:.3f` here.", "role"),
        ("As {numref}`fig-x` shows.", "role"),
        ("````{exercise} Sum\n:label: ex\n\nAdd.\n````", "directive"),
        (":::{note}\nA note.\n:::", "directive"),
        ("(sec-label)=\n## A heading", "target"),
    ],
)
def test_the_checker_finds_myst_left_in_a_cell(markdown, kind):
    found = colab_edition.myst_leftovers(markdown)
    assert any(f.startswith(f"{kind} in the source") for f in found), found
    assert any(f.startswith(f"{kind} in the HTML") for f in found), found


def test_the_checker_passes_plain_commonmark():
    markdown = "## 1.1 Basics\n\nCode `{value:.3f}` and $x$.\n\n> **Note**\n>\n> text"
    assert colab_edition.myst_leftovers(markdown) == []


def test_myst_left_after_conversion_stops_the_build(mini, tmp_path):
    # A value glued as Markdown is pasted as it is: here it carries a MyST role.
    values = {**VALUES, "curve_png": PNG.encode(), "remark": {"text/markdown": "{sup}`2`"}}
    executed = executed_copies(mini / "notebooks", tmp_path / "run", values)
    path = mini / "notebooks" / "02_second.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].source += "\n\nA remark: {glue:md}`remark`."
    nbformat.write(nb, path)
    with pytest.raises(ValueError, match=r"02_second, cell cell-003: MyST left: role"):
        colab_edition.build(executed, tmp_path / "out", mini)


@pytest.mark.parametrize(
    "markdown, message",
    [("A {sub-ref}`today` role.", r"role \{sub-ref\}"), ("```{mermaid}\ngraph\n```", "mermaid")],
)
def test_myst_without_a_colab_rendering_is_an_error(mini, executed, tmp_path, markdown, message):
    path = mini / "notebooks" / "02_second.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].source = markdown
    nbformat.write(nb, path)
    with pytest.raises(ValueError, match=message):
        colab_edition.build(executed, tmp_path / "out", mini)


# --- conversions ------------------------------------------------------------------------


def test_every_markdown_cell_renders_without_myst(edition):
    for name, nb in edition.items():
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                assert colab_edition.myst_leftovers(cell.source) == [], (name, cell.id)


def test_glued_values_are_the_runs_formatted_with_the_spec(edition):
    text = _rendered_text(_cell(edition["01_first"], "cell-003"))
    assert "reaches 0.912 (12.3%) on 42 items" in text
    assert "the best is linear_svm." in text  # the repr's quotes are gone, the _ kept
    source = _cell(edition["01_first"], "cell-003")
    assert "linear\\_svm" in source  # escaped, so Markdown cannot read it as emphasis
    note = _cell(edition["01_first"], "colab-edition-note")
    assert "from the book's own run; your run may differ slightly" in note


def test_a_glued_figure_is_the_runs_image_with_its_caption(edition):
    source = _cell(edition["01_first"], "cell-007")
    assert source.startswith(f"![curve_png](data:image/png;base64,{PNG})")
    assert source.endswith("**Fig. 2.** The glued curve.")


def test_values_glued_on_another_page_and_a_figure_without_an_image(edition):
    source = _cell(edition["02_second"], "cell-003")
    assert "Chapter 1 counted 42 items." in source
    assert source.endswith("*The figure appears here when the cell that computes it runs.*")


def test_citations_are_author_year_with_a_reference_list(edition):
    text = _rendered_text(_cell(edition["01_first"], "cell-003"))
    assert "Transformers (Vaswani et al., 2017) replaced" in text
    assert "as others did (Kim, 2014; Pang and Lee, 2005) (Keras team, 2024)." in text
    references = _cell(edition["01_first"], "colab-edition-references")
    assert references.startswith("## References\n\n")
    listed = re.findall(r"^- \*\*(.+?)\.\*\*", references, re.M)
    # pybtex sorts as the website does: by author, a braced name after plain ones
    assert listed == ["Kim, 2014", "Pang and Lee, 2005", "Vaswani et al., 2017", "Keras team, 2024"]
    assert "Keras code examples, <https://keras.io/examples/dcgan_step/>, 2024" in references
    assert "Never Cited" not in references
    assert edition["02_second"].cells[-1].id != "colab-edition-references"  # it cites nothing


def test_cross_references_read_as_on_the_website(edition):
    site = "https://example.github.io/mini/"
    first = _rendered_text(_cell(edition["01_first"], "cell-003"))
    assert "See Fig. 1, equation (1), the index and chapter 2." in first
    assert "A modality is a kind of data." in first
    source = _cell(edition["01_first"], "cell-003")
    assert f"[index]({site}book/index.html)" in source
    assert f"[chapter 2]({site}notebooks/02_second.html#top)" in source
    assert "(sec-basics)=" not in source and source.startswith("## 1.1 Basics")
    assert "a + b = c \\tag{1}\n$$" in source
    second = _cell(edition["02_second"], "cell-003")
    assert f"[Fig. 1]({site}notebooks/01_first.html#fig-curve)" in second
    assert f"[Exercise 1]({site}notebooks/01_first.html#ex-sum)" in second
    assert f"[Figure 2]({site}notebooks/01_first.html#fig-glued)" in second
    assert f"[the index]({site}book/index.html)" in second


def test_exercises_are_headings_and_solutions_fold(edition):
    source = _cell(edition["01_first"], "cell-005")
    assert "### Exercise 1: Sum by hand\n\nAdd the numbers (see 1.1 Basics)." in source
    assert "### Exercise: No number\n\nThink." in source
    assert "\n\n<details><summary>Solution to Exercise 1</summary>\n\n```python" in source
    assert "The **answer** is 42.\n\n</details>" in source
    rendered = colab_edition.COMMONMARK.render(source)
    assert '<pre><code class="language-python">total = sum(numbers)' in rendered
    assert "<strong>answer</strong>" in rendered  # Markdown inside <details> still renders


def test_a_solution_cell_stays_code_after_a_heading(edition):
    cells = edition["01_first"].cells
    index = next(i for i, cell in enumerate(cells) if cell.id == "cell-006")
    assert cells[index - 1].source.startswith("#### Solution")
    assert cells[index].cell_type == "code" and cells[index].source == "total = 42"


def test_figure_captions_stay_under_their_figures(edition):
    cells = edition["01_first"].cells
    index = next(i for i, cell in enumerate(cells) if cell.id == "cell-004")
    assert cells[index + 1].source == "**Fig. 1.** A 42-point curve."
    second = _cell(edition["02_second"], "cell-003")
    image = f"![a dot](data:image/png;base64,{PNG})"
    assert f"{image}\n\n**Fig. 3.** A dot, with **bold** caption.\n\nA legend paragraph." in second


def test_admonitions_are_block_quotes_with_a_bold_title(edition):
    source = _cell(edition["01_first"], "cell-003")
    assert "> **Note**\n>\n> Notes become block quotes; 42 items." in source
    assert "> **Careful**\n>\n> Titled admonitions keep their title." in source


def test_only_the_setup_cell_changes_and_it_pins_the_commit(mini, edition):
    commit = colab_edition.head_commit(mini)
    for name, nb in edition.items():
        source = nbformat.read(mini / "notebooks" / f"{name}.ipynb", as_version=4)
        original = {cell.id: cell.source for cell in source.cells if cell.cell_type == "code"}
        code = {cell.id: cell.source for cell in nb.cells if cell.cell_type == "code"}
        assert code.keys() == original.keys()
        setup = nbformat.read(mini / "notebooks" / f"{name}.ipynb", as_version=4).cells[1].id
        assert code.pop(setup) == nbtools.colab_block(ref=commit)
        assert code == {key: value for key, value in original.items() if key != setup}


def test_the_command_line_reports_an_error_in_one_line(tmp_path, capsys):
    arguments = ["--executed", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")]
    assert colab_edition.main(arguments) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: no executed copy of ") and error.count("\n") == 1


def test_a_stale_or_missing_run_is_an_error(mini, executed, tmp_path):
    path = mini / "notebooks" / "02_second.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[-1].source = "changed = True"
    nbformat.write(nb, path)
    with pytest.raises(colab_edition.StaleRunError, match="02_second.ipynb"):
        colab_edition.build(executed, tmp_path / "out", mini)
    with pytest.raises(FileNotFoundError, match="make test"):
        colab_edition.build(tmp_path / "nowhere", tmp_path / "out", mini)


# --- the real book --------------------------------------------------------------------


def _fresh_run() -> Path | None:
    """``.nbmake/`` if it holds executed copies of the chapters' current code."""
    try:
        for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
            colab_edition.read_glue(RUN / path.name, path)
    except (FileNotFoundError, colab_edition.StaleRunError):
        return None
    return RUN


def test_the_real_chapters_convert_without_myst_left(tmp_path):
    executed = _fresh_run() or executed_copies(ROOT / "notebooks", tmp_path / "run", {})
    assert colab_edition.main(["--executed", str(executed), "--out", str(tmp_path)]) == 0
    written = sorted(path.name for path in (tmp_path / "notebooks").glob("*.ipynb"))
    assert written == sorted(path.name for path in (ROOT / "notebooks").glob("*.ipynb"))
    for path in (tmp_path / "notebooks").glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown":
                assert colab_edition.myst_leftovers(cell.source) == [], (path.name, cell.id)


@pytest.mark.skipif(_fresh_run() is None, reason="no fresh executed chapters in .nbmake/")
def test_the_real_glued_values_are_those_of_the_books_run(tmp_path):
    edition = _edition(ROOT, RUN, tmp_path)
    checked = 0
    for name, nb in edition.items():
        source = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
        run = json.loads((RUN / f"{name}.ipynb").read_text(encoding="utf-8"))
        glued = {}
        for cell in run["cells"]:
            for output in cell.get("outputs", []):
                record = output.get("metadata", {}).get("scrapbook")
                if record:
                    plain = output["data"][record["mime_prefix"] + "text/plain"]
                    glued[record["name"]] = "".join(plain)
        for cell in source.cells:
            if cell.cell_type != "markdown":
                continue
            text = _rendered_text(_cell(nb, cell.id))
            for role in GLUE_ROLE.finditer(cell.source):
                assert _expected(glued[role["key"]], role["spec"]) in text, (name, role[0])
                checked += 1
    assert checked > 100


def test_the_launch_buttons_open_the_branch_publish_writes():
    config = yaml.safe_load((ROOT / "book" / "_config.yml").read_text(encoding="utf-8"))
    assert config["repository"]["branch"] == colab_edition.BRANCH
    assert config["html"]["baseurl"].startswith("https://")


# --- publishing -----------------------------------------------------------------------


@pytest.fixture
def remote(mini: Path, tmp_path: Path) -> Path:
    """A bare repository holding the mini book's main branch."""
    return make_remote(mini, tmp_path)


def _publish(root: Path, executed: Path, out: Path, remote: Path | str) -> str:
    colab_edition.build(executed, out, root)
    book = colab_edition.load_book(root)
    readme = colab_edition.edition_readme(book, colab_edition.head_commit(root), "colab")
    return colab_edition.publish(out, str(remote), "colab", readme, root)


def test_publish_commits_the_edition_on_its_own_branch(mini, executed, remote, tmp_path):
    commit = colab_edition.head_commit(mini)
    git(mini, "remote", "add", "origin", str(remote))
    tip = _publish(mini, executed, tmp_path / "out", "origin")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", "--branch", "colab", str(remote), str(clone))
    assert git(clone, "rev-parse", "HEAD") == tip
    assert git(clone, "rev-list", "--count", "HEAD") == "1"  # an orphan branch
    files = sorted(git(clone, "ls-files").splitlines())
    assert files == ["README.md", "notebooks/01_first.ipynb", "notebooks/02_second.ipynb"]
    assert commit in (clone / "README.md").read_text()
    for path in (clone / "notebooks").glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        setup = next(cell for cell in nb.cells if cell.source.startswith(nbtools.COLAB_BEGIN))
        assert f"@{commit}" in setup.source
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                assert colab_edition.myst_leftovers(cell.source) == []


def test_each_publish_adds_one_commit(mini, executed, remote, tmp_path):
    first = _publish(mini, executed, tmp_path / "out", remote)
    assert _publish(mini, executed, tmp_path / "out", remote) == first  # nothing new
    path = mini / "notebooks" / "02_second.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source = "# 2. The second chapter"
    nbformat.write(nb, path)
    git(mini, "commit", "--quiet", "--all", "-m", "retitle")
    git(mini, "push", "--quiet", str(remote), "main")
    second = _publish(mini, executed, tmp_path / "out", remote)
    assert git(remote, "rev-list", "--count", "colab") == "2"
    assert git(remote, "rev-parse", f"{second}^") == first
    readme = git(remote, "show", "colab:README.md")
    assert colab_edition.head_commit(mini) in readme


def test_publish_refuses_a_commit_the_remote_lacks(mini, executed, remote, tmp_path):
    (mini / "notebooks" / "extra.txt").write_text("x")
    git(mini, "add", "--all")
    git(mini, "commit", "--quiet", "-m", "not pushed")
    with pytest.raises(colab_edition.PublishError, match="is not on .*push it first"):
        _publish(mini, executed, tmp_path / "out", remote)
    assert git(remote, "branch", "--list", "colab") == ""


def test_publish_refuses_uncommitted_notebooks(mini, executed, remote, tmp_path):
    path = mini / "notebooks" / "01_first.ipynb"
    path.write_text(path.read_text().replace("Intro.", "Introduction."))
    with pytest.raises(colab_edition.PublishError, match="uncommitted changes in notebooks/01"):
        _publish(mini, executed, tmp_path / "out", remote)


def test_publish_refuses_a_branch_that_holds_the_sources(mini, executed, remote, tmp_path):
    colab_edition.build(executed, tmp_path / "out", mini)
    with pytest.raises(colab_edition.PublishError, match="holds the sources"):
        colab_edition.publish(tmp_path / "out", str(remote), "main", "# README\n", mini)


def test_the_real_book_publishes_from_a_clean_clone(tmp_path):
    source = tmp_path / "source"
    git(tmp_path, "clone", "--quiet", str(ROOT), str(source))
    shutil.copy(ROOT / "book" / "_config.yml", source / "book" / "_config.yml")
    if git(source, "status", "--porcelain"):
        git(source, "commit", "--quiet", "--all", "-m", "the working tree's book config")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", str(remote))
    git(source, "push", "--quiet", str(remote), "HEAD:refs/heads/main")
    executed = executed_copies(source / "notebooks", tmp_path / "run", {})
    _publish(source, executed, tmp_path / "out", remote)
    listed = git(remote, "ls-tree", "--name-only", "colab", "notebooks/").splitlines()
    chapters = sorted(f"notebooks/{path.name}" for path in (source / "notebooks").glob("*.ipynb"))
    assert sorted(listed) == chapters


def test_the_release_tag_is_pushed_once_and_never_moved(mini, remote):
    commit = colab_edition.head_commit(mini)
    assert colab_edition.push_release_tag(str(remote), "v9.9.9", mini) is True
    assert git(remote, "rev-parse", "v9.9.9^{commit}") == commit
    (mini / "notebooks" / "extra.txt").write_text("x")
    git(mini, "add", "--all")
    git(mini, "commit", "--quiet", "-m", "later")
    assert colab_edition.push_release_tag(str(remote), "v9.9.9", mini) is False
    assert git(remote, "rev-parse", "v9.9.9^{commit}") == commit
