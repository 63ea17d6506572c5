"""LazyClasses: Keras classes defined once, on first use, and served as module attributes."""

from __future__ import annotations

import pytest

from crossmodal_helpers._lazy import LazyClasses


def test_classes_are_defined_once_on_first_use():
    calls = []

    def define():
        calls.append(1)
        return {"Thing": type("Thing", (), {})}

    lazy = LazyClasses("demo", ("Thing",), define)
    assert calls == []
    assert lazy()["Thing"] is lazy.module_getattr("Thing")
    assert calls == [1]


def test_module_getattr_rejects_other_names():
    lazy = LazyClasses("demo", ("Thing",), lambda: {"Thing": object})
    with pytest.raises(AttributeError, match="module 'demo' has no attribute 'Other'"):
        lazy.module_getattr("Other")


def test_a_definition_that_disagrees_with_the_names_is_an_error():
    lazy = LazyClasses("demo", ("Thing",), lambda: {"Other": object})
    with pytest.raises(RuntimeError, match="demo defined"):
        lazy()
