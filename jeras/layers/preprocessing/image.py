"""Image preprocessing layers (channels-last): `Rescaling`, `Resizing`, `CenterCrop`, and the random
augmentations `RandomFlip` and `RandomContrast`.

They are ordinary layers that run inside the compiled step. The random ones act only while
training (`training=True`, as `fit` calls them) and draw their keys from the step's RNG, so each
step augments differently and runs stay reproducible; at inference they are the identity.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras.layers.layer import Layer
from jeras.layers.recurrent import check_positive_int
from jeras.layers.regularization import _NoiseLayer

_INTERPOLATIONS = {
    "bilinear": "bilinear",
    "nearest": "nearest",
    "bicubic": "bicubic",
    "lanczos3": "lanczos3",
    "lanczos5": "lanczos5",
}


def _images(layer: Layer, inputs):
    if inputs.ndim not in (3, 4):
        raise ValueError(
            f"{type(layer).__name__} layer '{layer.name}' expects images of rank 3 (rows, cols, channels) or 4 "
            f"(batch, rows, cols, channels). Received: inputs with shape {tuple(inputs.shape)}"
        )
    return inputs if jnp.issubdtype(inputs.dtype, jnp.floating) else inputs.astype(layer.dtype)


class Rescaling(Layer):
    """Multiplies the inputs by `scale` and adds `offset`: `Rescaling(1 / 255)` maps pixels to [0, 1].

    Args:
        scale: a number (or per-channel list) to multiply by.
        offset: a number (or per-channel list) to add. Default 0.

    Input shape: any. Output shape: same as input.
    """

    supports_masking = True

    def __init__(self, scale, offset=0.0, **kwargs: Any):
        super().__init__(**kwargs)
        for name, value in (("scale", scale), ("offset", offset)):
            try:
                np.asarray(value, np.float64)
            except (TypeError, ValueError) as err:
                raise TypeError(f"{name} must be a number or a list of numbers. Received: {name}={value!r}") from err
        self.scale = scale
        self.offset = offset

    def call(self, inputs):
        inputs = inputs if jnp.issubdtype(inputs.dtype, jnp.floating) else inputs.astype(self.dtype)
        return inputs * jnp.asarray(self.scale, inputs.dtype) + jnp.asarray(self.offset, inputs.dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


class Resizing(Layer):
    """Resizes images to `(height, width)`.

    Args:
        height, width: the output size, positive integers.
        interpolation: `"bilinear"`, `"nearest"`, `"bicubic"`, `"lanczos3"` or `"lanczos5"`. Default `"bilinear"`.
        crop_to_aspect_ratio: first crop the largest centred window with the target aspect ratio,
            so that images are not distorted. Default False.

    Input shape: `(batch, rows, cols, channels)` or `(rows, cols, channels)`. Output shape:
    `(batch, height, width, channels)` or `(height, width, channels)`.
    """

    def __init__(
        self,
        height: int,
        width: int,
        interpolation: str = "bilinear",
        crop_to_aspect_ratio: bool = False,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.height = check_positive_int(height, "height")
        self.width = check_positive_int(width, "width")
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(
                f"interpolation must be one of {list(_INTERPOLATIONS)}. Received: interpolation={interpolation!r}"
            )
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)

    def call(self, inputs):
        x = _images(self, inputs)
        if self.crop_to_aspect_ratio:
            rows, cols = x.shape[-3], x.shape[-2]
            crop_rows = min(rows, round(cols * self.height / self.width))
            crop_cols = min(cols, round(rows * self.width / self.height))
            top, left = (rows - crop_rows) // 2, (cols - crop_cols) // 2
            x = x[..., top : top + crop_rows, left : left + crop_cols, :]
        shape = x.shape[:-3] + (self.height, self.width, x.shape[-1])
        # Without antialiasing when shrinking, as tf.image.resize does by default.
        return jax.image.resize(x, shape, method=_INTERPOLATIONS[self.interpolation], antialias=False).astype(x.dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
        }


class CenterCrop(Layer):
    """Crops the central `(height, width)` window of images (resizing first any image smaller than that).

    Args:
        height, width: the output size, positive integers.

    Input shape: `(batch, rows, cols, channels)` or `(rows, cols, channels)`. Output shape:
    `(batch, height, width, channels)` or `(height, width, channels)`.
    """

    def __init__(self, height: int, width: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.height = check_positive_int(height, "height")
        self.width = check_positive_int(width, "width")

    def call(self, inputs):
        x = _images(self, inputs)
        rows, cols = x.shape[-3], x.shape[-2]
        if rows < self.height or cols < self.width:
            # As Keras: an image too small to crop is resized, keeping the target aspect ratio.
            return Resizing(self.height, self.width, crop_to_aspect_ratio=True, dtype=self.dtype)(x)
        top, left = (rows - self.height) // 2, (cols - self.width) // 2
        return x[..., top : top + self.height, left : left + self.width, :]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height": self.height, "width": self.width}


_FLIP_MODES = {"horizontal": (False, True), "vertical": (True, False), "horizontal_and_vertical": (True, True)}


class RandomFlip(_NoiseLayer):
    """Flips each image at random while training; the identity at inference.

    Args:
        mode: `"horizontal"` (left-right), `"vertical"` (up-down) or `"horizontal_and_vertical"`
            (each independently). Default `"horizontal_and_vertical"`.
        seed: an optional integer seed. Default None.

    Input shape: `(batch, rows, cols, channels)` or `(rows, cols, channels)`. Output shape: same.
    """

    def __init__(self, mode: str = "horizontal_and_vertical", seed: int | None = None, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        if mode not in _FLIP_MODES:
            raise ValueError(f"mode must be one of {list(_FLIP_MODES)}. Received: mode={mode!r}")
        self.mode = mode

    def call(self, inputs, training=None):
        x = _images(self, inputs)
        if not training:
            return x
        batch = x[None] if x.ndim == 3 else x
        vertical, horizontal = _FLIP_MODES[self.mode]
        keys = jax.random.split(self._key(), 2)
        flip_shape = (batch.shape[0], 1, 1, 1)
        if vertical:
            batch = jnp.where(jax.random.bernoulli(keys[0], 0.5, flip_shape), batch[:, ::-1], batch)
        if horizontal:
            batch = jnp.where(jax.random.bernoulli(keys[1], 0.5, flip_shape), batch[:, :, ::-1], batch)
        return batch[0] if x.ndim == 3 else batch

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mode": self.mode}


class RandomContrast(_NoiseLayer):
    """Scales each image's contrast by a random factor in `[1 - lower, 1 + upper]` while training.

    Each channel becomes `(x - mean) * factor + mean`, the mean over the image's pixels. The
    identity at inference.

    Args:
        factor: a number `f` (the range `[1 - f, 1 + f]`) or a pair `(lower, upper)`, each in [0, 1].
        seed: an optional integer seed. Default None.

    Input shape: `(batch, rows, cols, channels)` or `(rows, cols, channels)`. Output shape: same.
    """

    def __init__(self, factor, seed: int | None = None, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        pair = (factor, factor) if isinstance(factor, (int, float)) and not isinstance(factor, bool) else factor
        ok = isinstance(pair, (tuple, list)) and len(pair) == 2
        ok = ok and all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1 for v in pair)
        if not ok:
            raise ValueError(f"factor must be a number or a pair of numbers in [0, 1]. Received: factor={factor!r}")
        self.factor = factor if isinstance(factor, (int, float)) else list(factor)
        self._range = (1.0 - float(pair[0]), 1.0 + float(pair[1]))

    def call(self, inputs, training=None):
        x = _images(self, inputs)
        if not training:
            return x
        batch = x[None] if x.ndim == 3 else x
        low, high = self._range
        factors = jax.random.uniform(self._key(), (batch.shape[0], 1, 1, 1), batch.dtype, low, high)
        mean = jnp.mean(batch, axis=(1, 2), keepdims=True)
        out = (batch - mean) * factors + mean
        return out[0] if x.ndim == 3 else out

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor}
