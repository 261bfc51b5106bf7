"""Random keys for the `tf.random` functions and `tf.nn.dropout`.

Inside a jeras training step the key comes from the step's RNG key (new noise every step, as
random layers get). Elsewhere each call takes the next seed of jeras' global stream, which
`tf.random.set_seed` (= `keras.utils.set_random_seed`) resets, so a script draws the same
sequence after the same seed. An operation `seed` is mixed into that draw: two calls with the
same op seed still differ (as in TensorFlow 2, whose ops count their calls) and are reproducible
after `set_seed`. See docs/architecture.md, "The tf namespace".
"""

from __future__ import annotations

import jax
import numpy as np

from jeras.backend import current_scope, key_from_seed, next_seed


def op_key(seed: int | None) -> jax.Array:
    """A raw key for one random operation with optional op `seed` (a non-negative int).

    Raises:
        TypeError, ValueError: for a seed that is not a non-negative integer.
    """
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise TypeError(f"seed must be a non-negative integer or None. Received: seed={seed!r}")
    if seed is not None and seed < 0:
        raise ValueError(f"seed must be a non-negative integer or None. Received: seed={seed!r}")
    scope = current_scope()
    if scope is not None and scope.rng is not None:
        return scope.next_key()
    base = next_seed()
    if seed is None:
        return key_from_seed(base)
    return key_from_seed(int(np.random.SeedSequence([int(seed), base]).generate_state(1)[0]))
