"""Convolution layers: `Conv1D`, `Conv2D`, `Conv3D` (channels-last), on `convolution_ops.convolve`.

Also the argument checks the pooling layers share: `normalize_tuple`, `normalize_padding`,
`normalize_data_format`.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from jeras import activations, constraints, initializers, regularizers
from jeras.backend import image_data_format
from jeras.layers.convolution_ops import convolve
from jeras.layers.layer import Layer

_SPATIAL = {1: "W", 2: "HW", 3: "DHW"}


def normalize_tuple(value, rank: int, argument: str) -> tuple[int, ...]:
    """Returns `value` as a tuple of `rank` positive ints (an int is repeated), or raises naming `argument`."""
    is_int = lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, bool)  # noqa: E731
    values = (value,) * rank if is_int(value) else value
    if not isinstance(values, (tuple, list)) or len(values) != rank or not all(is_int(v) and v > 0 for v in values):
        raise ValueError(
            f"{argument} must be a positive integer or a tuple of {rank} positive integers. "
            f"Received: {argument}={value!r}"
        )
    return tuple(int(v) for v in values)


def normalize_padding(padding, allowed: tuple[str, ...] = ("valid", "same")) -> str:
    """Returns `padding` in lower case, or raises a ValueError when it is not one of `allowed`."""
    if not isinstance(padding, str) or padding.lower() not in allowed:
        raise ValueError(f"padding must be one of {list(allowed)}. Received: padding={padding!r}")
    return padding.lower()


def normalize_data_format(data_format) -> str:
    """Returns `"channels_last"` for None or `"channels_last"`; jeras supports no other image layout."""
    if data_format is None:
        return image_data_format()
    if data_format != "channels_last":
        raise ValueError(
            f"data_format must be 'channels_last' (the only layout jeras supports) or None. "
            f"Received: data_format={data_format!r}"
        )
    return data_format


def output_length(size: int | None, window: int, stride: int, padding: str, dilation: int = 1) -> int | None:
    """The output size of one spatial axis, as TensorFlow computes it (None when unknown)."""
    if size is None:
        return None
    if padding in ("same", "causal"):
        return -(-size // stride)
    return -(-(size - (window - 1) * dilation) // stride)


class _Conv(Layer):
    """An N-D convolution: `activation(conv(inputs, kernel) + bias)`, N = `_rank`."""

    _rank = 2

    def __init__(
        self,
        filters: int,
        kernel_size,
        strides=1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate=1,
        groups: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) or filters <= 0:
            raise ValueError(f"filters must be a positive integer. Received: filters={filters!r}")
        if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups <= 0:
            raise ValueError(f"groups must be a positive integer. Received: groups={groups!r}")
        if filters % groups:
            raise ValueError(f"filters must be divisible by groups. Received: filters={filters!r}, groups={groups!r}")
        rank = self._rank
        self.filters = int(filters)
        self.groups = int(groups)
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = normalize_tuple(strides, rank, "strides")
        self.padding = normalize_padding(padding, ("valid", "same", "causal") if rank == 1 else ("valid", "same"))
        self.data_format = normalize_data_format(data_format)
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                "strides greater than 1 cannot be combined with dilation_rate greater than 1. "
                f"Received: strides={self.strides}, dilation_rate={self.dilation_rate}"
            )
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def _check_input_shape(self, input_shape) -> int:
        """Checks rank, channels and output sizes; returns the number of input channels."""
        rank = self._rank
        name = f"{type(self).__name__} layer '{self.name}'"
        if len(input_shape) != rank + 2:
            raise ValueError(
                f"{name} expects inputs of rank {rank + 2}, (batch, {', '.join(_SPATIAL[rank])}, channels). "
                f"Received: input_shape={tuple(input_shape)}"
            )
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(f"{name} needs the channel axis to be known. Received: input_shape={tuple(input_shape)}")
        if channels % self.groups:
            raise ValueError(
                f"{name} needs input channels divisible by groups={self.groups}. Received: input_shape={tuple(input_shape)}"
            )
        for size, window, stride, dilation in zip(
            input_shape[1:-1], self.kernel_size, self.strides, self.dilation_rate
        ):
            out = output_length(size, window, stride, self.padding, dilation)
            if out is not None and out <= 0:
                raise ValueError(
                    f"{name} with kernel_size={self.kernel_size} and padding='{self.padding}' would produce an empty "
                    f"output for inputs of this size. Received: input_shape={tuple(input_shape)}"
                )
        return int(channels)

    def build(self, input_shape) -> None:
        channels = self._check_input_shape(input_shape)
        self.kernel = self.add_weight(
            "kernel",
            self.kernel_size + (channels // self.groups, self.filters),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                "bias",
                (self.filters,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.built = True

    def call(self, inputs):
        kernel = self.kernel.value
        expected = kernel.shape[-2] * self.groups
        if inputs.ndim != self._rank + 2 or inputs.shape[-1] != expected:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects inputs of rank {self._rank + 2} with "
                f"{expected} channels. Received: inputs with shape {tuple(inputs.shape)}"
            )
        if not jnp.issubdtype(inputs.dtype, jnp.floating):
            inputs = inputs.astype(kernel.dtype)
        padding = self.padding.upper()
        if self.padding == "causal":
            # Pad the start only, so that output t sees inputs up to t and no later.
            left = (self.kernel_size[0] - 1) * self.dilation_rate[0]
            inputs = jnp.pad(inputs, ((0, 0), (left, 0), (0, 0)))
            padding = "VALID"
        # jeras' own VJP: XLA:CPU runs JAX's kernel gradient slowly inside the training loop (see convolution_ops).
        outputs = convolve(inputs, kernel, self.strides, padding, self.dilation_rate, self.groups)
        if self.bias is not None:
            outputs = outputs + self.bias.value
        return self.activation(outputs)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            "groups": self.groups,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


class Conv1D(_Conv):
    """A 1-D convolution over channels-last inputs: `activation(conv(inputs, kernel) + bias)`.

    Args:
        filters: the number of output channels, a positive integer.
        kernel_size: the window size, an int or a 1-tuple.
        strides: the step between windows, an int or a 1-tuple. Default 1.
        padding: `"valid"` (no padding), `"same"` or `"causal"`. `"same"` pads so that the output size is
            `ceil(size / stride)`, any odd padding at the end, as TensorFlow does.
            `"causal"` pads the start only, so output `t` depends on inputs up to `t`.
            Default `"valid"`.
        data_format: `"channels_last"` or None (the same). Default None.
        dilation_rate: the spacing of kernel taps, an int or a 1-tuple; cannot be
            combined with strides above 1. Default 1.
        groups: the number of channel groups convolved separately; divides the input channels
            and `filters`. Default 1.
        activation: activation name or callable; default None (linear).
        use_bias: whether to add a bias vector. Default True.
        kernel_initializer: default `"glorot_uniform"`.
        bias_initializer: default `"zeros"`.
        kernel_regularizer, bias_regularizer, activity_regularizer: optional penalties. Default None.
        kernel_constraint, bias_constraint: optional constraints. Default None.

    Input shape: `(batch, steps, channels)`. Output shape: `(batch, new_steps, filters)`, each
    spatial size `ceil((size - dilation * (kernel - 1)) / stride)` for `"valid"` padding.

    Example:
        >>> Conv1D(4, 3, padding="causal")(np.ones((2, 10, 3))).shape
        (2, 10, 4)
    """

    _rank = 1

    def __init__(
        self,
        filters: int,
        kernel_size,
        strides=1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate=1,
        groups: int = 1,
        **kwargs: Any,
    ):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, groups, **kwargs)


class Conv2D(_Conv):
    """A 2-D convolution over channels-last inputs: `activation(conv(inputs, kernel) + bias)`.

    Args:
        filters: the number of output channels, a positive integer.
        kernel_size: the window size, an int or a tuple of 2 ints.
        strides: the step between windows, an int or a tuple of 2 ints. Default (1, 1).
        padding: `"valid"` (no padding) or `"same"`. `"same"` pads so that the output size is
            `ceil(size / stride)`, any odd padding at the end, as TensorFlow does.
            Default `"valid"`.
        data_format: `"channels_last"` or None (the same). Default None.
        dilation_rate: the spacing of kernel taps, an int or a tuple of 2 ints; cannot be
            combined with strides above 1. Default (1, 1).
        groups: the number of channel groups convolved separately; divides the input channels
            and `filters`. Default 1.
        activation: activation name or callable; default None (linear).
        use_bias: whether to add a bias vector. Default True.
        kernel_initializer: default `"glorot_uniform"`.
        bias_initializer: default `"zeros"`.
        kernel_regularizer, bias_regularizer, activity_regularizer: optional penalties. Default None.
        kernel_constraint, bias_constraint: optional constraints. Default None.

    Input shape: `(batch, rows, cols, channels)`. Output shape: `(batch, new_rows, new_cols, filters)`, each
    spatial size `ceil((size - dilation * (kernel - 1)) / stride)` for `"valid"` padding.

    Example:
        >>> Conv2D(8, 3, activation="relu")(np.ones((2, 28, 28, 1))).shape
        (2, 26, 26, 8)
    """

    _rank = 2

    def __init__(
        self,
        filters: int,
        kernel_size,
        strides=(1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate=(1, 1),
        groups: int = 1,
        **kwargs: Any,
    ):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, groups, **kwargs)


class Conv3D(_Conv):
    """A 3-D convolution over channels-last inputs: `activation(conv(inputs, kernel) + bias)`.

    Args:
        filters: the number of output channels, a positive integer.
        kernel_size: the window size, an int or a tuple of 3 ints.
        strides: the step between windows, an int or a tuple of 3 ints. Default (1, 1, 1).
        padding: `"valid"` (no padding) or `"same"`. `"same"` pads so that the output size is
            `ceil(size / stride)`, any odd padding at the end, as TensorFlow does.
            Default `"valid"`.
        data_format: `"channels_last"` or None (the same). Default None.
        dilation_rate: the spacing of kernel taps, an int or a tuple of 3 ints; cannot be
            combined with strides above 1. Default (1, 1, 1).
        groups: the number of channel groups convolved separately; divides the input channels
            and `filters`. Default 1.
        activation: activation name or callable; default None (linear).
        use_bias: whether to add a bias vector. Default True.
        kernel_initializer: default `"glorot_uniform"`.
        bias_initializer: default `"zeros"`.
        kernel_regularizer, bias_regularizer, activity_regularizer: optional penalties. Default None.
        kernel_constraint, bias_constraint: optional constraints. Default None.

    Input shape: `(batch, depth, rows, cols, channels)`. Output shape: `(batch, new_depth, new_rows, new_cols, filters)`, each
    spatial size `ceil((size - dilation * (kernel - 1)) / stride)` for `"valid"` padding.

    Example:
        >>> Conv3D(2, 3)(np.ones((1, 5, 5, 5, 1))).shape
        (1, 3, 3, 3, 2)
    """

    _rank = 3

    def __init__(
        self,
        filters: int,
        kernel_size,
        strides=(1, 1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate=(1, 1, 1),
        groups: int = 1,
        **kwargs: Any,
    ):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, groups, **kwargs)
