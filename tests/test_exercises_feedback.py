"""Every self-check teaches without telling, accepts any form of a right answer, never raises.

One table, :data:`CASES`, lists every check of the book with the data it is called with, a
right answer (computed here, independently of the check), and typical wrong answers with
the words their feedback must contain. Three properties are tested over the whole table:

- no feedback on a wrong answer contains the expected value, in any usual formatting;
- the right answer passes as a list, tuple, NumPy array or scalar (float32 and float64), a
  TensorFlow tensor and (for matrices) a SciPy sparse matrix;
- malformed answers (None, text, ragged lists, NaN, huge arrays, functions, …) give a
  failed :class:`Feedback` and never raise.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from crossmodal_helpers import exercises
from crossmodal_helpers.exercises import Feedback


@dataclass
class Case:
    """One check, bound to its data: ``check(answer)``, a right answer, typical mistakes."""

    check: Callable[[Any], Feedback]
    right: Any
    wrong: list[tuple[Any, str]] = field(default_factory=list)
    choice: bool = False  # a multiple-choice check: its options may be listed


def _softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _probabilities(seed: int, n: int = 30) -> np.ndarray:
    return _softmax(np.random.default_rng(seed).normal(scale=2.0, size=(n, 10)))


# --------------------------------------------------------------------------- chapter 1


def _ch01_class_means() -> Case:
    from sklearn.datasets import load_digits

    digits = load_digits()
    right = np.stack([digits.images[digits.target == k].mean(0) for k in range(10)])
    return Case(
        exercises.ch01.class_means,
        right,
        [
            (right / 16, "0–1 scale"),
            (right.reshape(10, 64), "shape (10, 64)"),
            (right + 1, "same amount"),
        ],
    )


def _ch01_which_kind() -> Case:
    right = {"a": "cross-modal", "b": "multimodal", "c": "cross-modal"}
    return Case(
        exercises.ch01.which_kind,
        right,
        [({**right, "b": "cross-modal"}, "test time"), (["a"], "keys 'a', 'b', 'c'")],
        choice=True,
    )


MOVIES = np.array([f"m{i % 23}" for i in range(40)] + [f"solo{i}" for i in range(20)])


def _ch01_leakage() -> Case:
    in_test = np.random.default_rng(1).random(len(MOVIES)) < 0.3
    seen = set(MOVIES[~in_test])
    right = float(np.mean([m in seen for m in MOVIES[in_test]]))
    wrong_share = float(np.sum([m in seen for m in MOVIES[in_test]]) / len(MOVIES))
    return Case(
        lambda a: exercises.ch01.leakage(a, MOVIES),
        right,
        [(right / 2, "too small"), (3.0, "not a fraction"), (wrong_share, "test size")],
    )


TAGS = [["O", "COLOR", "SHAPE"], ["COLOR", "SHAPE", "O", "POSITION"], ["SIZE", "SHAPE"]]


def _ch01_tag_counts() -> Case:
    right = dict(Counter(t for tags in TAGS for t in tags))
    return Case(
        lambda a: exercises.ch01.tag_counts(a, TAGS),
        right,
        [({**right, "SHAPE": 2}, "too few"), ({"O": 2}, "no entry"), ([1], "should be a dict")],
    )


# --------------------------------------------------------------------------- chapter 2


def _tfidf() -> np.ndarray:
    documents = [doc.split() for doc in exercises.ch02.TFIDF_CORPUS]
    terms = sorted({t for doc in documents for t in doc})
    counts = np.array([[doc.count(t) for t in terms] for doc in documents], dtype=float)
    idf = np.log((1 + len(documents)) / (1 + (counts > 0).sum(axis=0))) + 1
    weights = counts * idf
    return weights / np.linalg.norm(weights, axis=1, keepdims=True)


def _ch02_tfidf() -> Case:
    right = _tfidf()
    return Case(exercises.ch02.tfidf, right, [(right * 3, "length 1"), (right.T, "shape (5, 3)")])


def _backward(text: str, dictionary: frozenset[str]) -> list[str]:
    longest = max(map(len, dictionary))
    words, end = [], len(text)
    while end:
        size = next(
            s
            for s in range(min(longest, end), 0, -1)
            if s == 1 or text[end - s : end] in dictionary
        )
        words.insert(0, text[end - size : end])
        end -= size
    return words


def _forward(text: str, dictionary: frozenset[str]) -> list[str]:
    longest = max(map(len, dictionary))
    words, start = [], 0
    while start < len(text):
        size = next(
            s
            for s in range(min(longest, len(text) - start), 0, -1)
            if s == 1 or text[start : start + s] in dictionary
        )
        words.append(text[start : start + size])
        start += size
    return words


def _ch02_backward() -> Case:
    def crashes(text, dictionary):
        raise KeyError("oops")

    return Case(
        exercises.ch02.backward_max_match,
        _backward,
        [
            (_forward, "END of the text"),
            (crashes, "raised KeyError"),
            (lambda t, d: t, "list of str"),
            (lambda t, d: [t[:1]], "does not spell"),
            ("研究", "must be a function"),
        ],
    )


def _ch02_rotten() -> Case:
    right = {"precision": 0.75, "recall": 0.8, "f1": 2 * 0.75 * 0.8 / 1.55}
    return Case(
        exercises.ch02.rotten_scores,
        right,
        [
            ({**right, "precision": 0.8, "recall": 0.75}, "PREDICTED"),
            ({**right, "f1": 0.775}, "harmonic"),
            ([0.75, 0.8], "keys 'precision'"),
        ],
    )


def _ch02_word_f1() -> Case:
    right = {"precision": 3 / 5, "recall": 3 / 7, "f1": 0.5}
    return Case(
        exercises.ch02.segmentation_scores,
        right,
        [
            ({**right, "precision": 3 / 7, "recall": 3 / 5}, "OUTPUT"),
            ({**right, "f1": (3 / 5 + 3 / 7) / 2}, "harmonic"),
            ({"precision": 3 / 5}, "keys 'precision'"),
        ],
    )


# --------------------------------------------------------------------------- chapter 3


def _ch03_sobel() -> Case:
    from crossmodal_helpers import datasets

    digit = datasets.load("mnist5k", split="test", seed=0).images[0, ..., 0]
    k = exercises.ch03.SOBEL_X
    right = sum(k[m, n] * digit[m : m + 26, n : n + 26] for m in range(3) for n in range(3))
    return Case(
        exercises.ch03.sobel_x,
        right,
        [(-right, "opposite sign"), (np.zeros((28, 28)), "28×28"), (right.T, "transposed")],
    )


def _ch03_hog() -> Case:
    return Case(
        exercises.ch03.hog_length,
        36 * 4 * 9,
        [(7 * 7 * 9, "each cell once"), (49 * 4 * 9, "too large"), ("1296", "number")],
    )


def _ch03_parameters() -> Case:
    right = (9 * 16 + 16) + (9 * 16 * 32 + 32) + (7 * 7 * 32 * 64 + 64) + (64 * 10 + 10)
    five = (25 * 16 + 16) + (25 * 16 * 32 + 32) + (7 * 7 * 32 * 64 + 64) + (64 * 10 + 10)
    return Case(
        exercises.ch03.cnn_parameters, right, [(right - 16, "too small"), (five, "5×5 kernels")]
    )


CONFUSION = np.array([[50, 3, 2], [4, 40, 6], [1, 9, 30]])


def _ch03_precision_recall() -> Case:
    precision, recall = 30 / 38, 30 / 40
    return Case(
        lambda a: exercises.ch03.precision_recall(a, CONFUSION, digit=2),
        (precision, recall),
        [((recall, precision), "swapped"), ((0.5, recall), "column"), (0.5, "pair")],
    )


# --------------------------------------------------------------------------- chapter 4

P_IMAGE, P_TEXT = _probabilities(0), _probabilities(1)
LABELS = np.random.default_rng(2).integers(0, 10, size=30)


def _ch04_product() -> Case:
    right = P_IMAGE * P_TEXT / (P_IMAGE * P_TEXT).sum(axis=1, keepdims=True)
    return Case(
        lambda a: exercises.ch04.product_rule(a, P_IMAGE, P_TEXT),
        right,
        [(P_IMAGE * P_TEXT, "sum to 1"), ((P_IMAGE + P_TEXT) / 2, "sum rule")],
    )


def _gate_layer() -> tuple[Any, np.ndarray, np.ndarray]:
    import keras

    from crossmodal_helpers import fusion

    keras.utils.set_random_seed(0)
    layer = fusion.make_fusion("gated", units=6)
    rng = np.random.default_rng(0)
    h_image = rng.normal(size=(5, 4)).astype(np.float32)
    h_text = rng.normal(size=(5, 3)).astype(np.float32)
    layer([h_image, h_text])
    return layer, h_image, h_text


def _ch04_gate() -> Case:
    layer, h_image, h_text = _gate_layer()
    (w_x, b_x), (w_t, b_t) = (p.get_weights() for p in layer.project)
    w_g, b_g = layer.gate_layer.get_weights()
    g = 1 / (1 + np.exp(-(np.concatenate([h_image, h_text], axis=1) @ w_g + b_g)))
    image_part, text_part = np.tanh(h_image @ w_x + b_x), np.tanh(h_text @ w_t + b_t)
    return Case(
        lambda a: exercises.ch04.gated_fusion(a, layer, h_image, h_text),
        g * image_part + (1 - g) * text_part,
        [((1 - g) * image_part + g * text_part, "wrong modality")],
    )


def _ch04_weight() -> Case:
    log_p, log_q = np.log(P_IMAGE), np.log(P_TEXT)
    accuracy = {
        w: np.mean((log_p + w * log_q).argmax(1) == LABELS) for w in exercises.ch04.TEXT_WEIGHTS
    }
    best = max(accuracy, key=accuracy.get)
    worst = min(accuracy, key=accuracy.get)
    return Case(
        lambda a: exercises.ch04.best_text_weight(a, P_IMAGE, P_TEXT, LABELS),
        best,
        [(worst, "a better weight exists"), (0.05, "not one of TEXT_WEIGHTS")],
    )


def _ch04_which() -> Case:
    right = {"a": "late", "b": "joint", "c": "early", "d": "late"}
    return Case(
        exercises.ch04.which_fusion,
        right,
        [({**right, "b": "late"}, "fixed set of labels"), ({"a": "late"}, "keys")],
        choice=True,
    )


# --------------------------------------------------------------------------- chapter 5


def _ch05_losses() -> Case:
    x, x_hat = exercises.ch05.LOSS_INPUT, exercises.ch05.LOSS_RECONSTRUCTION
    right = {
        "mse": float(np.mean((x - x_hat) ** 2)),
        "bce": float(-np.mean(x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat))),
    }
    return Case(
        exercises.ch05.losses,
        right,
        [
            ({**right, "mse": float(np.sum((x - x_hat) ** 2))}, "summed the squared"),
            ({**right, "bce": float(-np.mean(x * np.log(x_hat)))}, "(1 - x) log(1 - x_hat)"),
            ({"mse": 1.0}, "keys 'mse' and 'bce'"),
        ],
    )


def _ch05_bottleneck() -> Case:
    from crossmodal_helpers import autoencoders

    model = autoencoders.build_leaky_autoencoder((8, 8, 1), 1, hidden=8, leak_dim=32)
    return Case(
        lambda a: exercises.ch05.true_bottleneck(a, model),
        33,
        [(1, "only the code"), (32, "too small")],
    )


TRAIN_IMAGES = np.random.default_rng(0).random((80, 8, 8, 1))
TEST_IMAGES = np.random.default_rng(1).random((40, 8, 8, 1))


def _ch05_pca() -> Case:
    from sklearn.decomposition import PCA

    train, test = TRAIN_IMAGES.reshape(80, -1), TEST_IMAGES.reshape(40, -1)
    pca = PCA(n_components=32).fit(train)
    right = float(np.mean((pca.inverse_transform(pca.transform(test)) - test) ** 2))
    leaked = PCA(n_components=32).fit(test)
    cheat = float(np.mean((leaked.inverse_transform(leaked.transform(test)) - test) ** 2))
    return Case(
        lambda a: exercises.ch05.pca_baseline(a, TRAIN_IMAGES, TEST_IMAGES),
        right,
        [(cheat, "fitted on the test images"), (right * 2, "too large")],
    )


def _ch05_dropout() -> Case:
    return Case(
        exercises.ch05.without_dropout, "image to number", [("both", "never asked")], choice=True
    )


def _ch05_kl() -> Case:
    mean, log_var = exercises.ch05.KL_MEAN, exercises.ch05.KL_LOG_VAR
    terms = mean**2 + np.exp(log_var) - log_var - 1
    return Case(
        exercises.ch05.kl_to_prior,
        float(0.5 * terms.sum()),
        [(float(terms.sum()), "factor one half"), (float(0.5 * terms.sum() + 1.5), "'- 1'")],
    )


def _ch05_cvae_width() -> Case:
    return Case(
        exercises.ch05.cvae_width, "less often", [("more often", "write the digit")], choice=True
    )


# --------------------------------------------------------------------------- chapter 6


def _ch06_weights() -> Case:
    q, k = exercises.ch06.Q_SMALL, exercises.ch06.K_SMALL
    scores = q @ k.T
    return Case(
        exercises.ch06.attention_weights,
        _softmax(scores / 2),
        [
            (_softmax(scores), "UNSCALED"),
            (_softmax(scores / 2, axis=0), "columns"),
            (scores / 2, "softmax is missing"),
        ],
    )


def _ch06_causal() -> Case:
    right = np.tril(np.ones((5, 5), dtype=bool))
    return Case(
        exercises.ch06.causal_mask,
        right,
        [(right.T, "FUTURE"), (np.tril(right, -1), "diagonal"), (~right, "blocked")],
    )


def _ch06_pointing() -> Case:
    return Case(
        exercises.ch06.pointing,
        np.array([True, False, False, True]),
        [
            (np.array([True, True, False, True]), "swapped"),
            (np.array([True, False, True, True]), "PEAK"),
        ],
    )


def _ch06_beside() -> Case:
    return Case(
        exercises.ch06.looking_beside, "contextual values", [("more heads", "NEXT TO")], choice=True
    )


def _ch06_relative() -> Case:
    from crossmodal_helpers import attention

    pe = attention.sinusoidal_encoding(64, 16)
    right = np.array([pe[p] @ pe[p + 5] for p in range(20)])
    return Case(
        exercises.ch06.relative_position,
        right,
        [(2 * right, "twice"), (np.full(20, 8.0), "with itself")],
    )


# --------------------------------------------------------------------------- chapter 7

GRID = np.linspace(-4, 4, 50)
P_DATA = np.exp(-0.5 * (GRID - 1) ** 2) + 1e-3
P_G = np.exp(-0.5 * (GRID + 1) ** 2) + 1e-3


def _ch07_optimal() -> Case:
    right = P_DATA / (P_DATA + P_G)
    return Case(
        lambda a: exercises.ch07.optimal_discriminator(a, P_DATA, P_G),
        right,
        [(1 - right, "swapped"), (P_DATA, "every entry")],
    )


def _ch07_gradients() -> Case:
    return Case(
        exercises.ch07.generator_gradients,
        (-0.01, -0.99),
        [((0.01, -0.99), "wrong sign"), ((-0.01, -0.5), "too large"), (-0.01, "pair")],
    )


FEATURE_A = np.random.default_rng(0).gamma(2.0, size=60)
FEATURE_B = np.random.default_rng(1).gamma(1.5, size=60)


def _ch07_frechet() -> Case:
    a, b = FEATURE_A, FEATURE_B
    right = (a.mean() - b.mean()) ** 2 + (a.std(ddof=1) - b.std(ddof=1)) ** 2
    biased = (a.mean() - b.mean()) ** 2 + (a.std() - b.std()) ** 2
    return Case(
        lambda x: exercises.ch07.frechet_1d(x, FEATURE_A, FEATURE_B),
        float(right),
        [(float(biased), "ddof=0"), (float(right) * 3, "too large")],
    )


KINDS = np.array(["word", "numeral", "sum"] * 10)
REQUESTED = np.arange(30) % 10
READS = np.where(np.arange(30) % 4 == 0, (REQUESTED + 1) % 10, REQUESTED)


def _ch07_kinds() -> Case:
    right = {}
    for kind in set(KINDS):
        chosen = np.equal(KINDS, kind)
        right[str(kind)] = float(np.mean(READS[chosen] == REQUESTED[chosen]))
    return Case(
        lambda a: exercises.ch07.accuracy_by_kind(a, READS, REQUESTED, KINDS),
        right,
        [({**right, "sum": 0.0}, "too small"), ({"word": 1.0}, "no entry"), ([1], "dict")],
    )


BOX_P = np.r_[np.full(10, 0.1), np.zeros(20)]
BOX_Q = np.r_[np.zeros(20), np.full(10, 0.1)]


def _ch07_js() -> Case:
    right = float(np.log(2))
    return Case(
        lambda a: exercises.ch07.js_divergence(a, BOX_P, BOX_Q),
        right,
        [(1.0, "bits"), (right**0.5, "square root"), (0.1, "too small")],
    )


# --------------------------------------------------------------------------- chapter 8


def _info_nce(s: np.ndarray, tau: float) -> float:
    logits = s / tau
    rows = np.diag(logits - np.log(np.exp(logits).sum(axis=1, keepdims=True)))
    columns = np.diag(logits - np.log(np.exp(logits).sum(axis=0, keepdims=True)))
    return float(-(rows.mean() + columns.mean()) / 2)


def _ch08_info_nce() -> Case:
    s, tau = exercises.ch08.SIMILARITY, exercises.ch08.TEMPERATURE
    right = _info_nce(s, tau)
    return Case(
        exercises.ch08.info_nce,
        right,
        [(_info_nce(s, 1.0), "temperature"), (2 * right, "divide their sum by 2")],
    )


def _ch08_ranking() -> Case:
    right = {"recall_at_1": 0.25, "recall_at_3": 0.75, "median_rank": 2.5}
    return Case(
        exercises.ch08.ranking,
        right,
        [({**right, "median_rank": 1.5}, "start at 1"), ({"recall_at_1": 0.25}, "keys")],
    )


def _ch08_matching() -> Case:
    return Case(
        exercises.ch08.matching,
        [2, 5],
        [
            ([2, 2, 5], "more than once"),
            ([1, 2, 5], "cannot be both"),
            ([2], "missing"),
            ([7], "only 6 scenes"),
        ],
    )


def _ch08_hardest() -> Case:
    s, margin = exercises.ch08.SIMILARITY, exercises.ch08.MARGIN
    positive = np.diag(s)
    negative = ~np.eye(3, dtype=bool)
    rows = np.where(negative, np.maximum(0, margin - positive[:, None] + s), 0)
    columns = np.where(negative, np.maximum(0, margin - positive[None, :] + s), 0)
    right = float((rows.max(axis=1) + columns.max(axis=0)).mean())
    summed = float((rows.sum(axis=1) + columns.sum(axis=0)).mean())
    return Case(exercises.ch08.hardest_negative, right, [(summed, "largest hinge")])


def _ch08_chars() -> Case:
    return Case(
        exercises.ch08.shared_ngrams,
        [3, 1, 1],
        [
            ([1, 0, 0], "only pairs"),
            ([0, 0, 0], "word tokenizer"),
            ([3, 1], "list of 3 ints"),
        ],
    )


# --------------------------------------------------------------------------- chapter 9


def _ch09_f1() -> Case:
    return Case(
        exercises.ch09.entity_f1_by_hand,
        6 / 11,
        [(2 * 5 / 13, "token-level"), (0.9, "too large")],
    )


def _ch09_base_rate() -> Case:
    r, f, pi = 0.9, 0.05, 0.02
    return Case(
        exercises.ch09.base_rate,
        r * pi / (r * pi + f * (1 - pi)),
        [(0.95, "specificity"), (0.9, "recall")],
    )


def _ch09_chance() -> Case:
    options = exercises.ch09.CHANCE_OPTIONS
    return Case(
        exercises.ch09.why_chance, options[1], [(options[0], "belong together")], choice=True
    )


def _ch09_chance_levels() -> Case:
    counts = list(exercises.ch09.CATEGORY_COUNTS.values())
    shares = [n / sum(counts) for n in counts]
    return Case(
        exercises.ch09.proportional_chance,
        sum(p * p for p in shares),
        [(max(shares), "most common"), (1 / 6, "equally often")],
    )


# --------------------------------------------------------------------------- chapter 10


def _ch10_chance() -> Case:
    return Case(
        exercises.ch10.chance_recall,
        1 - math.comb(47, 10) / math.comb(50, 10),
        [(0.6, "counts the rankings"), (0.2, "one right image")],
    )


def _ch10_interval() -> Case:
    p, n = 0.6, 200
    half = 1.96 * math.sqrt(p * (1 - p) / n)
    return Case(
        exercises.ch10.recall_interval,
        (p - half, p + half),
        [((p + half, p - half), "low is above high"), ((p - 2 * half, p + 2 * half), "too wide")],
    )


def _ch10_auc() -> Case:
    return Case(
        exercises.ch10.detection_auc, 19.5 / 24, [(19 / 24, "not zero"), (4.5 / 24, "how often")]
    )


def _ch10_best() -> Case:
    from crossmodal_helpers import challenges

    rows = challenges.MODEL_ROWS
    rng = np.random.default_rng(0)
    records: dict[str, dict[str, Any]] = {}
    for row in rows:
        records.setdefault(row.stem, {"results": {}})["results"][row.quality_key] = float(
            rng.uniform(0.5, 1.0)
        )
    table = challenges.model_table(records)
    right = challenges.best_per_task(table)
    task = sorted(right)[0]
    others = table[(table["task"] == task) & (table["model"] != right[task])]["model"]
    wrong = {**right, task: others.iloc[0]} if len(others) else {**right, task: "?"}
    return Case(
        lambda a: exercises.ch10.best_models(a, records),
        right,
        [(wrong, "another best model"), ({}, "lacks the task")],
    )


# --------------------------------------------------------------------------- chapter 11


def _ch11_clipped() -> Case:
    return Case(
        exercises.ch11.clipped_precision, 5 / 7, [(1.0, "clip each word"), (6 / 7, "single")]
    )


def _ch11_beam() -> Case:
    return Case(exercises.ch11.beam_by_hand, 0.36, [(0.24, "width 2 keeps")])


def _ch11_attributes() -> Case:
    return Case(
        exercises.ch11.attribute_accuracy, 5 / 8, [(5 / 6, "never mentioned"), (0.5, "synonym")]
    )


# --------------------------------------------------------------------------- chapter 13


def _ch13_nt_xent() -> Case:
    ch13 = exercises.ch13
    views = np.concatenate([ch13.VIEWS_FIRST, ch13.VIEWS_SECOND])
    views = views / np.linalg.norm(views, axis=1, keepdims=True)
    logits = views @ views.T / ch13.VIEWS_TEMPERATURE
    n = len(ch13.VIEWS_FIRST)
    partner = np.concatenate([np.arange(n, 2 * n), np.arange(n)])

    def loss(mask: np.ndarray) -> float:
        masked = np.where(mask, logits, -np.inf)
        log_norm = np.log(np.exp(masked).sum(axis=1))
        return float(np.mean(log_norm - logits[np.arange(2 * n), partner]))

    every = np.ones((2 * n, 2 * n), bool)
    others = ~np.eye(2 * n, dtype=bool)
    across = np.zeros((2 * n, 2 * n), bool)
    across[:n, n:] = across[n:, :n] = True
    return Case(
        ch13.nt_xent,
        loss(others),
        [
            (loss(every), "with itself"),
            (loss(across), "chapter 8"),
            (loss(others) + 1, "too large"),
        ],
    )


def _ch13_negatives() -> Case:
    n = exercises.ch13.NEGATIVES_BATCH
    return Case(
        exercises.ch13.negatives,
        {"simclr": 2 * n - 2, "clip": n - 1},
        [
            ({"simclr": 2 * n - 1, "clip": n - 1}, "the partner view"),
            ({"simclr": n - 1, "clip": n - 1}, "its own side"),
            ({"simclr": 2 * n - 2, "clip": 2 * n - 2}, "batch's texts"),
            ([2 * n - 2, n - 1], "keys 'simclr' and 'clip'"),
        ],
    )


def _ch13_random_probe() -> Case:
    from crossmodal_helpers import fusion, pretraining, runtime

    runtime.quiet_tensorflow()
    import keras

    keras.utils.set_random_seed(0)
    encoder = fusion.build_image_encoder((12, 12, 1), 8)
    rng = np.random.default_rng(0)
    images = rng.random((60, 12, 12, 1)).astype("float32")
    labels = np.arange(60) % 3
    images[labels == 1, :6] *= 0.2  # classes a random encoder can tell apart
    images[labels == 2, 6:] *= 0.2
    train, test = slice(0, 30), slice(30, 60)
    right = pretraining.linear_probe_accuracy(
        pretraining.embed(encoder, images[train]),
        labels[train],
        pretraining.embed(encoder, images[test]),
        labels[test],
    )
    return Case(
        lambda a: exercises.ch13.random_probe(
            a, encoder, images[train], labels[train], images[test], labels[test]
        ),
        right,
        [(right * 100, "between 0 and 1"), (right / 2, "too small")],
    )


# --------------------------------------------------------------------------- appendix


def _appendix():
    import crossmodal_helpers.exercises.appendix as appendix

    return appendix


def _appendix_batch() -> Case:
    return Case(_appendix().per_replica_batch, 64, [(4096, "SPLIT"), (32, "too small")])


def _appendix_lr() -> Case:
    return Case(
        _appendix().scaled_learning_rate,
        3.2,
        [(0.1 * math.sqrt(32), "square-root"), (0.1 / 32, "larger steps")],
    )


def _appendix_strategy() -> Case:
    right = {
        "colab_tpu": "TPUStrategy",
        "four_gpus": "MirroredStrategy",
        "two_machines": "MultiWorkerMirroredStrategy",
        "laptop_cpu": "default",
    }
    return Case(
        _appendix().which_strategy,
        right,
        [({**right, "two_machines": "MirroredStrategy"}, "two_machines")],
        choice=True,
    )


# --------------------------------------------------------------------------- chapter 12


def _ch12_prior() -> Case:
    return Case(
        exercises.ch12.prior_of_no,
        sum((29 / 30) ** n for n in (1, 2, 3)) / 3,
        [(29 / 30, "single object"), (1 - sum((29 / 30) ** n for n in (1, 2, 3)) / 3, "yes")],
    )


def _ch12_blind() -> Case:
    return Case(
        exercises.ch12.blind_accuracy,
        (1 / 6 + 1 / 5 + 1 / 6 + 1 / 3 + 1 / 3 + 1 / 2) / 6,
        [(1 / 16, "all answers"), (1 / 3, "six templates")],
    )


FILM_FEATURES = np.random.default_rng(12).normal(size=(2, 3, 3, 4))
FILM_GAMMA, FILM_BETA = np.random.default_rng(13).normal(size=(2, 2, 4))


def _ch12_film() -> Case:
    g, b = FILM_GAMMA[:, None, None, :], FILM_BETA[:, None, None, :]
    return Case(
        lambda a: exercises.ch12.film_by_hand(a, FILM_FEATURES, FILM_GAMMA, FILM_BETA),
        (1 + g) * FILM_FEATURES + b,
        [(g * FILM_FEATURES + b, "1 + gamma")],
    )


SIZES = np.array([40, 40, 20])
GRADIENTS = np.random.default_rng(0).normal(size=(3, 4)).round(2)


def _appendix_gradient() -> Case:
    return Case(
        lambda a: _appendix().combined_gradient(a, GRADIENTS, SIZES),
        (SIZES[:, None] * GRADIENTS).sum(axis=0) / SIZES.sum(),
        [(GRADIENTS.mean(axis=0), "plain mean")],
    )


#: The chapters that have self-checks (the appendix's are listed separately).
CHAPTERS = tuple(range(1, 14))

CASES: dict[str, Callable[[], Case]] = {
    "ch01.class_means": _ch01_class_means,
    "ch01.which_kind": _ch01_which_kind,
    "ch01.leakage": _ch01_leakage,
    "ch01.tag_counts": _ch01_tag_counts,
    "ch02.tfidf": _ch02_tfidf,
    "ch02.backward_max_match": _ch02_backward,
    "ch02.rotten_scores": _ch02_rotten,
    "ch02.segmentation_scores": _ch02_word_f1,
    "ch03.sobel_x": _ch03_sobel,
    "ch03.hog_length": _ch03_hog,
    "ch03.cnn_parameters": _ch03_parameters,
    "ch03.precision_recall": _ch03_precision_recall,
    "ch04.product_rule": _ch04_product,
    "ch04.gated_fusion": _ch04_gate,
    "ch04.best_text_weight": _ch04_weight,
    "ch04.which_fusion": _ch04_which,
    "ch05.losses": _ch05_losses,
    "ch05.true_bottleneck": _ch05_bottleneck,
    "ch05.pca_baseline": _ch05_pca,
    "ch05.without_dropout": _ch05_dropout,
    "ch05.kl_to_prior": _ch05_kl,
    "ch05.cvae_width": _ch05_cvae_width,
    "ch06.attention_weights": _ch06_weights,
    "ch06.relative_position": _ch06_relative,
    "ch06.causal_mask": _ch06_causal,
    "ch06.pointing": _ch06_pointing,
    "ch06.looking_beside": _ch06_beside,
    "ch07.optimal_discriminator": _ch07_optimal,
    "ch07.generator_gradients": _ch07_gradients,
    "ch07.frechet_1d": _ch07_frechet,
    "ch07.accuracy_by_kind": _ch07_kinds,
    "ch07.js_divergence": _ch07_js,
    "ch08.info_nce": _ch08_info_nce,
    "ch08.ranking": _ch08_ranking,
    "ch08.matching": _ch08_matching,
    "ch08.hardest_negative": _ch08_hardest,
    "ch08.shared_ngrams": _ch08_chars,
    "ch09.entity_f1_by_hand": _ch09_f1,
    "ch09.base_rate": _ch09_base_rate,
    "ch09.why_chance": _ch09_chance,
    "ch09.proportional_chance": _ch09_chance_levels,
    "ch10.chance_recall": _ch10_chance,
    "ch10.recall_interval": _ch10_interval,
    "ch10.detection_auc": _ch10_auc,
    "ch10.best_models": _ch10_best,
    "ch11.clipped_precision": _ch11_clipped,
    "ch11.beam_by_hand": _ch11_beam,
    "ch11.attribute_accuracy": _ch11_attributes,
    "ch12.prior_of_no": _ch12_prior,
    "ch12.blind_accuracy": _ch12_blind,
    "ch12.film_by_hand": _ch12_film,
    "ch13.nt_xent": _ch13_nt_xent,
    "ch13.negatives": _ch13_negatives,
    "ch13.random_probe": _ch13_random_probe,
    "appendix.per_replica_batch": _appendix_batch,
    "appendix.scaled_learning_rate": _appendix_lr,
    "appendix.which_strategy": _appendix_strategy,
    "appendix.combined_gradient": _appendix_gradient,
}

_BUILT: dict[str, Case] = {}


def _case(name: str) -> Case:
    if name not in _BUILT:
        _BUILT[name] = CASES[name]()
    return _BUILT[name]


def test_the_table_covers_every_check_of_the_book():
    import inspect

    import crossmodal_helpers.exercises.appendix as appendix

    modules = {f"ch{n:02d}": getattr(exercises, f"ch{n:02d}") for n in CHAPTERS}
    modules["appendix"] = appendix
    checks = {
        f"{prefix}.{name}"
        for prefix, module in modules.items()
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__ and not name.startswith("_")
    }
    assert checks == set(CASES)


def test_no_chapter_module_offers_a_function_that_is_not_a_check():
    """Every public function of a chapter's checks returns Feedback (no answer helpers)."""
    import inspect

    for n in CHAPTERS:
        module = getattr(exercises, f"ch{n:02d}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module.__name__ and not name.startswith("_"):
                assert inspect.signature(function).return_annotation in ("Feedback", Feedback)
                assert hasattr(function, "__wrapped__"), f"{name} is not wrapped in self_check"


def test_no_module_attribute_holds_an_answer():
    """`exercises.chNN.<tab>` offers data and checks, never a right answer."""
    import crossmodal_helpers.exercises.appendix as appendix

    for name in sorted(CASES):
        right = _case(name).right
        if callable(right) or isinstance(right, np.ndarray):
            continue
        prefix = name.split(".")[0]
        module = appendix if prefix == "appendix" else getattr(exercises, prefix)
        for attribute, value in vars(module).items():
            if isinstance(value, (str, dict, list, tuple, int, float)):
                assert value != right, f"{prefix}.{attribute} is the answer of {name}"


# --------------------------------------------------------------------------- the answer's text


def _number_texts(value: float) -> set[str]:
    if float(value).is_integer() and abs(value) >= 2:
        return {str(int(value))}
    formats = ("{!r}", "{:.2f}", "{:.3f}", "{:.4f}", "{:.3g}", "{:.4g}", "{:.1%}", "{:.2%}")
    return {f.format(float(value)) for f in formats} - {"0", "1", "0.0", "1.0", "0.5", "0.50"}


def _forbidden(right: Any) -> set[str]:
    """The texts that would give the right answer away."""
    if isinstance(right, str):
        return {repr(right), f'"{right}"'}
    if isinstance(right, dict):
        texts = {repr(right), str(right)}
        for key, value in right.items():
            texts |= {f"{key!r}: {value!r}", f"({key}): {value!r}"}
            if not isinstance(value, str):
                texts |= _forbidden(value)
        return texts
    if callable(right):
        return set()
    if isinstance(right, list) and all(isinstance(i, int) for i in right):  # indices
        return {str(right), ", ".join(map(str, right)), str(set(right))}
    array = np.asarray(right)
    if array.dtype == np.bool_:
        return {str(array), str(array.tolist())}
    texts: set[str] = set()
    for value in np.unique(array.astype(float).ravel()):
        if abs(value) > 1e-3 and value not in (-1.0, 1.0, 0.5):
            texts |= _number_texts(value)
    return texts


def _leaks(feedback: Feedback, right: Any) -> list[str]:
    text = str(feedback)
    return [
        t for t in _forbidden(right) if re.search(r"(?<![\w.])" + re.escape(t) + r"(?![\w%])", text)
    ]


@pytest.mark.parametrize("name", sorted(CASES))
def test_typical_mistakes_get_their_hint_and_never_the_answer(name):
    case = _case(name)
    assert case.wrong, f"{name} needs typical wrong answers"
    for answer, words in case.wrong:
        feedback = case.check(answer)
        assert isinstance(feedback, Feedback) and not feedback.passed, (name, answer)
        assert words in str(feedback), (name, words, str(feedback))
        if not (case.choice and "not one of the options" in feedback.message):
            assert not _leaks(feedback, case.right), (name, _leaks(feedback, case.right), feedback)


NEAR_MISSES = (0.9, 1.1, -1.0, 0.0, 2.0)


@pytest.mark.parametrize("name", sorted(CASES))
def test_near_misses_never_show_the_expected_value(name):
    """Scaled and shifted versions of the right answer: feedback says how, never what."""
    case = _case(name)
    if case.choice or callable(case.right) or isinstance(case.right, dict):
        answers = []
    else:
        right = np.asarray(case.right)
        answers = [right * f for f in NEAR_MISSES] + [right + 0.01]
        if right.ndim > 0 and right.dtype != np.bool_:
            bumped = right.astype(float).copy()
            bumped.flat[0] += 0.25
            answers.append(bumped)
    if isinstance(case.right, dict) and not case.choice:
        answers = [
            {**case.right, key: value * 1.1}
            for key, value in case.right.items()
            if not isinstance(value, str)
        ]
    for answer in answers:
        feedback = case.check(answer)
        assert isinstance(feedback, Feedback)
        if not feedback.passed:
            assert not _leaks(feedback, case.right), (name, _leaks(feedback, case.right), feedback)


# ---------------------------------------------------------------------- forms of a right answer


def _forms(right: Any) -> dict[str, Any]:
    import scipy.sparse
    import tensorflow as tf

    if isinstance(right, (str, dict)) or callable(right):
        return {"as given": right}
    array = np.asarray(right)
    forms = {
        "as given": right,
        "list": array.tolist(),
        "tuple": tuple(array.tolist()) if array.ndim else array.item(),
        "float64 array": array.astype(np.float64) if array.dtype != np.bool_ else array,
        "float32 array": array.astype(np.float32) if array.dtype != np.bool_ else array,
        "tensorflow tensor": tf.constant(array),
    }
    if array.ndim == 0:
        forms |= {
            "NumPy float32 scalar": np.float32(array),
            "NumPy float64 scalar": np.float64(array),
            "one-item array": array.reshape(1),
        }
    if array.ndim == 2 and array.dtype != np.bool_:
        forms["SciPy sparse matrix"] = scipy.sparse.csr_matrix(array)
        forms["SciPy sparse array"] = scipy.sparse.csr_array(array)
    return forms


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_right_answer_passes_in_every_form(name):
    case = _case(name)
    for form, answer in _forms(case.right).items():
        feedback = case.check(answer)
        assert feedback.passed, (name, form, str(feedback))


def test_dict_answers_accept_numpy_and_tensor_values():
    import tensorflow as tf

    right = {"precision": 0.75, "recall": 0.8, "f1": 2 * 0.75 * 0.8 / 1.55}
    as_numpy = {k: np.float32(v) for k, v in right.items()}
    as_tensors = {k: tf.constant(v) for k, v in right.items()}
    assert exercises.ch02.rotten_scores(as_numpy).passed
    assert exercises.ch02.rotten_scores(as_tensors).passed


def test_collections_of_other_kinds_pass():
    import pandas as pd

    assert exercises.ch08.matching({5, 2}).passed
    assert exercises.ch08.matching(np.array([2, 5])).passed
    case = _case("ch10.best_models")
    assert case.check(pd.Series(case.right)).passed
    assert exercises.ch01.tag_counts(Counter(t for tags in TAGS for t in tags), TAGS).passed


def test_package_values_pass_as_they_come():
    """What the package's own functions return is a valid answer, tensors included."""
    from crossmodal_helpers import retrieval

    s, tau = exercises.ch08.SIMILARITY, exercises.ch08.TEMPERATURE
    assert exercises.ch08.info_nce(retrieval.info_nce_loss(s, tau)).passed


def test_an_exact_product_is_not_rejected_for_probabilities_near_zero():
    p = _probabilities(3)
    q = _probabilities(4)
    p[0] = 0.0
    p[0, 2], p[0, 5] = 1e-9, 1 - 1e-9
    exact = p * q / (p * q).sum(axis=1, keepdims=True)
    assert exercises.ch04.product_rule(exact, p, q).passed


# --------------------------------------------------------------------------- malformed answers

MALFORMED: dict[str, Any] = {
    "None": None,
    "Ellipsis": ...,
    "text": "forty-two",
    "empty list": [],
    "ragged list": [[1, 2], [3]],
    "nested dict": {"a": {"b": 1}},
    "set": {1, 2},
    "NaN": float("nan"),
    "infinity": float("inf"),
    "NaN matrix": np.full((3, 3), np.nan),
    "huge array": np.zeros((1500, 1500)),
    "huge number": 1e308,
    "negative": -1,
    "bool": True,
    "complex": 1 + 2j,
    "object": object(),
    "function returning None": lambda *args: None,
    "bytes": b"\x00",
    "tuple of Ellipsis": (..., ...),
    "string matrix": np.array([["a", "b"], ["c", "d"]]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_checks_never_raise_and_always_answer(name):
    case = _case(name)
    for kind, answer in MALFORMED.items():
        feedback = case.check(answer)
        assert isinstance(feedback, Feedback), (name, kind, feedback)
        assert not feedback.passed, (name, kind, str(feedback))
        assert str(feedback).startswith("Not yet: ") and len(feedback.message) > 5


def test_bad_context_arguments_give_feedback_not_a_traceback():
    feedback = exercises.ch04.product_rule(np.zeros((2, 10)), np.zeros(3), np.zeros(3))
    assert not feedback.passed and "p_image must be class probabilities" in feedback.message
    feedback = exercises.ch07.optimal_discriminator(np.zeros(3), [1, 2], [1, 2, 3])
    assert not feedback.passed and "same shape" in feedback.message
    feedback = exercises.ch03.precision_recall((0.5, 0.5), np.zeros((3, 4)))
    assert not feedback.passed and "square" in feedback.message
