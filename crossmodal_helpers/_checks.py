"""Argument checks shared by the modules: clear errors that name the argument.

Introduced in chapter 2, when a second module needed the same checks.
"""

from __future__ import annotations

import math
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
