"""Each executed chapter left its results file, and the results meet the book's floors."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(os.environ.get("CROSSMODAL_RESULTS_DIR", ROOT / "_build" / "results"))
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

#: Quality floors per chapter: key -> minimum value.
FLOORS = {
    "01_crossmodal_data": {"softmax_test_accuracy": 0.90},
    "02_text_mining": {"best_classical_accuracy": 0.74, "tagger_macro_f1": 0.95},
    "03_image_recognition": {"cnn_accuracy": 0.97, "hog_svm_accuracy": 0.95},
    "05_autoencoders": {"text_to_image_cnn_accuracy": 0.80},
    "06_attention": {"pointing_accuracy": 0.80},
    "07_gans": {"cgan_requested_digit_accuracy": 0.80},
    "08_retrieval": {"shapes_t2i_r1": 0.50},
    "09_case_study": {"inconsistency_f1_crossmodal": 0.85, "entity_f1": 0.95},
    "10_challenges": {"misaligned_0_t2i_r1": 0.45, "misaligned_50_detection_auc": 0.85},
}


def _load(stem: str) -> dict:
    path = RESULTS / f"{stem}.json"
    if not path.exists():
        pytest.fail(f"{path} is missing: the chapter did not run to its end")
    return json.loads(path.read_text())


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_results_file_is_complete(notebook):
    data = _load(notebook.stem)
    assert set(data) == {"wall_seconds", "results"}
    assert data["wall_seconds"] > 0
    assert data["results"], "a chapter records at least one key result"
    for key, value in data["results"].items():
        assert isinstance(value, str) or math.isfinite(value), key


@pytest.mark.parametrize(("stem", "floors"), sorted(FLOORS.items()))
def test_floors_hold(stem, floors):
    recorded = _load(stem)["results"]
    for key, floor in floors.items():
        assert key in recorded, f"{stem} did not record {key}"
        assert recorded[key] >= floor, f"{stem}: {key} = {recorded[key]} < floor {floor}"


def test_results_page_shows_every_chapter():
    page = (ROOT / "_build" / "html" / "book" / "results.html").read_text(encoding="utf-8")
    for notebook in NOTEBOOKS:
        assert notebook.stem in page, f"{notebook.stem} missing from the results page"


def test_keras_text_classifier_is_within_three_points_of_the_best_classical_model():
    recorded = _load("02_text_mining")["results"]
    gap = recorded["best_classical_accuracy"] - recorded["keras_accuracy"]
    assert gap <= 0.03, f"the Keras model is {gap:.3f} below the best classical model"


def test_joint_fusion_beats_the_better_single_modality_by_five_points():
    recorded = _load("04_fusion")["results"]
    single = max(recorded["image_only_accuracy_noisy"], recorded["text_only_accuracy_noisy"])
    assert single < 0.90, f"the noisy setting is too easy: best single modality {single:.3f}"
    margin = recorded["joint_fusion_accuracy_noisy"] - single
    assert margin >= 0.05, f"joint fusion is only {margin:.3f} above the best single modality"


def test_shared_code_probe_is_at_least_as_good_as_the_image_only_code():
    recorded = _load("05_autoencoders")["results"]
    assert recorded["probe_accuracy_shared"] >= recorded["probe_accuracy_image_only"]


def test_the_scale_enlarges_the_softmax_jacobian_but_shrinks_the_query_gradient():
    """Chapter 6.3: the scaled softmax is less saturated, yet q and k get less gradient."""
    recorded = _load("06_attention")["results"]
    assert recorded["scale_jacobian_ratio_256"] > 1
    assert recorded["scale_query_gradient_ratio_256"] < 1


def test_unscaled_scores_spread_and_saturate_the_softmax_while_scaled_ones_do_not():
    """Chapter 6.3 and fig-scale: unscaled scores spread as sqrt(d_k) (16 at d_k = 256) and
    the softmax becomes nearly one-hot, with entropy towards 0 and a vanishing Jacobian;
    the scaled scores keep unit spread and the weights stay soft."""
    recorded = _load("06_attention")["results"]
    assert abs(recorded["scale_score_sd_256_unscaled"] / 16 - 1) < 0.1
    assert abs(recorded["scale_score_sd_256_scaled"] - 1) < 0.1
    assert recorded["scale_max_weight_256_unscaled"] > 0.85, "not nearly one-hot"
    assert recorded["scale_max_weight_256_scaled"] < 0.5
    assert recorded["scale_entropy_512_unscaled"] < 0.5 < recorded["scale_entropy_512_scaled"]
    assert recorded["scale_jacobian_512_unscaled"] < recorded["scale_jacobian_1_unscaled"] / 2


def test_transformer_does_not_beat_averaged_embeddings_beyond_the_noise():
    """Chapter 6.6: with equal budgets and three seeds, the paired bootstrap interval of
    (Transformer - averaged embeddings) does not lie above 0: attention buys no accuracy."""
    recorded = _load("06_attention")["results"]
    low, high = recorded["text_difference_low"], recorded["text_difference_high"]
    assert low <= recorded["text_difference"] <= high
    assert low <= 0, f"the Transformer is better beyond the noise: interval {low:+.3f}..{high:+.3f}"


def test_transformer_and_averaged_embeddings_have_about_the_same_parameters():
    """Chapter 6.6: "the two models have about the same number of parameters"."""
    recorded = _load("06_attention")["results"]
    ratio = recorded["transformer_parameters"] / recorded["averaged_parameters"]
    assert 0.95 < ratio < 1.05, f"parameter ratio {ratio:.3f}"


def test_transformer_peaks_on_validation_before_averaged_embeddings():
    """Chapter 6.6 and fig-text-curves: in every seed the Transformer's validation accuracy
    peaks earlier than the averaged-embedding model's does in any seed."""
    recorded = _load("06_attention")["results"]
    assert recorded["transformer_best_epoch_max"] < recorded["averaged_best_epoch_min"]


def test_transformer_training_accuracy_keeps_rising_after_its_best_epoch():
    """Chapter 6.6: after its best validation epoch the Transformer's training accuracy
    keeps rising (it starts to overfit), in every seed."""
    recorded = _load("06_attention")["results"]
    assert recorded["transformer_train_gain_after_best_min"] > 0


def test_trained_self_attention_stays_flat():
    """Chapter 6.6 and fig-self-attention: "the maps are flat" — in every seed, the rows'
    entropy is on average at least 99 % of the entropy of uniform attention."""
    recorded = _load("06_attention")["results"]
    assert recorded["self_attention_uniformity_min"] >= 0.99


def test_untrained_pointing_lies_between_random_patch_and_random_object():
    """Chapter 6.8: the untrained model points better than a random patch, worse than a
    random object, and lands on some object more often than a random patch does."""
    recorded = _load("06_attention")["results"]
    assert (
        recorded["random_patch_pointing"]
        < recorded["untrained_pointing"]
        < recorded["random_object_pointing"]
    )
    assert recorded["untrained_on_object"] > recorded["random_patch_on_object"]


def test_pointing_beats_the_random_object_baseline_for_every_word():
    """Chapter 6.8: trained attention points into the named object far more often than a
    pointer that picks one of the scene's objects at random, for every shape word."""
    recorded = _load("06_attention")["results"]
    assert recorded["pointing_accuracy"] > recorded["random_object_pointing"] + 0.2
    assert recorded["pointing_worst_word"] > recorded["random_object_pointing"]


def test_grounding_emerges_during_training():
    """Chapter 6.8 and fig-pointing-curve: validation pointing rises from its untrained value."""
    recorded = _load("06_attention")["results"]
    assert recorded["val_pointing_final"] > recorded["val_pointing_untrained"] + 0.2


def test_answers_are_right_more_often_when_attention_hits():
    """Chapter 6.8: "attention and answers go together" — answer accuracy is higher on the
    questions whose attention peak hits the named object than on those whose peak misses."""
    recorded = _load("06_attention")["results"]
    assert recorded["n_misses"] > 0, "no misses: the paragraph about them does not apply"
    assert recorded["answer_accuracy_hits"] > recorded["answer_accuracy_misses"]


def test_emoji_retrieval_is_at_least_five_times_chance():
    recorded = _load("08_retrieval")["results"]
    ratio = recorded["emoji_t2i_r10"] / recorded["emoji_chance_r10"]
    assert ratio >= 5, f"emoji text-to-image Recall@10 is only {ratio:.1f} times chance"


def test_misaligned_training_pairs_hurt_retrieval_and_filtering_recovers_some():
    recorded = _load("10_challenges")["results"]
    r1 = [recorded[f"misaligned_{p}_t2i_r1"] for p in (0, 25, 50, 75, 90)]
    assert r1 == sorted(r1, reverse=True), f"Recall@1 does not fall with misalignment: {r1}"
    assert r1[-1] < r1[0]
    assert recorded["filtered_50_t2i_r1"] > recorded["misaligned_50_t2i_r1"]


def test_choice_table_covers_every_model_of_every_chapter():
    from crossmodal_helpers import challenges

    recorded = _load("10_challenges")["results"]
    assert recorded["choice_table_chapters_missing"] == 0
    assert recorded["choice_table_rows"] == len(challenges.MODEL_ROWS)


def test_instructor_guide_shows_every_chapters_wall_time():
    page = (ROOT / "_build" / "html" / "book" / "for_instructors.html").read_text(encoding="utf-8")
    for notebook in NOTEBOOKS:
        seconds = _load(notebook.stem)["wall_seconds"]
        assert f"{seconds:.1f}" in page, f"{notebook.stem}'s wall time missing from the guide"
    assert "whole book" in page
