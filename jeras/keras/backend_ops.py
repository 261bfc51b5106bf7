"""The tensor functions of tf.keras 2.x's `keras.backend` (`K.mean`, `K.square`, `K.clip`, ...), over jax.numpy.

Older tutorials write custom losses and metrics with them (`import keras.backend as K`;
`K.sum(K.round(K.clip(y_true * y_pred, 0, 1)))`). Each keeps tf.keras 2.x's signature and
defaults, which differ from TensorFlow's own functions in places: `K.argmax` reduces the last
axis, `K.sqrt` clips negative inputs to 0, `K.clip` raises a `max_value` below `min_value` to it,
`K.constant`, `K.ones`, `K.zeros` and `K.eye` default to `floatx()`, and `K.round` rounds half to
even. They work eagerly and inside the compiled training step, and return JAX arrays. `K.sigmoid`
and `K.softmax` are the activations, so a crossentropy of their output uses their logits
(docs/architecture.md, "tf.keras 2.x behaviours"). Shapes and axes must be static, as in any
JAX program: `K.shape(x)` is a NumPy int32 array.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jeras import activations, losses
from jeras.backend import Variable, floatx

Axis = int | Sequence[int] | None


def _array(x: Any) -> jax.Array:
    # A layer weight reads its value (the step's value inside a training step).
    return x.value if isinstance(x, Variable) else jnp.asarray(x)


def _axis(axis: Axis) -> int | tuple[int, ...] | None:
    if axis is None or isinstance(axis, (int, np.integer)):
        return axis
    return tuple(int(a) for a in axis)


def _float_dtype(dtype: Any) -> Any:
    return floatx() if dtype is None else dtype


# ---------------------------------------------------------------------------- reductions
def sum(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> jax.Array:  # noqa: A001
    """Sum over `axis` (all axes when None)."""
    return jnp.sum(_array(x), axis=_axis(axis), keepdims=keepdims)


def mean(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> jax.Array:
    """Mean over `axis`; booleans count as 0/1, integers divide as integers (truncated, as in TensorFlow)."""
    x = _array(x)
    if x.dtype == jnp.bool_:
        x = x.astype(floatx())
    if jnp.issubdtype(x.dtype, jnp.integer):
        total = jnp.sum(x, axis=_axis(axis), keepdims=keepdims, dtype=x.dtype)
        count = builtins.max(x.size // builtins.max(total.size, 1), 1)
        return jax.lax.div(total, jnp.asarray(count, x.dtype))
    return jnp.mean(x, axis=_axis(axis), keepdims=keepdims)


def max(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> jax.Array:  # noqa: A001
    """Maximum over `axis`."""
    return jnp.max(_array(x), axis=_axis(axis), keepdims=keepdims)


def min(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> jax.Array:  # noqa: A001
    """Minimum over `axis`."""
    return jnp.min(_array(x), axis=_axis(axis), keepdims=keepdims)


def prod(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> jax.Array:
    """Product over `axis`."""
    return jnp.prod(_array(x), axis=_axis(axis), keepdims=keepdims)


def var(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> jax.Array:
    """Population variance over `axis` (divided by n)."""
    return jnp.var(_array(x), axis=_axis(axis), keepdims=keepdims)


def std(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> jax.Array:
    """Population standard deviation over `axis`."""
    return jnp.std(_array(x), axis=_axis(axis), keepdims=keepdims)


def any(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> jax.Array:  # noqa: A001
    """Logical or over `axis`."""
    return jnp.any(_array(x).astype(bool), axis=_axis(axis), keepdims=keepdims)


def all(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> jax.Array:  # noqa: A001
    """Logical and over `axis`."""
    return jnp.all(_array(x).astype(bool), axis=_axis(axis), keepdims=keepdims)


def argmax(x: ArrayLike, axis: int = -1) -> jax.Array:
    """Index of the maximum along `axis` (the last axis by default, unlike `tf.argmax`), as int64/int32."""
    return jnp.argmax(_array(x), axis=axis)


def argmin(x: ArrayLike, axis: int = -1) -> jax.Array:
    """Index of the minimum along `axis` (the last axis by default)."""
    return jnp.argmin(_array(x), axis=axis)


def cumsum(x: ArrayLike, axis: int = 0) -> jax.Array:
    """Cumulative sum along `axis` (the first by default)."""
    return jnp.cumsum(_array(x), axis=axis)


def cumprod(x: ArrayLike, axis: int = 0) -> jax.Array:
    """Cumulative product along `axis` (the first by default)."""
    return jnp.cumprod(_array(x), axis=axis)


# ---------------------------------------------------------------------------- element-wise
def abs(x: ArrayLike) -> jax.Array:  # noqa: A001
    """Absolute value."""
    return jnp.abs(_array(x))


def square(x: ArrayLike) -> jax.Array:
    """`x ** 2`."""
    return jnp.square(_array(x))


def sqrt(x: ArrayLike) -> jax.Array:
    """Square root of `max(x, 0)`: tf.keras 2.x clips negative inputs to 0 (no NaN)."""
    x = _array(x)
    return jnp.sqrt(jnp.maximum(x, jnp.zeros((), x.dtype)))


def exp(x: ArrayLike) -> jax.Array:
    """`e ** x`."""
    return jnp.exp(_array(x))


def log(x: ArrayLike) -> jax.Array:
    """Natural logarithm."""
    return jnp.log(_array(x))


def pow(x: ArrayLike, a: ArrayLike) -> jax.Array:  # noqa: A001
    """`x ** a`; a Python number `a` keeps the dtype of `x`."""
    x = _array(x)
    return jnp.power(x, jnp.asarray(a, x.dtype) if isinstance(a, (int, float)) else _array(a))


def sign(x: ArrayLike) -> jax.Array:
    """-1, 0 or 1 by the sign of each element."""
    return jnp.sign(_array(x))


def round(x: ArrayLike) -> jax.Array:  # noqa: A001
    """Rounds to the nearest integer, halves to even (`K.round(2.5) == 2`), as TensorFlow does."""
    return jnp.round(_array(x))


def sin(x: ArrayLike) -> jax.Array:
    """Sine."""
    return jnp.sin(_array(x))


def cos(x: ArrayLike) -> jax.Array:
    """Cosine."""
    return jnp.cos(_array(x))


def clip(x: ArrayLike, min_value: float | None, max_value: float | None) -> jax.Array:
    """Clips to `[min_value, max_value]`; None is no bound, and a `max_value` below `min_value` becomes it."""
    x = _array(x)
    if isinstance(min_value, (int, float)) and isinstance(max_value, (int, float)) and max_value < min_value:
        max_value = min_value
    low = -jnp.inf if min_value is None else min_value
    high = jnp.inf if max_value is None else max_value
    return jnp.clip(x, jnp.asarray(low, x.dtype), jnp.asarray(high, x.dtype))


def maximum(x: ArrayLike, y: ArrayLike) -> jax.Array:
    """Element-wise maximum."""
    return jnp.maximum(_array(x), _array(y))


def minimum(x: ArrayLike, y: ArrayLike) -> jax.Array:
    """Element-wise minimum."""
    return jnp.minimum(_array(x), _array(y))


def equal(x: ArrayLike, y: ArrayLike) -> jax.Array:
    """Element-wise `x == y`."""
    return jnp.equal(_array(x), _array(y))


def not_equal(x: ArrayLike, y: ArrayLike) -> jax.Array:
    """Element-wise `x != y`."""
    return jnp.not_equal(_array(x), _array(y))


def greater(x: ArrayLike, y: ArrayLike) -> jax.Array:
    """Element-wise `x > y`."""
    return jnp.greater(_array(x), _array(y))


def greater_equal(x: ArrayLike, y: ArrayLike) -> jax.Array:
    """Element-wise `x >= y`."""
    return jnp.greater_equal(_array(x), _array(y))


def less(x: ArrayLike, y: ArrayLike) -> jax.Array:
    """Element-wise `x < y`."""
    return jnp.less(_array(x), _array(y))


def less_equal(x: ArrayLike, y: ArrayLike) -> jax.Array:
    """Element-wise `x <= y`."""
    return jnp.less_equal(_array(x), _array(y))


def switch(condition: ArrayLike, then_expression: Any, else_expression: Any) -> jax.Array:
    """`then_expression` where `condition` holds, else `else_expression` (callables are called first)."""
    then_value = then_expression() if callable(then_expression) else then_expression
    else_value = else_expression() if callable(else_expression) else else_expression
    condition = _array(condition)
    then_value = _array(then_value)
    while condition.ndim < then_value.ndim:
        condition = condition[..., None]
    return jnp.where(condition, then_value, _array(else_value))


def l2_normalize(x: ArrayLike, axis: Axis = None) -> jax.Array:
    """`x / sqrt(max(sum(x ** 2, axis), 1e-12))`."""
    x = _array(x)
    squares = jnp.sum(jnp.square(x), axis=_axis(axis), keepdims=True)
    return x * jax.lax.rsqrt(jnp.maximum(squares, jnp.asarray(1e-12, x.dtype)))


def stop_gradient(variables: Any) -> Any:
    """The values with no gradient flowing back (a list is mapped element by element)."""
    if isinstance(variables, (list, tuple)):
        return [jax.lax.stop_gradient(_array(v)) for v in variables]
    return jax.lax.stop_gradient(_array(variables))


# ---------------------------------------------------------------------------- activations
def relu(x: ArrayLike, alpha: float = 0.0, max_value: float | None = None, threshold: float = 0.0) -> jax.Array:
    """Rectified linear unit; see `keras.activations.relu`."""
    return activations.relu(_array(x), alpha=alpha, max_value=max_value, threshold=threshold)


def elu(x: ArrayLike, alpha: float = 1.0) -> jax.Array:
    """Exponential linear unit: `x` for `x > 0`, else `alpha * (exp(x) - 1)`."""
    return jax.nn.elu(_array(x), alpha)


def sigmoid(x: ArrayLike) -> jax.Array:
    """Logistic sigmoid; its output keeps its logits for the crossentropies (`keras.activations.sigmoid`)."""
    return activations.sigmoid(_array(x))


def hard_sigmoid(x: ArrayLike) -> jax.Array:
    """tf.keras 2.x's piecewise-linear sigmoid `clip(0.2 * x + 0.5, 0, 1)`."""
    x = _array(x)
    return jnp.clip(0.2 * x + 0.5, 0.0, 1.0).astype(x.dtype)


def softmax(x: ArrayLike, axis: int = -1) -> jax.Array:
    """Softmax along `axis`; its output keeps its logits for the crossentropies."""
    return activations.softmax(_array(x), axis=axis)


def softplus(x: ArrayLike) -> jax.Array:
    """`log(1 + exp(x))`."""
    return jax.nn.softplus(_array(x))


def softsign(x: ArrayLike) -> jax.Array:
    """`x / (1 + |x|)`."""
    return jax.nn.soft_sign(_array(x))


def tanh(x: ArrayLike) -> jax.Array:
    """Hyperbolic tangent."""
    return jnp.tanh(_array(x))


# ---------------------------------------------------------------------------- crossentropies
def binary_crossentropy(target: ArrayLike, output: ArrayLike, from_logits: bool = False) -> jax.Array:
    """The crossentropy of each element (not averaged, unlike `keras.losses.binary_crossentropy`)."""
    return losses.elementwise_binary_crossentropy(target, output, from_logits=from_logits)


def binary_focal_crossentropy(
    target: ArrayLike,
    output: ArrayLike,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
) -> jax.Array:
    """The focal crossentropy of each element; see `keras.losses.binary_focal_crossentropy`."""
    # `axis=()` averages over no axis: every element's value is kept.
    return losses.binary_focal_crossentropy(
        target, output, apply_class_balancing, alpha, gamma, from_logits=from_logits, axis=()
    )


def categorical_focal_crossentropy(
    target: ArrayLike,
    output: ArrayLike,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    axis: int = -1,
) -> jax.Array:
    """Per-sample focal crossentropy of one-hot targets; see `keras.losses.categorical_focal_crossentropy`."""
    return losses.categorical_focal_crossentropy(target, output, alpha, gamma, from_logits=from_logits, axis=axis)


def categorical_crossentropy(
    target: ArrayLike, output: ArrayLike, from_logits: bool = False, axis: int = -1
) -> jax.Array:
    """Per-sample crossentropy of one-hot targets; see `keras.losses.categorical_crossentropy`."""
    return losses.categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(
    target: ArrayLike, output: ArrayLike, from_logits: bool = False, axis: int = -1
) -> jax.Array:
    """Per-sample crossentropy of integer labels; see `keras.losses.sparse_categorical_crossentropy`."""
    return losses.sparse_categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


# ---------------------------------------------------------------------------- creation and casting
def constant(value: Any, dtype: Any = None, shape: Sequence[int] | None = None, name: str | None = None) -> jax.Array:
    """An array of `value` in `dtype` (default `floatx()`), broadcast to `shape` if given; `name` is ignored."""
    array = jnp.asarray(value, _float_dtype(dtype))
    return array if shape is None else jnp.broadcast_to(array, tuple(shape))


def cast(x: ArrayLike, dtype: Any) -> jax.Array:
    """`x` converted to `dtype`."""
    return _array(x).astype(dtype)


def cast_to_floatx(x: Any) -> np.ndarray:
    """`x` as a NumPy array of `floatx()` (tf.keras 2.x returns NumPy here)."""
    return np.asarray(x, dtype=floatx())


def zeros(shape: Sequence[int], dtype: Any = None, name: str | None = None) -> jax.Array:
    """Zeros of `shape` in `dtype` (default `floatx()`)."""
    return jnp.zeros(tuple(shape), _float_dtype(dtype))


def ones(shape: Sequence[int], dtype: Any = None, name: str | None = None) -> jax.Array:
    """Ones of `shape` in `dtype` (default `floatx()`)."""
    return jnp.ones(tuple(shape), _float_dtype(dtype))


def eye(size: int | Sequence[int], dtype: Any = None, name: str | None = None) -> jax.Array:
    """The identity matrix of `size` (n or (n, m)) in `dtype` (default `floatx()`)."""
    rows, cols = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
    return jnp.eye(rows, cols, dtype=_float_dtype(dtype))


def zeros_like(x: ArrayLike, dtype: Any = None, name: str | None = None) -> jax.Array:
    """Zeros of the shape of `x`, in `dtype` (default the dtype of `x`)."""
    return jnp.zeros_like(_array(x), dtype=dtype)


def ones_like(x: ArrayLike, dtype: Any = None, name: str | None = None) -> jax.Array:
    """Ones of the shape of `x`, in `dtype` (default the dtype of `x`)."""
    return jnp.ones_like(_array(x), dtype=dtype)


def arange(start: int, stop: int | None = None, step: int = 1, dtype: Any = "int32") -> jax.Array:
    """`start, start + step, ...` below `stop` (`arange(n)` counts from 0), in `dtype` (default int32)."""
    return jnp.arange(start, stop, step, dtype=dtype)


def one_hot(indices: ArrayLike, num_classes: int) -> jax.Array:
    """One-hot rows of `floatx()` for integer `indices` (a new last axis); out-of-range ids give zero rows."""
    return jax.nn.one_hot(_array(indices), num_classes, dtype=floatx())


# ---------------------------------------------------------------------------- shapes
def shape(x: ArrayLike) -> np.ndarray:
    """The shape of `x` as an int32 array; static, so it stays a valid shape inside compiled code."""
    return np.asarray(np.shape(_array(x)), np.int32)


def int_shape(x: ArrayLike) -> tuple[int, ...]:
    """The shape of `x` as a tuple of ints."""
    return tuple(np.shape(_array(x)))


def ndim(x: ArrayLike) -> int:
    """The number of axes of `x`."""
    return len(np.shape(_array(x)))


def dtype(x: ArrayLike) -> str:
    """The dtype name of `x` (`"float32"`)."""
    return str(_array(x).dtype)


def count_params(x: ArrayLike) -> int:
    """The number of elements of a weight."""
    return int(np.prod(np.shape(_array(x)), dtype=np.int64))


def reshape(x: ArrayLike, shape: Sequence[int]) -> jax.Array:
    """`x` with a new `shape` (one entry may be -1)."""
    return jnp.reshape(_array(x), tuple(int(s) for s in np.asarray(shape).ravel()))


def flatten(x: ArrayLike) -> jax.Array:
    """`x` as one axis."""
    return jnp.ravel(_array(x))


def batch_flatten(x: ArrayLike) -> jax.Array:
    """`x` as `(batch, everything else)`."""
    x = _array(x)
    return jnp.reshape(x, (x.shape[0], -1))


def expand_dims(x: ArrayLike, axis: int = -1) -> jax.Array:
    """`x` with a new axis of length 1 at `axis` (the end by default)."""
    return jnp.expand_dims(_array(x), axis)


def squeeze(x: ArrayLike, axis: int) -> jax.Array:
    """`x` without its axis `axis` of length 1."""
    return jnp.squeeze(_array(x), axis)


def concatenate(tensors: Sequence[ArrayLike], axis: int = -1) -> jax.Array:
    """The arrays joined along `axis` (the last by default)."""
    return jnp.concatenate([_array(t) for t in tensors], axis=axis)


def stack(x: Sequence[ArrayLike], axis: int = 0) -> jax.Array:
    """The arrays stacked along a new axis `axis`."""
    return jnp.stack([_array(t) for t in x], axis=axis)


def transpose(x: ArrayLike) -> jax.Array:
    """`x` with its axes reversed."""
    return jnp.transpose(_array(x))


def permute_dimensions(x: ArrayLike, pattern: Sequence[int]) -> jax.Array:
    """`x` with its axes in the order `pattern`."""
    return jnp.transpose(_array(x), tuple(pattern))


def tile(x: ArrayLike, n: int | Sequence[int]) -> jax.Array:
    """`x` repeated `n` times along each axis."""
    return jnp.tile(_array(x), n)


def repeat_elements(x: ArrayLike, rep: int, axis: int) -> jax.Array:
    """Each slice of `x` along `axis` repeated `rep` times (`[1, 2] -> [1, 1, 2, 2]`)."""
    return jnp.repeat(_array(x), rep, axis=axis)


def reverse(x: ArrayLike, axes: int | Sequence[int]) -> jax.Array:
    """`x` reversed along `axes`."""
    return jnp.flip(_array(x), _axis(axes))


def gather(reference: ArrayLike, indices: ArrayLike) -> jax.Array:
    """The rows of `reference` at `indices` (along the first axis)."""
    return jnp.take(_array(reference), _array(indices), axis=0)


def dot(x: ArrayLike, y: ArrayLike) -> jax.Array:
    """Matrix product; for higher ranks the last axis of `x` with the second-to-last of `y` (tf.keras 2.x)."""
    x, y = _array(x), _array(y)
    if x.ndim <= 2 and y.ndim <= 2:
        return jnp.matmul(x, y)
    return jnp.tensordot(x, y, axes=[[x.ndim - 1], [builtins.max(y.ndim - 2, 0)]])


__all__ = [
    "abs",
    "all",
    "any",
    "arange",
    "argmax",
    "argmin",
    "batch_flatten",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "cast",
    "cast_to_floatx",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "clip",
    "concatenate",
    "constant",
    "cos",
    "count_params",
    "cumprod",
    "cumsum",
    "dot",
    "dtype",
    "elu",
    "equal",
    "exp",
    "expand_dims",
    "eye",
    "flatten",
    "gather",
    "greater",
    "greater_equal",
    "hard_sigmoid",
    "int_shape",
    "l2_normalize",
    "less",
    "less_equal",
    "log",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "ndim",
    "not_equal",
    "one_hot",
    "ones",
    "ones_like",
    "permute_dimensions",
    "pow",
    "prod",
    "relu",
    "repeat_elements",
    "reshape",
    "reverse",
    "round",
    "shape",
    "sigmoid",
    "sign",
    "sin",
    "softmax",
    "softplus",
    "softsign",
    "sparse_categorical_crossentropy",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "stop_gradient",
    "sum",
    "switch",
    "tanh",
    "tile",
    "transpose",
    "var",
    "zeros",
    "zeros_like",
]
