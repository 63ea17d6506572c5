"""TensorFlow's start-up messages kept off the page, whichever import loads TensorFlow first.

Introduced in chapter 1. :func:`install` runs when the package is imported, before any of
its modules can import TensorFlow. It sets the log environment :data:`QUIET_TF_ENV` (a value
the user has already set is kept), which TensorFlow reads when it starts. Some messages come
earlier than any log level applies: TensorFlow's native libraries write them to the
process's stderr while they load (on a machine without a GPU, for example, "Could not find
cuda drivers" and absl's "All log messages before absl::InitializeLog() is called are
written to STDERR"), and Jupyter shows that stream under the cell. So :func:`install` also
puts a finder on ``sys.meta_path`` that runs TensorFlow's first import with native stderr
sent to /dev/null, and then removes itself. An import of Keras, of a module of this package
about Keras or of TensorFlow itself is quiet alike, provided the package was imported first.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Iterator, Sequence
from types import ModuleType

#: Environment variables that keep TensorFlow's C++ and absl start-up messages off the page.
QUIET_TF_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "GRPC_VERBOSITY": "ERROR",
    "ABSL_MIN_LOG_LEVEL": "3",
}


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Send the process's native stderr (file descriptor 2) to /dev/null for a moment."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class _QuietFirstImport(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` with a loader that runs it with native stderr silenced, once."""

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name != "tensorflow":
            return None
        for finder in sys.meta_path:  # the other finders find it, as the import system would
            find = getattr(finder, "find_spec", None)
            spec = None if finder is self or find is None else find(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        run = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            try:
                with native_stderr_silenced():
                    run(module)
            finally:
                del loader.exec_module  # this loader object serves this spec alone
                if self in sys.meta_path:
                    sys.meta_path.remove(self)

        loader.exec_module = exec_module
        return spec


def install() -> None:
    """Set :data:`QUIET_TF_ENV` (keeping the user's values) and quiet TensorFlow's first import.

    Does nothing more once TensorFlow is imported: then it is too late to quiet its start.
    """
    for key, value in QUIET_TF_ENV.items():
        os.environ.setdefault(key, value)
    if "tensorflow" in sys.modules:
        return
    if not any(isinstance(finder, _QuietFirstImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _QuietFirstImport())
