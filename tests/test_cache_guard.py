"""The execution-cache guard: changes to the package or requirements re-execute chapters."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import cache_guard  # noqa: E402


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    (tmp_path / "crossmodal_helpers" / "sub").mkdir(parents=True)
    (tmp_path / "crossmodal_helpers" / "core.py").write_text("A = 1\n")
    (tmp_path / "crossmodal_helpers" / "sub" / "deep.py").write_text("B = 2\n")
    (tmp_path / "requirements.txt").write_text("numpy\n")
    (tmp_path / "pyproject.toml").write_text("[project]\n")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "01_a.ipynb").write_text("{}")
    results = tmp_path / "_build" / "results"
    results.mkdir(parents=True)
    (results / "01_a.json").write_text("{}")
    monkeypatch.setattr(cache_guard, "ROOT", tmp_path)
    monkeypatch.setattr(cache_guard, "CACHE", tmp_path / "_build" / ".jupyter_cache")
    monkeypatch.setattr(cache_guard, "STAMP", tmp_path / "_build" / "digest")
    monkeypatch.setenv("CROSSMODAL_RESULTS_DIR", str(results))
    cache_guard.CACHE.mkdir()
    cache_guard.STAMP.write_text(cache_guard.dependency_digest())
    return tmp_path


def test_an_unchanged_checkout_keeps_the_cache(checkout):
    assert cache_guard.stale_reason() is None


@pytest.mark.parametrize(
    "changed", ["crossmodal_helpers/core.py", "crossmodal_helpers/sub/deep.py", "requirements.txt"]
)
def test_a_dependency_change_makes_the_cache_stale(checkout, changed):
    (checkout / changed).write_text("changed = True\n")
    assert "changed" in cache_guard.stale_reason()


def test_a_new_package_module_makes_the_cache_stale(checkout):
    (checkout / "crossmodal_helpers" / "new.py").write_text("C = 3\n")
    assert cache_guard.stale_reason() is not None


def test_a_missing_results_file_makes_the_cache_stale(checkout):
    (checkout / "_build" / "results" / "01_a.json").unlink()
    assert cache_guard.stale_reason() == "results files missing for 01_a"


def test_main_clears_a_stale_cache_and_records_the_new_digest(checkout, monkeypatch, capsys):
    (checkout / "requirements.txt").write_text("numpy>=2\n")
    monkeypatch.setattr(sys, "argv", ["cache_guard.py"])
    cache_guard.main()
    assert not cache_guard.CACHE.exists()
    assert cache_guard.STAMP.read_text().strip() == cache_guard.dependency_digest()
    assert "execution cache cleared" in capsys.readouterr().out
