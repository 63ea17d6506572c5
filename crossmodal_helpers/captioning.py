"""Image captioning: an encoder–decoder with causal self-attention and cross-attention.

Introduced in chapter 11. The chapter explains the pieces; this module keeps them:

- the caption vocabulary: :func:`build_vocabulary`, :func:`encode_captions`,
  :func:`decode_ids`, and :func:`causal_mask`, the mask that keeps a word from seeing the
  words after it;
- the model: :class:`RegionEncoder` (a small CNN whose last feature map is a grid of region
  vectors), :class:`CaptionDecoderBlock` (causal self-attention, cross-attention over the
  regions, a feed-forward network) and :class:`Captioner`, trained with teacher forcing;
- decoding: :func:`greedy_decode` and :func:`beam_search`, both batched over images, and
  :func:`caption_log_probability`, the model's score of a caption;
- evaluation: :func:`canonical_caption` (the caption without synonyms),
  :func:`reference_captions` (more ways the scene grammar can say the same
  thing), :func:`bleu` (nltk's ``corpus_bleu``), :func:`parse_caption` and
  :func:`attribute_scores` (is each object's colour, shape, size and position right?),
  :func:`nearest_captions` (retrieval as captioning), :func:`paired_bootstrap` and
  :func:`word_f1` (the overlap of a generated emoji name with the true one).

The layers and the model are ordinary Keras classes, registered for serialisation.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from keras import ops

from crossmodal_helpers._checks import (
    check_count,
    check_dropout,
    check_images,
    check_number,
    check_numeric_array,
    check_texts,
    check_width,
)
from crossmodal_helpers._types import Shape, Tensor
from crossmodal_helpers.attention import PositionalEmbedding, TransformerBlock
from crossmodal_helpers.datasets import shapes

#: Special tokens: padding (id 0), start and end of a caption, and unknown words.
PAD, START, END, UNKNOWN = "", "<start>", "<end>", "<unk>"
SPECIALS = (PAD, START, END, UNKNOWN)

# --------------------------------------------------------------------------- vocabulary


def build_vocabulary(captions: Sequence[str], *, min_count: int = 1) -> list[str]:
    """The special tokens, then every word of ``captions`` by falling frequency.

    Introduced in chapter 11. Ties are broken alphabetically, so the vocabulary is the same
    on every run. Id 0 is padding, 1 ``<start>``, 2 ``<end>``, 3 ``<unk>``. Words seen fewer
    than ``min_count`` times are left out (they become ``<unk>``).
    """
    captions = check_texts(captions, "captions", nonempty=True)
    if not captions:
        raise ValueError("captions must hold at least one caption, got none")
    min_count = check_count(min_count, "min_count")
    counts = Counter(word for caption in captions for word in caption.split())
    words = sorted(
        (word for word in counts if counts[word] >= min_count),
        key=lambda word: (-counts[word], word),
    )
    return [*SPECIALS, *words]


def _check_vocabulary(vocabulary: Any) -> list[str]:
    if isinstance(vocabulary, str) or not isinstance(vocabulary, (Sequence, np.ndarray)):
        raise TypeError(
            f"vocabulary must be a list of words from build_vocabulary, got "
            f"{type(vocabulary).__name__}"
        )
    vocabulary = list(vocabulary)
    if tuple(vocabulary[: len(SPECIALS)]) != SPECIALS:
        raise ValueError(
            f"vocabulary must start with the special tokens {SPECIALS} (use build_vocabulary)"
        )
    return vocabulary


def encode_captions(captions: Sequence[str], vocabulary: Sequence[str], length: int) -> np.ndarray:
    """Token ids ``<start> w1 … wn <end>`` padded with 0 to ``length``. Introduced in chapter 11.

    Unknown words become ``<unk>``; a caption too long for ``length`` raises a
    ``ValueError`` rather than being cut silently.
    """
    captions = check_texts(captions, "captions", nonempty=True)
    vocabulary = _check_vocabulary(vocabulary)
    length = check_count(length, "length", minimum=3)
    index = {word: i for i, word in enumerate(vocabulary)}
    ids = np.zeros((len(captions), length), dtype=np.int64)
    for row, caption in enumerate(captions):
        words = caption.split()
        if len(words) + 2 > length:
            raise ValueError(
                f"captions[{row}] has {len(words)} words; with <start> and <end> it needs "
                f"length >= {len(words) + 2}, got {length}"
            )
        tokens = [index[START], *(index.get(w, index[UNKNOWN]) for w in words), index[END]]
        ids[row, : len(tokens)] = tokens
    return ids


def decode_ids(ids: Any, vocabulary: Sequence[str]) -> list[str]:
    """Captions from rows of token ids: the words up to the first ``<end>``.

    Introduced in chapter 11. ``<start>`` and padding are skipped.
    """
    vocabulary = _check_vocabulary(vocabulary)
    ids = np.asarray(ids)
    if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(
            f"ids must be a 2-D array of integer token ids, got {ids.dtype} {ids.shape}"
        )
    if ids.size and (ids.min() < 0 or ids.max() >= len(vocabulary)):
        raise ValueError(f"ids must lie in [0, {len(vocabulary)}), got [{ids.min()}, {ids.max()}]")
    end = SPECIALS.index(END)
    out = []
    for row in ids:
        words = []
        for i in row:
            if i == end:
                break
            if i >= len(SPECIALS) or i == SPECIALS.index(UNKNOWN):
                words.append(vocabulary[i])
        out.append(" ".join(words))
    return out


def causal_mask(length: int) -> np.ndarray:
    """The causal mask: ``mask[i, j]`` is True when position i may attend to position j ≤ i.

    Introduced in chapter 11. A lower-triangular boolean (length × length) matrix.
    """
    length = check_count(length, "length")
    positions = np.arange(length)
    return positions[:, None] >= positions[None, :]


# --------------------------------------------------------------------------- the model


@keras.saving.register_keras_serializable(package="crossmodal_helpers")
class RegionEncoder(keras.layers.Layer):
    """A small CNN that turns an image into a grid of region vectors. Introduced in chapter 11.

    Three blocks of 3×3 convolution and 2×2 max pooling shrink an S×S image to an
    (S/8)×(S/8) feature map, max-pooled further to ``grid`` × ``grid`` if ``grid`` is given
    (it must divide S/8); each cell is one region, projected to ``d_model`` and given a
    learned embedding of where it is. Output: (batch, grid², d_model).
    """

    def __init__(
        self, d_model: int = 64, filters: int = 32, grid: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.d_model = check_width(d_model, "d_model")
        self.filters = check_width(filters, "filters")
        self.grid_size = None if grid is None else check_count(grid, "grid")
        layers = keras.layers
        self.convs = [
            layers.Conv2D(self.filters * m, 3, padding="same", activation="relu", name=f"conv{i}")
            for i, m in enumerate((1, 2, 2), start=1)
        ]
        self.pools = [layers.MaxPooling2D(2, name=f"pool{i}") for i in range(1, 4)]
        self.project = layers.Dense(self.d_model, name="project")
        self.grid = 0

    def build(self, input_shape: Shape) -> None:
        if len(input_shape) != 4 or input_shape[1] is None or input_shape[1] != input_shape[2]:
            raise ValueError(
                f"RegionEncoder expects square images (batch, S, S, C), got {tuple(input_shape)}"
            )
        if input_shape[1] % 8:
            raise ValueError(f"the image side must be a multiple of 8, got {input_shape[1]}")
        side = int(input_shape[1]) // 8
        self.grid = self.grid_size or side
        if side % self.grid:
            raise ValueError(f"grid ({self.grid}) must divide the image side / 8 ({side})")
        self.last_pool = keras.layers.MaxPooling2D(side // self.grid, name="pool_regions")
        self.where = self.add_weight(
            shape=(self.grid * self.grid, self.d_model), initializer="zeros", name="where"
        )
        shape = tuple(input_shape)
        for conv, pool in zip(self.convs, self.pools, strict=True):
            conv.build(shape)
            shape = pool.compute_output_shape(conv.compute_output_shape(shape))
        self.project.build((shape[0], self.grid * self.grid, shape[-1]))

    def call(self, images: Tensor) -> Tensor:
        x = images
        for conv, pool in zip(self.convs, self.pools, strict=True):
            x = pool(conv(x))
        x = self.last_pool(x)
        x = ops.reshape(x, (-1, self.grid * self.grid, ops.shape(x)[-1]))
        return self.project(x) + self.where

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        grid = self.grid_size or int(input_shape[1]) // 8
        return (input_shape[0], grid * grid, self.d_model)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "d_model": self.d_model,
            "filters": self.filters,
            "grid": self.grid_size,
        }


@keras.saving.register_keras_serializable(package="crossmodal_helpers")
class CaptionDecoderBlock(TransformerBlock):
    """One Transformer decoder block (Vaswani et al., 2017). Introduced in chapter 11.

    Chapter 6's :class:`~crossmodal_helpers.attention.TransformerBlock` with a causal mask
    on its self-attention and a cross-attention layer between that and the feed-forward
    network: $h_1 = \\mathrm{LN}(x + \\mathrm{MHA}(x, x, x; M))$ with the causal mask $M$,
    $h_2 = \\mathrm{LN}(h_1 + \\mathrm{MHA}(h_1, r, r))$ over the image regions $r$, then
    $y = \\mathrm{LN}(h_2 + \\mathrm{FFN}(h_2))$. ``call(words, regions)`` returns ``y``;
    with ``return_attention=True`` also the cross-attention weights
    (batch, heads, words, regions).
    """

    def __init__(
        self,
        d_model: int = 64,
        num_heads: int = 2,
        ff_dim: int = 128,
        dropout: float = 0.1,
        **kwargs: Any,
    ) -> None:
        super().__init__(d_model, num_heads, ff_dim, dropout, **kwargs)
        self.cross_attention = keras.layers.MultiHeadAttention(
            self.num_heads,
            self.d_model // self.num_heads,
            dropout=self.dropout,
            name="cross_attention",
        )
        self.norm3 = keras.layers.LayerNormalization(epsilon=1e-6, name="norm3")
        self.drop3 = keras.layers.Dropout(self.dropout)

    def build(self, words_shape: Shape, regions_shape: Shape | None = None) -> None:
        super().build(words_shape)
        self.cross_attention.build(words_shape, regions_shape or words_shape)
        self.norm3.build(words_shape)

    def call(
        self,
        words: Tensor,
        regions: Tensor,
        training: bool | None = None,
        return_attention: bool = False,
    ) -> Tensor | tuple[Tensor, Tensor]:
        length = ops.shape(words)[1]
        positions = ops.arange(length)
        mask = ops.expand_dims(positions[:, None] >= positions[None, :], 0)  # causal_mask
        attended = self.attention(words, words, attention_mask=mask, training=training)
        h = self.norm1(words + self.drop1(attended, training=training))
        context, weights = self.cross_attention(
            h, regions, return_attention_scores=True, training=training
        )
        h = self.norm3(h + self.drop3(context, training=training))
        out = self.norm2(h + self.drop2(self.ffn(h), training=training))
        return (out, weights) if return_attention else out


@keras.saving.register_keras_serializable(package="crossmodal_helpers")
class Captioner(keras.Model):
    """Image → caption: :class:`RegionEncoder`, then :class:`CaptionDecoderBlock` layers.

    Introduced in chapter 11. ``model((images, words))`` gives the logits of the next word
    at every position of ``words`` (batch, length, vocab_size): teacher forcing feeds the
    true caption shifted by one. :meth:`encode` and :meth:`decode` split the two halves, so
    that a decoder can encode each image once and then grow the caption word by word.
    """

    def __init__(
        self,
        vocab_size: int,
        max_length: int,
        d_model: int = 64,
        num_heads: int = 2,
        ff_dim: int = 128,
        num_blocks: int = 1,
        filters: int = 32,
        grid: int | None = None,
        dropout: float = 0.1,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.grid = None if grid is None else check_count(grid, "grid")
        self.vocab_size = check_count(vocab_size, "vocab_size", minimum=len(SPECIALS) + 1)
        self.max_length = check_count(max_length, "max_length", minimum=2)
        self.d_model = check_width(d_model, "d_model")
        self.num_heads = check_count(num_heads, "num_heads")
        self.ff_dim = check_width(ff_dim, "ff_dim")
        self.num_blocks = check_count(num_blocks, "num_blocks")
        self.filters = check_width(filters, "filters")
        self.dropout = check_dropout(dropout)
        self.encoder = RegionEncoder(self.d_model, self.filters, self.grid, name="encoder")
        self.embed = PositionalEmbedding(
            self.max_length, self.vocab_size, self.d_model, name="embed"
        )
        self.blocks = [
            CaptionDecoderBlock(
                self.d_model, self.num_heads, self.ff_dim, self.dropout, name=f"decoder{i}"
            )
            for i in range(1, self.num_blocks + 1)
        ]
        self.next_word = keras.layers.Dense(self.vocab_size, name="next_word")

    def encode(self, images: Tensor) -> Tensor:
        """Region vectors (batch, regions, d_model) of a batch of images."""
        return self.encoder(images)

    def decode(
        self,
        regions: Tensor,
        words: Tensor,
        training: bool | None = None,
        return_attention: bool = False,
    ) -> Tensor | tuple[Tensor, Tensor]:
        """Next-word logits for every prefix of ``words``; optionally the last block's
        cross-attention weights averaged over heads (batch, length, regions)."""
        x = self.embed(words)
        weights = None
        for block in self.blocks:
            x, weights = block(x, regions, training=training, return_attention=True)
        logits = self.next_word(x)
        return (logits, ops.mean(weights, axis=1)) if return_attention else logits

    def call(self, inputs: Sequence[Tensor], training: bool | None = None) -> Tensor:
        images, words = inputs
        return self.decode(self.encode(images), words, training=training)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "vocab_size": self.vocab_size,
            "max_length": self.max_length,
            "d_model": self.d_model,
            "num_heads": self.num_heads,
            "ff_dim": self.ff_dim,
            "num_blocks": self.num_blocks,
            "filters": self.filters,
            "grid": self.grid,
            "dropout": self.dropout,
        }


def teacher_forcing_pairs(ids: Any) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets for teacher forcing: ``ids[:, :-1]`` and ``ids[:, 1:]``.

    Introduced in chapter 11. At every position the decoder reads the true words so far
    and is trained to predict the next true word (padding targets are 0 and ignored).
    """
    ids = np.asarray(ids)
    if ids.ndim != 2 or ids.shape[1] < 2 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(
            f"ids must be a 2-D integer array of width >= 2, got {ids.dtype} {ids.shape}"
        )
    return ids[:, :-1], ids[:, 1:]


# --------------------------------------------------------------------------- decoding


def _check_decoder_inputs(model: Any, images: Any, max_length: Any) -> tuple[np.ndarray, int]:
    if not isinstance(model, Captioner):
        raise TypeError(f"model must be a Captioner, got {type(model).__name__}")
    images = check_images(images)
    max_length = model.max_length if max_length is None else max_length
    max_length = check_count(max_length, "max_length", minimum=2, maximum=model.max_length)
    return images, max_length


@contextmanager
def _one_word_softmax_allowed() -> Iterator[None]:
    """Silence Keras's warning about a softmax over one key: the first step of decoding
    attends to ``<start>`` alone, and a weight of 1 on it is right."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="You are using a softmax over axis")
        yield


def greedy_decode(
    model: Captioner, images: np.ndarray, *, max_length: int | None = None, batch_size: int = 256
) -> np.ndarray:
    """Caption ``images`` by always taking the most probable next word.

    Introduced in chapter 11. Returns token ids (N, max_length) starting with ``<start>``;
    after ``<end>`` a row holds only padding. Stops early when every caption has ended.
    """
    images, max_length = _check_decoder_inputs(model, images, max_length)
    batch_size = check_count(batch_size, "batch_size")
    start, end = SPECIALS.index(START), SPECIALS.index(END)
    out = np.zeros((len(images), max_length), dtype=np.int64)
    for lo in range(0, len(images), batch_size):
        regions = model.encode(images[lo : lo + batch_size])
        ids = np.zeros((len(regions), max_length), dtype=np.int64)
        ids[:, 0] = start
        done = np.zeros(len(ids), dtype=bool)
        for t in range(1, max_length):
            with _one_word_softmax_allowed():
                logits = model.decode(regions, ids[:, :t])
            best = np.asarray(ops.argmax(logits[:, -1], axis=-1))
            ids[:, t] = np.where(done, 0, best)
            done |= best == end
            if done.all():
                break
        out[lo : lo + len(ids)] = ids
    return out


def beam_search(
    model: Captioner,
    images: np.ndarray,
    *,
    beam_width: int = 3,
    max_length: int | None = None,
    length_penalty: float = 0.0,
    batch_size: int = 128,
) -> np.ndarray:
    """Caption ``images`` keeping the ``beam_width`` most probable partial captions.

    Introduced in chapter 11. At each step every kept caption is extended by every word,
    scored by its total log-probability, and the best ``beam_width`` of all extensions are
    kept; a caption that has ended keeps its score. The winner maximises
    $\\log p(w_{1:n} \\mid x) / n^{\\alpha}$ with $\\alpha$ = ``length_penalty`` (0: the
    plain log-probability). ``beam_width=1`` is greedy decoding. Returns ids like
    :func:`greedy_decode`.
    """
    images, max_length = _check_decoder_inputs(model, images, max_length)
    k = check_count(beam_width, "beam_width", maximum=64)
    alpha = check_number(length_penalty, "length_penalty", minimum=0.0)
    batch_size = check_count(batch_size, "batch_size")
    start, end = SPECIALS.index(START), SPECIALS.index(END)
    out = np.zeros((len(images), max_length), dtype=np.int64)
    for lo in range(0, len(images), batch_size):
        regions = model.encode(images[lo : lo + batch_size])
        n = int(regions.shape[0])
        regions = ops.repeat(regions, k, axis=0)  # row b * k + j is beam j of image b
        ids = np.zeros((n, k, max_length), dtype=np.int64)
        ids[:, :, 0] = start
        score = np.full((n, k), -np.inf)
        score[:, 0] = 0.0  # all beams start equal: keep one
        lengths = np.ones((n, k), dtype=np.int64)
        done = np.zeros((n, k), dtype=bool)
        for t in range(1, max_length):
            with _one_word_softmax_allowed():
                logits = model.decode(regions, ids[:, :, :t].reshape(n * k, t))
            logp = np.asarray(ops.log_softmax(logits[:, -1], axis=-1), dtype=np.float64)
            logp = logp.reshape(n, k, -1)
            vocab = logp.shape[-1]
            ended = np.full(vocab, -np.inf)
            ended[0] = 0.0  # a finished caption can only be padded, at no cost
            logp = np.where(done[..., None], ended, logp)
            total = (score[..., None] + logp).reshape(n, k * vocab)
            pick = np.argsort(-total, axis=1, kind="stable")[:, :k]
            beam, word = pick // vocab, pick % vocab
            rows = np.arange(n)[:, None]
            ids = ids[rows, beam]
            ids[:, :, t] = word
            score = total[rows, pick]
            was_done = done[rows, beam]
            lengths = lengths[rows, beam] + ~was_done
            done = was_done | (word == end)
            if done.all():
                break
        best = np.argmax(score / lengths.astype(np.float64) ** alpha, axis=1)
        out[lo : lo + n] = ids[np.arange(n), best]
    return out


def caption_log_probability(model: Captioner, images: np.ndarray, ids: Any) -> np.ndarray:
    """The model's log-probability of each caption, $\\sum_t \\log p(w_t \\mid w_{<t}, x)$.

    Introduced in chapter 11. ``ids`` are rows from :func:`greedy_decode`,
    :func:`beam_search` or :func:`encode_captions` (``<start>`` first, padding 0 after
    ``<end>``); the sum runs over every word and the ``<end>`` token.
    """
    images, _ = _check_decoder_inputs(model, images, None)
    ids = np.asarray(ids)
    if ids.ndim != 2 or len(ids) != len(images) or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(
            f"ids must be a 2-D integer array with one row per image ({len(images)}), "
            f"got {ids.dtype} {ids.shape}"
        )
    inputs, targets = teacher_forcing_pairs(ids)
    with _one_word_softmax_allowed():
        logits = model((images, inputs))
    logp = np.asarray(ops.log_softmax(logits, axis=-1), dtype=np.float64)
    picked = np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
    return (picked * (targets > 0)).sum(axis=1)


# --------------------------------------------------------------------------- evaluation


def reference_captions(scene: dict[str, Any], n: int = 5, *, seed: int = 0) -> list[str]:
    """``n`` captions of one shapes scene: its own caption, then ``n - 1`` fresh draws.

    Introduced in chapter 11. Each draw picks a new plan from the scene grammar (opening,
    synonyms, which sizes and positions are stated), so the references show the ways the
    grammar can say the same thing; BLEU against several references does not punish
    "disc" for "circle".
    """
    if not isinstance(scene, dict) or "objects" not in scene or "plan" not in scene:
        raise TypeError("scene must be a shapes scene dict (meta['scene'][i])")
    n = check_count(n, "n", maximum=100)
    check_count(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    out = [shapes.scene_caption(scene)]
    objects = scene["objects"]
    while len(out) < n:
        plan = {
            "opening": int(rng.integers(len(shapes.OPENINGS))),
            "mentions": [
                {
                    "size": bool(rng.random() < 0.6),
                    "position": bool(rng.random() < 0.6),
                    "u": tuple(float(u) for u in rng.random(5)),
                }
                for _ in objects
            ],
        }
        out.append(" ".join(shapes.caption_tokens(objects, plan)[0]))
    return out


def canonical_caption(scene: dict[str, Any]) -> str:
    """The scene's caption with every synonym replaced by its canonical word.

    Introduced in chapter 11. Keeps the caption's opening and the sizes and positions it
    states, but says "circle", never "disc", "top left", never "upper left" (and the first
    preposition of each position): the words the image cannot choose between are fixed.
    """
    if not isinstance(scene, dict) or "objects" not in scene or "plan" not in scene:
        raise TypeError("scene must be a shapes scene dict (meta['scene'][i])")
    plan = scene["plan"]
    fixed = {**plan, "mentions": [{**m, "u": (0.0,) * len(m["u"])} for m in plan["mentions"]]}
    return " ".join(shapes.caption_tokens(scene["objects"], fixed)[0])


def bleu(hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> dict[str, float]:
    """Corpus BLEU-1 … BLEU-4 (Papineni et al., 2002) with nltk. Introduced in chapter 11.

    ``references[i]`` lists the reference captions of image i. BLEU-n is the geometric mean
    of the clipped 1- … n-gram precisions over the whole corpus times a brevity penalty;
    nltk's smoothing method 1 keeps an empty n-gram count from zeroing the score.
    """
    from nltk.translate.bleu_score import SmoothingFunction, corpus_bleu

    hypotheses = check_texts(hypotheses, "hypotheses")
    if isinstance(references, str) or len(references) != len(hypotheses):
        raise ValueError(
            f"references must hold one list of reference captions per hypothesis "
            f"({len(hypotheses)}), got {type(references).__name__}"
        )
    if not hypotheses:
        raise ValueError("hypotheses must hold at least one caption, got none")
    refs = [
        [r.split() for r in check_texts(group, f"references[{i}]", nonempty=True)]
        for i, group in enumerate(references)
    ]
    if any(not group for group in refs):
        raise ValueError("every image needs at least one reference caption")
    hyps = [h.split() for h in hypotheses]
    smooth = SmoothingFunction().method1
    weights = [tuple([1.0 / n] * n) for n in range(1, 5)]
    scores = corpus_bleu(refs, hyps, weights=weights, smoothing_function=smooth)
    return {f"bleu{n}": float(s) for n, s in enumerate(scores, start=1)}


def parse_caption(caption: str) -> list[dict[str, str]]:
    """Read a shapes caption into its mentions, in order: ``[{"color": "red", …}, …]``.

    Introduced in chapter 11. Mentions are separated by "and"; within one, every phrase the
    scene grammar knows (two-word positions first) gives an attribute; other words are
    skipped. A mention may lack attributes; a repeated attribute keeps its first value.
    """
    if not isinstance(caption, str):
        raise TypeError(f"caption must be a str, got {type(caption).__name__}")
    mentions: list[dict[str, str]] = []
    for part in f" {caption} ".split(" and "):
        words, found, i = part.split(), {}, 0
        while i < len(words):
            for width in (2, 1):
                phrase = " ".join(words[i : i + width])
                hits = [
                    (attribute, value)
                    for (attribute, surface), value in shapes.PHRASE_TO_VALUE.items()
                    if surface == phrase and len(words[i : i + width]) == width
                ]
                if hits:
                    attribute, value = hits[0]
                    found.setdefault(attribute, value)
                    i += width
                    break
            else:
                i += 1
        if found:
            mentions.append(found)
    return mentions


@dataclass(frozen=True)
class AttributeScores:
    """Per-image counts of checked and correct attributes. Introduced in chapter 11.

    ``correct[i, a]`` and ``checked[i, a]`` count, for image i and attribute a (in the
    order of ``attributes``), the attributes the caption got right and the attributes
    checked.
    """

    correct: np.ndarray
    checked: np.ndarray
    attributes: tuple[str, ...] = shapes.ATTRIBUTES

    @property
    def accuracy(self) -> float:
        """The share of all checked attributes that are right."""
        return float(self.correct.sum() / max(self.checked.sum(), 1))

    def per_attribute(self) -> dict[str, float]:
        """The accuracy of each attribute on its own."""
        right, totals = self.correct.sum(axis=0), np.maximum(self.checked.sum(axis=0), 1)
        return {a: float(right[k] / totals[k]) for k, a in enumerate(self.attributes)}


def attribute_scores(captions: Sequence[str], scenes: Sequence[dict[str, Any]]) -> AttributeScores:
    """Check every generated caption against its scene, attribute by attribute.

    Introduced in chapter 11. Mention j of a caption describes object j of the scene (both
    in reading order). Colour and shape of every object are always checked (a missing
    mention or attribute is wrong); size and position are checked where the caption states
    them, since true captions state them only sometimes. Every attribute of a mention with
    no object (an object too many) is wrong.
    """
    captions = check_texts(captions, "captions")
    if isinstance(scenes, (str, dict)) or len(scenes) != len(captions):
        raise ValueError(
            f"scenes must hold one scene dict per caption ({len(captions)}), "
            f"got {type(scenes).__name__}"
        )
    names = shapes.ATTRIBUTES
    correct = np.zeros((len(captions), len(names)), dtype=np.int64)
    checked = np.zeros_like(correct)
    for i, (caption, scene) in enumerate(zip(captions, scenes, strict=True)):
        if not isinstance(scene, dict) or "objects" not in scene:
            raise TypeError(f"scenes[{i}] must be a shapes scene dict (meta['scene'][i])")
        mentions, objects = parse_caption(caption), scene["objects"]
        for j in range(max(len(mentions), len(objects))):
            mention = mentions[j] if j < len(mentions) else {}
            obj = objects[j] if j < len(objects) else None
            for a, name in enumerate(names):
                always = name in ("color", "shape")
                if not always and name not in mention:
                    continue
                checked[i, a] += 1
                correct[i, a] += obj is not None and mention.get(name) == obj[name]
    return AttributeScores(correct, checked)


def word_f1(hypotheses: Sequence[str], references: Sequence[str]) -> np.ndarray:
    """Per caption, the F1 of its words against one reference: a bag-of-words overlap.

    Introduced in chapter 11 (naming emoji). With ``m`` words in common (each counted at
    most as often as in both), precision is ``m`` over the hypothesis's words, recall ``m``
    over the reference's, and F1 their harmonic mean, ``2m / (|h| + |r|)``; 0 when either
    is empty. Order is ignored, so it fits short names better than BLEU's n-grams.
    """
    hypotheses = check_texts(hypotheses, "hypotheses")
    references = check_texts(references, "references", per_image=len(hypotheses))
    scores = np.zeros(len(hypotheses))
    for i, (hypothesis, reference) in enumerate(zip(hypotheses, references, strict=True)):
        h, r = Counter(hypothesis.split()), Counter(reference.split())
        common = sum((h & r).values())
        if common:
            scores[i] = 2 * common / (sum(h.values()) + sum(r.values()))
    return scores


def nearest_captions(
    query_features: Any, gallery_features: Any, gallery_captions: Sequence[str]
) -> list[str]:
    """Retrieval as captioning: each query takes the caption of its most similar gallery item.

    Introduced in chapter 11. Similarity is the cosine of the feature vectors.
    """
    query = check_numeric_array(query_features, "query_features", ndim=2)
    gallery = check_numeric_array(gallery_features, "gallery_features", ndim=2)
    gallery_captions = check_texts(gallery_captions, "gallery_captions", per_image=len(gallery))
    if query.shape[1] != gallery.shape[1]:
        raise ValueError(
            f"query_features and gallery_features must have the same width, got "
            f"{query.shape[1]} and {gallery.shape[1]}"
        )
    query = query / np.maximum(np.linalg.norm(query, axis=1, keepdims=True), 1e-12)
    gallery = gallery / np.maximum(np.linalg.norm(gallery, axis=1, keepdims=True), 1e-12)
    best = np.argmax(query @ gallery.T, axis=1)
    return [gallery_captions[i] for i in best]


def paired_bootstrap(
    a: AttributeScores, b: AttributeScores, *, n_resamples: int = 2000, seed: int = 0
) -> np.ndarray:
    """Bootstrap differences of attribute accuracy, system ``a`` minus system ``b``.

    Introduced in chapter 11. Each resample draws the test images with replacement — the
    same images for both systems, so the difference is paired — and recomputes both
    accuracies. Returns the ``n_resamples`` differences.
    """
    if not isinstance(a, AttributeScores) or not isinstance(b, AttributeScores):
        raise TypeError("a and b must be AttributeScores (from attribute_scores)")
    if a.correct.shape != b.correct.shape:
        raise ValueError(
            f"a and b must score the same images, got {a.correct.shape} and {b.correct.shape}"
        )
    n_resamples = check_count(n_resamples, "n_resamples", maximum=10**5)
    check_count(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(a.correct), size=(n_resamples, len(a.correct)))

    def accuracy(s: AttributeScores) -> np.ndarray:
        right, seen = s.correct.sum(axis=1), s.checked.sum(axis=1)
        return right[picks].sum(axis=1) / np.maximum(seen[picks].sum(axis=1), 1)

    return accuracy(a) - accuracy(b)
