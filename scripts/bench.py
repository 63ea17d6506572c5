"""Benchmark the book: execute every chapter afresh and time the data loaders.

    python scripts/bench.py notebooks/*.ipynb
    python scripts/bench.py --results-dir DIR notebooks/*.ipynb   # keep the results files

Prints one row per chapter (wall seconds measured around the whole execution, kernel
start included; the seconds the chapter recorded itself; its key results), the total
against the 20-minute book budget, and the cold and cached load time of every data set.
Timing lives here, in a benchmark, never in a timed test.

The chapters write their results files to a temporary folder of this run (or to
``--results-dir``), never to the book's ``_build/results``, whose files belong to the
executions the website shows.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
CHAPTER_BUDGET_S = 150
BOOK_BUDGET_S = 20 * 60


def run_notebook(path: Path) -> float:
    """Execute one notebook in its own folder; return the wall seconds it took."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def bench_chapters(paths: list[Path], folder: Path) -> None:
    """Execute each chapter with its results written to ``folder``; print the table."""
    from crossmodal_helpers import results

    os.environ[results.RESULTS_ENV] = str(folder)
    print(f"results files of this run: {folder}")
    print(f"{'chapter':<26} {'wall s':>7} {'recorded s':>10}  budget  key results")
    total = 0.0
    for path in paths:
        seconds = run_notebook(path)
        total += seconds
        record = results.load_all().get(path.stem, {"wall_seconds": float("nan"), "results": {}})
        keys = ", ".join(
            f"{k}={results.format_value(v)}" for k, v in sorted(record["results"].items())
        )
        verdict = "ok" if seconds <= CHAPTER_BUDGET_S else "OVER"
        print(
            f"{path.stem:<26} {seconds:7.1f} {record['wall_seconds']:10.1f}  {verdict:>6}  {keys}"
        )
    verdict = "ok" if total <= BOOK_BUDGET_S else "OVER"
    print(f"{'whole book':<26} {total:7.1f} {'':>10}  {verdict:>6}  budget {BOOK_BUDGET_S} s")


def bench_datasets() -> None:
    try:
        from crossmodal_helpers import datasets
    except ImportError:
        return
    print(f"\n{'data set':<16} {'items':>7} {'cold s':>7} {'cached s':>9}")
    with tempfile.TemporaryDirectory() as cache:
        os.environ["CROSSMODAL_CACHE_DIR"] = cache
        for name in datasets.available():
            start = time.perf_counter()
            data = datasets.load(name, split="all")
            cold = time.perf_counter() - start
            start = time.perf_counter()
            datasets.load(name, split="all")
            cached = time.perf_counter() - start
            print(f"{name:<16} {len(data):7d} {cold:7.2f} {cached:9.2f}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="chapters (default: all)")
    parser.add_argument(
        "--results-dir", type=Path, help="folder for the results files (default: a temporary one)"
    )
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    folder = args.results_dir or Path(tempfile.mkdtemp(prefix="crossmodal-bench-"))
    bench_chapters(paths, folder.resolve())
    bench_datasets()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
