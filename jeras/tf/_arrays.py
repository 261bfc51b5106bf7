"""The array functions of the top-level `tf` namespace: making, shaping, joining and selecting arrays.

Semantics follow TensorFlow 2.x (`tf.concat(values, axis)`, `tf.squeeze(x, axis=None)`,
`tf.one_hot(indices, depth)` with zeros for out-of-range ids, `tf.where(cond, x, y)`,
`tf.constant` making Python floats float32). `tf.shape` returns a NumPy int32 array: shapes
are static in JAX, and a NumPy array stays usable as a shape inside compiled code
(`tf.reshape(x, [tf.shape(x)[0], -1])`). Functions whose result size depends on the values
(`boolean_mask`, one-argument `where`) work eagerly only. `name` arguments are ignored.
See docs/architecture.md, "The tf namespace".
"""

from __future__ import annotations

import builtins
import math as _pymath
from collections.abc import Sequence
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras.tf._convert import TensorLike, operand, static_axis, static_int, static_shape, to_array
from jeras.tf._dtypes import as_jax_dtype, float32, int32, int64

Tensor = jax.Array
newaxis = None


def constant(value: TensorLike, dtype: Any = None, shape: Any = None, name: str | None = None) -> jax.Array:
    """An array holding `value`: Python floats become float32 and ints int32 unless `dtype` says otherwise.

    Args:
        value: a number, nested list or array.
        dtype: the dtype. Default None (from the value).
        shape: optional shape: a single value fills it, other values are reshaped to it. Default None.
        name: ignored. Default None.

    Raises:
        ValueError: when `value` has neither one element nor as many as `shape`.
    """
    x = to_array(value, dtype, argument="value")
    if shape is None:
        return x
    shape = static_shape(shape)
    if x.size == 1:
        return jnp.broadcast_to(x.reshape(()), shape)
    if x.size != _pymath.prod(shape):
        raise ValueError(
            f"value has {x.size} elements, which do not fill shape {shape} ({_pymath.prod(shape)} elements). "
            f"Received: shape={shape}"
        )
    return x.reshape(shape)


def convert_to_tensor(
    value: TensorLike, dtype: Any = None, dtype_hint: Any = None, name: str | None = None
) -> jax.Array:
    """`value` as a JAX array.

    Args:
        value: an array, number or nested list.
        dtype: the required dtype. An array of another dtype raises (use `tf.cast`); numbers
            and lists are converted to it. Default None.
        dtype_hint: the dtype to use when `value` has none of its own and converts to it
            without changing kind (ints to floats, not floats to ints). Default None.
        name: ignored. Default None.

    Raises:
        ValueError: for an array whose dtype differs from `dtype`.
    """
    if isinstance(value, jax.Array) and dtype is not None:
        target = as_jax_dtype(dtype)
        if value.dtype != target:
            raise ValueError(
                f"convert_to_tensor was asked for dtype {target.name} but the array has dtype {value.dtype.name}; "
                f"use tf.cast(x, tf.{target.name}) to change it. Received: dtype={dtype!r}"
            )
        return value
    x = to_array(value, dtype, argument="value")
    if dtype is None and dtype_hint is not None and not isinstance(value, (jax.Array, np.ndarray, np.generic)):
        hint = as_jax_dtype(dtype_hint, argument="dtype_hint")
        if np.can_cast(x.dtype, hint, casting="same_kind"):
            x = x.astype(hint)
    return x


def is_tensor(x: Any) -> bool:
    """Whether `x` is a JAX array (concrete or traced), jeras' tensor type."""
    return isinstance(x, jax.Array)


def identity(input: TensorLike, name: str | None = None) -> jax.Array:
    """`input` as an array, unchanged."""
    return to_array(input, argument="input")


def stop_gradient(input: TensorLike, name: str | None = None) -> jax.Array:
    """`input`, treated as a constant by differentiation."""
    return jax.lax.stop_gradient(to_array(input, argument="input"))


def shape(input: TensorLike, out_type: Any = int32, name: str | None = None) -> np.ndarray:
    """The shape of `input` as a 1-D integer array (a NumPy array: shapes are static in JAX).

    Args:
        input: an array, number or nested list.
        out_type: the integer dtype. Default `tf.int32`.
        name: ignored. Default None.
    """
    return np.asarray(jnp.shape(input), dtype=as_jax_dtype(out_type, argument="out_type"))


def size(input: TensorLike, out_type: Any = int32, name: str | None = None) -> np.ndarray:
    """The number of elements of `input` (a NumPy scalar array); `out_type` default `tf.int32`."""
    return np.asarray(_pymath.prod(jnp.shape(input)), dtype=as_jax_dtype(out_type, argument="out_type"))


def rank(input: TensorLike, name: str | None = None) -> np.ndarray:
    """The number of dimensions of `input` (an int32 NumPy scalar array)."""
    return np.asarray(jnp.ndim(input), dtype=int32)


def reshape(tensor: TensorLike, shape: Any, name: str | None = None) -> jax.Array:
    """`tensor` with a new `shape` (one entry may be -1: inferred)."""
    return jnp.reshape(to_array(tensor, argument="tensor"), static_shape(shape))


def _arrays(values: Any, argument: str) -> list[jax.Array]:
    if isinstance(values, (jax.Array, np.ndarray)):
        return list(to_array(values, argument=argument))
    if not isinstance(values, (list, tuple)) or not values:
        raise TypeError(f"{argument} must be a non-empty list of arrays. Received: {argument}={values!r}")
    return [to_array(v, argument=argument) for v in values]


def concat(values: Any, axis: int, name: str | None = None) -> jax.Array:
    """Joins a list of arrays along an existing `axis` (required, as in TensorFlow)."""
    if isinstance(values, (jax.Array, np.ndarray)):
        return to_array(values, argument="values")
    return jnp.concatenate(_arrays(values, "values"), axis=static_int(axis, "axis"))


def stack(values: Any, axis: int = 0, name: str | None = None) -> jax.Array:
    """Stacks a list of same-shape arrays along a new `axis` (default 0)."""
    return jnp.stack(_arrays(values, "values"), axis=static_int(axis, "axis"))


def unstack(value: TensorLike, num: int | None = None, axis: int = 0, name: str | None = None) -> list[jax.Array]:
    """Splits `value` along `axis` (default 0) into a list of arrays; `num`, when given, must be its size."""
    x = to_array(value, argument="value")
    axis = static_int(axis, "axis")
    if num is not None and static_int(num, "num") != x.shape[axis]:
        raise ValueError(f"num must equal the size of axis {axis} ({x.shape[axis]}). Received: num={num}")
    return list(jnp.moveaxis(x, axis, 0))


def expand_dims(input: TensorLike, axis: int, name: str | None = None) -> jax.Array:
    """`input` with a new axis of size 1 inserted at `axis`."""
    return jnp.expand_dims(to_array(input, argument="input"), static_int(axis, "axis"))


def squeeze(input: TensorLike, axis: Any = None, name: str | None = None) -> jax.Array:
    """Removes axes of size 1: all of them (`axis=None`, the default) or those listed in `axis`.

    Raises:
        ValueError: when a listed axis does not have size 1.
    """
    x = to_array(input, argument="input")
    axis = static_axis(axis)
    if axis is None:
        return jnp.squeeze(x)
    axes = axis if isinstance(axis, tuple) else (axis,)
    for a in axes:
        if not -x.ndim <= a < x.ndim or x.shape[a] != 1:
            raise ValueError(
                f"Cannot squeeze axis {a} of an array of shape {x.shape}: it must exist and have size 1. "
                f"Received: axis={axis}"
            )
    return jnp.squeeze(x, axis=axes)


def transpose(
    a: TensorLike, perm: Sequence[int] | None = None, conjugate: bool = False, name: str | None = None
) -> jax.Array:
    """Permutes the axes by `perm` (default None: reversed); `conjugate` (default False) also conjugates."""
    x = jnp.transpose(to_array(a, argument="a"), None if perm is None else static_shape(perm, "perm"))
    return jnp.conj(x) if conjugate else x


def tile(input: TensorLike, multiples: Any, name: str | None = None) -> jax.Array:
    """Repeats `input` `multiples[i]` times along axis i."""
    return jnp.tile(to_array(input, argument="input"), static_shape(multiples, "multiples"))


def repeat(input: TensorLike, repeats: Any, axis: int | None = None, name: str | None = None) -> jax.Array:
    """Repeats each element `repeats` times along `axis` (default None: of the flattened input)."""
    counts = repeats if isinstance(repeats, int) else np.asarray(repeats)
    return jnp.repeat(
        to_array(input, argument="input"), counts, axis=None if axis is None else static_int(axis, "axis")
    )


def roll(input: TensorLike, shift: Any, axis: Any, name: str | None = None) -> jax.Array:
    """Shifts elements by `shift` along `axis`, wrapping around (both may be lists)."""
    return jnp.roll(to_array(input, argument="input"), static_axis(shift, "shift"), static_axis(axis))


def reverse(tensor: TensorLike, axis: Any, name: str | None = None) -> jax.Array:
    """Reverses `tensor` along the axes listed in `axis`."""
    return jnp.flip(to_array(tensor, argument="tensor"), static_axis(axis))


def slice(input_: TensorLike, begin: Any, size: Any, name: str | None = None) -> jax.Array:
    """The block of `input_` starting at `begin` with `size` elements per axis (-1: to the end)."""
    x = to_array(input_, argument="input_")
    start = static_shape(begin, "begin")
    sizes = static_shape(size, "size")
    if len(start) != x.ndim or len(sizes) != x.ndim:
        raise ValueError(f"begin and size need one entry per axis ({x.ndim}). Received: begin={start}, size={sizes}")
    stop = tuple(d if n == -1 else b + n for b, n, d in zip(start, sizes, x.shape))
    return jax.lax.slice(x, start, stop)


def broadcast_to(input: TensorLike, shape: Any, name: str | None = None) -> jax.Array:
    """`input` broadcast to `shape`."""
    return jnp.broadcast_to(to_array(input, argument="input"), static_shape(shape))


def meshgrid(*args: TensorLike, indexing: str = "xy", name: str | None = None) -> list[jax.Array]:
    """Coordinate grids from 1-D arrays; `indexing` is `"xy"` (default) or `"ij"`."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"indexing must be 'xy' or 'ij'. Received: indexing={indexing!r}")
    return jnp.meshgrid(*(to_array(a) for a in args), indexing=indexing)


def _vmapped(fn, batch_dims: int):
    for _ in builtins.range(batch_dims):
        fn = jax.vmap(fn)
    return fn


def gather(
    params: TensorLike,
    indices: TensorLike,
    validate_indices: Any = None,
    axis: int | None = None,
    batch_dims: int = 0,
    name: str | None = None,
) -> jax.Array:
    """Picks slices of `params` along `axis` (default None: `batch_dims`) at `indices`.

    Args:
        params: the array to gather from.
        indices: integer indices into `params`' axis `axis`.
        validate_indices: ignored (deprecated in TensorFlow). Default None.
        axis: the axis to gather along. Default None (= `batch_dims`).
        batch_dims: the number of leading axes `params` and `indices` share. Default 0.
        name: ignored. Default None.
    """
    p = to_array(params, argument="params")
    i = to_array(indices, argument="indices")
    batch_dims = static_int(batch_dims, "batch_dims")
    batch_dims = batch_dims + i.ndim if batch_dims < 0 else batch_dims
    axis = batch_dims if axis is None else static_int(axis, "axis")
    axis = axis + p.ndim if axis < 0 else axis
    if axis < batch_dims:
        raise ValueError(f"axis must not be below batch_dims ({batch_dims}). Received: axis={axis}")
    return _vmapped(partial(jnp.take, axis=axis - batch_dims), batch_dims)(p, i)


def gather_nd(params: TensorLike, indices: TensorLike, batch_dims: int = 0, name: str | None = None) -> jax.Array:
    """Picks elements or slices of `params` at the index vectors in the last axis of `indices`."""
    p = to_array(params, argument="params")
    i = to_array(indices, argument="indices")

    def pick(p, i):
        return p[tuple(jnp.moveaxis(i, -1, 0))]

    return _vmapped(pick, static_int(batch_dims, "batch_dims"))(p, i)


def _scatter_index(indices: TensorLike) -> tuple[jax.Array, ...]:
    return tuple(jnp.moveaxis(to_array(indices, argument="indices"), -1, 0))


def tensor_scatter_nd_update(
    tensor: TensorLike, indices: TensorLike, updates: TensorLike, name: str | None = None
) -> jax.Array:
    """A copy of `tensor` with the elements or slices at `indices` replaced by `updates`."""
    return to_array(tensor, argument="tensor").at[_scatter_index(indices)].set(to_array(updates, argument="updates"))


def tensor_scatter_nd_add(
    tensor: TensorLike, indices: TensorLike, updates: TensorLike, name: str | None = None
) -> jax.Array:
    """A copy of `tensor` with `updates` added at `indices` (repeated indices add up)."""
    return to_array(tensor, argument="tensor").at[_scatter_index(indices)].add(to_array(updates, argument="updates"))


def _concrete(value: jax.Array, function: str, instead: str) -> np.ndarray:
    try:
        return np.asarray(value)
    except jax.errors.TracerArrayConversionError as err:
        raise TypeError(
            f"{function} gives a result whose size depends on the values, which compiled code (a training "
            f"step, jax.jit) cannot have. {instead}"
        ) from err


def boolean_mask(tensor: TensorLike, mask: TensorLike, axis: int | None = None, name: str | None = None) -> jax.Array:
    """The entries of `tensor` where `mask` is True; `mask` covers axes `axis` (default 0) onward.

    Eager only: inside compiled code use `tf.where(mask, x, 0)` or sample weights instead.
    """
    x = to_array(tensor, argument="tensor")
    m = to_array(mask, argument="mask")
    axis = 0 if axis is None else static_int(axis, "axis")
    chosen = np.flatnonzero(_concrete(m, "tf.boolean_mask", "Use tf.where(mask, x, 0) or sample weights instead."))
    if x.shape[axis : axis + m.ndim] != m.shape:
        raise ValueError(f"mask of shape {m.shape} does not match tensor of shape {x.shape} at axis {axis}.")
    flat = x.reshape(x.shape[:axis] + (-1,) + x.shape[axis + m.ndim :])
    return jnp.take(flat, chosen, axis=axis)


def where(condition: TensorLike, x: TensorLike = None, y: TensorLike = None, name: str | None = None) -> jax.Array:
    """`x` where `condition` is True and `y` elsewhere, broadcast together.

    With only `condition`, the coordinates of its True entries (shape `[n, rank]`, int64), which
    needs concrete values (eager only).

    Raises:
        ValueError: when only one of `x` and `y` is given.
    """
    cond = to_array(condition, argument="condition")
    if x is None and y is None:
        found = _concrete(cond, "tf.where(condition)", "Pass x and y: tf.where(condition, x, y).")
        return jnp.asarray(np.argwhere(found), dtype=as_jax_dtype(int64))
    if x is None or y is None:
        raise ValueError(f"x and y must both be given or both be None. Received: x={x!r}, y={y!r}")
    return jnp.where(cond, operand(x), operand(y))


def clip_by_value(
    t: TensorLike, clip_value_min: TensorLike, clip_value_max: TensorLike, name: str | None = None
) -> jax.Array:
    """`t` with values below `clip_value_min` raised to it and above `clip_value_max` lowered to it."""
    return jnp.minimum(jnp.maximum(to_array(t, argument="t"), operand(clip_value_min)), operand(clip_value_max))


def _sum_of_squares(x: jax.Array, axis: Any = None, keepdims: bool = False) -> jax.Array:
    return jnp.sum(jnp.square(x), axis=axis, keepdims=keepdims)


def safe_sqrt(x: jax.Array) -> jax.Array:
    # sqrt has an infinite derivative at 0; the zero branch keeps gradients finite.
    positive = x > 0
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, x, 1)), 0)


def clip_by_norm(t: TensorLike, clip_norm: TensorLike, axes: Any = None, name: str | None = None) -> jax.Array:
    """`t` scaled so its L2 norm over `axes` (default None: all) is at most `clip_norm`."""
    x = to_array(t, argument="t")
    norm = safe_sqrt(_sum_of_squares(x, static_axis(axes, "axes"), keepdims=True))
    return x * clip_norm / jnp.maximum(norm, clip_norm)


def clip_by_global_norm(
    t_list: Sequence[TensorLike], clip_norm: TensorLike, use_norm: TensorLike | None = None, name: str | None = None
) -> tuple[list[jax.Array], jax.Array]:
    """Scales all arrays by one factor so their joint L2 norm is at most `clip_norm`.

    Returns:
        `(clipped_list, global_norm)`, the norm being the one before clipping (or `use_norm`).
    """
    arrays = [to_array(t, argument="t_list") for t in t_list]
    if use_norm is None:
        use_norm = jnp.sqrt(builtins.sum((_sum_of_squares(a) for a in arrays), jnp.zeros((), float32)))
    scale = clip_norm / jnp.maximum(use_norm, clip_norm)
    return [a * scale.astype(a.dtype) for a in arrays], jnp.asarray(use_norm)


def one_hot(
    indices: TensorLike,
    depth: int,
    on_value: TensorLike = None,
    off_value: TensorLike = None,
    axis: int | None = None,
    dtype: Any = None,
    name: str | None = None,
) -> jax.Array:
    """One-hot vectors of length `depth` for integer `indices`; ids outside `[0, depth)` give all `off_value`.

    Args:
        indices: integer class ids, any shape.
        depth: the number of classes (a non-negative int).
        on_value: the value at the id. Default None (1).
        off_value: the value elsewhere. Default None (0).
        axis: where the new axis goes. Default None (last).
        dtype: the result dtype. Default None: that of `on_value`/`off_value` when given, else float32.
        name: ignored. Default None.

    Raises:
        TypeError: for a non-integer `depth` or non-integer `indices`.

    Example:
        >>> tf.one_hot([0, 2], depth=3)
        Array([[1., 0., 0.],
               [0., 0., 1.]], dtype=float32)
    """
    if isinstance(depth, builtins.bool) or not isinstance(depth, (int, np.integer)):
        raise TypeError(f"depth must be a non-negative integer. Received: depth={depth!r}")
    if depth < 0:
        raise ValueError(f"depth must be a non-negative integer. Received: depth={depth!r}")
    ids = to_array(indices, argument="indices")
    if not jnp.issubdtype(ids.dtype, jnp.integer):
        raise TypeError(
            f"indices must be integers; cast them with tf.cast(indices, tf.int32). Received: indices of dtype "
            f"{ids.dtype.name}"
        )
    if dtype is not None:
        target = as_jax_dtype(dtype)
    elif on_value is not None or off_value is not None:
        target = to_array(on_value if on_value is not None else off_value).dtype
    else:
        target = float32
    on = jnp.asarray(1 if on_value is None else on_value, target)
    off = jnp.asarray(0 if off_value is None else off_value, target)
    out = jnp.where(ids[..., None] == jnp.arange(int(depth), dtype=ids.dtype), on, off)
    if axis is not None and static_int(axis, "axis") != -1:
        out = jnp.moveaxis(out, -1, static_int(axis, "axis"))
    return out


def zeros(shape: Any, dtype: Any = float32, name: str | None = None) -> jax.Array:
    """An array of zeros; `dtype` default `tf.float32`."""
    return jnp.zeros(static_shape(shape), as_jax_dtype(dtype))


def ones(shape: Any, dtype: Any = float32, name: str | None = None) -> jax.Array:
    """An array of ones; `dtype` default `tf.float32`."""
    return jnp.ones(static_shape(shape), as_jax_dtype(dtype))


def zeros_like(input: TensorLike, dtype: Any = None, name: str | None = None) -> jax.Array:
    """Zeros of `input`'s shape; `dtype` default None (`input`'s dtype)."""
    x = to_array(input, argument="input")
    return jnp.zeros_like(x, dtype=None if dtype is None else as_jax_dtype(dtype))


def ones_like(input: TensorLike, dtype: Any = None, name: str | None = None) -> jax.Array:
    """Ones of `input`'s shape; `dtype` default None (`input`'s dtype)."""
    x = to_array(input, argument="input")
    return jnp.ones_like(x, dtype=None if dtype is None else as_jax_dtype(dtype))


def fill(dims: Any, value: TensorLike, name: str | None = None) -> jax.Array:
    """An array of shape `dims` filled with `value` (of `value`'s dtype)."""
    v = to_array(value, argument="value")
    return jnp.full(static_shape(dims, "dims"), v, dtype=v.dtype)


def eye(
    num_rows: int,
    num_columns: int | None = None,
    batch_shape: Any = None,
    dtype: Any = float32,
    name: str | None = None,
) -> jax.Array:
    """Identity matrix (or a batch of them); `num_columns` default `num_rows`, `dtype` default `tf.float32`."""
    rows = static_int(num_rows, "num_rows")
    cols = rows if num_columns is None else static_int(num_columns, "num_columns")
    matrix = jnp.eye(rows, cols, dtype=as_jax_dtype(dtype))
    if batch_shape is None:
        return matrix
    batch = static_shape(batch_shape, "batch_shape")
    return jnp.broadcast_to(matrix, batch + matrix.shape)


def _host_number(value: Any, argument: str) -> int | float:
    try:
        return np.asarray(value).item()
    except (jax.errors.TracerArrayConversionError, ValueError) as err:
        raise TypeError(
            f"{argument} must be a number known when the program is traced. Received: {argument}={value!r}"
        ) from err


def range(
    start: TensorLike,
    limit: TensorLike | None = None,
    delta: TensorLike = 1,
    dtype: Any = None,
    name: str | None = None,
) -> jax.Array:
    """Numbers from `start` up to (not including) `limit` in steps of `delta` (default 1).

    With one argument it is the limit, starting from 0. The dtype is int32 for integers and
    float32 when any argument is a float, unless `dtype` is given.
    """
    if limit is None:
        start, limit = 0, start
    numbers = [_host_number(v, argument) for v, argument in ((start, "start"), (limit, "limit"), (delta, "delta"))]
    if dtype is not None:
        target = as_jax_dtype(dtype)
    elif any(isinstance(n, float) for n in numbers):
        target = float32
    else:
        target = as_jax_dtype(int32)
    return jnp.arange(*numbers, dtype=target)


def linspace(start: TensorLike, stop: TensorLike, num: int, name: str | None = None, axis: int = 0) -> jax.Array:
    """`num` evenly spaced values from `start` to `stop`, both included, along a new `axis` (default 0).

    `start` and `stop` may be arrays (one sequence per element); the values are float32 unless
    `start` has another float dtype.
    """
    lo = to_array(start, argument="start")
    hi = to_array(stop, argument="stop")
    target = lo.dtype if jnp.issubdtype(lo.dtype, jnp.floating) else float32
    return jnp.linspace(lo, hi, static_int(num, "num"), axis=static_int(axis, "axis"), dtype=target)


def sort(values: TensorLike, axis: int = -1, direction: str = "ASCENDING", name: str | None = None) -> jax.Array:
    """`values` sorted along `axis` (default -1); `direction` `"ASCENDING"` (default) or `"DESCENDING"`."""
    x = to_array(values, argument="values")
    axis = static_int(axis, "axis")
    ordered = jnp.sort(x, axis=axis)
    return jnp.flip(ordered, axis) if _descending(direction) else ordered


def argsort(
    values: TensorLike, axis: int = -1, direction: str = "ASCENDING", stable: bool = False, name: str | None = None
) -> jax.Array:
    """Indices (int32) that sort `values` along `axis` (default -1) in `direction` (default `"ASCENDING"`)."""
    x = to_array(values, argument="values")
    order = jnp.argsort(
        x, axis=static_int(axis, "axis"), stable=builtins.bool(stable), descending=_descending(direction)
    )
    return order.astype(int32)


def _descending(direction: str) -> bool:
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"direction must be 'ASCENDING' or 'DESCENDING'. Received: direction={direction!r}")
    return direction == "DESCENDING"


def split(
    value: TensorLike, num_or_size_splits: Any, axis: int = 0, num: int | None = None, name: str | None = None
) -> list[jax.Array]:
    """Splits `value` along `axis` (default 0) into `num_or_size_splits` equal parts, or parts of the listed sizes.

    One listed size may be -1: whatever is left.

    Raises:
        ValueError: when the sizes do not add up to the axis' size.
    """
    x = to_array(value, argument="value")
    axis = static_int(axis, "axis")
    if isinstance(num_or_size_splits, (int, np.integer)):
        return jnp.split(x, int(num_or_size_splits), axis=axis)
    sizes = list(static_shape(num_or_size_splits, "num_or_size_splits"))
    total = x.shape[axis]
    if sizes.count(-1) == 1:
        sizes[sizes.index(-1)] = total - (builtins.sum(sizes) + 1)
    if builtins.sum(sizes) != total or builtins.min(sizes, default=0) < 0:
        raise ValueError(
            f"num_or_size_splits must add up to the size of axis {axis} ({total}). "
            f"Received: num_or_size_splits={num_or_size_splits!r}"
        )
    return jnp.split(x, np.cumsum(sizes)[:-1].tolist(), axis=axis)


def pad(
    tensor: TensorLike, paddings: Any, mode: str = "CONSTANT", constant_values: TensorLike = 0, name: str | None = None
) -> jax.Array:
    """Pads each axis i with `paddings[i] = [before, after]` entries.

    Args:
        tensor: the array.
        paddings: one `[before, after]` pair per axis.
        mode: `"CONSTANT"` (default), `"REFLECT"` or `"SYMMETRIC"` (any case).
        constant_values: the padding value in `"CONSTANT"` mode. Default 0.
        name: ignored. Default None.
    """
    x = to_array(tensor, argument="tensor")
    widths = [static_shape(p, "paddings") for p in paddings]
    if len(widths) != x.ndim or any(len(w) != 2 for w in widths):
        raise ValueError(
            f"paddings needs one [before, after] pair per axis ({x.ndim}). Received: paddings={paddings!r}"
        )
    kind = str(mode).lower()
    if kind == "constant":
        return jnp.pad(x, widths, mode="constant", constant_values=operand(constant_values))
    if kind in ("reflect", "symmetric"):
        return jnp.pad(x, widths, mode=kind)
    raise ValueError(f"mode must be 'CONSTANT', 'REFLECT' or 'SYMMETRIC'. Received: mode={mode!r}")


def einsum(equation: str, *inputs: TensorLike, **kwargs: Any) -> jax.Array:
    """Einstein summation over `inputs` as `equation` describes (`"ij,jk->ik"`); `name` in `kwargs` is ignored."""
    kwargs.pop("name", None)
    return jnp.einsum(equation, *(to_array(x, argument="inputs") for x in inputs), **kwargs)


def tensordot(a: TensorLike, b: TensorLike, axes: Any, name: str | None = None) -> jax.Array:
    """Sum of products over the last `axes` axes of `a` and first of `b`, or over the listed axis pairs."""
    pairs = static_int(axes, "axes") if isinstance(axes, (int, np.integer)) else tuple(static_axis(a_) for a_ in axes)
    return jnp.tensordot(to_array(a, argument="a"), to_array(b, argument="b"), axes=pairs)
