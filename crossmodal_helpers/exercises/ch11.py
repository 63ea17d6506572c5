"""Self-checks of chapter 11: image captioning."""

from __future__ import annotations

import math
from typing import Any

from crossmodal_helpers.exercises import (
    AnswerProblem,
    Feedback,
    as_array,
    as_number,
    compare_number,
    self_check,
)

#: Exercise 'Clipped precision by hand': a generated caption and its two references.
HYPOTHESIS = "a red circle and a red circle"
REFERENCES = ("a red circle on the left", "there is a red disc and a blue square")

#: Exercise 'Beam search by hand': p(first word) and p(second word | first word).
FIRST = {"a": 0.6, "the": 0.4}
SECOND = {
    "a": {"red": 0.4, "blue": 0.35, "green": 0.25},
    "the": {"red": 0.9, "blue": 0.1},
}

#: Exercise 'Attribute accuracy by hand': a scene's objects in reading order and a caption.
SCENE_OBJECTS = (
    {"color": "red", "shape": "circle", "size": "large", "position": "top left"},
    {"color": "blue", "shape": "square", "size": "small", "position": "centre"},
    {"color": "green", "shape": "cross", "size": "small", "position": "bottom right"},
)
GENERATED = "a large red disc in the top right and a blue square"


def _matches(got: float, value: float) -> bool:
    return math.isclose(got, value, rel_tol=1e-6, abs_tol=1e-9)


@self_check
def clipped_precision(answer: Any) -> Feedback:
    """Check exercise 'Clipped precision by hand': the clipped unigram precision."""
    hint = (
        "count each word of the hypothesis at most as often as it appears in the one "
        "reference that uses it most, then divide by the number of hypothesis words"
    )
    got = as_number(answer, "precision", hint)
    words = HYPOTHESIS.split()
    clipped = sum(
        min(words.count(w), max(r.split().count(w) for r in REFERENCES)) for w in set(words)
    )
    expected = clipped / len(words)
    in_any = sum(any(w in r.split() for r in REFERENCES) for w in words) / len(words)
    summed = sum(
        min(words.count(w), sum(r.split().count(w) for r in REFERENCES)) for w in set(words)
    ) / len(words)
    mistakes = {
        in_any: "that counts every repeated word again: clip each word's count",
        summed: (
            "that adds the counts of the two references: the clip is the count in the single "
            "reference that has the word most often"
        ),
    }
    for wrong, why in mistakes.items():
        if _matches(got, wrong) and not _matches(wrong, expected):
            return Feedback(False, "that is not the clipped precision", why)
    return compare_number(got, expected, name="precision", hint=hint)


@self_check
def beam_by_hand(answer: Any) -> Feedback:
    """Check exercise 'Beam search by hand': the probability of the two-word caption that
    beam search with width 2 returns."""
    hint = (
        "keep both first words, extend each by every second word, multiply the "
        "probabilities and take the most probable of all two-word captions"
    )
    got = as_number(answer, "probability", hint)
    pairs = {(a, b): FIRST[a] * p for a, nxt in SECOND.items() for b, p in nxt.items()}
    expected = max(pairs.values())
    first = max(FIRST, key=FIRST.get)
    greedy = FIRST[first] * max(SECOND[first].values())
    if _matches(got, greedy) and not _matches(greedy, expected):
        return Feedback(
            False,
            "that is the caption greedy decoding finds",
            "greedy keeps only the most probable first word; width 2 keeps the other one too",
        )
    if not 0 <= got <= 1:
        raise AnswerProblem("a probability lies between 0 and 1", hint)
    return compare_number(got, expected, name="probability", hint=hint)


@self_check
def attribute_accuracy(answer: Any) -> Feedback:
    """Check exercise 'Attribute accuracy by hand': the chapter's attribute accuracy of
    :data:`GENERATED` for the scene :data:`SCENE_OBJECTS`."""
    hint = (
        "mention j describes object j; colour and shape of every object are checked (a "
        "missing mention counts as wrong), size and position only where the caption "
        "states them"
    )
    values = as_array(answer, "answer", hint)
    if values.size != 1:
        raise AnswerProblem("give one number: right checks divided by all checks", hint)
    got = as_number(values.reshape(-1)[0], "accuracy", hint)
    # mention 0: large (right), red (right), disc = circle (right), top right (wrong);
    # mention 1: blue (right), square (right); object 2 unmentioned: colour, shape wrong
    expected = 5 / 8
    mistakes = {
        5 / 6: "the third object is never mentioned: its colour and shape count as wrong",
        4 / 8: '"disc" is a synonym of "circle": read the caption with the scene grammar',
        5 / 12: "size and position are checked only where the caption states them",
    }
    for wrong, why in mistakes.items():
        if _matches(got, wrong):
            return Feedback(False, "that is not the attribute accuracy", why)
    return compare_number(got, expected, name="accuracy", hint=hint)
