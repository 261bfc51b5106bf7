"""`Masking`: marks padding timesteps (all features equal to `mask_value`) for the layers that follow."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from jeras.layers.layer import Layer


class Masking(Layer):
    """Masks the timesteps whose features all equal `mask_value`, for the layers that follow.

    Masked steps are also set to 0 in the output, as tf.keras 2 does. Layers that take a mask
    (the recurrent layers, `GlobalAveragePooling1D`, `Attention`, ...) then skip those steps.

    Args:
        mask_value: the padding value. Default 0.0.

    Input shape: `(batch, timesteps, features)`. Output shape: the same.

    Example:
        >>> x = np.array([[[1.0], [0.0]]])
        >>> Masking()(x).shape
        (1, 2, 1)
    """

    supports_masking = True

    def __init__(self, mask_value: float = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, (int, float, np.integer, np.floating)):
            raise TypeError(f"mask_value must be a number. Received: mask_value={mask_value!r}")
        self.mask_value = float(mask_value)

    def build(self, input_shape) -> None:
        if len(input_shape) < 3:
            raise ValueError(
                f"Masking layer '{self.name}' expects inputs of rank 3 or more, (batch, timesteps, features). "
                f"Received: input_shape={tuple(input_shape)}"
            )
        self.built = True

    def compute_mask(self, inputs, mask=None):
        return jnp.any(jnp.asarray(inputs) != self.mask_value, axis=-1)

    def call(self, inputs):
        keep = jnp.any(inputs != self.mask_value, axis=-1, keepdims=True)
        return jnp.where(keep, inputs, jnp.zeros((), inputs.dtype))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mask_value": self.mask_value}
