"""Unit tests of crossmodal_helpers.runtime (TensorFlow is imported in a subprocess)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from crossmodal_helpers import runtime


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_importing_the_package_does_not_import_tensorflow():
    proc = _run(
        """
        import sys, crossmodal_helpers
        from crossmodal_helpers import exercises, plots, results, runtime, widgets
        print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


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
