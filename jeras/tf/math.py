"""`tf.math`: element-wise math, comparisons, reductions and scans over jax.numpy.

Semantics follow TensorFlow 2.x: reductions take `axis=None` (all axes) and `keepdims=False`,
`reduce_mean` of integers divides as integers, `argmax(axis=None)` reduces axis 0, `cumsum`
has `exclusive` and `reverse`. Python numbers take the dtype of the other operand. Every
function works on NumPy and JAX arrays and inside `jax.jit` (custom losses, metrics and
activations run inside jeras' compiled step). `name` arguments are accepted and ignored:
there is no graph to name. See docs/architecture.md, "The tf namespace".
"""

from __future__ import annotations

import builtins
import math as _pymath
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp

from jeras.tf._convert import TensorLike, operand, static_axis, static_int, to_array
from jeras.tf._dtypes import as_jax_dtype, int32, int64
from jeras.tf._unsupported import unsupported_getattr


def _unary(fn: Callable[[jax.Array], jax.Array], name: str, summary: str) -> Callable[..., jax.Array]:
    def op(x: TensorLike, name: str | None = None) -> jax.Array:
        return fn(to_array(x))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"{summary}\n\nArgs:\n    x: an array, number or nested list.\n    name: ignored. Default None.\n"
    return op


def _binary(
    fn: Callable[[Any, Any], jax.Array], name: str, summary: str, args: str = "x, y"
) -> Callable[..., jax.Array]:
    first, second = args.split(", ")

    def op(x: TensorLike, y: TensorLike, name: str | None = None) -> jax.Array:
        return jnp.asarray(fn(operand(x), operand(y)))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"{summary}\n\nArgs:\n    {first}, {second}: arrays or numbers, broadcast together.\n    name: ignored. Default None.\n"
    return op


abs = _unary(jnp.abs, "abs", "Absolute value, element-wise.")
negative = _unary(jnp.negative, "negative", "Negation, element-wise.")
sign = _unary(jnp.sign, "sign", "Sign (-1, 0 or 1), element-wise.")
square = _unary(jnp.square, "square", "Square, element-wise.")
sqrt = _unary(jnp.sqrt, "sqrt", "Square root, element-wise.")
rsqrt = _unary(jax.lax.rsqrt, "rsqrt", "Reciprocal square root `1 / sqrt(x)`, element-wise.")
reciprocal = _unary(jnp.reciprocal, "reciprocal", "Reciprocal `1 / x`, element-wise.")
exp = _unary(jnp.exp, "exp", "Exponential, element-wise.")
expm1 = _unary(jnp.expm1, "expm1", "`exp(x) - 1`, accurate near 0, element-wise.")
log = _unary(jnp.log, "log", "Natural logarithm, element-wise.")
log1p = _unary(jnp.log1p, "log1p", "`log(1 + x)`, accurate near 0, element-wise.")
sin = _unary(jnp.sin, "sin", "Sine, element-wise.")
cos = _unary(jnp.cos, "cos", "Cosine, element-wise.")
tan = _unary(jnp.tan, "tan", "Tangent, element-wise.")
asin = _unary(jnp.arcsin, "asin", "Inverse sine, element-wise.")
acos = _unary(jnp.arccos, "acos", "Inverse cosine, element-wise.")
atan = _unary(jnp.arctan, "atan", "Inverse tangent, element-wise.")
sinh = _unary(jnp.sinh, "sinh", "Hyperbolic sine, element-wise.")
cosh = _unary(jnp.cosh, "cosh", "Hyperbolic cosine, element-wise.")
tanh = _unary(jnp.tanh, "tanh", "Hyperbolic tangent, element-wise.")
asinh = _unary(jnp.arcsinh, "asinh", "Inverse hyperbolic sine, element-wise.")
acosh = _unary(jnp.arccosh, "acosh", "Inverse hyperbolic cosine, element-wise.")
atanh = _unary(jnp.arctanh, "atanh", "Inverse hyperbolic tangent, element-wise.")
floor = _unary(jnp.floor, "floor", "Largest integer not above x, element-wise.")
ceil = _unary(jnp.ceil, "ceil", "Smallest integer not below x, element-wise.")
round = _unary(jnp.round, "round", "Rounds half to even (banker's rounding, as TensorFlow), element-wise.")
sigmoid = _unary(jax.nn.sigmoid, "sigmoid", "Logistic sigmoid `1 / (1 + exp(-x))`, element-wise.")
log_sigmoid = _unary(jax.nn.log_sigmoid, "log_sigmoid", "`log(sigmoid(x))`, computed stably, element-wise.")
softplus = _unary(jax.nn.softplus, "softplus", "`log(1 + exp(x))`, computed stably, element-wise.")
erf = _unary(jsp.erf, "erf", "Gauss error function, element-wise.")
erfc = _unary(jsp.erfc, "erfc", "Complementary error function `1 - erf(x)`, element-wise.")
lgamma = _unary(jsp.gammaln, "lgamma", "Log of the absolute value of the gamma function, element-wise.")
digamma = _unary(jsp.digamma, "digamma", "Derivative of `lgamma`, element-wise.")
is_nan = _unary(jnp.isnan, "is_nan", "Whether each element is NaN (bool).")
is_inf = _unary(jnp.isinf, "is_inf", "Whether each element is +/-inf (bool).")
is_finite = _unary(jnp.isfinite, "is_finite", "Whether each element is finite (bool).")
logical_not = _unary(jnp.logical_not, "logical_not", "Logical NOT, element-wise (bool).")
real = _unary(jnp.real, "real", "Real part, element-wise.")
imag = _unary(jnp.imag, "imag", "Imaginary part, element-wise.")
conj = _unary(jnp.conj, "conj", "Complex conjugate, element-wise.")

add = _binary(jnp.add, "add", "`x + y`, element-wise with broadcasting.")
subtract = _binary(jnp.subtract, "subtract", "`x - y`, element-wise with broadcasting.")
multiply = _binary(jnp.multiply, "multiply", "`x * y`, element-wise with broadcasting.")
divide = _binary(jnp.true_divide, "divide", "`x / y` (true division), element-wise with broadcasting.")
truediv = _binary(jnp.true_divide, "truediv", "`x / y` (true division, integers give floats), element-wise.")
realdiv = _binary(jnp.true_divide, "realdiv", "`x / y` for real numbers, element-wise.")
floordiv = _binary(jnp.floor_divide, "floordiv", "`x // y` (rounded toward -inf), element-wise.")
floormod = _binary(jnp.mod, "floormod", "Remainder of `floordiv`, with the sign of `y`, element-wise.")
mod = floormod
pow = _binary(jnp.power, "pow", "`x ** y`, element-wise with broadcasting.")
maximum = _binary(jnp.maximum, "maximum", "Larger of `x` and `y`, element-wise with broadcasting.")
minimum = _binary(jnp.minimum, "minimum", "Smaller of `x` and `y`, element-wise with broadcasting.")
squared_difference = _binary(
    lambda x, y: jnp.square(jnp.subtract(x, y)), "squared_difference", "`(x - y) ** 2`, element-wise."
)
atan2 = _binary(jnp.arctan2, "atan2", "Angle of the point (x, y): `atan(y / x)` in the right quadrant.", args="y, x")
xlogy = _binary(jsp.xlogy, "xlogy", "`x * log(y)`, 0 where x is 0, element-wise.")
divide_no_nan = _binary(
    lambda x, y: jnp.where(jnp.equal(y, 0), 0, jnp.true_divide(x, jnp.where(jnp.equal(y, 0), 1, y))).astype(
        jnp.result_type(x, y, 1.0)
    ),
    "divide_no_nan",
    "`x / y`, 0 where y is 0, element-wise.",
)
multiply_no_nan = _binary(
    lambda x, y: jnp.where(jnp.equal(y, 0), 0, jnp.multiply(x, y)).astype(jnp.result_type(x, y)),
    "multiply_no_nan",
    "`x * y`, 0 where y is 0 even if x is NaN or inf, element-wise.",
)
equal = _binary(jnp.equal, "equal", "`x == y`, element-wise (bool).")
not_equal = _binary(jnp.not_equal, "not_equal", "`x != y`, element-wise (bool).")
greater = _binary(jnp.greater, "greater", "`x > y`, element-wise (bool).")
greater_equal = _binary(jnp.greater_equal, "greater_equal", "`x >= y`, element-wise (bool).")
less = _binary(jnp.less, "less", "`x < y`, element-wise (bool).")
less_equal = _binary(jnp.less_equal, "less_equal", "`x <= y`, element-wise (bool).")
logical_and = _binary(jnp.logical_and, "logical_and", "Logical AND, element-wise (bool).")
logical_or = _binary(jnp.logical_or, "logical_or", "Logical OR, element-wise (bool).")
logical_xor = _binary(jnp.logical_xor, "logical_xor", "Logical XOR, element-wise (bool).")


def add_n(inputs: list[TensorLike], name: str | None = None) -> jax.Array:
    """Sums a list of arrays of the same shape and dtype, element-wise.

    Raises:
        ValueError: for an empty list.
    """
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise ValueError(f"inputs must be a non-empty list of arrays. Received: inputs={inputs!r}")
    arrays = [to_array(x, argument="inputs") for x in inputs]
    total = arrays[0]
    for x in arrays[1:]:
        total = total + x
    return total


def _reduce(fn: Callable[..., jax.Array], input_tensor: TensorLike, axis: Any, keepdims: bool, **kwargs) -> jax.Array:
    return fn(
        to_array(input_tensor, argument="input_tensor"),
        axis=static_axis(axis),
        keepdims=builtins.bool(keepdims),
        **kwargs,
    )


def _count(x: jax.Array, axis: int | tuple[int, ...] | None) -> int:
    axes = builtins.range(x.ndim) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    return _pymath.prod(x.shape[a] for a in axes)


def reduce_sum(
    input_tensor: TensorLike, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> jax.Array:
    """Sum over `axis` (default None: all axes); `keepdims` (default False) keeps reduced axes as size 1.

    Integer inputs keep their dtype, as in TensorFlow.
    """
    x = to_array(input_tensor, argument="input_tensor")
    dtype = x.dtype if jnp.issubdtype(x.dtype, jnp.integer) else None
    return jnp.sum(x, axis=static_axis(axis), keepdims=builtins.bool(keepdims), dtype=dtype)


def reduce_prod(
    input_tensor: TensorLike, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> jax.Array:
    """Product over `axis` (default None: all axes); `keepdims` default False."""
    x = to_array(input_tensor, argument="input_tensor")
    dtype = x.dtype if jnp.issubdtype(x.dtype, jnp.integer) else None
    return jnp.prod(x, axis=static_axis(axis), keepdims=builtins.bool(keepdims), dtype=dtype)


def reduce_mean(
    input_tensor: TensorLike, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> jax.Array:
    """Mean over `axis` (default None: all axes); `keepdims` (default False) keeps reduced axes as size 1.

    As in TensorFlow, the mean of integers is an integer (the sum divided by the count,
    truncated toward zero): `tf.reduce_mean([1, 2])` is 1. Cast to float first for 1.5.

    Example:
        >>> tf.reduce_mean([[1.0, 2.0], [3.0, 4.0]], axis=0)
        Array([2., 3.], dtype=float32)
    """
    x = to_array(input_tensor, argument="input_tensor")
    axis = static_axis(axis)
    if jnp.issubdtype(x.dtype, jnp.integer):
        total = jnp.sum(x, axis=axis, keepdims=builtins.bool(keepdims), dtype=x.dtype)
        return jax.lax.div(total, jnp.asarray(builtins.max(_count(x, axis), 1), x.dtype))
    return jnp.mean(x, axis=axis, keepdims=builtins.bool(keepdims))


def reduce_max(
    input_tensor: TensorLike, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> jax.Array:
    """Maximum over `axis` (default None: all axes); `keepdims` default False."""
    return _reduce(jnp.max, input_tensor, axis, keepdims)


def reduce_min(
    input_tensor: TensorLike, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> jax.Array:
    """Minimum over `axis` (default None: all axes); `keepdims` default False."""
    return _reduce(jnp.min, input_tensor, axis, keepdims)


def reduce_any(
    input_tensor: TensorLike, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> jax.Array:
    """Logical OR over `axis` (default None: all axes); `keepdims` default False."""
    return _reduce(jnp.any, input_tensor, axis, keepdims)


def reduce_all(
    input_tensor: TensorLike, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> jax.Array:
    """Logical AND over `axis` (default None: all axes); `keepdims` default False."""
    return _reduce(jnp.all, input_tensor, axis, keepdims)


def reduce_logsumexp(
    input_tensor: TensorLike, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> jax.Array:
    """`log(sum(exp(x)))` over `axis` (default None: all axes), computed stably; `keepdims` default False."""
    x = to_array(input_tensor, argument="input_tensor")
    return jsp.logsumexp(x, axis=static_axis(axis), keepdims=builtins.bool(keepdims))


def reduce_variance(
    input_tensor: TensorLike, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> jax.Array:
    """Population variance (divided by N) over `axis` (default None: all axes); `keepdims` default False."""
    return _reduce(jnp.var, input_tensor, axis, keepdims)


def reduce_std(
    input_tensor: TensorLike, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> jax.Array:
    """Population standard deviation over `axis` (default None: all axes); `keepdims` default False."""
    return _reduce(jnp.std, input_tensor, axis, keepdims)


def reduce_euclidean_norm(
    input_tensor: TensorLike, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> jax.Array:
    """`sqrt(sum(x ** 2))` over `axis` (default None: all axes); `keepdims` default False."""
    x = to_array(input_tensor, argument="input_tensor")
    return jnp.sqrt(jnp.sum(jnp.square(x), axis=static_axis(axis), keepdims=builtins.bool(keepdims)))


def _arg_reduce(fn, input: TensorLike, axis: Any, output_type: Any) -> jax.Array:
    x = to_array(input, argument="input")
    axis = 0 if axis is None else static_int(axis, "axis")
    target = as_jax_dtype(output_type, argument="output_type")
    if not jnp.issubdtype(target, jnp.integer):
        raise TypeError(f"output_type must be an integer dtype. Received: output_type={output_type!r}")
    return fn(x, axis=axis).astype(target)


def argmax(input: TensorLike, axis: Any = None, output_type: Any = int64, name: str | None = None) -> jax.Array:
    """Index of the largest value along `axis`; `axis=None` (the default) means axis 0, as in TensorFlow.

    Args:
        input: an array.
        axis: the axis to reduce. Default None (axis 0).
        output_type: the integer dtype of the result. Default `tf.int64` (int32 values unless
            `jax_enable_x64` is on).
        name: ignored. Default None.
    """
    return _arg_reduce(jnp.argmax, input, axis, output_type)


def argmin(input: TensorLike, axis: Any = None, output_type: Any = int64, name: str | None = None) -> jax.Array:
    """Index of the smallest value along `axis` (default None: axis 0); `output_type` default `tf.int64`."""
    return _arg_reduce(jnp.argmin, input, axis, output_type)


def _scan(fn, x: TensorLike, axis: Any, exclusive: bool, reverse: bool, identity: int) -> jax.Array:
    x = to_array(x)
    axis = static_int(axis, "axis")
    if reverse:
        x = jnp.flip(x, axis)
    out = fn(x, axis=axis, dtype=x.dtype)
    if exclusive:
        first = jnp.full_like(jax.lax.slice_in_dim(out, 0, 1, axis=axis), identity)
        out = jnp.concatenate([first, jax.lax.slice_in_dim(out, 0, out.shape[axis] - 1, axis=axis)], axis=axis)
    return jnp.flip(out, axis) if reverse else out


def cumsum(
    x: TensorLike, axis: int = 0, exclusive: bool = False, reverse: bool = False, name: str | None = None
) -> jax.Array:
    """Cumulative sum along `axis` (default 0).

    Args:
        x: an array.
        axis: the axis to scan. Default 0.
        exclusive: each output leaves out its own element (the first output is 0). Default False.
        reverse: scan from the end. Default False.
        name: ignored. Default None.
    """
    return _scan(jnp.cumsum, x, axis, exclusive, reverse, 0)


def cumprod(
    x: TensorLike, axis: int = 0, exclusive: bool = False, reverse: bool = False, name: str | None = None
) -> jax.Array:
    """Cumulative product along `axis` (default 0); `exclusive` and `reverse` (default False) as in `cumsum`."""
    return _scan(jnp.cumprod, x, axis, exclusive, reverse, 1)


def count_nonzero(
    input: TensorLike, axis: Any = None, keepdims: bool | None = None, dtype: Any = int64, name: str | None = None
) -> jax.Array:
    """Number of non-zero elements over `axis` (default None: all axes); `dtype` default `tf.int64`."""
    x = to_array(input, argument="input")
    counted = jnp.count_nonzero(x, axis=static_axis(axis), keepdims=builtins.bool(keepdims))
    return counted.astype(as_jax_dtype(dtype))


class TopKV2(NamedTuple):
    """The result of `top_k`: the k largest `values` and their `indices` (int32)."""

    values: jax.Array
    indices: jax.Array


def top_k(input: TensorLike, k: int = 1, sorted: bool = True, name: str | None = None) -> TopKV2:
    """The `k` (default 1) largest entries along the last axis, largest first, and their indices.

    `sorted` (default True) is accepted for TensorFlow's signature; the values always come sorted.
    """
    x = to_array(input, argument="input")
    k = static_int(k, "k")
    if not 0 <= k <= (x.shape[-1] if x.ndim else 0):
        raise ValueError(f"k must be between 0 and the size of the last axis ({x.shape[-1:]}). Received: k={k}")
    values, indices = jax.lax.top_k(x, k)
    return TopKV2(values, indices.astype(int32))


def in_top_k(targets: TensorLike, predictions: TensorLike, k: int, name: str | None = None) -> jax.Array:
    """Whether each row's target class is among its `k` highest predictions (bool, shape `[batch]`).

    Classes tied with the k-th value count as in the top k, as in TensorFlow; a target out of
    range or a non-finite target score gives False.

    Args:
        targets: integer class ids, shape `[batch]`.
        predictions: scores, shape `[batch, classes]`.
        k: how many top classes to consider.
        name: ignored. Default None.
    """
    labels = to_array(targets, argument="targets")
    scores = to_array(predictions, argument="predictions")
    if not jnp.issubdtype(labels.dtype, jnp.integer):
        raise TypeError(f"targets must be integer class ids. Received: targets of dtype {labels.dtype}")
    k = static_int(k, "k")
    classes = scores.shape[-1]
    valid = (labels >= 0) & (labels < classes)
    target_score = jnp.take_along_axis(scores, jnp.clip(labels, 0, classes - 1)[:, None], axis=-1)
    higher = jnp.sum(scores > target_score, axis=-1)
    return valid & jnp.isfinite(target_score[:, 0]) & (higher < k)


def confusion_matrix(
    labels: TensorLike,
    predictions: TensorLike,
    num_classes: int | None = None,
    weights: TensorLike | None = None,
    dtype: Any = int32,
    name: str | None = None,
) -> jax.Array:
    """Counts of (label, prediction) pairs: entry `[i, j]` counts label i predicted as j.

    Args:
        labels, predictions: integer class ids of the same shape.
        num_classes: the matrix size. Default None: `max(labels, predictions) + 1`, which needs
            concrete values (pass it inside compiled code).
        weights: optional weight per pair, added instead of 1. Default None.
        dtype: the result dtype. Default `tf.int32`.
        name: ignored. Default None.
    """
    y = to_array(labels, argument="labels").reshape(-1)
    p = to_array(predictions, argument="predictions").reshape(-1)
    if num_classes is None:
        num_classes = int(builtins.max(int(jnp.max(y)), int(jnp.max(p)))) + 1
    num_classes = static_int(num_classes, "num_classes")
    target = as_jax_dtype(dtype)
    w = jnp.ones(y.shape, target) if weights is None else to_array(weights, target, argument="weights").reshape(-1)
    return jnp.zeros((num_classes, num_classes), target).at[y, p].add(w)


def l2_normalize(x: TensorLike, axis: Any = None, epsilon: float = 1e-12, name: str | None = None) -> jax.Array:
    """`x / sqrt(max(sum(x ** 2, axis), epsilon))`; `axis` default None (all axes), `epsilon` 1e-12."""
    x = to_array(x)
    squares = jnp.sum(jnp.square(x), axis=static_axis(axis), keepdims=True)
    return x * jax.lax.rsqrt(jnp.maximum(squares, epsilon))


def softmax(logits: TensorLike, axis: int | None = None, name: str | None = None) -> jax.Array:
    """Softmax along `axis` (default None: the last axis)."""
    return jax.nn.softmax(to_array(logits, argument="logits"), axis=-1 if axis is None else static_int(axis, "axis"))


def log_softmax(logits: TensorLike, axis: int | None = None, name: str | None = None) -> jax.Array:
    """Log of the softmax along `axis` (default None: the last axis), computed stably."""
    x = to_array(logits, argument="logits")
    return jax.nn.log_softmax(x, axis=-1 if axis is None else static_int(axis, "axis"))


__getattr__ = unsupported_getattr("math")

__all__ = [
    "TopKV2",
    "abs",
    "acos",
    "acosh",
    "add",
    "add_n",
    "argmax",
    "argmin",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "ceil",
    "confusion_matrix",
    "conj",
    "cos",
    "cosh",
    "count_nonzero",
    "cumprod",
    "cumsum",
    "digamma",
    "divide",
    "divide_no_nan",
    "equal",
    "erf",
    "erfc",
    "exp",
    "expm1",
    "floor",
    "floordiv",
    "floormod",
    "greater",
    "greater_equal",
    "imag",
    "in_top_k",
    "is_finite",
    "is_inf",
    "is_nan",
    "l2_normalize",
    "less",
    "less_equal",
    "lgamma",
    "log",
    "log1p",
    "log_sigmoid",
    "log_softmax",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "maximum",
    "minimum",
    "mod",
    "multiply",
    "multiply_no_nan",
    "negative",
    "not_equal",
    "pow",
    "real",
    "realdiv",
    "reciprocal",
    "reduce_all",
    "reduce_any",
    "reduce_euclidean_norm",
    "reduce_logsumexp",
    "reduce_max",
    "reduce_mean",
    "reduce_min",
    "reduce_prod",
    "reduce_std",
    "reduce_sum",
    "reduce_variance",
    "round",
    "rsqrt",
    "sigmoid",
    "sign",
    "sin",
    "sinh",
    "softmax",
    "softplus",
    "sqrt",
    "square",
    "squared_difference",
    "subtract",
    "tan",
    "tanh",
    "top_k",
    "truediv",
    "xlogy",
]
