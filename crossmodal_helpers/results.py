"""A chapter's key results, recorded as it runs and saved for the book and the benchmark.

Introduced in chapter 1. Each executed chapter leaves ``<folder>/<chapter>.json``::

    {"run": "5f0c2a9e41d7b3c8", "wall_seconds": 41.2, "results": {"cnn_accuracy": 0.981}}

``run`` names the execution: :func:`start` draws a new one each time. A chapter that read
other chapters' files (chapter 10's model table, through :func:`load_all`) also lists the
runs it read under ``"inputs"``. The last cell of a chapter, ``results.summary()``, carries
the same record in its output's metadata (key :data:`NOTEBOOK_KEY`), so an executed
notebook says which results it produced, and the book's results files can be checked
against (and rebuilt from) the executions whose pages the book shows.

The folder is ``$CROSSMODAL_RESULTS_DIR`` when set: the book's build and tests set it to
the book's ``_build/results``. Otherwise it is ``_build/results-local`` under the checkout
that contains the working directory, so a reader's own runs (or a partial one) never
overwrite the numbers the book shows; outside a checkout (e.g. on Colab) results are kept
in memory only.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

RESULTS_ENV = "CROSSMODAL_RESULTS_DIR"
#: The folder of a checkout that runs write to when ``$CROSSMODAL_RESULTS_DIR`` is unset.
LOCAL_RESULTS = Path("_build") / "results-local"
#: The output-metadata key under which ``summary()`` leaves the chapter's record.
NOTEBOOK_KEY = "crossmodal_results"
GLUE_MIME_PREFIX = "application/papermill.record/"
_KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]*")

_chapter: str | None = None
_run: str | None = None
_started: float | None = None
_results: dict[str, float | int | str] = {}
_inputs: dict[str, str] = {}


def results_dir() -> Path | None:
    """Return the folder results are written to and read from, or None outside a checkout.

    Introduced in chapter 1. ``$CROSSMODAL_RESULTS_DIR`` when set, else
    ``_build/results-local`` under the checkout that contains the working directory.
    """
    if os.environ.get(RESULTS_ENV):
        return Path(os.environ[RESULTS_ENV])
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "book" / "_config.yml").is_file():
            return folder / LOCAL_RESULTS
    return None


def start(chapter: str) -> None:
    """Begin a chapter's record under a new run id and start its wall-clock timer."""
    global _chapter, _run, _started
    if not isinstance(chapter, str) or not re.fullmatch(r"[A-Za-z0-9_]+", chapter):
        raise ValueError(
            f"chapter must be a notebook stem such as '01_crossmodal_data', got {chapter!r}"
        )
    _chapter = chapter
    _run = secrets.token_hex(8)
    _started = time.perf_counter()
    _results.clear()
    _inputs.clear()


def _check_value(key: str, value: Any) -> float | int | str:
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"value for {key!r} must be a number or a string, got a bool")
    if isinstance(value, str):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)) or (
        isinstance(value, np.ndarray) and value.shape == ()
    ):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"value for {key!r} must be finite, got {number}")
        return number
    raise TypeError(
        f"value for {key!r} must be an int, a float or a str, got {type(value).__name__}"
    )


def record(key: str, value: Any) -> float | int | str:
    """Store one key result of the running chapter and save the chapter's file.

    ``key`` is snake_case (``"cnn_accuracy"``); ``value`` a finite number or a string.
    Returns the stored value so a cell can display it.
    """
    if not isinstance(key, str):
        raise TypeError(f"key must be a str such as 'cnn_accuracy', got {type(key).__name__}")
    if not _KEY_PATTERN.fullmatch(key):
        raise ValueError(f"key must be snake_case such as 'cnn_accuracy', got {key!r}")
    if _chapter is None:
        raise RuntimeError(
            "no chapter is being recorded: call runtime.setup(chapter=...) or "
            "results.start(chapter) first"
        )
    stored = _check_value(key, value)
    _results[key] = stored
    save()
    glue(key, stored)
    return stored


class Stopwatch:
    """The wall-clock seconds of one ``with results.stopwatch()`` block. Introduced in chapter 2."""

    def __init__(self) -> None:
        self._seconds: float | None = None

    @property
    def seconds(self) -> float:
        """Seconds the block took; readable once the block has ended."""
        if self._seconds is None:
            raise RuntimeError("the stopwatch is still running: read .seconds after the with block")
        return self._seconds


@contextmanager
def stopwatch() -> Iterator[Stopwatch]:
    """Time a block of code, such as a model's training, in wall-clock seconds.

    Introduced in chapter 2. ``with results.stopwatch() as clock: model.fit(...)``, then
    ``clock.seconds`` (measured with ``time.perf_counter``; set when the block ends, also
    when it raises). On a busy machine the same work takes longer.
    """
    clock = Stopwatch()
    started = time.perf_counter()
    try:
        yield clock
    finally:
        clock._seconds = time.perf_counter() - started


def glue(name: str, value: Any, display: bool = False) -> None:
    """Make ``value`` quotable in the chapter's prose as ``{glue:text}`name```.

    Introduced in chapter 1. Speaks MyST-NB's glue protocol without importing MyST-NB, so
    the notebooks also run where MyST-NB is not installed (Colab). Outside IPython it does
    nothing.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str such as 'cnn_accuracy', got {type(name).__name__}")
    if not re.fullmatch(r"\w+", name):
        raise ValueError(
            f"name must be one word of letters, digits and _ such as 'cnn_accuracy', got {name!r}"
        )
    try:
        from IPython import get_ipython
        from IPython.core.formatters import format_display_data
        from IPython.display import display as ipy_display
    except ImportError:
        return
    if get_ipython() is None:
        return
    bundle, metadata = format_display_data(value)
    prefix = "" if display else GLUE_MIME_PREFIX
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    ipy_display({prefix + k: v for k, v in bundle.items()}, raw=True, metadata=metadata)


class Summary(dict):
    """A chapter's record as its last cell shows it. Introduced in chapter 1.

    A plain dict (chapter, run, wall seconds, results, and the inputs read, if any) that
    displays as chapter, wall seconds and results, and leaves the whole record in the
    output's metadata under :data:`NOTEBOOK_KEY`, where :func:`notebook_record` finds it.
    """

    def _shown(self) -> dict[str, Any]:
        return {key: self[key] for key in ("chapter", "wall_seconds", "results")}

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.pretty(self._shown())

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, str], dict[str, Any]]:
        from IPython.lib.pretty import pretty

        return {"text/plain": pretty(self._shown())}, {NOTEBOOK_KEY: dict(self)}


def summary() -> Summary:
    """Save the chapter's record one last time and return it (the last cell of a chapter)."""
    record_ = Summary(current())
    _write(record_)
    return record_


def current() -> dict[str, Any]:
    """Return the running chapter's record: chapter, run id, wall seconds so far, results.

    A chapter that has read other chapters' results files also has ``inputs``, the run
    of each file it read.
    """
    if _chapter is None or _started is None or _run is None:
        raise RuntimeError("no chapter is being recorded: call results.start(chapter) first")
    record_: dict[str, Any] = {
        "chapter": _chapter,
        "run": _run,
        "wall_seconds": round(time.perf_counter() - _started, 2),
        "results": dict(_results),
    }
    if _inputs:
        record_["inputs"] = dict(_inputs)
    return record_


def file_payload(record_: dict[str, Any]) -> dict[str, Any]:
    """What a chapter's results file holds for ``record_``: the record without its chapter.

    Introduced in chapter 1.
    """
    return {key: value for key, value in record_.items() if key != "chapter"}


def write_record(record_: dict[str, Any], folder: Path) -> Path:
    """Write ``record_`` (as :func:`current` returns it) to ``folder/<chapter>.json``.

    Introduced in chapter 1. The file is replaced in one step, so a reader never sees half
    of it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{record_['chapter']}.json"
    tmp = path.with_suffix(".json.tmp")
    text = json.dumps(file_payload(record_), indent=2, sort_keys=True) + "\n"
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def _write(record_: dict[str, Any]) -> Path | None:
    folder = results_dir()
    return None if folder is None else write_record(record_, folder)


def save() -> Path | None:
    """Write the running chapter's record to its JSON file; return the path (None on Colab)."""
    return _write(current())


def load_all(folder: Path | str | None = None) -> dict[str, dict[str, Any]]:
    """Read every chapter's results file: ``{chapter: {"run", "wall_seconds", "results"}}``.

    While a chapter is being recorded, the run of every other chapter's file it reads is
    noted in its record (``inputs``), so a book build can tell when the numbers it read
    are no longer those of the pages beside it.
    """
    if folder is not None and not isinstance(folder, (str, Path)):
        raise TypeError(f"folder must be a path (str or Path), got {type(folder).__name__}")
    folder = Path(folder) if folder is not None else results_dir()
    if folder is None or not folder.is_dir():
        return {}
    out = {}
    for path in sorted(folder.glob("*.json")):
        out[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        if _chapter is not None and path.stem != _chapter:
            _inputs[path.stem] = str(out[path.stem].get("run", ""))
    return out


def notebook_record(notebook: dict[str, Any]) -> dict[str, Any] | None:
    """The record an executed chapter left in its ``results.summary()`` output, or None.

    Introduced in chapter 1. ``notebook`` is an executed notebook as ``nbformat`` reads
    it; None when no output carries a record (not executed, or stopped before its end).
    """
    found = None
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            record_ = output.get("metadata", {}).get(NOTEBOOK_KEY)
            if isinstance(record_, dict):
                found = record_
    return found


def format_value(value: Any) -> str:
    """Format one result for a table: floats to 4 significant digits."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
