"""Keep the book's execution cache honest.

jupyter-cache keys an executed notebook by its code cells only. A chapter's outputs also
depend on ``crossmodal_helpers`` and on the installed packages, so before each build this
script compares a digest of those files with the one the cache was filled under and, when
they differ (or a chapter's results file is missing), empties the cache so every affected
chapter re-executes.

    python scripts/cache_guard.py                 # check the digest, clear if stale
    python scripts/cache_guard.py --adopt DIR     # also cache the executed notebooks in DIR

``--adopt`` lets ``make test`` execute each notebook once (under nbmake) and hand the
executed copies to the book build instead of executing them a second time.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
from pathlib import Path

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
    return Path(os.environ.get("CROSSMODAL_RESULTS_DIR", ROOT / "_build" / "results"))


def stale_reason() -> str | None:
    """Why the cache cannot be trusted, or None when it can."""
    if not CACHE.exists():
        return None
    if not STAMP.exists() or STAMP.read_text().strip() != dependency_digest():
        return "crossmodal_helpers or the requirements changed"
    missing = [
        nb.stem
        for nb in sorted((ROOT / "notebooks").glob("*.ipynb"))
        if not (results_folder() / f"{nb.stem}.json").exists()
    ]
    if missing:
        return f"results files missing for {', '.join(missing)}"
    return None


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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adopt", type=Path, help="folder of executed notebooks to cache")
    args = parser.parse_args()
    reason = stale_reason()
    if reason or args.adopt:
        shutil.rmtree(CACHE, ignore_errors=True)
        if reason:
            print(f"execution cache cleared: {reason}")
    STAMP.parent.mkdir(parents=True, exist_ok=True)
    STAMP.write_text(dependency_digest() + "\n")
    if args.adopt:
        print(f"execution cache: adopted {adopt(args.adopt)} executed notebooks")


if __name__ == "__main__":
    main()
