"""Unit tests of crossmodal_helpers.challenges (chapter 10)."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from crossmodal_helpers import challenges

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TEXTS = [f"caption {i}" for i in range(10)]


def test_importing_challenges_imports_neither_tensorflow_nor_pandas():
    code = (
        "import sys; from crossmodal_helpers import challenges; "
        "print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('tensorflow', 'keras', 'pandas')))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


# --------------------------------------------------------------------------- misalign_pairs


def test_misalign_pairs_gives_each_chosen_pair_another_caption():
    texts, misaligned = challenges.misalign_pairs(TEXTS, 0.5, seed=3)
    assert misaligned.dtype == bool and misaligned.sum() == 5
    assert sorted(texts) == sorted(TEXTS)  # captions are passed round, not invented
    for i, (new, old) in enumerate(zip(texts, TEXTS, strict=True)):
        assert (new != old) == misaligned[i]


def test_misalign_pairs_at_the_extremes():
    same, none = challenges.misalign_pairs(TEXTS, 0.0)
    assert same == TEXTS and not none.any()
    changed, every = challenges.misalign_pairs(TEXTS, 1.0)
    assert every.all() and all(a != b for a, b in zip(changed, TEXTS, strict=True))


def test_misalign_pairs_is_seeded_and_leaves_its_input_alone():
    original = list(TEXTS)
    first = challenges.misalign_pairs(TEXTS, 0.4, seed=1)
    again = challenges.misalign_pairs(TEXTS, 0.4, seed=1)
    other = challenges.misalign_pairs(TEXTS, 0.4, seed=2)
    assert first[0] == again[0] and np.array_equal(first[1], again[1])
    assert first[0] != other[0]
    assert original == TEXTS


@pytest.mark.parametrize(
    ("texts", "fraction", "error", "match"),
    [
        ("one caption", 0.5, TypeError, "list of str"),
        (["a", 2], 0.5, TypeError, "hold str"),
        (TEXTS, 1.5, ValueError, r"fraction must be in \[0, 1\]"),
        (TEXTS, True, TypeError, "fraction must be a number"),
        (TEXTS, 0.1, ValueError, "chooses one pair"),
    ],
)
def test_misalign_pairs_rejects_bad_input(texts, fraction, error, match):
    with pytest.raises(error, match=match):
        challenges.misalign_pairs(texts, fraction)


# --------------------------------------------------------------------------- clean_pair_probability


def test_clean_pair_probability_finds_the_high_mode():
    rng = np.random.default_rng(0)
    scores = np.r_[rng.normal(0.6, 0.05, 200), rng.normal(0.1, 0.05, 100)]
    probability = challenges.clean_pair_probability(scores)
    assert probability.shape == (300,)
    assert np.mean(probability[:200] > 0.5) > 0.98
    assert np.mean(probability[200:] < 0.5) > 0.98
    np.testing.assert_array_equal(probability, challenges.clean_pair_probability(scores))


@pytest.mark.parametrize(
    ("scores", "error", "match"),
    [
        (np.ones(5), ValueError, "two different values"),
        (np.ones((3, 2)), ValueError, "1-D"),
        (np.array([0.1, np.nan]), ValueError, "NaN"),
        (np.array(["a", "b"]), TypeError, "numeric"),
        (np.array([]), ValueError, "empty"),
    ],
)
def test_clean_pair_probability_rejects_bad_scores(scores, error, match):
    with pytest.raises(error, match=match):
        challenges.clean_pair_probability(scores)


# --------------------------------------------------------------------------- bootstrap_interval


def test_bootstrap_interval_brackets_the_mean_like_the_normal_approximation():
    hits = (np.arange(1000) % 10 < 6).astype(float)  # Recall 0.6 over 1,000 queries
    low, high = challenges.bootstrap_interval(hits)
    assert low < 0.6 < high
    normal = 1.96 * math.sqrt(0.6 * 0.4 / 1000)
    assert math.isclose((high - low) / 2, normal, rel_tol=0.1)
    assert challenges.bootstrap_interval(hits) == (low, high)  # seeded
    low_99, high_99 = challenges.bootstrap_interval(hits, level=0.99)
    assert low_99 < low and high_99 > high


def test_bootstrap_interval_of_constant_values_is_a_point():
    assert challenges.bootstrap_interval(np.ones(20), n_resamples=10) == (1.0, 1.0)
    low, high = challenges.bootstrap_interval(np.array([True, False, True, True]))
    assert 0 <= low <= 0.75 <= high <= 1


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"level": 1.5}, ValueError, "between 0 and 1"),
        ({"level": True}, TypeError, "level must be a number"),
        ({"n_resamples": 0}, ValueError, "n_resamples must be at least 1"),
        ({"n_resamples": 10.0}, TypeError, "n_resamples must be an int"),
        ({"seed": -1}, ValueError, "seed must be at least 0"),
    ],
)
def test_bootstrap_interval_rejects_bad_settings(kwargs, error, match):
    with pytest.raises(error, match=match):
        challenges.bootstrap_interval(np.ones(5), **kwargs)


def test_bootstrap_interval_rejects_empty_values():
    with pytest.raises(ValueError, match="empty"):
        challenges.bootstrap_interval([])


# --------------------------------------------------------------------------- the model table


def _records() -> dict:
    return {
        "03_image_recognition": {
            "wall_seconds": 100.0,
            "results": {
                "hog_svm_accuracy": 0.96,
                "hog_svm_train_seconds": 4.2,
                "hog_svm_parameters": 12345,
                "cnn_accuracy": 0.98,
            },
        },
        "04_fusion": {
            "wall_seconds": 90.0,
            "results": {"late_fusion_accuracy_noisy": 0.81, "late_fusion_parameters": 2000},
        },
    }


def test_model_rows_follow_the_contract():
    rows = challenges.MODEL_ROWS
    assert len(rows) == 30
    assert len({row.prefix for row in rows}) == len(rows)
    assert len({row.quality_key for row in rows}) == len(rows)
    for row in rows:
        assert (ROOT / "notebooks" / f"{row.stem}.ipynb").is_file(), row.stem
        assert row.seconds_key == f"{row.prefix}_train_seconds"
        assert row.parameters_key == f"{row.prefix}_parameters"


def test_model_table_reads_what_was_recorded_and_leaves_the_rest_missing():
    table = challenges.model_table(_records())
    assert list(table.columns) == list(challenges.TABLE_COLUMNS)
    assert len(table) == len(challenges.MODEL_ROWS)
    hog = table.set_index("model").loc["HOG + SVM"]
    assert (hog["quality"], hog["train_seconds"], hog["parameters"]) == (0.96, 4.2, 12345)
    cnn = table.set_index("model").loc["CNN"]
    assert cnn["quality"] == 0.98 and pd.isna(cnn["train_seconds"]) and pd.isna(cnn["parameters"])
    assert str(table["parameters"].dtype) == "Int64"
    assert table["quality"].notna().sum() == 3
    assert table.loc[table["chapter"] == "02_text_mining", "quality"].isna().all()


def test_model_table_without_any_results_is_all_missing():
    table = challenges.model_table({})
    assert table[["quality", "train_seconds", "parameters"]].isna().all().all()
    assert challenges.best_per_task(table) == {}


def test_chapters_missing_lists_each_unrun_chapter_once_in_order():
    missing = challenges.chapters_missing(_records())
    assert missing == [
        "02_text_mining",
        "05_autoencoders",
        "06_attention",
        "07_gans",
        "08_retrieval",
        "09_case_study",
        "11_captioning",
        "12_vqa",
        "13_pretraining",
    ]
    assert len(challenges.chapters_missing({})) == 11


@pytest.mark.parametrize(
    ("records", "error", "match"),
    [
        ([], TypeError, "records must map chapter stems"),
        ({"04_fusion": {"wall_seconds": 1.0}}, TypeError, "'results' dict"),
        ({"03_image_recognition": {"results": {"cnn_accuracy": "high"}}}, ValueError, "number"),
        ({"03_image_recognition": {"results": {"cnn_accuracy": True}}}, ValueError, "number"),
        ({"03_image_recognition": {"results": {"cnn_parameters": 10.5}}}, ValueError, "whole"),
        ({"03_image_recognition": {"results": {"cnn_accuracy": math.inf}}}, ValueError, "finite"),
    ],
)
def test_model_table_rejects_bad_records(records, error, match):
    with pytest.raises(error, match=match):
        challenges.model_table(records)


def test_model_table_rejects_bad_rows():
    with pytest.raises(TypeError, match="sequence of ModelRow"):
        challenges.model_table({}, rows=challenges.MODEL_ROWS[0])
    with pytest.raises(TypeError, match="hold ModelRow"):
        challenges.chapters_missing({}, rows=[("02_text_mining",)])


def test_format_model_table_shows_missing_numbers_as_a_dash():
    shown = challenges.format_model_table(challenges.model_table(_records())).set_index("model")
    assert shown.loc["HOG + SVM", "quality"] == "0.960"
    assert shown.loc["HOG + SVM", "train seconds"] == "4.2"
    assert shown.loc["HOG + SVM", "parameters"] == "12,345"
    assert shown.loc["CNN", "train seconds"] == "—" and shown.loc["CNN", "parameters"] == "—"
    assert challenges.format_model_table(challenges.model_table({}), missing="n/a").iloc[0][
        "quality"
    ] == ("n/a")


def test_best_per_task_takes_the_highest_measured_quality():
    best = challenges.best_per_task(challenges.model_table(_records()))
    assert best == {"digit recognition": "CNN", "noisy digit pairs": "late fusion"}


def test_table_readers_reject_other_tables():
    with pytest.raises(TypeError, match="DataFrame from model_table"):
        challenges.best_per_task({"task": []})
    with pytest.raises(ValueError, match="lacks the columns"):
        challenges.format_model_table(pd.DataFrame({"task": []}))


def test_plot_quality_against_draws_measured_models_and_says_what_it_left_out():
    table = challenges.model_table(_records())
    ax = challenges.plot_quality_against(table, "train_seconds")
    assert ax.get_xscale() == "log" and len(ax.collections) == 1
    n = len(challenges.MODEL_ROWS)
    assert f"{n - 1} of {n} models not drawn" in ax.get_title()
    assert [t.get_text() for t in ax.texts if t.get_text() == "HOG + SVM"] == ["HOG + SVM"]
    ax = challenges.plot_quality_against(table, "parameters", legend=False)
    assert len(ax.collections) == 2 and ax.get_legend() is None  # one colour per task
    empty = challenges.plot_quality_against(challenges.model_table({}))
    assert f"none of the {len(challenges.MODEL_ROWS)} models" in empty.get_title()
    plt.close("all")


def test_plot_quality_against_rejects_an_unknown_cost():
    with pytest.raises(ValueError, match="cost must be"):
        challenges.plot_quality_against(challenges.model_table({}), "accuracy")
