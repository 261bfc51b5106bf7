"""Activation layers: `ReLU`, `LeakyReLU`, `PReLU`, `ELU`, `ThresholdedReLU`, `Softmax`.

Each applies one activation with its own settings (and `PReLU` learns its slopes), with the
names, arguments and defaults of tf.keras 2.x. Where Keras 3 renamed an argument (`alpha` ->
`negative_slope`), both names are accepted; `ThresholdedReLU`, dropped by Keras 3, is kept.
"""

from __future__ import annotations

import math
from typing import Any

import jax.numpy as jnp
import numpy as np

from jeras import activations, constraints, initializers, regularizers
from jeras.layers.layer import Layer


def _number(value: Any, argument: str, *, minimum: float | None = None) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    ok = ok and math.isfinite(value) and (minimum is None or value >= minimum)
    if not ok:
        expected = "a finite number" + ("" if minimum is None else f" >= {minimum}")
        raise ValueError(f"{argument} must be {expected}. Received: {argument}={value!r}")
    return float(value)


def _slope(alpha: Any, negative_slope: Any, default: float) -> float:
    """tf.keras 2.x's `alpha`, or Keras 3's `negative_slope` (only one may be given)."""
    if alpha is not None and negative_slope is not None:
        raise ValueError(
            "Pass the slope as `alpha` (tf.keras 2.x) or `negative_slope` (Keras 3), not both. "
            f"Received: alpha={alpha!r}, negative_slope={negative_slope!r}"
        )
    value = alpha if alpha is not None else negative_slope
    return default if value is None else _number(value, "alpha" if alpha is not None else "negative_slope", minimum=0)


class ReLU(Layer):
    """Rectified linear unit: `x` above `threshold` (capped at `max_value`), else `negative_slope * (x - threshold)`.

    Args:
        max_value: the cap of the output, a number >= 0, or None for no cap. Default None.
        negative_slope: the slope below the threshold, >= 0. Default 0.0.
        threshold: the value below which the output is damped. Default 0.0.

    Input shape: any. Output shape: same as input.

    Example:
        >>> ReLU(max_value=6.0)(np.array([-1.0, 3.0, 9.0]))  # [0., 3., 6.]
    """

    supports_masking = True

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0, threshold: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = None if max_value is None else _number(max_value, "max_value", minimum=0)
        self.negative_slope = _number(negative_slope, "negative_slope", minimum=0)
        self.threshold = _number(threshold, "threshold")

    def call(self, inputs):
        return activations.relu(inputs, alpha=self.negative_slope, max_value=self.max_value, threshold=self.threshold)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


class LeakyReLU(Layer):
    """Leaky ReLU: `x` for `x >= 0`, else `alpha * x`.

    Args:
        alpha: the slope for negative inputs, >= 0. Default 0.3 (tf.keras 2.x; Keras 3 also 0.3).
        negative_slope: Keras 3's name for `alpha`; give one or the other. Default None.

    Input shape: any. Output shape: same as input.
    """

    supports_masking = True

    def __init__(self, alpha: float | None = None, negative_slope: float | None = None, **kwargs):
        super().__init__(**kwargs)
        self.alpha = _slope(alpha, negative_slope, 0.3)

    @property
    def negative_slope(self) -> float:
        return self.alpha

    def call(self, inputs):
        return jnp.where(inputs >= 0, inputs, self.alpha * inputs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "alpha": self.alpha}


class PReLU(Layer):
    """Parametric ReLU: `x` for `x >= 0`, else `alpha * x` with `alpha` learned per feature.

    Args:
        alpha_initializer: the initializer of the slopes. Default `"zeros"`.
        alpha_regularizer: an optional regularizer of the slopes. Default None.
        alpha_constraint: an optional constraint of the slopes. Default None.
        shared_axes: axes (1-based, batch axis excluded) along which one slope is shared, for
            example `[1, 2]` for one slope per channel of images. Default None (one per value).

    Input shape: any. Output shape: same as input.
    """

    supports_masking = True

    def __init__(
        self,
        alpha_initializer: Any = "zeros",
        alpha_regularizer: Any = None,
        alpha_constraint: Any = None,
        shared_axes: int | list[int] | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = [shared_axes] if isinstance(shared_axes, (int, np.integer)) else list(shared_axes)
            if any(isinstance(a, bool) or not isinstance(a, (int, np.integer)) or a < 1 for a in axes):
                raise ValueError(
                    f"shared_axes must be positive axis indices (the batch axis is 0). Received: shared_axes={shared_axes!r}"
                )
            self.shared_axes = [int(a) for a in axes]

    def build(self, input_shape) -> None:
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if axis > len(shape):
                raise ValueError(
                    f"shared_axes must be axes of the inputs {tuple(input_shape)}. Received: shared_axes={self.shared_axes}"
                )
            shape[axis - 1] = 1
        if any(d is None for d in shape):
            raise ValueError(
                f"PReLU layer '{self.name}' needs known sizes for the axes it does not share. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        self.alpha = self.add_weight(
            "alpha",
            tuple(shape),
            initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
        )
        self.built = True

    def call(self, inputs):
        return jnp.where(inputs >= 0, inputs, self.alpha.value * inputs)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }


class ELU(Layer):
    """Exponential linear unit: `x` for `x > 0`, else `alpha * (exp(x) - 1)`.

    Args:
        alpha: the scale of the negative part, >= 0. Default 1.0.

    Input shape: any. Output shape: same as input.
    """

    supports_masking = True

    def __init__(self, alpha: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = _number(alpha, "alpha", minimum=0)

    def call(self, inputs):
        return activations.elu(inputs, self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "alpha": self.alpha}


class ThresholdedReLU(Layer):
    """`x` where `x > theta`, else 0 (tf.keras 2.x; Keras 3 dropped the layer).

    Args:
        theta: the threshold, >= 0. Default 1.0.

    Input shape: any. Output shape: same as input.
    """

    supports_masking = True

    def __init__(self, theta: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.theta = _number(theta, "theta", minimum=0)

    def call(self, inputs):
        return jnp.where(inputs > self.theta, inputs, jnp.zeros((), inputs.dtype))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "theta": self.theta}


class Softmax(Layer):
    """Softmax along `axis`; positions where `mask` is False get (almost) no probability.

    Its output carries its logits, so a crossentropy loss after it computes from them, as after a
    `softmax` activation (tf.keras 2.x; see `jeras.activations.logits_of`).

    Args:
        axis: the axis to normalize over. Default -1.

    Call arguments:
        inputs: the logits.
        mask: an optional boolean array broadcastable to `inputs`; False positions are excluded.

    Input shape: any. Output shape: same as input.
    """

    supports_masking = True

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"axis must be an integer. Received: axis={axis!r}")
        self.axis = int(axis)

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = jnp.asarray(mask, inputs.dtype)
            while mask.ndim < inputs.ndim:  # a timestep mask covers every feature of its step
                mask = mask[..., None]
            # tf.keras adds a large negative number to the masked logits.
            inputs = inputs + (1.0 - mask) * jnp.asarray(-1e9, inputs.dtype)
        return activations.softmax(inputs, axis=self.axis)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}
