"""The website's search, as a reader uses it in Chromium: Chinese and English queries.

The book sets Sphinx's Chinese search language (``html_search_language: zh`` in
book/_config.yml), which segments Chinese text into words with jieba and still stems
English words, so that both languages are searchable.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlparse

import pytest
import yaml
from bs4 import BeautifulSoup

#: Query → a page that must be found, and how a page's text shows that it holds the query.
#: 学习 (learning) occurs only inside longer runs of Chinese characters (多模态学习,
#: 跨模态学习, 学习曲线): a search that splits only at spaces and punctuation never indexes it
#: as a word of its own, and matches no part of a word shorter than three characters.
QUERIES = {
    "注意力": ("book/glossary.html", "注意力"),
    "学习": ("book/glossary.html", "学习"),
    "attention": ("book/glossary.html", "attention"),
    "learning": ("book/glossary.html", "learn"),
}


def _search(browser, base_url: str, query: str) -> list[str]:
    """The pages the site's search page lists for ``query``, as paths from the site root."""
    page = browser.new_page()
    page.goto(f"{base_url}/search.html?q={quote(query)}", wait_until="networkidle")
    page.wait_for_selector("#search-results p.search-summary", timeout=30000)
    hrefs = page.eval_on_selector_all(
        "#search-results ul.search li a", "els => els.map(e => e.href)"
    )
    page.close()
    return sorted({urlparse(href).path.lstrip("/") for href in hrefs})


def _text(site: Path, page: str) -> str:
    soup = BeautifulSoup((site / page).read_text(encoding="utf-8"), "html.parser")
    main = soup.find("main") or soup
    return main.get_text(" ").lower()


def test_the_search_language_is_chinese_with_english_stemming():
    root = Path(__file__).resolve().parents[2]
    config = yaml.safe_load((root / "book" / "_config.yml").read_text(encoding="utf-8"))
    assert config["sphinx"]["config"]["html_search_language"] == "zh"


@pytest.mark.parametrize("query", list(QUERIES))
def test_search_finds_the_pages_that_hold_the_query(browser, base_url, site, query):
    must_find, evidence = QUERIES[query]
    found = _search(browser, base_url, query)
    assert must_find in found, f"searching {query!r} does not list {must_find}: {found}"
    assert (site / must_find).is_file()
    assert evidence in _text(site, must_find)
    without = [page for page in found if evidence[:5] not in _text(site, page)]
    assert not without, f"searching {query!r} lists pages without it: {without}"
