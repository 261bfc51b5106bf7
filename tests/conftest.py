"""Shared test set-up: Keras 3 (the parity oracle) runs on its JAX backend, on the CPU."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
import pathlib  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402


def _fresh_cache_for_this_run() -> None:
    """One compilation cache and program store per test run, shared by its xdist workers.

    A program one test compiled serves later tests of the same structure (after their
    `clear_session`), so the suite compiles each structure about once; nothing an earlier run
    left is ever used. Tests that count traces or compiles ask for `fresh_compiles`. Set
    JERAS_COMPILATION_CACHE yourself to run the suite another way (0: compile everything).
    """
    if "JERAS_COMPILATION_CACHE" in os.environ:
        return
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"serial-{os.getpid()}"
    root = pathlib.Path(tempfile.gettempdir())
    for old in root.glob("jeras-test-cache-*"):
        try:
            if time.time() - old.stat().st_mtime > 6 * 3600:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass
    os.environ["JERAS_COMPILATION_CACHE"] = "1"
    os.environ["JERAS_CACHE_DIR"] = str(root / f"jeras-test-cache-{run}")


_fresh_cache_for_this_run()

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


@pytest.fixture
def fresh_compiles(monkeypatch):
    """For tests that count traces or compiles: this test's programs are traced and compiled
    here, not loaded from the run's program store (JAX's own cache still serves tiny eager ops)."""
    from jeras.backend import executables

    monkeypatch.setattr(executables, "store_dir", lambda: None)
    yield
