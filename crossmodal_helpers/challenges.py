"""Challenges and choices: misaligned pairs, a measured model table, confidence intervals.

Introduced in chapter 10. The pieces:

- :func:`misalign_pairs` gives a chosen share of image–text pairs each other's captions,
  the controlled misalignment of the chapter's experiment, and
  :func:`clean_pair_probability` estimates from a model's similarity scores which pairs
  are still aligned (a two-component Gaussian mixture, as in DivideMix and NCR);
- :data:`MODEL_ROWS` names, for every model the book trains, the chapter and the results
  keys of its quality, training time and size; :func:`model_table` assembles them from the
  chapters' results files (``results.load_all()``) into a table, with missing numbers left
  missing, :func:`chapters_missing` says which chapters have not been run,
  :func:`format_model_table` prints the table and :func:`best_per_task` reads it;
  :func:`plot_quality_against` draws quality against training time or size;
- :func:`bootstrap_interval`, a percentile bootstrap confidence interval of a mean, such
  as a Recall@K over queries.

pandas and scikit-learn's mixture model are imported inside the functions that need them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from crossmodal_helpers._checks import (
    check_count,
    check_flag,
    check_fraction,
    check_numeric_array,
    check_texts,
)

#: The most bootstrap resamples :func:`bootstrap_interval` draws (a few seconds of work).
MAX_RESAMPLES = 10**6

# --------------------------------------------------------------------------- misaligned pairs


def misalign_pairs(
    texts: Sequence[str], fraction: float, *, seed: int = 0
) -> tuple[list[str], np.ndarray]:
    """Give a ``fraction`` of the pairs another pair's caption; return (texts, misaligned).

    Introduced in chapter 10. ``round(fraction * len(texts))`` pairs are chosen at random;
    in a random cycle through them, each takes the caption of the next, so every chosen
    pair receives a caption that was written for a different image. The images are not
    touched: pass the returned texts with the original images. ``misaligned`` is a boolean
    array marking the chosen pairs. A borrowed caption can still happen to fit its new
    image (two scenes may share a description), so the mask says which pairs were
    shuffled, not which are wrong.
    """
    texts = check_texts(texts)
    fraction = check_fraction(fraction, "fraction")
    check_count(seed, "seed", minimum=0)
    n_chosen = round(fraction * len(texts))
    if n_chosen == 1:
        raise ValueError(
            f"fraction {fraction} of {len(texts)} pairs chooses one pair, which has no other "
            "pair to swap captions with: choose 0 or at least 2 pairs"
        )
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(texts), size=n_chosen, replace=False)
    shuffled = list(texts)
    for target, source in zip(chosen, np.roll(chosen, -1), strict=True):
        shuffled[target] = texts[source]
    misaligned = np.zeros(len(texts), dtype=bool)
    misaligned[chosen] = True
    return shuffled, misaligned


def clean_pair_probability(scores: Any, *, seed: int = 0) -> np.ndarray:
    """Probability that each pair is aligned, from a model's similarity scores of the pairs.

    Introduced in chapter 10. Fits a mixture of two Gaussians to the scores (one number per
    training pair, e.g. the cosine similarity of its image and caption) and returns, for
    each pair, the posterior probability of the component with the higher mean: aligned
    pairs score high, misaligned ones low. DivideMix (Li et al., 2020) splits noisy labels
    this way from per-example losses, and NCR (Huang et al., 2021) image–text pairs. The
    split is only as good as the scores; if they are not bimodal (e.g. nothing is
    misaligned) the mixture still divides them in two.
    """
    from sklearn.mixture import GaussianMixture

    scores = check_numeric_array(scores, "scores", ndim=1)
    check_count(seed, "seed", minimum=0)
    if len(scores) < 2 or np.ptp(scores) == 0:
        raise ValueError("scores must hold at least two different values to fit two components")
    mixture = GaussianMixture(n_components=2, random_state=seed).fit(scores[:, None])
    high = int(np.argmax(mixture.means_.ravel()))
    return mixture.predict_proba(scores[:, None])[:, high]


# --------------------------------------------------------------------------- confidence intervals


def bootstrap_interval(
    values: Any, *, n_resamples: int = 2000, level: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of the mean of ``values``.

    Introduced in chapter 10 (Efron, 1979). Draws ``n_resamples`` samples of the same size
    with replacement, takes each one's mean, and returns the ``(1 - level) / 2`` and
    ``(1 + level) / 2`` quantiles of those means. For a Recall@K pass one 0/1 hit per query
    (``ranks <= K``): the interval shows how much the number would move on another test
    set of the same size from the same distribution. It says nothing about other training
    seeds.
    """
    values = check_numeric_array(values, "values", ndim=1)
    n_resamples = check_count(n_resamples, "n_resamples", maximum=MAX_RESAMPLES)
    if isinstance(level, bool) or not isinstance(level, (int, float, np.number)):
        raise TypeError(f"level must be a number between 0 and 1, got {level!r}")
    if not 0 < float(level) < 1:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95), got {level}")
    check_count(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    means = np.empty(n_resamples)
    for start in range(0, n_resamples, 256):  # in blocks, to bound memory
        stop = min(start + 256, n_resamples)
        picks = rng.integers(0, len(values), size=(stop - start, len(values)))
        means[start:stop] = values[picks].mean(axis=1)
    tail = (1 - float(level)) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return float(low), float(high)


# --------------------------------------------------------------------------- the model table


@dataclass(frozen=True)
class ModelRow:
    """One model of the book and where its numbers are recorded. Introduced in chapter 10.

    ``stem`` is the chapter's notebook (its results file is ``<stem>.json``); the chapter
    records the model's quality under ``quality_key`` (measured with ``metric`` on
    ``task``), its training time in seconds under ``<prefix>_train_seconds`` and its
    number of learned parameters under ``<prefix>_parameters``.
    """

    stem: str
    task: str
    model: str
    quality_key: str
    metric: str
    prefix: str

    @property
    def seconds_key(self) -> str:
        """The results key of the training time: ``<prefix>_train_seconds``."""
        return f"{self.prefix}_train_seconds"

    @property
    def parameters_key(self) -> str:
        """The results key of the parameter count: ``<prefix>_parameters``."""
        return f"{self.prefix}_parameters"


#: Every model of the book's "choosing an algorithm" table, in the chapters' order: a tuple
#: of :class:`ModelRow`. Introduced in chapter 10.
#:
#: :meta hide-value:
MODEL_ROWS: tuple[ModelRow, ...] = (
    ModelRow(
        "02_text_mining",
        "review sentiment",
        "classical (best by CV)",
        "best_classical_accuracy",
        "accuracy",
        "best_classical",
    ),
    ModelRow(
        "02_text_mining",
        "review sentiment",
        "averaged embeddings",
        "keras_accuracy",
        "accuracy",
        "keras",
    ),
    ModelRow(
        "06_attention",
        "review sentiment",
        "Transformer block",
        "transformer_text_accuracy",
        "accuracy",
        "transformer",
    ),
    ModelRow(
        "03_image_recognition",
        "digit recognition",
        "HOG + SVM",
        "hog_svm_accuracy",
        "accuracy",
        "hog_svm",
    ),
    ModelRow("03_image_recognition", "digit recognition", "CNN", "cnn_accuracy", "accuracy", "cnn"),
    ModelRow(
        "04_fusion",
        "noisy digit pairs",
        "image only",
        "image_only_accuracy_noisy",
        "accuracy",
        "image_only",
    ),
    ModelRow(
        "04_fusion",
        "noisy digit pairs",
        "text only",
        "text_only_accuracy_noisy",
        "accuracy",
        "text_only",
    ),
    ModelRow(
        "04_fusion",
        "noisy digit pairs",
        "early fusion",
        "early_fusion_accuracy_noisy",
        "accuracy",
        "early_fusion",
    ),
    ModelRow(
        "04_fusion",
        "noisy digit pairs",
        "late fusion",
        "late_fusion_accuracy_noisy",
        "accuracy",
        "late_fusion",
    ),
    ModelRow(
        "04_fusion",
        "noisy digit pairs",
        "joint fusion",
        "joint_fusion_accuracy_noisy",
        "accuracy",
        "joint_fusion",
    ),
    ModelRow(
        "05_autoencoders",
        "text → image",
        "bimodal autoencoder",
        "text_to_image_cnn_accuracy",
        "CNN-judged accuracy",
        "bimodal_ae",
    ),
    ModelRow(
        "07_gans",
        "text → image",
        "conditional GAN",
        "cgan_requested_digit_accuracy",
        "CNN-judged accuracy",
        "cgan",
    ),
    ModelRow(
        "05_autoencoders",
        "digit label → image",
        "conditional VAE",
        "cvae_requested_digit_accuracy",
        "CNN-judged accuracy",
        "cvae",
    ),
    ModelRow(
        "05_autoencoders",
        "digits from noise",
        "VAE",
        "vae_class_coverage",
        "CNN-judged digit coverage",
        "vae",
    ),
    ModelRow(
        "07_gans",
        "digits from noise",
        "DCGAN",
        "dcgan_class_coverage",
        "CNN-judged digit coverage",
        "dcgan",
    ),
    ModelRow(
        "06_attention",
        "grounding words in scenes",
        "cross-attention",
        "pointing_accuracy",
        "pointing accuracy",
        "cross_attention",
    ),
    ModelRow(
        "08_retrieval",
        "text → image retrieval (shapes)",
        "CCA",
        "cca_shapes_t2i_r1",
        "Recall@1",
        "cca",
    ),
    ModelRow(
        "08_retrieval",
        "text → image retrieval (shapes)",
        "dual encoder",
        "shapes_t2i_r1",
        "Recall@1",
        "dual_encoder",
    ),
    ModelRow(
        "09_case_study",
        "report classification",
        "fused model",
        "report_classification_accuracy_fused",
        "accuracy",
        "report_fused",
    ),
    ModelRow(
        "09_case_study",
        "inconsistent-pair detection",
        "cross-modal checker",
        "inconsistency_f1_crossmodal",
        "F1",
        "inconsistency",
    ),
    ModelRow(
        "09_case_study",
        "people, places, events (real emoji)",
        "image + name (late fusion)",
        "entity_category_accuracy_fused",
        "accuracy (5-fold CV)",
        "entity_fused",
    ),
    ModelRow(
        "09_case_study",
        "mismatched emoji names (hard)",
        "linear dual encoder (CCA)",
        "mismatch_auc_hard",
        "AUC",
        "mismatch_dual",
    ),
    ModelRow(
        "11_captioning",
        "image captioning (shapes)",
        "CNN + Transformer decoder",
        "greedy_attribute_accuracy",
        "attribute accuracy",
        "captioner",
    ),
    ModelRow(
        "12_vqa",
        "visual question answering (shapes)",
        "question only",
        "vqa_question_only_accuracy",
        "accuracy",
        "vqa_question_only",
    ),
    ModelRow(
        "12_vqa",
        "visual question answering (shapes)",
        "image only",
        "vqa_image_only_accuracy",
        "accuracy",
        "vqa_image_only",
    ),
    ModelRow(
        "12_vqa",
        "visual question answering (shapes)",
        "concat fusion",
        "vqa_concat_accuracy",
        "accuracy",
        "vqa_concat",
    ),
    ModelRow(
        "12_vqa",
        "visual question answering (shapes)",
        "FiLM",
        "vqa_film_accuracy",
        "accuracy",
        "vqa_film",
    ),
    ModelRow(
        "12_vqa",
        "visual question answering (shapes)",
        "cross-attention",
        "vqa_cross_attention_accuracy",
        "accuracy",
        "vqa_cross_attention",
    ),
    ModelRow(
        "13_pretraining",
        "digits from 2 labels per class",
        "CNN from scratch",
        "scratch_accuracy_2",
        "accuracy",
        "fewlabel_scratch",
    ),
    ModelRow(
        "13_pretraining",
        "digits from 2 labels per class",
        "SimCLR pretraining + fine-tuning",
        "finetuned_accuracy_2",
        "accuracy",
        "simclr_finetuned",
    ),
)

#: The columns of :func:`model_table`. Introduced in chapter 10.
TABLE_COLUMNS = ("chapter", "task", "model", "metric", "quality", "train_seconds", "parameters")


def _check_records(records: Any) -> Mapping[str, Any]:
    if not isinstance(records, Mapping):
        raise TypeError(
            "records must map chapter stems to their results, as results.load_all() returns, "
            f"got {type(records).__name__}"
        )
    for stem, record in records.items():
        if not isinstance(record, Mapping) or not isinstance(record.get("results"), Mapping):
            raise TypeError(
                f"records[{stem!r}] must be a dict with a 'results' dict, as in a chapter's "
                "results file"
            )
    return records


def _check_rows(rows: Any) -> tuple[ModelRow, ...]:
    if isinstance(rows, ModelRow) or not isinstance(rows, Sequence):
        raise TypeError(f"rows must be a sequence of ModelRow, got {type(rows).__name__}")
    for i, row in enumerate(rows):
        if not isinstance(row, ModelRow):
            raise TypeError(f"rows must hold ModelRow, got {type(row).__name__} at index {i}")
    return tuple(rows)


def chapters_missing(
    records: Mapping[str, Any], rows: Sequence[ModelRow] = MODEL_ROWS
) -> list[str]:
    """The chapters of ``rows`` that have no results in ``records``, sorted by name.

    Introduced in chapter 10. ``records`` is what ``results.load_all()`` returns.
    """
    records, rows = _check_records(records), _check_rows(rows)
    return sorted({row.stem for row in rows if row.stem not in records})


def _number(results: Mapping[str, Any], key: str, stem: str, *, integer: bool) -> float:
    """A recorded number, or NaN when the key is missing."""
    if key not in results:
        return math.nan
    value = results[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{stem}: {key} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{stem}: {key} must be finite, got {value}")
    if integer and value != int(value):
        raise ValueError(f"{stem}: {key} must be a whole number of parameters, got {value}")
    return float(value)


def model_table(records: Mapping[str, Any], rows: Sequence[ModelRow] = MODEL_ROWS) -> Any:
    """The measured model table: one row per model, numbers from the chapters' results files.

    Introduced in chapter 10. Returns a pandas DataFrame with the columns
    :data:`TABLE_COLUMNS`: the chapter (notebook stem), task, model, metric, the quality,
    the training time in seconds and the number of parameters. ``records`` is what
    ``results.load_all()`` returns. A number that a chapter has not recorded (or a chapter
    that has not been run) is missing — NaN for quality and seconds, ``<NA>`` for the
    integer parameter counts — never filled in.
    """
    import pandas as pd

    records, rows = _check_records(records), _check_rows(rows)
    data = []
    for row in rows:
        results = records.get(row.stem, {"results": {}})["results"]
        data.append(
            {
                "chapter": row.stem,
                "task": row.task,
                "model": row.model,
                "metric": row.metric,
                "quality": _number(results, row.quality_key, row.stem, integer=False),
                "train_seconds": _number(results, row.seconds_key, row.stem, integer=False),
                "parameters": _number(results, row.parameters_key, row.stem, integer=True),
            }
        )
    table = pd.DataFrame(data, columns=list(TABLE_COLUMNS))
    table["parameters"] = table["parameters"].astype("Int64")
    return table


def _check_table(table: Any) -> Any:
    import pandas as pd

    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a DataFrame from model_table(), got {type(table).__name__}")
    absent = [c for c in TABLE_COLUMNS if c not in table.columns]
    if absent:
        raise ValueError(f"table lacks the columns {absent}: build it with model_table()")
    return table


def format_model_table(table: Any, *, missing: str = "—") -> Any:
    """The table as text for display: quality to 3 decimals, seconds to 1, missing as ``missing``.

    Introduced in chapter 10.
    """
    import pandas as pd

    table = _check_table(table)

    def show(value: Any, spec: str) -> str:
        return missing if pd.isna(value) else format(value, spec)

    shown = table.copy()
    shown["quality"] = [show(v, ".3f") for v in table["quality"]]
    shown["train_seconds"] = [show(v, ".1f") for v in table["train_seconds"]]
    shown["parameters"] = [show(v, ",d") for v in table["parameters"]]
    return shown.rename(columns={"train_seconds": "train seconds"})


def best_per_task(table: Any) -> dict[str, str]:
    """For each task with at least one quality value, the model with the highest quality.

    Introduced in chapter 10. Higher is better for every metric of the book's table; on a
    tie the first row wins. Tasks without any quality value are left out.
    """
    table = _check_table(table)
    measured = table.dropna(subset=["quality"])
    best = {}
    for task, group in measured.groupby("task", sort=False):
        best[task] = str(group.loc[group["quality"].idxmax(), "model"])
    return best


def _label_points(ax: Any, xs: np.ndarray, ys: np.ndarray, names: Sequence[str]) -> None:
    """Write each name next to its point, trying four sides so labels do not overlap."""
    fontsize = 7
    ax.figure.canvas.draw()  # settle the limits and scales before measuring
    points = ax.transData.transform(np.c_[xs, ys]) * 72 / ax.figure.dpi  # in typographic points
    height = fontsize * 1.2
    taken = [(x - 3, y - 3, x + 3, y + 3) for x, y in points]
    sides = ((4, 2, "left"), (4, -2 - height, "left"), (-4, 2, "right"), (-4, -2 - height, "right"))
    for (x, y), name in sorted(zip(points.tolist(), names, strict=True), key=lambda t: -t[0][1]):
        width = 0.55 * fontsize * len(name)
        options = []
        for dx, dy, align in sides:
            x0 = x + dx if align == "left" else x + dx - width
            box = (x0, y + dy, x0 + width, y + dy + height)
            overlaps = sum(
                box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in taken
            )
            options.append((overlaps, box, dx, dy, align))
        overlaps, box, dx, dy, align = min(options, key=lambda option: option[0])
        taken.append(box)
        xy = ax.transData.inverted().transform(np.array([[x, y]]) * ax.figure.dpi / 72)[0]
        ax.annotate(
            name,
            xy,
            xytext=(dx, dy),
            textcoords="offset points",
            ha=align,
            va="bottom",
            fontsize=fontsize,
        )


def plot_quality_against(
    table: Any, cost: str = "train_seconds", *, ax: Any = None, legend: bool = True
) -> Any:
    """Scatter each model's quality against ``cost`` (log scale), one colour per task.

    Introduced in chapter 10. ``cost`` is ``"train_seconds"`` or ``"parameters"``. Each
    point is labelled with its model; colours mark the tasks, and only models of the same
    task should be compared, since the tasks have different metrics. Rows missing the
    quality or the cost are not drawn; the title says how many were left out. With
    ``legend`` a legend of the tasks goes below the axes. Returns the axes.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    table = _check_table(table)
    if not isinstance(cost, str):
        raise TypeError(f"cost must be 'train_seconds' or 'parameters', got {type(cost).__name__}")
    if cost not in ("train_seconds", "parameters"):
        raise ValueError(f"cost must be 'train_seconds' or 'parameters', got {cost!r}")
    legend = check_flag(legend, "legend")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    drawn = table.dropna(subset=["quality", cost])
    colours = plt.get_cmap("tab10")
    for k, (task, group) in enumerate(drawn.groupby("task", sort=False)):
        x = group[cost].astype(float).to_numpy()
        ax.scatter(x, group["quality"], s=30, color=colours(k % 10), label=task, zorder=3)
    label, name = {
        "train_seconds": ("training time (s)", "training time"),
        "parameters": ("learned parameters", "parameter count"),
    }[cost]
    ax.set_xlabel(label + (", log scale" if len(drawn) else ""))
    ax.set_ylabel("quality (the task's metric)")
    ax.grid(alpha=0.3)
    if len(drawn):
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        x = drawn[cost].astype(float).to_numpy()
        ax.set_xlim(x.min() / 2, x.max() * 4)  # room for the labels
        _label_points(ax, x, drawn["quality"].to_numpy(float), list(drawn["model"]))
        if legend:
            ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3)
    left_out = len(table) - len(drawn)
    if left_out:
        note = f"{left_out} of {len(table)} models not drawn: no recorded quality or {name}"
        if len(drawn) == 0:
            note = f"none of the {len(table)} models has a recorded quality and {name} yet"
        ax.set_title(note, fontsize=8, color="grey")
    return ax
