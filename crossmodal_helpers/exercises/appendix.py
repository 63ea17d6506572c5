"""Self-checks of appendix A: scaling up with ``tf.distribute``.

Introduced in appendix A. Import it explicitly
(``import crossmodal_helpers.exercises.appendix as appendix_checks``): the package only
imports chapter modules named ``chNN`` on first use.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from crossmodal_helpers.exercises import (
    AnswerProblem,
    Feedback,
    as_array,
    as_number,
    check_array,
    check_choices,
    compare_number,
    self_check,
)

#: Exercise "Per-replica batch": a global batch of this size on this many replicas.
GLOBAL_BATCH = 512
REPLICAS = 8

#: Exercise "Linear scaling": the reference run of Goyal et al. and the large-batch run.
BASE_LEARNING_RATE = 0.1
BASE_BATCH = 256
LARGE_BATCH = 8192

#: Exercise "Which strategy?": the strategies to choose from.
STRATEGY_OPTIONS = (
    "default",
    "MirroredStrategy",
    "TPUStrategy",
    "MultiWorkerMirroredStrategy",
)


@self_check
def per_replica_batch(answer: Any) -> Feedback:
    """Check exercise 'Per-replica batch': the batch each replica gets."""
    hint = (
        f"each of the {REPLICAS} replicas gets an equal share of the {GLOBAL_BATCH} "
        "examples of one global batch"
    )
    got = as_number(answer, "per_replica", hint)
    if got == GLOBAL_BATCH * REPLICAS:
        return Feedback(
            False,
            "per_replica multiplies the global batch by the replicas",
            "the global batch is SPLIT across the replicas: divide, don't multiply",
        )
    return compare_number(got, GLOBAL_BATCH / REPLICAS, name="per_replica", hint=hint)


@self_check
def scaled_learning_rate(answer: Any) -> Feedback:
    """Check exercise 'Linear scaling': the learning rate for the large batch."""
    factor = LARGE_BATCH / BASE_BATCH
    hint = (
        f"the batch grows by a factor k = {LARGE_BATCH} / {BASE_BATCH}; the linear rule "
        "changes the learning rate by the same factor"
    )
    got = as_number(answer, "lr", hint)
    if np.isclose(got, BASE_LEARNING_RATE * np.sqrt(factor)):
        return Feedback(
            False,
            "lr follows the square-root rule",
            "the linear scaling rule multiplies the learning rate by k, not sqrt(k)",
        )
    if np.isclose(got, BASE_LEARNING_RATE / factor):
        return Feedback(False, "lr shrinks as the batch grows", "a larger batch takes larger steps")
    return compare_number(got, BASE_LEARNING_RATE * factor, name="lr", hint=hint)


@self_check
def which_strategy(answers: Any) -> Feedback:
    """Check exercise 'Which strategy?': a dict mapping each situation to a strategy name."""
    hint = (
        "count the machines and the devices of each kind in the situation; section A.2 says "
        "which strategy is made for which set-up"
    )
    best = {
        "colab_tpu": "TPUStrategy",
        "four_gpus": "MirroredStrategy",
        "two_machines": "MultiWorkerMirroredStrategy",
        "laptop_cpu": "default",
    }
    return check_choices(answers, best, STRATEGY_OPTIONS, hints=dict.fromkeys(best, hint))


@self_check
def combined_gradient(answer: Any, gradients: Any, sizes: Any) -> Feedback:
    """Check exercise 'Unequal shares': the global-batch gradient from per-replica means.

    ``gradients`` holds one mean gradient per replica (shape ``(replicas, parameters)``)
    and ``sizes`` the number of examples each replica averaged over.
    """
    hint = (
        "turn each replica's mean back into a sum over its examples, add the sums and divide "
        "by the total number of examples"
    )
    got = as_array(answer, "global_gradient", hint).astype(float)
    gradients = np.asarray(gradients, dtype=float)
    sizes = np.asarray(sizes, dtype=float)
    if gradients.ndim != 2 or sizes.shape != (gradients.shape[0],):
        raise AnswerProblem(
            "gradients must have shape (replicas, parameters) and sizes shape (replicas,), "
            f"got {gradients.shape} and {sizes.shape}"
        )
    expected = (sizes[:, None] * gradients).sum(axis=0) / sizes.sum()
    plain = gradients.mean(axis=0)
    if got.shape == expected.shape and np.allclose(got, plain) and not np.allclose(got, expected):
        return Feedback(
            False,
            "you took the plain mean of the replicas' gradients",
            "with unequal shares each replica's mean gradient must be weighted by "
            "its number of examples",
        )
    return check_array(got, expected, name="global_gradient", hint=hint)
