"""Text mining: cleaning, tokens, n-grams, TF-IDF terms, Keras text models, a review explainer.

Introduced in chapter 2. The chapter writes each idea out first; this module keeps the
reusable pieces so later chapters call them in one line. TensorFlow/Keras and ipywidgets
are imported inside the functions that need them, so importing this module is cheap.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from crossmodal_helpers._checks import (
    check_count,
    check_dropout,
    check_flag,
    check_labels,
    check_names,
    check_numeric_array,
    check_texts,
    check_width,
)

#: A token is a run of letters or digits, with inner apostrophes kept ("doesn't", "it's"),
#: or one of the sentiment-bearing marks "!" and "?". Introduced in chapter 2.
TOKEN_PATTERN = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[!?]")

#: Curly quotes and backticks mapped to straight quotes. Introduced in chapter 2.
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "`": "'", "\u201c": '"', "\u201d": '"'})

_STOP_WORD_LIST = """
a about above after again all also am an and any are as at be because been before being
below between both by can could did do does doing down during each for from further had has
have having he her here hers herself him himself his how i if in into is it it's its itself
me my myself of off on once or other our ours ourselves out over own same she should some
such than that that's the their theirs them themselves then there there's these they this
those through to under until up was we were what when where which while who whom why will
with would you your yours yourself yourselves
"""
#: English function words that carry little meaning on their own. Unlike many published
#: lists (scikit-learn's included) it keeps negations, contrast and degree words ("not",
#: "no", "never", "but", "too", "very", "only", ...), which decide the polarity of a
#: review. Introduced in chapter 2.
STOP_WORDS: frozenset[str] = frozenset(_STOP_WORD_LIST.split())


def _check_text(text: Any, name: str = "text") -> str:
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str, got {type(text).__name__}")
    return text


def _check_tokens(tokens: Any) -> list[str]:
    if isinstance(tokens, str):
        raise TypeError("tokens must be a list of str (tokenize the text first), got a str")
    return check_texts(tokens, "tokens")


def clean_text(text: str) -> str:
    """Undo HTML escapes, normalise Unicode, quotes and white space.

    Introduced in chapter 2. ``"PB&amp;J\u2019s  \\n fine"`` becomes ``"PB&J's fine"``;
    letters keep their case.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    text = unicodedata.normalize("NFKC", html.unescape(text))
    return re.sub(r"\s+", " ", text.translate(QUOTES)).strip()


def tokenize(text: str) -> list[str]:
    """Split a text into lower-case tokens with :data:`TOKEN_PATTERN`.

    Introduced in chapter 2. The text is cleaned first (:func:`clean_text`); punctuation
    other than "!" and "?" is dropped. Languages written without spaces (Chinese,
    Japanese) come out as one token per run of characters: they need word segmentation
    first.
    """
    return [match.group().lower() for match in TOKEN_PATTERN.finditer(clean_text(text))]


def chinese_segmenter() -> Any:
    """A quiet, ready ``jieba.Tokenizer`` for Chinese word segmentation. Introduced in chapter 2.

    jieba ships its dictionary (about 350,000 words with their frequencies). On first use it
    builds a prefix dictionary from it and keeps it in a cache file, which goes into the
    book's cache folder (:func:`crossmodal_helpers.datasets.cache_dir`) or, when that
    cannot be written, into the system's temporary folder. Its start-up messages are
    silenced. ``chinese_segmenter().lcut("我喜欢这部电影")`` gives
    ``["我", "喜欢", "这部", "电影"]``.
    """
    import logging
    import os
    import tempfile

    try:
        import jieba
    except ImportError:
        raise ImportError(
            "text.chinese_segmenter needs the jieba package: `pip install jieba` "
            "(or `pip install crossmodal-helpers[data]`)"
        ) from None

    from crossmodal_helpers.datasets import cache_dir

    jieba.setLogLevel(logging.WARNING)
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        writable = os.access(folder, os.W_OK | os.X_OK)
    except OSError:
        writable = False
    segmenter = jieba.Tokenizer()
    segmenter.tmp_dir = str(folder) if writable else tempfile.gettempdir()
    segmenter.initialize()
    return segmenter


def remove_stop_words(tokens: Sequence[str], stop_words: Iterable[str] = STOP_WORDS) -> list[str]:
    """The tokens that are not stop words, in order. Introduced in chapter 2."""
    tokens = _check_tokens(tokens)
    if isinstance(stop_words, (str, bytes)):
        raise TypeError(
            "stop_words must be a collection of str such as {'the', 'a'}, got a single str"
        )
    stop = frozenset(check_texts(list(stop_words), "stop_words"))
    return [token for token in tokens if token not in stop]


def ngrams(tokens: Sequence[str], n: int = 2) -> list[str]:
    """The n-grams of a token list, each joined by one space. Introduced in chapter 2.

    ``ngrams(["not", "very", "good"], 2)`` is ``["not very", "very good"]``; a list shorter
    than ``n`` has no n-grams.
    """
    tokens = _check_tokens(tokens)
    n = check_count(n, "n")
    return [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def top_terms(
    matrix: Any,
    labels: Sequence[int] | np.ndarray,
    terms: Sequence[str],
    label_names: Sequence[str],
    *,
    k: int = 10,
    contrast: bool = True,
) -> dict[str, list[tuple[str, float]]]:
    """The ``k`` highest-weighted terms of each class of a document-term matrix.

    Introduced in chapter 2. ``matrix`` (documents × terms, dense or SciPy sparse, e.g.
    TF-IDF weights) has one row per label; ``terms`` names its columns. A term's score in
    class $c$ is its mean weight over the documents of $c$, minus (with ``contrast``) its
    mean weight over all other documents, so words frequent everywhere drop out.
    Returns ``{label name: [(term, score), ...]}``, best first.
    """
    shape = getattr(matrix, "shape", None)
    if shape is None or len(shape) != 2:
        raise TypeError(
            f"matrix must be a 2-D array or SciPy sparse matrix (documents × terms), got "
            f"{type(matrix).__name__}"
        )
    n_docs, n_terms = shape
    label_names = check_names(label_names, "label_names")
    labels = check_labels(labels, n=n_docs, n_classes=len(label_names))
    terms = check_names(terms, "terms", n=n_terms)
    k = check_count(k, "k")
    contrast = check_flag(contrast, "contrast")
    terms = np.asarray(terms)
    out = {}
    for c, name in enumerate(label_names):
        inside = labels == c
        if not inside.any():
            raise ValueError(f"class {name!r} has no documents in labels")
        score = np.asarray(matrix[inside].mean(axis=0)).ravel()
        if contrast and (~inside).any():
            score = score - np.asarray(matrix[~inside].mean(axis=0)).ravel()
        best = np.argsort(-score, kind="stable")[:k]
        out[name] = [(str(terms[j]), float(score[j])) for j in best]
    return out


def nearest_words(
    word: str, embeddings: np.ndarray, vocabulary: Sequence[str], *, k: int = 5
) -> list[tuple[str, float]]:
    """The ``k`` words whose embedding rows are closest to ``word``'s by cosine similarity.

    Introduced in chapter 2. ``embeddings`` has one row per entry of ``vocabulary`` (e.g.
    a Keras ``Embedding`` layer's weights with the vectoriser's vocabulary). The word itself
    is never among them, so ``k`` can be at most ``len(vocabulary) - 1``.
    """
    word = _check_text(word, "word")
    vocabulary = check_names(vocabulary, "vocabulary")
    embeddings = check_numeric_array(embeddings, "embeddings", ndim=2)
    if len(embeddings) != len(vocabulary):
        raise ValueError(
            f"embeddings must be a matrix with one row per vocabulary entry "
            f"({len(vocabulary)}), got shape {embeddings.shape}"
        )
    if word not in vocabulary:
        raise ValueError(f"word {word!r} is not in the vocabulary")
    k = check_count(k, "k", maximum=max(1, len(vocabulary) - 1))
    norms = np.linalg.norm(embeddings, axis=1)
    unit = embeddings / np.where(norms > 0, norms, 1.0)[:, None]
    i = vocabulary.index(word)
    similarity = unit @ unit[i]
    similarity[i] = -np.inf
    best = np.argsort(-similarity, kind="stable")[:k]
    return [(vocabulary[j], float(similarity[j])) for j in best]


# --------------------------------------------------------------------------- Keras models


def token_input(vocab_size: int, *, vectorizer: Any = None, length: int | None = None) -> Any:
    """The input of a text model and the token ids it yields: ``(inputs, ids)``.

    Introduced in chapter 2. Without ``vectorizer`` the model takes padded token ids of
    shape ``(batch, length)``; with an adapted ``keras.layers.TextVectorization`` it takes
    raw strings and the vectorizer turns them into ids inside the model.
    """
    vocab_size = check_count(vocab_size, "vocab_size")
    if length is not None:
        length = check_count(length, "length")
    import keras

    if vectorizer is None:
        inputs = keras.Input(shape=(length,), dtype="int64", name="token_ids")
        return inputs, inputs
    if not isinstance(vectorizer, keras.layers.TextVectorization):
        raise TypeError(
            f"vectorizer must be a keras.layers.TextVectorization, got {type(vectorizer).__name__}"
        )
    if vectorizer.vocabulary_size() > vocab_size:
        raise ValueError(
            f"vocab_size ({vocab_size}) is smaller than the vectorizer's vocabulary "
            f"({vectorizer.vocabulary_size()})"
        )
    inputs = keras.Input(shape=(), dtype="string", name="text")
    return inputs, vectorizer(inputs)


def build_text_encoder(
    vocab_size: int,
    embedding_dim: int = 32,
    *,
    vectorizer: Any = None,
    name: str = "text_encoder",
) -> Any:
    """A Keras model mapping a text to one vector: the mean of its word embeddings.

    Introduced in chapter 2 and reused by the cross-modal chapters. The input is a batch
    of padded token-id sequences (0 = padding, masked out of the mean), or, when
    ``vectorizer`` (an adapted ``keras.layers.TextVectorization`` with integer output) is
    given, a batch of raw strings. The output has shape ``(batch, embedding_dim)``; the
    embedding table is the layer named ``"embedding"``. The mean is
    ``attention.MaskedMean``, so an empty text (all padding) gives the zero vector, not
    NaN; a saved model loads once ``crossmodal_helpers.attention`` is imported.
    """
    vocab_size = check_count(vocab_size, "vocab_size")
    embedding_dim = check_width(embedding_dim, "embedding_dim")
    import keras

    from crossmodal_helpers.attention import MaskedMean  # a Keras module: imported on use

    inputs, ids = token_input(vocab_size, vectorizer=vectorizer)
    vectors = keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=True, name="embedding")(
        ids
    )
    pooled = MaskedMean(name="mean_of_words")(vectors)
    return keras.Model(inputs, pooled, name=name)


def build_text_classifier(
    vocab_size: int,
    n_classes: int,
    *,
    embedding_dim: int = 32,
    dropout: float = 0.3,
    vectorizer: Any = None,
) -> Any:
    """A small Keras text classifier: :func:`build_text_encoder`, dropout, softmax.

    Introduced in chapter 2. Inputs as for :func:`build_text_encoder`; the output is the
    class probabilities ``(batch, n_classes)``. The encoder is the layer named
    ``"text_encoder"``. Compile it yourself (e.g. Adam, sparse categorical cross-entropy).
    """
    vocab_size = check_count(vocab_size, "vocab_size")
    n_classes = check_count(n_classes, "n_classes", minimum=2)
    embedding_dim = check_width(embedding_dim, "embedding_dim")
    dropout = check_dropout(dropout)
    import keras

    encoder = build_text_encoder(vocab_size, embedding_dim, vectorizer=vectorizer)
    inputs = keras.Input(shape=encoder.input.shape[1:], dtype=encoder.input.dtype, name="input")
    hidden = keras.layers.Dropout(dropout, name="dropout")(encoder(inputs))
    probabilities = keras.layers.Dense(n_classes, activation="softmax", name="classes")(hidden)
    return keras.Model(inputs, probabilities, name="text_classifier")


def build_sequence_tagger(
    vocab_size: int,
    n_tags: int,
    *,
    embedding_dim: int = 32,
    units: int = 32,
) -> Any:
    """A Keras sequence tagger: embeddings, a bidirectional LSTM, one softmax per token.

    Introduced in chapter 2. The input is padded token ids ``(batch, length)`` with 0 as
    padding; the output is tag probabilities ``(batch, length, n_tags)``. Padding is masked
    (``mask_zero``), so it affects neither the LSTM, nor the loss, nor the metrics.
    """
    vocab_size = check_count(vocab_size, "vocab_size")
    n_tags = check_count(n_tags, "n_tags")
    embedding_dim = check_width(embedding_dim, "embedding_dim")
    units = check_width(units, "units")
    import keras

    inputs = keras.Input(shape=(None,), dtype="int64", name="token_ids")
    x = keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=True, name="embedding")(inputs)
    x = keras.layers.Bidirectional(keras.layers.LSTM(units, return_sequences=True), name="bilstm")(
        x
    )
    outputs = keras.layers.Dense(n_tags, activation="softmax", name="tags")(x)
    return keras.Model(inputs, outputs, name="sequence_tagger")


# --------------------------------------------------------------------------- explanations


@dataclass(frozen=True)
class ReviewExplanation:
    """A linear model's verdict on one text and each token's share of it.

    Introduced in chapter 2. ``weights[i]`` is token ``i``'s contribution to the score of
    the predicted class ``label`` (positive: pushes towards it); ``spans[i]`` its (start,
    end) in ``text`` (the cleaned text). The contributions plus ``intercept`` (the model's
    bias $b$, which belongs to no word) add up exactly to ``score``, and :meth:`to_html`
    shows that sum. ``label_names`` lists all classes.
    """

    text: str
    label: str
    score: float
    intercept: float
    tokens: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    weights: tuple[float, ...]
    label_names: tuple[str, ...]

    def top(self, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` tokens that push hardest towards the predicted class."""
        order = np.argsort(-np.asarray(self.weights), kind="stable")[:k]
        return [(self.tokens[i], self.weights[i]) for i in order if self.weights[i] > 0]

    def supported_class(self, weight: float) -> str | None:
        """The class a token of this ``weight`` pushes towards (None if it is not clear).

        With two classes a negative weight pushes towards the other class; with more,
        only "towards the prediction" (positive weight) is determined.
        """
        if weight > 0:
            return self.label
        if weight < 0 and len(self.label_names) == 2:
            return self.label_names[1 - self.label_names.index(self.label)]
        return None

    def to_html(self) -> str:
        """The text with each token highlighted by the class it pushes towards.

        Two classes: green towards the first, red towards the second. More classes: green
        towards the prediction, red against it. Stronger evidence, darker colour.
        """
        binary = len(self.label_names) == 2
        green, red = "27,127,59", "179,38,30"
        largest = max((abs(w) for w in self.weights), default=0.0) or 1.0
        parts, end = [], 0
        for token, (start, stop), weight in zip(self.tokens, self.spans, self.weights, strict=True):
            parts.append(html.escape(self.text[end:start]))
            alpha = 0.15 + 0.75 * abs(weight) / largest if weight else 0.0
            if binary:
                colour = green if self.supported_class(weight) == self.label_names[0] else red
            else:
                colour = green if weight > 0 else red
            parts.append(
                f"<span title='{html.escape(token)}: {weight:+.3f} towards "
                f"{html.escape(self.label)}' style='background:rgba({colour},{alpha:.2f});"
                f"padding:1px 2px;border-radius:3px'>{html.escape(self.text[start:stop])}</span>"
            )
            end = stop
        parts.append(html.escape(self.text[end:]))
        if binary:
            first, second = (html.escape(name) for name in self.label_names)
            legend = f"green words push towards {first}, red words towards {second}"
        else:
            legend = "green words push towards it, red words against"
        drivers = ", ".join(f"<i>{html.escape(t)}</i> ({w:+.2f})" for t, w in self.top(5))
        words_total = float(sum(self.weights))
        return (
            f"<div style='line-height:1.9'><b>Prediction: {html.escape(self.label)}</b> "
            f"(score {self.score:+.2f} = intercept {self.intercept:+.2f} + words "
            f"{words_total:+.2f}; {legend})<br>{''.join(parts)}<br>"
            f"<small>words that drove it: {drivers or 'none'}</small></div>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()


def _check_linear_text_model(
    vectorizer: Any, classifier: Any, label_names: Sequence[str]
) -> list[str]:
    if getattr(vectorizer, "tokenizer", None) is not tokenize:
        raise ValueError(
            "vectorizer must be a fitted scikit-learn CountVectorizer/TfidfVectorizer with "
            "tokenizer=crossmodal_helpers.text.tokenize (and token_pattern=None), so that its "
            "features can be traced back to the words of the text"
        )
    if getattr(vectorizer, "stop_words", None) is not None:
        raise ValueError("vectorizer must keep all tokens (stop_words=None) to be explained")
    if not hasattr(vectorizer, "vocabulary_"):
        raise ValueError("vectorizer is not fitted yet: call fit or fit_transform first")
    coef = getattr(classifier, "coef_", None)
    if coef is None or not hasattr(classifier, "intercept_"):
        raise TypeError(
            "classifier must be a fitted linear model with coef_ and intercept_ (LinearSVC, "
            f"LogisticRegression, ...), got {type(classifier).__name__}"
        )
    label_names = check_names(label_names, "label_names")
    n_classes = len(getattr(classifier, "classes_", label_names))
    if len(label_names) != n_classes:
        raise ValueError(
            f"label_names must name the classifier's {n_classes} classes, got {len(label_names)}"
        )
    return label_names


def explain_review(
    text: str, vectorizer: Any, classifier: Any, label_names: Sequence[str]
) -> ReviewExplanation:
    """Explain a linear text classifier's prediction word by word. Introduced in chapter 2.

    ``vectorizer`` is a fitted scikit-learn vectoriser with ``tokenizer=tokenize``;
    ``classifier`` a fitted linear model (``coef_``, ``intercept_``). The score of a class is
    $b + \\sum_j w_j x_j$ over the features $j$ (n-grams) of the text; each n-gram's term
    $w_j x_j$ is shared equally among the tokens of its occurrences, so the token
    contributions add up exactly to the score minus the intercept.
    """
    label_names = _check_linear_text_model(vectorizer, classifier, label_names)
    cleaned = clean_text(_check_text(text))
    matches = list(TOKEN_PATTERN.finditer(cleaned))
    if not matches:
        raise ValueError(f"text must contain at least one word, got {text!r}")
    tokens = [m.group().lower() for m in matches]
    features = vectorizer.transform([text]).tocsr()
    values = dict(zip(features.indices, features.data, strict=True))
    coef = np.atleast_2d(np.asarray(classifier.coef_, dtype=float))
    intercepts = np.atleast_1d(np.asarray(classifier.intercept_, dtype=float))
    scores = np.asarray(features @ coef.T).ravel() + intercepts
    if coef.shape[0] == 1:  # binary: one score, positive means the second class
        predicted = int(scores[0] > 0)
        sign = 1.0 if predicted == 1 else -1.0
        row, score, intercept = coef[0] * sign, scores[0] * sign, intercepts[0] * sign
    else:
        predicted = int(np.argmax(scores))
        row, score, intercept = coef[predicted], scores[predicted], intercepts[predicted]
    low, high = vectorizer.ngram_range
    weights = np.zeros(len(tokens))
    for n in range(low, high + 1):
        grams = ngrams(tokens, n)
        counts = Counter(grams)
        for start, gram in enumerate(grams):
            j = vectorizer.vocabulary_.get(gram)
            if j is None or j not in values:
                continue
            weights[start : start + n] += values[j] * row[j] / (n * counts[gram])
    return ReviewExplanation(
        text=cleaned,
        label=str(label_names[predicted]),
        score=float(score),
        intercept=float(intercept),
        tokens=tuple(tokens),
        spans=tuple(m.span() for m in matches),
        weights=tuple(float(w) for w in weights),
        label_names=tuple(str(name) for name in label_names),
    )


def review_explainer(
    vectorizer: Any,
    classifier: Any,
    label_names: Sequence[str],
    examples: Sequence[str],
    *,
    default: str | None = None,
):
    """A widget to see which words drive a linear model's verdict on a review.

    Introduced in chapter 2. Two parts: a drop-down of ``examples``, each analysed in
    advance and switched in the browser (``jslink``), so it also works on the static
    website; and a text box whose analysis updates as you type, live in Jupyter and Colab
    (it needs a Python kernel). ``default`` (first example if None) is the text box's
    initial review, shown already analysed.
    """
    import ipywidgets as widgets

    from crossmodal_helpers.widgets import pages, panel, show_page

    label_names = _check_linear_text_model(vectorizer, classifier, label_names)
    examples = check_texts(examples, "examples")
    if not examples:
        raise ValueError("examples must be a non-empty list of review strings")
    explanations = [explain_review(e, vectorizer, classifier, label_names) for e in examples]
    default = examples[0] if default is None else _check_text(default, "default")

    def analyse(text: str) -> str:
        try:
            return explain_review(text, vectorizer, classifier, label_names).to_html()
        except ValueError as error:
            return f"<i>{html.escape(str(error))}</i>"

    shown = pages(
        [widgets.HTML(e.to_html()) for e in explanations],
        [str(i + 1) for i in range(len(explanations))],
    )
    options = [
        (f"{i + 1}. {e.text[:60]}{'…' if len(e.text) > 60 else ''}", i)
        for i, e in enumerate(explanations)
    ]
    chooser = widgets.Dropdown(
        options=options, value=0, description="example", layout=widgets.Layout(width="95%")
    )
    show_page(chooser, shown)
    box = widgets.Textarea(
        value=default,
        continuous_update=True,
        description="your review",
        layout=widgets.Layout(width="95%", height="4em"),
    )
    result = widgets.HTML(analyse(default))

    def update(change: dict) -> None:
        result.value = analyse(change["new"])

    box.observe(update, names="value")
    return panel(
        "<b>Review explainer</b>: pick an analysed example (works everywhere)",
        chooser,
        shown,
        widgets.HTML("… or type your own review (live in Jupyter and Colab):"),
        box,
        result,
    )
