"""The benchmark writes its chapters' results files to a folder of its own, never the book's."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from crossmodal_helpers import results

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import bench  # noqa: E402


@pytest.fixture
def fake_run(monkeypatch):
    """Chapters that record one result where the environment tells them to, instantly."""
    folders = []

    def run_notebook(path: Path) -> float:
        folder = Path(os.environ[results.RESULTS_ENV])
        folders.append(folder)
        results.write_record(
            {"chapter": path.stem, "run": "r", "wall_seconds": 1.0, "results": {"x": 1}}, folder
        )
        return 1.0

    monkeypatch.delenv(results.RESULTS_ENV, raising=False)  # restored after the test
    monkeypatch.setattr(bench, "run_notebook", run_notebook)
    monkeypatch.setattr(bench, "bench_datasets", lambda: None)
    return folders


def test_bench_writes_to_a_temporary_folder_even_when_the_books_is_set(
    fake_run, monkeypatch, capsys, tmp_path
):
    book = ROOT / "_build" / "results"
    monkeypatch.setenv(results.RESULTS_ENV, str(book))
    monkeypatch.setattr(bench.tempfile, "tempdir", str(tmp_path))
    assert bench.main([str(ROOT / "notebooks" / "99_fake.ipynb")]) == 0
    (folder,) = fake_run
    assert folder.parent == tmp_path.resolve() and folder.name.startswith("crossmodal-bench-")
    assert (folder / "99_fake.json").is_file()
    assert not (book / "99_fake.json").exists()
    assert "99_fake" in capsys.readouterr().out


def test_bench_keeps_the_results_where_asked(fake_run, tmp_path):
    assert bench.main(["--results-dir", str(tmp_path), "notebooks/99_fake.ipynb"]) == 0
    assert fake_run == [tmp_path.resolve()]
    assert (tmp_path / "99_fake.json").is_file()
