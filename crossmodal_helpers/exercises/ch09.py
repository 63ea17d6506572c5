"""Self-checks of chapter 9: case study on multimodal reports."""

from __future__ import annotations

from typing import Any

from crossmodal_helpers import case_study
from crossmodal_helpers.exercises import Feedback, check_choice, check_value

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


def _token_f1(true: list[str], predicted: list[str]) -> float:
    pairs = list(zip(true, predicted, strict=True))
    correct = sum(t == p != "O" for t, p in pairs)
    n_true, n_pred = sum(t != "O" for t in true), sum(p != "O" for p in predicted)
    return 2 * correct / (n_true + n_pred)


def entity_f1_by_hand(answer: Any) -> Feedback:
    """Check exercise 'Entity F1 by hand': the span-level F1 of ``F1_PREDICTED``."""
    expected = case_study.entity_f1([F1_TRUE], [F1_PREDICTED])
    hint = (
        "list the spans (start, end, tag) of both taggings; a predicted span counts only if "
        "a true span has the same start, end and tag; F1 = 2C / (P + T)"
    )
    is_number = isinstance(answer, (int, float)) and not isinstance(answer, bool)
    if is_number and abs(answer - _token_f1(F1_TRUE, F1_PREDICTED)) < 1e-9:
        return Feedback(
            False,
            f"{answer} is the token-level F1",
            "count whole spans: the half-found position 'upper left' is a wrong span, "
            "not one right token out of two",
        )
    return check_value(answer, expected, name="entity F1", hint=hint, rel_tol=1e-3)


def base_rate(answer: Any) -> Feedback:
    """Check exercise 'The base rate': the precision of the detector at 2 % prevalence."""
    expected = case_study.precision_at_base_rate(
        BASE_RATE["recall"], BASE_RATE["false_positive_rate"], BASE_RATE["prevalence"]
    )
    is_number = isinstance(answer, (int, float)) and not isinstance(answer, bool)
    if is_number and abs(answer - (1 - BASE_RATE["false_positive_rate"])) < 1e-9:
        return Feedback(
            False,
            f"{answer} is the specificity (1 − false-positive rate), not the precision",
            "precision = P(fake | flagged): divide the flagged fakes by all flagged reports",
        )
    hint = (
        "of 1,000 reports, 20 are fake: 0.9 × 20 are flagged; of the 980 genuine ones, "
        "0.05 × 980 are flagged too; precision = flagged fakes / all flagged"
    )
    return check_value(answer, expected, name="precision", hint=hint, rel_tol=1e-3)


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
