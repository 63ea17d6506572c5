"""The execution-cache guard: changes to the package or requirements re-execute chapters,
and the book's results files are tied to the executions whose pages the book shows."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn

from crossmodal_helpers import results

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import cache_guard  # noqa: E402

#: Two chapters: the second reads the first's results file, as chapter 10 does.
SOURCES = {
    "01_a": "from crossmodal_helpers import results",
    "10_b": "records = results.load_all()",
}


def _notebook(stem: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(SOURCES[stem]),
            nbformat.v4.new_code_cell("results.summary()"),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )


def _record(stem: str, run: str, value: float, inputs: dict[str, str] | None = None) -> dict:
    record = {"chapter": stem, "run": run, "wall_seconds": 3.5, "results": {"accuracy": value}}
    return {**record, "inputs": inputs} if inputs else record


def _cache_execution(checkout: Path, stem: str, record: dict | None) -> None:
    """Put an executed copy of notebooks/<stem>.ipynb, whose last output carries ``record``,
    in the checkout's execution cache, as a book build or ``--adopt`` does."""
    executed = _notebook(stem)
    if record is not None:
        executed.cells[-1].outputs = [
            nbformat.v4.new_output(
                "execute_result",
                data={"text/plain": repr(record)},
                metadata={results.NOTEBOOK_KEY: record},
                execution_count=2,
            )
        ]
    get_cache(cache_guard.CACHE).cache_notebook_bundle(
        CacheBundleIn(executed, checkout / "notebooks" / f"{stem}.ipynb"),
        check_validity=False,
        overwrite=True,
    )


def _file(checkout: Path, stem: str) -> Path:
    return checkout / "_build" / "results" / f"{stem}.json"


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """A checkout whose two chapters are cached, with results files tied to those runs."""
    (tmp_path / "crossmodal_helpers" / "sub").mkdir(parents=True)
    (tmp_path / "crossmodal_helpers" / "core.py").write_text("A = 1\n")
    (tmp_path / "crossmodal_helpers" / "sub" / "deep.py").write_text("B = 2\n")
    (tmp_path / "requirements.txt").write_text("numpy\n")
    (tmp_path / "pyproject.toml").write_text("[project]\n")
    (tmp_path / "notebooks").mkdir()
    for stem in SOURCES:
        nbformat.write(_notebook(stem), tmp_path / "notebooks" / f"{stem}.ipynb")
    folder = tmp_path / "_build" / "results"
    monkeypatch.setattr(cache_guard, "ROOT", tmp_path)
    monkeypatch.setattr(cache_guard, "CACHE", tmp_path / "_build" / ".jupyter_cache")
    monkeypatch.setattr(cache_guard, "STAMP", tmp_path / "_build" / "digest")
    monkeypatch.setenv("CROSSMODAL_RESULTS_DIR", str(folder))
    for record in (_record("01_a", "run1", 0.9), _record("10_b", "run2", 0.8, {"01_a": "run1"})):
        _cache_execution(tmp_path, record["chapter"], record)
        results.write_record(record, folder)
    cache_guard.STAMP.write_text(cache_guard.dependency_digest())
    return tmp_path


def _cache() -> object:
    return get_cache(cache_guard.CACHE)


def _cached_runs() -> dict[str, str | None]:
    return {
        stem: None if cached is None else cached.record["run"]
        for stem, cached in cache_guard.cached_chapters(_cache()).items()
    }


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


def test_main_clears_a_stale_cache_and_records_the_new_digest(checkout, monkeypatch, capsys):
    (checkout / "requirements.txt").write_text("numpy>=2\n")
    monkeypatch.setattr(sys, "argv", ["cache_guard.py"])
    cache_guard.main()
    assert _cached_runs() == {"01_a": None, "10_b": None}
    assert cache_guard.STAMP.read_text().strip() == cache_guard.dependency_digest()
    out = capsys.readouterr().out
    assert "execution cache cleared" in out
    assert not _file(checkout, "01_a").exists() and not _file(checkout, "10_b").exists()


def test_results_files_of_the_cached_runs_pass_the_check(checkout):
    assert cache_guard.mismatches(_cache()) == []
    assert cache_guard.tie(_cache()) == []


def test_a_results_file_from_another_run_is_detected_and_rewritten(checkout):
    """A reader's or a benchmark's run overwrote a book file: --check names it, and the
    guard before the next build puts back the record of the run the page shows."""
    results.write_record(_record("01_a", "other", 0.5), checkout / "_build" / "results")
    assert cache_guard.mismatches(_cache()) == ["01_a.json: run other, the book shows run run1"]
    assert cache_guard.tie(_cache()) == ["01_a: results file rewritten from the cached execution"]
    assert json.loads(_file(checkout, "01_a").read_text())["results"] == {"accuracy": 0.9}
    assert cache_guard.mismatches(_cache()) == []


def test_a_value_edited_in_a_results_file_is_detected(checkout):
    path = _file(checkout, "01_a")
    data = json.loads(path.read_text())
    data["results"]["accuracy"] = 0.91
    path.write_text(json.dumps(data))
    assert cache_guard.mismatches(_cache()) == [
        "01_a.json: its values differ from the record of run run1"
    ]


def test_a_missing_results_file_is_detected_and_restored(checkout):
    _file(checkout, "10_b").unlink()
    assert cache_guard.mismatches(_cache()) == ["10_b.json: missing or unreadable"]
    cache_guard.tie(_cache())
    assert cache_guard.mismatches(_cache()) == []


def test_the_file_of_a_renamed_chapter_is_reported_and_removed(checkout):
    results.write_record(_record("05_old_name", "run9", 0.7), checkout / "_build" / "results")
    assert cache_guard.mismatches(_cache()) == [
        "05_old_name.json: no chapter 05_old_name in notebooks/"
    ]
    assert cache_guard.tie(_cache()) == [
        "05_old_name: results file removed, no such chapter in notebooks/"
    ]
    assert not _file(checkout, "05_old_name").exists()


def test_a_chapter_about_to_re_execute_takes_the_chapter_that_read_it_along(checkout):
    """01_a's code changed, so the build will execute it anew: its file goes, and 10_b,
    whose cached table shows 01_a's old numbers, is dropped from the cache to re-execute."""
    changed = _notebook("01_a")
    changed.cells[0].source += "\nx = 2"
    nbformat.write(changed, checkout / "notebooks" / "01_a.ipynb")
    assert cache_guard.mismatches(_cache()) == [
        "01_a: no cached execution with a results record",
        "10_b: read results of 01_a from other runs than the book shows",
    ]
    assert cache_guard.tie(_cache()) == [
        "10_b: re-executes, it read results of 01_a from other runs than the book shows"
    ]
    assert _cached_runs() == {"01_a": None, "10_b": None}
    assert not _file(checkout, "01_a").exists() and not _file(checkout, "10_b").exists()


def test_a_chapter_that_read_another_run_is_re_executed(checkout):
    _cache_execution(checkout, "10_b", _record("10_b", "run3", 0.8, {"01_a": "older"}))
    assert cache_guard.tie(_cache()) == [
        "10_b: re-executes, it read results of 01_a from other runs than the book shows"
    ]
    assert _cached_runs() == {"01_a": "run1", "10_b": None}


def test_a_cached_execution_without_a_record_is_re_executed(checkout):
    _cache_execution(checkout, "01_a", None)
    notes = cache_guard.tie(_cache())
    assert notes[0] == "01_a: re-executes, its cached execution carries no results record"
    assert _cached_runs() == {"01_a": None, "10_b": None}


def test_check_fails_loudly_on_a_stale_file(checkout, monkeypatch, capsys):
    results.write_record(_record("01_a", "other", 0.5), checkout / "_build" / "results")
    monkeypatch.setattr(sys, "argv", ["cache_guard.py", "--check"])
    with pytest.raises(SystemExit) as exit_:
        cache_guard.main()
    assert exit_.value.code == 1
    assert "01_a.json: run other, the book shows run run1" in capsys.readouterr().err
    assert json.loads(_file(checkout, "01_a").read_text())["run"] == "other"
