"""`tf.dtypes`: the dtype names (NumPy dtypes, see `jeras.tf._dtypes`), `as_dtype` and `cast`.

See docs/architecture.md, "The tf namespace".
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from jeras.tf._convert import TensorLike, to_array
from jeras.tf._dtypes import (
    DType,
    as_dtype,
    as_jax_dtype,
    bfloat16,
    bool,
    complex64,
    complex128,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
)
from jeras.tf._unsupported import unsupported_getattr


def cast(x: TensorLike, dtype: Any, name: str | None = None) -> jax.Array:
    """Casts `x` to `dtype`; floats become integers by truncation toward zero, as in TensorFlow.

    Args:
        x: an array, number or nested list.
        dtype: the target dtype (`tf.int32`, `"float32"`, `np.float16`, ...).
        name: ignored (there is no graph to name). Default None.

    Returns:
        A JAX array of dtype `dtype`; complex values cast to a real type keep their real part.

    Raises:
        TypeError: for an unknown dtype.

    Example:
        >>> tf.cast([1.7, -1.7], tf.int32)
        Array([ 1, -1], dtype=int32)
    """
    target = as_jax_dtype(dtype)
    value = to_array(x)
    if jnp.iscomplexobj(value) and not jnp.issubdtype(target, jnp.complexfloating):
        value = value.real
    return value.astype(target)


__getattr__ = unsupported_getattr("dtypes")

__all__ = [
    "DType",
    "as_dtype",
    "bfloat16",
    "bool",
    "cast",
    "complex64",
    "complex128",
    "double",
    "float16",
    "float32",
    "float64",
    "half",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
]
