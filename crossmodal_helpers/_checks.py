"""Argument checks shared by the modules: clear errors that name the argument.

Introduced in chapter 2, when a second module needed the same checks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def check_count(value: Any, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise if it is not an int of at least ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def check_fraction(value: Any, name: str, *, upper: float = 1.0, closed: bool = True) -> float:
    """Return ``value`` as a float in [0, upper] (or [0, upper) when not ``closed``)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    inside = 0.0 <= value <= upper if closed else 0.0 <= value < upper
    if not (math.isfinite(value) and inside):
        interval = f"[0, {upper:g}]" if closed else f"[0, {upper:g})"
        raise ValueError(f"{name} must be in {interval}, got {value}")
    return value


def check_dropout(value: Any) -> float:
    """Return a dropout rate in [0, 1)."""
    return check_fraction(value, "dropout", closed=False)


def check_texts(texts: Any, name: str = "texts", *, nonempty: bool = False) -> list[str]:
    """Return ``texts`` as a list of str; with ``nonempty``, every text needs a word."""
    if isinstance(texts, str):
        raise TypeError(f"{name} must be a list of str, got a single str")
    if not isinstance(texts, (Sequence, np.ndarray)):
        raise TypeError(f"{name} must be a list of str, got {type(texts).__name__}")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"{name} must hold str, got {type(text).__name__} at index {i}")
        if nonempty and not text.split():
            raise ValueError(f"{name}[{i}] is empty: every text needs at least one word")
    return list(texts)


def check_numeric_array(value: Any, name: str, *, ndim: int) -> np.ndarray:
    """Return ``value`` as a finite, non-empty float64 array with ``ndim`` dimensions."""
    array = np.asarray(value)
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.bool_)
    ):
        raise TypeError(f"{name} must be a numeric array, got dtype {array.dtype}")
    if array.ndim != ndim:
        shape = "a 1-D array (one value per item)" if ndim == 1 else f"a {ndim}-D array"
        raise ValueError(f"{name} must be {shape}, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return array
