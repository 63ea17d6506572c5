"""Self-checks for exercises: say what is wrong and why, never the answer.

Introduced in chapter 1. A check returns a :class:`Feedback` that prints (or renders in
Jupyter) as a short verdict. Every check follows the same rules:

- it accepts a right answer in any reasonable form: a Python number, list or tuple, a NumPy
  array or scalar (float32 or float64), a TensorFlow, Keras or PyTorch tensor, a SciPy sparse
  matrix (:func:`as_array` and :func:`as_number` turn them all into NumPy);
- it never raises: a wrong, malformed or crashing answer gives a :class:`Feedback` that says
  what is wrong (type, shape, which entries, direction, sign), never the expected value;
- a learner's function is stopped after :data:`TIME_LIMIT` seconds (:func:`call_with_time_limit`);
- the expected answer is computed from the data the learner used, where there are such data.

Each chapter's own checks live in a submodule (``exercises.ch01``, …). The checks of an
open book are public: reading their source reveals how the answer is computed, which is
fine for self-study; graded work that needs secret tests keeps them outside the book.
"""

from __future__ import annotations

import functools
import html
import importlib
import math
import re
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec

import numpy as np

#: Seconds a learner's function may run inside a check before it is stopped.
TIME_LIMIT = 5.0

_EMPTY = "is still empty: replace the ... with your code"
_P = ParamSpec("_P")


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


class AnswerProblem(Exception):
    """Raised inside a check when the answer cannot be compared; becomes a failed Feedback."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def self_check(check: Callable[_P, Feedback]) -> Callable[_P, Feedback]:
    """Make ``check`` always return a :class:`Feedback`, whatever it is given. Chapter 1.

    An :class:`AnswerProblem` becomes its message and hint; any other error becomes a
    feedback that says the answer could not be checked, and why.
    """

    @functools.wraps(check)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Feedback:
        try:
            result = check(*args, **kwargs)
        except AnswerProblem as problem:
            return Feedback(False, problem.message, problem.hint)
        except Exception as error:  # a malformed answer: report, never raise
            return Feedback(
                False,
                f"the answer could not be checked: {type(error).__name__}: {error}"[:300],
                "compare the type and shape of your answer (and of the other arguments) with "
                "what the exercise asks for",
            )
        if not isinstance(result, Feedback):
            return Feedback(False, "the check could not decide about this answer")
        return result

    return wrapper


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"a {type(value).__name__}"


def _is_empty(value: Any) -> bool:
    return value is None or value is Ellipsis


def as_array(value: Any, name: str = "answer", hint: str = "") -> np.ndarray:
    """Return ``value`` as a NumPy array of numbers or booleans, whatever its type. Chapter 1.

    Accepts lists, tuples, NumPy arrays and scalars, TensorFlow / Keras / PyTorch / JAX
    tensors and SciPy or TensorFlow sparse matrices; raises :class:`AnswerProblem` (naming
    ``name``) for anything else, for a symbolic Keras tensor and for text.
    """
    if _is_empty(value) or (isinstance(value, (list, tuple)) and any(map(_is_empty, value))):
        raise AnswerProblem(f"{name} {_EMPTY}", hint)
    if isinstance(value, (str, bytes)):
        raise AnswerProblem(f"{name} should hold numbers, got a string", hint)
    if isinstance(value, (dict, set, frozenset)) or callable(value):
        raise AnswerProblem(f"{name} should be an array of numbers, got {_describe(value)}", hint)
    kind = type(value).__name__
    if kind == "KerasTensor":
        raise AnswerProblem(
            f"{name} is a symbolic Keras tensor, which has no values yet",
            "compute it with real arrays (NumPy or keras.ops on data), not on keras.Input",
        )
    if hasattr(value, "toarray"):  # SciPy sparse matrices and arrays
        value = value.toarray()
    elif kind == "SparseTensor":  # TensorFlow's sparse tensors
        import tensorflow as tf

        value = tf.sparse.to_dense(value)
    if hasattr(value, "detach"):  # PyTorch tensors
        value = value.detach().cpu()
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    unreadable = AnswerProblem(
        f"{name} cannot be read as an array of numbers (ragged rows of different lengths, "
        "or items that are not numbers)",
        hint,
    )
    try:
        array = np.asarray(value)
        if array.dtype == object:
            array = array.astype(float)
    except (TypeError, ValueError):
        raise unreadable from None
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise AnswerProblem(f"{name} should hold numbers, got dtype {array.dtype}", hint)
    if np.iscomplexobj(array):
        raise AnswerProblem(f"{name} holds complex numbers; real numbers are expected", hint)
    return array


def as_number(value: Any, name: str = "answer", hint: str = "") -> float:
    """Return ``value`` as a finite float (a scalar or one-item array of any kind). Chapter 1."""
    if isinstance(value, (bool, np.bool_)):
        raise AnswerProblem(f"{name} should be a number, got a bool", hint)
    if isinstance(value, (str, bytes)):
        raise AnswerProblem(f"{name} should be a number, got a string", hint)
    if isinstance(value, (list, tuple)) and len(value) != 1:
        raise AnswerProblem(f"{name} should be one number, got a {type(value).__name__}", hint)
    array = as_array(value, name, hint)
    if array.size != 1:
        raise AnswerProblem(
            f"{name} should be one number, got an array of shape {array.shape}", hint
        )
    if array.dtype == np.bool_:
        raise AnswerProblem(f"{name} should be a number, got a bool", hint)
    number = float(array.reshape(()))
    if not math.isfinite(number):
        raise AnswerProblem(f"{name} is {number}, not a finite number", hint)
    return number


def _precision(array: np.ndarray) -> float:
    """Relative precision of the float type of ``array`` (float32 answers are fine)."""
    if np.issubdtype(array.dtype, np.floating):
        return float(np.finfo(array.dtype).eps) * 8
    return 0.0


def compare_number(
    got: float,
    expected: float,
    *,
    name: str,
    hint: str = "",
    rel_tol: float = 1e-6,
    abs_tol: float = 1e-9,
) -> Feedback:
    """Compare two floats; a miss says only the direction (or the sign), never the value."""
    if math.isclose(got, expected, rel_tol=rel_tol, abs_tol=abs_tol):
        return Feedback(True, f"{name} is right")
    if expected != 0 and math.isclose(-got, expected, rel_tol=rel_tol, abs_tol=abs_tol):
        return Feedback(False, f"{name} has the right size but the wrong sign", hint)
    direction = "too large" if got > expected else "too small"
    return Feedback(False, f"{name} is {direction}", hint)


@self_check
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
    if _is_empty(answer):
        return Feedback(False, f"{name} {_EMPTY}", hint)
    if isinstance(expected, (int, float, np.number)) and not isinstance(expected, (bool, np.bool_)):
        got = as_number(answer, name, hint)
        tolerance = max(rel_tol, _precision(as_array(answer, name, hint)))
        return compare_number(
            got, float(expected), name=name, hint=hint, rel_tol=tolerance, abs_tol=abs_tol
        )
    if isinstance(expected, str):
        if not isinstance(answer, str):
            return Feedback(False, f"{name} should be a str, got {_describe(answer)}", hint)
        if answer.strip() == expected:
            return Feedback(True, f"{name} = {answer!r}")
        return Feedback(False, f"{name} = {answer!r} is not the expected value", hint)
    if isinstance(answer, (bool, np.bool_)) and isinstance(expected, (bool, np.bool_)):
        if bool(answer) == bool(expected):
            return Feedback(True, f"{name} is right")
        return Feedback(False, f"{name} is not the expected value", hint)
    if type(answer) is not type(expected):
        return Feedback(
            False, f"{name} should be a {type(expected).__name__}, got {_describe(answer)}", hint
        )
    if answer == expected:
        return Feedback(True, f"{name} is right")
    return Feedback(False, f"{name} is not the expected value", hint)


def _positions(mask: np.ndarray, limit: int = 4) -> str:
    found = [tuple(int(i) for i in index) for index in np.argwhere(mask)[:limit]]
    text = ", ".join(str(index[0]) if len(index) == 1 else str(index) for index in found)
    return text + (", …" if limit > 1 and int(mask.sum()) > limit else "")


def _differences(got: np.ndarray, expected: np.ndarray, close: np.ndarray, name: str) -> str:
    """Say which entries are wrong and in which direction, without any expected value."""
    wrong = ~close
    count, size = int(wrong.sum()), close.size
    if got.dtype == np.bool_ or expected.dtype == np.bool_:
        # Listing every wrong position of a True/False answer would hand out the answer.
        return f"{count} of {size} entries of {name} are wrong, the first at {_positions(wrong, 1)}"
    got, expected = got.astype(float), expected.astype(float)
    if expected.any() and np.allclose(got, -expected, rtol=1e-4, atol=1e-6):
        return f"{name} has the right size but the opposite sign everywhere"
    scale = np.sum(got * expected) / max(float(np.sum(expected * expected)), 1e-300)
    rescaled = expected.any() and scale > 0 and not math.isclose(scale, 1.0, rel_tol=1e-3)
    if rescaled and np.allclose(got, scale * expected, rtol=1e-4, atol=1e-6):
        size_word = "larger" if scale > 1 else "smaller"
        return f"{name} is proportional to the right answer but {size_word} by a constant factor"
    if got.ndim == 2 and got.shape[0] == got.shape[1] and np.allclose(got.T, expected, 1e-4, 1e-6):
        return f"{name} is transposed: its rows and columns are swapped"
    offset = got - expected
    if count == size and np.allclose(offset, offset.flat[0], rtol=1e-4, atol=1e-6):
        return f"every entry of {name} is off by the same amount: an offset added or missing"
    if count == size:
        return f"every entry of {name} differs from the expected one"
    too_large = wrong & (got > expected)
    too_small = wrong & (got < expected)
    parts = [
        f"too large at {_positions(too_large)}" if too_large.any() else "",
        f"too small at {_positions(too_small)}" if too_small.any() else "",
    ]
    return f"{count} of {size} entries of {name} differ: " + "; ".join(p for p in parts if p)


@self_check
def check_array(
    answer: Any,
    expected: Any,
    *,
    name: str = "answer",
    hint: str = "",
    rtol: float = 1e-5,
    atol: float = 1e-8,
) -> Feedback:
    """Compare an array with the expected one: type, shape, NaN, then which entries differ."""
    got = as_array(answer, name, hint)
    rtol = max(rtol, _precision(got))
    expected = np.asarray(expected)
    if got.shape != expected.shape:
        if got.size == expected.size:
            return Feedback(
                False,
                f"{name} has shape {got.shape}, expected shape {expected.shape}: the numbers "
                "are arranged differently (transposed or flattened?)",
                hint,
            )
        return Feedback(
            False, f"{name} has shape {got.shape}, expected shape {expected.shape}", hint
        )
    if expected.dtype == np.bool_:
        if got.dtype != np.bool_:
            if not np.isin(got, (0, 1)).all():
                return Feedback(False, f"{name} should hold True/False values", hint)
            got = got.astype(bool)
        close = got == expected
    else:
        got = got.astype(float)
        if np.isnan(got).any():
            return Feedback(False, f"{name} contains NaN values", hint)
        if np.isinf(got).any():
            return Feedback(False, f"{name} contains infinite values", hint)
        close = np.isclose(got, expected.astype(float), rtol=rtol, atol=atol)
    if close.all():
        return Feedback(True, f"{name} matches (shape {got.shape})")
    return Feedback(False, _differences(got, expected, close, name), hint)


@self_check
def check_choice(answer: Any, correct: str, options: Sequence[str], *, hint: str = "") -> Feedback:
    """Check a multiple-choice answer given as one of ``options`` (case-insensitive)."""
    if _is_empty(answer):
        return Feedback(False, f"the answer {_EMPTY} (one of the options, as a string)", hint)
    if not isinstance(answer, str):
        return Feedback(
            False, f"answer with one of the options as a string, got {_describe(answer)}", hint
        )
    normalised = answer.strip().lower()
    if normalised not in [o.lower() for o in options]:
        return Feedback(False, f"{answer!r} is not one of the options {list(options)}", hint)
    if normalised == correct.lower():
        return Feedback(True, f"{answer!r}")
    return Feedback(False, f"{answer!r} is not the best choice", hint)


def check_choices(
    answers: Any, correct: dict[str, str], options: Sequence[str], *, hints: dict[str, str]
) -> Feedback:
    """Check a dict of multiple-choice answers, one per key of ``correct``; name the first miss."""
    keys = sorted(correct)
    if not isinstance(answers, dict) or sorted(str(key) for key in answers) != keys:
        layout = ", ".join(f"{key!r}: ..." for key in keys)
        return Feedback(
            False,
            f"answers must be a dict with the keys {', '.join(map(repr, keys))}",
            f"write answers = {{{layout}}}, each value one of {', '.join(map(repr, options))}",
        )
    by_text = {str(key): value for key, value in answers.items()}
    for key in keys:
        feedback = check_choice(by_text[key], correct[key], options, hint=hints[key])
        if not feedback.passed:
            return Feedback(False, f"({key}): {feedback.message}", feedback.hint)
    return Feedback(True, f"all {len(keys)} answers are right")


class _TimeUp(BaseException):
    """Raised in a learner's function by the timer; `except Exception` in it cannot catch it."""


def _run_with_alarm(function: Callable[..., Any], args: tuple[Any, ...], seconds: float) -> Any:
    def stop(signum: int, frame: Any) -> None:
        raise _TimeUp

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return function(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _run_in_thread(function: Callable[..., Any], args: tuple[Any, ...], seconds: float) -> Any:
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = function(*args)
        except BaseException as error:  # handed back to the caller below
            outcome["error"] = error

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise _TimeUp
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def call_with_time_limit(
    function: Callable[..., Any],
    *args: Any,
    label: str,
    hint: str = "",
    seconds: float | None = None,
) -> Any:
    """Call a learner's ``function(*args)``; a crash or a run over the limit is an AnswerProblem.

    On Linux and macOS, in the main thread (where Jupyter runs cells), a timer signal stops
    the function; elsewhere it runs in a daemon thread that is abandoned when it runs too long.
    A call that sits in one long C routine is stopped only when that routine returns.
    """
    limit = TIME_LIMIT if seconds is None else seconds
    alarm = (
        hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL)[0] == 0
    )
    try:
        if alarm:
            return _run_with_alarm(function, args, limit)
        return _run_in_thread(function, args, limit)
    except _TimeUp:
        raise AnswerProblem(
            f"{label} did not finish within {limit:g} s and was stopped",
            "look for a loop whose condition never changes (does every pass make the rest "
            "of the input shorter?)",
        ) from None
    except RecursionError:
        raise AnswerProblem(f"{label} recursed too deeply", hint) from None
    except Exception as error:  # a learner's bug: report it, never raise
        raise AnswerProblem(f"{label} raised {type(error).__name__}: {error}"[:300], hint) from None


def __getattr__(name: str) -> Any:
    """Import a chapter's checks (``exercises.ch01``, …) on first use."""
    if re.fullmatch(r"ch\d\d", name):
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
