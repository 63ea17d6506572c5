"""A small synthetic book for the tests of the editions (Colab and student).

Two chapters with the MyST the Colab edition converts (glue, citations, cross-references,
exercises with a solution block and a cell tagged ``solution``, figures, admonitions), a
bibliography, executed copies with glued values, and a bare repository to publish to.
"""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import nbtools  # noqa: E402

PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
    )
).decode()
GLUE_PREFIX = "application/papermill.record/"
GLUE_ROLE = re.compile(r"\{glue:text\}`(?P<key>[^`:]+)(?::(?P<spec>[^`]*))?`")

CONFIG = {
    "title": "Mini book",
    "repository": {"url": "https://github.com/example/mini", "branch": "colab"},
    "html": {"baseurl": "https://example.github.io/mini/"},
    "bibtex_bibfiles": ["book/references.bib"],
}
TOC = {
    "format": "jb-book",
    "root": "book/index",
    "chapters": [{"file": "notebooks/01_first"}, {"file": "notebooks/02_second"}],
}
BIB = """
@inproceedings{vaswani2017attention,
  title = {Attention Is All You Need},
  author = {Vaswani, Ashish and Shazeer, Noam and Parmar, Niki and Uszkoreit, Jakob},
  booktitle = {Advances in Neural Information Processing Systems},
  year = {2017}
}
@inproceedings{kim2014convolutional,
  title = {Convolutional Neural Networks for Sentence Classification},
  author = {Kim, Yoon},
  booktitle = {Proceedings of EMNLP},
  year = {2014}
}
@inproceedings{pang2005seeing,
  title = {Seeing Stars},
  author = {Pang, Bo and Lee, Lillian},
  booktitle = {Proceedings of ACL},
  year = {2005}
}
@misc{keras2024dcgan,
  title = {{DCGAN} to Generate Face Images},
  author = {{Keras team}},
  howpublished = {Keras code examples, \\url{https://keras.io/examples/dcgan_step/}},
  year = {2024}
}
@article{uncited2000,
  title = {Never Cited},
  author = {Nobody, Ned},
  journal = {Journal of Nothing},
  year = {2000}
}
"""
CHAPTER_ONE = """(sec-basics)=
## 1.1 Basics

The model reaches {glue:text}`acc:.3f` ({glue:text}`share:.1%`) on {glue:text}`n` items;
the best is {glue:text}`best_name`. Transformers {cite}`vaswani2017attention` replaced
recurrence; {cite:t}`kim2014convolutional` used a CNN, as others did
{cite:p}`kim2014convolutional,pang2005seeing` {cite}`keras2024dcgan`. See
{numref}`fig-curve`, equation {eq}`eq-sum`, the [index](../book/index.md) and
[chapter 2](02_second.ipynb#top).
A {term}`modality <Modality>` is a kind of data.

$$
a + b = c
$$ (eq-sum)

:::{note}
Notes become block quotes; {glue:text}`n` items.
:::

```{admonition} Careful
:class: tip
Titled admonitions keep their title.
```
"""
EXERCISES = """## Exercises

````{exercise} Sum by hand
:label: ex-sum

Add the numbers (see {ref}`sec-basics`).
````

````{solution} ex-sum
:class: dropdown

```python
total = sum(numbers)
```

The **answer** is {glue:text}`n`.
````

:::{exercise} No number
:label: ex-free
:nonumber:

Think.
:::
"""
GLUED_FIGURE = """```{glue:figure} curve_png
:name: fig-glued

The glued curve.
```
"""
CHAPTER_TWO = """As {numref}`fig-curve` shows, and {ref}`ex-sum` asks, the figure
{numref}`Figure %s <fig-glued>` and {doc}`the index <../book/index>` matter.

```{figure} ../book/dot.png
:name: fig-dot
:alt: a dot

A dot, with **bold** caption.

A legend paragraph.
```

Chapter 1 counted {glue}`01_first.ipynb::n` items.

```{glue:figure} 01_first.ipynb::n
```
"""
VALUES = {"acc": 0.91234, "share": 0.1234, "n": 42, "best_name": "linear_svm"}


def notebook(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=list(cells))
    for index, cell in enumerate(nb.cells, start=1):
        cell.id = f"cell-{index:03d}"
    return nb


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@localhost", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def glue_output(key: str, value: object) -> nbformat.NotebookNode:
    if isinstance(value, bytes):
        data = {GLUE_PREFIX + "image/png": value.decode(), GLUE_PREFIX + "text/plain": "<Fig>"}
    elif isinstance(value, dict):
        data = {GLUE_PREFIX + mime: text for mime, text in value.items()}
    else:
        data = {GLUE_PREFIX + "text/plain": repr(value)}
    metadata = {"scrapbook": {"name": key, "mime_prefix": GLUE_PREFIX}}
    return nbformat.v4.new_output("display_data", data=data, metadata=metadata)


def executed_copies(source: Path, folder: Path, values: dict[str, object]) -> Path:
    """Copies of the chapters in ``source`` whose last code cell glues ``values``.

    Keys the chapters quote but ``values`` lacks get 1, which every format spec accepts.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        keys = {m["key"] for m in GLUE_ROLE.finditer(text)} | set(values)
        code = [c for c in nb.cells if c.cell_type == "code"]
        code[-1].outputs = [glue_output(key, values.get(key, 1)) for key in sorted(keys)]
        nbformat.write(nb, folder / path.name)
    return folder


def make_mini(folder: Path) -> Path:
    """A two-chapter book in a git repository with one commit, in ``folder/mini``."""
    root = folder / "mini"
    (root / "book").mkdir(parents=True)
    (root / "notebooks").mkdir()
    (root / "book" / "_config.yml").write_text(yaml.safe_dump(CONFIG))
    (root / "book" / "_toc.yml").write_text(yaml.safe_dump(TOC, sort_keys=False))
    (root / "book" / "index.md").write_text("# The mini book\n\nWelcome.\n")
    (root / "book" / "references.bib").write_text(BIB)
    (root / "book" / "dot.png").write_bytes(base64.b64decode(PNG))
    setup = nbformat.v4.new_code_cell(nbtools.colab_block(ref="v0.0.0"))
    figure = {
        "mystnb": {"figure": {"caption": "A {glue:text}`n`-point curve.", "name": "fig-curve"}}
    }
    first = notebook(
        nbformat.v4.new_markdown_cell("# 1. First chapter\n\nIntro."),
        setup,
        nbformat.v4.new_markdown_cell(CHAPTER_ONE),
        nbformat.v4.new_code_cell("plot()", metadata=figure),
        nbformat.v4.new_markdown_cell(EXERCISES),
        nbformat.v4.new_code_cell("total = 42", metadata={"tags": ["solution"]}),
        nbformat.v4.new_markdown_cell(GLUED_FIGURE),
        nbformat.v4.new_code_cell("results.summary()"),
    )
    second = notebook(
        nbformat.v4.new_markdown_cell("# 2. Second chapter"),
        nbformat.v4.new_code_cell(setup.source),
        nbformat.v4.new_markdown_cell(CHAPTER_TWO),
        nbformat.v4.new_code_cell("pass"),
    )
    nbformat.write(first, root / "notebooks" / "01_first.ipynb")
    nbformat.write(second, root / "notebooks" / "02_second.ipynb")
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "mini book")
    return root


def make_executed(mini: Path, folder: Path) -> Path:
    """Executed copies of the mini book's chapters, with ``VALUES`` and a figure glued."""
    return executed_copies(mini / "notebooks", folder, {**VALUES, "curve_png": PNG.encode()})


def make_remote(mini: Path, folder: Path) -> Path:
    """A bare repository ``folder/remote.git`` holding the mini book's main branch."""
    bare = folder / "remote.git"
    git(folder, "init", "--quiet", "--bare", str(bare))
    git(mini, "push", "--quiet", str(bare), "main")
    return bare
