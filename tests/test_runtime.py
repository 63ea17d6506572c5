"""Unit tests of crossmodal_helpers.runtime and of what importing the package costs.

TensorFlow is imported in subprocesses only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

import crossmodal_helpers
from crossmodal_helpers import runtime

#: The modules about Keras: they import Keras (and with it TensorFlow) at the top.
KERAS_MODULES = (
    "attention",
    "autoencoders",
    "captioning",
    "fusion",
    "gan",
    "pretraining",
    "retrieval",
    "vqa",
)


def _run(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )


def _without_log_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in crossmodal_helpers.QUIET_TF_ENV}


def test_the_package_and_its_other_modules_do_not_import_tensorflow():
    """Every module but those about Keras, data sets and exercises included, is cheap."""
    proc = _run(
        f"""
        import importlib, json, pkgutil, sys
        import crossmodal_helpers

        heavy = lambda: sorted(m for m in ("tensorflow", "keras") if m in sys.modules)
        culprits = {{}} if not heavy() else {{"crossmodal_helpers": heavy()}}
        names = [
            info.name
            for info in pkgutil.walk_packages(crossmodal_helpers.__path__, "crossmodal_helpers.")
            if info.name.split(".")[1] not in {KERAS_MODULES!r}
        ]
        for name in names:
            importlib.import_module(name)
            if heavy() and not culprits:
                culprits[name] = heavy()
        print(json.dumps([len(names), culprits]))
        """
    )
    assert proc.returncode == 0, proc.stderr
    checked, culprits = json.loads(proc.stdout)
    assert culprits == {}, f"these imports pulled in TensorFlow: {culprits}"
    assert checked >= 25  # the modules, the data sets and the chapters' self-checks


def test_every_keras_class_is_registered_when_its_module_is_imported():
    """So ``keras.models.load_model`` finds them in a new session (see test_keras_saving)."""
    proc = _run(
        f"""
        import importlib, inspect, json
        import keras

        found = {{}}
        for name in {KERAS_MODULES!r}:
            module = importlib.import_module("crossmodal_helpers." + name)
            for cls in vars(module).values():
                if (
                    inspect.isclass(cls)
                    and issubclass(cls, keras.layers.Layer)
                    and cls.__module__ == module.__name__
                    and not cls.__name__.startswith("_")  # private bases are not saved
                ):
                    registered = keras.saving.get_registered_name(cls)
                    same = keras.saving.get_registered_object(registered) is cls
                    found[cls.__name__] = registered if same else None
        print(json.dumps(found))
        """
    )
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert set(found) >= {"GatedFusion", "TransformerBlock", "GAN", "DualEncoder"}
    assert found == {name: f"crossmodal_helpers>{name}" for name in found}


def test_importing_the_package_sets_the_log_environment_and_keeps_the_users_choice():
    env = _without_log_environment()
    env["TF_CPP_MIN_LOG_LEVEL"] = "1"  # the user's own choice
    proc = _run(
        f"""
        import json, os, sys
        import crossmodal_helpers
        keys = {sorted(crossmodal_helpers.QUIET_TF_ENV)!r}
        values = {{k: os.environ.get(k) for k in keys}}
        print(json.dumps([values, "tensorflow" in sys.modules]))
        """,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    values, tensorflow_imported = json.loads(proc.stdout)
    assert values == {**crossmodal_helpers.QUIET_TF_ENV, "TF_CPP_MIN_LOG_LEVEL": "1"}
    assert not tensorflow_imported


@pytest.mark.parametrize(
    "code",
    [
        "from crossmodal_helpers import fusion",  # a module about Keras imports TensorFlow
        "import crossmodal_helpers.gan",
        "import crossmodal_helpers, keras",  # the reader's own Keras, after the package
        "from crossmodal_helpers import runtime; runtime.setup()",
    ],
)
def test_tensorflow_starts_quietly_whatever_imports_it_first(code):
    """Without the package, TensorFlow 2.21 writes "Could not find cuda drivers" and more."""
    finders = "[type(f).__name__ for f in sys.meta_path]"
    proc = _run(
        f"{code}\nimport sys, keras\nkeras.ops.ones(2)\nprint({finders})",
        env=_without_log_environment(),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", f"TensorFlow wrote to stderr:\n{proc.stderr}"
    assert "_QuietFirstImport" not in proc.stdout  # it leaves once TensorFlow is loaded


def test_setup_is_quiet_deterministic_and_reports_the_device():
    proc = _run(
        """
        from crossmodal_helpers import runtime
        report = runtime.setup(seed=3)
        import keras, numpy as np
        first = keras.random.uniform((3,)).numpy().tolist(), np.random.rand()
        runtime.setup(seed=3)
        second = keras.random.uniform((3,)).numpy().tolist(), np.random.rand()
        print(first == second, report.seed, report.device.startswith(("CPU", "1 GPU")))
        print(str(report))
        """
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "True 3 True"
    assert "TensorFlow" in lines[1] and "Keras 3" in lines[1]
    for noise in ("cuda", "oneDNN", "absl", "cudart"):
        assert noise not in proc.stderr, proc.stderr


def test_strategy_returns_a_single_device_strategy_on_this_machine():
    proc = _run(
        """
        from crossmodal_helpers import runtime
        s = runtime.strategy()
        print(s.num_replicas_in_sync)
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "1"


@pytest.mark.parametrize("seed", [-1, 2**32])
def test_seed_out_of_range(seed):
    with pytest.raises(ValueError, match=r"seed must be in \[0, 2\*\*32\)"):
        runtime.setup(seed=seed)


@pytest.mark.parametrize("seed", [1.5, "0", None, True])
def test_seed_of_wrong_type(seed):
    with pytest.raises(TypeError, match="seed must be a non-negative int"):
        runtime.setup(seed=seed)


def test_is_colab_follows_the_google_colab_module(tmp_path, monkeypatch):
    assert runtime.is_colab() is False
    package = tmp_path / "google" / "colab"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (tmp_path / "google" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m == "google" or m.startswith("google.")]:
        monkeypatch.delitem(sys.modules, name)
    assert runtime.is_colab() is True


def test_setup_leaves_devices_configurable():
    proc = _run(
        """
        from crossmodal_helpers import runtime
        runtime.setup(seed=0)
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        config = [tf.config.LogicalDeviceConfiguration()] * 2
        tf.config.set_logical_device_configuration(cpu, config)
        print(len(tf.config.list_logical_devices("CPU")))
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "2"


def test_the_hash_seed_reaches_child_processes_only():
    """seed_everything exports PYTHONHASHSEED, which child processes started afterwards
    read; the running interpreter keeps the hash seed it started with (as documented)."""
    import json
    import os

    code = """
        import json, os, subprocess, sys
        from crossmodal_helpers import runtime
        child = [sys.executable, "-c", "print(hash('crossmodal'))"]
        before = hash("crossmodal")
        runtime.seed_everything(7)
        children = [subprocess.run(child, capture_output=True, text=True).stdout.strip()
                    for _ in range(2)]
        print(json.dumps({"own": [before, hash("crossmodal")], "children": children,
                          "env": os.environ["PYTHONHASHSEED"]}))
        """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.splitlines()[-1])
    reference = subprocess.run(
        [sys.executable, "-c", "print(hash('crossmodal'))"],
        capture_output=True,
        text=True,
        check=True,
        env={**env, "PYTHONHASHSEED": "7"},
    ).stdout.strip()
    assert out["env"] == "7"
    assert out["own"][0] == out["own"][1]
    assert out["children"] == [reference, reference]
