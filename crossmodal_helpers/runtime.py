"""Runtime set-up shared by every chapter: seeds, determinism, quiet logs, devices.

Introduced in chapter 1. TensorFlow is imported only inside the functions that need it,
so ``import crossmodal_helpers`` stays cheap.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from crossmodal_helpers import results

#: Environment variables that keep TensorFlow's C++ and absl start-up messages off the page.
QUIET_TF_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "GRPC_VERBOSITY": "ERROR",
    "ABSL_MIN_LOG_LEVEL": "3",
}


@dataclass(frozen=True)
class DeviceReport:
    """What a chapter runs on: introduced in chapter 1."""

    device: str
    tensorflow: str
    keras: str
    seed: int
    colab: bool

    def __str__(self) -> str:
        place = "Colab" if self.colab else "local"
        return (
            f"device: {self.device} ({place}) | TensorFlow {self.tensorflow} | "
            f"Keras {self.keras} | seed {self.seed}"
        )

    def _repr_html_(self) -> str:
        return f"<code>{self}</code>"


def is_colab() -> bool:
    """Return True when running inside Google Colab. Introduced in chapter 1."""
    return importlib.util.find_spec("google.colab") is not None


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Send the process's native stderr (file descriptor 2) to /dev/null for a moment."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ and Python start-up logs. Introduced in chapter 1.

    TensorFlow's native libraries write to stderr while they load, before any log level
    applies, so the first import runs with native stderr sent to /dev/null.
    """
    for key, value in QUIET_TF_ENV.items():
        os.environ.setdefault(key, value)
    if "tensorflow" not in sys.modules:
        with _native_stderr_silenced():
            import tensorflow  # noqa: F401
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
    """Seed Python, NumPy, Keras and TensorFlow with one number. Introduced in chapter 1."""
    seed = _check_seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    import keras

    keras.utils.set_random_seed(seed)
    return seed


def setup(seed: int = 0, chapter: str | None = None) -> DeviceReport:
    """Prepare a chapter: quiet logs, seeds, deterministic ops, device report.

    Introduced in chapter 1. ``chapter`` (the notebook's stem, e.g. ``"01_crossmodal_data"``)
    starts the chapter's results record and its wall-clock timer. It does not initialise
    TensorFlow's devices, so logical devices can still be configured after it (see the
    scaling appendix).
    """
    seed = _check_seed(seed)
    if chapter is not None:
        results.start(chapter)
    quiet_tensorflow()
    import keras
    import tensorflow as tf

    seed_everything(seed)
    tf.config.experimental.enable_op_determinism()
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
    )


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
