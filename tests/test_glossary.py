"""The glossary: enough terms, each with its Chinese name and a link to its chapter."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _entries() -> list[tuple[str, str]]:
    text = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    body = text.split("```{glossary}", 1)[1].rsplit("```", 1)[0]
    return re.findall(r"^(\S.*)\n((?:  .*\n?)+)", body, flags=re.MULTILINE)


def test_at_least_sixty_terms():
    assert len(_entries()) >= 60


def test_every_term_has_a_chinese_name_and_a_chapter_link():
    for term, definition in _entries():
        assert re.search(r"\([^)]*[\u4e00-\u9fff][^)]*\)$", term), f"{term}: no Chinese name"
        links = re.findall(r"\]\(\.\./notebooks/(\w+)\.ipynb\)", definition)
        assert links, f"{term}: no link to the chapter that introduces it"
        for stem in links:
            assert (ROOT / "notebooks" / f"{stem}.ipynb").exists(), f"{term}: {stem} missing"


def test_terms_are_unique():
    terms = [term.split(" (")[0].lower() for term, _ in _entries()]
    assert len(terms) == len(set(terms))
