"""Self-checks of chapter 7: generative adversarial networks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from crossmodal_helpers.exercises import Feedback, check_array, check_value


def _positive_densities(value: Any, name: str) -> np.ndarray:
    array = np.asarray(value, dtype=float)
    if array.ndim != 1 or len(array) == 0 or not np.isfinite(array).all() or array.min() <= 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of positive densities")
    return array


def optimal_discriminator(answer: Any, p_data: Any, p_g: Any) -> Feedback:
    """Check exercise 'The best discriminator': $D^*(x)$ at every grid point."""
    p_data = _positive_densities(p_data, "p_data")
    p_g = _positive_densities(p_g, "p_g")
    if p_data.shape != p_g.shape:
        raise ValueError(
            f"p_data and p_g must have the same shape, got {p_data.shape} and {p_g.shape}"
        )
    expected = p_data / (p_data + p_g)
    hint = "D*(x) is the share of the density at x that comes from the real data"
    if answer is not Ellipsis and answer is not None:
        got = np.asarray(answer, dtype=float)
        if got.shape == expected.shape and np.allclose(got, 1 - expected, atol=1e-6):
            return Feedback(
                False,
                "d_star is the probability that x is *generated*: numerator and denominator "
                "are swapped",
                "D outputs the probability that x is real, so p_data goes in the numerator",
            )
    return check_array(answer, expected, name="d_star", hint=hint, rtol=1e-6, atol=1e-9)


def generator_gradients(answer: Any, d: float = 0.01) -> Feedback:
    """Check exercise 'Saturation in numbers': the two losses' derivatives w.r.t. the logit."""
    expected = (-d, -(1.0 - d))
    hint = (
        "with D = sigmoid(a), dD/da = D (1 - D); differentiate log(1 - D) and -log(D) "
        "with the chain rule"
    )
    if answer is Ellipsis or answer is None:
        return Feedback(False, "gradients is still empty: replace the ... with your code", hint)
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return Feedback(
            False, "gradients must be a tuple (saturating, non_saturating) of two numbers", hint
        )
    for name, got, want in zip(("saturating", "non_saturating"), answer, expected, strict=True):
        if isinstance(got, (int, float, np.number)) and np.isclose(got, -want, rtol=1e-6):
            return Feedback(
                False,
                f"the {name} derivative has the wrong sign",
                "the generator *minimises* both losses; a loss that falls as D(G(z)) rises "
                "has a negative derivative",
            )
        feedback = check_value(got, want, name=name, hint=hint, rel_tol=1e-6)
        if not feedback.passed:
            return feedback
    return Feedback(
        True,
        f"saturating {expected[0]:.3g}, non-saturating {expected[1]:.3g}: the non-saturating "
        f"loss pushes {abs(expected[1] / expected[0]):.0f} times harder",
    )


def frechet_1d(answer: Any, features_a: Any, features_b: Any) -> Feedback:
    """Check exercise 'Fréchet distance in one dimension' (means and standard deviations)."""
    a = np.asarray(features_a, dtype=float).ravel()
    b = np.asarray(features_b, dtype=float).ravel()
    expected = float((a.mean() - b.mean()) ** 2 + (a.std(ddof=1) - b.std(ddof=1)) ** 2)
    hint = (
        "in one dimension the covariances are variances and (s_a s_b)^(1/2) = sigma_a sigma_b; "
        "use the sample standard deviation (ddof=1), as np.cov does"
    )
    if isinstance(answer, (int, float, np.number)) and not isinstance(answer, bool):
        biased = (a.mean() - b.mean()) ** 2 + (a.std() - b.std()) ** 2
        if np.isclose(answer, biased, rtol=1e-9) and not np.isclose(answer, expected, rtol=1e-6):
            return Feedback(False, "you used the population standard deviation (ddof=0)", hint)
    return check_value(answer, expected, name="fd", hint=hint, rel_tol=1e-6)


def accuracy_by_kind(
    answer: Any, predicted: Sequence[int], requested: Sequence[int], kinds: Sequence[str]
) -> Feedback:
    """Check exercise 'Which descriptions are hard?': requested-digit accuracy per kind."""
    predicted, requested, kinds = np.asarray(predicted), np.asarray(requested), np.asarray(kinds)
    if not len(predicted) == len(requested) == len(kinds):
        raise ValueError("predicted, requested and kinds must have one entry per sample")
    expected = {
        str(kind): float(np.mean(predicted[kinds == kind] == requested[kinds == kind]))
        for kind in np.unique(kinds)
    }
    hint = (
        "for each kind k, select the samples with kinds == k and average "
        "predicted == requested over them"
    )
    if not isinstance(answer, dict):
        return Feedback(False, f"accuracy should be a dict, got {type(answer).__name__}", hint)
    missing = sorted(set(expected) - set(answer))
    if missing:
        return Feedback(False, f"accuracy has no entry for {', '.join(missing)}", hint)
    for kind in sorted(expected):
        feedback = check_value(
            answer[kind], expected[kind], name=f"accuracy[{kind!r}]", hint=hint, rel_tol=1e-6
        )
        if not feedback.passed:
            return feedback
    hardest = min(expected, key=expected.get)
    return Feedback(True, f"all {len(expected)} kinds are right; the hardest is {hardest!r}")
