"""Op determinism in crossmodal_helpers.runtime: the switch, the hint and the fallback.

No GPU is available here. A GPU is faked by replacing ``tf.config.list_physical_devices``,
and a missing deterministic GPU kernel by a function that raises what TensorFlow raises:
``UnimplementedError`` with the message text found in TensorFlow 2.21's kernels, and only
while op determinism is on, as the real kernels check. ``tf.timestamp`` is a real op that
refuses to run with determinism on, on any device, so it tests the same path end to end.

Op determinism is process-global, so every test that switches it runs in a subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from crossmodal_helpers import runtime

# Real texts of TensorFlow 2.21 (strings of libtensorflow_cc.so.2), as eager and graph
# execution format them.
SEGMENT_SUM = "Deterministic GPU implementation of unsorted segment reduction op not available."
EAGER_REFUSAL = (
    "{{function_node __wrapped__UnsortedSegmentSum_device_/job:localhost/replica:0/task:0/"
    f"device:GPU:0}}}} {SEGMENT_SUM} [Op:UnsortedSegmentSum] name: "
)
GRAPH_REFUSAL = (
    "Graph execution error:\n\nDetected at node gradient_tape/embedding/UnsortedSegmentSum "
    'defined at (most recent call last):\n  File "<stdin>", line 1, in <module>\n\n'
    f"{SEGMENT_SUM}\n\t [[{{{{node gradient_tape/embedding/UnsortedSegmentSum}}}}]] "
    "[Op:__inference_train_function_1234]"
)

# Shared by the subprocesses: a fake GPU and a stand-in for an op with no deterministic
# GPU kernel.
PRELUDE = """
import json, os, random, sys, warnings
import numpy as np
from crossmodal_helpers import results, runtime
runtime.quiet_tensorflow()
import tensorflow as tf
from tensorflow.python.framework import config as tf_config

real_list_devices = tf.config.list_physical_devices

def fake_gpu(device_type=None):
    if device_type == "GPU":
        return [tf.config.PhysicalDevice(name="/physical_device:GPU:0", device_type="GPU")]
    return real_list_devices(device_type)

def resize_nearest_grad():
    if tf_config.is_op_determinism_enabled():
        raise tf.errors.UnimplementedError(
            None, None,
            "{{function_node __wrapped__ResizeNearestNeighborGrad_device_/job:localhost/"
            "replica:0/task:0/device:GPU:0}} A deterministic GPU implementation of "
            "ResizeNearestNeighborGrad is not currently available. "
            "[Op:ResizeNearestNeighborGrad] name: ")
    return "ran"
"""


def _run(code: str, **env: str) -> dict:
    """Run PRELUDE + code in a fresh Python; return the JSON it prints last."""
    import os

    proc = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **env},
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


# --- choosing: argument, environment variable, default ------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", False), ("false", False), (" FALSE ", False), ("1", True), ("True", True)],
)
def test_environment_variable_decides_when_the_argument_is_none(monkeypatch, value, expected):
    monkeypatch.setenv(runtime.DETERMINISTIC_ENV, value)
    assert runtime._check_deterministic(None) is expected


@pytest.mark.parametrize("value", [None, "", "  "])
def test_default_is_deterministic(monkeypatch, value):
    if value is None:
        monkeypatch.delenv(runtime.DETERMINISTIC_ENV, raising=False)
    else:
        monkeypatch.setenv(runtime.DETERMINISTIC_ENV, value)
    assert runtime._check_deterministic(None) is True


@pytest.mark.parametrize("argument", [True, False])
def test_argument_wins_over_the_environment_variable(monkeypatch, argument):
    monkeypatch.setenv(runtime.DETERMINISTIC_ENV, "0" if argument else "1")
    assert runtime._check_deterministic(argument) is argument
    monkeypatch.setenv(runtime.DETERMINISTIC_ENV, "not a switch")  # unread: the argument wins
    assert runtime._check_deterministic(argument) is argument


@pytest.mark.parametrize("value", ["yes", "off", "2", "-1", "flase"])
def test_bad_environment_variable(monkeypatch, value):
    monkeypatch.setenv(runtime.DETERMINISTIC_ENV, value)
    with pytest.raises(ValueError, match=rf"CROSSMODAL_DETERMINISTIC must be 0, 1.*{value!r}"):
        runtime.setup(seed=0)


@pytest.mark.parametrize("argument", ["true", "False", 1, 0, 1.0, [True]])
def test_bad_argument(argument):
    with pytest.raises(TypeError, match="deterministic must be True, False or None"):
        runtime.setup(seed=0, deterministic=argument)


# --- setup on CPU and on a (fake) GPU ------------------------------------------------------


def test_setup_chooses_determinism_on_cpu_and_on_a_fake_gpu():
    out = _run(
        """
        cpu = runtime.setup(seed=1)
        tf.config.list_physical_devices = fake_gpu
        gpu = runtime.setup(seed=1)
        os.environ["CROSSMODAL_DETERMINISTIC"] = "0"
        gpu_env_off = runtime.setup(seed=1)
        gpu_env_off_now = runtime.is_deterministic()
        gpu_forced_on = runtime.setup(seed=1, deterministic=True)
        print(json.dumps({
            "cpu": [cpu.device, cpu.deterministic, str(cpu)],
            "gpu": [gpu.device, gpu.deterministic],
            "gpu_env_off": [gpu_env_off.deterministic, gpu_env_off_now, str(gpu_env_off)],
            "gpu_forced_on": [gpu_forced_on.deterministic, runtime.is_deterministic()],
        }))
        """,
        CROSSMODAL_DETERMINISTIC="",
    )
    assert out["cpu"][0].startswith("CPU") and out["cpu"][1] is True
    assert out["cpu"][2].endswith("| deterministic ops: on")
    assert out["gpu"] == ["1 GPU(s)", True]
    assert out["gpu_env_off"][:2] == [False, False]
    assert out["gpu_env_off"][2].endswith("| deterministic ops: off")
    assert out["gpu_forced_on"] == [True, True]


def test_a_failed_setup_changes_nothing():
    out = _run(
        """
        runtime.setup(seed=5, chapter="ch_before")
        before = (runtime.is_deterministic(), results._chapter, os.environ["PYTHONHASHSEED"])
        random_state, numpy_state = random.getstate(), np.random.get_state()[1].tolist()
        errors = []
        for kwargs, env in [
            ({"seed": 9, "chapter": "ch_after", "deterministic": "yes"}, None),
            ({"seed": 9, "chapter": "ch_after", "deterministic": 0}, None),
            ({"seed": 9, "chapter": "ch_after"}, "maybe"),
        ]:
            if env is not None:
                os.environ["CROSSMODAL_DETERMINISTIC"] = env
            try:
                runtime.setup(**kwargs)
            except (TypeError, ValueError) as error:
                errors.append(type(error).__name__)
        after = (runtime.is_deterministic(), results._chapter, os.environ["PYTHONHASHSEED"])
        print(json.dumps({
            "errors": errors,
            "unchanged": before == after,
            "before": before,
            "random": random.getstate() == random_state,
            "numpy": np.random.get_state()[1].tolist() == numpy_state,
        }))
        """,
        CROSSMODAL_DETERMINISTIC="",
    )
    assert out["errors"] == ["TypeError", "TypeError", "ValueError"]
    assert out["before"] == [True, "ch_before", "5"]
    assert out["unchanged"] and out["random"] and out["numpy"]


def test_a_bad_argument_does_not_even_import_tensorflow():
    code = """
        import sys
        from crossmodal_helpers import runtime
        try:
            runtime.setup(deterministic="on")
        except TypeError:
            print("tensorflow" in sys.modules)
        """
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


# --- the message -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tf():
    runtime.quiet_tensorflow()
    import tensorflow

    return tensorflow


@pytest.mark.parametrize(
    ("message", "op"),
    [
        (EAGER_REFUSAL, "UnsortedSegmentSum"),
        (GRAPH_REFUSAL, "gradient_tape/embedding/UnsortedSegmentSum"),
        ("Determinism is not yet supported in GPU implementation of Bincount.", "an op"),
    ],
)
def test_the_message_names_the_op_and_both_ways_out(tf, message, op):
    hint = runtime.explain_determinism_error(tf.errors.UnimplementedError(None, None, message))
    assert hint is not None
    assert hint.startswith(f"TensorFlow refused to run {op} because op determinism is on")
    assert "runtime.setup(..., deterministic=False)" in hint
    assert "CROSSMODAL_DETERMINISTIC=0" in hint
    assert hint.count(". ") == 0 and hint.endswith(".")  # one sentence
    assert "__inference_train_function" not in hint


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError(SEGMENT_SUM),  # right words, not a TensorFlow error
        ValueError("deterministic must be True"),
        "unimplemented",  # a TensorFlow error about something else
        "seed",  # determinism-related, but the fix is a seed, not switching determinism off
    ],
)
def test_other_errors_get_no_message(tf, error):
    if error == "unimplemented":
        error = tf.errors.UnimplementedError(None, None, "Conv3D on int8 is not supported.")
    elif error == "seed":
        error = tf.errors.FailedPreconditionError(
            None, None, "When determinism is enabled, random ops must have a seed specified."
        )
    assert runtime.explain_determinism_error(error) is None


# --- the fallback ------------------------------------------------------------------------


def test_fallback_switches_determinism_off_says_so_and_calls_again():
    out = _run(
        """
        tf.config.list_physical_devices = fake_gpu
        report = runtime.setup(seed=0)
        calls = []
        def op():
            calls.append(tf_config.is_op_determinism_enabled())
            return resize_nearest_grad()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = runtime.nondeterministic_fallback(op)
        print(json.dumps({
            "value": value, "calls": calls, "report": report.deterministic,
            "now": runtime.is_deterministic(),
            "warnings": [(w.category.__name__, str(w.message)) for w in caught],
        }))
        """
    )
    assert out["value"] == "ran"
    assert out["calls"] == [True, False]
    assert out["report"] is True and out["now"] is False
    [(category, message)] = out["warnings"]
    assert category == "RuntimeWarning"
    assert message.startswith("ResizeNearestNeighborGrad has no deterministic version")
    assert "op determinism is now off for the rest of this session" in message


def test_fallback_with_a_real_refusing_op_in_eager_and_graph_mode():
    # tf.timestamp refuses to run with op determinism on, on a CPU too.
    out = _run(
        """
        runtime.setup(seed=0)
        with warnings.catch_warnings(record=True) as eager_warnings:
            warnings.simplefilter("always")
            eager = runtime.nondeterministic_fallback(tf.timestamp)
        runtime.setup(seed=0)
        graph_fn = tf.function(lambda: tf.timestamp() * 0.0)
        try:
            graph_fn()
            hint = None
        except tf.errors.FailedPreconditionError as error:
            hint = runtime.explain_determinism_error(error)
        with warnings.catch_warnings(record=True) as graph_warnings:
            warnings.simplefilter("always")
            graph = runtime.nondeterministic_fallback(graph_fn)
        print(json.dumps({
            "eager": float(eager) > 0, "graph": float(graph),
            "hint": hint, "now": runtime.is_deterministic(),
            "warnings": [str(w.message)[:30] for w in eager_warnings + graph_warnings],
        }))
        """
    )
    assert out["eager"] is True and out["graph"] == 0.0
    assert out["hint"].startswith("TensorFlow refused to run Timestamp because op determinism")
    assert out["now"] is False
    assert out["warnings"] == ["Timestamp has no deterministic"] * 2


def test_fallback_leaves_other_errors_and_determinism_alone():
    out = _run(
        """
        runtime.setup(seed=0)
        calls = []
        def broken():
            calls.append(1)
            raise tf.errors.UnimplementedError(None, None, "Conv3D on int8 is not supported.")
        try:
            runtime.nondeterministic_fallback(broken)
            raised = None
        except tf.errors.UnimplementedError as error:
            raised = error.message
        value = runtime.nondeterministic_fallback(lambda x, y=0: x + y, 2, y=3)
        print(json.dumps({"raised": raised, "calls": len(calls),
                          "now": runtime.is_deterministic(), "value": value}))
        """
    )
    assert out == {
        "raised": "Conv3D on int8 is not supported.",
        "calls": 1,
        "now": True,
        "value": 5,
    }


# --- the hint in Jupyter -----------------------------------------------------------------


def test_ipython_traceback_ends_with_the_message():
    code = """
        from IPython.core.interactiveshell import InteractiveShell
        shell = InteractiveShell.instance()
        shell.run_cell("from crossmodal_helpers import runtime; runtime.setup(seed=0)")
        refused = shell.run_cell("import tensorflow as tf; tf.timestamp()")
        other = shell.run_cell("tf.reshape(tf.zeros(3), (2, 2))")
        print("ERRORS", type(refused.error_in_exec).__name__, type(other.error_in_exec).__name__)
        """
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "ERRORS FailedPreconditionError InvalidArgumentError" in out
    assert out.count("TensorFlow refused to run Timestamp because op determinism is on") == 1
    refused, other = out.split("InvalidArgumentError", 1)
    assert "CROSSMODAL_DETERMINISTIC=0" in refused
    assert "Timestamp cannot be called when determinism is enabled" in refused


def test_another_ipython_handler_is_left_in_place():
    code = """
        from IPython.core.interactiveshell import InteractiveShell
        shell = InteractiveShell.instance()
        shell.set_custom_exc((KeyError,), lambda *args, **kwargs: None)
        shell.run_cell("from crossmodal_helpers import runtime; runtime.setup(seed=0)")
        print(shell.custom_exceptions == (KeyError,))
        """
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "True"
