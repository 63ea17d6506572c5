"""Shared fixtures: every test uses a private data cache, never the user's."""

from __future__ import annotations

import pytest

from crossmodal_helpers import datasets


@pytest.fixture(autouse=True)
def shared_cache(tmp_path_factory, monkeypatch):
    """One cache folder per test session, so slow entries are built once and stay private."""
    folder = tmp_path_factory.getbasetemp() / "crossmodal_cache"
    monkeypatch.setenv(datasets.CACHE_ENV, str(folder))
    return folder


@pytest.fixture(scope="session")
def keras():
    """Keras, imported with TensorFlow's logs quiet and seeded once (0) for the session."""
    from crossmodal_helpers import runtime

    runtime.quiet_tensorflow()
    import keras

    keras.utils.set_random_seed(0)
    return keras
