"""Run every chapter in Google Colab's own runtime, rebuilt offline: ``make colab-check``.

    python scripts/colab_check.py [notebooks/NN_name.ipynb ...]   # default: every chapter

1. Builds ``.venv-colab`` once (rebuilt when ``colab/pins.txt`` changes) with the Python
   version and the exact package versions Colab publishes for its image, read from
   ``colab/pins.txt``, and puts the stand-in ``google.colab`` of ``colab/stub`` on its path.
2. Copies the chapters and the helper package's source to a folder outside the repository.
3. Executes each chapter top to bottom with a kernel of that environment, as a fresh Colab
   runtime would: packages a previous chapter's set-up cell installed are removed first,
   the home folder (and so every cache) is new, and the set-up cell installs the helper
   package from the copy through ``CROSSMODAL_HELPERS_SOURCE``.
4. Renders the widgets of every executed chapter with ipywidgets 7's widget manager (the
   one Colab's front end uses) in Chromium and operates every control
   (``widget_page.probe_executed_notebooks``).
5. Prints each chapter's wall time; exits 1 if any chapter or widget fails.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from widget_page import probe_executed_notebooks
from widget_probe import controls_operated, widgets_found

ROOT = Path(__file__).resolve().parents[1]
PINS = ROOT / "colab" / "pins.txt"
STUB = ROOT / "colab" / "stub"
VENV = ROOT / ".venv-colab"
STAMP = VENV / ".colab-pins"
#: The distributions of the image as built: what a fresh Colab runtime has.
IMAGE = VENV / "colab-image.json"
KERNEL = "colab-python"
CELL_TIMEOUT = 600
PACKAGE_FILES = ("pyproject.toml", "README.md", "crossmodal_helpers")


@dataclass(frozen=True)
class Pins:
    """Colab's Python version and package pins, as read from ``colab/pins.txt``."""

    python: str
    requirements: list[str]


def read_pins(path: Path = PINS) -> Pins:
    """Parse ``path``: a ``# python: X.Y`` line and one ``name==version`` per line."""
    text = path.read_text(encoding="utf-8")
    version = re.search(r"^# python: (\d+\.\d+)\s*$", text, flags=re.MULTILINE)
    if version is None:
        raise ValueError(f"{path} must name Colab's Python in a line '# python: X.Y'")
    requirements = [
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]
    for line in requirements:
        if not re.fullmatch(r"[A-Za-z0-9_.\-]+==[A-Za-z0-9_.\-+]+", line):
            raise ValueError(f"{path}: every pin must read name==version, got {line!r}")
    return Pins(python=version.group(1), requirements=requirements)


def _version_of(python: Path) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [str(python), "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.split()
    except OSError:
        return None
    return (int(out[0]), int(out[1])) if len(out) == 2 else None


def find_python(wanted: str) -> Path:
    """Colab's Python version, from PATH or pyenv; else the newest there is, said loudly."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [Path(p) for p in (shutil.which(f"python{wanted}"),) if p]
    candidates += sorted(pyenv.glob("*/bin/python3"), reverse=True)
    candidates += [Path(p) for n in range(20, 9, -1) if (p := shutil.which(f"python3.{n}"))]
    found = {}
    for python in candidates:
        version = _version_of(python)
        if version is not None and version >= (3, 10):
            found.setdefault(version, python)
    target = tuple(int(part) for part in wanted.split("."))
    if target in found:
        return found[target]
    if not found:
        raise SystemExit(f"colab-check: no Python {wanted} (nor any Python ≥ 3.10) found")
    newest = max(found)
    print(
        f"colab-check: Python {wanted} (Colab's) was not found on PATH or in {pyenv}; "
        f"using Python {newest[0]}.{newest[1]}, the newest available. Install {wanted} "
        "(e.g. `pyenv install " + wanted + "`) to test what Colab runs.",
        flush=True,
    )
    return found[newest]


def _pip(*args: str) -> None:
    subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", *args], check=True)


def site_packages() -> Path:
    """The purelib folder of ``.venv-colab``."""
    out = subprocess.run(
        [
            str(VENV / "bin" / "python"),
            "-c",
            "import sysconfig; print(sysconfig.get_path('purelib'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(out.stdout.strip())


def build_environment(pins: Pins) -> None:
    """Create ``.venv-colab`` with Colab's pins, unless it already matches them."""
    python = find_python(pins.python)
    digest = hashlib.sha256(PINS.read_bytes() + str(python).encode()).hexdigest()
    if STAMP.is_file() and STAMP.read_text().strip() == digest:
        return
    print(f"colab-check: building {VENV.name} with {python} and {len(pins.requirements)} pins")
    shutil.rmtree(VENV, ignore_errors=True)
    subprocess.run([str(python), "-m", "venv", str(VENV)], check=True)
    _pip("install", "--quiet", "--disable-pip-version-check", *pins.requirements)
    (site_packages() / "google_colab_stub.pth").write_text(f"{STUB}\n", encoding="utf-8")
    IMAGE.write_text(json.dumps(sorted(_installed()), indent=1) + "\n", encoding="utf-8")
    STAMP.write_text(digest + "\n", encoding="utf-8")


def _installed() -> set[str]:
    out = subprocess.run(
        [str(VENV / "bin" / "python"), "-m", "pip", "list", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {entry["name"].lower() for entry in json.loads(out)}


def reset_environment(image: set[str]) -> None:
    """Remove what earlier set-up cells installed, so the next chapter starts from the image."""
    extra = sorted(_installed() - image)
    if extra:
        _pip("uninstall", "--quiet", "--yes", *extra)


def prepare_workdir() -> Path:
    """A folder outside the repository with a copy of the helper package's source."""
    work = Path(tempfile.mkdtemp(prefix="crossmodal-colab-"))
    source = work / "source"
    source.mkdir()
    for name in PACKAGE_FILES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(path, source / name)
    kernel = work / "jupyter" / "kernels" / KERNEL
    kernel.mkdir(parents=True)
    spec = {
        "argv": [
            str(VENV / "bin" / "python"),
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
        ],
        "display_name": "Python 3 (Colab profile)",
        "language": "python",
    }
    (kernel / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return work


def kernel_environment(work: Path, home: Path) -> dict[str, str]:
    """The kernel's environment: Colab's, not this project's (no log settings, no results dir)."""
    return {
        "PATH": f"{VENV / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "CROSSMODAL_HELPERS_SOURCE": (work / "source").as_uri(),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }


def run_notebook(path: Path, work: Path) -> tuple[float, str | None]:
    """Execute a copy of ``path`` in ``work``; return (wall seconds, error or None)."""
    folder = work / path.stem
    (folder / "home").mkdir(parents=True)
    copy = folder / path.name
    shutil.copy(path, copy)
    nb = nbformat.read(copy, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(folder)}},
    )
    started = time.perf_counter()
    error = None
    try:
        client.execute(env=kernel_environment(work, folder / "home"))
    except CellExecutionError as failure:
        error = str(failure).strip().splitlines()[-1]
    except Exception as failure:  # a dead kernel or a timeout: report it, go on
        error = f"{type(failure).__name__}: {failure}"
    seconds = time.perf_counter() - started
    nbformat.write(nb, copy)
    return seconds, error


def main(argv: list[str]) -> int:
    notebooks = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in notebooks:
        if not path.is_file() or path.suffix != ".ipynb":
            raise SystemExit(f"colab-check: not a notebook: {path}")
    # Chapter 10 tabulates the others' results, so it runs last (as in `make test`).
    notebooks.sort(key=lambda p: (p.stem.startswith("10_"), p.name))
    pins = read_pins()
    build_environment(pins)
    image = set(json.loads(IMAGE.read_text(encoding="utf-8")))
    work = prepare_workdir()
    os.environ["JUPYTER_PATH"] = str(work / "jupyter")
    print(f"colab-check: Colab profile in {VENV.name}, notebooks run in {work}", flush=True)
    rows, failed = [], []
    for path in notebooks:
        reset_environment(image)
        seconds, error = run_notebook(path, work)
        rows.append((path.stem, seconds, "ok" if error is None else "FAILED"))
        print(f"  {path.stem:<24} {seconds:7.1f} s  {rows[-1][2]}", flush=True)
        if error is not None:
            failed.append(f"{path.stem}: {error}")
    total = sum(seconds for _, seconds, _ in rows)
    print(f"  {'all chapters':<24} {total:7.1f} s  ({len(rows) - len(failed)}/{len(rows)} ok)")
    print(f"colab-check: executed notebooks in {work}")
    findings = probe_executed_notebooks(work)
    problems = [str(finding) for finding in findings if not finding.ok]
    print(
        f"colab-check: widgets on the ipywidgets 7 front end: {widgets_found(findings)} found, "
        f"{controls_operated(findings)} controls operated, {len(problems)} problems"
    )
    for line in failed + problems:
        print(f"colab-check: {line}", file=sys.stderr)
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
