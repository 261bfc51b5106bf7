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

_global = {"seed": None, "count": 0}


def set_random_seed(seed: int) -> None:
    """Seeds every random stream jeras uses (JAX keys, NumPy, Python's `random`).

    Args:
        seed: a non-negative integer.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer. Received: seed={seed!r}")
    seed = int(seed)
    _global["seed"] = seed
    _global["count"] = 0
    np.random.seed(seed % (2**32))
    _py_random.seed(seed)


def next_seed() -> int:
    """Returns a fresh 32-bit seed from the global stream.

    Derived on the host from (global seed, draw number), so drawing compiles nothing.
    """
    if _global["seed"] is None:
        _global["seed"] = int(np.random.SeedSequence().entropy % (2**63))
    _global["count"] += 1
    return int(np.random.SeedSequence([_global["seed"], _global["count"]]).generate_state(1)[0])


def key_from_seed(seed: int) -> jax.Array:
    """A raw `uint32[2]` threefry key for a seed, equal to `jax.random.PRNGKey(seed)` for 32-bit seeds."""
    seed = int(seed)
    return jax.numpy.asarray(np.array([(seed >> 32) & 0xFFFFFFFF, seed & 0xFFFFFFFF], dtype=np.uint32))


def next_global_key() -> jax.Array:
    """Returns a fresh raw key from the global stream (host side, not traceable)."""
    return key_from_seed(next_seed())


def make_key(seed: int | None) -> jax.Array:
    """Returns a raw key from an explicit seed, or from the global stream when `seed` is None."""
    return next_global_key() if seed is None else key_from_seed(seed)


def host_rng(seed: int | None) -> np.random.Generator:
    """A NumPy generator from an explicit seed, or from the global stream when `seed` is None.

    Weight initialization draws on the host: it is fast for any shape and compiles nothing.
    """
    return np.random.default_rng(next_seed() if seed is None else int(seed))


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
