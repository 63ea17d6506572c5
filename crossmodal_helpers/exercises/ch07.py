"""Self-checks of chapter 7: generative adversarial networks."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from crossmodal_helpers.exercises import (
    AnswerProblem,
    Feedback,
    as_array,
    as_number,
    check_array,
    compare_number,
    self_check,
)


def _positive_densities(value: Any, name: str) -> np.ndarray:
    array = np.asarray(value, dtype=float)
    if array.ndim != 1 or len(array) == 0 or not np.isfinite(array).all() or array.min() <= 0:
        raise AnswerProblem(
            f"{name} must be a non-empty 1-D array of positive densities",
            f"pass the {name} of the chapter's grid",
        )
    return array


@self_check
def optimal_discriminator(answer: Any, p_data: Any, p_g: Any) -> Feedback:
    """Check exercise 'The best discriminator': $D^*(x)$ at every grid point."""
    p_data = _positive_densities(p_data, "p_data")
    p_g = _positive_densities(p_g, "p_g")
    if p_data.shape != p_g.shape:
        raise AnswerProblem(
            f"p_data and p_g must have the same shape, got {p_data.shape} and {p_g.shape}"
        )
    expected = p_data / (p_data + p_g)
    hint = (
        "at a fixed x the discriminator's objective is p_data(x) log D + p_g(x) log(1 - D): "
        "set its derivative with respect to D to zero"
    )
    got = as_array(answer, "d_star", hint).astype(float)
    if got.shape == expected.shape and np.allclose(got, 1 - expected, atol=1e-6):
        return Feedback(
            False,
            "d_star is the probability that x is *generated*: numerator and denominator "
            "are swapped",
            "D outputs the probability that x is real",
        )
    return check_array(got, expected, name="d_star", hint=hint, rtol=1e-6, atol=1e-9)


@self_check
def generator_gradients(answer: Any, d: float = 0.01) -> Feedback:
    """Check exercise 'Saturation in numbers': the two losses' derivatives w.r.t. the logit.

    ``answer`` is a pair (a tuple, list or array) ``(saturating, non_saturating)``.
    """
    hint = (
        "with D = sigmoid(a), dD/da = D (1 - D); differentiate log(1 - D) and -log(D) "
        "with the chain rule"
    )
    pair = as_array(answer, "gradients", hint)
    if pair.shape != (2,):
        raise AnswerProblem(
            "gradients must be a pair (saturating, non_saturating) of two numbers", hint
        )
    d = float(d)
    expected = (-d, -(1.0 - d))
    for name, value, want in zip(("saturating", "non_saturating"), pair, expected, strict=True):
        got = as_number(value, name, hint)
        feedback = compare_number(got, want, name=name, hint=hint, rel_tol=1e-5)
        if "wrong sign" in feedback.message:
            return Feedback(
                False,
                f"the {name} derivative has the wrong sign",
                "the generator *minimises* both losses; a loss that falls as D(G(z)) rises "
                "has a negative derivative",
            )
        if not feedback.passed:
            return feedback
    return Feedback(
        True,
        f"the non-saturating loss pushes {abs(expected[1] / expected[0]):.0f} times harder",
    )


@self_check
def frechet_1d(answer: Any, features_a: Any, features_b: Any) -> Feedback:
    """Check exercise 'Fréchet distance in one dimension' (means and standard deviations)."""
    hint = (
        "in one dimension the covariances are variances and (s_a s_b)^(1/2) = sigma_a sigma_b; "
        "use the sample standard deviation (ddof=1), as np.cov does"
    )
    got = as_number(answer, "fd", hint)
    a = np.asarray(features_a, dtype=float).ravel()
    b = np.asarray(features_b, dtype=float).ravel()
    expected = float((a.mean() - b.mean()) ** 2 + (a.std(ddof=1) - b.std(ddof=1)) ** 2)
    biased = (a.mean() - b.mean()) ** 2 + (a.std() - b.std()) ** 2
    if math.isclose(got, biased, rel_tol=1e-9) and not math.isclose(got, expected, rel_tol=1e-6):
        return Feedback(False, "you used the population standard deviation (ddof=0)", hint)
    variances = (a.mean() - b.mean()) ** 2 + (a.var(ddof=1) - b.var(ddof=1)) ** 2
    if math.isclose(got, variances, rel_tol=1e-6) and not math.isclose(got, expected, rel_tol=1e-6):
        return Feedback(False, "you used the variances", "the formula takes standard deviations")
    return compare_number(got, expected, name="fd", hint=hint, rel_tol=1e-5)


@self_check
def accuracy_by_kind(
    answer: Any, predicted: Sequence[int], requested: Sequence[int], kinds: Sequence[str]
) -> Feedback:
    """Check exercise 'Which descriptions are hard?': requested-digit accuracy per kind."""
    predicted, requested, kinds = np.asarray(predicted), np.asarray(requested), np.asarray(kinds)
    if not len(predicted) == len(requested) == len(kinds):
        raise AnswerProblem("predicted, requested and kinds must have one entry per sample")
    expected = {
        str(kind): float(np.mean(predicted[kinds == kind] == requested[kinds == kind]))
        for kind in np.unique(kinds)
    }
    hint = (
        "for each kind, look only at the samples of that kind and take the share whose "
        "generated digit is the requested one"
    )
    if not isinstance(answer, Mapping):
        raise AnswerProblem(f"accuracy should be a dict, got a {type(answer).__name__}", hint)
    values = {str(kind): value for kind, value in answer.items()}
    missing = sorted(set(expected) - set(values))
    if missing:
        raise AnswerProblem(f"accuracy has no entry for {', '.join(missing)}", hint)
    for kind in sorted(expected):
        name = f"accuracy[{kind!r}]"
        got = as_number(values[kind], name, hint)
        feedback = compare_number(got, expected[kind], name=name, hint=hint, rel_tol=1e-6)
        if not feedback.passed:
            return feedback
    hardest = min(expected, key=expected.get)
    return Feedback(True, f"all {len(expected)} kinds are right; the hardest is {hardest!r}")


def _distribution(value: Any, name: str) -> np.ndarray:
    array = np.asarray(value, dtype=float)
    if (
        array.ndim != 1
        or len(array) == 0
        or not np.isfinite(array).all()
        or array.min() < 0
        or not math.isclose(array.sum(), 1.0, rel_tol=1e-6)
    ):
        raise AnswerProblem(
            f"{name} must be a 1-D array of probabilities that sum to 1",
            f"pass the chapter's {name}",
        )
    return array


@self_check
def js_divergence(answer: Any, p: Any, q: Any) -> Feedback:
    """Check exercise 'Jensen–Shannon by hand': JSD(p || q) in nats."""
    p = _distribution(p, "p_box")
    q = _distribution(q, "q_box")
    if p.shape != q.shape:
        raise AnswerProblem(
            f"p_box and q_box must have the same shape, got {p.shape} and {q.shape}"
        )
    hint = (
        "with m = (p + q) / 2, sum p log(p / m) over the grid points where p > 0, the same "
        "for q, and average the two"
    )
    got = as_number(answer, "js", hint)
    m = (p + q) / 2

    def kl(a: np.ndarray) -> float:
        keep = a > 0
        return float(np.sum(a[keep] * np.log(a[keep] / m[keep])))

    expected = 0.5 * kl(p) + 0.5 * kl(q)
    if math.isclose(got, expected / math.log(2), rel_tol=1e-6) and not math.isclose(
        got, expected, rel_tol=1e-6
    ):
        return Feedback(False, "js is in bits (log base 2)", "the chapter measures in nats: np.log")
    if math.isclose(got, math.sqrt(expected), rel_tol=1e-6) and not math.isclose(
        got, expected, rel_tol=1e-6
    ):
        return Feedback(
            False,
            "js is the square root of the divergence (SciPy's Jensen–Shannon *distance*)",
            hint,
        )
    return compare_number(got, expected, name="js", hint=hint, rel_tol=1e-5)
