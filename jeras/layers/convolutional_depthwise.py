"""Depthwise and separable convolutions (channels-last): `DepthwiseConv2D`, `SeparableConv1D`, `SeparableConv2D`.

A depthwise convolution filters each input channel on its own (`depth_multiplier` filters per
channel), one grouped `jax.lax.conv_general_dilated` with a group per channel; a separable one
follows it with a 1x1 ("pointwise") convolution that mixes the channels.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from jeras import activations, constraints, initializers, regularizers
from jeras.layers.convolution_ops import convolve
from jeras.layers.convolutional import (
    _SPATIAL,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
    output_length,
)
from jeras.layers.layer import Layer
from jeras.layers.recurrent import check_positive_int


class _DepthwiseBase(Layer):
    """Shared settings and the depthwise step of the depthwise and separable convolutions."""

    _rank = 2

    def __init__(
        self,
        kernel_size,
        strides,
        padding: str,
        data_format: str | None,
        dilation_rate,
        depth_multiplier: int,
        activation: Any,
        use_bias: bool,
        depthwise_initializer: Any,
        bias_initializer: Any,
        depthwise_regularizer: Any,
        bias_regularizer: Any,
        activity_regularizer: Any,
        depthwise_constraint: Any,
        bias_constraint: Any,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        rank = self._rank
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
        self.depth_multiplier = check_positive_int(depth_multiplier, "depth_multiplier")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def _channels(self, input_shape) -> int:
        rank, name = self._rank, f"{type(self).__name__} layer '{self.name}'"
        if len(input_shape) != rank + 2 or input_shape[-1] is None:
            raise ValueError(
                f"{name} expects inputs of rank {rank + 2}, (batch, {', '.join(_SPATIAL[rank])}, channels), with "
                f"known channels. Received: input_shape={tuple(input_shape)}"
            )
        for size, window, stride, dilation in zip(
            input_shape[1:-1], self.kernel_size, self.strides, self.dilation_rate
        ):
            out = output_length(size, window, stride, self.padding, dilation)
            if out is not None and out <= 0:
                raise ValueError(
                    f"{name} with kernel_size={self.kernel_size} would produce an empty output. "
                    f"Received: input_shape={tuple(input_shape)}"
                )
        return int(input_shape[-1])

    def _build_depthwise(self, channels: int) -> None:
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel",
            self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )

    def _check_inputs(self, inputs):
        channels = self.depthwise_kernel.shape[-2]
        if inputs.ndim != self._rank + 2 or inputs.shape[-1] != channels:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects inputs of rank {self._rank + 2} with {channels} "
                f"channels. Received: inputs with shape {tuple(inputs.shape)}"
            )
        return inputs if jnp.issubdtype(inputs.dtype, jnp.floating) else inputs.astype(self.dtype)

    def _depthwise(self, inputs):
        kernel = self.depthwise_kernel.value
        channels = kernel.shape[-2]
        padding = self.padding.upper()
        if self.padding == "causal":
            inputs = jnp.pad(inputs, ((0, 0), ((self.kernel_size[0] - 1) * self.dilation_rate[0], 0), (0, 0)))
            padding = "VALID"
        kernel = kernel.reshape(self.kernel_size + (1, channels * self.depth_multiplier))
        return convolve(inputs, kernel, self.strides, padding, self.dilation_rate, groups=channels)

    def _add_bias(self, outputs):
        return self.activation(outputs + self.bias.value if self.bias is not None else outputs)

    def _make_bias(self, size: int) -> None:
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                "bias",
                (size,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            "depth_multiplier": self.depth_multiplier,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


class DepthwiseConv2D(_DepthwiseBase):
    """Convolves each input channel separately with `depth_multiplier` filters of its own.

    Args:
        kernel_size: the window size, an int or a tuple of 2 ints.
        strides: an int or a tuple of 2 ints. Default (1, 1).
        padding: `"valid"` or `"same"`. Default `"valid"`.
        depth_multiplier: filters per input channel. Default 1.
        data_format: `"channels_last"` or None. Default None.
        dilation_rate: an int or a tuple of 2 ints. Default (1, 1).
        activation: default None (linear). use_bias: default True.
        depthwise_initializer: default `"glorot_uniform"`. bias_initializer: default `"zeros"`.
        depthwise_regularizer, bias_regularizer, activity_regularizer, depthwise_constraint,
            bias_constraint: default None.

    The kernel `depthwise_kernel` has shape `(rows, cols, channels, depth_multiplier)`.

    Input shape: `(batch, rows, cols, channels)`. Output shape: `(batch, new_rows, new_cols,
    channels * depth_multiplier)`.

    Example:
        >>> DepthwiseConv2D(3, depth_multiplier=2)(np.ones((1, 8, 8, 3))).shape
        (1, 6, 6, 6)
    """

    def __init__(
        self,
        kernel_size,
        strides=(1, 1),
        padding: str = "valid",
        depth_multiplier: int = 1,
        data_format: str | None = None,
        dilation_rate=(1, 1),
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ):
        super().__init__(
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            depth_multiplier,
            activation,
            use_bias,
            depthwise_initializer,
            bias_initializer,
            depthwise_regularizer,
            bias_regularizer,
            activity_regularizer,
            depthwise_constraint,
            bias_constraint,
            **kwargs,
        )

    def build(self, input_shape) -> None:
        channels = self._channels(input_shape)
        self._build_depthwise(channels)
        self._make_bias(channels * self.depth_multiplier)
        self.built = True

    def call(self, inputs):
        return self._add_bias(self._depthwise(self._check_inputs(inputs)))


class _SeparableConv(_DepthwiseBase):
    def __init__(
        self,
        filters: int,
        kernel_size,
        strides=1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate=1,
        depth_multiplier: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        pointwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        pointwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        pointwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ):
        super().__init__(
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            depth_multiplier,
            activation,
            use_bias,
            depthwise_initializer,
            bias_initializer,
            depthwise_regularizer,
            bias_regularizer,
            activity_regularizer,
            depthwise_constraint,
            bias_constraint,
            **kwargs,
        )
        self.filters = check_positive_int(filters, "filters")
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape) -> None:
        channels = self._channels(input_shape)
        self._build_depthwise(channels)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel",
            (1,) * self._rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer,
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
        )
        self._make_bias(self.filters)
        self.built = True

    def call(self, inputs):
        depthwise = self._depthwise(self._check_inputs(inputs))
        pointwise = self.pointwise_kernel.value.reshape(self.pointwise_kernel.shape[-2:])
        return self._add_bias(depthwise @ pointwise)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
        }


_SEPARABLE_DOC = """A depthwise convolution (each channel filtered on its own) followed by a pointwise 1x1 one.

    Args:
        filters: the number of output channels, a positive integer.
        kernel_size: the window size, an int or a tuple of {rank} ints.
        strides: an int or a tuple of {rank} ints. Default 1.
        padding: `"valid"` or `"same"`{causal}. Default `"valid"`.
        data_format: `"channels_last"` or None. Default None.
        dilation_rate: an int or a tuple of {rank} ints. Default 1.
        depth_multiplier: depthwise filters per input channel. Default 1.
        activation: default None (linear). use_bias: default True.
        depthwise_initializer, pointwise_initializer: default `"glorot_uniform"`. bias_initializer:
            default `"zeros"`.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer, activity_regularizer,
            depthwise_constraint, pointwise_constraint, bias_constraint: default None.

    Weights: `depthwise_kernel` `(*kernel_size, channels, depth_multiplier)`, `pointwise_kernel`
    `({ones}channels * depth_multiplier, filters)`, `bias` `(filters,)`.

    Input shape: `(batch, {dims}, channels)`. Output shape: `(batch, {new_dims}, filters)`.
    """


class SeparableConv1D(_SeparableConv):
    __doc__ = _SEPARABLE_DOC.format(rank=1, causal=' or `"causal"`', ones="1, ", dims="steps", new_dims="new_steps")
    _rank = 1


class SeparableConv2D(_SeparableConv):
    __doc__ = _SEPARABLE_DOC.format(rank=2, causal="", ones="1, 1, ", dims="rows, cols", new_dims="new_rows, new_cols")
    _rank = 2

    def __init__(
        self,
        filters: int,
        kernel_size,
        strides=(1, 1),
        padding: str = "valid",
        data_format=None,
        dilation_rate=(1, 1),
        **kwargs: Any,
    ):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, **kwargs)
