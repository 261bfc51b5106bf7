"""A random permutation of `0..n-1` without sorting: the epoch shuffle of both paths of `fit`.

`jax.random.permutation` sorts random keys, several rounds of it; XLA:CPU's sort makes that
about 4 ms for 7,740 rows, longer than a whole epoch of the housing MLP, and the whole-fit
program pays it every epoch. `shuffled_range` instead runs every index through a keyed Feistel
network, a bijection of `0..2^b-1` (the smallest bit width that holds `n`), and walks each
value that falls outside `0..n-1` through the network again until it lands inside (cycle
walking keeps it a bijection of `0..n-1`; as 2^b < 2n, few values need more than a step or two). That is a few element-wise integer passes over
the indices (docs/architecture.md, "Data").
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

ROUNDS = 8


def _mix(x):
    """A 32-bit integer hash with good avalanche (every input bit flips each output bit about half the time)."""
    x = x ^ (x >> 16)
    x = x * np.uint32(0x7FEB352D)
    x = x ^ (x >> 15)
    x = x * np.uint32(0x846CA68B)
    return x ^ (x >> 16)


def _feistel(values, round_keys, bits: int):
    """A keyed bijection of `0..2^bits-1`: rounds that alternately rewrite the high and the low bits
    from a hash of the other part (each round is invertible, so the whole is)."""
    low_bits = (bits + 1) // 2
    low_mask, high_mask = np.uint32((1 << low_bits) - 1), np.uint32((1 << (bits - low_bits)) - 1)
    high, low = values >> low_bits, values & low_mask
    for r in range(ROUNDS):
        if r % 2:
            low = low ^ (_mix(high ^ round_keys[r]) & low_mask)
        else:
            high = high ^ (_mix(low ^ round_keys[r]) & high_mask)
    return (high << low_bits) | low


def shuffled_range(key: jax.Array, n: int) -> jax.Array:
    """The integers `0..n-1` in an order drawn from `key` (int32), the same for the same key and `n`."""
    if n <= 1:
        return jnp.arange(n, dtype=jnp.int32)
    if n > 2**31:
        raise ValueError(f"shuffled_range handles at most 2**31 rows. Received: n={n}")
    bits = (n - 1).bit_length()
    round_keys = jax.random.bits(key, (ROUNDS,), jnp.uint32)
    limit = np.uint32(n)

    def outside(values):
        return jnp.any(values >= limit)

    def walk(values):
        return jnp.where(values >= limit, _feistel(values, round_keys, bits), values)

    values = _feistel(jnp.arange(n, dtype=jnp.uint32), round_keys, bits)
    return jax.lax.while_loop(outside, walk, values).astype(jnp.int32)
