"""A small on-disk cache for arrays that are slow to build (parsed MNIST, rendered emoji).

Introduced in chapter 1. The folder is ``$CROSSMODAL_CACHE_DIR`` when set, else
``$XDG_CACHE_HOME/crossmodal_helpers`` or ``~/.cache/crossmodal_helpers``. Each entry is an
uncompressed ``<key>.npz`` plus a ``<key>.json`` manifest holding the file's SHA-256, size
and the arrays' shapes and dtypes. An entry whose checksum, manifest or contents do not
match (a crash mid-write, a truncated or edited file) is rebuilt and rewritten, never used.
If the folder cannot be written, the arrays are built and returned without caching.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

CACHE_ENV = "CROSSMODAL_CACHE_DIR"
#: Bump to invalidate every entry written by an older layout of the cache.
CACHE_FORMAT = 1
_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+$")


def cache_dir() -> Path:
    """Return the cache folder (not created until something is cached).

    Introduced in chapter 1.
    """
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "crossmodal_helpers"


def entry_paths(key: str) -> tuple[Path, Path]:
    """The (.npz, .json) paths of cache entry ``key``. Introduced in chapter 1."""
    if not isinstance(key, str) or not _KEY_PATTERN.match(key):
        raise ValueError(f"cache key must use letters, digits, '.', '_' or '-', got {key!r}")
    folder = cache_dir()
    return folder / f"{key}.npz", folder / f"{key}.json"


def _describe(arrays: dict[str, np.ndarray]) -> dict[str, list]:
    return {k: [list(v.shape), v.dtype.str] for k, v in sorted(arrays.items())}


def read_entry(key: str) -> dict[str, np.ndarray] | None:
    """Return the arrays of a valid entry, or None if it is missing, partial or corrupt.

    Introduced in chapter 1.
    """
    data_path, manifest_path = entry_paths(key)
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        payload = data_path.read_bytes()
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != CACHE_FORMAT:
        return None
    if manifest.get("bytes") != len(payload):
        return None
    if manifest.get("sha256") != hashlib.sha256(payload).hexdigest():
        return None
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except Exception:  # a damaged zip raises many kinds of errors
        return None
    if _describe(arrays) != manifest.get("arrays"):
        return None
    return arrays


def write_entry(key: str, arrays: dict[str, np.ndarray]) -> bool:
    """Write an entry atomically (data first, then manifest); return False if not writable.

    Introduced in chapter 1.
    """
    data_path, manifest_path = entry_paths(key)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    payload = buffer.getvalue()
    manifest = {
        "format": CACHE_FORMAT,
        "key": key,
        "bytes": len(payload),
        "sha256": hashlib.sha256(payload).hexdigest(),
        "arrays": _describe(arrays),
    }
    try:
        data_path.parent.mkdir(parents=True, exist_ok=True)
        manifest_path.unlink(missing_ok=True)
        tmp = data_path.with_name(f"{data_path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(payload)
        tmp.replace(data_path)
        tmp = manifest_path.with_name(f"{manifest_path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        tmp.replace(manifest_path)
    except OSError as err:
        warnings.warn(
            f"could not write the data cache in {data_path.parent} ({err}); "
            f"set {CACHE_ENV} to a writable folder to keep it between runs",
            RuntimeWarning,
            stacklevel=3,
        )
        return False
    return True


def cached(key: str, build: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Return the arrays cached under ``key``, building and caching them if needed.

    Introduced in chapter 1. ``build`` returns a dict of NumPy arrays (no object arrays).
    """
    arrays = read_entry(key)
    if arrays is not None:
        return arrays
    arrays = build()
    for name, value in arrays.items():
        if not isinstance(value, np.ndarray) or value.dtype == object:
            raise TypeError(f"cache entry {key!r}: {name!r} must be a non-object NumPy array")
    write_entry(key, arrays)
    return arrays


def clear_cache() -> int:
    """Delete every entry of the data cache; return how many files were removed.

    Introduced in chapter 1.
    """
    folder = cache_dir()
    removed = 0
    if folder.is_dir():
        for path in folder.iterdir():
            if path.suffix in (".npz", ".json", ".tmp") and path.is_file():
                path.unlink()
                removed += 1
    return removed
