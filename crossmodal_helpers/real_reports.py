"""Chapter 9 on real emoji: recognising people, places and events, and mismatched pairs.

Introduced in chapter 9. Beside the generated shapes reports, the chapter runs two of its
tasks on the real OpenMoji drawings and CLDR names of ``emoji_entities`` and
``emoji_pairs``:

- **recognition**: image → category and name → category with linear models, evaluated by
  cross-validation (every item is predicted once, by a model that never saw it);
- **mismatch detection**: a linear dual encoder (chapter 3's HOG features and a word
  TF-IDF, each reduced by PCA, joined by chapter 8's CCA) scores how well a name fits an
  image, and the area under the ROC curve (AUC) says how well that score separates true
  pairs from swapped names, with a bootstrap interval.

The models are scikit-learn's and run on one thread: on small data, several threads
spend more time waiting for each other than computing. Importing this module is cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from crossmodal_helpers._checks import (
    check_count,
    check_fraction,
    check_images,
    check_labels,
    check_numeric_array,
    check_texts,
)
from crossmodal_helpers.challenges import MAX_RESAMPLES

#: Inputs a category classifier can read. Introduced in chapter 9.
INPUT_KINDS = ("image", "name")
_THUMBNAIL = 8  # side of the colour thumbnail in the image features


def image_features(images: Any) -> np.ndarray:
    """Chapter 3's HOG vector plus an 8×8 colour thumbnail of each image.

    Introduced in chapter 9. HOG (cells of a quarter of the image side, 2×2 blocks) says
    where the edges run; the thumbnail says which colours sit where (a flag's stripes, a
    Christmas tree's green). Returns (n, features) float32.
    """
    from crossmodal_helpers.vision import hog_features

    images = check_images(images)
    if images.shape[-1] != 3 or images.shape[1] != images.shape[2]:
        raise ValueError(f"images must be square RGB (N, S, S, 3), got shape {images.shape}")
    side = images.shape[1]
    if side % _THUMBNAIL or side < 16:
        raise ValueError(f"images must be at least 16 pixels wide, a multiple of 8, got {side}")
    hog = hog_features(images, pixels_per_cell=side // 4)
    step = side // _THUMBNAIL
    thumbnail = images.reshape(len(images), _THUMBNAIL, step, _THUMBNAIL, step, 3).mean(axis=(2, 4))
    return np.hstack([hog, thumbnail.reshape(len(images), -1)]).astype(np.float32)


def _single_thread() -> Any:
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def category_classifier(kind: str) -> Any:
    """An unfitted scikit-learn pipeline for image features or names → category.

    Introduced in chapter 9. ``"image"``: standardised :func:`image_features`, then
    multinomial logistic regression (strongly regularised: there are more features than
    items). ``"name"``: character 2–4-grams within words, TF-IDF weighted (so "firefighter"
    and "fire engine" share "fire"), then logistic regression.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if kind not in INPUT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(INPUT_KINDS)}, got {kind!r}")
    if kind == "image":
        return make_pipeline(StandardScaler(), LogisticRegression(C=0.05, max_iter=2000))
    return make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)),
        LogisticRegression(C=10.0, max_iter=2000),
    )


def _check_category_inputs(kind: str, inputs: Any, labels: Any) -> tuple[Any, np.ndarray]:
    if kind not in INPUT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(INPUT_KINDS)}, got {kind!r}")
    labels = check_labels(labels)
    if kind == "image":
        inputs = check_numeric_array(inputs, "inputs", ndim=2)
    else:
        inputs = check_texts(inputs, "inputs", nonempty=True)
    if len(inputs) != len(labels):
        raise ValueError(
            f"inputs and labels must have one entry per item, got {len(inputs)} and {len(labels)}"
        )
    return inputs, labels


def fit_category_classifier(kind: str, inputs: Any, labels: Any) -> Any:
    """Fit :func:`category_classifier` (``kind``) on image features or names, one thread.

    Introduced in chapter 9.
    """
    inputs, labels = _check_category_inputs(kind, inputs, labels)
    with _single_thread():
        return category_classifier(kind).fit(inputs, labels)


def cross_validated_probabilities(
    kind: str, inputs: Any, labels: Any, *, folds: int = 5, seed: int = 0
) -> np.ndarray:
    """Class probabilities of every item from a model trained on the other folds.

    Introduced in chapter 9. Stratified ``folds``-fold cross-validation of
    :func:`category_classifier` (``kind``): ``inputs`` are image features (``"image"``) or
    names (``"name"``). Returns (n, classes); each row comes from the one model whose
    training folds did not hold that item.
    """
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    inputs, labels = _check_category_inputs(kind, inputs, labels)
    folds = check_count(folds, "folds", minimum=2)
    seed = check_count(seed, "seed", minimum=0)
    smallest = int(np.bincount(labels).min())
    if folds > smallest:
        raise ValueError(f"folds must be at most the smallest class size ({smallest}), got {folds}")
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    with _single_thread():
        return cross_val_predict(
            category_classifier(kind), inputs, labels, cv=splitter, method="predict_proba"
        )


def _check_pairs(
    features: Any, names: Any, *, nonempty: bool = False
) -> tuple[np.ndarray, list[str]]:
    """Image features (n, d) and n names, checked as pairs."""
    features = check_numeric_array(features, "features", ndim=2)
    names = check_texts(names, "names", nonempty=nonempty)
    if len(features) != len(names):
        raise ValueError(
            f"features and names must be pairs of equal length, got {len(features)} and "
            f"{len(names)}"
        )
    return features, names


@dataclass(frozen=True)
class LinearDualEncoder:
    """Image features and names mapped into one shared space by PCA/SVD and CCA.

    Introduced in chapter 9. Made by :func:`fit_linear_dual_encoder`; :meth:`pair_scores`
    gives the cosine similarity of each image with its paired name.
    """

    image_steps: Any
    name_steps: Any
    cca: Any

    def embed_images(self, features: Any) -> np.ndarray:
        """Image features (n, d) → shared space (n, components)."""
        features = check_numeric_array(features, "features", ndim=2)
        return self.cca.transform_x(self.image_steps.transform(features))

    def embed_names(self, names: Sequence[str]) -> np.ndarray:
        """Names → shared space (n, components)."""
        names = check_texts(names, "names")
        return self.cca.transform_y(self.name_steps.transform(names))

    def pair_scores(self, features: Any, names: Sequence[str]) -> np.ndarray:
        """Cosine similarity of image ``i`` with name ``i``, for every pair (n,)."""
        features, names = _check_pairs(features, names)
        a, b = self.embed_images(features), self.embed_names(names)
        norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
        return np.sum(a * b, axis=1) / np.maximum(norms, 1e-12)


def fit_linear_dual_encoder(
    features: Any, names: Sequence[str], *, components: int = 64, shared: int = 16
) -> LinearDualEncoder:
    """Fit a linear dual encoder on true (image features, name) pairs.

    Introduced in chapter 9. Images: standardise, PCA to ``components``. Names: word
    TF-IDF, truncated SVD (latent semantic analysis) to ``components``. Then chapter 8's
    regularised CCA finds ``shared`` directions on which the two agree most. Seeded, no
    iterations to tune.
    """
    from sklearn.decomposition import PCA, TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from crossmodal_helpers.retrieval import fit_cca

    features, names = _check_pairs(features, names, nonempty=True)
    components = check_count(components, "components", minimum=2)
    shared = check_count(shared, "shared", maximum=components)
    if components >= min(len(names), features.shape[1]):
        raise ValueError(
            f"components must be below the number of pairs and of features "
            f"({min(len(names), features.shape[1])}), got {components}"
        )
    image_steps = make_pipeline(StandardScaler(), PCA(components, random_state=0))
    name_steps = make_pipeline(TfidfVectorizer(), TruncatedSVD(components, random_state=0))
    with _single_thread():
        x = image_steps.fit_transform(features)
        y = name_steps.fit_transform(names)
        cca = fit_cca(x, y, shared, regularization=0.3)
    return LinearDualEncoder(image_steps=image_steps, name_steps=name_steps, cca=cca)


def auc(positive: Any, negative: Any) -> float:
    """Area under the ROC curve: P(a positive scores above a negative), ties count half.

    Introduced in chapter 9 (the Mann–Whitney statistic). 0.5 is chance, 1 is a perfect
    ranking; it needs no threshold.
    """
    positive = check_numeric_array(positive, "positive", ndim=1)
    negative = check_numeric_array(negative, "negative", ndim=1)
    return float(_auc(positive[None], negative[None])[0])


def _auc(positive: np.ndarray, negative: np.ndarray) -> np.ndarray:
    """Row-wise AUC of (r, p) positive and (r, q) negative scores, by sorting."""
    q = negative.shape[1]
    ordered = np.sort(negative, axis=1)
    below = np.stack(
        [np.searchsorted(row, p, side="left") for row, p in zip(ordered, positive, strict=True)]
    )
    not_above = np.stack(
        [np.searchsorted(row, p, side="right") for row, p in zip(ordered, positive, strict=True)]
    )
    return (below + not_above).mean(axis=1) / (2 * q)


def bootstrap_auc(
    positive: Any,
    negative: Any,
    *,
    paired: bool = False,
    n_resamples: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of :func:`auc`.

    Introduced in chapter 9. Unpaired: positives and negatives are resampled separately.
    ``paired=True``: ``positive[i]`` and ``negative[i]`` belong to one item (an image with
    its true and its swapped name), and items are resampled, keeping pairs together.
    """
    positive = check_numeric_array(positive, "positive", ndim=1)
    negative = check_numeric_array(negative, "negative", ndim=1)
    if paired and len(positive) != len(negative):
        raise ValueError(
            f"paired scores need one positive and one negative per item, got {len(positive)} "
            f"and {len(negative)}"
        )
    if not isinstance(paired, bool):
        raise TypeError(f"paired must be True or False, got {paired!r}")
    n_resamples = check_count(n_resamples, "n_resamples", maximum=MAX_RESAMPLES)
    level = check_fraction(level, "level", closed=False)
    if level == 0:
        raise ValueError("level must be between 0 and 1 (e.g. 0.95), got 0")
    rng = np.random.default_rng(check_count(seed, "seed", minimum=0))
    values = np.empty(n_resamples)
    for start in range(0, n_resamples, 256):  # in blocks, to bound memory
        stop = min(start + 256, n_resamples)
        picks = rng.integers(0, len(positive), size=(stop - start, len(positive)))
        other = picks if paired else rng.integers(0, len(negative), (stop - start, len(negative)))
        values[start:stop] = _auc(positive[picks], negative[other])
    tail = (1 - level) / 2
    low, high = np.quantile(values, [tail, 1 - tail])
    return float(low), float(high)
