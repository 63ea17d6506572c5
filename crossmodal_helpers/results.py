"""A chapter's key results, recorded as it runs and saved for the book and the benchmark.

Introduced in chapter 1. Each executed chapter leaves ``_build/results/<chapter>.json``::

    {"wall_seconds": 41.2, "results": {"cnn_accuracy": 0.981}}

The folder is ``$CROSSMODAL_RESULTS_DIR`` when set, else ``_build/results`` under the
checkout that contains the working directory; outside a checkout (e.g. on Colab) results
are kept in memory only.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

RESULTS_ENV = "CROSSMODAL_RESULTS_DIR"
GLUE_MIME_PREFIX = "application/papermill.record/"
_KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]*")

_chapter: str | None = None
_started: float | None = None
_results: dict[str, float | int | str] = {}


def results_dir() -> Path | None:
    """Return the folder results are written to, or None outside a checkout."""
    if os.environ.get(RESULTS_ENV):
        return Path(os.environ[RESULTS_ENV])
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "book" / "_config.yml").is_file():
            return folder / "_build" / "results"
    return None


def start(chapter: str) -> None:
    """Begin a chapter's record and start its wall-clock timer."""
    global _chapter, _started
    if not isinstance(chapter, str) or not re.fullmatch(r"[A-Za-z0-9_]+", chapter):
        raise ValueError(
            f"chapter must be a notebook stem such as '01_crossmodal_data', got {chapter!r}"
        )
    _chapter = chapter
    _started = time.perf_counter()
    _results.clear()


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


def summary() -> dict[str, Any]:
    """Save the chapter's record one last time and return it (the last cell of a chapter)."""
    save()
    return current()


def current() -> dict[str, Any]:
    """Return the running chapter's record: chapter, wall seconds so far and results."""
    if _chapter is None or _started is None:
        raise RuntimeError("no chapter is being recorded: call results.start(chapter) first")
    return {
        "chapter": _chapter,
        "wall_seconds": round(time.perf_counter() - _started, 2),
        "results": dict(_results),
    }


def save() -> Path | None:
    """Write the running chapter's record to its JSON file; return the path (None on Colab)."""
    folder = results_dir()
    if folder is None:
        return None
    record_ = current()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{record_['chapter']}.json"
    payload = {"wall_seconds": record_["wall_seconds"], "results": record_["results"]}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def load_all(folder: Path | str | None = None) -> dict[str, dict[str, Any]]:
    """Read every chapter's results file: ``{chapter: {"wall_seconds", "results"}}``."""
    if folder is not None and not isinstance(folder, (str, Path)):
        raise TypeError(f"folder must be a path (str or Path), got {type(folder).__name__}")
    folder = Path(folder) if folder is not None else results_dir()
    if folder is None or not folder.is_dir():
        return {}
    out = {}
    for path in sorted(folder.glob("*.json")):
        out[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    return out


def format_value(value: Any) -> str:
    """Format one result for a table: floats to 4 significant digits."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def table(records: dict[str, dict[str, Any]]) -> list[tuple[str, str, str]]:
    """Rows (chapter, wall seconds, results) for the benchmark and the book's results page."""
    if not isinstance(records, dict):
        raise TypeError(f"records must be a dict from load_all(), got {type(records).__name__}")
    for chapter, data in records.items():
        if not isinstance(data, dict) or not {"wall_seconds", "results"} <= data.keys():
            raise ValueError(
                f"records[{chapter!r}] must be a dict with wall_seconds and results (load_all())"
            )
    rows = []
    for chapter, data in sorted(records.items()):
        res = ", ".join(f"{k}={format_value(v)}" for k, v in sorted(data["results"].items()))
        rows.append((chapter, f"{data['wall_seconds']:.1f}", res or "-"))
    return rows
