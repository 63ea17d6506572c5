"""The chapters' Colab set-up cell: installs in Colab only, and the chapter imports then work.

Colab is simulated offline: a fresh virtual environment sees the packages Colab ships
(TensorFlow, NumPy, …) through a path entry, but not ``crossmodal_helpers``; a stand-in
``google.colab`` module makes the cell believe it runs in Colab, and the helper package is
installed from a local copy of this repository instead of GitHub.
"""

from __future__ import annotations

import shutil
import site
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import nbtools  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _setup_cell(notebook: Path) -> str:
    return nbformat.read(notebook, as_version=4).cells[1].source


def test_every_chapter_has_the_same_setup_cell_pinned_to_this_release():
    cells = {_setup_cell(path) for path in NOTEBOOKS}
    assert cells == {nbtools.colab_block()}, "run `make format`"
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert f'@v{version}"' in nbtools.colab_block()
    assert '@0123abc"' in nbtools.colab_block(ref="0123abc")


@pytest.mark.parametrize("ref", ["", "main; rm -rf /", "a b", 'v1"'])
def test_colab_block_rejects_a_ref_that_is_not_a_tag_or_commit(ref):
    with pytest.raises(ValueError, match="ref must be a git tag or commit"):
        nbtools.colab_block(ref=ref)


@pytest.fixture(scope="module")
def colab(tmp_path_factory) -> dict[str, object]:
    base = tmp_path_factory.mktemp("colab")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # Colab's preinstalled packages: this environment's site-packages as a plain path entry
    # (.pth files there, such as the editable install of crossmodal_helpers, are not run).
    preinstalled = "\n".join(site.getsitepackages())
    (Path(purelib) / "colab_preinstalled.pth").write_text(preinstalled + "\n")
    stub = base / "stub" / "google" / "colab"  # namespace package: google.protobuf still works
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text('"""Stand-in for Colab\'s google.colab module."""\n')
    source = base / "repo"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "crossmodal_helpers", source / "crossmodal_helpers")
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(base),
        "PYTHONPATH": str(base / "stub"),
        "CROSSMODAL_HELPERS_SOURCE": source.as_uri(),
        "CROSSMODAL_RESULTS_DIR": str(base / "results"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    return {"python": python, "env": env, "purelib": Path(purelib), "base": base}


def test_the_fresh_environment_lacks_the_helper_package(colab):
    proc = subprocess.run(
        [str(colab["python"]), "-c", "import crossmodal_helpers"],
        env=colab["env"],
        capture_output=True,
        text=True,
        cwd=colab["base"],
    )
    assert proc.returncode != 0 and "No module named 'crossmodal_helpers'" in proc.stderr


def test_setup_cell_installs_in_colab_and_the_imports_succeed(colab):
    code = nbtools.colab_block() + "\nimport crossmodal_helpers\nprint(crossmodal_helpers.__file__)"
    proc = subprocess.run(
        [str(colab["python"]), "-c", code],
        env=colab["env"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=colab["base"],
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    installed_at = Path(proc.stdout.strip().splitlines()[-1])
    assert colab["purelib"] in installed_at.parents, f"imported from {installed_at}"


def test_an_unreachable_source_ends_in_one_sentence_with_both_ways_out(colab, tmp_path):
    env = dict(colab["env"], CROSSMODAL_HELPERS_SOURCE=(tmp_path / "nowhere").as_uri())
    code = nbtools.colab_block()
    proc = subprocess.run(
        [str(colab["python"]), "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=colab["base"],
    )
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("RuntimeError: Could not install crossmodal-helpers[data] @ file:")
    assert "publish the book's repository at https://" in last
    assert "set CROSSMODAL_HELPERS_SOURCE" in last and last.endswith("run this cell again.")
    assert "pip._internal" not in proc.stderr, "a pip traceback reached the reader"


@pytest.mark.parametrize("notebook", NOTEBOOKS[:1], ids=lambda p: p.stem)
def test_setup_cell_installs_nothing_outside_colab(tmp_path, notebook):
    block = _setup_cell(notebook)
    fake_pip = tmp_path / "calls.txt"
    code = (
        "import subprocess\n"
        f"subprocess.run = lambda *a, **k: open({str(fake_pip)!r}, 'a').write(repr(a))\n" + block
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert not fake_pip.exists(), "the set-up cell ran pip outside Colab"
