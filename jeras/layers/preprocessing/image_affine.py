"""Random geometric augmentations (channels-last): `RandomRotation`, `RandomZoom`, `RandomTranslation`.

Each draws one transformation per image and resamples the image through it: every output pixel
reads the input at the transformed position, interpolated (`"bilinear"` or `"nearest"`); where
that position falls outside the image, `fill_mode` decides what is read:

- `"reflect"`: the image mirrored about its edge, `(d c b a | a b c d | d c b a)`;
- `"wrap"`: the image repeated, `(a b c d | a b c d | a b c d)`;
- `"nearest"`: the edge pixel repeated, `(a a a a | a b c d | d d d d)`;
- `"constant"`: `fill_value`, `(k k k k | a b c d | k k k k)`.

Like `RandomFlip` they act only while training (`fit` calls them with `training=True`) and draw
their keys from the step's RNG; at inference they return the images unchanged.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
from jax.scipy.ndimage import map_coordinates

from jeras.layers.preprocessing.image import _images
from jeras.layers.regularization import _NoiseLayer

_FILL_MODES = ("reflect", "wrap", "nearest", "constant")
_INTERPOLATIONS = {"nearest": 0, "bilinear": 1}


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def factor_range(factor, argument: str, *, bound: float | None) -> tuple[float, float]:
    """`(lower, upper)` from a number `f` (meaning `(-f, f)`) or a pair, each within `[-bound, bound]`.

    Raises:
        ValueError: naming `argument`, for anything else.
    """
    if _is_number(factor):
        pair = (-abs(float(factor)), abs(float(factor)))
    elif isinstance(factor, (tuple, list)) and len(factor) == 2 and all(_is_number(v) for v in factor):
        pair = (float(factor[0]), float(factor[1]))
    else:
        pair = None
    ok = pair is not None and pair[0] <= pair[1]
    ok = ok and (bound is None or all(-bound <= v <= bound for v in pair))
    if not ok:
        within = "" if bound is None else f", each in [-{bound:g}, {bound:g}]"
        raise ValueError(
            f"{argument} must be a number or a pair (lower, upper) with lower <= upper{within}. "
            f"Received: {argument}={factor!r}"
        )
    return pair


def _resample(images, rows, cols, *, interpolation: str, fill_mode: str, fill_value: float):
    """Reads `images` `(batch, H, W, C)` at the float positions `rows`, `cols` `(batch, H, W)`."""
    order = _INTERPOLATIONS[interpolation]

    def channel(plane, r, c):
        return map_coordinates(plane, [r, c], order=order, mode=fill_mode, cval=fill_value)

    per_channel = jax.vmap(channel, in_axes=(2, None, None), out_axes=2)
    return jax.vmap(per_channel)(images, rows, cols).astype(images.dtype)


class _AffineLayer(_NoiseLayer):
    """Shared settings and resampling; subclasses map output offsets from the centre to input offsets."""

    def __init__(
        self,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        **kwargs: Any,
    ):
        kwargs.pop("data_format", None)
        super().__init__(seed=seed, **kwargs)
        if fill_mode not in _FILL_MODES:
            raise ValueError(f"fill_mode must be one of {list(_FILL_MODES)}. Received: fill_mode={fill_mode!r}")
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(
                f"interpolation must be one of {list(_INTERPOLATIONS)}. Received: interpolation={interpolation!r}"
            )
        if not _is_number(fill_value):
            raise ValueError(f"fill_value must be a number. Received: fill_value={fill_value!r}")
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = float(fill_value)

    def _source_offsets(self, key, batch: int, rows: int, cols: int, dy, dx):
        """Input offsets from the centre for output offsets `dy`, `dx` `(H, W)`; each `(batch, H, W)`."""
        raise NotImplementedError

    def call(self, inputs, training=None):
        x = _images(self, inputs)
        if not training:
            return x
        batch = x[None] if x.ndim == 3 else x
        n, rows, cols = batch.shape[:3]
        center_y, center_x = (rows - 1) / 2.0, (cols - 1) / 2.0
        dy, dx = jnp.meshgrid(
            jnp.arange(rows, dtype=jnp.float32) - center_y,
            jnp.arange(cols, dtype=jnp.float32) - center_x,
            indexing="ij",
        )
        src_y, src_x = self._source_offsets(self._key(), n, rows, cols, dy, dx)
        out = _resample(
            batch,
            src_y + center_y,
            src_x + center_x,
            interpolation=self.interpolation,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
        )
        return out[0] if x.ndim == 3 else out

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
        }


_AFFINE_ARGS = """fill_mode: `"reflect"`, `"wrap"`, `"nearest"` or `"constant"` (see the module docstring).
            Default `"reflect"`.
        interpolation: `"bilinear"` or `"nearest"`. Default `"bilinear"`.
        seed: an optional integer seed for calls outside `fit`. Default None.
        fill_value: the value read outside the image with `fill_mode="constant"`. Default 0."""


class RandomRotation(_AffineLayer):
    __doc__ = f"""Rotates each image about its centre by a random angle while training; the identity at inference.

    Args:
        factor: the angle range as a fraction of a full turn: a number `f` for `[-f, f]` (so 0.1 is
            up to 36 degrees either way), or a pair `(lower, upper)`. Positive angles turn the image
            counter-clockwise.
        {_AFFINE_ARGS}

    Input shape: `(batch, rows, cols, channels)` or `(rows, cols, channels)`. Output shape: same.

    Example:
        >>> layer = RandomRotation(0.1, seed=0)
        >>> layer(np.ones((2, 8, 8, 3)), training=True).shape
        (2, 8, 8, 3)
    """

    def __init__(
        self,
        factor,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        **kwargs: Any,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self._range = factor_range(factor, "factor", bound=None)
        self.factor = factor if _is_number(factor) else list(factor)

    def _source_offsets(self, key, batch, rows, cols, dy, dx):
        low, high = self._range
        angle = jax.random.uniform(key, (batch, 1, 1), jnp.float32, low, high) * (2.0 * math.pi)
        cos, sin = jnp.cos(angle), jnp.sin(angle)
        # Rows grow downwards, so turning the content counter-clockwise on screen reads each
        # output pixel from the input rotated the other way.
        return dx * sin + dy * cos, dx * cos - dy * sin

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor}


class RandomZoom(_AffineLayer):
    __doc__ = f"""Zooms each image in or out about its centre by a random amount while training.

    Args:
        height_factor: the vertical zoom range as a fraction: a number `f` for `[-f, f]` or a pair
            `(lower, upper)`, each in [-1, 1]. Positive values zoom out (the content shrinks by
            `1 + value`), negative ones zoom in.
        width_factor: the same for the horizontal axis. Default None: the same zoom as vertically,
            which keeps the aspect ratio.
        {_AFFINE_ARGS}

    Input shape: `(batch, rows, cols, channels)` or `(rows, cols, channels)`. Output shape: same.
    """

    def __init__(
        self,
        height_factor,
        width_factor=None,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        **kwargs: Any,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self._height_range = factor_range(height_factor, "height_factor", bound=1.0)
        self._width_range = None if width_factor is None else factor_range(width_factor, "width_factor", bound=1.0)
        self.height_factor = height_factor if _is_number(height_factor) else list(height_factor)
        self.width_factor = width_factor if width_factor is None or _is_number(width_factor) else list(width_factor)

    def _source_offsets(self, key, batch, rows, cols, dy, dx):
        keys = jax.random.split(key)
        low, high = self._height_range
        zoom_y = 1.0 + jax.random.uniform(keys[0], (batch, 1, 1), jnp.float32, low, high)
        if self._width_range is None:
            zoom_x = zoom_y
        else:
            low, high = self._width_range
            zoom_x = 1.0 + jax.random.uniform(keys[1], (batch, 1, 1), jnp.float32, low, high)
        return dy * zoom_y, dx * zoom_x

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


class RandomTranslation(_AffineLayer):
    __doc__ = f"""Shifts each image by a random offset while training; the identity at inference.

    Args:
        height_factor: the vertical shift as a fraction of the height: a number `f` for `[-f, f]`
            or a pair `(lower, upper)`, each in [-1, 1]. Positive values shift the content down.
        width_factor: the same for the horizontal shift, as a fraction of the width; positive
            values shift the content right.
        {_AFFINE_ARGS}

    Input shape: `(batch, rows, cols, channels)` or `(rows, cols, channels)`. Output shape: same.
    """

    def __init__(
        self,
        height_factor,
        width_factor,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        **kwargs: Any,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self._height_range = factor_range(height_factor, "height_factor", bound=1.0)
        self._width_range = factor_range(width_factor, "width_factor", bound=1.0)
        self.height_factor = height_factor if _is_number(height_factor) else list(height_factor)
        self.width_factor = width_factor if _is_number(width_factor) else list(width_factor)

    def _source_offsets(self, key, batch, rows, cols, dy, dx):
        keys = jax.random.split(key)
        shift_y = jax.random.uniform(keys[0], (batch, 1, 1), jnp.float32, *self._height_range) * rows
        shift_x = jax.random.uniform(keys[1], (batch, 1, 1), jnp.float32, *self._width_range) * cols
        return dy - shift_y, dx - shift_x

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}
