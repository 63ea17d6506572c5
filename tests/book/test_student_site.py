"""The student edition leads to no solution: its pages, links, downloads and notebooks.

Checks the edition `make student` built in ``_build/student`` (and the Colab form in
``_build/student/colab`` when ``student_edition.py publish`` wrote one): no solution's text
anywhere, no solution block on any page, and every link (launch, repository and download
buttons included) stays in the student edition: its website, its notebooks, the ``student``
branch of the repository.
"""

from __future__ import annotations

import functools
import posixpath
import re
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[2]
STUDENT = ROOT / "_build" / "student"
SITE = STUDENT / "html"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests"))
import solution_text  # noqa: E402
import student_edition  # noqa: E402

CONFIG = yaml.safe_load((ROOT / "book" / "_config.yml").read_text(encoding="utf-8"))
REPOSITORY = CONFIG["repository"]["url"].rstrip("/")
REPO_PATH = urlparse(REPOSITORY).path.strip("/")  # owner/name
FULL_SITE = CONFIG["html"]["baseurl"].rstrip("/") + "/"
STUDENT_SITE = student_edition.student_site(CONFIG)
BRANCH = student_edition.BRANCH
# Where a link may name the repository: a branch after blob/tree/edit (GitHub, Colab), after
# the repository in a Binder URL, or a JupyterHub git-pull's branch parameter.
ON_BRANCH = re.compile(
    rf"/(?:blob|tree|edit)/(?P<a>[^/?#]+)|{re.escape(REPO_PATH)}/(?P<b>[^/?#]+)\?urlpath="
    r"|[?&]branch=(?P<c>[^&#]+)"
)
LINKING = {"a": "href", "link": "href", "script": "src", "img": "src", "iframe": "src"}


def _edition() -> Path:
    if not (SITE / "index.html").is_file():
        pytest.fail("the student edition is not built: run `make student` first")
    return STUDENT


def _pages() -> list[Path]:
    return sorted(
        p for p in _edition().joinpath("html").rglob("*.html") if "_static" not in p.parts
    )


def _files() -> list[Path]:
    suffixes = {".html", ".ipynb", ".md", ".txt", ".js", ".json"}
    return [p for p in _edition().rglob("*") if p.suffix in suffixes and "_static" not in p.parts]


@functools.cache
def _soup(page: Path) -> BeautifulSoup:
    return BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")


def _links(page: Path) -> list[str]:
    soup = _soup(page)
    return [
        element[attribute]
        for tag, attribute in LINKING.items()
        for element in soup.find_all(tag)
        if element.get(attribute)
    ]


def _wrong(page: Path, link: str) -> str | None:
    """Why ``link`` on ``page`` leaves the student edition, or None if it does not."""
    url = urlparse(link)
    if url.scheme in ("mailto", "javascript", "data") or link.startswith("#"):
        return None
    if not url.scheme and not url.netloc:  # a file of the site itself
        target = posixpath.normpath(
            posixpath.join(posixpath.dirname(page.relative_to(SITE).as_posix()), url.path)
        )
        if target.startswith("../") or not (SITE / target).exists():
            return f"not a file of the student site: {target}"
        return None
    absolute = unquote(link)
    if absolute.startswith(FULL_SITE) and not absolute.startswith(STUDENT_SITE):
        return "the full website"
    if REPO_PATH in absolute:
        branch = ON_BRANCH.search(absolute)
        found = branch and next(name for name in branch.groups() if name)
        if found != BRANCH:
            return f"the repository, not its {BRANCH} branch"
    return None


@functools.cache
def _solution_lines() -> dict[str, list[str]]:
    return solution_text.solution_lines(NOTEBOOKS)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_solution_text_in_the_student_edition(notebook):
    lines = _solution_lines()[notebook.stem]
    assert lines, f"{notebook.stem}: no solution text found to check"
    files = _files()
    assert any(path.suffix == ".html" for path in files)
    for path in files:
        assert not solution_text.leaks(path, lines), f"{path} shows a solution of {notebook.stem}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_exercises_and_self_checks_stay(notebook):
    student = nbformat.read(_edition() / "notebooks" / notebook.name, as_version=4)
    markdown = "\n".join(c.source for c in student.cells if c.cell_type == "markdown")
    code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    original = nbformat.read(notebook, as_version=4)
    n_exercises = sum(c.source.count("{exercise}") for c in original.cells)
    assert markdown.count("{exercise}") == n_exercises
    assert "{solution" not in markdown
    assert "exercises." in code
    html = (SITE / "notebooks" / f"{notebook.stem}.html").read_text(encoding="utf-8")
    assert "student edition" in html


def test_no_page_shows_a_solution():
    pages = _pages()
    assert len(pages) >= len(NOTEBOOKS)
    for page in pages:
        soup = _soup(page)
        # sphinx-exercise's solution admonitions; MyST-NB's class for cells tagged solution
        found = soup.select(".solution, .tag_solution")
        assert not found, f"{page.relative_to(SITE)} shows a solution: {found[0]!s:.200}"


def test_every_link_stays_in_the_student_edition():
    checked = 0
    for page in _pages():
        for link in _links(page):
            why = _wrong(page, link)
            assert why is None, f"{page.relative_to(SITE)} links to {why}: {link}"
            checked += 1
    assert checked > 1000


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_buttons_open_the_student_branch(notebook):
    page = SITE / "notebooks" / f"{notebook.stem}.html"
    links = _links(page)
    colab = f"https://colab.research.google.com/github/{REPO_PATH}/blob/{BRANCH}/notebooks/"
    assert colab + notebook.name in links, "the Colab button opens the student notebook"
    assert f"{REPOSITORY}/tree/{BRANCH}" in links, "the repository button shows the branch"
    downloads = [link for link in links if link.endswith(".ipynb") and "://" not in link]
    assert downloads, "the page offers its notebook"
    student = student_edition.student_notebook(nbformat.read(notebook, as_version=4))
    for link in downloads:
        downloaded = nbformat.read(urljoin(f"{page}", link), as_version=4)
        assert [cell.source for cell in downloaded.cells] == [c.source for c in student.cells]


def test_the_wrong_links_are_recognised():
    page = SITE / "notebooks" / "01_crossmodal_data.html"
    colab = "https://colab.research.google.com/github"
    assert _wrong(page, REPOSITORY)
    assert _wrong(page, f"{REPOSITORY}/blob/main/notebooks/01_crossmodal_data.ipynb")
    assert _wrong(page, f"{colab}/{REPO_PATH}/blob/colab/notebooks/01_crossmodal_data.ipynb")
    assert _wrong(page, f"https://mybinder.org/v2/gh/{REPO_PATH}/colab?urlpath=tree/x.ipynb")
    assert _wrong(page, f"{FULL_SITE}notebooks/01_crossmodal_data.html")
    assert _wrong(page, "../../html/index.html")
    assert (
        _wrong(page, f"{colab}/{REPO_PATH}/blob/{BRANCH}/notebooks/01_crossmodal_data.ipynb")
        is None
    )
    assert _wrong(page, f"{REPOSITORY}/tree/{BRANCH}") is None
    assert _wrong(page, f"{STUDENT_SITE}notebooks/01_crossmodal_data.html") is None
    assert _wrong(page, "../_sources/notebooks/01_crossmodal_data.ipynb") is None


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def student_url() -> Iterator[str]:
    """The student website served on 127.0.0.1, as a reader's browser would load it."""
    handler = functools.partial(_QuietHandler, directory=str(_edition() / "html"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_in_a_browser_no_link_leads_to_a_solution(browser, student_url):
    """Every link of every chapter page, as the browser has it after the scripts ran."""
    page = browser.new_page()
    checked = 0
    for notebook in NOTEBOOKS:
        html = SITE / "notebooks" / f"{notebook.stem}.html"
        page.goto(f"{student_url}/notebooks/{html.name}", wait_until="load")
        links = page.eval_on_selector_all(
            "a[href]", "anchors => anchors.map(a => a.getAttribute('href'))"
        )
        for link in links:
            why = _wrong(html, link)
            assert why is None, f"{html.name} links to {why}: {link}"
        assert page.locator(".solution, .tag_solution").count() == 0, html.name
        checked += len(links)
    page.close()
    assert checked > 11 * 20
