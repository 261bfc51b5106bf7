"""Layers that only rearrange values: `Flatten` and `Reshape`."""

from __future__ import annotations

import math
from typing import Any

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
