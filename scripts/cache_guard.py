"""Keep the book's execution cache, and the results files made from it, honest.

jupyter-cache keys an executed notebook by its code cells only. A chapter's outputs also
depend on ``crossmodal_helpers`` and on the installed packages, so before each build this
script compares a digest of those files with the one the cache was filled under and, when
they differ, empties the cache so every chapter re-executes.

The results page and chapter 10's model table are made from the results files
(``_build/results/<chapter>.json``). Each executed chapter carries its results record, with
the id of its run, in the output of its last cell (``results.summary()``), so the files are
tied to the executions whose pages the book shows. Before a build this script

- drops a cached execution that carries no record (cached by an older version of the book),
  so that chapter re-executes;
- drops a cached execution that read other chapters' results (chapter 10's table) when one
  of those chapters will show another run, so it re-executes after them;
- rewrites every results file from its chapter's cached execution, and removes the file of
  a chapter that is not cached (the build executes it and writes its file) or no longer
  exists (a renamed or deleted notebook).

    python scripts/cache_guard.py                 # check the digest, tie the results files
    python scripts/cache_guard.py --adopt DIR     # first cache the executed notebooks in DIR
    python scripts/cache_guard.py --check         # after a build: fail on any results file
                                                  # that is not its chapter's cached run

``--adopt`` lets ``make test`` execute each notebook once (under nbmake) and hand the
executed copies to the book build instead of executing them a second time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "_build" / ".jupyter_cache"
STAMP = ROOT / "_build" / ".jupyter_cache.digest"
DEPENDENCIES = ("requirements.txt", "pyproject.toml", "crossmodal_helpers/**/*.py")


def dependency_digest() -> str:
    """SHA-256 over the files every chapter's outputs depend on, besides its own code."""
    digest = hashlib.sha256()
    for pattern in DEPENDENCIES:
        for path in sorted(ROOT.glob(pattern)):
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def results_folder() -> Path:
    """The book's results folder: ``$CROSSMODAL_RESULTS_DIR``, else ``_build/results``."""
    return Path(os.environ.get("CROSSMODAL_RESULTS_DIR") or ROOT / "_build" / "results")


def stale_reason() -> str | None:
    """Why the cache cannot be trusted, or None when it can."""
    if not CACHE.exists():
        return None
    if not STAMP.exists() or STAMP.read_text().strip() != dependency_digest():
        return "crossmodal_helpers or the requirements changed"
    return None


@dataclass
class Cached:
    """A chapter's cached execution: its cache key and the results record it carries."""

    pk: int
    record: dict[str, Any] | None


def cached_chapters(cache: Any) -> dict[str, Cached | None]:
    """For every chapter in notebooks/, its cached execution, or None when it is not cached."""
    import nbformat

    from crossmodal_helpers import results

    out: dict[str, Cached | None] = {}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        try:
            match = cache.match_cache_notebook(nbformat.read(path, as_version=4))
        except KeyError:
            out[path.stem] = None
            continue
        out[path.stem] = Cached(
            match.pk, results.notebook_record(cache.get_cache_bundle(match.pk).nb)
        )
    return out


def _stale_inputs(record: dict[str, Any], chapters: dict[str, Cached | None]) -> list[str]:
    """The chapters whose run ``record`` read differs from the run the book will show."""
    stale = []
    for stem, run in sorted(record.get("inputs", {}).items()):
        shown = chapters.get(stem)
        if shown is None or shown.record is None or shown.record.get("run") != run:
            stale.append(stem)
    return stale


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def tie(cache: Any) -> list[str]:
    """Drop the cached executions the results files cannot be tied to; rewrite the files.

    Returns one line per change, for the build log.
    """
    from crossmodal_helpers import results

    notes = []
    chapters = cached_chapters(cache)
    changed = True
    while changed:  # a dropped chapter can make a chapter that read it stale in turn
        changed = False
        for stem, cached in chapters.items():
            if cached is None:
                continue
            if cached.record is None:
                why = "its cached execution carries no results record"
            elif stale := _stale_inputs(cached.record, chapters):
                why = f"it read results of {', '.join(stale)} from other runs than the book shows"
            else:
                continue
            cache.remove_cache(cached.pk)
            chapters[stem] = None
            changed = True
            notes.append(f"{stem}: re-executes, {why}")
    folder = results_folder()
    for path in sorted(folder.glob("*.json")):
        if path.stem not in chapters:
            path.unlink()
            notes.append(f"{path.stem}: results file removed, no such chapter in notebooks/")
    for stem, cached in chapters.items():
        path = folder / f"{stem}.json"
        if cached is None:
            path.unlink(missing_ok=True)
            continue
        if _read(path) != results.file_payload(cached.record):
            results.write_record({**cached.record, "chapter": stem}, folder)
            notes.append(f"{stem}: results file rewritten from the cached execution")
    return notes


def mismatches(cache: Any) -> list[str]:
    """Every results file that is not the record of its chapter's cached execution."""
    from crossmodal_helpers import results

    problems = []
    chapters = cached_chapters(cache)
    folder = results_folder()
    for path in sorted(folder.glob("*.json")):
        if path.stem not in chapters:
            problems.append(f"{path.name}: no chapter {path.stem} in notebooks/")
    for stem, cached in chapters.items():
        path = folder / f"{stem}.json"
        if cached is None or cached.record is None:
            problems.append(f"{stem}: no cached execution with a results record")
            continue
        if cached.record.get("chapter") != stem:
            problems.append(f"{stem}: its run records itself as {cached.record.get('chapter')}")
        found = _read(path)
        run = cached.record.get("run")
        if not isinstance(found, dict):
            problems.append(f"{path.name}: missing or unreadable")
        elif found.get("run") != run:
            problems.append(f"{path.name}: run {found.get('run')}, the book shows run {run}")
        elif found != results.file_payload(cached.record):
            problems.append(f"{path.name}: its values differ from the record of run {run}")
        stale = _stale_inputs(cached.record, chapters)
        if stale:
            problems.append(
                f"{stem}: read results of {', '.join(stale)} from other runs than the book shows"
            )
    return problems


def adopt(folder: Path) -> int:
    """Store the executed notebooks of ``folder`` in the execution cache.

    The cache keys a notebook by its code and cell metadata; execution adds timing metadata
    to each cell, so the committed notebook's metadata is put back before caching.
    """
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(CACHE)
    count = 0
    for path in sorted(folder.glob("*.ipynb")):
        executed = nbformat.read(path, as_version=4)
        source = nbformat.read(ROOT / "notebooks" / path.name, as_version=4)
        if [c.source for c in executed.cells] != [c.source for c in source.cells]:
            raise SystemExit(f"{path} does not match notebooks/{path.name}: not adopted")
        for done, committed in zip(executed.cells, source.cells, strict=True):
            done.metadata = committed.metadata
        executed.metadata["kernelspec"] = source.metadata["kernelspec"]
        cache.cache_notebook_bundle(
            CacheBundleIn(executed, ROOT / "notebooks" / path.name),
            check_validity=False,
            overwrite=True,
        )
        count += 1
    return count


def main() -> None:
    from jupyter_cache import get_cache

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--adopt", type=Path, help="folder of executed notebooks to cache")
    group.add_argument(
        "--check", action="store_true", help="change nothing; fail on an untied results file"
    )
    args = parser.parse_args()
    if args.check:
        problems = mismatches(get_cache(CACHE))
        for problem in problems:
            print(f"results file not tied to the book: {problem}", file=sys.stderr)
        if problems:
            raise SystemExit(1)
        print("results files: each is the record of the execution its page shows")
        return
    reason = stale_reason()
    if reason or args.adopt:
        shutil.rmtree(CACHE, ignore_errors=True)
        if reason:
            print(f"execution cache cleared: {reason}")
    STAMP.parent.mkdir(parents=True, exist_ok=True)
    STAMP.write_text(dependency_digest() + "\n")
    if args.adopt:
        print(f"execution cache: adopted {adopt(args.adopt)} executed notebooks")
    for note in tie(get_cache(CACHE)):
        print(f"results files: {note}")


if __name__ == "__main__":
    main()
