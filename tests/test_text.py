"""Unit tests of crossmodal_helpers.text (chapter 2): tokens, n-grams, terms, models, widget."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.svm import LinearSVC

from crossmodal_helpers import text

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "02_text_mining.ipynb"

# ----------------------------------------------------------------------------- cleaning, tokens


def test_clean_text_unescapes_html_and_normalises_quotes_and_space():
    assert text.clean_text("PB&amp;J\u2019s  \n\t fine ") == "PB&J's fine"
    assert text.clean_text("\u201cAbandon\u201d") == '"Abandon"'
    assert text.clean_text("   ") == ""


def test_tokenize_keeps_contractions_marks_and_accents():
    assert text.tokenize("Doesn\u2019t work!! Crème brûlée, 10,000 times?") == [
        "doesn't",
        "work",
        "!",
        "!",
        "crème",
        "brûlée",
        "10",
        "000",
        "times",
        "?",
    ]
    assert text.tokenize("well-made PB&amp;J") == ["well", "made", "pb", "j"]
    assert text.tokenize("") == []


def test_tokenize_cannot_split_chinese():
    assert text.tokenize("我喜欢这部电影") == ["我喜欢这部电影"]


@pytest.mark.parametrize("function", [text.clean_text, text.tokenize])
def test_text_functions_reject_non_strings(function):
    with pytest.raises(TypeError, match="text must be a str"):
        function(["a list"])


def test_stop_words_keep_negations_contrast_and_degree():
    for word in ("not", "no", "never", "nor", "but", "too", "very", "only"):
        assert word not in text.STOP_WORDS
    for word in ("the", "a", "of", "and", "is", "it's"):
        assert word in text.STOP_WORDS
    assert text.remove_stop_words(["the", "film", "is", "not", "good"]) == ["film", "not", "good"]
    assert text.remove_stop_words(["a", "b"], stop_words={"b"}) == ["a"]


def test_remove_stop_words_rejects_a_string():
    with pytest.raises(TypeError, match="tokenize the text first"):
        text.remove_stop_words("not a list")


def test_ngrams():
    tokens = ["not", "very", "good"]
    assert text.ngrams(tokens) == ["not very", "very good"]
    assert text.ngrams(tokens, 1) == tokens
    assert text.ngrams(tokens, 3) == ["not very good"]
    assert text.ngrams(tokens, 4) == []


@pytest.mark.parametrize(
    ("tokens", "n", "error", "words"),
    [
        ("not a list", 2, TypeError, "tokenize the text first"),
        (["a"], 0, ValueError, "at least 1"),
        (["a"], 2.0, TypeError, "n must be an int"),
        (["a"], True, TypeError, "n must be an int"),
    ],
)
def test_ngrams_rejects_bad_input(tokens, n, error, words):
    with pytest.raises(error, match=words):
        text.ngrams(tokens, n)


def test_notebook_shows_the_package_tokenizer_verbatim():
    """The chapter writes clean_text and tokenize out; they must equal the package's."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "code" and "def tokenize(" in c.source]
    assert len(cells) == 1, "exactly one chapter cell defines tokenize"
    source = cells[0]
    definitions = ast.Module(
        body=[
            node
            for node in ast.parse(source).body
            if isinstance(node, (ast.Import, ast.ImportFrom, ast.Assign, ast.FunctionDef))
        ],
        type_ignores=[],
    )
    namespace: dict = {}
    exec(compile(definitions, "notebook-cell", "exec"), namespace)
    assert namespace["TOKEN_PATTERN"].pattern == text.TOKEN_PATTERN.pattern
    assert namespace["QUOTES"] == text.QUOTES
    package_source = Path(text.__file__).read_text(encoding="utf-8")
    package_defs = {
        node.name: ast.get_source_segment(package_source, node)
        for node in ast.parse(package_source).body
        if isinstance(node, ast.FunctionDef)
    }
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef):
            assert ast.get_source_segment(source, node) == package_defs[node.name], node.name


# ----------------------------------------------------------------------------- terms, neighbours


def test_top_terms_with_and_without_contrast():
    matrix = np.array([[1.0, 0.9, 0.0], [1.0, 0.7, 0.0], [1.0, 0.0, 0.5]])
    labels = np.array([0, 0, 1])
    terms = ["the", "great", "dull"]
    plain = text.top_terms(matrix, labels, terms, ["fresh", "rotten"], k=2, contrast=False)
    assert [t for t, _ in plain["fresh"]] == ["the", "great"]
    contrasted = text.top_terms(sparse.csr_matrix(matrix), labels, terms, ["fresh", "rotten"], k=1)
    assert contrasted["fresh"] == [("great", pytest.approx(0.8))]
    assert contrasted["rotten"] == [("dull", pytest.approx(0.5))]


@pytest.mark.parametrize(
    ("labels", "terms", "k", "error", "words"),
    [
        ([0, 1], ["a", "b"], 1, ValueError, r"labels must have one entry per example \(3\)"),
        ([0, 1, 1], ["a"], 1, ValueError, "terms must have 2 entries"),
        ([0, 1, 2], ["a", "b"], 1, ValueError, r"labels must be class ids in \[0, 2\)"),
        ([0.0, 1.0, 1.0], ["a", "b"], 1, TypeError, "integer class ids"),
        ([0, 1, 1], ["a", "b"], 0, ValueError, "k must be at least 1"),
        ([1, 1, 1], ["a", "b"], 1, ValueError, "no documents"),
    ],
)
def test_top_terms_rejects_bad_input(labels, terms, k, error, words):
    with pytest.raises(error, match=words):
        text.top_terms(np.ones((3, 2)), np.array(labels), terms, ["x", "y"], k=k)


def test_nearest_words_by_cosine():
    embeddings = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0]])
    vocabulary = ["good", "great", "plot", "bad"]
    neighbours = text.nearest_words("good", embeddings, vocabulary, k=2)
    assert [w for w, _ in neighbours] == ["great", "plot"]
    assert neighbours[0][1] == pytest.approx(0.9 / np.hypot(0.9, 0.1))
    with pytest.raises(ValueError, match="not in the vocabulary"):
        text.nearest_words("awful", embeddings, vocabulary)
    with pytest.raises(ValueError, match="one row per vocabulary entry"):
        text.nearest_words("good", embeddings[:3], vocabulary)


# ----------------------------------------------------------------------------- Keras models


@pytest.fixture(scope="module")
def keras():
    from crossmodal_helpers import runtime

    runtime.quiet_tensorflow()
    runtime.seed_everything(0)
    import keras

    return keras


def test_text_encoder_averages_embeddings_and_ignores_padding(keras):
    encoder = text.build_text_encoder(20, 4)
    assert encoder.output_shape == (None, 4)
    short = encoder.predict(np.array([[5, 6]]), verbose=0)
    padded = encoder.predict(np.array([[5, 6, 0, 0, 0]]), verbose=0)
    np.testing.assert_allclose(short, padded, rtol=1e-6)
    table = encoder.get_layer("embedding").get_weights()[0]
    np.testing.assert_allclose(short[0], table[[5, 6]].mean(axis=0), rtol=1e-5)


def test_text_encoder_and_classifier_accept_raw_strings(keras):
    vectorizer = keras.layers.TextVectorization(output_mode="int")
    vectorizer.adapt(["a fine film", "a dull film"])
    encoder = text.build_text_encoder(10, 3, vectorizer=vectorizer)
    assert encoder.predict(np.array(["a fine film", "dull"], dtype=object), verbose=0).shape == (
        2,
        3,
    )
    classifier = text.build_text_classifier(10, 2, vectorizer=vectorizer, embedding_dim=3)
    probabilities = classifier.predict(np.array(["a fine film"], dtype=object), verbose=0)
    assert probabilities.shape == (1, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert classifier.get_layer("text_encoder").output_shape == (None, 3)


def test_text_classifier_on_token_ids(keras):
    model = text.build_text_classifier(50, 3, embedding_dim=8, dropout=0.0)
    assert model.output_shape == (None, 3)
    assert model.predict(np.array([[1, 2, 3, 0]]), verbose=0).shape == (1, 3)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"vocab_size": 0, "n_classes": 2}, ValueError, "vocab_size must be at least 1"),
        ({"vocab_size": 10.0, "n_classes": 2}, TypeError, "vocab_size must be an int"),
        ({"vocab_size": 10, "n_classes": 1}, ValueError, "n_classes must be at least 2"),
        ({"vocab_size": 10, "n_classes": 2, "dropout": 1.0}, ValueError, r"dropout must be in"),
        ({"vocab_size": 10, "n_classes": 2, "dropout": "0.1"}, TypeError, "dropout must be a"),
        ({"vocab_size": 10, "n_classes": 2, "vectorizer": "words"}, TypeError, "TextVectorization"),
    ],
)
def test_text_classifier_rejects_bad_arguments(keras, kwargs, error, words):
    with pytest.raises(error, match=words):
        text.build_text_classifier(**kwargs)


def test_text_encoder_checks_the_vocabulary_size(keras):
    vectorizer = keras.layers.TextVectorization(output_mode="int")
    vectorizer.adapt(["one two three four five six"])
    with pytest.raises(ValueError, match="smaller than the vectorizer's vocabulary"):
        text.build_text_encoder(4, vectorizer=vectorizer)


def test_sequence_tagger_tags_every_token_and_masks_padding(keras):
    tagger = text.build_sequence_tagger(30, 5, embedding_dim=4, units=3)
    assert tagger.output_shape == (None, None, 5)
    short = tagger.predict(np.array([[3, 4, 5]]), verbose=0)
    padded = tagger.predict(np.array([[3, 4, 5, 0, 0]]), verbose=0)
    assert padded.shape == (1, 5, 5)
    np.testing.assert_allclose(short[0], padded[0, :3], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(padded.sum(axis=-1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"vocab_size": 30, "n_tags": 0}, ValueError, "n_tags must be at least 1"),
        ({"vocab_size": 30, "n_tags": 5, "units": 2.5}, TypeError, "units must be an int"),
        ({"vocab_size": -1, "n_tags": 5}, ValueError, "vocab_size must be at least 1"),
    ],
)
def test_sequence_tagger_rejects_bad_arguments(keras, kwargs, error, words):
    with pytest.raises(error, match=words):
        text.build_sequence_tagger(**kwargs)


# ----------------------------------------------------------------------------- explanations

REVIEWS = [
    "a great and moving film",
    "great fun, a moving story",
    "dull, boring and far too long",
    "a dull mess, not fun",
    "moving performances and a great script",
    "boring and not funny",
]
LABELS = np.array([0, 0, 1, 1, 0, 1])


def _fitted(classifier=None, **vectorizer_options):
    options = {"tokenizer": text.tokenize, "token_pattern": None, "lowercase": False}
    options.update(vectorizer_options)
    vectorizer = TfidfVectorizer(**options)
    features = vectorizer.fit_transform(REVIEWS)
    classifier = classifier or LinearSVC(C=1.0)
    classifier.fit(features, LABELS)
    return vectorizer, classifier


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2)])
def test_explanation_adds_up_to_the_decision_score(ngram_range):
    vectorizer, classifier = _fitted(ngram_range=ngram_range)
    review = "Great, great fun &amp; moving"
    explanation = text.explain_review(review, vectorizer, classifier, ["fresh", "rotten"])
    raw = classifier.decision_function(vectorizer.transform([review]))[0]
    predicted = int(classifier.predict(vectorizer.transform([review]))[0])
    assert explanation.label == ["fresh", "rotten"][predicted]
    assert explanation.score == pytest.approx(raw if predicted == 1 else -raw)
    assert sum(explanation.weights) + explanation.intercept == pytest.approx(explanation.score)
    assert explanation.text == "Great, great fun & moving"
    assert explanation.tokens == ("great", "great", "fun", "moving")
    assert explanation.label == "fresh"
    start, end = explanation.spans[0]
    assert explanation.text[start:end] == "Great"
    if ngram_range == (1, 1):  # both occurrences of "great" share its one feature equally
        assert explanation.weights[0] == pytest.approx(explanation.weights[1])
    assert explanation.weights[0] > 0 and explanation.top(1)[0][0] == "great"


def test_the_explanation_shows_the_intercept_beside_the_words():
    """Chapter 2.6: the words' shares add up to the score minus the intercept, and the
    widget says so with the numbers."""
    vectorizer, classifier = _fitted(ngram_range=(1, 2))
    explanation = text.explain_review("a dull, dull film", vectorizer, classifier, ["f", "r"])
    page = explanation.to_html()
    words_total = sum(explanation.weights)
    assert (
        f"score {explanation.score:+.2f} = intercept {explanation.intercept:+.2f} "
        f"+ words {words_total:+.2f}"
    ) in page
    assert explanation.intercept + words_total == pytest.approx(explanation.score)


def test_explanation_of_a_three_class_model():
    labels = np.array([0, 0, 1, 1, 2, 2])
    vectorizer = CountVectorizer(tokenizer=text.tokenize, token_pattern=None, lowercase=False)
    features = vectorizer.fit_transform(REVIEWS)
    classifier = LogisticRegression().fit(features, labels)
    explanation = text.explain_review("a great film", vectorizer, classifier, ["a", "b", "c"])
    scores = classifier.decision_function(vectorizer.transform(["a great film"]))[0]
    assert explanation.label == "abc"[int(np.argmax(scores))]
    assert explanation.score == pytest.approx(scores.max())
    assert sum(explanation.weights) + explanation.intercept == pytest.approx(scores.max())


def test_explanation_html_highlights_and_escapes():
    vectorizer, classifier = _fitted()
    explanation = text.explain_review("<b>great</b> film", vectorizer, classifier, ["f", "r"])
    page = explanation.to_html()
    assert "&lt;" in page and "<b>great</b>" not in page
    assert "rgba(27,127,59" in page and "Prediction: f" in page
    assert "green words push towards f, red words towards r" in page
    assert explanation._repr_html_() == page


def test_binary_colours_follow_the_class_a_word_supports():
    vectorizer, classifier = _fitted()
    names = ["fresh", "rotten"]
    rotten = text.explain_review("dull and boring", vectorizer, classifier, names)
    assert rotten.label == "rotten"
    dull = rotten.weights[rotten.tokens.index("dull")]
    assert dull > 0 and rotten.supported_class(dull) == "rotten"
    assert rotten.supported_class(-dull) == "fresh" and rotten.supported_class(0.0) is None
    assert "rgba(179,38,30" in rotten.to_html()  # red: evidence for rotten


def test_three_class_colours_are_for_and_against_the_prediction():
    labels = np.array([0, 0, 1, 1, 2, 2])
    vectorizer = CountVectorizer(tokenizer=text.tokenize, token_pattern=None, lowercase=False)
    classifier = LogisticRegression().fit(vectorizer.fit_transform(REVIEWS), labels)
    explanation = text.explain_review("a great film", vectorizer, classifier, ["a", "b", "c"])
    assert explanation.supported_class(-1.0) is None
    assert "towards it, red words against" in explanation.to_html()


def test_explain_review_rejects_bad_input():
    vectorizer, classifier = _fitted()
    names = ["fresh", "rotten"]
    with pytest.raises(ValueError, match="at least one word"):
        text.explain_review(" ... ", vectorizer, classifier, names)
    with pytest.raises(TypeError, match="text must be a str"):
        text.explain_review(None, vectorizer, classifier, names)
    with pytest.raises(ValueError, match="tokenizer=crossmodal_helpers.text.tokenize"):
        plain = TfidfVectorizer().fit(REVIEWS)
        text.explain_review("great", plain, classifier, names)
    with pytest.raises(ValueError, match="stop_words=None"):
        stopped, _ = _fitted(stop_words=["a"])
        text.explain_review("great", stopped, classifier, names)
    with pytest.raises(ValueError, match="not fitted"):
        fresh = TfidfVectorizer(tokenizer=text.tokenize, token_pattern=None)
        text.explain_review("great", fresh, classifier, names)
    with pytest.raises(TypeError, match="linear model with coef_"):
        bayes = MultinomialNB().fit(vectorizer.transform(REVIEWS), LABELS)
        text.explain_review("great", vectorizer, bayes, names)
    with pytest.raises(ValueError, match="label_names must name"):
        text.explain_review("great", vectorizer, classifier, ["only one"])


def test_review_explainer_prerenders_examples_and_updates_live():
    import ipywidgets

    vectorizer, classifier = _fitted()
    widget = text.review_explainer(
        vectorizer, classifier, ["fresh", "rotten"], ["a great film", "dull and boring"]
    )
    assert isinstance(widget, ipywidgets.VBox)
    chooser, stack, box, result = (widget.children[i] for i in (1, 2, 4, 5))
    assert len(stack.children) == 2 and stack.selected_index == 0
    assert [value for _, value in chooser.options] == [0, 1]
    assert "Prediction: fresh" in stack.children[0].value
    assert "Prediction: rotten" in stack.children[1].value
    assert box.value == "a great film" and "Prediction: fresh" in result.value
    box.value = "dull and boring"
    assert "Prediction: rotten" in result.value
    box.value = "   "
    assert "at least one word" in result.value


def test_review_explainer_uses_the_default_and_rejects_bad_input():
    vectorizer, classifier = _fitted()
    names = ["fresh", "rotten"]
    widget = text.review_explainer(vectorizer, classifier, names, ["great"], default="dull")
    assert widget.children[4].value == "dull"
    with pytest.raises(ValueError, match="non-empty list"):
        text.review_explainer(vectorizer, classifier, names, [])
    with pytest.raises(TypeError, match="examples must be a list of str, got a single str"):
        text.review_explainer(vectorizer, classifier, names, "great")
    with pytest.raises(TypeError, match="default must be a str"):
        text.review_explainer(vectorizer, classifier, names, ["great"], default=3)


# ----------------------------------------------------------------------------- Chinese words


def test_chinese_segmenter_segments_quietly_and_caches_in_the_book_folder(
    tmp_path, monkeypatch, capfd
):
    monkeypatch.setenv("CROSSMODAL_CACHE_DIR", str(tmp_path / "cache"))
    segmenter = text.chinese_segmenter()
    assert segmenter.lcut("我喜欢这部电影") == ["我", "喜欢", "这部", "电影"]
    assert segmenter.lcut("研究生命起源") == ["研究", "生命", "起源"]
    assert list((tmp_path / "cache").glob("jieba*.cache"))
    captured = capfd.readouterr()
    assert "prefix dict" not in captured.err + captured.out


def test_chinese_segmenter_falls_back_to_the_temporary_folder(tmp_path, monkeypatch):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("CROSSMODAL_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    segmenter = text.chinese_segmenter()
    assert segmenter.tmp_dir == str(tmp_path)
    assert segmenter.lcut("北京大学生") == ["北京", "大学生"]


def test_chinese_segmenter_says_how_to_install_jieba(monkeypatch):
    monkeypatch.setitem(sys.modules, "jieba", None)
    with pytest.raises(ImportError, match="pip install jieba"):
        text.chinese_segmenter()
