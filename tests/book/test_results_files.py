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


def test_joint_fusion_gain_holds_beyond_the_bootstrap_interval_and_for_every_seed():
    """Chapter 4.7: the joint gain over the better single model at the noisy setting is
    outside the test-set noise, and every training seed of the joint model keeps it."""
    recorded = _load("04_fusion")["results"]
    assert recorded["joint_gain_low"] > 0
    assert recorded["joint_seeds_gain_min"] >= 0.05


def test_text_model_fails_on_arithmetic_and_the_modalities_fail_on_different_pairs():
    """Chapter 4.3: the text model reads every kind but arithmetic; few pairs defeat both."""
    recorded = _load("04_fusion")["results"]
    assert recorded["text_clean_other_kinds_min"] > recorded["text_clean_arithmetic"] + 0.1
    fewest = min(recorded["clean_errors_image"], recorded["clean_errors_text"])
    assert recorded["clean_errors_both"] < fewest / 4


def test_learned_late_fusion_weights_soften_both_models():
    """Chapter 4.5: both learned weights are below 1."""
    recorded = _load("04_fusion")["results"]
    assert recorded["late_w_image"] < 1 and recorded["late_w_text"] < 1


def test_the_oracle_is_close_to_the_independence_formula():
    """Chapter 4.7: with independent noise, the counted oracle is close to 1 - (1-a)(1-b)."""
    recorded = _load("04_fusion")["results"]
    assert abs(recorded["oracle_noisy"] - recorded["independent_oracle_noisy"]) < 0.02


def test_the_joint_gain_peaks_where_both_modalities_are_damaged():
    """Chapter 4.7, lesson 1 and the right panel of the noise-sweep figure."""
    recorded = _load("04_fusion")["results"]
    assert recorded["joint_gain_peak_level"] > 0 and recorded["joint_gain_peak_rate"] > 0
    assert recorded["joint_gain_clean_edges_points"] < recorded["joint_gain_peak_points"] / 2


def test_fusion_helps_even_when_both_modalities_are_clean():
    """Chapter 4.7, lesson 1: a clean modality does not make the other useless."""
    recorded = _load("04_fusion")["results"]
    assert recorded["clean_late_gain_low"] > 0
    assert recorded["clean_joint_gain_mean"] > 0


def test_a_destroyed_image_drags_joint_fusion_below_the_clean_text():
    """Chapter 4.7, lesson 1: image at level 1, clean text: joint fusion < text alone."""
    recorded = _load("04_fusion")["results"]
    assert recorded["corner_joint_minus_text_high"] < 0


def test_late_fusion_is_hard_to_beat_on_independent_evidence():
    """Chapter 4.7, lesson 2: no joint model, of any seed, gains over late fusion on average
    over the grid by more than a point."""
    recorded = _load("04_fusion")["results"]
    best_joint = max(
        recorded["concat_grid_mean"], recorded["gated_grid_mean"], recorded["joint_seeds_grid_max"]
    )
    assert recorded["late_grid_mean"] >= best_joint - 0.01


def test_early_fusion_gains_over_its_pixel_control_but_drowns_clean_text():
    """Chapter 4.7, lesson 3: the control separates fusion from architecture."""
    recorded = _load("04_fusion")["results"]
    assert recorded["early_minus_control_low"] > 0
    assert recorded["cnn_minus_control_low"] > 0
    assert recorded["early_clean_text"] < recorded["text_clean_text"] - 0.1


def test_the_gate_moves_towards_the_intact_modality():
    """Chapter 4.7, the gate figure: noisier image -> lower gate; masked text -> higher."""
    recorded = _load("04_fusion")["results"]
    assert recorded["gate_image_destroyed"] < recorded["gate_clean"] < recorded["gate_text_masked"]


def test_late_agreement_detects_mismatches_and_beats_the_joint_head():
    """Chapter 4.8: combining two single-modality models detects mismatched pairs."""
    recorded = _load("04_fusion")["results"]
    for key in ("match_top_agree_accuracy", "match_agreement_accuracy", "match_accuracy"):
        assert recorded[key] >= recorded["match_majority"] + 0.3, key
    assert recorded["agreement_minus_joint_low"] > 0


def test_modality_dropout_rescues_a_missing_image_at_little_cost():
    """Chapter 4.9 (means over three seeds): a blank image hurts more than a blank text;
    modality dropout fixes it for every seed, at little cost with both modalities."""
    recorded = _load("04_fusion")["results"]
    assert recorded["image_missing_without_dropout"] < recorded["text_missing_without_dropout"]
    assert recorded["dropout_gain_image_missing_low"] > 0
    assert recorded["dropout_gain_image_missing_seed_min"] > 0
    assert recorded["dropout_gain_both_low"] > -0.02


def test_training_on_masked_text_helps_when_every_word_is_masked():
    """Chapter 4.9: joint models trained on masked text cope better with fully masked
    descriptions than clean-trained ones, for every pair of seeds."""
    recorded = _load("04_fusion")["results"]
    assert recorded["noisy_minus_clean_trained_masked_low"] > 0
    assert recorded["noisy_minus_clean_trained_masked_seed_min"] > 0


def test_joint_fusion_beats_the_better_single_modality_on_shapes_scenes():
    """Chapter 4.10: over all test scenes the joint model gains on the better single one."""
    recorded = _load("04_fusion")["results"]
    assert recorded["scene_joint_gain_low"] > 0


def test_shared_code_probe_is_at_least_as_good_as_the_image_only_code():
    recorded = _load("05_autoencoders")["results"]
    assert recorded["probe_accuracy_shared"] >= recorded["probe_accuracy_image_only"]


def test_the_scale_enlarges_the_softmax_jacobian_but_shrinks_the_query_gradient():
    """Chapter 6.3: the scaled softmax is less saturated, yet q and k get less gradient."""
    recorded = _load("06_attention")["results"]
    assert recorded["scale_jacobian_ratio_256"] > 1
    assert recorded["scale_query_gradient_ratio_256"] < 1


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
