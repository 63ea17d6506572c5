"""Runtime set-up shared by every chapter: seeds, determinism, quiet logs, devices.

Introduced in chapter 1. TensorFlow is imported only inside the functions that need it,
so importing this module stays cheap. TensorFlow's start-up messages are kept quiet by the
package itself, on import, before anything can import TensorFlow (``_quiet_tf``).

Op determinism is on by default (see :func:`setup`). A few TensorFlow ops have no
deterministic GPU kernel and refuse to run while it is on; :func:`explain_determinism_error`
turns their error into one sentence with the two ways out, and
:func:`nondeterministic_fallback` switches determinism off and calls again, saying so.
"""

from __future__ import annotations

import importlib.util
import os
import random
import re
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from crossmodal_helpers import results

#: Environment variable that switches op determinism off (``0``/``false``) or on
#: (``1``/``true``) when ``setup`` is called without ``deterministic``.
DETERMINISTIC_ENV = "CROSSMODAL_DETERMINISTIC"
_ENV_VALUES = {"1": True, "true": True, "0": False, "false": False}

#: How TensorFlow 2.16-2.21 words an op's refusal to run while op determinism is on, e.g.
#: "A deterministic GPU implementation of AdjustContrast is not currently available." or
#: "Deterministic GPU implementation of unsorted segment reduction op not available."
_REFUSALS = (
    "deterministic gpu implementation",
    "determinism is not yet supported",
    "that would have been executed is not deterministic",
    "do not yet have a deterministic",
    "does not have a deterministic implementation",
    "cannot be called when determinism is enabled",
)


@dataclass(frozen=True)
class DeviceReport:
    """What a chapter runs on: introduced in chapter 1."""

    device: str
    tensorflow: str
    keras: str
    seed: int
    colab: bool
    #: Whether op determinism was on when ``setup`` returned. ``nondeterministic_fallback``
    #: may switch it off later and says so; ``is_deterministic()`` tells the state now.
    deterministic: bool

    def __str__(self) -> str:
        place = "Colab" if self.colab else "local"
        ops = "on" if self.deterministic else "off"
        return (
            f"device: {self.device} ({place}) | TensorFlow {self.tensorflow} | "
            f"Keras {self.keras} | seed {self.seed} | deterministic ops: {ops}"
        )

    def _repr_html_(self) -> str:
        return f"<code>{self}</code>"


def is_colab() -> bool:
    """Return True when running inside Google Colab. Introduced in chapter 1."""
    return importlib.util.find_spec("google.colab") is not None


def quiet_tensorflow() -> None:
    """Import TensorFlow quietly and keep its Python loggers quiet. Introduced in chapter 1.

    Importing the package has already set the log environment
    (``crossmodal_helpers.QUIET_TF_ENV``) and arranged for TensorFlow's first import to run
    with native stderr silenced, whichever import loads it; this imports TensorFlow if
    needed and sets the Python loggers of TensorFlow and absl to errors only.
    """
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    try:
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)
    except ImportError:  # absl ships with TensorFlow; tolerate a stripped install
        pass


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be a non-negative int, got {type(seed).__name__} {seed!r}")
    if seed < 0 or seed >= 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    return int(seed)


def seed_everything(seed: int = 0) -> int:
    """Seed Python, NumPy, Keras and TensorFlow with one number. Introduced in chapter 1.

    Seeds ``random``, ``numpy.random`` and, through ``keras.utils.set_random_seed``, Keras
    and TensorFlow. It also sets the environment variable ``PYTHONHASHSEED``, which only
    *child* processes started afterwards read (for example the worker processes of
    ``joblib``): the running interpreter fixed its hash seed when it started, so the hashes
    of ``str`` and ``bytes``, and with them the iteration order of sets of strings, are not
    made reproducible by this call. Code whose results must repeat sorts such sets (the
    book's vocabularies are sorted) or starts Python with ``PYTHONHASHSEED`` already set.
    """
    seed = _check_seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)  # for child processes only (see above)
    random.seed(seed)
    np.random.seed(seed)
    import keras

    keras.utils.set_random_seed(seed)
    return seed


def _check_deterministic(deterministic: Any) -> bool:
    """Resolve ``setup``'s ``deterministic``: the argument, else the variable, else True."""
    if deterministic is not None and not isinstance(deterministic, bool):
        raise TypeError(
            "deterministic must be True, False or None (None: decide from "
            f"{DETERMINISTIC_ENV}, default True), got {type(deterministic).__name__} "
            f"{deterministic!r}"
        )
    if deterministic is not None:
        return deterministic
    value = os.environ.get(DETERMINISTIC_ENV, "").strip().lower()
    if not value:
        return True
    if value not in _ENV_VALUES:
        raise ValueError(
            f"{DETERMINISTIC_ENV} must be 0, 1, true or false, "
            f"got {os.environ[DETERMINISTIC_ENV]!r}"
        )
    return _ENV_VALUES[value]


def _set_op_determinism(on: bool) -> bool:
    """Switch TensorFlow's op determinism on or off and return the state now in force."""
    import tensorflow as tf

    # TensorFlow 2.16-2.21 export only ``enable_op_determinism``; its ``disable`` and
    # ``is_enabled`` counterparts live next to it (Keras imports the latter the same way).
    from tensorflow.python.framework import config as tf_config

    if on:
        tf.config.experimental.enable_op_determinism()
    else:
        tf_config.disable_op_determinism()
    return bool(tf_config.is_op_determinism_enabled())


def is_deterministic() -> bool:
    """Return True if TensorFlow's op determinism is on now. Introduced in chapter 1."""
    quiet_tensorflow()
    from tensorflow.python.framework import config as tf_config

    return bool(tf_config.is_op_determinism_enabled())


def setup(
    seed: int = 0, chapter: str | None = None, deterministic: bool | None = None
) -> DeviceReport:
    """Prepare a chapter: quiet logs, seeds, deterministic ops, device report.

    Introduced in chapter 1. ``chapter`` (the notebook's stem, e.g. ``"01_crossmodal_data"``)
    starts the chapter's results record and its wall-clock timer. It does not initialise
    TensorFlow's devices, so logical devices can still be configured after it (see the
    scaling appendix).

    ``deterministic`` switches TensorFlow's op determinism: with it, the same seed gives the
    same numbers on every run on the same machine. ``None`` (the default) reads
    ``$CROSSMODAL_DETERMINISTIC`` (``0``/``1``/``true``/``false``) and is True when it is
    unset, on every device. Why on by default, GPU included: the exercises ask readers to
    change one thing and compare, which only means something when a re-run repeats exactly;
    on a CPU it costs next to nothing, and on a GPU these small models lose little speed
    (slower kernels, no XLA in Keras). The risk is an op with no deterministic GPU kernel:
    TensorFlow then raises, and in Jupyter the traceback ends with the way out. An explicit
    argument wins over the variable. Bad arguments raise before anything is changed.
    """
    seed = _check_seed(seed)
    deterministic = _check_deterministic(deterministic)
    if chapter is not None:
        results.start(chapter)
    quiet_tensorflow()
    import keras
    import tensorflow as tf

    seed_everything(seed)
    deterministic = _set_op_determinism(deterministic)
    if deterministic:
        _hint_in_ipython_tracebacks()
    # Physical devices only: listing logical ones would initialise TensorFlow's runtime and
    # stop a chapter from configuring devices afterwards (the scaling appendix does).
    gpus = tf.config.list_physical_devices("GPU")
    if tf.config.list_physical_devices("TPU") or os.environ.get("COLAB_TPU_ADDR"):
        device = "TPU"
    elif gpus:
        device = f"{len(gpus)} GPU(s)"
    else:
        device = f"CPU ({os.cpu_count()} cores)"
    return DeviceReport(
        device=device,
        tensorflow=tf.__version__,
        keras=keras.__version__,
        seed=seed,
        colab=is_colab(),
        deterministic=deterministic,
    )


def _refused_op(error: BaseException) -> str | None:
    """Name the op if ``error`` is TensorFlow refusing to run it deterministically."""
    tf = sys.modules.get("tensorflow")
    if tf is None or not isinstance(error, tf.errors.OpError):
        return None
    message = str(error)
    if not any(phrase in message.lower() for phrase in _REFUSALS):
        return None
    # Graph errors name the node ("[[{{node .../UnsortedSegmentSum}}]]"), eager errors the
    # op ("[Op:UnsortedSegmentSum]"); a graph error's "[Op:...]" is the whole function.
    for pattern in (r"\{\{node ([^}]+)\}\}", r"\[Op:(\w+)\]"):
        found = re.search(pattern, message)
        if found:
            return found.group(1)
    return "an op"


def explain_determinism_error(error: BaseException) -> str | None:
    """Say in one sentence why TensorFlow refused an op and how to go on, else None.

    Introduced in chapter 1. ``error`` is the exception an op raised; the answer is None
    unless it is TensorFlow's refusal to run an op with op determinism on.
    """
    op = _refused_op(error)
    if op is None:
        return None
    return (
        f"TensorFlow refused to run {op} because op determinism is on (runtime.setup "
        "switches it on so that runs repeat exactly) and this op has no deterministic "
        "version on this device: call runtime.setup(..., deterministic=False) or set "
        f"{DETERMINISTIC_ENV}=0 before runtime.setup, and accept that results then differ "
        "slightly from run to run."
    )


def nondeterministic_fallback(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``fn(*args, **kwargs)``; if an op refuses determinism, switch it off and retry.

    Introduced in chapter 1. Only for a call that is safe to repeat from the start (it runs
    a second time). Switching determinism off is never silent: a ``RuntimeWarning`` says
    which op forced it, determinism stays off for the rest of the session (re-run
    ``runtime.setup`` to switch it on again) and :func:`is_deterministic` returns False.
    Any other error is raised unchanged.
    """
    try:
        return fn(*args, **kwargs)
    except Exception as error:
        op = _refused_op(error)
        if op is None:
            raise
    _set_op_determinism(False)
    warnings.warn(
        f"{op} has no deterministic version on this device, so op determinism is now off "
        "for the rest of this session and the call was run again: from here on results "
        "differ slightly from run to run, whatever the report of runtime.setup says.",
        RuntimeWarning,
        stacklevel=2,
    )
    return fn(*args, **kwargs)


def _hint_in_ipython_tracebacks() -> None:
    """In IPython, end a refused op's traceback with :func:`explain_determinism_error`."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    import tensorflow as tf

    handled = (tf.errors.OpError,)
    if shell is None or shell.custom_exceptions not in ((), handled):
        return  # not in IPython, or someone else's handler: leave it alone

    def show(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset=None) -> None:
        hint = explain_determinism_error(value)
        notes = list(getattr(value, "__notes__", []))
        if hint is not None and hint not in notes:
            value.__notes__ = [*notes, hint]  # what add_note does, also on Python 3.10
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)

    shell.set_custom_exc(handled, show)


def strategy() -> Any:
    """Return the ``tf.distribute`` strategy for this machine. Introduced in chapter 1.

    A TPU gets ``TPUStrategy``, several GPUs get ``MirroredStrategy`` and anything else the
    default strategy for one device, so the same model code runs everywhere.
    """
    quiet_tensorflow()
    import tensorflow as tf

    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    except (ValueError, RuntimeError, tf.errors.NotFoundError):
        pass
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()
