"""Random number streams.

Outside compiled code, random draws (weight initialization, shuffling order) come from one
global stream of JAX keys, reset by `set_random_seed`, so two runs with the same seed are
bit-identical. Inside a traced step the keys come from the step's RNG key held in the
`TrainState`, through the active stateless scope (see `variables.StatelessScope`).
"""

from __future__ import annotations

import random as _py_random

import jax
import numpy as np

_global = {"seed": None, "key": None, "count": 0}


def set_random_seed(seed: int) -> None:
    """Seeds every random stream jeras uses (JAX keys, NumPy, Python's `random`).

    Args:
        seed: a non-negative integer.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer. Received: seed={seed!r}")
    seed = int(seed)
    _global["seed"] = seed
    _global["key"] = jax.random.key_data(jax.random.PRNGKey(seed))
    _global["count"] = 0
    np.random.seed(seed % (2**32))
    _py_random.seed(seed)


def _ensure_global() -> None:
    if _global["key"] is None:
        seed = int(np.random.SeedSequence().entropy % (2**31))
        _global["seed"] = seed
        _global["key"] = jax.random.key_data(jax.random.PRNGKey(seed))
        _global["count"] = 0


def next_global_key() -> jax.Array:
    """Returns a fresh raw `uint32[2]` key from the global stream (host side, not traceable)."""
    _ensure_global()
    _global["count"] += 1
    return jax.random.fold_in(_global["key"], _global["count"])


def next_seed() -> int:
    """Returns a fresh integer seed drawn from the global stream."""
    return int(np.asarray(jax.random.randint(next_global_key(), (), 0, 2**31 - 1)))


def make_key(seed: int | None) -> jax.Array:
    """Returns a raw key from an explicit seed, or from the global stream when `seed` is None."""
    if seed is None:
        return next_global_key()
    return jax.random.PRNGKey(int(seed))


def draw_key(seed: int | None = None) -> jax.Array:
    """Returns a key for a random op inside a layer's `call`.

    Inside a stateless scope with an RNG key (a compiled training step), keys are derived
    from the step key, so each step draws new noise. Outside any scope, keys come from the
    seed, or from the global stream.
    """
    from jeras.backend.variables import current_scope

    scope = current_scope()
    if scope is not None and scope.rng is not None:
        return scope.next_key()
    return make_key(seed)
