"""Self-checks of appendix A: scaling up with ``tf.distribute``.

Introduced in appendix A. Import it explicitly
(``import crossmodal_helpers.exercises.appendix as appendix_checks``): the package only
imports chapter modules named ``chNN`` on first use.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from crossmodal_helpers.exercises import Feedback, check_array, check_choice, check_value

#: Exercise "Per-replica batch": a global batch of this size on this many replicas.
GLOBAL_BATCH = 512
REPLICAS = 8

#: Exercise "Linear scaling": the reference run of Goyal et al. and the large-batch run.
BASE_LEARNING_RATE = 0.1
BASE_BATCH = 256
LARGE_BATCH = 8192

#: Exercise "Which strategy?": situations and the strategy each one calls for.
STRATEGY_OPTIONS = (
    "default",
    "MirroredStrategy",
    "TPUStrategy",
    "MultiWorkerMirroredStrategy",
)
_BEST_STRATEGY = {
    "colab_tpu": "TPUStrategy",
    "four_gpus": "MirroredStrategy",
    "two_machines": "MultiWorkerMirroredStrategy",
    "laptop_cpu": "default",
}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


def per_replica_batch(answer: Any) -> Feedback:
    """Check exercise 'Per-replica batch': the batch each replica gets."""
    expected = GLOBAL_BATCH // REPLICAS
    if _is_number(answer) and answer == GLOBAL_BATCH * REPLICAS:
        return Feedback(
            False,
            f"{answer} multiplies the global batch by the replicas",
            "the global batch is SPLIT across the replicas: divide, don't multiply",
        )
    return check_value(
        answer,
        expected,
        name="per_replica",
        hint=f"each of the {REPLICAS} replicas gets an equal share of the {GLOBAL_BATCH} "
        "examples of one global batch",
    )


def scaled_learning_rate(answer: Any) -> Feedback:
    """Check exercise 'Linear scaling': the learning rate for the large batch."""
    factor = LARGE_BATCH / BASE_BATCH
    expected = BASE_LEARNING_RATE * factor
    if _is_number(answer) and np.isclose(float(answer), BASE_LEARNING_RATE * np.sqrt(factor)):
        return Feedback(
            False,
            f"lr = {answer} is the square-root rule",
            "the linear scaling rule multiplies the learning rate by k, not sqrt(k)",
        )
    return check_value(
        answer,
        expected,
        name="lr",
        hint=f"the batch grows by k = {LARGE_BATCH} / {BASE_BATCH}; multiply the base "
        "learning rate by the same k",
    )


def which_strategy(answers: Any) -> Feedback:
    """Check exercise 'Which strategy?': a dict mapping each situation to a strategy name."""
    keys = sorted(_BEST_STRATEGY)
    if not isinstance(answers, dict) or sorted(answers) != keys:
        return Feedback(
            False,
            f"answers must be a dict with the keys {keys}",
            "write answers = {'colab_tpu': ..., 'four_gpus': ..., 'two_machines': ..., "
            "'laptop_cpu': ...} with one of " + ", ".join(STRATEGY_OPTIONS),
        )
    hint = (
        "several devices in ONE machine: MirroredStrategy; several machines: "
        "MultiWorkerMirroredStrategy; TPU cores: TPUStrategy; one device: default"
    )
    for key in keys:
        feedback = check_choice(answers[key], _BEST_STRATEGY[key], STRATEGY_OPTIONS, hint=hint)
        if not feedback.passed:
            return Feedback(False, f"{key}: {feedback.message}", feedback.hint)
    return Feedback(True, f"all {len(keys)} situations get the right strategy")


def combined_gradient(answer: Any, gradients: Any, sizes: Any) -> Feedback:
    """Check exercise 'Unequal shares': the global-batch gradient from per-replica means.

    ``gradients`` holds one mean gradient per replica (shape ``(replicas, parameters)``)
    and ``sizes`` the number of examples each replica averaged over.
    """
    gradients = np.asarray(gradients, dtype=float)
    sizes = np.asarray(sizes, dtype=float)
    if gradients.ndim != 2 or sizes.shape != (gradients.shape[0],):
        raise ValueError(
            "gradients must have shape (replicas, parameters) and sizes shape (replicas,), "
            f"got {gradients.shape} and {sizes.shape}"
        )
    expected = (sizes[:, None] * gradients).sum(axis=0) / sizes.sum()
    if answer is not None and answer is not Ellipsis:
        try:
            got = np.asarray(answer, dtype=float)
        except (TypeError, ValueError):
            got = None
        plain = gradients.mean(axis=0)
        if (
            got is not None
            and got.shape == expected.shape
            and np.allclose(got, plain)
            and not np.allclose(got, expected)
        ):
            return Feedback(
                False,
                "you took the plain mean of the replicas' gradients",
                "with unequal shares each replica's mean gradient must be weighted by "
                "its number of examples",
            )
    return check_array(
        answer,
        expected,
        name="global_gradient",
        hint="turn each mean back into a sum (multiply by its size), add the sums and "
        "divide by the total number of examples",
    )
