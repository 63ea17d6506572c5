"""Self-checks of chapter 6 accept the solutions and explain typical mistakes."""

from __future__ import annotations

import numpy as np

from crossmodal_helpers import attention, exercises

ch06 = exercises.ch06


def _weights(axis: int = -1, scale: bool = True) -> np.ndarray:
    scores = ch06.Q_SMALL @ ch06.K_SMALL.T
    if scale:
        scores = scores / np.sqrt(ch06.Q_SMALL.shape[1])
    return attention.softmax(scores, axis=axis)


def test_attention_weights_accepts_the_solution():
    assert ch06.attention_weights(_weights()).passed
    _, weights = attention.scaled_dot_product_attention(ch06.Q_SMALL, ch06.K_SMALL, ch06.V_SMALL)
    assert ch06.attention_weights(weights.tolist()).passed


def test_attention_weights_explains_mistakes():
    unscaled = ch06.attention_weights(_weights(scale=False))
    assert not unscaled.passed and "UNSCALED" in unscaled.message and "sqrt" in unscaled.hint
    columns = ch06.attention_weights(_weights(axis=0))
    assert not columns.passed and "columns" in columns.message
    raw = ch06.Q_SMALL @ ch06.K_SMALL.T / 2.0
    assert "softmax is missing" in ch06.attention_weights(raw).message
    assert "shape (3, 2)" in ch06.attention_weights(_weights().T).message
    assert "still empty" in ch06.attention_weights(...).message
    assert not ch06.attention_weights("weights").passed


def test_causal_mask():
    n = ch06.CAUSAL_LENGTH
    assert ch06.causal_mask(np.tril(np.ones((n, n), dtype=bool))).passed
    future = ch06.causal_mask(np.triu(np.ones((n, n), dtype=bool)))
    assert not future.passed and "FUTURE" in future.message
    strict = ch06.causal_mask(np.tril(np.ones((n, n), dtype=bool), k=-1))
    assert not strict.passed and "diagonal" in strict.message
    assert ch06.causal_mask(np.tril(np.ones((n, n), dtype=int))).passed  # 0/1 is fine too
    assert "np.tril" not in str(strict) and "np.tril" not in str(future)
    assert "still empty" in ch06.causal_mask(None).message
    assert "shape" in ch06.causal_mask(np.ones((3, 3), dtype=bool)).message


def test_pointing():
    boxes, maps = ch06.POINTING_BOXES, ch06.POINTING_MAPS
    solution = attention.pointing_hits(maps, boxes, image_size=ch06.POINTING_IMAGE_SIZE)
    assert ch06.pointing(solution).passed
    assert ch06.pointing(np.array([True, False, False, True])).passed
    swapped = ch06.pointing(np.array([False, True, False, False]))
    assert not swapped.passed and "swapped" in swapped.message
    any_patch = ch06.pointing(np.array([True, False, True, True]))
    assert not any_patch.passed and "PEAK" in any_patch.message
    assert "still empty" in ch06.pointing(...).message
    assert ch06.pointing([1, 0, 0, 1]).passed  # 0/1 for False/True is fine


def test_looking_beside():
    assert ch06.looking_beside("contextual values").passed
    assert ch06.looking_beside(" Contextual Values ").passed
    wrong = ch06.looking_beside("local values")
    assert not wrong.passed and "NEXT TO" in wrong.hint
    assert "not one of the options" in ch06.looking_beside("magic").message


def test_relative_position_accepts_the_constant_dot_products_and_names_mistakes():
    ch06 = exercises.ch06
    pe = attention.sinusoidal_encoding(64, 16)
    right = np.array([pe[p] @ pe[p + 5] for p in range(20)])
    assert ch06.relative_position(right).passed
    assert ch06.relative_position(list(right)).passed
    assert "itself" in ch06.relative_position(np.full(20, 8.0)).message
    assert not ch06.relative_position(np.array([pe[p] @ pe[p + 4] for p in range(20)])).passed
    assert "still empty" in ch06.relative_position(...).message
