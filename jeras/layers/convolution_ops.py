"""Convolution and pooling as the layers run them, written for XLA:CPU inside compiled loops.

jeras trains whole epochs as one `lax.scan` (docs/architecture.md, "Convolutions and pooling").
Inside a loop body XLA:CPU runs the kernel gradient of a convolution, as JAX derives it (a
convolution whose window is the whole output map), with a generic loop nest instead of its fast
convolution library: 1.2 s instead of 25 ms for one 3x3x32x64 step at batch 128. The same holds
for `select_and_scatter`, the gradient of a windowed max. So:

- `convolve` is `lax.conv_general_dilated` with its own VJP: the input gradient is JAX's own; the
  kernel gradient is one matrix product per kernel offset, of the strided input slice that meets
  that kernel cell against the output gradient, which XLA runs fast anywhere.
- `pool` computes windows that do not overlap (strides equal to the window, the usual case) by
  reshaping each window into two axes and reducing them; its max gradient goes to the first
  maximum of each window in row-major order, as `select_and_scatter` does. Overlapping windows
  use `lax.reduce_window`.
"""

from __future__ import annotations

import functools
import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np

_SPATIAL = {1: "W", 2: "HW", 3: "DHW"}


def explicit_padding(spatial_shape, window, strides, dilation, padding: str) -> tuple[tuple[int, int], ...]:
    """The (before, after) padding of each spatial axis for "VALID" or "SAME" (TensorFlow's split)."""
    dilated = tuple((w - 1) * d + 1 for w, d in zip(window, dilation))
    return tuple(tuple(p) for p in jax.lax.padtype_to_pads(tuple(spatial_shape), dilated, tuple(strides), padding))


def convolve(inputs, kernel, strides, padding: str, dilation, groups: int = 1):
    """Channels-last convolution (`N...C` inputs, `...IO` kernel), as `lax.conv_general_dilated`.

    `padding` is "VALID" or "SAME"; `groups` splits the channels as `feature_group_count` does.
    """
    rank = inputs.ndim - 2
    pads = explicit_padding(inputs.shape[1:-1], kernel.shape[:rank], strides, dilation, padding)
    return _convolve(inputs, kernel, tuple(strides), pads, tuple(dilation), int(groups))


def _forward(inputs, kernel, strides, pads, dilation, groups):
    spatial = _SPATIAL[inputs.ndim - 2]
    return jax.lax.conv_general_dilated(
        inputs,
        kernel,
        window_strides=strides,
        padding=pads,
        rhs_dilation=dilation,
        dimension_numbers=(f"N{spatial}C", f"{spatial}IO", f"N{spatial}C"),
        feature_group_count=groups,
    )


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4, 5))
def _convolve(inputs, kernel, strides, pads, dilation, groups):
    return _forward(inputs, kernel, strides, pads, dilation, groups)


def _convolve_fwd(inputs, kernel, strides, pads, dilation, groups):
    return _forward(inputs, kernel, strides, pads, dilation, groups), (inputs, kernel)


def _convolve_bwd(strides, pads, dilation, groups, residuals, cotangent):
    inputs, kernel = residuals
    d_inputs = input_cotangent(cotangent.astype(inputs.dtype), kernel, inputs.shape, strides, pads, dilation, groups)
    d_kernel = kernel_cotangent(inputs, cotangent, kernel.shape, strides, pads, dilation, groups)
    return d_inputs, d_kernel.astype(kernel.dtype)


_convolve.defvjp(_convolve_fwd, _convolve_bwd)


def input_cotangent(cotangent, kernel, input_shape, strides, pads, dilation, groups):
    """d(loss)/d(inputs): the output gradient, spread by the strides, convolved with the mirrored kernel.

    Written as a plain channels-last convolution (the kernel mirrored and its channel axes swapped
    here, explicitly), the form XLA:CPU runs fast inside loops.
    """
    rank = len(input_shape) - 2
    window = kernel.shape[:rank]
    in_per_group, out_channels = kernel.shape[rank], kernel.shape[rank + 1]
    mirrored = jnp.flip(kernel, axis=tuple(range(rank)))
    # (..., in/g, g, out/g) -> (..., out/g, g, in/g): group k's outputs become its inputs.
    swapped = mirrored.reshape(*window, in_per_group, groups, out_channels // groups)
    swapped = jnp.moveaxis(swapped, (rank, rank + 2), (rank + 2, rank))
    swapped = swapped.reshape(*window, out_channels // groups, groups * in_per_group)
    transposed_pads = []
    for size, w, d, t, (before, after), out in zip(
        input_shape[1:-1], window, dilation, strides, pads, cotangent.shape[1:-1]
    ):
        span = (w - 1) * d + 1
        uncovered = size + before + after - span - (out - 1) * t
        transposed_pads.append((span - 1 - before, span - 1 - after + uncovered))
    return _forward_dilated(cotangent, swapped, tuple(transposed_pads), strides, dilation, groups)


def _forward_dilated(inputs, kernel, pads, lhs_dilation, rhs_dilation, groups):
    spatial = _SPATIAL[inputs.ndim - 2]
    return jax.lax.conv_general_dilated(
        inputs,
        kernel,
        window_strides=(1,) * (inputs.ndim - 2),
        padding=pads,
        lhs_dilation=lhs_dilation,
        rhs_dilation=rhs_dilation,
        dimension_numbers=(f"N{spatial}C", f"{spatial}IO", f"N{spatial}C"),
        feature_group_count=groups,
    )


def kernel_cotangent(inputs, cotangent, kernel_shape, strides, pads, dilation, groups):
    """d(loss)/d(kernel): for each kernel cell, the input cells it met (a strided slice) times the output gradient."""
    rank = inputs.ndim - 2
    window = kernel_shape[:rank]
    in_per_group, out_channels = kernel_shape[rank], kernel_shape[rank + 1]
    padded = jnp.pad(inputs, ((0, 0), *pads, (0, 0)))
    out_spatial = cotangent.shape[1:-1]
    cells = inputs.shape[0] * math.prod(out_spatial)
    grads = cotangent.reshape(cells, groups, out_channels // groups)
    # Half-precision products add up in float32, as XLA's own convolutions do.
    accumulate = jnp.float32 if jnp.finfo(inputs.dtype).bits < 32 else None
    parts = []
    for offset in itertools.product(*(range(w) for w in window)):
        start = (0, *(k * d for k, d in zip(offset, dilation)), 0)
        limit = (
            inputs.shape[0],
            *(s + (o - 1) * t + 1 for s, o, t in zip(start[1:-1], out_spatial, strides)),
            inputs.shape[-1],
        )
        met = jax.lax.slice(padded, start, limit, (1, *strides, 1)).reshape(cells, groups, in_per_group)
        if groups == 1 and rank == 1 and in_per_group >= 8:
            # Conv1D: a plain matrix product, which XLA:CPU runs faster here than a batch of one
            # (the kernel gradient 1.8x faster). For 2-D kernels it measured slower in the
            # Fashion-MNIST convnet (7%) and faster in the ResNet stack (8%): left batched.
            parts.append(jnp.einsum("pi,po->io", met[:, 0], grads[:, 0], preferred_element_type=accumulate)[:, None])
        else:  # (groups, in_per_group, out_per_group): a batched matrix product over the groups.
            parts.append(jnp.einsum("pgi,pgo->igo", met, grads, preferred_element_type=accumulate))
    stacked = jnp.stack(parts)  # (cells of the window, in_per_group, groups, out_per_group)
    return stacked.reshape(*window, in_per_group, out_channels)


def pool(inputs, window, strides, padding: str, kind: str):
    """Max ("max") or average ("average") pooling of `N...C` inputs over windows; average excludes padding."""
    rank = inputs.ndim - 2
    window, strides = tuple(window), tuple(strides)
    if window != strides:
        return _reduce_window(inputs, window, strides, padding, kind)
    pads = explicit_padding(inputs.shape[1:-1], window, strides, (1,) * rank, padding)
    if kind == "max":
        return _tiled_max(inputs, window, pads)
    sums = _tiled(inputs, window, pads, 0.0).sum(axis=tuple(range(2, 2 * rank + 1, 2)))
    if padding == "VALID" or not any(before or after for before, after in pads):
        return sums / math.prod(window)
    # "SAME": border windows average over their real cells only, as in tf.keras.
    ones = np.ones((1, *inputs.shape[1:-1], 1), np.float32)
    counts = np.pad(ones, ((0, 0), *pads, (0, 0)))
    counts = counts.reshape(_tiled_shape(counts.shape, window)).sum(axis=tuple(range(2, 2 * rank + 1, 2)))
    return sums / counts.astype(inputs.dtype)


def _reduce_window(inputs, window, strides, padding, kind):
    # A concrete (NumPy) initial value lets JAX recognize max/add windows and differentiate them.
    init, op = (-np.inf, jax.lax.max) if kind == "max" else (0.0, jax.lax.add)
    dims, steps = (1, *window, 1), (1, *strides, 1)
    sums = jax.lax.reduce_window(inputs, np.asarray(init, inputs.dtype), op, dims, steps, padding)
    if kind == "max":
        return sums
    if padding == "VALID":
        return sums / math.prod(window)
    ones = jnp.ones((1, *inputs.shape[1:-1], 1), inputs.dtype)
    return sums / jax.lax.reduce_window(ones, np.asarray(0.0, inputs.dtype), jax.lax.add, dims, steps, padding)


def _tiled_shape(shape, window):
    """(N, o1, w1, o2, w2, ..., C) for an (N, o1*w1, o2*w2, ..., C) array."""
    middle = []
    for size, w in zip(shape[1:-1], window):
        middle += [size // w, w]
    return (shape[0], *middle, shape[-1])


def _tiled(inputs, window, pads, fill):
    """The inputs padded (with `fill`) or cropped to whole windows, each window on its own axes."""
    if any(before or after for before, after in pads):
        inputs = jnp.pad(inputs, ((0, 0), *pads, (0, 0)), constant_values=fill)
    whole = tuple(slice(0, (size // w) * w) for size, w in zip(inputs.shape[1:-1], window))
    inputs = inputs[(slice(None), *whole, slice(None))]
    return inputs.reshape(_tiled_shape(inputs.shape, window))


@functools.partial(jax.custom_vjp, nondiff_argnums=(1, 2))
def _tiled_max(inputs, window, pads):
    rank = inputs.ndim - 2
    return _tiled(inputs, window, pads, -np.inf).max(axis=tuple(range(2, 2 * rank + 1, 2)))


def _tiled_max_fwd(inputs, window, pads):
    return _tiled_max(inputs, window, pads), inputs


def _tiled_max_bwd(window, pads, inputs, cotangent):
    rank = inputs.ndim - 2
    window_axes = tuple(range(2, 2 * rank + 1, 2))
    tiles = _tiled(inputs, window, pads, -np.inf)
    best = jnp.expand_dims(tiles.max(axis=window_axes), window_axes)
    # The position of each cell in its window, row-major; the gradient goes to the first maximum.
    order = np.zeros([1] * tiles.ndim, np.int32)
    for axis, w in zip(window_axes, window):
        shape = [1] * tiles.ndim
        shape[axis] = w
        order = order * w + np.arange(w, dtype=np.int32).reshape(shape)
    order = jnp.asarray(order)
    candidates = jnp.where(tiles == best, order, math.prod(window))
    first = candidates == jnp.expand_dims(candidates.min(axis=window_axes), window_axes)
    spread = jnp.where(first, jnp.expand_dims(cotangent, window_axes), 0).astype(inputs.dtype)
    spread = spread.reshape((inputs.shape[0], *_untiled(tiles.shape), inputs.shape[-1]))
    # Undo the padding (drop padded cells) or the crop (cells outside every window get no gradient).
    grad = spread
    for axis, (size, (before, _)) in enumerate(zip(inputs.shape[1:-1], pads), start=1):
        kept = grad.shape[axis] - before
        if kept >= size:
            grad = jax.lax.slice_in_dim(grad, before, before + size, axis=axis)
        else:
            grad = jax.lax.slice_in_dim(grad, before, grad.shape[axis], axis=axis)
            widths = [(0, 0)] * grad.ndim
            widths[axis] = (0, size - kept)
            grad = jnp.pad(grad, widths)
    return (grad,)


def _untiled(tiled_shape):
    middle = tiled_shape[1:-1]
    return tuple(middle[i] * middle[i + 1] for i in range(0, len(middle), 2))


_tiled_max.defvjp(_tiled_max_fwd, _tiled_max_bwd)
