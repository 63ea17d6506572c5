"""Self-checks of chapter 9: case study on multimodal reports."""

from __future__ import annotations

from typing import Any

from crossmodal_helpers import case_study
from crossmodal_helpers.exercises import (
    Feedback,
    as_number,
    check_choice,
    compare_number,
    self_check,
)

#: The caption and tags of exercise 'Entity F1 by hand': the truth and a tagger's guess.
F1_CAPTION = "a big red disc in the upper left and a blue plus"
F1_TRUE = [
    "O",
    "SIZE",
    "COLOR",
    "SHAPE",
    "O",
    "O",
    "POSITION",
    "POSITION",
    "O",
    "O",
    "COLOR",
    "SHAPE",
]
F1_PREDICTED = [
    "O",
    "SIZE",
    "COLOR",
    "SHAPE",
    "O",
    "O",
    "O",
    "POSITION",
    "O",
    "O",
    "SHAPE",
    "SHAPE",
]

#: The detector and feed of exercise 'The base rate': recall, false-positive rate, prevalence.
BASE_RATE = {"recall": 0.9, "false_positive_rate": 0.05, "prevalence": 0.02}

#: The options of exercise 'Why one modality cannot see these fakes'.
CHANCE_OPTIONS = (
    "the encoders are too small",
    "fakeness is a property of the pair",
    "there are too few training reports",
    "the images are too noisy",
)

#: Items per category in exercise 'Three kinds of chance' (those of ``emoji_entities``).
CATEGORY_COUNTS = {
    "person: role": 34,
    "person: activity": 36,
    "place: building": 33,
    "place: landscape": 34,
    "event": 21,
    "flag": 40,
}


def _token_f1(true: list[str], predicted: list[str]) -> float:
    pairs = list(zip(true, predicted, strict=True))
    correct = sum(t == p != "O" for t, p in pairs)
    n_true, n_pred = sum(t != "O" for t in true), sum(p != "O" for p in predicted)
    return 2 * correct / (n_true + n_pred)


@self_check
def entity_f1_by_hand(answer: Any) -> Feedback:
    """Check exercise 'Entity F1 by hand': the span-level F1 of ``F1_PREDICTED``."""
    hint = (
        "list the spans (start, end, tag) of both taggings; a predicted span counts only if "
        "a true span has the same start, end and tag; F1 = 2C / (P + T)"
    )
    got = as_number(answer, "entity F1", hint)
    expected = case_study.entity_f1([F1_TRUE], [F1_PREDICTED])
    if abs(got - _token_f1(F1_TRUE, F1_PREDICTED)) < 1e-6 and abs(got - expected) > 1e-6:
        return Feedback(
            False,
            "that is the token-level F1",
            "count whole spans: the half-found position 'upper left' is a wrong span, "
            "not one right token out of two",
        )
    return compare_number(got, expected, name="entity F1", hint=hint, rel_tol=1e-3)


@self_check
def base_rate(answer: Any) -> Feedback:
    """Check exercise 'The base rate': the precision of the detector at 2 % prevalence."""
    hint = (
        "imagine 1,000 reports: how many are fake, and how many of those are flagged? How "
        "many genuine ones are flagged too? Precision is flagged fakes / all flagged"
    )
    got = as_number(answer, "precision", hint)
    recall, fpr, prevalence = (
        BASE_RATE["recall"],
        BASE_RATE["false_positive_rate"],
        BASE_RATE["prevalence"],
    )
    expected = case_study.precision_at_base_rate(recall, fpr, prevalence)
    if abs(got - (1 - fpr)) < 1e-9:
        return Feedback(
            False,
            "that is the specificity (1 − false-positive rate), not the precision",
            "precision = P(fake | flagged): divide the flagged fakes by all flagged reports",
        )
    if abs(got - recall) < 1e-9:
        return Feedback(
            False,
            "that is the recall, P(flagged | fake); the question asks P(fake | flagged)",
            hint,
        )
    return compare_number(got, expected, name="precision", hint=hint, rel_tol=1e-3)


@self_check
def why_chance(answer: Any) -> Feedback:
    """Check exercise 'Why one modality cannot see these fakes' (multiple choice)."""
    return check_choice(
        answer,
        CHANCE_OPTIONS[1],
        CHANCE_OPTIONS,
        hint=(
            "every image is a real scene and every caption a fluent sentence; what is false "
            "is the claim that the two belong together"
        ),
    )


@self_check
def proportional_chance(answer: Any) -> Feedback:
    """Check exercise 'Three kinds of chance': accuracy of guessing with the class shares."""
    hint = (
        "an item of category k is named right only when the guess is k too: how likely is "
        "that guess, how likely is an item to be of category k, and how do the categories "
        "combine?"
    )
    got = as_number(answer, "accuracy", hint)
    counts = list(CATEGORY_COUNTS.values())
    shares = [n / sum(counts) for n in counts]
    expected = sum(p * p for p in shares)
    mistakes = {
        max(shares): "that is always guessing the most common category",
        1 / len(shares): "that is guessing every category equally often",
    }
    for value, why in mistakes.items():
        if abs(got - value) < 1e-3:
            return Feedback(False, why, hint)
    return compare_number(got, expected, name="accuracy", hint=hint, rel_tol=1e-3)
