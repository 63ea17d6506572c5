"""Shared pieces of the data layer: the containers, seeded splits and argument checks.

Introduced in chapter 1. Every loader returns a :class:`Dataset` and documents itself with a
:class:`DataCard`; splits come from :func:`split_indices`, so they are the same on every
machine for the same seed.
"""

from __future__ import annotations

import html
import importlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

#: The split names every loader understands ("all" is the whole data set, in source order).
SPLITS = ("train", "val", "test", "all")
#: Default train / val / test fractions.
DEFAULT_FRACTIONS = (0.7, 0.15, 0.15)

# Salts that keep the random streams of one seed apart (generation vs. splitting).
SPLIT_STREAM = 101
ORDER_STREAM = 102


# --------------------------------------------------------------------------- checks


def check_int(value: Any, name: str, *, minimum: int | None = None) -> int:
    """Return ``value`` as an int; raise if it is not an integer or is below ``minimum``.

    Introduced in chapter 1.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        if minimum == 0:
            raise ValueError(f"{name} must be zero or positive, got {value}")
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def check_rate(value: Any, name: str) -> float:
    """Return ``value`` as a float in [0, 1]; raise a clear error otherwise.

    Introduced in chapter 1.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"{name} must be a number between 0 and 1, got {type(value).__name__}")
    value = float(value)
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise ValueError(f"{name} must be a rate between 0 and 1, got {value}")
    return value


def check_choice(value: Any, name: str, choices: Sequence[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``; raise a ValueError listing them otherwise.

    Introduced in chapter 1.
    """
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {listed}; got {value!r}")
    return value


def check_subset(values: Any, name: str, choices: Sequence[str]) -> tuple[str, ...]:
    """Return ``values`` (a non-empty sequence of distinct ``choices``) as a tuple.

    Introduced in chapter 1.
    """
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise TypeError(
            f"{name} must be a list or tuple of names such as {tuple(choices[:2])!r}, "
            f"got {type(values).__name__}"
        )
    values = tuple(values)
    if not values:
        raise ValueError(f"{name} must name at least one of {', '.join(choices)}")
    for value in values:
        check_choice(value, f"each entry of {name}", choices)
    if len(set(values)) != len(values):
        raise ValueError(f"{name} must not repeat a name, got {values!r}")
    return values


def check_seed(seed: Any) -> int:
    """Return ``seed`` as a non-negative int. Introduced in chapter 1."""
    return check_int(seed, "seed", minimum=0)


def check_fractions(fractions: Any) -> tuple[float, float, float]:
    """Return the (train, val, test) fractions, checked to be >= 0 and to add up to 1.

    Introduced in chapter 1.
    """
    if isinstance(fractions, str) or not isinstance(fractions, Sequence) or len(fractions) != 3:
        raise ValueError(
            f"fractions must be three numbers (train, val, test) such as (0.7, 0.15, 0.15), "
            f"got {fractions!r}"
        )
    values = tuple(float(f) for f in fractions)
    if any(not math.isfinite(f) or f < 0 for f in values) or values[0] <= 0:
        raise ValueError(
            f"fractions must be non-negative with a positive train share, got {fractions!r}"
        )
    if abs(sum(values) - 1.0) > 1e-6:
        raise ValueError(f"fractions must add up to 1, got {fractions!r} (sum {sum(values):g})")
    return values  # type: ignore[return-value]


def require(module: str, install: str, purpose: str) -> ModuleType:
    """Import an optional package, or raise ModuleNotFoundError with the install command.

    Introduced in chapter 1. ``install`` is the exact command, e.g. ``pip install mlxtend``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ModuleNotFoundError(
            f"{purpose} needs the optional package {module.split('.')[0]!r}, which is not "
            f"installed: install it with `{install}`",
            name=module,
        ) from err


def rng_for(seed: int, stream: int) -> np.random.Generator:
    """A random generator for one purpose (``stream``) of one seed. Introduced in chapter 1."""
    return np.random.default_rng(np.random.SeedSequence([seed, stream]))


# --------------------------------------------------------------------------- splits


def assign_splits(
    n: int,
    *,
    seed: int = 0,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    stratify: np.ndarray | None = None,
    groups: np.ndarray | None = None,
) -> np.ndarray:
    """Assign each of ``n`` items to a split: 0 train, 1 val, 2 test (seeded, deterministic).

    Introduced in chapter 1. With ``stratify`` (one class per item) every class is split in
    the same proportions; with ``groups`` (one group id per item, e.g. a movie) whole groups
    are assigned, so no group is in two splits and the fractions hold for items
    approximately.
    """
    n = check_int(n, "n", minimum=0)
    seed = check_seed(seed)
    fracs = np.asarray(check_fractions(fractions))
    if stratify is not None and groups is not None:
        raise ValueError("pass stratify or groups, not both")
    rng = rng_for(seed, SPLIT_STREAM)
    assign = np.empty(n, dtype=np.int64)
    if groups is not None:
        groups = np.asarray(groups)
        if len(groups) != n:
            raise ValueError(f"groups must have one entry per item ({n}), got {len(groups)}")
        _, inverse = np.unique(groups, return_inverse=True)
        sizes = np.bincount(inverse)
        order = rng.permutation(len(sizes))
        ends = np.cumsum(sizes[order])
        middles = ends - sizes[order] / 2.0
        bounds = np.cumsum(fracs)[:2] * n
        group_split = np.empty(len(sizes), dtype=np.int64)
        group_split[order] = np.searchsorted(bounds, middles, side="right")
        return group_split[inverse]
    if stratify is not None:
        stratify = np.asarray(stratify)
        if len(stratify) != n:
            raise ValueError(f"stratify must have one entry per item ({n}), got {len(stratify)}")
        for value in np.unique(stratify):
            members = rng.permutation(np.flatnonzero(stratify == value))
            assign[members] = _cut(members, fracs)
        return assign
    return _cut_into(rng.permutation(n), fracs, assign)


def _cut(members: np.ndarray, fracs: np.ndarray) -> np.ndarray:
    """Split labels (0/1/2) for ``members`` in order, by the cumulative fractions."""
    out = np.empty(len(members), dtype=np.int64)
    cuts = np.round(np.cumsum(fracs) * len(members)).astype(int)
    out[: cuts[0]] = 0
    out[cuts[0] : cuts[1]] = 1
    out[cuts[1] :] = 2
    return out


def _cut_into(perm: np.ndarray, fracs: np.ndarray, assign: np.ndarray) -> np.ndarray:
    assign[perm] = _cut(perm, fracs)
    return assign


def split_indices(
    n: int,
    split: str,
    *,
    seed: int = 0,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    stratify: np.ndarray | None = None,
    groups: np.ndarray | None = None,
) -> np.ndarray:
    """Indices of the items in ``split`` ("train", "val", "test" or "all").

    Introduced in chapter 1. "all" is ``arange(n)`` in source order; the other splits come
    in a seeded random order (so a label-sorted source such as MNIST is not served sorted).
    The three splits are disjoint and together cover all items.
    """
    check_choice(split, "split", SPLITS)
    if split == "all":
        return np.arange(check_int(n, "n", minimum=0))
    assign = assign_splits(n, seed=seed, fractions=fractions, stratify=stratify, groups=groups)
    members = np.flatnonzero(assign == SPLITS.index(split))
    return rng_for(seed, ORDER_STREAM + SPLITS.index(split)).permutation(members)


# --------------------------------------------------------------------------- containers


def _check_images(images: Any) -> int:
    """Validate ``images``; return the number of items."""
    if not isinstance(images, np.ndarray):
        raise TypeError(f"images must be a NumPy array, got {type(images).__name__}")
    if images.dtype == object:
        if images.ndim != 1:
            raise ValueError(
                f"images of differing sizes must be a 1-D object array, got {images.shape}"
            )
        for i, image in enumerate(images):
            if (
                not isinstance(image, np.ndarray)
                or image.dtype != np.float32
                or image.ndim != 3
                or image.shape[-1] not in (1, 3)
            ):
                raise ValueError(f"images[{i}] must be a float32 array of shape (H, W, 1 or 3)")
            if image.size and (image.min() < 0.0 or image.max() > 1.0):
                raise ValueError(f"images[{i}] must have values in [0, 1]")
        return len(images)
    if images.dtype != np.float32:
        raise TypeError(
            f"images must be float32 in [0, 1], got dtype {images.dtype} "
            "(use images.astype('float32') / 255 for 8-bit images)"
        )
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(
            f"images must have shape (N, H, W, C) with C in (1, 3), got {images.shape}"
        )
    if images.size and (float(images.min()) < 0.0 or float(images.max()) > 1.0):
        raise ValueError(
            f"images must have values in [0, 1], got [{images.min():.3g}, {images.max():.3g}]"
        )
    return len(images)


@dataclass(frozen=True, eq=False)
class Dataset:
    """One split of a data set: aligned images, texts, labels and per-item metadata.

    Introduced in chapter 1. Item ``i`` is ``images[i]``, ``texts[i]``, ``labels[i]`` and
    ``meta[key][i]`` for every ``key``; a modality the data set lacks is ``None``.

    - ``images``: float32 array (N, H, W, C), C in {1, 3}, values in [0, 1]. The one
      exception is ``photos`` without ``size=``: a 1-D object array of (H, W, C) float32
      arrays of differing sizes.
    - ``texts``: list of N strings.
    - ``labels``: int64 array (N,), indices into ``label_names``.
    - ``meta``: dict of per-item NumPy arrays, each with N rows (strings as ``str`` arrays,
      ragged values such as token tags as object arrays). Every loader includes
      ``meta["index"]``, the item's position in ``split="all"``.

    Paired modalities must have equal lengths: a mismatch raises a ``ValueError``.
    """

    name: str
    split: str
    images: np.ndarray | None = None
    texts: list[str] | None = None
    labels: np.ndarray | None = None
    label_names: list[str] = field(default_factory=list)
    meta: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"name must be a non-empty str, got {self.name!r}")
        check_choice(self.split, "split", SPLITS)
        lengths: dict[str, int] = {}
        if self.images is not None:
            lengths["images"] = _check_images(self.images)
        if self.texts is not None:
            if not isinstance(self.texts, list) or not all(isinstance(t, str) for t in self.texts):
                raise TypeError("texts must be a list of str")
            lengths["texts"] = len(self.texts)
        if self.labels is not None:
            if not isinstance(self.labels, np.ndarray) or self.labels.dtype != np.int64:
                raise TypeError(
                    f"labels must be an int64 NumPy array, got "
                    f"{getattr(self.labels, 'dtype', type(self.labels).__name__)}"
                )
            if self.labels.ndim != 1:
                raise ValueError(f"labels must be 1-D, got shape {self.labels.shape}")
            if not self.label_names:
                raise ValueError("labels need label_names (one name per class)")
            if self.labels.size and (
                self.labels.min() < 0 or self.labels.max() >= len(self.label_names)
            ):
                raise ValueError(
                    f"labels must be in [0, {len(self.label_names)}) to index label_names, "
                    f"got [{self.labels.min()}, {self.labels.max()}]"
                )
            lengths["labels"] = len(self.labels)
        if not isinstance(self.label_names, list):
            raise TypeError(f"label_names must be a list, got {type(self.label_names).__name__}")
        if not lengths:
            raise ValueError("a Dataset needs at least one of images, texts or labels")
        if not isinstance(self.meta, Mapping):
            raise TypeError(f"meta must be a dict of arrays, got {type(self.meta).__name__}")
        for key, value in self.meta.items():
            if not isinstance(value, np.ndarray):
                raise TypeError(f"meta[{key!r}] must be a NumPy array, got {type(value).__name__}")
            lengths[f"meta[{key!r}]"] = len(value)
        if len(set(lengths.values())) > 1:
            listed = ", ".join(f"{k}: {v}" for k, v in lengths.items())
            raise ValueError(
                f"paired modalities must have one entry per item, got differing lengths ({listed})"
            )

    def __len__(self) -> int:
        if self.images is not None:
            return len(self.images)
        if self.texts is not None:
            return len(self.texts)
        return len(self.labels)  # type: ignore[arg-type]

    @property
    def modalities(self) -> tuple[str, ...]:
        """The modalities present: a subset of ("image", "text")."""
        present = []
        if self.images is not None:
            present.append("image")
        if self.texts is not None:
            present.append("text")
        return tuple(present)

    def take(self, indices: Any) -> Dataset:
        """A new Dataset with the items at ``indices`` (an index array or a boolean mask)."""
        index = np.asarray(indices)
        if index.dtype == bool:
            if index.shape != (len(self),):
                raise ValueError(
                    f"a boolean mask must have one entry per item ({len(self)}), got {index.shape}"
                )
            index = np.flatnonzero(index)
        elif index.size and not np.issubdtype(index.dtype, np.integer):
            raise TypeError(f"indices must be integers or a boolean mask, got {index.dtype}")
        index = index.astype(np.int64, copy=False).reshape(-1)
        return Dataset(
            name=self.name,
            split=self.split,
            images=None if self.images is None else self.images[index],
            texts=None if self.texts is None else [self.texts[i] for i in index],
            labels=None if self.labels is None else self.labels[index],
            label_names=list(self.label_names),
            meta={k: v[index] for k, v in self.meta.items()},
        )

    def __repr__(self) -> str:
        parts = [f"{self.name!r}", f"split={self.split!r}", f"n={len(self)}"]
        if self.images is not None:
            if self.images.dtype == object:
                parts.append(f"images={len(self.images)} of differing sizes")
            else:
                parts.append(f"images={self.images.shape} float32")
        if self.texts is not None:
            parts.append("texts")
        if self.labels is not None:
            parts.append(f"labels={len(self.label_names)} classes")
        if self.meta:
            parts.append(f"meta={sorted(self.meta)}")
        return f"Dataset({', '.join(parts)})"


@dataclass(frozen=True)
class DataCard:
    """A short data card: where a data set comes from, its licence, size and caveats.

    Introduced in chapter 1. ``print(card)`` gives plain text; in a notebook the card shows
    as a table (``_repr_html_`` / ``_repr_markdown_``).
    """

    name: str
    title: str
    modalities: str
    source: str
    licence: str
    attribution: str
    size: str
    classes: str
    splits: str
    options: str
    caveats: tuple[str, ...] = ()

    _FIELDS = (
        "modalities",
        "source",
        "licence",
        "attribution",
        "size",
        "classes",
        "splits",
        "options",
    )

    def rows(self) -> list[tuple[str, str]]:
        """(field, value) rows in display order."""
        rows = [(key, getattr(self, key)) for key in self._FIELDS]
        rows.append(("caveats", " ".join(f"({i}) {c}" for i, c in enumerate(self.caveats, 1))))
        return rows

    def __str__(self) -> str:
        width = max(len(key) for key, _ in self.rows())
        lines = [f"{self.title} ({self.name})"]
        lines += [f"  {key.ljust(width)}  {value}" for key, value in self.rows()]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        lines = [f"**{self.title}** (`{self.name}`)", "", "| | |", "|---|---|"]
        for key, value in self.rows():
            lines.append(f"| {key} | {value.replace('|', '&#124;')} |")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        body = "".join(
            f"<tr><th style='text-align:left;vertical-align:top'>{html.escape(key)}</th>"
            f"<td style='text-align:left'>{html.escape(value)}</td></tr>"
            for key, value in self.rows()
        )
        return (
            f"<p><b>{html.escape(self.title)}</b> (<code>{html.escape(self.name)}</code>)</p>"
            f"<table>{body}</table>"
        )


def labelled_images(
    name: str,
    images: np.ndarray,
    labels: np.ndarray,
    label_names: Sequence[str],
    split: str,
    seed: int,
    fractions: Sequence[float],
) -> Dataset:
    """One split of a labelled image set, stratified by label. Introduced in chapter 1."""
    index = split_indices(len(labels), split, seed=seed, fractions=fractions, stratify=labels)
    return Dataset(
        name=name,
        split=split,
        images=images[index],
        labels=labels[index],
        label_names=list(label_names),
        meta={"index": index.astype(np.int64)},
    )
