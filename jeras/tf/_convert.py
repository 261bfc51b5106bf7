"""Argument conversion shared by the `tf` functions: values to arrays, shapes and axes to ints.

Values may be JAX arrays (concrete or traced), NumPy arrays, Python numbers, nested lists, or
layer weights (`self.kernel` in a custom layer's `call` reads the step's value).
Python floats become float32 and Python ints int32, as TensorFlow converts them; NumPy arrays
keep their dtype. Shapes and axes must be known while a program is traced (they are in JAX),
so they are turned into Python ints here, with an error naming the argument otherwise.
See docs/architecture.md, "The tf namespace".
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras.backend import Variable
from jeras.tf._dtypes import as_jax_dtype

TensorLike = Any  # a JAX or NumPy array, a Python number, or a nested list of them


def to_array(value: TensorLike, dtype: Any = None, *, argument: str = "x") -> jax.Array:
    """Returns `value` as a JAX array, cast to `dtype` when given; a layer weight gives its current value."""
    target = None if dtype is None else as_jax_dtype(dtype, argument="dtype")
    if isinstance(value, Variable):
        value = value.value  # inside a training step, the traced value bound by the step
    if isinstance(value, jax.Array):
        return value if target is None or value.dtype == target else value.astype(target)
    if isinstance(value, (np.ndarray, np.generic)):
        return jnp.asarray(value, dtype=target if target is not None else as_jax_dtype(value.dtype))
    if isinstance(value, (list, tuple)) and any(
        isinstance(item, (jax.Array, Variable)) for item in jax.tree.leaves(value)
    ):
        return jnp.asarray(jnp.stack([to_array(item) for item in value]), dtype=target)
    try:
        host = np.asarray(value)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{argument} must be an array, a number or a nested list of numbers. Received: {argument}={value!r}"
        ) from err
    if host.dtype == object or host.dtype.kind in "USV":
        raise TypeError(
            f"{argument} must hold numbers (jeras.tf has no string tensors). Received: {argument}={value!r}"
        )
    if target is None:
        target = _python_default(host.dtype)
    return jnp.asarray(host, dtype=target)


def _python_default(dtype: np.dtype) -> np.dtype:
    """TensorFlow's dtype for converted Python values: float32 for floats, int32 for ints."""
    if dtype == np.float64:
        return np.dtype("float32")
    if dtype == np.int64:
        return as_jax_dtype("int32")
    return as_jax_dtype(dtype)


def static_int(value: Any, argument: str) -> int:
    """An integer argument that must be known when the program is traced."""
    is_array = isinstance(value, (np.ndarray, jax.Array))
    if isinstance(value, bool) or (is_array and (value.ndim or not jnp.issubdtype(value.dtype, jnp.integer))):
        raise TypeError(f"{argument} must be an integer. Received: {argument}={value!r}")
    try:
        return int(value) if is_array else operator.index(value)
    except jax.errors.ConcretizationTypeError as err:
        raise TypeError(
            f"{argument} must be known when the program is traced; use a Python int or x.shape. "
            f"Received: {argument}={value!r}"
        ) from err
    except TypeError as err:
        raise TypeError(f"{argument} must be an integer. Received: {argument}={value!r}") from err


def static_shape(shape: Any, argument: str = "shape") -> tuple[int, ...]:
    """A shape given as an int, a list/tuple of ints, or a 1-D integer array, as a tuple of ints."""
    if isinstance(shape, (np.ndarray, jax.Array)):
        if shape.ndim > 1 or not jnp.issubdtype(shape.dtype, jnp.integer):
            raise TypeError(f"{argument} must be a 1-D integer array or a list of ints. Received: {argument}={shape!r}")
        shape = list(shape) if shape.ndim == 1 else [shape]
    if not isinstance(shape, Sequence) or isinstance(shape, str):
        shape = [shape]
    return tuple(static_int(d, argument) for d in shape)


def static_axis(axis: Any, argument: str = "axis") -> int | tuple[int, ...] | None:
    """An axis argument: None, an int, or a list of ints (tuple)."""
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)) or (isinstance(axis, (np.ndarray, jax.Array)) and np.ndim(axis) == 1):
        return tuple(static_int(a, argument) for a in axis)
    return static_int(axis, argument)


def operand(value: TensorLike) -> jax.Array | int | float | complex:
    """A binary operand: Python numbers stay Python numbers, so they take the other operand's
    dtype (`x_float16 * 2.0` stays float16, as TensorFlow converts scalars); the rest become arrays."""
    if isinstance(value, (int, float, complex)) and not isinstance(value, np.generic):
        return value
    return to_array(value)
