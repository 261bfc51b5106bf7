"""Shared test set-up: Keras 3 (the parity oracle) runs on its JAX backend, on the CPU."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
# Tests compile from scratch, whatever earlier runs left in the persistent cache (one test turns it on).
os.environ.setdefault("JERAS_COMPILATION_CACHE", "0")

import pathlib  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

SHARED = pathlib.Path(__file__).resolve().parents[1].parent / "shared"
DATASETS = SHARED / "datasets"


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _fresh_names():
    import jeras.backend

    jeras.backend.clear_session()
    yield
