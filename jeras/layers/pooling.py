"""Pooling layers (channels-last): max and average pooling over windows, and global pooling, in 1, 2 and 3 D."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from jeras.layers.convolution_ops import pool
from jeras.layers.convolutional import (
    _SPATIAL,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
    output_length,
)
from jeras.layers.layer import Layer


class _Pooling(Layer):
    """Pools windows of `pool_size` with steps of `strides` over the `_rank` spatial axes."""

    _rank = 2

    def __init__(self, pool_size, strides=None, padding: str = "valid", data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.pool_size = normalize_tuple(pool_size, self._rank, "pool_size")
        self.strides = self.pool_size if strides is None else normalize_tuple(strides, self._rank, "strides")
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)

    def build(self, input_shape) -> None:
        name = f"{type(self).__name__} layer '{self.name}'"
        if len(input_shape) != self._rank + 2:
            raise ValueError(
                f"{name} expects inputs of rank {self._rank + 2}, (batch, {', '.join(_SPATIAL[self._rank])}, channels). "
                f"Received: input_shape={tuple(input_shape)}"
            )
        for size, window, stride in zip(input_shape[1:-1], self.pool_size, self.strides):
            out = output_length(size, window, stride, self.padding)
            if out is not None and out <= 0:
                raise ValueError(
                    f"{name} with pool_size={self.pool_size} and padding='{self.padding}' would produce an empty "
                    f"output for inputs of this size. Received: input_shape={tuple(input_shape)}"
                )
        self.built = True

    def _check_rank(self, inputs) -> None:
        if inputs.ndim != self._rank + 2:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects inputs of rank {self._rank + 2}. "
                f"Received: inputs with shape {tuple(inputs.shape)}"
            )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "pool_size": list(self.pool_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
        }


class _MaxPooling(_Pooling):
    def call(self, inputs):
        self._check_rank(inputs)
        if not jnp.issubdtype(inputs.dtype, jnp.floating):
            inputs = inputs.astype(self.dtype)
        return pool(inputs, self.pool_size, self.strides, self.padding.upper(), "max")


class _AveragePooling(_Pooling):
    def call(self, inputs):
        self._check_rank(inputs)
        if not jnp.issubdtype(inputs.dtype, jnp.floating):
            inputs = inputs.astype(self.dtype)
        # With "same" padding, windows at the border average over the real cells only, as in tf.keras.
        return pool(inputs, self.pool_size, self.strides, self.padding.upper(), "average")


class MaxPooling1D(_MaxPooling):
    """Takes the maximum over windows of `pool_size` steps.

    Args:
        pool_size: the window size, an int or a tuple of 1 int. Default 2.
        strides: the step between windows. Default None (`pool_size`: windows do not overlap).
        padding: `"valid"` (only whole windows) or `"same"` (pad so the output size is
            `ceil(steps / stride)`). Default `"valid"`.
        data_format: `"channels_last"` or None (the same). Default `"channels_last"`.

    Input shape: `(batch, steps, channels)`. Output shape: `(batch, new_steps, channels)`.
    """

    _rank = 1

    def __init__(
        self, pool_size=2, strides=None, padding: str = "valid", data_format: str | None = "channels_last", **kwargs
    ):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(_MaxPooling):
    """Takes the maximum over windows of `pool_size` pixels.

    Args:
        pool_size: the window size, an int or a tuple of 2 ints. Default (2, 2).
        strides: the step between windows, an int or a tuple of 2 ints. Default None
            (`pool_size`: windows do not overlap).
        padding: `"valid"` (only whole windows) or `"same"` (pad so the output size is
            `ceil(size / stride)`). Default `"valid"`.
        data_format: `"channels_last"` or None (the same). Default None.

    Input shape: `(batch, rows, cols, channels)`. Output shape: `(batch, new_rows, new_cols, channels)`.

    Example:
        >>> MaxPooling2D()(np.ones((1, 28, 28, 3))).shape
        (1, 14, 14, 3)
    """

    _rank = 2

    def __init__(
        self, pool_size=(2, 2), strides=None, padding: str = "valid", data_format: str | None = None, **kwargs
    ):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(_MaxPooling):
    """Takes the maximum over windows of `pool_size` voxels.

    Args:
        pool_size: the window size, an int or a tuple of 3 ints. Default (2, 2, 2).
        strides: the step between windows, an int or a tuple of 3 ints. Default None
            (`pool_size`: windows do not overlap).
        padding: `"valid"` (only whole windows) or `"same"` (pad so the output size is
            `ceil(size / stride)`). Default `"valid"`.
        data_format: `"channels_last"` or None (the same). Default None.

    Input shape: `(batch, depth, rows, cols, channels)`. Output shape: `(batch, new_depth, new_rows, new_cols, channels)`.
    """

    _rank = 3

    def __init__(
        self, pool_size=(2, 2, 2), strides=None, padding: str = "valid", data_format: str | None = None, **kwargs
    ):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(_AveragePooling):
    """Averages over windows of `pool_size` steps; with `"same"` padding, border windows average their real cells only.

    Args:
        pool_size: the window size, an int or a tuple of 1 int. Default 2.
        strides: the step between windows. Default None (`pool_size`: windows do not overlap).
        padding: `"valid"` or `"same"`. Default `"valid"`.
        data_format: `"channels_last"` or None (the same). Default `"channels_last"`.

    Input shape: `(batch, steps, channels)`. Output shape: `(batch, new_steps, channels)`.
    """

    _rank = 1

    def __init__(
        self, pool_size=2, strides=None, padding: str = "valid", data_format: str | None = "channels_last", **kwargs
    ):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(_AveragePooling):
    """Averages over windows of `pool_size` pixels; with `"same"` padding, border windows average their real cells only.

    Args:
        pool_size: the window size, an int or a tuple of 2 ints. Default (2, 2) (tf.keras 2's
            default; Keras 3 makes it required).
        strides: the step between windows, an int or a tuple of 2 ints. Default None
            (`pool_size`: windows do not overlap).
        padding: `"valid"` or `"same"`. Default `"valid"`.
        data_format: `"channels_last"` or None (the same). Default None.

    Input shape: `(batch, rows, cols, channels)`. Output shape: `(batch, new_rows, new_cols, channels)`.
    """

    _rank = 2

    def __init__(
        self, pool_size=(2, 2), strides=None, padding: str = "valid", data_format: str | None = None, **kwargs
    ):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling3D(_AveragePooling):
    """Averages over windows of `pool_size` voxels; with `"same"` padding, border windows average their real cells only.

    Args:
        pool_size: the window size, an int or a tuple of 3 ints. Default (2, 2, 2).
        strides: the step between windows, an int or a tuple of 3 ints. Default None
            (`pool_size`: windows do not overlap).
        padding: `"valid"` or `"same"`. Default `"valid"`.
        data_format: `"channels_last"` or None (the same). Default None.

    Input shape: `(batch, depth, rows, cols, channels)`. Output shape: `(batch, new_depth, new_rows, new_cols, channels)`.
    """

    _rank = 3

    def __init__(
        self, pool_size=(2, 2, 2), strides=None, padding: str = "valid", data_format: str | None = None, **kwargs
    ):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class _GlobalPooling(Layer):
    """Reduces the `_rank` spatial axes of channels-last inputs."""

    _rank = 2

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format)
        self.keepdims = bool(keepdims)

    def build(self, input_shape) -> None:
        if len(input_shape) != self._rank + 2:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects inputs of rank {self._rank + 2}, "
                f"(batch, {', '.join(_SPATIAL[self._rank])}, channels). Received: input_shape={tuple(input_shape)}"
            )
        self.built = True

    def call(self, inputs):
        if inputs.ndim != self._rank + 2:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects inputs of rank {self._rank + 2}. "
                f"Received: inputs with shape {tuple(inputs.shape)}"
            )
        if not jnp.issubdtype(inputs.dtype, jnp.floating):
            inputs = inputs.astype(self.dtype)
        return self._op(inputs, axis=tuple(range(1, self._rank + 1)), keepdims=self.keepdims)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


def _global_doc(kind: str, rank: int, dims: str) -> str:
    keep = ", ".join("1" for _ in range(rank))
    data_format = '`"channels_last"`' if rank == 1 else "None"
    return f"""Takes the {kind} over the spatial axes of each channel.

    Args:
        data_format: `"channels_last"` or None (the same). Default {data_format}.
        keepdims: whether to keep the spatial axes with size 1. Default False.

    Input shape: `(batch, {dims}, channels)`. Output shape: `(batch, channels)`, or
    `(batch, {keep}, channels)` with `keepdims=True`.
    """


class GlobalAveragePooling1D(_GlobalPooling):
    __doc__ = (
        _global_doc("mean", 1, "steps")
        + """
    With a timestep mask (from `Embedding(mask_zero=True)` or `Masking` before it, or `mask=`), the
    mean is over the unmasked steps only, as in tf.keras 2.
    """
    )
    _rank = 1
    _op = staticmethod(jnp.mean)

    def __init__(self, data_format: str | None = "channels_last", keepdims: bool = False, **kwargs: Any):
        super().__init__(data_format, keepdims, **kwargs)

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        if not jnp.issubdtype(inputs.dtype, jnp.floating):
            inputs = inputs.astype(self.dtype)
        weights = jnp.asarray(mask).astype(inputs.dtype)[..., None]
        total = jnp.sum(inputs * weights, axis=1, keepdims=self.keepdims)
        return total / jnp.sum(weights, axis=1, keepdims=self.keepdims)


class GlobalAveragePooling2D(_GlobalPooling):
    __doc__ = _global_doc("mean", 2, "rows, cols")
    _rank = 2
    _op = staticmethod(jnp.mean)


class GlobalAveragePooling3D(_GlobalPooling):
    __doc__ = _global_doc("mean", 3, "depth, rows, cols")
    _rank = 3
    _op = staticmethod(jnp.mean)


class GlobalMaxPooling1D(_GlobalPooling):
    __doc__ = _global_doc("maximum", 1, "steps")
    _rank = 1
    _op = staticmethod(jnp.max)

    def __init__(self, data_format: str | None = "channels_last", keepdims: bool = False, **kwargs: Any):
        super().__init__(data_format, keepdims, **kwargs)


class GlobalMaxPooling2D(_GlobalPooling):
    __doc__ = _global_doc("maximum", 2, "rows, cols")
    _rank = 2
    _op = staticmethod(jnp.max)


class GlobalMaxPooling3D(_GlobalPooling):
    __doc__ = _global_doc("maximum", 3, "depth, rows, cols")
    _rank = 3
    _op = staticmethod(jnp.max)
