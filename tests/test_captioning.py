"""The captioning helpers of chapter 11: vocabulary, model, decoders, metrics, input checks."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from crossmodal_helpers import captioning
from crossmodal_helpers.datasets import shapes

CAPTIONS = ["a red circle", "a blue square on the left", "there is a red circle"]


@pytest.fixture(scope="module")
def scenes():
    return shapes.load("test", n=60, size=48)


@pytest.fixture(scope="module")
def small_model(scenes):
    vocabulary = captioning.build_vocabulary(scenes.texts)
    keras.utils.set_random_seed(0)
    model = captioning.Captioner(
        len(vocabulary), 30, d_model=16, num_heads=2, ff_dim=16, filters=4, grid=3
    )
    model((scenes.images[:2], np.ones((2, 5), dtype=np.int64)))
    return model, vocabulary


# --------------------------------------------------------------------------- vocabulary


def test_vocabulary_starts_with_the_specials_and_orders_words_by_frequency():
    vocabulary = captioning.build_vocabulary(CAPTIONS)
    assert tuple(vocabulary[:4]) == captioning.SPECIALS
    assert vocabulary[4:7] == ["a", "circle", "red"]  # 3, 2, 2 uses; ties alphabetical


def test_vocabulary_min_count_leaves_rare_words_to_unknown():
    vocabulary = captioning.build_vocabulary(CAPTIONS, min_count=2)
    counts = {w: sum(c.split().count(w) for c in CAPTIONS) for w in vocabulary[4:]}
    assert vocabulary[4:7] == ["a", "circle", "red"] and min(counts.values()) >= 2
    rare = next(w for c in CAPTIONS for w in c.split() if w not in vocabulary)
    ids = captioning.encode_captions([rare], vocabulary, 3)
    assert ids[0, 1] == captioning.SPECIALS.index(captioning.UNKNOWN)


def test_encode_and_decode_round_trip():
    vocabulary = captioning.build_vocabulary(CAPTIONS)
    ids = captioning.encode_captions(CAPTIONS, vocabulary, 9)
    assert ids.shape == (3, 9) and (ids[:, 0] == 1).all()
    assert captioning.decode_ids(ids, vocabulary) == CAPTIONS
    unknown = captioning.encode_captions(["a green circle"], vocabulary, 6)
    assert captioning.decode_ids(unknown, vocabulary) == ["a <unk> circle"]


def test_encode_refuses_to_cut_a_caption():
    vocabulary = captioning.build_vocabulary(CAPTIONS)
    with pytest.raises(ValueError, match="length >= 8"):
        captioning.encode_captions(CAPTIONS, vocabulary, 7)


def test_causal_mask_is_lower_triangular():
    mask = captioning.causal_mask(4)
    assert mask.dtype == bool and np.array_equal(mask, np.tril(np.ones((4, 4), dtype=bool)))


def test_teacher_forcing_pairs_shift_by_one():
    ids = np.array([[1, 5, 6, 2, 0]])
    inputs, targets = captioning.teacher_forcing_pairs(ids)
    assert inputs.tolist() == [[1, 5, 6, 2]] and targets.tolist() == [[5, 6, 2, 0]]


# --------------------------------------------------------------------------- the model


def test_captioner_shapes_and_attention(small_model, scenes):
    model, vocabulary = small_model
    words = np.ones((3, 7), dtype=np.int64)
    logits = model((scenes.images[:3], words))
    assert tuple(logits.shape) == (3, 7, len(vocabulary))
    regions = model.encode(scenes.images[:3])
    assert tuple(regions.shape) == (3, 9, 16)
    _, weights = model.decode(regions, words, return_attention=True)
    weights = keras.ops.convert_to_numpy(weights)
    assert weights.shape == (3, 7, 9)
    assert np.allclose(weights.sum(-1), 1.0, atol=1e-5)


def test_a_future_word_never_changes_an_earlier_output(small_model, scenes):
    model, vocabulary = small_model
    rng = np.random.default_rng(0)
    words = rng.integers(1, len(vocabulary), size=(4, 10))
    changed = words.copy()
    changed[:, 6:] = rng.integers(1, len(vocabulary), size=(4, 4))
    before = keras.ops.convert_to_numpy(model((scenes.images[:4], words)))
    after = keras.ops.convert_to_numpy(model((scenes.images[:4], changed)))
    assert np.abs(before[:, :6] - after[:, :6]).max() < 1e-5
    assert np.abs(before[:, 6:] - after[:, 6:]).max() > 1e-4


def test_captioner_round_trips_through_keras_saving(small_model, scenes, tmp_path):
    model, _ = small_model
    path = tmp_path / "captioner.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    words = np.ones((2, 5), dtype=np.int64)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model((scenes.images[:2], words))),
        keras.ops.convert_to_numpy(loaded((scenes.images[:2], words))),
        atol=1e-5,
    )


def test_region_encoder_rejects_bad_sides():
    with pytest.raises(ValueError, match="multiple of 8"):
        captioning.RegionEncoder(8)(np.zeros((1, 20, 20, 3), dtype="float32"))
    with pytest.raises(ValueError, match="must divide"):
        captioning.RegionEncoder(8, grid=4)(np.zeros((1, 48, 48, 3), dtype="float32"))


# --------------------------------------------------------------------------- decoders


def test_greedy_equals_beam_of_width_one(small_model, scenes):
    model, _ = small_model
    greedy = captioning.greedy_decode(model, scenes.images[:5], max_length=8)
    beam = captioning.beam_search(model, scenes.images[:5], beam_width=1, max_length=8)
    assert np.array_equal(greedy, beam)


def test_beam_search_finds_captions_at_least_as_probable_as_greedy(small_model, scenes):
    model, _ = small_model
    images = scenes.images[:8]
    greedy = captioning.greedy_decode(model, images, max_length=6)
    beam = captioning.beam_search(model, images, beam_width=4, max_length=6)
    assert beam.shape == greedy.shape and (beam[:, 0] == 1).all()
    # compare only captions that ended (an unfinished one has no end token to score)
    ended = ((greedy == 2).any(1)) & ((beam == 2).any(1))
    score = captioning.caption_log_probability
    gain = score(model, images, beam) - score(model, images, greedy)
    assert (gain[ended] >= -1e-4).all()


def test_decoders_batch_like_one_call(small_model, scenes):
    model, _ = small_model
    whole = captioning.beam_search(model, scenes.images[:6], beam_width=2, max_length=6)
    parts = captioning.beam_search(
        model, scenes.images[:6], beam_width=2, max_length=6, batch_size=4
    )
    assert np.array_equal(whole, parts)


# --------------------------------------------------------------------------- evaluation


def test_references_start_with_the_scene_caption_and_state_the_same_facts(scenes):
    scene = scenes.meta["scene"][0]
    references = captioning.reference_captions(scene, 6, seed=1)
    assert len(references) == 6 and references[0] == scenes.texts[0]
    truth = captioning.attribute_scores(references, [scene] * 6)
    assert truth.accuracy == 1.0


def test_canonical_captions_state_the_same_facts_without_synonyms(scenes):
    scene_list = list(scenes.meta["scene"])
    canonical = [captioning.canonical_caption(s) for s in scene_list]
    assert captioning.attribute_scores(canonical, scene_list).accuracy == 1.0
    synonyms = {"disc", "rhombus", "plus", "violet", "little", "big", "middle", "upper", "lower"}
    assert not synonyms & {w for c in canonical for w in c.split()}


def test_true_captions_score_one_and_a_changed_attribute_is_caught(scenes):
    scene_list = list(scenes.meta["scene"])
    perfect = captioning.attribute_scores(scenes.texts, scene_list)
    assert perfect.accuracy == 1.0
    rng = np.random.default_rng(0)
    fakes = [shapes.inconsistent_caption(s, rng)["caption"] for s in scene_list]
    wrong = captioning.attribute_scores(fakes, scene_list)
    assert 0.6 < wrong.accuracy < 1.0
    assert (wrong.correct.sum(1) < wrong.checked.sum(1)).mean() > 0.5


def test_attribute_scores_count_missing_and_extra_mentions():
    scene = {
        "objects": [
            {"color": "red", "shape": "circle", "size": "large", "position": "top left"},
            {"color": "blue", "shape": "square", "size": "small", "position": "centre"},
        ]
    }
    missing = captioning.attribute_scores(["a red disc"], [scene])
    assert (missing.correct.sum(), missing.checked.sum()) == (2, 4)
    extra = captioning.attribute_scores(
        ["a red circle and a blue square and a big green cross"], [scene]
    )
    assert (extra.correct.sum(), extra.checked.sum()) == (4, 7)


def test_parse_caption_reads_synonyms_and_two_word_positions():
    mentions = captioning.parse_caption(
        "we see a little violet rhombus in the upper left and a plus at the bottom"
    )
    assert mentions == [
        {"size": "small", "color": "purple", "shape": "diamond", "position": "top left"},
        {"shape": "cross", "position": "bottom"},
    ]


def test_exercise_scene_gives_the_published_accuracy():
    from crossmodal_helpers.exercises import ch11

    scene = {"objects": list(ch11.SCENE_OBJECTS)}
    assert captioning.attribute_scores([ch11.GENERATED], [scene]).accuracy == 5 / 8


def test_bleu_is_one_for_a_reference_and_lower_for_a_wrong_caption():
    references = [["a red circle on the left", "there is a red disc"]]
    assert captioning.bleu(["a red circle on the left"], references)["bleu4"] == pytest.approx(1)
    scores = captioning.bleu(["a blue square"], references)
    assert scores["bleu1"] < 1 and scores["bleu4"] < scores["bleu1"]


def test_word_f1_counts_shared_words_once_and_ignores_order():
    scores = captioning.word_f1(
        ["grinning face", "face face", "cat", ""], ["face grinning", "face with tears", "dog", "x"]
    )
    np.testing.assert_allclose(scores, [1.0, 2 * 1 / 5, 0.0, 0.0])


def test_nearest_captions_take_the_most_similar_item():
    gallery = np.array([[1.0, 0.0], [0.0, 1.0]])
    got = captioning.nearest_captions(np.array([[0.1, 2.0], [3.0, 0.2]]), gallery, ["a", "b"])
    assert got == ["b", "a"]


def test_paired_bootstrap_of_identical_systems_is_zero(scenes):
    scores = captioning.attribute_scores(scenes.texts, list(scenes.meta["scene"]))
    diffs = captioning.paired_bootstrap(scores, scores, n_resamples=50)
    assert diffs.shape == (50,) and np.all(diffs == 0)


# --------------------------------------------------------------------------- input checks


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: captioning.build_vocabulary("a red circle"), TypeError, "single str"),
        (lambda: captioning.build_vocabulary([]), ValueError, "at least one"),
        (lambda: captioning.build_vocabulary(["a"], min_count=0), ValueError, "min_count"),
        (lambda: captioning.word_f1(["a"], ["a", "b"]), ValueError, "one str per"),
        (lambda: captioning.word_f1("a", ["a"]), TypeError, "hypotheses"),
        (lambda: captioning.encode_captions(CAPTIONS, ["a", "b"], 9), ValueError, "special"),
        (lambda: captioning.encode_captions(CAPTIONS, None, 9), TypeError, "vocabulary"),
        (lambda: captioning.decode_ids([1, 2], list(captioning.SPECIALS)), ValueError, "2-D"),
        (lambda: captioning.causal_mask(0), ValueError, "length"),
        (lambda: captioning.teacher_forcing_pairs(np.ones(3, int)), ValueError, "2-D"),
        (lambda: captioning.Captioner(3, 10), ValueError, "vocab_size"),
        (lambda: captioning.CaptionDecoderBlock(10, 3), ValueError, "divisible"),
        (lambda: captioning.greedy_decode("model", np.zeros((1, 8, 8, 3))), TypeError, "Captioner"),
        (lambda: captioning.reference_captions("scene"), TypeError, "scene"),
        (lambda: captioning.canonical_caption({}), TypeError, "scene"),
        (lambda: captioning.bleu(["a"], [["a"], ["b"]]), ValueError, "one list"),
        (lambda: captioning.parse_caption(3), TypeError, "caption"),
        (lambda: captioning.attribute_scores(["a"], []), ValueError, "one scene"),
        (
            lambda: captioning.nearest_captions(np.ones((1, 2)), np.ones((2, 3)), ["a", "b"]),
            ValueError,
            "same width",
        ),
        (lambda: captioning.paired_bootstrap(1, 2), TypeError, "AttributeScores"),
        (
            lambda: captioning.caption_log_probability(None, np.zeros((1, 8, 8, 3)), [[1]]),
            TypeError,
            "Captioner",
        ),
    ],
)
def test_bad_inputs_get_clear_errors(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_decoders_check_their_arguments(small_model, scenes):
    model, _ = small_model
    with pytest.raises(ValueError, match="images"):
        captioning.greedy_decode(model, scenes.images[0])
    with pytest.raises(ValueError, match="beam_width"):
        captioning.beam_search(model, scenes.images[:1], beam_width=0)
    with pytest.raises(ValueError, match="max_length"):
        captioning.beam_search(model, scenes.images[:1], max_length=99)
