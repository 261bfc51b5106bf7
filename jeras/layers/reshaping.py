"""Layers that only rearrange values: `Flatten`, `Reshape`, `Permute`, `RepeatVector`, and the 1-D and 2-D
`UpSampling`, `ZeroPadding` and `Cropping` layers."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras.layers.layer import Layer


class Flatten(Layer):
    """Flattens each example to one axis: `(batch, d1, d2, ...)` -> `(batch, d1*d2*...)`.

    Args:
        data_format: only `"channels_last"` (the default) is supported.
    """

    def __init__(self, data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(
                f"Flatten supports data_format='channels_last' only. Received: data_format={data_format!r}"
            )
        self.data_format = "channels_last"

    def call(self, inputs):
        if inputs.ndim == 1:
            return inputs[:, None]
        return inputs.reshape(inputs.shape[0], math.prod(inputs.shape[1:]))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each example to `target_shape` (one entry may be -1).

    Args:
        target_shape: the shape of one output example, without the batch axis.
    """

    def __init__(self, target_shape, **kwargs: Any):
        super().__init__(**kwargs)
        try:
            dims = tuple(target_shape) if not isinstance(target_shape, (int, np.integer)) else (target_shape,)
        except TypeError as err:
            raise TypeError(
                f"target_shape must be a tuple of integers. Received: target_shape={target_shape!r}"
            ) from err
        bad = lambda d: isinstance(d, bool) or not isinstance(d, (int, np.integer)) or (d <= 0 and d != -1)  # noqa: E731
        if sum(1 for d in dims if d == -1) > 1 or any(bad(d) for d in dims):
            raise ValueError(
                f"target_shape must hold positive integers and at most one -1. Received: target_shape={target_shape!r}"
            )
        self.target_shape = tuple(int(d) for d in dims)

    def build(self, input_shape) -> None:
        known = [d for d in input_shape[1:] if d is not None]
        if len(known) == len(input_shape) - 1:
            size = int(np.prod(known))
            fixed = int(np.prod([d for d in self.target_shape if d != -1]))
            if (-1 in self.target_shape and size % fixed) or (-1 not in self.target_shape and size != fixed):
                raise ValueError(
                    f"Cannot reshape examples of shape {tuple(input_shape[1:])} ({size} values) "
                    f"to target_shape. Received: target_shape={self.target_shape}"
                )
        self.built = True

    def call(self, inputs):
        # -1 is resolved here rather than by reshape, which cannot infer it for an empty batch.
        size = math.prod(inputs.shape[1:])
        fixed = math.prod(d for d in self.target_shape if d != -1)
        target = tuple(size // fixed if d == -1 else d for d in self.target_shape)
        return inputs.reshape((inputs.shape[0],) + target)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "target_shape": list(self.target_shape)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["target_shape"] = tuple(config["target_shape"])
        return cls(**config)


def _int_pair(value, argument: str, *, minimum: int = 0) -> tuple[int, int]:
    """An int or a pair of ints (each at least `minimum`) as a pair, or a ValueError naming `argument`."""
    is_int = lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, bool)  # noqa: E731
    pair = (value, value) if is_int(value) else value
    if not isinstance(pair, (tuple, list)) or len(pair) != 2 or not all(is_int(v) and v >= minimum for v in pair):
        raise ValueError(
            f"{argument} must be an integer of at least {minimum} or a pair of them. Received: {argument}={value!r}"
        )
    return int(pair[0]), int(pair[1])


def _check_rank(layer: Layer, shape, rank: int, dims: str) -> None:
    if len(shape) != rank:
        raise ValueError(
            f"{type(layer).__name__} layer '{layer.name}' expects inputs of rank {rank}, ({dims}). "
            f"Received: input_shape={tuple(shape)}"
        )


class UpSampling1D(Layer):
    """Repeats each timestep `size` times.

    Args:
        size: the repeat factor, a positive integer. Default 2.

    Input shape: `(batch, steps, features)`. Output shape: `(batch, steps * size, features)`.
    """

    def __init__(self, size: int = 2, **kwargs: Any):
        super().__init__(**kwargs)
        self.size = _int_pair(size, "size", minimum=1)[0]

    def build(self, input_shape) -> None:
        _check_rank(self, input_shape, 3, "batch, steps, features")
        self.built = True

    def call(self, inputs):
        return jnp.repeat(inputs, self.size, axis=1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size}


class UpSampling2D(Layer):
    """Enlarges images by `size`, repeating pixels (`"nearest"`) or interpolating them (`"bilinear"`).

    Args:
        size: the factors for rows and columns, an int or a pair. Default (2, 2).
        data_format: `"channels_last"` or None. Default None.
        interpolation: `"nearest"`, `"bilinear"`, `"bicubic"` or `"lanczos3"`/`"lanczos5"`. Default `"nearest"`.

    Input shape: `(batch, rows, cols, channels)`. Output shape: `(batch, rows * size[0], cols * size[1], channels)`.
    """

    _METHODS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5")

    def __init__(self, size=(2, 2), data_format: str | None = None, interpolation: str = "nearest", **kwargs: Any):
        super().__init__(**kwargs)
        self.size = _int_pair(size, "size", minimum=1)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"data_format must be 'channels_last' or None. Received: data_format={data_format!r}")
        self.data_format = "channels_last"
        if interpolation not in self._METHODS:
            raise ValueError(
                f"interpolation must be one of {list(self._METHODS)}. Received: interpolation={interpolation!r}"
            )
        self.interpolation = interpolation

    def build(self, input_shape) -> None:
        _check_rank(self, input_shape, 4, "batch, rows, cols, channels")
        self.built = True

    def call(self, inputs):
        if self.interpolation == "nearest":
            return jnp.repeat(jnp.repeat(inputs, self.size[0], axis=1), self.size[1], axis=2)
        batch, rows, cols, channels = inputs.shape
        shape = (batch, rows * self.size[0], cols * self.size[1], channels)
        return jax.image.resize(inputs, shape, method=self.interpolation).astype(inputs.dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "size": list(self.size),
            "data_format": self.data_format,
            "interpolation": self.interpolation,
        }


class ZeroPadding1D(Layer):
    """Adds zero timesteps at the start and end.

    Args:
        padding: an int (both ends) or a pair `(start, end)`. Default 1.

    Input shape: `(batch, steps, features)`. Output shape: `(batch, start + steps + end, features)`.
    """

    def __init__(self, padding=1, **kwargs: Any):
        super().__init__(**kwargs)
        self.padding = _int_pair(padding, "padding")

    def build(self, input_shape) -> None:
        _check_rank(self, input_shape, 3, "batch, steps, features")
        self.built = True

    def call(self, inputs):
        return jnp.pad(inputs, ((0, 0), self.padding, (0, 0)))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "padding": list(self.padding)}


def _pairs(value, argument: str) -> tuple[tuple[int, int], tuple[int, int]]:
    is_int = lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, bool)  # noqa: E731
    if is_int(value):
        value = ((value, value), (value, value))
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(is_int(v) for v in value):
        value = ((value[0], value[0]), (value[1], value[1]))
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(
            f"{argument} must be an int, a pair of ints, or a pair of pairs ((top, bottom), (left, right)). "
            f"Received: {argument}={value!r}"
        )
    return _int_pair(value[0], argument), _int_pair(value[1], argument)


class ZeroPadding2D(Layer):
    """Adds rows and columns of zeros around images.

    Args:
        padding: an int (all sides), a pair `(rows, cols)` (each on both sides), or
            `((top, bottom), (left, right))`. Default (1, 1).
        data_format: `"channels_last"` or None. Default None.

    Input shape: `(batch, rows, cols, channels)`. Output shape: `(batch, padded_rows, padded_cols, channels)`.
    """

    def __init__(self, padding=(1, 1), data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.padding = _pairs(padding, "padding")
        if data_format not in (None, "channels_last"):
            raise ValueError(f"data_format must be 'channels_last' or None. Received: data_format={data_format!r}")
        self.data_format = "channels_last"

    def build(self, input_shape) -> None:
        _check_rank(self, input_shape, 4, "batch, rows, cols, channels")
        self.built = True

    def call(self, inputs):
        return jnp.pad(inputs, ((0, 0), self.padding[0], self.padding[1], (0, 0)))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "padding": [list(p) for p in self.padding], "data_format": self.data_format}


class Cropping1D(Layer):
    """Drops timesteps at the start and end.

    Args:
        cropping: an int (both ends) or a pair `(start, end)`. Default (1, 1).

    Input shape: `(batch, steps, features)`. Output shape: `(batch, steps - start - end, features)`.
    """

    def __init__(self, cropping=(1, 1), **kwargs: Any):
        super().__init__(**kwargs)
        self.cropping = _int_pair(cropping, "cropping")

    def build(self, input_shape) -> None:
        _check_rank(self, input_shape, 3, "batch, steps, features")
        if input_shape[1] is not None and sum(self.cropping) >= input_shape[1]:
            raise ValueError(
                f"cropping removes all {input_shape[1]} timesteps. Received: cropping={self.cropping}, "
                f"input_shape={tuple(input_shape)}"
            )
        self.built = True

    def call(self, inputs):
        start, end = self.cropping
        return inputs[:, start : inputs.shape[1] - end]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "cropping": list(self.cropping)}


class Cropping2D(Layer):
    """Drops rows and columns at the borders of images.

    Args:
        cropping: an int (all sides), a pair `(rows, cols)` (each on both sides), or
            `((top, bottom), (left, right))`. Default ((0, 0), (0, 0)).
        data_format: `"channels_last"` or None. Default None.

    Input shape: `(batch, rows, cols, channels)`. Output shape: `(batch, cropped_rows, cropped_cols, channels)`.
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.cropping = _pairs(cropping, "cropping")
        if data_format not in (None, "channels_last"):
            raise ValueError(f"data_format must be 'channels_last' or None. Received: data_format={data_format!r}")
        self.data_format = "channels_last"

    def build(self, input_shape) -> None:
        _check_rank(self, input_shape, 4, "batch, rows, cols, channels")
        for size, crop in zip(input_shape[1:3], self.cropping):
            if size is not None and sum(crop) >= size:
                raise ValueError(
                    f"cropping removes a whole axis of the images. Received: cropping={self.cropping}, "
                    f"input_shape={tuple(input_shape)}"
                )
        self.built = True

    def call(self, inputs):
        (top, bottom), (left, right) = self.cropping
        return inputs[:, top : inputs.shape[1] - bottom, left : inputs.shape[2] - right]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "cropping": [list(c) for c in self.cropping], "data_format": self.data_format}


class RepeatVector(Layer):
    """Repeats a vector `n` times: `(batch, features)` -> `(batch, n, features)`.

    Args:
        n: the number of repeats, a positive integer.
    """

    def __init__(self, n: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.n = _int_pair(n, "n", minimum=1)[0]

    def build(self, input_shape) -> None:
        _check_rank(self, input_shape, 2, "batch, features")
        self.built = True

    def call(self, inputs):
        return jnp.repeat(inputs[:, None, :], self.n, axis=1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "n": self.n}


class Permute(Layer):
    """Reorders the axes of each example: `dims` is a permutation of 1..rank-1 (the batch axis stays).

    Args:
        dims: the new order of the non-batch axes, counted from 1; `(2, 1)` swaps the first two.

    Input shape: `(batch, d1, ..., dn)`. Output shape: the axes in the order of `dims`.
    """

    def __init__(self, dims, **kwargs: Any):
        super().__init__(**kwargs)
        try:
            order = tuple(int(d) for d in dims)
        except (TypeError, ValueError) as err:
            raise TypeError(f"dims must be a tuple of integers. Received: dims={dims!r}") from err
        if sorted(order) != list(range(1, len(order) + 1)):
            raise ValueError(f"dims must be a permutation of the integers 1..{len(order)}. Received: dims={dims!r}")
        self.dims = order

    def build(self, input_shape) -> None:
        if len(input_shape) != len(self.dims) + 1:
            raise ValueError(
                f"Permute layer '{self.name}' with dims={self.dims} expects inputs of rank {len(self.dims) + 1}. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        self.built = True

    def call(self, inputs):
        return jnp.transpose(inputs, (0,) + self.dims)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "dims": list(self.dims)}
