"""Each executed chapter left its results file, tied to the run its page shows; the results
page, the timings table and chapter 10's model table show those files value by value; and
the results meet the book's floors."""

from __future__ import annotations

import ast
import json
import math
import os
from pathlib import Path
from typing import Any

import cache_guard  # scripts/, put on the path by conftest.py
import pytest
from bs4 import BeautifulSoup

from crossmodal_helpers import challenges

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(os.environ.get("CROSSMODAL_RESULTS_DIR") or ROOT / "_build" / "results")
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
HTML = ROOT / "_build" / "html"

#: Quality floors per chapter: key -> minimum value.
FLOORS = {
    "01_crossmodal_data": {"softmax_test_accuracy": 0.90},
    "02_text_mining": {"best_classical_accuracy": 0.74, "tagger_macro_f1": 0.95},
    "03_image_recognition": {"cnn_accuracy": 0.97, "hog_svm_accuracy": 0.95},
    "05_autoencoders": {
        "text_to_image_cnn_accuracy": 0.80,
        "cvae_requested_digit_accuracy": 0.80,
    },
    "06_attention": {"pointing_accuracy": 0.80},
    "07_gans": {"cgan_requested_digit_accuracy": 0.80},
    "08_retrieval": {"shapes_t2i_r1": 0.50},
    "09_case_study": {
        "inconsistency_f1_crossmodal": 0.85,
        "entity_f1": 0.95,
        "entity_category_accuracy_image": 0.5,
        "entity_category_accuracy_name": 0.5,
        "entity_category_accuracy_fused": 0.65,
        "mismatch_auc_easy": 0.7,
    },
    "10_challenges": {"misaligned_0_t2i_r1": 0.45, "misaligned_50_detection_auc": 0.85},
    "11_captioning": {"greedy_attribute_accuracy": 0.85},
    "12_vqa": {"vqa_best_accuracy": 0.80, "cell_colour_accuracy": 0.95},
    "13_pretraining": {"finetuned_accuracy_2": 0.55},
}


def _load(stem: str) -> dict:
    path = RESULTS / f"{stem}.json"
    if not path.exists():
        pytest.fail(f"{path} is missing: the chapter did not run to its end")
    return json.loads(path.read_text())


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_results_file_is_complete(notebook):
    data = _load(notebook.stem)
    assert (
        {"run", "wall_seconds", "results"}
        <= set(data)
        <= {"run", "wall_seconds", "results", "inputs"}
    )
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


def test_every_results_file_is_the_record_of_the_run_its_page_shows():
    """The files are those of the executions in the book's cache, the ones its pages show:
    a file from a reader's run, a benchmark or a renamed chapter fails here."""
    from jupyter_cache import get_cache

    assert cache_guard.mismatches(get_cache(cache_guard.CACHE)) == []


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_chapter_page_ends_with_the_record_of_its_results_file(notebook):
    """The last output of a chapter's page (``results.summary()``) shows exactly the wall
    seconds and results of the chapter's file."""
    outputs = _page(f"notebooks/{notebook.stem}.html").select("div.cell_output")
    assert outputs, f"{notebook.stem}: the page shows no outputs"
    shown = ast.literal_eval(outputs[-1].find("pre").get_text())
    data = _load(notebook.stem)
    assert shown == {
        "chapter": notebook.stem,
        "wall_seconds": data["wall_seconds"],
        "results": data["results"],
    }


def _page(path: str) -> BeautifulSoup:
    page = HTML / path
    if not page.is_file():
        pytest.fail(f"{page} is missing: run `make book` first")
    return BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")


def _assert_shown(shown: str, value: Any, what: str, *, decimals: int | None = None) -> None:
    """``shown`` is ``value`` as the page rounds it: 4 significant digits, or ``decimals``."""
    if isinstance(value, str):
        assert shown == value, what
    elif isinstance(value, int) and decimals is None:
        assert int(shown.replace(",", "")) == value, f"{what}: {shown} != {value}"
    else:
        slack = 0.5 * 10.0**-decimals if decimals is not None else 5e-4 * abs(value)
        number = float(shown.replace(",", ""))
        assert abs(number - value) <= slack + 1e-9, f"{what}: the page shows {shown}, file {value}"


def _table_rows(soup: BeautifulSoup) -> dict[str, list[Any]]:
    tables = soup.select("table.results-table")
    assert len(tables) == 1, "the page has one results table"
    return {
        tr.find("td").get_text(strip=True): tr.find_all("td") for tr in tables[0].select("tbody tr")
    }


def test_results_page_shows_every_result_of_every_file_value_by_value():
    rows = _table_rows(_page("book/results.html"))
    assert sorted(rows) == [nb.stem for nb in NOTEBOOKS]
    for stem, (_, seconds, results_cell) in rows.items():
        data = _load(stem)
        _assert_shown(seconds.get_text(strip=True), data["wall_seconds"], stem, decimals=1)
        shown = {
            span.select_one(".result-key").get_text(): span.select_one(".result-value").get_text()
            for span in results_cell.select("span.result")
        }
        assert sorted(shown) == sorted(data["results"]), f"{stem}: keys differ from its file"
        for key, value in data["results"].items():
            _assert_shown(shown[key], value, f"{stem}: {key}")


def test_timings_table_shows_every_files_wall_seconds():
    rows = _table_rows(_page("book/for_instructors.html"))
    total = rows.pop("whole book")
    assert sorted(rows) == [nb.stem for nb in NOTEBOOKS]
    for stem, (_, seconds, _verdict) in rows.items():
        _assert_shown(seconds.get_text(strip=True), _load(stem)["wall_seconds"], stem, decimals=1)
    book = sum(_load(nb.stem)["wall_seconds"] for nb in NOTEBOOKS)
    _assert_shown(total[1].get_text(strip=True), book, "whole book", decimals=1)


def test_chapter_10_model_table_shows_the_results_files_value_by_value():
    """Chapter 10's table was computed when chapter 10 ran; it must still show the numbers
    of the files (and so of the pages) of the chapters it quotes."""
    soup = _page("notebooks/10_challenges.html")
    tables = [
        table
        for table in soup.select("table.dataframe")
        if "quality" in [th.get_text(strip=True) for th in table.select("thead th")]
    ]
    assert len(tables) == 1, "chapter 10 shows one model table"
    shown = [
        [cell.get_text(strip=True) for cell in tr.find_all("td")]
        for tr in tables[0].select("tbody tr")
    ]
    assert len(shown) == len(challenges.MODEL_ROWS)
    for row, (stem, task, model, metric, quality, seconds, parameters) in zip(
        challenges.MODEL_ROWS, shown, strict=True
    ):
        assert (stem, task, model, metric) == (row.stem, row.task, row.model, row.metric)
        recorded = _load(stem)["results"]
        for cell, key, decimals in (
            (quality, row.quality_key, 3),
            (seconds, row.seconds_key, 1),
            (parameters, row.parameters_key, None),
        ):
            if key not in recorded:
                assert cell == "—", f"{stem}: {key} is not recorded, the table shows {cell}"
            else:
                _assert_shown(cell, recorded[key], f"{stem}: {key}", decimals=decimals)


def test_a_random_split_leaks_most_movies_and_the_grouped_split_none():
    """Chapter 1.5: most test snippets of a random split are about a training movie; the
    loader's grouped split shares no movie."""
    recorded = _load("01_crossmodal_data")["results"]
    assert recorded["random_split_shared"] > 0.5
    assert recorded["grouped_split_shared_movies"] == 0


def test_softmax_regression_neither_under_nor_grossly_overfits():
    """Chapter 1.8: after 30 epochs training and validation accuracy differ by little."""
    recorded = _load("01_crossmodal_data")["results"]
    assert abs(recorded["softmax_train_minus_val_accuracy"]) < 0.05


def test_keras_text_classifier_is_within_three_points_of_the_best_classical_model():
    recorded = _load("02_text_mining")["results"]
    gap = recorded["best_classical_accuracy"] - recorded["keras_accuracy"]
    assert gap <= 0.03, f"the Keras model is {gap:.3f} below the best classical model"


def _ch02() -> dict:
    return _load("02_text_mining")["results"]


def test_removing_stop_words_gains_nothing_and_its_cost_is_within_noise():
    """Chapter 2.2: scikit-learn's list scores below no removal and below the book's list,
    neither list beats keeping every word, and the paired bootstrap interval of the cost of
    scikit-learn's list contains zero."""
    r = _ch02()
    assert r["stop_accuracy_sklearn"] < r["stop_accuracy_none"]
    assert r["stop_accuracy_sklearn"] < r["stop_accuracy_ours"]
    assert max(r["stop_accuracy_sklearn"], r["stop_accuracy_ours"]) <= r["stop_accuracy_none"]
    assert r["stop_cost_sklearn_low"] < 0 < r["stop_cost_sklearn_high"]


def test_bigrams_help_a_little_and_trigrams_add_nothing():
    """Chapter 2.2: unigrams + bigrams beat unigrams on the validation split; trigrams do not
    beat unigrams + bigrams."""
    r = _ch02()
    assert r["ngram_accuracy_1_to_2"] > r["ngram_accuracy_1_to_1"]
    assert r["bigram_gain_low"] > -0.005
    assert r["ngram_accuracy_1_to_3"] <= r["ngram_accuracy_1_to_2"]


def test_distinctive_terms_named_in_the_prose_are_in_the_figure():
    """Chapter 2.3: the words the prose quotes are among the fifteen most distinctive terms
    of their class, and fresh and rotten snippets are about equally long."""
    r = _ch02()
    fresh, rotten = (set(r[f"top_terms_{name}"].split(" | ")) for name in ("fresh", "rotten"))
    assert {"and", "of", "an", "with", "best", "entertaining", "performances", "funny"} <= fresh
    assert {"film"} <= fresh and "film" not in rotten
    assert {"too", "bad", "just", "so", "no", "only", "?", "movie"} <= rotten
    assert "movie" not in fresh
    assert abs(r["fresh_mean_tokens"] - r["rotten_mean_tokens"]) < 0.5


def test_naive_bayes_and_svm_are_close_and_the_tree_trails_far_behind():
    """Chapter 2.4: the NB-SVM gap in grouped CV is smaller than their fold spread; the tree
    is far below both; ungrouped folds rate the SVM higher; on test the two are within noise;
    the tree overfits."""
    r = _ch02()
    assert abs(r["nb_cv_mean"] - r["svm_cv_mean"]) < max(r["nb_cv_std"], r["svm_cv_std"])
    assert r["tree_cv_mean"] < min(r["nb_cv_mean"], r["svm_cv_mean"]) - 0.05
    assert r["svm_cv_leaky"] > r["svm_cv_mean"]
    assert r["svm_minus_nb_test_low"] < 0 < r["svm_minus_nb_test_high"]
    assert r["tree_train_accuracy"] > r["tree_test_accuracy"] + 0.05


def test_the_tagger_tags_unknown_words_by_their_position():
    """Chapter 2.2: the unknown words of the two novel captions get the tags their position
    implies (the prose glues the count; most must be right)."""
    r = _ch02()
    assert r["tagger_unknown_words_right"] >= 4


def test_keras_training_memorises_after_the_kept_epoch_and_ties_the_classical_model():
    """Chapter 2.4: early stopping fired before the 15 epochs, training accuracy kept rising
    after the kept epoch, and the paired interval of Keras minus classical contains zero."""
    r = _ch02()
    assert r["keras_kept_epoch"] < r["keras_epochs"] < 15
    assert r["keras_train_accuracy_gain_after_kept"] > 0
    assert r["keras_minus_classical_low"] < 0 < r["keras_minus_classical_high"]


def test_embeddings_organise_words_by_polarity():
    """Chapter 2.4: most listed neighbours share their word's polarity sign, and the first
    principal component of the embeddings correlates with the polarity."""
    r = _ch02()
    assert r["neighbours_same_polarity_share"] >= 0.75
    assert r["embedding_pc1_polarity_correlation"] >= 0.5


def test_both_models_recall_fresh_better_than_rotten():
    """Chapter 2.5: fresh snippets are found more reliably than rotten ones by both models."""
    r = _ch02()
    assert r["best_fresh_recall"] > r["best_rotten_recall"]
    assert r["keras_fresh_recall"] > r["keras_rotten_recall"]


def test_the_quoted_error_snippets_are_misclassified_by_both_models():
    """Chapter 2.5: the four snippets the error analysis quotes are among those both models
    get wrong."""
    assert _ch02()["quoted_errors_both_wrong"] == 4


def test_jieba_beats_greedy_matching_with_the_same_dictionary():
    """Chapter 2.2, word segmentation: with jieba's dictionary, forward maximum matching beats
    the 13-word dictionary, and jieba's most probable path beats greedy matching beyond the
    paired bootstrap interval over the hand-segmented sentences."""
    r = _ch02()
    assert r["segmentation_f1_jieba"] >= 0.85
    assert r["segmentation_f1_fmm_jieba_dictionary"] > r["segmentation_f1_fmm_small"]
    assert r["segmentation_f1_jieba"] > r["segmentation_f1_fmm_jieba_dictionary"]
    assert r["segmentation_jieba_minus_fmm_low"] > 0


def _ch03() -> dict:
    return _load("03_image_recognition")["results"]


def test_sift_matches_turned_and_shrunk_photos_where_brief_fails():
    """Chapter 3.3, keypoints: on each of five photos turned by 30 degrees and shrunk to
    75%, most SIFT matches are correct (checked against the known transform); BRIEF on the
    same keypoints finds almost none, a tenth of SIFT's correct matches at most."""
    recorded = _ch03()
    assert recorded["sift_correct_matches"] >= 300
    assert recorded["sift_correct_share_min"] >= 0.85
    for name in ("astronaut", "camera", "coffee", "chelsea", "rocket"):
        assert 10 * recorded[f"brief_correct_{name}"] <= recorded[f"sift_correct_{name}"], name


def test_reported_cnn_training_accuracy_stays_below_validation_accuracy():
    """Chapter 3.4, the training figure: measured on augmented images with dropout active
    and averaged over each epoch, the training accuracy is below the validation accuracy in
    every epoch."""
    assert _ch03()["cnn_train_minus_val_max"] < 0


def test_training_turns_several_first_layer_kernels_into_edge_detectors():
    """Chapter 3.4: more trained kernels than random starting kernels resemble an oriented
    derivative filter (|r| >= 0.6), at least three of the sixteen."""
    recorded = _ch03()
    trained, initial = recorded["edge_like_kernels_trained"], recorded["edge_like_kernels_initial"]
    assert trained >= max(3, 2 * initial + 1)


def test_ten_epochs_on_250_digits_make_the_cnn_look_hungrier_for_data_than_it_is():
    """Chapter 3.4, learning curve: 40 updates leave the 250-digit CNN far below the same CNN
    given the full model's 550 updates, and below HOG + SVM."""
    recorded = _ch03()
    assert recorded["lc_cnn_250_10_epochs"] < recorded["lc_cnn_250"] - 0.05
    assert recorded["lc_cnn_250_10_epochs"] < recorded["lc_svm_250"]


def test_with_equal_updates_the_cnn_leads_hog_svm_even_with_250_digits():
    """Chapter 3.4, learning curve: 'hand-made features win when data are scarce' does not
    show down to 250 digits; the CNN's lead there is beyond the bootstrap interval."""
    recorded = _ch03()
    assert recorded["lc_cnn_minus_svm_250_low"] > 0
    assert recorded["lc_cnn_all"] > recorded["lc_svm_all"]


def test_more_data_helps_both_and_the_svm_flattens_at_the_right_end():
    """Chapter 3.4, learning curve: both gain from 250 digits to all; from 2,000 to all the
    SVM moves by about the noise of 750 validation digits."""
    recorded = _ch03()
    assert recorded["lc_svm_all"] > recorded["lc_svm_250"]
    assert recorded["lc_cnn_all"] > recorded["lc_cnn_250"]
    assert abs(recorded["lc_svm_all"] - recorded["lc_svm_2000"]) <= 0.015


def test_neither_model_is_rotation_invariant_and_the_cnn_leads_at_30_degrees():
    """Chapter 3.4, robustness: at 45 degrees both lose more than 20 points; at 30 degrees
    the CNN's lead over HOG + SVM is beyond the paired bootstrap interval."""
    recorded = _ch03()
    assert recorded["cnn_accuracy_rotated_45deg"] < recorded["cnn_accuracy"] - 0.2
    assert recorded["hog_svm_accuracy_rotated_45deg"] < recorded["hog_svm_accuracy"] - 0.2
    assert recorded["rotated_30_cnn_minus_svm_low"] > 0


def test_augmenting_the_svm_buys_robustness_beyond_the_range_it_covers():
    """Chapter 3.4, robustness: one augmented copy of each training digit helps HOG + SVM at
    30 degrees, three times the augmentation's range, beyond the bootstrap interval."""
    assert _ch03()["rotated_30_augmented_minus_svm_low"] > 0


def test_noise_separates_the_models_far_more_than_rotation():
    """Chapter 3.4 and summary: at sigma = 0.2 the CNN keeps its accuracy while HOG + SVM
    falls, a gap far larger than at 30 degrees of rotation."""
    recorded = _ch03()
    noise_gap = recorded["cnn_noise_02"] - recorded["svm_noise_02"]
    rotation_gap = (
        recorded["cnn_accuracy_rotated_30deg"] - recorded["hog_svm_accuracy_rotated_30deg"]
    )
    assert noise_gap > rotation_gap + 0.1
    assert recorded["cnn_noise_02"] >= recorded["cnn_accuracy"] - 0.02


def test_the_cnn_is_more_accurate_than_hog_svm_on_the_clean_test_digits():
    """Chapter 3.4-3.5: the CNN's test accuracy is above HOG + SVM's and the paired bootstrap
    interval of the gap does not lie below zero (the prose's verdict is computed from it)."""
    recorded = _ch03()
    assert recorded["cnn_accuracy"] > recorded["hog_svm_accuracy"]
    assert recorded["test_cnn_minus_svm_high"] > 0


def test_joint_fusion_beats_the_better_single_modality_by_five_points():
    recorded = _load("04_fusion")["results"]
    single = max(recorded["image_only_accuracy_noisy"], recorded["text_only_accuracy_noisy"])
    assert single < 0.90, f"the noisy setting is too easy: best single modality {single:.3f}"
    margin = recorded["joint_fusion_accuracy_noisy"] - single
    assert margin >= 0.05, f"joint fusion is only {margin:.3f} above the best single modality"


def _ch05() -> dict:
    return _load("05_autoencoders")["results"]


def test_the_dense_autoencoder_validation_loss_stays_close_to_training():
    """Chapter 5.1: with a 32-number code the validation loss ends within 10% of training."""
    assert _ch05()["ae_val_over_train_loss"] < 1.1


def test_the_leaky_autoencoder_reconstructs_without_using_its_code():
    """Chapter 5.2: through one number the leaky model reconstructs nearly as well as the
    honest 32-number model and far better than the honest one-number model; with swapped
    inputs it draws the digit whose pixels it sees; its code is read worse than the honest
    one-number code, which is well above guessing."""
    r = _ch05()
    assert r["leaky_ae_bottleneck1_mse"] < 1.5 * r["ae_mse"]
    assert r["ae_bottleneck1_mse"] > 2 * r["leaky_ae_bottleneck1_mse"]
    assert r["swap_mse_pixel_image"] < r["swap_mse_code_image"]
    assert r["probe_ae1"] > 0.18
    assert r["probe_ae1_minus_leaky_low"] > 0


def test_the_conv_autoencoder_is_comparable_with_a_fraction_of_the_parameters():
    """Chapter 5.3: comparable test MSE (within 25%) from the convolutional autoencoder."""
    r = _ch05()
    assert 0.8 < r["conv_ae_mse"] / r["ae_mse"] < 1.25


def test_denoising_beats_the_plain_autoencoder_which_beats_the_noisy_input():
    """Chapter 5.4: MSE to the clean digits: denoising AE < plain AE < noisy input."""
    r = _ch05()
    assert r["denoising_ae_mse"] < r["plain_ae_on_noise_mse"] < r["noisy_input_mse"]


def test_text_to_image_errors_are_mostly_drawing_errors_and_arithmetic_is_harder():
    """Chapter 5.7: most images the CNN misreads come from descriptions the text decoder
    understood; arithmetic descriptions are drawn worse than the average description."""
    r = _ch05()
    assert r["misread_but_understood_share"] > 0.5
    assert r["text_to_image_accuracy_arithmetic"] < r["text_to_image_cnn_accuracy"]


def test_the_pair_fills_the_shared_code_better_than_the_image_alone():
    """Chapter 5.8: the paired bootstrap interval of pair minus image-only probe accuracy
    lies above zero; the text alone comes within three points of the pair."""
    r = _ch05()
    assert r["probe_shared_minus_image_low"] > 0
    assert r["probe_shared_minus_text_high"] < 0.03


def test_the_number_head_is_supervision_that_organises_the_image_codes():
    """Chapter 5.8: image codes of the model with the number head are read better than those
    of the label-free bimodal model of the same network and budget (interval above zero)."""
    r = _ch05()
    assert r["probe_labels_minus_label_free_low"] > 0
    assert r["probe_accuracy_image_only"] > r["probe_image_code_label_free"]
    assert r["probe_accuracy_image_only"] > r["probe_dense_ae"]


def test_image_to_number_is_a_weaker_classifier_than_the_digit_cnn():
    """Chapter 5.7: the bimodal model's image -> number path reads fewer test digits than
    chapter 3's CNN."""
    r = _ch05()
    assert r["image_to_text_accuracy"] < r["cnn_real_accuracy"]


def test_the_label_free_model_maps_text_to_image_less_well_but_far_above_chance():
    """Chapter 5.8: without labels, text -> image is well above the 10% of guessing and below
    the model with the number head; reading the Chinese numeral from an image works."""
    r = _ch05()
    assert 0.3 < r["text_to_image_cnn_accuracy_label_free"] < r["text_to_image_cnn_accuracy"]
    assert r["image_to_number_label_free"] > 0.5


def test_cvae_samples_are_recognised_as_the_requested_digit_far_above_chance():
    """Chapter 5.9: the CNN reads the CVAE's samples as the requested digit far more often
    than the 10% of guessing: the lower end of the bootstrap interval is above one half."""
    r = _ch05()
    assert r["cvae_requested_digit_accuracy_low"] > 0.5
    assert r["cvae_requested_digit_accuracy_low"] <= r["cvae_requested_digit_accuracy"]
    assert r["cvae_class_coverage"] == 1.0


def test_the_cvae_code_holds_less_of_the_digit_than_the_vae_code():
    """Chapter 5.9 and its latent-space figure: a linear probe reads the digit from the
    VAE's codes better than from the CVAE's (the paired interval excludes zero), and the
    CVAE's KL term is the smaller: its code carries the style, the label the digit."""
    r = _ch05()
    assert r["probe_vae_minus_cvae_low"] > 0
    assert r["probe_vae"] > r["probe_cvae"]
    assert 0 < r["cvae_kl"] < r["vae_kl"]


def test_vae_samples_are_far_from_real_digits_for_the_judge():
    """Chapter 5.9: the Fréchet distance of both models' samples to the real test digits is
    many times that between two real sets ("far from those of real, crisp digits")."""
    r = _ch05()
    for model in ("vae", "cvae"):
        assert r[f"{model}_frechet_distance"] > 5 * r["real_frechet_distance"], model


def test_description_codes_point_towards_their_images_and_lie_nearer_the_centre():
    """Chapter 5.8 and its figure: for most numbers the mean description code points most
    towards the mean image code of the same number (the prose glues how many), and every
    number's lies nearer the centre."""
    r = _ch05()
    assert r["text_codes_pointing_at_own_digit"] >= 8
    assert r["text_image_distance_ratio_max"] < 1


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


def test_attention_ignores_order_without_positions_and_not_with_them():
    """Chapter 6.5: shuffling the tokens shuffles self-attention's outputs the same way (up to
    float32 rounding) without positions; with the sinusoidal code added it does not."""
    r = _load("06_attention")["results"]
    assert r["permutation_error_no_positions"] < 1e-4
    assert r["permutation_error_sinusoidal"] > 0.01


def test_attention_time_and_memory_grow_with_the_square_of_the_length():
    """Chapter 6.5 and its log-log figure: fitted over n = 1024 ... 4096, the slopes of CPU
    time and peak memory are near 2, and the peak holds more than the score matrix alone."""
    r = _load("06_attention")["results"]
    assert 1.6 < r["attention_time_slope"] < 2.6
    assert 1.8 < r["attention_memory_slope"] < 2.2
    assert r["attention_peak_over_scores"] > 1


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


def test_cross_lingual_retrieval_clears_three_times_chance_in_chinese_and_spanish():
    """Chapter 8.11: a student fitted on the parallel set reaches Recall@10 >= 3 × chance
    with Chinese and with Spanish queries, and the 95% bootstrap interval over the queries
    lies well (2 ×) above chance."""
    r = _load("08_retrieval")["results"]
    chance = r["crosslingual_chance_r10"]
    for code in ("zh", "es"):
        assert r[f"crosslingual_{code}_r10"] >= 3 * chance, code
        assert r[f"crosslingual_{code}_r10_low"] > 2 * chance, code
        assert r[f"crosslingual_{code}_r1"] > r["crosslingual_chance_r1"], code


def test_a_word_tokenizer_leaves_chinese_names_empty_and_character_ngrams_do_not():
    """Chapter 8.11: most Chinese test names are one unknown word; few lack a known n-gram,
    and the English model's n-grams read almost none of them."""
    r = _load("08_retrieval")["results"]
    assert r["zh_empty_words"] > 0.8
    assert r["zh_empty_chars"] < min(0.15, r["zh_empty_words"] / 5)
    assert r["zh_empty_english"] > 0.8


def test_the_full_parallel_set_beats_every_draw_of_the_smallest():
    """Chapter 8.11: even the best of the smallest parallel sets stays below the full one."""
    r = _load("08_retrieval")["results"]
    for code in ("zh", "es"):
        assert r[f"parallel_{code}_r10_smallest"] <= r[f"parallel_{code}_r10_smallest_max"]
        assert r[f"parallel_{code}_r10_smallest_max"] < r[f"crosslingual_{code}_r10"], code


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


def test_real_emoji_categories_beat_chance_and_fusion_beats_either_model():
    """Chapter 9.6: image and name models at least twice the majority guess; the fused
    model's paired gain over the better single model has an interval above zero."""
    r = _load("09_case_study")["results"]
    for name in ("image", "name", "fused"):
        assert r[f"entity_category_accuracy_{name}"] > 2 * r["entity_category_chance"], name
    assert r["entity_category_accuracy_fused"] > max(
        r["entity_category_accuracy_image"], r["entity_category_accuracy_name"]
    )
    assert r["entity_fused_gain_low"] > 0


def test_real_emoji_flags_and_roles_are_easy_for_pixels_and_flags_for_names():
    """Chapter 9.6: the image model does better than its average on flags and roles; the
    name model on flags (the "flag:" prefix) and worse than its average on roles."""
    r = _load("09_case_study")["results"]
    for category in ("flag", "person_role"):
        assert r[f"entity_accuracy_image_{category}"] > r["entity_category_accuracy_image"]
    assert r["entity_accuracy_name_flag"] > r["entity_category_accuracy_name"]
    assert r["entity_accuracy_name_person_role"] < r["entity_category_accuracy_name"]


def test_mismatch_detection_ranks_shapes_above_easy_above_hard_real_negatives():
    """Chapter 9.6: AUC of the shapes checker > easy emoji negatives > hard emoji
    negatives, each step with non-overlapping 95% bootstrap intervals."""
    r = _load("09_case_study")["results"]
    assert r["mismatch_auc_shapes_low"] > r["mismatch_auc_easy_high"]
    assert r["mismatch_auc_easy_low"] > r["mismatch_auc_hard_high"]


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


# --- chapter 7: every ranking and direction the prose states ---------------------------------


def _gans() -> dict:
    return _load("07_gans")["results"]


def test_generator_at_the_papers_rate_loses_to_the_discriminator_at_once():
    """Chapter 7.6: with the DCGAN paper's rate for the generator, the discriminator rejects its
    samples from the start, on every seed: its mean output on them is low and less than a third
    of ours."""
    recorded = _gans()
    assert recorded["early_fake_score_paper_max"] < 0.15
    assert recorded["early_fake_score_ours"] > 3 * recorded["early_fake_score_paper_max"]


def test_dcgan_discriminator_has_not_won_at_the_end_of_training():
    """Chapter 7.6: the chapter's own DCGAN does not end in the failure it warns about."""
    assert _gans()["dcgan_fake_score_last"] > 0.1


def test_dcgan_samples_are_far_from_real_digits_and_unevenly_spread():
    """Chapter 7.7: 'digit-like, but far from indistinguishable'; 'the uneven class counts'."""
    recorded = _gans()
    assert recorded["dcgan_frechet_distance"] > 5 * recorded["real_frechet_distance"]
    assert recorded["dcgan_commonest_share"] >= 2 * recorded["dcgan_rarest_share"]


def test_arithmetic_is_the_hardest_kind_and_the_reader_is_why():
    """Chapter 7.8 and the solution of 'Which descriptions are hard?': the reader is (almost)
    always right except on arithmetic, and arithmetic has the lowest requested-digit accuracy;
    where the reader is wrong, the requested digit is drawn less often than where it is right."""
    recorded = _gans()
    assert recorded["hardest_kind"] == "arithmetic"
    assert recorded["reader_other_kinds_accuracy_min"] >= 0.97
    assert recorded["reader_arithmetic_accuracy"] < recorded["reader_other_kinds_accuracy_min"]
    assert recorded["cgan_arithmetic_accuracy"] < recorded["cgan_other_kinds_accuracy_min"]
    assert recorded["accuracy_reader_wrong"] < recorded["accuracy_reader_right"]


def test_conditioning_covers_the_digits_more_evenly_than_the_dcgan():
    """Chapter 7.9 and the summary: conditioning is the most direct remedy for mode collapse."""
    recorded = _gans()
    assert recorded["cgan_class_coverage"] >= recorded["dcgan_class_coverage"]
    assert recorded["cgan_class_entropy"] > recorded["dcgan_class_entropy"]
    assert recorded["cgan_frechet_distance"] < recorded["dcgan_frechet_distance"]


def test_mode_seeking_term_buys_variety_at_a_cost_in_accuracy():
    """Chapter 7.9 and the summary: with the mode-seeking term two samples for one description
    differ more, and the requested digit is drawn less often (bootstrap lower bounds > 0)."""
    recorded = _gans()
    assert recorded["ms_diversity_gain_low"] > 0
    assert recorded["cgan_diversity"] > recorded["cgan_no_ms_diversity"]
    assert recorded["ms_accuracy_cost_low"] > 0


def test_generated_digits_are_no_closer_to_the_training_images_than_new_real_digits():
    """Chapter 7.10: 'the check rules out a lookup table of training images'."""
    recorded = _gans()
    assert recorded["cgan_near_copy_share"] <= 0.05
    assert recorded["dcgan_near_copy_share"] <= 0.05


def test_toy_gan_collapses_and_hops_between_modes():
    """Chapter 7.13: 'mode collapse and mode hopping in plain sight': some seed ends with
    modes missing, and covered modes are abandoned between snapshots."""
    recorded = _gans()
    assert recorded["toy_gan_modes_min"] < 8
    assert recorded["toy_gan_dropped_modes"] >= 1


def test_jensen_shannon_is_flat_and_wasserstein_grows_with_disjoint_supports():
    """Chapter 7.14: JSD stays at log 2 once the supports are disjoint; W1 grows like the shift."""
    recorded = _gans()
    assert recorded["js_disjoint_max_gap"] < 1e-6
    assert 0.95 < recorded["w1_shift_slope"] < 1.05


def test_wgan_gp_covers_more_modes_than_the_standard_gan():
    """Chapter 7.14: over the same seeds WGAN-GP covers more modes on average and in its worst
    run than the standard GAN, and the gap is largest in the worst run."""
    recorded = _gans()
    assert recorded["toy_wgan_modes_mean"] > recorded["toy_gan_modes_mean"]
    assert recorded["toy_wgan_modes_min"] > recorded["toy_gan_modes_min"]
    # '... the clearest difference is in the worst run'
    worst_gap = recorded["toy_wgan_modes_min"] - recorded["toy_gan_modes_min"]
    assert worst_gap >= recorded["toy_wgan_modes_mean"] - recorded["toy_gan_modes_mean"]


def test_transposed_convolutions_leave_a_checkerboard_that_resizing_does_not():
    """Chapter 7.15: untrained transposed-convolution generators put several times more energy
    at the Nyquist frequency than resize-then-convolve ones, on every seed."""
    recorded = _gans()
    assert recorded["nyquist_transposed_min"] > 5 * recorded["nyquist_resize_max"]


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


def test_the_causal_mask_hides_the_future_from_the_captioner():
    """Chapter 11.2: changing later words leaves earlier outputs the same (floating-point
    noise) and moves later ones."""
    recorded = _load("11_captioning")["results"]
    assert recorded["causal_past_change"] < 1e-4 < recorded["causal_future_change"]


def test_the_captioner_beats_retrieval_which_beats_the_most_frequent_caption():
    """Chapter 11.4 and the summary: on attribute accuracy and on BLEU-4 the greedy captioner
    leads retrieval as captioning (its bootstrap interval above 0), which leads the most
    frequent caption; both metrics rank the three systems the same way."""
    r = _load("11_captioning")["results"]
    assert r["greedy_minus_retrieval_low"] > 0
    assert r["greedy_attribute_accuracy"] > r["retrieval_attribute_accuracy"]
    assert r["retrieval_attribute_accuracy"] > r["frequent_attribute_accuracy"] + 0.1
    assert r["greedy_bleu4"] > r["retrieval_bleu4"] > r["frequent_bleu4"]
    assert r["captioner_beats_retrieval"] == "True"
    assert r["retrieval_beats_most_frequent"] == "True"


def test_beam_search_finds_more_probable_captions_with_about_the_same_facts():
    """Chapter 11.4 and the summary: beam search raises the mean log-probability of the
    captions; the bootstrap interval of its change in attribute accuracy is small either
    way (within five points of zero)."""
    r = _load("11_captioning")["results"]
    assert r["beam_mean_log_probability"] > r["greedy_mean_log_probability"]
    assert -0.05 < r["beam_minus_greedy_low"] <= r["beam_minus_greedy_high"] < 0.05


def test_the_captioner_attends_to_the_object_it_names():
    """Chapter 11.5: the attention peak of colour and shape words lands on the named object
    far more often than a uniform guess among the nine regions would."""
    r = _load("11_captioning")["results"]
    assert r["pointing_accuracy"] > 3 / 9
    assert r["pointing_words"] >= 500


def test_on_emoji_names_the_captioner_falls_back_on_the_language_prior():
    """Chapter 11.6 and the summary: on emoji with one rare name each, the captioner writes
    few distinct names, one of them for most test emoji; it tells flags from the rest (more
    flags than other emoji get a "flag:" name) and scores about what writing the most
    frequent first word does (within 0.05), a baseline that scores only on flags."""
    r = _load("11_captioning")["results"]
    assert r["emoji_captioner_distinct"] <= 0.1 * r["emoji_n_test"]
    assert r["emoji_top_name_share"] > 0.5
    assert r["emoji_captioner_flag_named_flags"] > r["emoji_captioner_flag_named_rest"]
    assert abs(r["emoji_captioner_word_f1"] - r["emoji_frequent_word_f1"]) < 0.05
    assert r["emoji_frequent_word_f1_rest"] == 0  # "a baseline that scores only on flags"


def test_on_emoji_names_retrieval_beats_the_captioner_and_pixels_beat_its_encoder():
    """Chapter 11.6: both kinds of retrieval write far more distinct names than the
    captioner; retrieval with the captioner's encoder leads the captioner (bootstrap
    interval above 0); raw pixels beat that encoder; both retrievals score higher on flags
    than on the other emoji."""
    r = _load("11_captioning")["results"]
    for key in ("pixels", "retrieval"):
        assert r[f"emoji_{key}_distinct"] > 5 * r["emoji_captioner_distinct"]
        assert r[f"emoji_{key}_word_f1_flags"] > 2 * r[f"emoji_{key}_word_f1_rest"]
    assert r["emoji_retrieval_minus_captioner_low"] > 0
    assert r["emoji_pixels_word_f1"] > r["emoji_retrieval_word_f1"]


VQA_MODELS = ("question_only", "image_only", "concat", "film", "cross_attention")


def test_vqa_best_model_is_far_above_the_question_only_baseline():
    """Chapter 12 floor: the best model answers at least 20 points more test questions than
    the question-only baseline, and the paired bootstrap interval of the gap lies above 0."""
    recorded = _load("12_vqa")["results"]
    best = recorded["vqa_best_model"]
    assert recorded["vqa_best_accuracy"] == recorded[f"vqa_{best}_accuracy"]
    gap = recorded["vqa_best_accuracy"] - recorded["vqa_question_only_accuracy"]
    assert gap >= 0.20, f"best minus question-only = {gap:.3f}"
    assert recorded["vqa_best_minus_question_only_low"] > 0


def test_vqa_best_model_beats_every_other_model_beyond_the_noise():
    """Chapter 12.5: "the best model on this run … above the runner-up fusion" — the paired
    bootstrap interval of best minus every other model lies above 0."""
    recorded = _load("12_vqa")["results"]
    best = recorded["vqa_best_model"]
    for other in VQA_MODELS:
        if other != best:
            assert recorded[f"vqa_best_minus_{other}_low"] > 0, other
            assert recorded[f"vqa_{best}_accuracy"] > recorded[f"vqa_{other}_accuracy"]


def test_vqa_question_only_model_scores_chance_on_balanced_questions():
    """Chapter 12.5: balancing removes the language prior; the question-only model scores
    close to chance within each template, and far below what the prior scores on the
    natural, unbalanced questions (where most existence questions are answered "no")."""
    recorded = _load("12_vqa")["results"]
    assert abs(recorded["vqa_question_only_accuracy"] - recorded["question_only_chance"]) < 0.03
    assert recorded["natural_prior_accuracy"] > recorded["vqa_question_only_accuracy"] + 0.2
    assert recorded["natural_exist_no_share"] > 0.9


def test_vqa_hardest_type_of_the_best_model_is_the_one_recorded():
    """Chapter 12.5: the hardest question type named for the best model is computed."""
    recorded = _load("12_vqa")["results"]
    best = recorded["vqa_best_model"]
    accuracy = {
        kind: recorded[f"vqa_{best}_accuracy_{kind}"] for kind in ("attribute", "count", "exist")
    }
    assert recorded["vqa_best_hardest_type"] == min(accuracy, key=accuracy.get)


# --- chapter 13: every ranking and direction the prose states --------------------------------


def _ch13() -> dict:
    return _load("13_pretraining")["results"]


def test_contrastive_pretraining_lowers_its_loss_below_a_constant_encoder():
    """Chapter 13.3: the loss falls over the epochs and ends below log(2N - 1)."""
    r = _ch13()
    assert r["simclr_loss_last_epoch"] < r["simclr_loss_first_epoch"]
    assert r["simclr_loss_last_epoch"] < r["simclr_loss_uniform"]


def test_pretrained_beats_scratch_with_the_fewest_labels_in_every_seed():
    """Chapter 13.4 and the summary: with 2 labels per class the fine-tuned network beats the
    same network trained from scratch in every seed, and by at least 2 points on average."""
    r = _ch13()
    assert r["finetuned_gain_smallest_min"] > 0
    assert r["finetuned_gain_smallest_mean"] >= 0.02


def test_the_lead_of_pretraining_is_smaller_with_the_most_labels():
    """Chapter 13.4: with 50 labels per class the fine-tuned network still leads on average
    over the seeds, by less than with 2."""
    r = _ch13()
    assert 0 < r["finetuned_gain_largest_mean"] < r["finetuned_gain_smallest_mean"]


def test_fine_tuning_beats_the_linear_probe_with_the_fewest_labels_in_every_seed():
    """Chapter 13.4: 'Fine-tuning also beats the linear probe ... in every seed'."""
    assert _ch13()["finetuned_minus_probe_smallest_min"] > 0
