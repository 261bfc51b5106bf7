"""Randomness and processes around a wrapper's fit: a seeded scope, and a guard against fork.

`seeded(random_state)` makes a fit reproducible without taking over the caller's random
streams: it seeds jeras (and NumPy's and Python's global generators, which
`set_random_seed` also seeds) for the duration of the build and fit, then gives the caller
its NumPy and Python states back and continues jeras' stream from a seed drawn from it
beforehand, so a program that seeded jeras stays reproducible.

JAX is multithreaded: a process forked after it ran anything deadlocks at its first JAX
call. joblib's default backend (loky, used by `GridSearchCV(n_jobs=2)`) starts fresh
interpreters and works; `multiprocessing` with the "fork" start method does not.
`check_not_forked()` turns that silent hang into an error that says what to use instead.
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator
from typing import Any

import numpy as np

from jeras import backend
from jeras.backend import random as random_streams

_process = {"used_jax": False, "forked_after_jax": False}


def _after_fork_in_child() -> None:
    _process["forked_after_jax"] = _process["used_jax"]


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def note_jax_use() -> None:
    """Records that this process has run JAX (a forked copy of it can no longer run JAX)."""
    _process["used_jax"] = True


def check_not_forked() -> None:
    """Raises RuntimeError in a process forked from one that had already run JAX.

    Raises:
        RuntimeError: with the start methods that work instead.
    """
    if _process["forked_after_jax"]:
        raise RuntimeError(
            "This process was forked from one that had already run JAX. JAX is multithreaded, so a forked copy "
            "deadlocks at its first computation. Run the estimators in fresh processes instead: joblib's default "
            "'loky' backend (what GridSearchCV(n_jobs=...) and cross_val_score(n_jobs=...) use) or multiprocessing "
            "with the 'spawn' or 'forkserver' start method. Received: a process started with os.fork()"
        )


def seed_of(random_state: Any) -> int | None:
    """The integer seed of a scikit-learn `random_state` (None, an int, a RandomState or Generator).

    Raises:
        ValueError: for anything else, naming `random_state`.
    """
    if random_state is None:
        return None
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool) and random_state >= 0:
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    raise ValueError(
        "random_state must be None, a non-negative integer, a numpy RandomState or a numpy Generator. "
        f"Received: random_state={random_state!r}"
    )


@contextlib.contextmanager
def seeded(random_state: Any) -> Iterator[None]:
    """Seeds jeras' random streams inside the block when `random_state` is set (see the module docstring)."""
    seed = seed_of(random_state)
    if seed is None:
        yield
        return
    resume = random_streams.next_seed()
    numpy_state, python_state = np.random.get_state(), random.getstate()
    backend.set_random_seed(seed)
    try:
        yield
    finally:
        backend.set_random_seed(resume)
        np.random.set_state(numpy_state)
        random.setstate(python_state)
