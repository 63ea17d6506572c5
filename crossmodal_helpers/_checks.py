"""Argument checks shared by the modules: clear errors that name the argument.

Introduced in chapter 2, when a second module needed the same checks. Every public function
of the package checks its arguments with these before it changes anything: a ``TypeError``
for the wrong kind of value, a ``ValueError`` for a wrong value, each naming the argument
and what was expected.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

#: The most numbers a helper allocates from counts it is given (2**28 float32 are 1 GiB);
#: larger requests get a ``ValueError`` instead of a ``MemoryError`` deep inside NumPy.
MAX_ELEMENTS = 2**28
#: The widest layer (units, filters, embedding size) a model builder accepts.
MAX_WIDTH = 2**14


def check_count(value: Any, name: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    """Return ``value`` as an int, or raise if it is not an int in [``minimum``, ``maximum``]."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {value}")
    return int(value)


def check_width(value: Any, name: str) -> int:
    """Return a layer width (units, filters, embedding size) in [1, :data:`MAX_WIDTH`]."""
    return check_count(value, name, maximum=MAX_WIDTH)


def check_allocation(shape: Sequence[int], name: str) -> None:
    """Raise a ``ValueError`` naming ``name`` (the count that sets ``shape``) when an array
    of ``shape`` would hold more than :data:`MAX_ELEMENTS` numbers."""
    size = math.prod(int(s) for s in shape)
    if size > MAX_ELEMENTS:
        raise ValueError(
            f"{name} is too large: an array of shape {tuple(shape)} holds {size:,} numbers, "
            f"more than the {MAX_ELEMENTS:,} a helper allocates"
        )


def check_number(
    value: Any, name: str, *, minimum: float | None = None, positive: bool = False
) -> float:
    """Return ``value`` as a finite float; with ``minimum`` at least that, with ``positive`` > 0."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum:g}, got {value:g}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value:g}")
    return value


def check_positive(value: Any, name: str) -> float:
    """Return a positive finite float: a learning rate, a temperature, a scale."""
    return check_number(value, name, positive=True)


def check_flag(value: Any, name: str) -> bool:
    """Return ``value`` if it is True or False (not 0, 1 or a string)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def check_fraction(value: Any, name: str, *, upper: float = 1.0, closed: bool = True) -> float:
    """Return ``value`` as a float in [0, upper] (or [0, upper) when not ``closed``)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    inside = 0.0 <= value <= upper if closed else 0.0 <= value < upper
    if not (math.isfinite(value) and inside):
        interval = f"[0, {upper:g}]" if closed else f"[0, {upper:g})"
        raise ValueError(f"{name} must be in {interval}, got {value}")
    return value


def check_dropout(value: Any) -> float:
    """Return a dropout rate in [0, 1)."""
    return check_fraction(value, "dropout", closed=False)


def check_texts(
    texts: Any, name: str = "texts", *, nonempty: bool = False, per_image: int | None = None
) -> list[str]:
    """Return ``texts`` as a list of str; with ``nonempty``, every text needs a word.

    With ``per_image`` there must be exactly that many texts, one per image.
    """
    if isinstance(texts, str):
        raise TypeError(f"{name} must be a list of str, got a single str")
    if not isinstance(texts, (Sequence, np.ndarray)):
        raise TypeError(f"{name} must be a list of str, got {type(texts).__name__}")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"{name} must hold str, got {type(text).__name__} at index {i}")
        if nonempty and not text.split():
            raise ValueError(f"{name}[{i}] is empty: every text needs at least one word")
    if per_image is not None and len(texts) != per_image:
        raise ValueError(f"{name} must have one str per image ({per_image}), got {len(texts)}")
    return list(texts)


def check_str(value: Any, name: str) -> str:
    """Return ``value`` if it is a str (a title, a name)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    return value


def check_sequence(values: Any, name: str, *, nonempty: bool = True) -> list[Any]:
    """Return ``values`` (a list, tuple, range or 1-D array) as a list; a bare str is an error."""
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray, range)):
        raise TypeError(f"{name} must be a list of values, got {type(values).__name__} {values!r}")
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {values.shape}")
    if nonempty and len(values) == 0:
        raise ValueError(f"{name} must hold at least one value, got none")
    return list(values)


def output_classes(model: Any) -> int | None:
    """The number of classes a Keras classifier predicts (its output's last axis), if known."""
    try:
        size = model.outputs[0].shape[-1]
    except (AttributeError, IndexError, TypeError, ValueError):
        return None
    return int(size) if size is not None else None


def check_names(names: Any, name: str, *, n: int | None = None) -> list[str]:
    """Return ``names`` (a list of names, e.g. class names) as a list of str.

    A bare str is an error (``"abc"`` is not the three names a, b, c); with ``n`` there must
    be exactly ``n`` names. Numbers are allowed as names and turned into str.
    """
    if isinstance(names, (str, bytes)):
        raise TypeError(f"{name} must be a list of str, got a single {type(names).__name__}")
    if not isinstance(names, (Sequence, np.ndarray, range)):
        raise TypeError(f"{name} must be a list of str, got {type(names).__name__}")
    out = []
    for i, item in enumerate(names):
        if not isinstance(item, (str, int, np.integer)) or isinstance(item, (bool, np.bool_)):
            raise TypeError(f"{name} must hold str, got {type(item).__name__} at index {i}")
        out.append(str(item))
    if n is not None and len(out) != n:
        raise ValueError(f"{name} must have {n} entries, got {len(out)}")
    return out


def check_labels(
    labels: Any, name: str = "labels", *, n: int | None = None, n_classes: int | None = None
) -> np.ndarray:
    """Return ``labels`` as a 1-D int64 array of class ids, ``n`` of them, in [0, n_classes).

    Labels out of range would reach TensorFlow, which on a GPU gives a NaN loss, not an
    error; float labels (``1.0``) usually mean the wrong array was passed.
    """
    array = np.asarray(labels)
    if array.dtype == object or not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"{name} must hold integer class ids, got dtype {array.dtype}")
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of class ids, got shape {array.shape}")
    if n is not None and len(array) != n:
        raise ValueError(f"{name} must have one entry per example ({n}), got {len(array)}")
    if n_classes is not None and array.size and (array.min() < 0 or array.max() >= n_classes):
        raise ValueError(
            f"{name} must be class ids in [0, {n_classes}), got values in "
            f"[{array.min()}, {array.max()}]"
        )
    if n_classes is None and array.size and array.min() < 0:
        raise ValueError(f"{name} must be class ids >= 0, got {array.min()}")
    return array.astype(np.int64, copy=False)


def check_images(images: Any, *, name: str = "images") -> np.ndarray:
    """Validate a batch of images (N×H×W or N×H×W×C, C in {1, 3}, values in [0, 1]).

    Introduced in chapter 1. Returns the batch as float32 NHWC; raises a ``ValueError`` or
    ``TypeError`` that names ``name`` and what was expected. A 3-D array whose last axis
    has 1 or 3 entries is one H×W×C image, not a batch of images 1 or 3 pixels wide, and is
    rejected with the fix (``image[None]`` is a batch of one).
    """
    if not isinstance(images, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(images).__name__}")
    if not (np.issubdtype(images.dtype, np.floating) or np.issubdtype(images.dtype, np.integer)):
        raise TypeError(f"{name} must hold numbers, got dtype {images.dtype}")
    if images.ndim == 3 and images.shape[-1] in (1, 3):
        raise ValueError(
            f"{name} must be a batch (N, H, W) or (N, H, W, C), got shape {images.shape}, "
            f"which is one H×W×C image: pass {name}[None] for a batch of one"
        )
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(
            f"{name} must have shape (N, H, W) or (N, H, W, C) with C in (1, 3), got {images.shape}"
        )
    images = images.astype(np.float32, copy=False)
    if images.size and not np.isfinite(images).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    if images.size and (images.min() < 0.0 or images.max() > 1.0):
        raise ValueError(
            f"{name} must have values in [0, 1], got [{images.min():.3g}, {images.max():.3g}]"
            " (divide 8-bit images by 255)"
        )
    return images


def check_image(image: Any, *, name: str = "image") -> np.ndarray:
    """Validate one image (H×W or H×W×C, C in {1, 3}, values in [0, 1]); return float32 HWC."""
    if not isinstance(image, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(image).__name__}")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[-1] not in (1, 3)):
        raise ValueError(
            f"{name} must be one image of shape (H, W) or (H, W, C) with C in (1, 3), "
            f"got {image.shape}"
        )
    batch = image[None] if image.ndim == 3 else image[None, ..., None]
    return check_images(batch, name=name)[0]


def check_model_inputs(inputs: Any, name: str = "inputs") -> Any:
    """Check a model's input: an array or a list of arrays, images (rank 4) in [0, 1].

    Returns the inputs with images as float32 NHWC (:func:`check_images`) and other arrays
    unchanged; every array must hold finite numbers and all must have the same length.
    """
    several = isinstance(inputs, (list, tuple))
    parts = list(inputs) if several else [inputs]
    if not parts:
        raise ValueError(f"{name} must hold at least one array, got none")
    out = []
    for i, part in enumerate(parts):
        label = f"{name}[{i}]" if several else name
        if not isinstance(part, np.ndarray):
            raise TypeError(
                f"{label} must be a NumPy array (or {name} a list of them), got "
                f"{type(part).__name__}"
            )
        if part.ndim == 4:
            out.append(check_images(part, name=label))
            continue
        if not (np.issubdtype(part.dtype, np.number) and not np.issubdtype(part.dtype, np.bool_)):
            raise TypeError(f"{label} must hold numbers, got dtype {part.dtype}")
        if np.issubdtype(part.dtype, np.floating) and not np.isfinite(part).all():
            raise ValueError(f"{label} contains NaN or infinite values")
        out.append(part)
    lengths = {len(part) for part in out}
    if len(lengths) != 1:
        raise ValueError(f"{name} must all have one row per example, got lengths {sorted(lengths)}")
    return out if several else out[0]


def check_numeric_array(value: Any, name: str, *, ndim: int) -> np.ndarray:
    """Return ``value`` as a finite, non-empty float64 array with ``ndim`` dimensions."""
    array = np.asarray(value)
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.bool_)
    ):
        raise TypeError(f"{name} must be a numeric array, got dtype {array.dtype}")
    if array.ndim != ndim:
        shape = "a 1-D array (one value per item)" if ndim == 1 else f"a {ndim}-D array"
        raise ValueError(f"{name} must be {shape}, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return array
