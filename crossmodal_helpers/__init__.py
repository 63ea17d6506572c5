"""Helper package of the book *Cross-Modal Learning*.

The notebook teaches, the package remembers: each function is written out in the chapter
that introduces it (its docstring names that chapter) and later chapters call it in one line.

Importing the package is cheap: submodules are imported on first use, and only the modules
about Keras (``attention``, ``autoencoders``, ``captioning``, ``fusion``, ``gan``,
``pretraining``, ``retrieval``, ``vqa``) import Keras and TensorFlow when they are imported.
Before any of them can, importing the package sets the environment that keeps TensorFlow's
start-up messages off the page (:data:`QUIET_TF_ENV`; a value the user has already set is
kept) and has TensorFlow's first import run with native stderr silenced, whichever import loads it.
"""

from __future__ import annotations

import importlib
from typing import Any

from crossmodal_helpers import _quiet_tf
from crossmodal_helpers._quiet_tf import QUIET_TF_ENV

_quiet_tf.install()

__version__ = "0.1.0"

_SUBMODULES = (
    "attention",
    "autoencoders",
    "captioning",
    "case_study",
    "challenges",
    "datasets",
    "exercises",
    "fusion",
    "gan",
    "grading",
    "metrics",
    "plots",
    "pretraining",
    "real_reports",
    "results",
    "retrieval",
    "runtime",
    "text",
    "vision",
    "vqa",
    "widgets",
)
__all__ = [*_SUBMODULES, "QUIET_TF_ENV", "__version__"]


def __getattr__(name: str) -> Any:
    """Import submodules on first use, so ``import crossmodal_helpers`` stays fast."""
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
