"""TensorFlow's dtype names as NumPy dtypes, and the lookup behind `tf.as_dtype` and every `dtype=`.

`tf.float32` is `numpy.dtype("float32")`, so it is accepted wherever jeras, JAX or NumPy take a
dtype (`Dense(..., dtype=tf.float32)`, `x.astype(tf.int32)`), compares equal to an array's
`dtype`, and has `.name` (`"float32"`). JAX computes 64-bit types in 32 bits unless
`jax_enable_x64` is on (`as_jax_dtype`). There is no `tf.string`: JAX arrays hold numbers only.
See docs/architecture.md, "The tf namespace".
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

DType = np.dtype

bfloat16 = np.dtype(jax.numpy.bfloat16)
float16 = np.dtype("float16")
float32 = np.dtype("float32")
float64 = np.dtype("float64")
half = float16
double = float64
int8 = np.dtype("int8")
int16 = np.dtype("int16")
int32 = np.dtype("int32")
int64 = np.dtype("int64")
uint8 = np.dtype("uint8")
uint16 = np.dtype("uint16")
uint32 = np.dtype("uint32")
uint64 = np.dtype("uint64")
bool = np.dtype("bool")  # TensorFlow's name; this module uses no builtin bool
complex64 = np.dtype("complex64")
complex128 = np.dtype("complex128")

_BY_NAME = {
    d.name: d
    for d in (
        bfloat16,
        float16,
        float32,
        float64,
        int8,
        int16,
        int32,
        int64,
        uint8,
        uint16,
        uint32,
        uint64,
        bool,
        complex64,
        complex128,
    )
}
_BY_NAME.update(half=float16, double=float64)


def as_dtype(type_value: Any) -> np.dtype:
    """Returns the dtype that `type_value` names (a tf dtype, a NumPy dtype or type, or a name).

    Raises:
        TypeError: for anything that is not one of the numeric dtypes above.
    """
    if isinstance(type_value, str) and type_value in _BY_NAME:
        return _BY_NAME[type_value]
    try:
        dtype = np.dtype(type_value) if type_value is not None else None
    except TypeError:
        dtype = None
    if dtype is None or dtype.name not in _BY_NAME:
        hint = " jeras.tf has no string tensors." if str(type_value) in ("string", "str", "<class 'str'>") else ""
        raise TypeError(
            f"Unknown dtype: expected a tf dtype (tf.float32, tf.int32, ...), a NumPy dtype or one of "
            f"{sorted(_BY_NAME)}.{hint} Received: dtype={type_value!r}"
        )
    return dtype


def as_jax_dtype(type_value: Any, *, argument: str = "dtype") -> np.dtype:
    """The dtype JAX computes `type_value` in (64-bit types are 32-bit unless `jax_enable_x64` is on)."""
    try:
        dtype = as_dtype(type_value)
    except TypeError as err:
        raise TypeError(str(err).replace("Received: dtype=", f"Received: {argument}=")) from err
    return np.dtype(jax.dtypes.canonicalize_dtype(dtype))
