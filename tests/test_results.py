"""Unit tests of crossmodal_helpers.results."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from crossmodal_helpers import results


@pytest.fixture
def chapter(tmp_path, monkeypatch):
    monkeypatch.setenv(results.RESULTS_ENV, str(tmp_path))
    results.start("99_test_chapter")
    return tmp_path / "99_test_chapter.json"


def test_record_writes_the_chapter_file(chapter):
    assert results.record("accuracy", np.float32(0.5)) == 0.5
    results.record("n_items", np.int64(7))
    results.record("best_model", "svm")
    data = json.loads(chapter.read_text())
    assert data["results"] == {"accuracy": 0.5, "n_items": 7, "best_model": "svm"}
    assert data["wall_seconds"] >= 0


def test_start_resets_the_record(chapter):
    results.record("accuracy", 0.5)
    results.start("99_test_chapter")
    results.record("other", 1)
    assert json.loads(chapter.read_text())["results"] == {"other": 1}


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, np.float64("nan")])
def test_non_finite_values_are_refused_and_nothing_is_lost(chapter, value):
    results.record("accuracy", 0.9)
    with pytest.raises(ValueError, match="'loss' must be finite"):
        results.record("loss", value)
    assert json.loads(chapter.read_text())["results"] == {"accuracy": 0.9}


@pytest.mark.parametrize("key", [3, None, b"bytes"])
def test_non_string_keys_are_refused(chapter, key):
    with pytest.raises(TypeError, match="key must be a str"):
        results.record(key, 1.0)


@pytest.mark.parametrize("key", ["", "Accuracy", "test accuracy", "1st"])
def test_keys_must_be_snake_case(chapter, key):
    with pytest.raises(ValueError, match="snake_case"):
        results.record(key, 1.0)


@pytest.mark.parametrize("value", [True, [1, 2], {"a": 1}, None, np.zeros(3)])
def test_values_must_be_numbers_or_strings(chapter, value):
    with pytest.raises(TypeError, match="'x' must be"):
        results.record("x", value)


def test_record_without_a_chapter_says_what_to_do(monkeypatch):
    monkeypatch.setattr(results, "_chapter", None)
    with pytest.raises(RuntimeError, match="runtime.setup"):
        results.record("accuracy", 0.5)


@pytest.mark.parametrize("chapter", ["", "01 data", "../escape", 7])
def test_bad_chapter_names_are_refused(chapter):
    with pytest.raises(ValueError, match="notebook stem"):
        results.start(chapter)


def test_load_all_reads_back_every_chapter(chapter, tmp_path):
    results.record("accuracy", 0.98765)
    (tmp_path / "00_other.json").write_text(json.dumps({"wall_seconds": 12.0, "results": {}}))
    records = results.load_all(tmp_path)
    assert sorted(records) == ["00_other", "99_test_chapter"]
    assert records["99_test_chapter"]["results"] == {"accuracy": 0.98765}
    assert results.format_value(0.98765) == "0.9877"


def test_outside_a_checkout_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.delenv(results.RESULTS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert results.results_dir() is None
    results.start("99_test_chapter")
    results.record("accuracy", 0.5)
    assert list(tmp_path.iterdir()) == []
    assert results.current()["results"] == {"accuracy": 0.5}


def test_a_run_in_a_checkout_leaves_the_books_results_alone(tmp_path, monkeypatch):
    """Without $CROSSMODAL_RESULTS_DIR (a reader in JupyterLab, a benchmark) a run writes
    to _build/results-local, never to the book's _build/results."""
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "_config.yml").write_text("title: x\n")
    (tmp_path / "notebooks").mkdir()
    monkeypatch.delenv(results.RESULTS_ENV, raising=False)
    monkeypatch.chdir(tmp_path / "notebooks")
    results.start("99_test_chapter")
    results.record("accuracy", 0.5)
    assert (tmp_path / "_build" / "results-local" / "99_test_chapter.json").is_file()
    assert not (tmp_path / "_build" / "results").exists()


def test_each_start_is_a_new_run_and_the_file_names_it(chapter):
    results.record("accuracy", 0.5)
    first = json.loads(chapter.read_text())["run"]
    results.start("99_test_chapter")
    results.record("accuracy", 0.5)
    second = json.loads(chapter.read_text())["run"]
    assert first != second
    assert second == results.current()["run"]


def test_the_summary_output_carries_the_whole_record(chapter):
    """The last cell's output shows chapter, wall seconds and results, and carries the
    record (run id included) in its metadata, where notebook_record finds it."""
    from IPython.core.interactiveshell import InteractiveShell

    results.record("accuracy", 0.5)
    summary = results.summary()
    data, metadata = InteractiveShell.instance().display_formatter.format(summary)
    assert "'accuracy': 0.5" in data["text/plain"] and "run" not in data["text/plain"]
    assert metadata[results.NOTEBOOK_KEY] == dict(summary)
    assert results.file_payload(summary) == json.loads(chapter.read_text())
    executed = {
        "cells": [
            {"cell_type": "markdown", "source": "# title"},
            {
                "cell_type": "code",
                "outputs": [{"output_type": "execute_result", "data": data, "metadata": metadata}],
            },
        ]
    }
    assert results.notebook_record(executed) == dict(summary)
    executed["cells"][1]["outputs"] = []
    assert results.notebook_record(executed) is None


def test_a_chapter_notes_the_runs_of_the_files_it_reads(chapter, tmp_path):
    (tmp_path / "03_other.json").write_text(
        json.dumps({"run": "abc", "wall_seconds": 1.0, "results": {"x": 1}})
    )
    results.record("accuracy", 0.5)
    results.load_all()
    assert results.current()["inputs"] == {"03_other": "abc"}
    assert json.loads(chapter.read_text()).get("inputs") is None
    assert results.summary()["inputs"] == {"03_other": "abc"}
    assert json.loads(chapter.read_text())["inputs"] == {"03_other": "abc"}


def test_stopwatch_times_a_block(monkeypatch):
    ticks = iter([10.0, 12.5])
    monkeypatch.setattr(results.time, "perf_counter", lambda: next(ticks))
    with results.stopwatch() as clock, pytest.raises(RuntimeError, match="still running"):
        clock.seconds  # noqa: B018
    assert clock.seconds == 2.5


def test_stopwatch_stops_when_the_block_raises():
    with pytest.raises(ZeroDivisionError), results.stopwatch() as clock:
        1 / 0  # noqa: B018
    assert clock.seconds >= 0.0
