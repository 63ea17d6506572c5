"""Helper package of the book *Cross-Modal Learning*.

The notebook teaches, the package remembers: each function is written out in the chapter
that introduces it (its docstring names that chapter) and later chapters call it in one line.

Importing the package is cheap: submodules are imported on first use, and only the modules
about Keras (``fusion``, ``attention``, ``gan``, ``retrieval``) import Keras and TensorFlow
when they are imported. Before any of them can, importing the package sets the environment
variables that keep TensorFlow's start-up messages off the page (:data:`QUIET_TF_ENV`); a
value the user has already set is kept.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

__version__ = "0.1.0"

#: Environment variables that keep TensorFlow's C++ and absl start-up messages off the page.
#: TensorFlow reads them once, when it is first imported, so the package sets them (unless
#: already set) on import, before any of its modules can import TensorFlow.
QUIET_TF_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "GRPC_VERBOSITY": "ERROR",
    "ABSL_MIN_LOG_LEVEL": "3",
}
for _key, _value in QUIET_TF_ENV.items():
    os.environ.setdefault(_key, _value)
del _key, _value

_SUBMODULES = (
    "attention",
    "autoencoders",
    "case_study",
    "challenges",
    "datasets",
    "exercises",
    "fusion",
    "gan",
    "metrics",
    "plots",
    "results",
    "retrieval",
    "runtime",
    "text",
    "vision",
    "widgets",
)
__all__ = [*_SUBMODULES, "QUIET_TF_ENV", "__version__"]


def __getattr__(name: str) -> Any:
    """Import submodules on first use, so ``import crossmodal_helpers`` stays fast."""
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
