"""Every exercise's published solution passes its self-check.

The solution code is read from the notebooks' ``{solution}`` blocks (its fenced Python code,
or for solutions written as prose, the inline assignment such as `` `width = 33` ``) and the
check call from the notebook's own self-check cell. Both run on a small state that stands
in for the executed chapter: the same names, built with the package's loaders and models
on small data, so that a change to a check, a solution or a notebook's check cell that
makes them disagree fails here in seconds, without executing the chapters.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import nbformat
import numpy as np
import pytest

from crossmodal_helpers import exercises

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SOLUTION = re.compile(r"````\{solution\} (\S+)\n(.*?)\n````", re.S)
FENCED = re.compile(r"```python\n(.*?)```", re.S)
INLINE = re.compile(r"`([A-Za-z_]\w* = [^`]+)`")


def _last_expression(source: str) -> str:
    """The source of a cell's last statement, the check call (it may span several lines)."""
    return ast.get_source_segment(source, ast.parse(source).body[-1])


def _exercises() -> dict[str, dict[str, str]]:
    """Map each exercise label to its solution code and its self-check expression."""
    found: dict[str, dict[str, str]] = {}
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        for index, cell in enumerate(cells):
            if cell.cell_type != "markdown":
                continue
            for label, body in SOLUTION.findall(cell.source):
                check = next(
                    c.source
                    for c in cells[index + 1 :]
                    if c.cell_type == "code"
                    and re.search(r"(exercises|_checks)\.[\w.]+\(", c.source)
                )
                found[label] = {
                    "notebook": path.name,
                    "fenced": "\n".join(FENCED.findall(body)),
                    "inline": "\n".join(INLINE.findall(body)),
                    "check": _last_expression(check),
                }
    return found


EXERCISES = _exercises()


def _digits_namespace() -> dict[str, Any]:
    from sklearn.datasets import load_digits

    return {"digits": load_digits()}


def _rotten() -> dict[str, Any]:
    from crossmodal_helpers import datasets

    return {"rotten": datasets.load("rotten_tomatoes", split="all")}


def _scenes() -> dict[str, Any]:
    from crossmodal_helpers import datasets

    return {"scenes": datasets.load("shapes", split="train", n=60, size=32)}


def _mnist_test() -> dict[str, Any]:
    from crossmodal_helpers import datasets

    return {
        "test": datasets.load("mnist5k", split="test", seed=0),
        "sobel_x": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32),
    }


def _confusion() -> dict[str, Any]:
    rng = np.random.default_rng(0)
    confusion = rng.integers(0, 5, size=(10, 10)) + np.diag(rng.integers(40, 60, size=10))
    return {"cnn_report": SimpleNamespace(confusion=confusion)}


def _probabilities(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(10, 0.3), size=n)
    p[0, 3] = 0.0  # an exact zero, as a confident softmax can underflow to
    return p / p.sum(axis=1, keepdims=True)


def _late_fusion() -> dict[str, Any]:
    labels = np.random.default_rng(2).integers(0, 10, size=40)
    return {
        "p_image": _probabilities(40, 0),
        "p_text": _probabilities(40, 1),
        "test": SimpleNamespace(labels=labels),
    }


def _gate() -> dict[str, Any]:
    import keras

    from crossmodal_helpers import fusion

    rng = np.random.default_rng(0)
    h_image = rng.normal(size=(5, 16)).astype("float32")
    h_text = rng.normal(size=(5, 12)).astype("float32")
    gate_layer = fusion.make_fusion("gated", units=8)
    gate_layer([h_image, h_text])  # builds the weights
    (W_x, b_x), (W_t, b_t) = (layer.get_weights() for layer in gate_layer.project)
    W_g, b_g = gate_layer.gate_layer.get_weights()
    return {
        "keras": keras,
        "gate_layer": gate_layer,
        "h_image": h_image,
        "h_text": h_text,
        **{"W_x": W_x, "b_x": b_x, "W_t": W_t, "b_t": b_t, "W_g": W_g, "b_g": b_g},
    }


def _validation_probabilities() -> dict[str, Any]:
    return {
        "p_image_val": _probabilities(60, 3),
        "p_text_val": _probabilities(60, 4),
        "y_val": np.random.default_rng(5).integers(0, 10, size=60),
    }


def _leaky() -> dict[str, Any]:
    import keras

    from crossmodal_helpers import autoencoders

    return {
        "keras": keras,
        "leaky_ae": autoencoders.build_leaky_autoencoder(code_dim=1, leak_dim=32),
    }


def _pca() -> dict[str, Any]:
    from sklearn.decomposition import PCA

    from crossmodal_helpers import datasets

    train = datasets.load("mnist5k", split="train")
    test = datasets.load("mnist5k", split="test")
    return {
        "PCA": PCA,
        "train": SimpleNamespace(images=train.images[:1000]),
        "test": SimpleNamespace(images=test.images[:100]),
    }


def _densities() -> dict[str, Any]:
    def gaussian(x: np.ndarray, mean: float, std: float) -> np.ndarray:
        return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))

    x = np.linspace(-5, 5, 400)
    return {
        "x": x,
        "p_data": 0.5 * gaussian(x, -2.0, 0.6) + 0.5 * gaussian(x, 1.5, 0.8),
        "p_g": gaussian(x, 0.0, 1.5),
    }


def _features() -> dict[str, Any]:
    rng = np.random.default_rng(0)
    return {
        "feature_real": rng.gamma(2.0, size=200).astype("float32"),
        "feature_fake": rng.gamma(1.5, size=200).astype("float32"),
    }


def _boxes() -> dict[str, Any]:
    grid = np.linspace(-1, 6, 1401)

    def box(start: float) -> np.ndarray:
        weights = ((grid >= start) & (grid < start + 1)).astype(float)
        return weights / weights.sum()

    return {"p_box": box(0.0), "q_box": box(2.0)}


def _kinds() -> dict[str, Any]:
    rng = np.random.default_rng(0)
    kinds = rng.choice(["word", "numeral", "sum", "chinese"], size=120)
    requested = rng.integers(0, 10, size=120)
    reads = np.where(rng.random(120) < 0.7, requested, rng.integers(0, 10, size=120))
    return {
        "cgan_reads": reads,
        "requested": requested,
        "pairs_test": SimpleNamespace(meta={"kind": kinds}),
    }


def _model_table(results_folder: Path) -> dict[str, Any]:
    from crossmodal_helpers import challenges, results

    rng = np.random.default_rng(0)
    records: dict[str, dict[str, Any]] = {}
    for row in challenges.MODEL_ROWS:
        numbers = records.setdefault(row.stem, {"wall_seconds": 60.0, "results": {}})["results"]
        numbers[row.quality_key] = float(rng.uniform(0.5, 1.0))
        for key in (row.seconds_key, row.parameters_key):
            if key:
                numbers[key] = int(rng.integers(1, 10_000))
    results_folder.mkdir(parents=True, exist_ok=True)
    for stem, record in records.items():
        (results_folder / f"{stem}.json").write_text(json.dumps(record), encoding="utf-8")
    return {"table": challenges.model_table(results.load_all(results_folder))}


def _attention_module() -> dict[str, Any]:
    from crossmodal_helpers import attention

    return {"attention": attention}


def _replicas() -> dict[str, Any]:
    return {
        "replica_sizes": np.array([40, 40, 20]),
        "replica_gradients": np.random.default_rng(0).normal(size=(3, 4)).round(2),
    }


def _film_inputs() -> dict[str, Any]:
    rng = np.random.default_rng(12)
    features = rng.normal(size=(2, 3, 3, 4))
    return {"features": features, "gamma": rng.normal(size=(2, 4)), "beta": rng.normal(size=(2, 4))}


def _pretraining() -> dict[str, Any]:
    import keras

    from crossmodal_helpers import datasets, fusion, pretraining

    train = datasets.load("mnist5k", split="train")
    test = datasets.load("mnist5k", split="test")
    return {
        "keras": keras,
        "fusion": fusion,
        "pretraining": pretraining,
        "IMAGE_SHAPE": train.images.shape[1:],
        "train": SimpleNamespace(images=train.images[:300], labels=train.labels[:300]),
        "test": SimpleNamespace(images=test.images[:100], labels=test.labels[:100]),
    }


#: The chapter state each solution needs, and which of its code to run ("fenced" or
#: "inline"; a fenced block that trains a model is replaced by the inline answer).
STATE: dict[str, tuple[Callable[..., dict[str, Any]], str]] = {
    "ex-ch01-class-means": (_digits_namespace, "fenced"),
    "ex-ch01-which-kind": (dict, "fenced"),
    "ex-ch01-leakage": (_rotten, "fenced"),
    "ex-ch01-tags": (_scenes, "fenced"),
    "ex-ch02-tfidf": (dict, "fenced"),
    "ex-ch02-backward": (dict, "fenced"),
    "ex-ch02-f1": (dict, "fenced"),
    "ex-ch02-word-f1": (dict, "fenced"),
    "ex-ch03-sobel": (_mnist_test, "fenced"),
    "ex-ch03-hog-length": (dict, "inline"),
    "ex-ch03-parameters": (dict, "inline"),
    "ex-ch03-precision-recall": (_confusion, "fenced"),
    "ex-ch04-product-rule": (_late_fusion, "fenced"),
    "ex-ch04-gate": (_gate, "fenced"),
    "ex-ch04-weight": (_validation_probabilities, "fenced"),
    "ex-ch04-which": (dict, "fenced"),
    "ex-ch05-losses": (dict, "fenced"),
    "ex-ch05-bottleneck": (_leaky, "fenced"),
    "ex-ch05-pca": (_pca, "fenced"),
    "ex-ch05-dropout": (dict, "inline"),
    "ex-ch05-kl": (dict, "fenced"),
    "ex-ch05-cvae-width": (dict, "inline"),
    "ex-ch06-by-hand": (dict, "fenced"),
    "ex-ch06-causal": (dict, "fenced"),
    "ex-ch06-pointing": (dict, "fenced"),
    "ex-ch06-beside": (dict, "fenced"),
    "ex-ch06-relative": (_attention_module, "fenced"),
    "ex-ch07-optimal-d": (_densities, "fenced"),
    "ex-ch07-saturation": (dict, "fenced"),
    "ex-ch07-frechet-1d": (_features, "fenced"),
    "ex-ch07-by-kind": (_kinds, "fenced"),
    "ex-ch07-js-disjoint": (_boxes, "fenced"),
    "ex-ch08-infonce": (dict, "fenced"),
    "ex-ch08-recall": (dict, "fenced"),
    "ex-ch08-matching": (dict, "fenced"),
    "ex-ch08-hard": (dict, "fenced"),
    "ex-ch08-chars": (dict, "fenced"),
    "ex-ch09-entity-f1": (dict, "fenced"),
    "ex-ch09-base-rate": (dict, "fenced"),
    "ex-ch09-chance": (dict, "fenced"),
    "ex-ch09-chance-levels": (dict, "fenced"),
    "ex-ch10-chance": (dict, "fenced"),
    "ex-ch10-interval": (dict, "fenced"),
    "ex-ch10-auc": (dict, "fenced"),
    "ex-ch10-best": (_model_table, "fenced"),
    "ex-ch11-clipped": (dict, "fenced"),
    "ex-ch11-beam": (dict, "fenced"),
    "ex-ch11-attributes": (dict, "fenced"),
    "ex-ch12-prior": (dict, "fenced"),
    "ex-ch12-chance": (dict, "fenced"),
    "ex-ch12-film": (_film_inputs, "fenced"),
    "ex-ch13-ntxent": (dict, "fenced"),
    "ex-ch13-negatives": (dict, "fenced"),
    "ex-ch13-control": (_pretraining, "fenced"),
    "ex-appendix-per-replica": (dict, "fenced"),
    "ex-appendix-linear-scaling": (dict, "fenced"),
    "ex-appendix-which-strategy": (dict, "fenced"),
    "ex-appendix-unequal-shares": (_replicas, "fenced"),
}


def test_every_exercise_of_the_book_is_covered():
    assert sorted(EXERCISES) == sorted(STATE)


@pytest.mark.parametrize("label", sorted(STATE))
def test_published_solution_passes_its_check(label, tmp_path, monkeypatch):
    import crossmodal_helpers.exercises.appendix as appendix_checks
    from crossmodal_helpers import results, retrieval

    exercise = EXERCISES[label]
    build, part = STATE[label]
    monkeypatch.setenv(results.RESULTS_ENV, str(tmp_path / "results"))
    state = build(tmp_path / "results") if build is _model_table else build()
    namespace = {
        "np": np,
        "exercises": exercises,
        "appendix_checks": appendix_checks,
        "retrieval": retrieval,
        **state,
    }
    code = exercise[part]
    assert code.strip(), f"{label}: the solution in {exercise['notebook']} has no {part} code"
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, f"{label} solution", "exec"), namespace)
        feedback = eval(compile(exercise["check"], f"{label} check", "eval"), namespace)
    assert isinstance(feedback, exercises.Feedback)
    assert feedback.passed, f"{label}: {feedback}"
