"""Helper package of the book *Cross-Modal Learning*.

The notebook teaches, the package remembers: each function is written out in the chapter
that introduces it (its docstring names that chapter) and later chapters call it in one line.
Importing the package is cheap: TensorFlow is imported only by the functions that need it.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_SUBMODULES = (
    "attention",
    "autoencoders",
    "case_study",
    "challenges",
    "datasets",
    "exercises",
    "fusion",
    "gan",
    "grading",
    "metrics",
    "plots",
    "results",
    "retrieval",
    "runtime",
    "text",
    "vision",
    "widgets",
)
__all__ = [*_SUBMODULES, "__version__"]


def __getattr__(name: str) -> Any:
    """Import submodules on first use, so ``import crossmodal_helpers`` stays fast."""
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
