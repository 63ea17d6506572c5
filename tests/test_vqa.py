"""Unit tests of crossmodal_helpers.vqa (chapter 12): questions, balancing, models, checks."""

from __future__ import annotations

import numpy as np
import pytest

from crossmodal_helpers import datasets, vqa


@pytest.fixture(scope="module")
def scenes():
    return datasets.load("shapes", split="train", n=400, size=48)


def _obj(shape, color, position):
    return {"shape": shape, "color": color, "position": position}


def test_scene_questions_have_unique_answers_and_follow_the_templates():
    objects = [
        _obj("circle", "red", "top left"),
        _obj("square", "blue", "top right"),
        _obj("circle", "green", "bottom"),
    ]
    found = {(t, q): a for t, q, a in vqa.scene_questions(objects)}
    # two circles: no "what colour is the circle", one square
    assert ("colour_of_shape", "what colour is the circle") not in found
    assert found["colour_of_shape", "what colour is the square"] == "blue"
    assert found["shape_of_colour", "what shape is the green object"] == "circle"
    # left of the square: the top-left circle and the bottom (middle column) circle -> two
    assert ("colour_by_relation", "what colour is the object left of the square") not in found
    assert found["colour_by_relation", "what colour is the object below the square"] == "green"
    assert found["count_shape", "how many circles are there"] == "2"
    assert found["count_shape", "how many crosses are there"] == "0"
    assert found["count_colour", "how many red objects are there"] == "1"
    assert found["exist", "is there a red circle"] == "yes"
    assert found["exist", "is there a red square"] == "no"
    assert sum(t == "exist" for t, _ in found) == 30


def test_every_question_fits_the_vocabulary_and_the_length(scenes):
    pool = vqa.all_questions(scenes)
    ids = pool.token_ids()
    assert ids.shape == (len(pool), vqa.MAX_QUESTION_LENGTH)
    assert ids.max() < len(vqa.question_vocabulary())
    assert (ids[:, 0] > 0).all()
    assert set(pool.types) == set(vqa.QUESTION_TYPES)


def test_balanced_questions_have_equal_answers_within_every_template(scenes):
    pool = vqa.all_questions(scenes)
    natural = vqa.answer_shares(pool)
    assert natural["exist"] > 0.9  # the language prior of the natural questions
    q = vqa.make_questions(scenes, per_template=120, seed=0)
    for template in vqa.TEMPLATES:
        counts = np.bincount(q.answers[q.templates == template])
        counts = counts[counts > 0]
        assert len(set(counts)) == 1, template
    shares = vqa.answer_shares(q)
    assert shares["exist"] == pytest.approx(0.5)
    assert shares["count_shape"] == pytest.approx(1 / 3)
    # seeded; the question's scene really has that answer
    again = vqa.make_questions(scenes, per_template=120, seed=0)
    assert again.texts == q.texts
    objects = scenes.meta["scene"][q.scene[0]]["objects"]
    assert (q.templates[0], q.texts[0], vqa.ANSWERS[q.answers[0]]) in vqa.scene_questions(objects)


def test_accuracy_by_type_and_the_paired_gap():
    correct = np.array([1, 0, 1, 1, 0, 1], dtype=float)
    types = np.array(["attribute", "count", "exist", "attribute", "count", "exist"])
    acc = vqa.accuracy_by_type(correct, types)
    assert acc == {"overall": pytest.approx(4 / 6), "attribute": 1.0, "count": 0.0, "exist": 1.0}
    gap, low, high = vqa.accuracy_gap(correct, np.zeros(6))
    assert gap == pytest.approx(4 / 6) and low <= gap <= high


def test_cells_and_labels_line_up(scenes):
    cells = vqa.split_cells(scenes.images[:2])
    assert cells.shape == (18, 16, 16, 3)
    colour, shape = vqa.cell_labels(scenes)
    assert colour.shape == (len(scenes.texts), 9)
    assert ((colour > 0) == (shape > 0)).all()
    assert ((colour > 0).sum(axis=1) == scenes.meta["n_objects"]).all()
    # an empty cell is black, a full one is not
    full = colour[:2].ravel() > 0
    assert (cells.reshape(18, -1).max(axis=1) > 0).tolist() == full.tolist()


def test_models_answer_over_every_answer(keras, scenes):
    classifier = vqa.build_cell_classifier(vqa.build_cell_encoder(16))
    regions = vqa.region_features(classifier, scenes.images[:4])
    assert regions.shape == (4, 3, 3, 7 + 6 + 2)
    np.testing.assert_allclose(regions[0, 0, :, -2], [-1, 0, 1])  # x across a row
    q = vqa.encode_questions(["how many circles are there"] * 4)
    for fusion_name in vqa.VQA_FUSIONS:
        model = vqa.build_vqa_model(fusion_name, regions.shape[1:], units=8, hidden=8)
        out = np.asarray(model([regions, q]))
        assert out.shape == (4, len(vqa.ANSWERS))
        np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
    assert vqa.build_question_only_model(units=8).output.shape[-1] == len(vqa.ANSWERS)
    assert vqa.build_image_only_model(regions.shape[1:], units=8).input.shape[1:] == (3, 3, 15)


def test_question_to_regions_ignores_padding_words(keras):
    layer = vqa.QuestionToRegions(8, num_heads=2)
    rng = np.random.default_rng(0)
    words = rng.normal(size=(2, 4, 8)).astype("float32")
    regions = rng.normal(size=(2, 9, 8)).astype("float32")
    question = rng.normal(size=(2, 5)).astype("float32")
    mask = np.array([[True, True, False, False]] * 2)
    out = np.asarray(layer([words, regions, question], mask=mask))
    changed = words.copy()
    changed[:, 2:] = 99.0
    again = np.asarray(layer([changed, regions, question], mask=mask))
    assert out.shape == (2, 13)
    np.testing.assert_allclose(out, again, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: vqa.scene_questions("circle"), TypeError, "objects"),
        (lambda: vqa.scene_questions([{"shape": "circle"}]), ValueError, "position"),
        (lambda: vqa.encode_questions("how many"), TypeError, "texts"),
        (lambda: vqa.encode_questions(["how many dogs"]), ValueError, "vocabulary"),
        (lambda: vqa.all_questions(np.zeros(3)), TypeError, "dataset"),
        (lambda: vqa.make_questions(None), TypeError, "dataset"),
        (lambda: vqa.answer_shares([1, 2]), TypeError, "questions"),
        (lambda: vqa.accuracy_by_type([1, 0], ["count"]), ValueError, "types"),
        (lambda: vqa.accuracy_gap([1, 0], [1]), ValueError, "correct_a"),
        (lambda: vqa.split_cells(np.zeros((1, 40, 40, 3), np.float32)), ValueError, "image_size"),
        (lambda: vqa.split_cells([[0.5]]), TypeError, "images"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_error(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_model_builders_check_their_arguments(keras):
    with pytest.raises(ValueError, match="fusion"):
        vqa.build_vqa_model("sum", (3, 3, 15))
    with pytest.raises(ValueError, match="region_shape"):
        vqa.build_vqa_model("concat", (3, 15))
    with pytest.raises(TypeError, match="units"):
        vqa.build_vqa_model("film", (3, 3, 15), units=2.5)
    with pytest.raises(ValueError, match="cell_size"):
        vqa.build_cell_encoder(18)
    with pytest.raises(TypeError, match="encoder"):
        vqa.build_cell_classifier("cnn")
    with pytest.raises(TypeError, match="encoder"):
        vqa.region_features(None, np.zeros((1, 48, 48, 3), np.float32))
    with pytest.raises(ValueError, match="num_heads"):
        vqa.QuestionToRegions(6, num_heads=4)
