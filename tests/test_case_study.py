"""Unit tests of crossmodal_helpers.case_study (chapter 9)."""

from __future__ import annotations

import numpy as np
import pytest

from crossmodal_helpers import case_study, datasets

CAPTION = "a big red disc in the upper left and a blue plus"
TAGS = ["O", "SIZE", "COLOR", "SHAPE", "O", "O", "POSITION", "POSITION", "O", "O", "COLOR", "SHAPE"]


@pytest.fixture(scope="module")
def scenes():
    return datasets.load("shapes", "train", n=60, size=48)


def _probs(n: int, cells: dict[int, tuple[int, int, int]]) -> dict[str, np.ndarray]:
    """Confident per-cell predictions: cell -> (colour, shape, size); other cells empty."""
    out = {}
    for k, (attribute, values) in enumerate(case_study.CELL_ATTRIBUTES.items()):
        p = np.full((n, 9, len(values) + 1), 0.001)
        p[:, :, -1] = 1.0
        for cell, ids in cells.items():
            p[:, cell, -1] = 0.001
            p[:, cell, ids[k]] = 1.0
        out[attribute] = (p / p.sum(-1, keepdims=True)).reshape(n, 3, 3, -1)
    return out


def test_token_and_tag_encoding_round_trip():
    vocab = case_study.token_vocabulary([CAPTION])
    assert vocab[:2] == [case_study.PAD, case_study.UNKNOWN]
    ids = case_study.encode_tokens([CAPTION, "a zebra"], vocab, 14)
    assert ids.shape == (2, 14) and ids[0, 12] == 0 and ids[1, 1] == 1
    tag_ids = case_study.encode_tags([TAGS], 14)
    onehot = np.eye(len(case_study.TAGS))[tag_ids]
    assert case_study.decode_tags(onehot, [CAPTION]) == [TAGS]


def test_encoding_rejects_bad_input():
    vocab = case_study.token_vocabulary([CAPTION])
    with pytest.raises(ValueError, match="length"):
        case_study.encode_tokens([CAPTION], vocab, 3)
    with pytest.raises(ValueError, match="vocabulary must start"):
        case_study.encode_tokens([CAPTION], ["a", "b"], 20)
    with pytest.raises(TypeError, match="list of str"):
        case_study.token_vocabulary(CAPTION)
    with pytest.raises(ValueError, match="empty"):
        case_study.token_vocabulary(["  "])
    with pytest.raises(ValueError, match="unknown tags"):
        case_study.encode_tags([["O", "PERSON"]], 5)
    with pytest.raises(ValueError, match="probabilities must have shape"):
        case_study.decode_tags(np.zeros((1, 3)), [CAPTION])


def test_entity_spans_and_f1():
    assert case_study.entity_spans(TAGS)[3] == (6, 8, "POSITION")
    assert case_study.entity_f1([TAGS], [TAGS]) == 1.0
    wrong = list(TAGS)
    wrong[6] = "O"  # "upper left" becomes "left": a wrong span, not half a right one
    assert case_study.entity_f1([TAGS], [wrong]) == pytest.approx(2 * 5 / 12)
    with pytest.raises(ValueError, match="one entry per caption"):
        case_study.entity_f1([TAGS], [])
    with pytest.raises(ValueError, match="caption 0"):
        case_study.entity_f1([TAGS], [TAGS[:-1]])


def test_parse_mentions_reads_canonical_values():
    mentions = case_study.parse_mentions(CAPTION, TAGS)
    assert mentions == [
        {"size": "large", "color": "red", "shape": "circle", "position": "top left"},
        {"color": "blue", "shape": "cross"},
    ]
    with pytest.raises(ValueError, match="words but tags"):
        case_study.parse_mentions(CAPTION, TAGS[:-1])


def test_parse_mentions_agrees_with_the_data(scenes):
    from crossmodal_helpers.datasets.shapes import read_caption

    rows = zip(scenes.texts, scenes.meta["tags"], scenes.meta["token_objects"], strict=True)
    for text, tags, owners in rows:
        truth = read_caption(text.split(), tags, owners)
        parsed = case_study.parse_mentions(text, tags)
        assert {(j, a): v for j, m in enumerate(parsed) for a, v in m.items()} == truth


def test_cell_targets_match_metadata(scenes):
    targets = case_study.cell_targets(scenes)
    assert set(targets) == set(case_study.CELL_ATTRIBUTES)
    occupied = (targets["color"] < 6).reshape(len(scenes), 9).sum(axis=1)
    assert np.array_equal(occupied, scenes.meta["n_objects"])
    with pytest.raises(TypeError, match="shapes data set"):
        case_study.cell_targets(datasets.load("digits", "train"))


def test_consistency_scores_and_localise():
    # red circle large in cell 0, blue cross small in cell 8
    probs = _probs(2, {0: (0, 0, 1), 8: (2, 4, 0)})
    true = case_study.parse_mentions(CAPTION, TAGS)
    fake = [dict(true[0], color="green"), true[1]]
    scores, weakest = case_study.consistency_scores([true, fake], probs)
    assert scores[0] > 0.9 and scores[1] < 0.01 and weakest[1] == "color"
    moved = [dict(true[0], position="centre"), true[1]]
    assert case_study.consistency_scores([moved], _probs(1, {0: (0, 0, 1), 8: (2, 4, 0)}))[1] == [
        "position"
    ]
    assert case_study.localise([true, fake], probs)[0] == [0, 8]
    with pytest.raises(TypeError, match="dict with keys"):
        case_study.consistency_scores([true], {"color": 1})
    with pytest.raises(ValueError, match="must have shape"):
        case_study.localise([true, true, true], probs)


def test_cell_hits():
    boxes = np.array([[0, 0, 16, 16], [0, 0, 16, 16]])
    assert case_study.cell_hits(np.array([0, 4]), boxes, 48).tolist() == [True, False]
    with pytest.raises(ValueError, match="cells must be in"):
        case_study.cell_hits(np.array([9, 0]), boxes, 48)
    with pytest.raises(ValueError, match="boxes must have shape"):
        case_study.cell_hits(np.array([0]), boxes, 48)


def test_best_threshold_and_base_rate():
    scores = np.array([0.01, 0.02, 0.5, 0.9, 0.95])
    positive = np.array([True, True, False, False, False])
    tau = case_study.best_threshold(scores, positive)
    assert 0.02 < tau <= 0.5
    with pytest.raises(TypeError, match="bool"):
        case_study.best_threshold(scores, positive.astype(int))
    assert case_study.precision_at_base_rate(0.9, 0.05, 0.02) == pytest.approx(18 / 67)
    assert case_study.precision_at_base_rate(0.9, 0.05, np.array([0.0, 1.0])).tolist() == [0, 1]
    with pytest.raises(ValueError, match="recall"):
        case_study.precision_at_base_rate(1.5, 0.05, 0.1)


def test_cell_attribute_model_shapes():
    model = case_study.build_cell_attribute_model(48, filters=4)
    out = model.predict(np.zeros((2, 48, 48, 3), dtype="float32"), verbose=0)
    assert out["color"].shape == (2, 3, 3, 7) and out["size"].shape == (2, 3, 3, 3)
    with pytest.raises(ValueError, match="multiple of 24"):
        case_study.build_cell_attribute_model(32)
