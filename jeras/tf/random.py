"""`tf.random`: the global seed and random arrays.

`tf.random.set_seed(s)` is `keras.utils.set_random_seed(s)`: it seeds jeras' global stream (and
NumPy's and Python's), so the model building and fitting that follow are reproducible. Each
`normal`/`uniform`/... call draws a new key from that stream (see `jeras.tf._keys`); inside a
training step it draws from the step's key instead. The numbers differ from TensorFlow's (JAX
uses another generator); the seeding behaviour is the same. See docs/architecture.md,
"The tf namespace".
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from jeras.backend import set_random_seed
from jeras.tf._convert import TensorLike, operand, static_int, static_shape, to_array
from jeras.tf._dtypes import as_jax_dtype, float32, int64
from jeras.tf._keys import op_key
from jeras.tf._unsupported import unsupported_getattr


def set_seed(seed: int) -> None:
    """Sets the global seed: the same as `keras.utils.set_random_seed(seed)`.

    Args:
        seed: a non-negative integer.

    Example:
        >>> tf.random.set_seed(42)
        >>> model = tf.keras.Sequential([tf.keras.layers.Dense(1)])  # same initial weights every run
    """
    set_random_seed(seed)


def _float_dtype(dtype: Any) -> jnp.dtype:
    target = as_jax_dtype(dtype)
    if not jnp.issubdtype(target, jnp.floating):
        raise TypeError(f"dtype must be a float dtype. Received: dtype={dtype!r}")
    return target


def normal(
    shape: Any,
    mean: TensorLike = 0.0,
    stddev: TensorLike = 1.0,
    dtype: Any = float32,
    seed: int | None = None,
    name: str | None = None,
) -> jax.Array:
    """Samples from a normal distribution.

    Args:
        shape: the output shape.
        mean: the mean (broadcast with the samples). Default 0.0.
        stddev: the standard deviation. Default 1.0.
        dtype: a float dtype. Default `tf.float32`.
        seed: an optional op seed (see the module docstring). Default None.
        name: ignored. Default None.
    """
    target = _float_dtype(dtype)
    z = jax.random.normal(op_key(seed), static_shape(shape), target)
    return (z * operand(stddev) + operand(mean)).astype(target)


def truncated_normal(
    shape: Any,
    mean: TensorLike = 0.0,
    stddev: TensorLike = 1.0,
    dtype: Any = float32,
    seed: int | None = None,
    name: str | None = None,
) -> jax.Array:
    """Samples from a normal distribution cut at two standard deviations from the mean (redrawn beyond).

    Args as in `normal`; defaults `mean=0.0`, `stddev=1.0`, `dtype=tf.float32`, `seed=None`.
    """
    target = _float_dtype(dtype)
    z = jax.random.truncated_normal(op_key(seed), -2.0, 2.0, static_shape(shape), target)
    return (z * operand(stddev) + operand(mean)).astype(target)


def uniform(
    shape: Any,
    minval: TensorLike = 0,
    maxval: TensorLike | None = None,
    dtype: Any = float32,
    seed: int | None = None,
    name: str | None = None,
) -> jax.Array:
    """Samples uniformly from `[minval, maxval)`.

    Args:
        shape: the output shape.
        minval: the lower bound (included). Default 0.
        maxval: the upper bound (excluded). Default None: 1 for floats; required for integers.
        dtype: a float or integer dtype. Default `tf.float32`.
        seed: an optional op seed. Default None.
        name: ignored. Default None.

    Raises:
        ValueError: for an integer dtype without `maxval`.
    """
    target = as_jax_dtype(dtype)
    dims = static_shape(shape)
    if jnp.issubdtype(target, jnp.integer):
        if maxval is None:
            raise ValueError(f"maxval must be given for an integer dtype. Received: dtype={dtype!r}, maxval=None")
        return jax.random.randint(op_key(seed), dims, operand(minval), operand(maxval), target)
    if not jnp.issubdtype(target, jnp.floating):
        raise TypeError(f"dtype must be a float or integer dtype. Received: dtype={dtype!r}")
    high = 1.0 if maxval is None else operand(maxval)
    return jax.random.uniform(op_key(seed), dims, target, operand(minval), high)


def categorical(
    logits: TensorLike, num_samples: int, dtype: Any = None, seed: int | None = None, name: str | None = None
) -> jax.Array:
    """Draws `num_samples` class ids per row of `logits` (`[batch, classes]`, unnormalized log-probabilities).

    Returns:
        An integer array `[batch, num_samples]` of dtype `dtype` (default None: `tf.int64`).
    """
    x = to_array(logits, argument="logits")
    if x.ndim != 2:
        raise ValueError(f"logits must have shape [batch, classes]. Received: logits of shape {x.shape}")
    n = static_int(num_samples, "num_samples")
    draws = jax.random.categorical(op_key(seed), x, axis=-1, shape=(n, x.shape[0]))
    return draws.T.astype(as_jax_dtype(int64 if dtype is None else dtype))


def shuffle(value: TensorLike, seed: int | None = None, name: str | None = None) -> jax.Array:
    """`value` with its first axis in a random order."""
    return jax.random.permutation(op_key(seed), to_array(value, argument="value"), axis=0)


__getattr__ = unsupported_getattr("random")

__all__ = ["categorical", "normal", "set_seed", "shuffle", "truncated_normal", "uniform"]
