"""Transposed convolutions (`Conv1DTranspose`, `Conv2DTranspose`), channels-last, on `jax.lax.conv_transpose`."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from jeras.layers.convolutional import _SPATIAL, _Conv, normalize_tuple


def transpose_output_length(
    size: int | None, kernel: int, stride: int, padding: str, dilation: int, extra
) -> int | None:
    """The output length of a transposed convolution, as tf.keras 2 computes it (None when unknown)."""
    if size is None:
        return None
    span = (kernel - 1) * dilation + 1
    if extra is None:
        return size * stride + max(span - stride, 0) if padding == "valid" else size * stride
    pad = 0 if padding == "valid" else span // 2
    return (size - 1) * stride + span - 2 * pad + extra


class _ConvTranspose(_Conv):
    """The gradient of a convolution with respect to its input, with a kernel `(*window, filters, channels)`."""

    def __init__(
        self, filters: int, kernel_size, strides, padding, output_padding, data_format, dilation_rate, **kwargs
    ):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, 1, **kwargs)
        if output_padding is None:
            self.output_padding = None
        else:
            self.output_padding = tuple(
                v - 1
                for v in normalize_tuple(
                    jax.tree_util.tree_map(lambda v: v + 1, output_padding), self._rank, "output_padding"
                )
            )
            if any(p >= s for p, s in zip(self.output_padding, self.strides)):
                raise ValueError(
                    f"output_padding must be smaller than strides {self.strides}. "
                    f"Received: output_padding={output_padding!r}"
                )

    def _check_input_shape(self, input_shape) -> int:
        rank = self._rank
        if len(input_shape) != rank + 2 or input_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects inputs of rank {rank + 2}, "
                f"(batch, {', '.join(_SPATIAL[rank])}, channels), with known channels. Received: input_shape={tuple(input_shape)}"
            )
        return int(input_shape[-1])

    def build(self, input_shape) -> None:
        channels = self._check_input_shape(input_shape)
        self.kernel = self.add_weight(
            "kernel",
            self.kernel_size + (self.filters, channels),
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

    def _padding(self, sizes) -> list[tuple[int, int]]:
        # Padding of the stride-dilated input that gives tf.keras 2's output length; "same" puts
        # the odd cell at the end, as the forward convolution it transposes pads.
        pads = []
        extras = self.output_padding or (None,) * self._rank
        for size, kernel, stride, dilation, extra in zip(
            sizes, self.kernel_size, self.strides, self.dilation_rate, extras
        ):
            span = (kernel - 1) * dilation + 1
            out = transpose_output_length(size, kernel, stride, self.padding, dilation, extra)
            forward_pad = 0 if self.padding == "valid" else max((size - 1) * stride + span - out, 0) // 2
            low = span - 1 - forward_pad
            high = out + span - 2 - (size - 1) * stride - low
            pads.append((low, high))
        return pads

    def call(self, inputs):
        kernel = self.kernel.value
        if inputs.ndim != self._rank + 2 or inputs.shape[-1] != kernel.shape[-1]:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects inputs of rank {self._rank + 2} with "
                f"{kernel.shape[-1]} channels. Received: inputs with shape {tuple(inputs.shape)}"
            )
        if not jnp.issubdtype(inputs.dtype, jnp.floating):
            inputs = inputs.astype(kernel.dtype)
        spatial = _SPATIAL[self._rank]
        outputs = jax.lax.conv_transpose(
            inputs,
            kernel,
            strides=self.strides,
            padding=self._padding(inputs.shape[1:-1]),
            rhs_dilation=self.dilation_rate,
            dimension_numbers=(f"N{spatial}C", f"{spatial}IO", f"N{spatial}C"),
            transpose_kernel=True,
        )
        if self.bias is not None:
            outputs = outputs + self.bias.value
        return self.activation(outputs)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("groups")
        config["output_padding"] = None if self.output_padding is None else list(self.output_padding)
        return config


_DOC = """A transposed ("deconvolution") {rank}-D convolution: it maps each input cell to a window of outputs,
    the gradient of `Conv{rank}D` with respect to its input; used to upsample.

    Args:
        filters: the number of output channels, a positive integer.
        kernel_size: the window size, an int or a tuple of {rank} ints.
        strides: the upsampling step, an int or a tuple of {rank} ints. Default 1.
        padding: `"valid"` (output `size * stride + max(kernel - stride, 0)`) or `"same"` (output
            `size * stride`). Default `"valid"`.
        output_padding: extra cells at the end of each axis, each smaller than its stride; when
            given, the output is `(size - 1) * stride + kernel - 2 * (kernel // 2 if "same" else 0) +
            output_padding`. Default None.
        data_format: `"channels_last"` or None (the same). Default None.
        dilation_rate: the spacing of kernel taps. Default 1.
        activation: default None (linear). use_bias: default True.
        kernel_initializer: default `"glorot_uniform"`. bias_initializer: default `"zeros"`.
        kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
            bias_constraint: default None.

    The kernel has shape `(*kernel_size, filters, input_channels)`, as in tf.keras.

    Input shape: `(batch, {dims}, channels)`. Output shape: `(batch, {new_dims}, filters)`.
    """


class Conv1DTranspose(_ConvTranspose):
    __doc__ = _DOC.format(rank=1, dims="steps", new_dims="new_steps")
    _rank = 1

    def __init__(
        self,
        filters: int,
        kernel_size,
        strides=1,
        padding: str = "valid",
        output_padding=None,
        data_format: str | None = None,
        dilation_rate=1,
        **kwargs: Any,
    ):
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format, dilation_rate, **kwargs)


class Conv2DTranspose(_ConvTranspose):
    __doc__ = (
        _DOC.format(rank=2, dims="rows, cols", new_dims="new_rows, new_cols")
        + """
    Example:
        >>> Conv2DTranspose(3, 3, strides=2, padding="same")(np.ones((1, 7, 7, 8))).shape
        (1, 14, 14, 3)
    """
    )
    _rank = 2

    def __init__(
        self,
        filters: int,
        kernel_size,
        strides=(1, 1),
        padding: str = "valid",
        output_padding=None,
        data_format: str | None = None,
        dilation_rate=(1, 1),
        **kwargs: Any,
    ):
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format, dilation_rate, **kwargs)
