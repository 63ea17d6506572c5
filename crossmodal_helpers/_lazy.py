"""Keras classes defined on first use, so that importing a module does not import Keras.

Introduced in chapter 4, the first module with its own Keras layers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class LazyClasses:
    """A module's Keras classes, made by ``define()`` on the first call and kept.

    ``define`` imports Keras, defines the classes and returns them by name; ``names`` lists
    them without defining them, so :meth:`module_getattr` can serve as the module's
    ``__getattr__`` (``fusion.GatedFusion`` then works although Keras was not imported
    with the module).
    """

    def __init__(self, module: str, names: tuple[str, ...], define: Callable[[], dict]) -> None:
        self.module = module
        self.names = names
        self._define = define
        self._classes: dict[str, type] = {}

    def __call__(self) -> dict[str, type]:
        """The classes by name, defined on the first call."""
        if not self._classes:
            classes = self._define()
            if set(classes) != set(self.names):
                raise RuntimeError(f"{self.module} defined {sorted(classes)}, not {self.names}")
            self._classes = classes
        return self._classes

    def module_getattr(self, name: str) -> Any:
        """A module ``__getattr__``: the named class, or AttributeError for other names."""
        if name in self.names:
            return self()[name]
        raise AttributeError(f"module {self.module!r} has no attribute {name!r}")
