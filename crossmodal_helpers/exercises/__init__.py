"""Self-checks for exercises: say what is wrong and give a hint, never a bare AssertionError.

Introduced in chapter 1. A check returns a :class:`Feedback` that prints (or renders in
Jupyter) as a short verdict; it never raises for a wrong answer, so a learner can run it as
often as they like. Each chapter's own checks live in a submodule (``exercises.ch01``, …)
and compute the expected answer from the data themselves, so the notebook never shows the
solution in the check cell.
"""

from __future__ import annotations

import html
import importlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Feedback:
    """The verdict of a self-check: passed or not, what was found and a hint."""

    passed: bool
    message: str
    hint: str = ""

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        if self.passed:
            return f"Correct: {self.message}"
        text = f"Not yet: {self.message}"
        return f"{text}\nHint: {self.hint}" if self.hint else text

    def _repr_html_(self) -> str:
        colour = "#1b7f3b" if self.passed else "#b3261e"
        lines = html.escape(str(self)).replace("\n", "<br>")
        return f'<div style="border-left:4px solid {colour};padding:4px 8px">{lines}</div>'


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"[:120]


def check_value(
    answer: Any,
    expected: Any,
    *,
    name: str = "answer",
    hint: str = "",
    rel_tol: float = 1e-6,
    abs_tol: float = 1e-9,
) -> Feedback:
    """Compare one value (number, string, bool, …) with the expected one."""
    if answer is None or answer is Ellipsis:
        return Feedback(False, f"{name} is still empty: replace the ... with your code", hint)
    if isinstance(expected, (int, float, np.number)) and not isinstance(expected, bool):
        if isinstance(answer, bool) or not isinstance(answer, (int, float, np.number)):
            return Feedback(False, f"{name} should be a number, got {_describe(answer)}", hint)
        if not math.isfinite(float(answer)):
            return Feedback(False, f"{name} is {answer}, not a finite number", hint)
        if math.isclose(float(answer), float(expected), rel_tol=rel_tol, abs_tol=abs_tol):
            return Feedback(True, f"{name} = {answer}")
        direction = "too large" if float(answer) > float(expected) else "too small"
        return Feedback(False, f"{name} = {answer} is {direction}", hint)
    if type(answer) is not type(expected):
        return Feedback(
            False,
            f"{name} should be a {type(expected).__name__}, got {_describe(answer)}",
            hint,
        )
    if answer == expected:
        return Feedback(True, f"{name} = {answer!r}")
    return Feedback(False, f"{name} = {answer!r} is not the expected value", hint)


def check_array(
    answer: Any,
    expected: np.ndarray,
    *,
    name: str = "answer",
    hint: str = "",
    rtol: float = 1e-5,
    atol: float = 1e-8,
) -> Feedback:
    """Compare an array with the expected one: type, shape, then values."""
    if answer is None or answer is Ellipsis:
        return Feedback(False, f"{name} is still empty: replace the ... with your code", hint)
    try:
        got = np.asarray(answer)
    except (TypeError, ValueError):
        return Feedback(False, f"{name} cannot be read as an array: {_describe(answer)}", hint)
    expected = np.asarray(expected)
    if got.shape != expected.shape:
        return Feedback(
            False, f"{name} has shape {got.shape}, expected shape {expected.shape}", hint
        )
    if not np.issubdtype(got.dtype, np.number) and not np.issubdtype(got.dtype, np.bool_):
        return Feedback(False, f"{name} has non-numeric dtype {got.dtype}", hint)
    if np.isnan(got.astype(float)).any():
        return Feedback(False, f"{name} contains NaN values", hint)
    close = np.isclose(got, expected, rtol=rtol, atol=atol)
    if close.all():
        return Feedback(True, f"{name} matches (shape {got.shape})")
    wrong = int((~close).sum())
    first = tuple(int(i) for i in np.argwhere(~close)[0])
    return Feedback(
        False,
        f"{wrong} of {close.size} entries of {name} differ; the first at index {first}: "
        f"got {got[first]!r}, expected {expected[first]!r}",
        hint,
    )


def check_choice(answer: Any, correct: str, options: Sequence[str], *, hint: str = "") -> Feedback:
    """Check a multiple-choice answer given as one of ``options`` (case-insensitive)."""
    if not isinstance(answer, str):
        return Feedback(False, f"answer with one of {list(options)} as a string", hint)
    normalised = answer.strip().lower()
    if normalised not in [o.lower() for o in options]:
        return Feedback(False, f"{answer!r} is not one of the options {list(options)}", hint)
    if normalised == correct.lower():
        return Feedback(True, f"{answer!r}")
    return Feedback(False, f"{answer!r} is not the best choice", hint)


def __getattr__(name: str) -> Any:
    """Import a chapter's checks (``exercises.ch01``, …) on first use."""
    if re.fullmatch(r"ch\d\d", name):
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
