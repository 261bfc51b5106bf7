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

_global = {"seed": None, "count": 0, "inference": 0}


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
    _global["inference"] = 0
    np.random.seed(seed % (2**32))
    _py_random.seed(seed)


def _global_seed() -> int:
    if _global["seed"] is None:
        _global["seed"] = int(np.random.SeedSequence().entropy % (2**63))
    return _global["seed"]


def next_seed() -> int:
    """Returns a fresh 32-bit seed from the global stream.

    Derived on the host from (global seed, draw number), so drawing compiles nothing.
    """
    seed = _global_seed()
    _global["count"] += 1
    return int(np.random.SeedSequence([seed, _global["count"]]).generate_state(1)[0])


# Tells the inference stream's seed sequences apart from the global stream's.
_INFERENCE_STREAM = 1


def next_inference_key() -> jax.Array:
    """A fresh key for one `predict` or `evaluate` call, from a stream of its own.

    Layers that draw noise at inference (a Dropout subclass forcing `training=True`, the
    MC-dropout idiom) draw new noise on every call, as in tf.keras. The stream is apart from
    `next_seed`'s, so predicting does not change what a later fit or new layer draws; it is
    reset by `set_random_seed` too.
    """
    seed = _global_seed()
    _global["inference"] += 1
    words = np.random.SeedSequence([seed, _global["inference"], _INFERENCE_STREAM]).generate_state(1)
    return key_from_seed(int(words[0]))


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
