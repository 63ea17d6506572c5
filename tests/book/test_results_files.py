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


def test_emoji_retrieval_is_at_least_five_times_chance():
    """Chapter 8.7: the mean Recall@10 over the seeds clears five times chance."""
    recorded = _load("08_retrieval")["results"]
    ratio = recorded["emoji_t2i_r10"] / recorded["emoji_chance_r10"]
    assert ratio >= 5, f"emoji text-to-image Recall@10 is only {ratio:.1f} times chance"


def test_the_learned_temperature_falls_below_its_start():
    """Chapter 8.4: the model lowers its temperature from 0.07."""
    assert _load("08_retrieval")["results"]["final_temperature"] < 0.07


def test_scene_similarity_grows_with_how_much_of_the_caption_a_scene_satisfies():
    """Chapter 8.5: full match > some mention satisfied > none, in mean cosine."""
    r = _load("08_retrieval")["results"]
    assert r["cosine_full"] > r["cosine_partial"] > r["cosine_none"]


def test_dual_encoder_beats_cca_on_the_scenes_in_both_directions_over_seeds():
    """Chapter 8.6: the bootstrap interval (seeds and queries) of dual − CCA lies above 0."""
    r = _load("08_retrieval")["results"]
    for direction in ("t2i", "i2t"):
        assert r[f"shapes_{direction}_dual_minus_cca_low"] > 0, direction


def test_dual_encoder_does_not_beat_cca_on_the_emoji():
    """Chapters 8.7, 10.4: on a thousand emoji the interval of dual − CCA is not above 0."""
    r = _load("08_retrieval")["results"]
    for direction in ("t2i", "i2t"):
        assert r[f"emoji_{direction}_dual_minus_cca_low"] <= 0, direction
        assert (
            r[f"emoji_{direction}_dual_minus_cca_low"] < r[f"emoji_{direction}_dual_minus_cca_high"]
        )


def test_emoji_training_loss_keeps_falling_after_the_best_epoch():
    """Chapter 8.7: after the best validation epoch the training loss keeps falling, and
    the best epoch differs from seed to seed."""
    r = _load("08_retrieval")["results"]
    assert r["emoji_loss_falls_after_best"] == 1
    assert r["emoji_best_epoch_min"] < r["emoji_best_epoch_max"]


def test_matching_emoji_pairs_are_closer_than_random_but_far_from_identical():
    """Chapter 8.8: pair cosine above a random name's, yet far from 1."""
    r = _load("08_retrieval")["results"]
    assert r["emoji_cross_cosine"] < r["emoji_pair_cosine"] < 0.5


def test_emoji_neighbours_share_their_group_more_often_than_chance():
    """Chapter 8.8: the shared space is organised by meaning across modalities."""
    r = _load("08_retrieval")["results"]
    assert r["emoji_same_group_neighbours"] > 1.5 * r["emoji_same_group_chance"]


def test_single_object_captions_are_the_easiest_and_shape_is_the_commonest_single_cause():
    """Chapter 8.9: Recall@1 by number of objects; causes of the wrong top scenes."""
    r = _load("08_retrieval")["results"]
    assert r["r1_one_object"] > max(r["r1_two_object"], r["r1_three_object"])
    assert r["errors_shape"] > max(r["errors_color"], r["errors_position"], r["errors_size"])
    assert r["near_misses"] > 0.4, "the prose says many wrong answers are near misses"


def test_wrong_emoji_retrievals_come_from_the_querys_group_more_often_than_chance():
    """Chapter 8.9: the model confuses emoji of the same kind."""
    r = _load("08_retrieval")["results"]
    assert r["emoji_wrong_same_group"] > 1.5 * r["emoji_wrong_same_group_chance"]


def test_zero_shot_beats_chance_and_its_errors_concentrate_on_one_answer():
    """Chapter 8.10: scenes above chance, errors uneven; emoji groups above the majority."""
    r = _load("08_retrieval")["results"]
    assert r["zero_shot_accuracy"] > 2 * r["zero_shot_chance"]
    assert r["zero_shot_top_wrong_share"] > 0.35
    assert r["emoji_zero_shot"] > r["emoji_majority"]


def test_fused_report_classifier_beats_both_single_modalities_beyond_noise():
    """Chapter 9.2: fused > image and text; the paired gain exceeds three standard errors."""
    r = _load("09_case_study")["results"]
    fused = r["report_classification_accuracy_fused"]
    assert fused > r["report_classification_accuracy_image"]
    assert fused > r["report_classification_accuracy_text"]
    assert r["report_fused_gain"] > 3 * r["report_fused_gain_se"]


def test_each_single_model_does_worst_where_its_witness_is_degraded():
    """Chapter 9.2 (figure): each single model drops on its bad half, stays above chance
    there, and the fused model stays close to the intact witness on both halves."""
    r = _load("09_case_study")["results"]
    assert r["accuracy_image_image_bad"] < r["accuracy_image_text_bad"]
    assert r["accuracy_text_text_bad"] < r["accuracy_text_image_bad"]
    assert min(r["accuracy_image_image_bad"], r["accuracy_text_text_bad"]) > 0.2
    assert r["accuracy_fused_image_bad"] >= r["accuracy_text_image_bad"] - 0.05
    assert r["accuracy_fused_text_bad"] >= r["accuracy_image_text_bad"] - 0.05


def test_bag_of_words_is_worse_on_captions_of_several_objects():
    """Chapter 9.2: with an intact caption, one object is easier than several."""
    r = _load("09_case_study")["results"]
    assert r["text_intact_accuracy_one_object"] > r["text_intact_accuracy_several_object"]


def test_grounding_beats_pointing_at_a_random_object():
    """Chapter 9.3: the localiser against the random-object baseline."""
    r = _load("09_case_study")["results"]
    assert r["grounding_accuracy"] > r["grounding_random_object"] + 0.2


def test_no_caption_states_an_order_that_betrays_a_fake():
    """Chapter 9.4: no true or fake caption states positions out of reading order."""
    assert _load("09_case_study")["results"]["impossible_order_captions"] == 0


def test_single_modality_detectors_guess_and_the_modular_checker_beats_joint_fusion():
    """Chapter 9.4: text-only and image-only accuracy within 0.05 of 50%; the modular
    checker far above joint fusion."""
    r = _load("09_case_study")["results"]
    for name in ("text_only", "image_only"):
        assert abs(r[f"detection_accuracy_{name}"] - 0.5) < 0.05, name
    assert r["detection_accuracy_crossmodal"] > r["detection_accuracy_joint"] + 0.2
    assert r["inconsistency_f1_crossmodal"] > r["inconsistency_f1_joint"]


def test_misaligned_training_pairs_hurt_retrieval_and_filtering_recovers_some():
    """Chapter 10.2-10.3: Recall@1 falls from p = 0 to 0.25 to 0.5 and below, with
    separated intervals there; filtering helps at p = 0.5 and costs on clean data."""
    recorded = _load("10_challenges")["results"]
    r1 = {p: recorded[f"misaligned_{p}_t2i_r1"] for p in (0, 25, 50, 75, 90)}
    assert r1[0] > r1[25] > r1[50] > max(r1[75], r1[90]), f"Recall@1 does not fall: {r1}"
    assert recorded["misaligned_r1_separated_steps"] >= 2
    assert recorded["filtered_50_t2i_r1"] > recorded["misaligned_50_t2i_r1"]
    assert recorded["filtered_50_change_low"] > 0
    assert recorded["filtered_0_t2i_r1"] < recorded["misaligned_0_t2i_r1"]
    assert recorded["filtered_0_change_high"] < 0


def test_the_smaller_clean_model_of_chapter_10_is_weaker_than_chapter_8s():
    """Chapter 10.2: fewer scenes and epochs, so the clean model is weaker than chapter 8's."""
    clean = _load("10_challenges")["results"]["misaligned_0_t2i_r1"]
    assert clean < _load("08_retrieval")["results"]["shapes_t2i_r1"]


def test_a_quarter_misaligned_costs_most_of_recall_at_1_and_less_of_recall_at_10():
    """Chapters 10.2 and 10.7: "most of its Recall@1"; Recall@10 falls more gently."""
    recorded = _load("10_challenges")["results"]
    assert recorded["r1_kept_25"] < 0.5
    assert recorded["r10_kept_25"] > recorded["r1_kept_25"]


def test_recall_peaks_early_then_falls_when_pairs_are_misaligned():
    """Chapter 10.2 (figure): at p = 0.5 and 0.25 Recall@1 peaks and then falls."""
    recorded = _load("10_challenges")["results"]
    assert recorded["peak_epoch_50"] < 12
    assert recorded["peak_r1_50"] > recorded["misaligned_50_t2i_r1"]
    assert recorded["peak_r1_25"] > recorded["misaligned_25_t2i_r1"]


def test_early_scores_find_misaligned_pairs_better_than_final_ones():
    """Chapter 10.3: early AUC > final AUC; less signal at p = 0.9; the filter enriches."""
    recorded = _load("10_challenges")["results"]
    assert recorded["misaligned_50_detection_auc"] > recorded["auc_50_final"]
    assert recorded["auc_90_early"] < recorded["misaligned_50_detection_auc"]
    assert recorded["kept_aligned_50"] > 0.5
    assert recorded["kept_share_0"] < 1
    assert recorded["score_separation_50"] > recorded["score_separation_0"]


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


def test_averaged_replica_gradients_equal_the_large_batch_gradient():
    """Appendix A.3: the gap is rounding error."""
    assert _load("appendix_scaling")["results"]["gradient_gap_relative"] < 1e-4


def test_keras_fit_averages_uneven_replica_shares_without_weighting():
    """Appendix A.1/A.3: Keras 3's fit takes the plain average of the replicas' means."""
    r = _load("appendix_scaling")["results"]
    assert abs(r["uneven_fit_weight"] - r["uneven_plain_weight"]) < 1e-5
    assert abs(r["uneven_fit_weight"] - r["uneven_weighted_weight"]) > 1e-3


def test_default_and_mirrored_runs_reach_similar_accuracy():
    """Appendix A.3: same algorithm, so the two accuracies are close."""
    assert _load("appendix_scaling")["results"]["accuracy_gap"] < 0.03
