"""Build the Colab edition of the chapters, and publish it on a branch of its own.

    python scripts/colab_edition.py [build] [--executed .nbmake] [--out _build/colab]
    python scripts/colab_edition.py publish --remote URL-OR-PATH [--branch colab]

Colab renders notebook Markdown as CommonMark, so the book's MyST reads as raw text there.
``build`` writes ``_build/colab/notebooks/*.ipynb``, one per chapter, in which

- glued values (``{glue:text}``, ``{glue}``, ``{glue:md}``) are those of the book's own run,
  read from the executed copies of the chapters (``.nbmake/``, left there by ``make test``)
  and formatted as MyST-NB formats them; a note under the title says so. Images of
  ``{glue:figure}`` and ``{figure}`` are embedded as data URIs: Colab renders neither cell
  attachments nor image paths relative to the notebook;
- cross-references read as on the website ("Fig. 29", "Exercise 12", "(3)", a section's or a
  page's title), numbered as Sphinx numbers them along ``book/_toc.yml``; those that lead to
  another page, and links to other pages, point at the website (``html.baseurl``);
- citations read author–year, "(Vaswani et al., 2017)", and a References cell at the end
  lists the cited works of ``references.bib``;
- an exercise becomes a heading, its solution folds into ``<details>``, an admonition
  becomes a block quote with a bold title, and a figure's caption stays under its figure
  (for a code cell's figure, in a Markdown cell right after the code cell);
- code cells are unchanged, except the Colab set-up cell, which installs the helper
  package at the commit the edition is built from.

Cells tagged ``solution`` stay runnable code cells, preceded by a "Solution" heading: later
cells may need what they define, and Colab can neither fold a code cell (it ignores
Jupyter's ``source_hidden``) nor put one inside ``<details>``.

``publish`` builds the edition and commits it, with a README naming the source commit, on
top of the remote's ``colab`` branch (an orphan branch the first time: the main notebooks
stay MyST for the website). It refuses while the sources have uncommitted changes, and
when HEAD is not on the remote, since the set-up cell's pinned install would then fail.
It also gives the remote the release tag (``v`` + the package version) at HEAD if the
remote lacks it: the source notebooks' set-up cell installs from that tag.

``student_edition.py publish`` converts and publishes the student chapters (no solutions)
with this module's code, on a ``student`` branch (an ``Edition`` names what differs).
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import mimetypes
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import nbformat
import nbtools
import yaml
from docutils.nodes import make_id
from markdown_it import MarkdownIt
from myst_nb.core.variables import format_plain_text
from pybtex.database import Entry, parse_file
from pybtex.plugin import find_plugin

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "_build" / "colab"
EXECUTED = ROOT / ".nbmake"
BRANCH = "colab"
# What an edition is made from: publishing refuses while any of it has uncommitted changes.
SOURCES = ("notebooks", "book", "crossmodal_helpers", "pyproject.toml")
# Sphinx's and sphinx-exercise's defaults; book/_config.yml may override them.
NUMFIG_FORMAT = {"figure": "Fig. %s", "exercise": "Exercise %s"}
ADMONITIONS = {
    "admonition": "",
    "attention": "Attention",
    "caution": "Caution",
    "danger": "Danger",
    "error": "Error",
    "hint": "Hint",
    "important": "Important",
    "note": "Note",
    "seealso": "See also",
    "tip": "Tip",
    "warning": "Warning",
}
IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml")

DIRECTIVE = re.compile(
    r"^(?P<indent> {0,3})(?P<fence>`{3,}|:{3,})\{(?P<name>[^{}\s`]+)\}[ \t]*(?P<argument>.*?)\s*$"
)
CODE_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})")
OPTION = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*?)\s*$")
TARGET = re.compile(r"^ {0,3}\((?P<label>[^()\s]+)\)=[ \t]*(?:\n|$)", re.M)
HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(?P<title>.*?)[ \t#]*$")
LABELLED_MATH = re.compile(
    r"^(?P<indent>[ \t]*)\$\$(?P<body>(?:(?!\$\$).)+?)\$\$[ \t]*\((?P<label>[^()\s]+)\)[ \t]*$",
    re.M | re.S,
)
# pybtex keeps BibTeX's \url{...} as text; the Markdown backend then escapes it.
URL_MACRO = re.compile(r"\\\\url (?P<url>\S+?)(?=,?\s|(?:\\\.)?$)")
EXPLICIT = re.compile(r"^(?P<title>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
ABSOLUTE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:|#)")
ROLE_NAME = r"[A-Za-z][\w-]*(?::[\w-]+)*"  # glue:text, cite:p, numref
# One pass over a text: roles and links are converted, code spans left alone.
INLINE = re.compile(
    rf"\{{(?P<role>{ROLE_NAME})\}}`(?P<content>[^`]*)`"
    r"|(?P<ticks>`+).*?(?<!`)(?P=ticks)(?!`)"
    r"|(?P<bang>!?)\[(?P<text>[^\]\n]*)\]\((?P<url>[^()\s]+)(?P<title>[ \t]+\"[^\"]*\")?\)",
    re.S,
)
LEFTOVERS = {
    "role": re.compile(rf"\{{{ROLE_NAME}\}}`"),
    "directive": re.compile(r"^[ \t>]*(?:`{3,}|:{3,})\{", re.M),
    "target": re.compile(r"^[ \t>]*\([^()\s]+\)=[ \t]*$", re.M),
}
HTML_LEFTOVERS = {
    "role": re.compile(rf"\{{{ROLE_NAME}\}}<code>"),
    "directive": re.compile(r"class=\"language-\{|:{3,}\{"),
    "target": re.compile(r"<p>\([^()\s]+\)=</p>"),
}
COMMONMARK = MarkdownIt("commonmark")


class StaleRunError(ValueError):
    """The executed copy of a chapter does not run the chapter's current code."""


class PublishError(RuntimeError):
    """Publishing was refused, or a git command failed."""


@dataclass(frozen=True)
class Edition:
    """What sets one published edition apart: its name, its branch, what it links to."""

    name: str  # "Colab edition", as its chapters' note and its branch's README call it
    branch: str  # the branch it is published on, which the website's launch buttons open
    command: str  # the command that publishes it, named in the README of its branch
    summary: str  # what the branch holds, for that README (Markdown)
    links_sources: bool  # whether it links to the sources (the student edition must not)


COLAB = Edition(
    name="Colab edition",
    branch=BRANCH,
    command="python scripts/colab_edition.py publish",
    summary="plain Markdown instead of the website's MyST, the numbers of the book's own run, "
    "and a set-up cell that installs the helper package at the commit the chapters were built "
    "from",
    links_sources=True,
)


@dataclass(frozen=True)
class Directive:
    """A MyST directive: its name, argument, options and (MyST) body."""

    name: str
    argument: str
    options: dict[str, str]
    body: str
    indent: str


@dataclass(frozen=True)
class Verbatim:
    """A fenced code block, passed through unchanged."""

    text: str


@dataclass(frozen=True)
class Item:
    """An element of a page that can be numbered or referenced, in reading order."""

    kind: str  # figure, exercise, equation or section
    label: str | None
    title: str
    numbered: bool


@dataclass(frozen=True)
class Target:
    """What a label points at: its kind, page, number on the website and title."""

    kind: str
    docname: str
    number: int | None
    title: str


@dataclass
class Book:
    """What the edition needs to know about the whole book."""

    root: Path
    title: str
    site: str
    repository: str
    titles: dict[str, str]  # docname -> page title, in book/_toc.yml order
    targets: dict[str, Target]
    numbers: dict[tuple[str, str], list[int | None]]  # (docname, kind) -> numbers in order
    bibliography: dict[str, Entry]
    numfig_format: dict[str, str]

    def url(self, docname: str, anchor: str = "") -> str:
        """The website address of a page, or of an anchor on it."""
        return f"{self.site}{docname}.html" + (f"#{anchor}" if anchor else "")

    def path(self, docname: str, written: str) -> str:
        """The root-relative path of ``written`` as written on page ``docname`` ("/" = root)."""
        if written.startswith("/"):
            return posixpath.normpath(written.lstrip("/"))
        return posixpath.normpath(posixpath.join(posixpath.dirname(docname), written))

    def docname(self, docname: str, written: str) -> str:
        """The page that ``written`` (a path on page ``docname``) names."""
        target = re.sub(r"\.(md|ipynb)$", "", self.path(docname, written))
        if target not in self.titles:
            raise ValueError(f"{docname}: {written!r} is not a page of book/_toc.yml")
        return target


@dataclass
class Run:
    """The glued values of the book's run, read from the executed chapters in ``folder``."""

    folder: Path
    root: Path
    values: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def glue(self, docname: str) -> dict[str, dict[str, Any]]:
        """The glued outputs of one chapter, ``{key: {mime type: data}}``."""
        if docname not in self.values:
            source = self.root / f"{docname}.ipynb"
            self.values[docname] = read_glue(self.folder / source.name, source)
        return self.values[docname]


@dataclass
class Page:
    """The state of converting one chapter: the book, the run, what was met so far."""

    book: Book
    docname: str
    run: Run
    commit: str
    edition: Edition = COLAB
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    cited: dict[str, None] = field(default_factory=dict)  # an ordered set of bib keys
    seen: Counter[str] = field(default_factory=Counter)

    def next_number(self, kind: str) -> int | None:
        """The website's number of the next element of ``kind`` on this page."""
        index = self.seen[kind]
        self.seen[kind] += 1
        return self.book.numbers[self.docname, kind][index]

    def glued(self, reference: str) -> dict[str, Any]:
        """The glued output ``reference`` names: ``key``, or ``path::key`` on another page."""
        path, _, key = reference.rpartition("::")
        docname = self.book.docname(self.docname, path) if path else self.docname
        values = self.run.glue(docname)
        if key not in values:
            raise ValueError(f"{self.docname}: nothing is glued as {key!r} in the run of {docname}")
        return values[key]


def split_blocks(markdown: str) -> Iterator[str | Verbatim | Directive]:
    """Yield the text, fenced code and directives of MyST ``markdown`` in order."""
    lines = markdown.split("\n")
    text: list[str] = []
    start = 0
    while start < len(lines):
        opening = DIRECTIVE.match(lines[start]) or CODE_FENCE.match(lines[start])
        if not opening:
            text.append(lines[start])
            start += 1
            continue
        fence = opening["fence"]
        end = next((j for j in range(start + 1, len(lines)) if closes(lines[j], fence)), None)
        if end is None:
            raise ValueError(f"the block opened by {lines[start].strip()!r} is never closed")
        if text:
            yield "\n".join(text)
            text = []
        if "name" in opening.groupdict():
            inner = [_dedent(line, opening["indent"]) for line in lines[start + 1 : end]]
            yield _directive(opening, inner)
        else:
            yield Verbatim("\n".join(lines[start : end + 1]))
        start = end + 1
    if text:
        yield "\n".join(text)


def closes(line: str, fence: str) -> bool:
    """Whether ``line`` closes a block opened by ``fence``."""
    stripped = line.strip()
    return len(stripped) >= len(fence) and set(stripped) == {fence[0]}


def _dedent(line: str, indent: str) -> str:
    """``line`` without the indentation of its directive."""
    return line[len(indent) :] if line.startswith(indent) else line.lstrip(" ")


def _directive(opening: re.Match[str], lines: list[str]) -> Directive:
    """A directive from its opening line and the lines up to its closing fence."""
    options: dict[str, str] = {}
    if lines and lines[0].strip() == "---":
        end = next((j for j in range(1, len(lines)) if lines[j].strip() == "---"), None)
        if end is None:
            raise ValueError(f"the options of {{{opening['name']}}} open with --- but never close")
        parsed = yaml.safe_load("\n".join(lines[1:end])) or {}
        options = {str(key): str(value) for key, value in parsed.items()}
        lines = lines[end + 1 :]
    else:
        while lines and (option := OPTION.match(lines[0])):
            options[option["key"]] = option["value"]
            lines = lines[1:]
    body = "\n".join(lines).strip("\n")
    return Directive(opening["name"], opening["argument"], options, body, opening["indent"])


def scan_markdown(markdown: str) -> Iterator[Item]:
    """Yield the numbered and referenceable elements of MyST ``markdown`` in reading order."""
    for block in split_blocks(markdown):
        if isinstance(block, Directive):
            if block.name in ("figure", "glue:figure"):
                caption = block.body.split("\n\n", 1)[0].strip()
                yield Item("figure", block.options.get("name"), caption, bool(caption))
            elif block.name == "exercise":
                numbered = "nonumber" not in block.options
                yield Item("exercise", block.options.get("label"), block.argument, numbered)
            yield from scan_markdown(block.body)
        elif isinstance(block, str):
            yield from _scan_text(block)


def _scan_text(text: str) -> Iterator[Item]:
    """The targets and labelled equations of a text block, in order."""
    found = []
    for target in TARGET.finditer(text):
        following = text[target.end() :].lstrip("\n").split("\n", 1)[0]
        heading = HEADING.match(following)
        title = heading["title"] if heading else ""
        found.append((target.start(), Item("section", target["label"], title, False)))
    for math in LABELLED_MATH.finditer(text):
        found.append((math.start(), Item("equation", math["label"], "", True)))
    for _, item in sorted(found, key=lambda pair: pair[0]):
        yield item


def _page_markdown(root: Path, docname: str) -> Iterator[str | dict[str, Any]]:
    """A page's Markdown cells (or text), and the figure metadata of its code cells."""
    notebook = root / f"{docname}.ipynb"
    if not notebook.is_file():
        yield (root / f"{docname}.md").read_text(encoding="utf-8")
        return
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "markdown":
            yield cell.source
        elif cell.cell_type == "code" and "figure" in cell.metadata.get("mystnb", {}):
            yield cell.metadata["mystnb"]["figure"]


def _page_items(root: Path, docname: str) -> tuple[str, list[Item]]:
    """A page's title (its first heading) and its elements in reading order."""
    title = ""
    items: list[Item] = []
    for part in _page_markdown(root, docname):
        if isinstance(part, dict):
            caption = part.get("caption", "")
            items.append(Item("figure", part.get("name"), caption, bool(caption)))
            continue
        if not title:
            title = next((m["title"] for m in map(HEADING.match, part.split("\n")) if m), "")
        items.extend(scan_markdown(part))
    return title, items


def _toc_docs(entry: dict[str, Any]) -> Iterator[str]:
    """The documents of a book/_toc.yml entry, in reading order."""
    for key in ("root", "file"):
        if key in entry:
            yield re.sub(r"\.(md|ipynb)$", "", entry[key])
    for key in ("parts", "chapters", "sections"):
        for child in entry.get(key, []):
            yield from _toc_docs(child)


def load_book(root: Path = ROOT) -> Book:
    """Read the configuration, the bibliography and every page's numbers, labels and title."""
    config = yaml.safe_load((root / "book" / "_config.yml").read_text(encoding="utf-8"))
    site = (config.get("html") or {}).get("baseurl")
    if not site:
        raise ValueError("book/_config.yml has no html.baseurl: the edition links to the website")
    toc = yaml.safe_load((root / "book" / "_toc.yml").read_text(encoding="utf-8"))
    bibliography: dict[str, Entry] = {}
    for name in config.get("bibtex_bibfiles", []):
        bibliography.update(parse_file(str(root / name)).entries)
    sphinx_config = (config.get("sphinx") or {}).get("config") or {}
    book = Book(
        root=root,
        title=config["title"],
        site=site.rstrip("/") + "/",
        repository=config["repository"]["url"].rstrip("/"),
        titles={},
        targets={},
        numbers={},
        bibliography=bibliography,
        numfig_format={**NUMFIG_FORMAT, **sphinx_config.get("numfig_format", {})},
    )
    counters: Counter[str] = Counter()
    for docname in _toc_docs(toc):
        book.titles[docname], items = _page_items(root, docname)
        for item in items:
            number = None
            if item.numbered:
                counters[item.kind] += 1
                number = counters[item.kind]
            book.numbers.setdefault((docname, item.kind), []).append(number)
            if item.label in book.targets:
                other = book.targets[item.label].docname
                raise ValueError(f"label {item.label!r} is defined twice: {other}, {docname}")
            if item.label:
                book.targets[item.label] = Target(item.kind, docname, number, item.title)
    return book


def read_glue(executed: Path, source: Path) -> dict[str, dict[str, Any]]:
    """The glued outputs of an executed notebook whose code must be that of ``source``."""
    if not executed.is_file():
        raise FileNotFoundError(
            f"no executed copy of {source.name} in {executed.parent}: run `make test` first, "
            "or pass --executed with a folder of executed chapters"
        )
    run = json.loads(executed.read_text(encoding="utf-8"))
    ran = [_joined(cell["source"]) for cell in run["cells"] if cell["cell_type"] == "code"]
    cells = nbformat.read(source, as_version=4).cells
    if ran != [cell.source for cell in cells if cell.cell_type == "code"]:
        raise StaleRunError(f"{executed} is stale: its code is not that of {source.name}")
    glue = {}
    for cell in run["cells"]:
        for output in cell.get("outputs", []):
            record = output.get("metadata", {}).get("scrapbook")
            if record:
                prefix = len(record.get("mime_prefix", ""))
                glue[record["name"]] = {
                    mime[prefix:]: data if mime.endswith("json") else _joined(data)
                    for mime, data in output["data"].items()
                }
    return glue


def _joined(text: str | list[str]) -> str:
    """A notebook string, which JSON may store as a list of lines."""
    return "".join(text) if isinstance(text, list) else text


def _escape(text: str) -> str:
    """``text`` with the characters Markdown (and Colab's maths) would interpret escaped."""
    return re.sub(r"([\\`*_\[\]<>|$])", r"\\\1", text)


def _data_uri(mime: str, data: str | bytes) -> str:
    """A data URI of an image given as bytes, base64 text (PNG, JPEG) or SVG text."""
    if isinstance(data, bytes) or mime == "image/svg+xml":
        raw = data if isinstance(data, bytes) else data.encode("utf-8")
        data = base64.b64encode(raw).decode("ascii")
    return f"data:{mime};base64,{''.join(data.split())}"


def _glued_image(data: dict[str, Any], key: str) -> str:
    """Markdown showing a glued image, or saying where it appears when there is none."""
    for mime in IMAGE_TYPES:
        if mime in data:
            return f"![{key}]({_data_uri(mime, data[mime])})"
    return "*The figure appears here when the cell that computes it runs.*"


def _pasted(data: dict[str, Any], key: str) -> str:
    """Markdown for a glued output: an image, Markdown, LaTeX or plain text, in that order."""
    if any(mime in data for mime in IMAGE_TYPES):
        return _glued_image(data, key)
    for mime in ("text/markdown", "text/latex"):
        if mime in data:
            return data[mime]
    if "text/plain" not in data:
        raise ValueError(f"the glued output {key!r} has no image, Markdown, LaTeX or plain text")
    return _escape(data["text/plain"])


def _split_explicit(content: str) -> tuple[str, str]:
    """``("title", "target")`` from ``title <target>``, or ``("", content)``."""
    explicit = EXPLICIT.match(content)
    return (explicit["title"], explicit["target"]) if explicit else ("", content.strip())


def _link(text: str, page: Page, docname: str, anchor: str = "") -> str:
    """``text``, linked to the website when it names another page."""
    return text if docname == page.docname else f"[{text}]({page.book.url(docname, anchor)})"


def _numbered(book: Book, kind: str, number: int | None) -> str:
    """The website's name of a numbered element: "Fig. 29", "Exercise 12" ("Exercise")."""
    template = book.numfig_format[kind]
    return template % number if number is not None else template.replace("%s", "").strip()


def _glue_role(name: str, content: str, page: Page) -> str:
    """The value of a glue role, from the book's run."""
    if name == "glue:text":  # split as MyST-NB splits it
        key, spec = content.rsplit(":", 1) if ":" in content else (content, "s")
        data = page.glued(key)
        if "text/plain" not in data:
            raise ValueError(f"{page.docname}: {key!r} has no text/plain value for {{glue:text}}")
        return _escape(format_plain_text(data["text/plain"], spec))
    if name == "glue:md":
        data = page.glued(content.rsplit(":", 1)[0] if ":" in content else content)
        if "text/markdown" not in data:
            raise ValueError(f"{page.docname}: {content!r} has no text/markdown for {{glue:md}}")
        return data["text/markdown"]
    return _pasted(page.glued(content), content)


def _reference(role: str, content: str, page: Page) -> str:
    """The text of a cross-reference as the website shows it, linked if on another page."""
    title, label = _split_explicit(content)
    if role == "term":
        return title or label
    if role == "doc":
        docname = page.book.docname(page.docname, label)
        return _link(title or page.book.titles[docname], page, docname)
    target = page.book.targets.get(label)
    if target is None:
        raise ValueError(f"{page.docname}: {{{role}}} names an unknown label {label!r}")
    number = target.number
    if role == "numref":
        if number is None or target.kind not in page.book.numfig_format:
            raise ValueError(f"{page.docname}: {{numref}} to {label!r}, which has no number")
        template = title or page.book.numfig_format[target.kind]
        text = template.replace("%s", str(number)).replace("{number}", str(number))
        text = text.replace("{name}", target.title)
    elif role == "eq":
        text = title or f"({number})"
    elif title:
        text = title
    elif target.kind == "exercise":  # as sphinx-exercise shows it: "Exercise 6"
        text = _numbered(page.book, "exercise", number)
    elif target.title:
        text = target.title
    else:
        raise ValueError(f"{page.docname}: {{ref}} to {label!r} needs a title; the target has none")
    anchor = make_id(f"equation-{label}" if target.kind == "equation" else label)
    return _link(text, page, target.docname, anchor)


def _authors(entry: Entry, full: bool) -> str:
    """The authors of a reference as an author–year citation names them."""
    people = entry.persons.get("author") or entry.persons.get("editor")
    if not people:
        raise ValueError(f"references.bib entry {entry.key!r} has neither author nor editor")
    names = [" ".join(map(str, (*p.rich_prelast_names, *p.rich_last_names))) for p in people]
    others = names[-1] == "others"
    names = names[:-1] if others else names
    if not full and (others or len(names) > 2):
        return f"{names[0]} et al."
    if others:
        return ", ".join(names) + " et al."
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + ", and " + names[-1]


def _citation(role: str, content: str, page: Page) -> str:
    """An author–year citation: (Kim, 2014) for {cite} and {cite:p}, Kim (2014) for {cite:t}."""
    keys = [key.strip() for key in content.split(",") if key.strip()]
    missing = [key for key in keys if key not in page.book.bibliography]
    if missing:
        raise ValueError(f"{page.docname}: {{{role}}} cites {missing}, not in references.bib")
    page.cited.update(dict.fromkeys(keys))
    variant = role.partition(":")[2] or "p"
    entries = [page.book.bibliography[key] for key in keys]
    authors = [_authors(entry, full=variant in ("ps", "ts")) for entry in entries]
    years = [entry.fields.get("year", "n.d.") for entry in entries]
    if variant in ("p", "ps"):
        return "(" + "; ".join(f"{a}, {y}" for a, y in zip(authors, years, strict=True)) + ")"
    if variant in ("t", "ts"):
        return ", ".join(f"{a} ({y})" for a, y in zip(authors, years, strict=True))
    if variant == "author":
        return ", ".join(authors)
    if variant == "year":
        return ", ".join(years)
    raise ValueError(f"{page.docname}: no Colab rendering for the role {{{role}}}")


def convert_role(name: str, content: str, page: Page) -> str:
    """CommonMark for one MyST role."""
    page.counts["role", name] += 1
    if name.startswith("glue"):
        return _glue_role(name, content, page)
    if name in ("numref", "ref", "eq", "doc", "term"):
        return _reference(name, content, page)
    if name == "cite" or name.startswith("cite:"):
        return _citation(name, content, page)
    if name == "math":
        return f"${content}$"
    raise ValueError(f"{page.docname}: no Colab rendering for the role {{{name}}}")


def _convert_link(match: re.Match[str], page: Page) -> str:
    """A link or image with its local target made absolute: website, repository or data URI."""
    url = match["url"]
    if ABSOLUTE.match(url):
        return match[0]
    written, _, anchor = url.partition("#")
    path = page.book.path(page.docname, written)
    file = page.book.root / path
    if match["bang"]:
        if not file.is_file():
            raise ValueError(f"{page.docname}: the image {url!r} is not a file of the repository")
        mime = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        page.counts["link", "image embedded"] += 1
        return f"![{match['text']}]({_data_uri(mime, file.read_bytes())})"
    docname = re.sub(r"\.(md|ipynb)$", "", path)
    if docname in page.book.titles:
        target = page.book.url(docname, anchor)
        page.counts["link", "to the website"] += 1
    elif file.exists():
        if not page.edition.links_sources:
            raise ValueError(
                f"{page.docname}: the {page.edition.branch} edition links to no file of the "
                f"sources, which hold the solutions: {url!r}"
            )
        target = f"{page.book.repository}/blob/{page.commit}/{path}"
        page.counts["link", "to a file"] += 1
    else:
        raise ValueError(f"{page.docname}: the link {url!r} names neither a page nor a file")
    return f"[{match['text']}]({target}{match['title'] or ''})"


def convert_inline(text: str, page: Page) -> str:
    """``text`` with its roles converted and its local links made absolute."""

    def replace(match: re.Match[str]) -> str:
        if match["role"]:
            return convert_role(match["role"], match["content"], page)
        if match["ticks"]:
            return match[0]
        return _convert_link(match, page)

    return INLINE.sub(replace, text)


def _convert_text(text: str, page: Page) -> str:
    """A text block without targets, with numbered equations and converted roles."""
    text, targets = TARGET.subn("", text)
    if targets:
        page.counts["target", "(label)="] += targets

    def tag(math: re.Match[str]) -> str:
        page.counts["math", "$$ (label)"] += 1
        body = math["body"].rstrip()
        number = page.next_number("equation")
        return f"{math['indent']}$${body} \\tag{{{number}}}{math['body'][len(body) :]}$$"

    return convert_inline(LABELLED_MATH.sub(tag, text), page)


def _exercise(directive: Directive, page: Page) -> str:
    """``### Exercise 12: title`` and the statement."""
    name = _numbered(page.book, "exercise", page.next_number("exercise"))
    title = convert_inline(directive.argument, page)
    heading = f"### {name}: {title}" if title else f"### {name}"
    return f"{heading}\n\n{convert_markdown(directive.body, page)}"


def _solution(directive: Directive, page: Page) -> str:
    """The solution folded in ``<details>``, named after its exercise."""
    target = page.book.targets.get(directive.argument.strip())
    if target is None or target.kind != "exercise":
        raise ValueError(
            f"{page.docname}: {{solution}} of an unknown exercise {directive.argument!r}"
        )
    name = _numbered(page.book, "exercise", target.number)
    body = convert_markdown(directive.body, page)
    return f"<details><summary>Solution to {name}</summary>\n\n{body}\n\n</details>"


def _caption(page: Page, number: int | None, caption: str) -> str:
    """A figure's caption led by its number as on the website: **Fig. 29.** …"""
    text = convert_markdown(caption, page)
    return f"**{_numbered(page.book, 'figure', number)}.** {text}" if number else text


def _figure(directive: Directive, page: Page) -> str:
    """The figure's image (a data URI), its numbered caption and its legend."""
    number = page.next_number("figure")
    caption, _, legend = directive.body.partition("\n\n")
    if directive.name == "glue:figure":
        image = _glued_image(page.glued(directive.argument), directive.argument)
    else:
        alt = directive.options.get("alt", "")
        image = convert_inline(f"![{alt}]({directive.argument})", page)
    parts = [image]
    if caption.strip():
        parts.append(_caption(page, number, caption))
    if legend.strip():
        parts.append(convert_markdown(legend, page))
    return "\n\n".join(parts)


def _admonition(directive: Directive, page: Page) -> str:
    """A block quote led by the bold title (a ``<details>`` block for a dropdown)."""
    if directive.name == "admonition":
        title, body = directive.argument, directive.body
    else:
        title = ADMONITIONS[directive.name]
        body = "\n".join(filter(None, (directive.argument, directive.body)))
    title, body = convert_inline(title, page), convert_markdown(body, page)
    if "dropdown" in directive.options.get("class", "").split():
        return f"<details><summary>{title}</summary>\n\n{body}\n\n</details>"
    quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in body.split("\n"))
    return f"> **{title}**\n>\n{quoted}"


def _glue_directive(directive: Directive, page: Page) -> str:
    """A glued output pasted as a block."""
    if directive.name == "glue:md":
        return _glue_role("glue:md", directive.argument, page)
    return _pasted(page.glued(directive.argument), directive.argument)


DIRECTIVES: dict[str, Callable[[Directive, Page], str]] = {
    "exercise": _exercise,
    "solution": _solution,
    "figure": _figure,
    "glue:figure": _figure,
    "glue": _glue_directive,
    "glue:any": _glue_directive,
    "glue:md": _glue_directive,
    **dict.fromkeys(ADMONITIONS, _admonition),
}


def convert_directive(directive: Directive, page: Page) -> str:
    """CommonMark (and ``<details>`` HTML) for one MyST directive."""
    if directive.name not in DIRECTIVES:
        raise ValueError(
            f"{page.docname}: no Colab rendering for the directive {{{directive.name}}}"
        )
    page.counts["directive", directive.name] += 1
    markdown = DIRECTIVES[directive.name](directive, page)
    return "\n".join(directive.indent + line if line else line for line in markdown.split("\n"))


def convert_markdown(markdown: str, page: Page) -> str:
    """MyST ``markdown`` as CommonMark (with ``<details>`` HTML), which Colab renders."""
    converted = ""
    after_block = False
    for block in split_blocks(markdown):
        is_block = isinstance(block, Directive)
        if isinstance(block, Directive):
            text = convert_directive(block, page)
        elif isinstance(block, Verbatim):
            text = block.text
        else:
            text = _convert_text(block, page)
        if not converted:
            converted = text
        elif is_block or after_block:  # one blank line around a converted directive
            converted = converted.rstrip("\n") + "\n\n" + text.lstrip("\n")
        else:
            converted += "\n" + text
        after_block = is_block
    return converted.strip("\n")


def myst_leftovers(markdown: str) -> list[str]:
    """The MyST roles, directive fences and targets left in ``markdown`` or its CommonMark HTML."""
    found = []
    html = COMMONMARK.render(markdown)
    for where, text, patterns in (("source", markdown, LEFTOVERS), ("HTML", html, HTML_LEFTOVERS)):
        for kind, pattern in patterns.items():
            found += [f"{kind} in the {where}: {match[0]!r}" for match in pattern.finditer(text)]
    return found


def _markdown_cell(source: str, cell_id: str) -> nbformat.NotebookNode:
    """A new Markdown cell with a given id."""
    cell = nbformat.v4.new_markdown_cell(source)
    cell.id = cell_id
    return cell


def _code_cells(cell: nbformat.NotebookNode, page: Page) -> list[nbformat.NotebookNode]:
    """A code cell with the set-up block pinned, a solution heading, a figure caption."""
    cell = copy.deepcopy(cell)
    cells = [cell]
    if cell.source.startswith(nbtools.COLAB_BEGIN):
        if nbtools.COLAB_END not in cell.source:
            raise ValueError(f"{page.docname}: the Colab set-up block has no {nbtools.COLAB_END!r}")
        rest = cell.source.split(nbtools.COLAB_END, 1)[1]
        cell.source = nbtools.colab_block(ref=page.commit) + rest
        page.counts["cell", "Colab set-up"] += 1
    if "solution" in cell.metadata.get("tags", []):
        heading = "#### Solution\n\nThe next cell solves the exercise: try it yourself first."
        cells.insert(0, _markdown_cell(heading, f"{cell.id}-solution"))
        page.counts["cell", "solution"] += 1
    figure = cell.metadata.get("mystnb", {}).get("figure")
    if figure is not None:
        number = page.next_number("figure")
        if figure.get("caption"):
            caption = _caption(page, number, figure["caption"])
            cells.append(_markdown_cell(caption, f"{cell.id}-caption"))
            page.counts["cell", "figure caption"] += 1
    return cells


def _note(page: Page) -> str:
    """The note under a chapter's title: what this edition is and where its numbers come from."""
    book, commit, edition = page.book, page.commit, page.edition
    built = _commit_reference(book, commit[:12], commit, edition)
    return (
        f"> **{edition.name}** of [{book.title}]({book.site}), built from commit "
        f"{built}. Numbers quoted in the text "
        "are from the book's own run; your run may differ slightly. Run the set-up cell "
        f"below first. The [chapter's web page]({book.url(page.docname)}) shows every output."
    )


def _commit_reference(book: Book, text: str, commit: str, edition: Edition) -> str:
    """``text`` naming a commit, linked to its sources if ``edition`` may link to them."""
    return f"[`{text}`]({book.repository}/tree/{commit})" if edition.links_sources else f"`{text}`"


def _autolink(url: re.Match[str]) -> str:
    """A CommonMark autolink for a ``\\url`` that the Markdown backend escaped."""
    return "<" + re.sub(r"\\(.)", r"\1", url["url"]) + ">"


def _references(page: Page) -> str:
    """A References section listing the works the chapter cites, sorted as the website does."""
    style = find_plugin("pybtex.style.formatting", "plain")()
    backend = find_plugin("pybtex.backends", "markdown")()
    entries = {key: page.book.bibliography[key] for key in page.cited}
    lines = ["## References", ""]
    for formatted in style.format_entries(style.sort(entries.values())):
        entry = entries[formatted.key]
        cited_as = f"{_authors(entry, full=False)}, {entry.fields.get('year', 'n.d.')}"
        text = formatted.text.render(backend).replace("\n", " ")
        text = URL_MACRO.sub(_autolink, text)
        lines.append(f"- **{cited_as}.** {text}")
    return "\n".join(lines)


def colab_notebook(nb: nbformat.NotebookNode, page: Page) -> nbformat.NotebookNode:
    """The Colab edition of one chapter (MyST converted, set-up cell pinned)."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            cells.extend(_code_cells(cell, page))
            continue
        cell = copy.deepcopy(cell)
        if cell.cell_type == "markdown":
            cell.source = convert_markdown(cell.source, page)
        cells.append(cell)
    cells.insert(1, _markdown_cell(_note(page), "colab-edition-note"))
    if page.cited:
        cells.append(_markdown_cell(_references(page), "colab-edition-references"))
    for cell in cells:
        leftovers = myst_leftovers(cell.source) if cell.cell_type == "markdown" else []
        if leftovers:
            raise ValueError(f"{page.docname}, cell {cell.id}: MyST left: {'; '.join(leftovers)}")
    return nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(nb.metadata))


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` and return its output; raise PublishError with git's message."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env)
    if done.returncode:
        message = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
        raise PublishError(f"git {args[0]} failed: {message}")
    return done.stdout.rstrip()  # porcelain status lines start with a space


def _succeeds(cwd: Path, *args: str) -> bool:
    """Whether a git command (a query) succeeds in ``cwd``."""
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True).returncode == 0


def _committer(work: Path) -> list[str]:
    """``-c`` options naming a committer where git has none configured (as on CI machines)."""
    if _succeeds(work, "config", "user.email"):
        return []
    return ["-c", "user.name=Book editions", "-c", "user.email=editions@localhost"]


def head_commit(root: Path = ROOT) -> str:
    """The commit checked out in ``root``."""
    return git(root, "rev-parse", "HEAD")


def uncommitted(root: Path = ROOT) -> list[str]:
    """The files an edition is made from that differ from HEAD (untracked ones included)."""
    status = git(root, "status", "--porcelain", "--untracked-files=all", "--", *SOURCES)
    return [line[3:] for line in status.splitlines()]


def publish(edition: Path, remote: str, branch: str, readme: str, root: Path = ROOT) -> str:
    """Commit ``edition/notebooks/*.ipynb`` and ``readme`` as a new commit on ``branch``.

    The notebooks keep their paths (``notebooks/NN_name.ipynb``); the branch stays linear:
    each publish adds one commit on the previous tip, the first one makes an orphan branch.
    Refuses while ``root`` has uncommitted sources or HEAD is not on ``remote``. Returns the
    branch's new tip (its old tip if that already holds this very edition).
    """
    commit = head_commit(root)
    dirty = uncommitted(root)
    if dirty:
        more = f" and {len(dirty) - 1} more" if len(dirty) > 1 else ""
        raise PublishError(f"uncommitted changes in {dirty[0]}{more}: commit them first")
    notebooks = sorted((edition / "notebooks").glob("*.ipynb"))
    if not notebooks:
        raise PublishError(f"no notebooks to publish in {edition / 'notebooks'}")
    if _succeeds(root, "remote", "get-url", remote):  # a remote's name, such as origin
        remote = git(root, "remote", "get-url", remote)
    remote = str(Path(remote).resolve()) if Path(remote).exists() else remote
    with tempfile.TemporaryDirectory(prefix="edition-") as folder:
        work = Path(folder)
        git(work, "init", "--quiet")
        refspecs = ("+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*")
        git(work, "fetch", "--quiet", remote, *refspecs)
        if not _succeeds(work, "cat-file", "-e", f"{commit}^{{commit}}"):
            raise PublishError(
                f"commit {commit[:12]} is not on {remote}: push it first, or the set-up cell "
                "would pin a commit that cannot be installed"
            )
        tip = f"refs/remotes/origin/{branch}"
        exists = _succeeds(work, "rev-parse", "--verify", "--quiet", tip)
        if exists and _succeeds(work, "merge-base", "--is-ancestor", commit, tip):
            raise PublishError(f"branch {branch!r} of {remote} holds the sources, not an edition")
        if exists:
            git(work, "checkout", "--quiet", "-b", branch, tip)
        else:
            git(work, "symbolic-ref", "HEAD", f"refs/heads/{branch}")
        shutil.rmtree(work / "notebooks", ignore_errors=True)
        (work / "notebooks").mkdir()
        for notebook in notebooks:
            shutil.copyfile(notebook, work / "notebooks" / notebook.name)
        (work / "README.md").write_text(readme, encoding="utf-8")
        git(work, "add", "--all")
        if exists and _succeeds(work, "diff", "--cached", "--quiet"):
            return git(work, "rev-parse", "HEAD")
        title = readme.split("\n", 1)[0].lstrip("# ").strip()
        git(work, *_committer(work), "commit", "--quiet", "-m", f"{title}, built from {commit}")
        git(work, "push", "--quiet", remote, f"HEAD:refs/heads/{branch}")
        return git(work, "rev-parse", "HEAD")


def push_release_tag(remote: str, tag: str, root: Path = ROOT) -> bool:
    """Give ``remote`` the tag the source notebooks install from, at HEAD, if it lacks it.

    Returns True when the tag was pushed. An existing tag is never moved: it names a
    release that readers may already have installed.
    """
    if _succeeds(root, "remote", "get-url", remote):
        remote = git(root, "remote", "get-url", remote)
    if git(root, "ls-remote", "--tags", remote, f"refs/tags/{tag}"):
        return False
    git(root, "push", "--quiet", remote, f"{head_commit(root)}:refs/tags/{tag}")
    return True


def edition_readme(book: Book, commit: str, branch: str, edition: Edition = COLAB) -> str:
    """The README of an edition's branch: what it is and which commit it was built from."""
    repo = urlparse(book.repository).path.strip("/")
    example = f"https://colab.research.google.com/github/{repo}/blob/{branch}/notebooks/"
    return f"""# {book.title}: {edition.name}

This branch is generated by `{edition.command}`; do not edit it.
It holds the chapters of [{book.title}]({book.site}) as Colab shows them: {edition.summary}.

Built from commit {_commit_reference(book, commit, commit, edition)} of the book's sources.
Each publish adds one commit on top of the previous one.

Open a chapter with the Colab button (rocket icon) of its page on the website, or at
`{example}<chapter>.ipynb`.
"""


def build(
    executed: Path = EXECUTED,
    out: Path = OUT,
    root: Path = ROOT,
    edition: Edition = COLAB,
    source: Path | None = None,
) -> Counter[Any]:
    """Write the Colab edition of every chapter into ``out/notebooks``; count what changed.

    The book (``book/`` and ``notebooks/``) is read from ``source``, by default ``root``, the
    repository whose HEAD the set-up cells pin and whose chapters the run in ``executed``
    must have executed. The student edition passes a folder of chapters without solutions.
    """
    source = root if source is None else source
    book = load_book(source)
    run = Run(executed, root)
    commit = head_commit(root)
    target = out / "notebooks"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    counts: Counter[Any] = Counter()
    for path in sorted((source / "notebooks").glob("*.ipynb")):
        docname = f"notebooks/{path.stem}"
        if docname not in book.titles:
            raise ValueError(f"{path.relative_to(source)} is not in book/_toc.yml")
        run.glue(docname)  # every chapter's run must be there and current, quoted or not
        page = Page(book, docname, run, commit, edition)
        nbformat.write(colab_notebook(nbformat.read(path, as_version=4), page), target / path.name)
        counts.update(page.counts)
        counts["notebook", "written"] += 1
    return counts


def add_edition_arguments(
    parser: argparse.ArgumentParser, out: Path, branch: str | None = None
) -> None:
    """The options of a command that builds an edition (and publishes it, given a branch)."""
    if branch is not None:
        parser.add_argument("--remote", required=True, help="URL, path or remote name")
        parser.add_argument("--branch", default=branch, help=f"default: {branch}")
    parser.add_argument(
        "--executed", type=Path, default=EXECUTED, help="executed chapters (default: .nbmake)"
    )
    parser.add_argument("--out", type=Path, default=out, help=f"default: {out.relative_to(ROOT)}")


def report(counts: Counter[Any], out: Path, seconds: float, what: str = "Colab edition") -> None:
    """Print how many notebooks an edition build wrote, and what it converted."""
    print(f"{what}: {counts.pop(('notebook', 'written'))} notebooks in {out}")
    print(f"  built in {seconds:.1f} s; converted:")
    for (kind, name), count in sorted(counts.items()):
        print(f"    {kind:>9} {name:<16} {count:>4}")


def main(argv: list[str] | None = None) -> int:
    """Build the edition (and publish it); return the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv = ["build", *argv]
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="write the edition (the default command)")
    add_edition_arguments(build_parser, OUT)
    publish_parser = commands.add_parser("publish", help="build, then commit it on a branch")
    add_edition_arguments(publish_parser, OUT, COLAB.branch)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        report(build(args.executed, args.out), args.out, time.perf_counter() - started)
        dirty = uncommitted()
        if dirty and args.command == "build":
            print(f"  note: {len(dirty)} source files differ from HEAD, which the set-up cell pins")
        if args.command == "publish":
            readme = edition_readme(load_book(), head_commit(), args.branch)
            tip = publish(args.out, args.remote, args.branch, readme)
            print(f"published {tip[:12]} on branch {args.branch} of {args.remote}")
            tag = nbtools.release_tag()
            if push_release_tag(args.remote, tag):
                print(f"tagged {head_commit()[:12]} as {tag} on {args.remote}")
    except (ValueError, FileNotFoundError, PublishError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
