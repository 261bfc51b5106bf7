"""Layers that add noise while training: `Dropout`, `AlphaDropout`, `GaussianNoise`, `GaussianDropout`.

Each is the identity at inference (`training=False`, the default outside `fit`). While
training inside a compiled step, the random keys derive from the step's RNG key, so every
step draws new noise and runs stay pure (DESIGN.md, principle 1).
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras import backend
from jeras.backend.hyperparameters import hyperparameter
from jeras.backend.variables import current_scope
from jeras.layers.layer import Layer


def _check_number(value, argument: str, *, low: float, high: float | None = None) -> float:
    """Returns `value` as a float, or raises a ValueError naming `argument` when outside its range."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    ok = ok and math.isfinite(value) and low <= value and (high is None or value <= high)
    if not ok:
        bound = "" if high is None else f" and at most {high}"
        raise ValueError(f"{argument} must be a number of at least {low}{bound}. Received: {argument}={value!r}")
    return float(value)


def _check_seed(seed) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer or None. Received: seed={seed!r}")
    return int(seed)


def _check_noise_shape(noise_shape) -> tuple[int | None, ...] | None:
    if noise_shape is None:
        return None
    try:
        dims = tuple(noise_shape)
    except TypeError as err:
        raise TypeError(
            f"noise_shape must be a tuple of integers or None. Received: noise_shape={noise_shape!r}"
        ) from err
    for dim in dims:
        if dim is not None and (isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim <= 0):
            raise ValueError(
                f"noise_shape must contain positive integers or None. Received: noise_shape={noise_shape!r}"
            )
    return tuple(None if d is None else int(d) for d in dims)


class _NoiseLayer(Layer):
    """Shared key handling of the random layers.

    Inside a compiled step, keys come from the step's RNG (`backend.draw_key`). Outside one, a
    seeded layer draws from its own stream — the seed's key folded with a call counter — so two
    layers with the same seed give the same sequence of masks, and successive calls differ, as
    tf.keras 2's seeded ops do in eager mode.
    """

    supports_masking = True

    def __init__(self, seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.seed = _check_seed(seed)
        self._draws = 0

    def _key(self) -> jax.Array:
        scope = current_scope()
        if self.seed is None or (scope is not None and scope.rng is not None):
            return backend.draw_key(self.seed)
        self._draws += 1
        return jax.random.fold_in(backend.key_from_seed(self.seed), self._draws)

    def _as_float(self, inputs):
        return inputs if jnp.issubdtype(inputs.dtype, jnp.floating) else inputs.astype(self.dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "seed": self.seed}


class Dropout(_NoiseLayer):
    """Sets a random fraction `rate` of the inputs to 0 while training, scaling the rest by `1 / (1 - rate)`.

    The scaling keeps the expected sum unchanged, so nothing needs rescaling at inference,
    where the layer is the identity.

    Args:
        rate: the fraction of inputs to drop, in `[0, 1]`.
        noise_shape: the shape of the binary mask, broadcast over the inputs; None entries take
            the input's size. For example `(batch, 1, features)` drops the same features at every
            timestep. Default None (the input shape).
        seed: an optional integer seed for the masks drawn outside `fit`. Default None.

    Input shape: any. Output shape: same as input.

    Example:
        >>> layer = Dropout(0.5, seed=0)
        >>> out = layer(np.ones((2, 4)), training=True)  # values are 0 or 2
    """

    # A traced hyperparameter: models differing only in the rate share compiled programs.
    traced_hyperparameters = ("rate",)

    def __init__(self, rate: float, noise_shape=None, seed: int | None = None, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_number(rate, "rate", low=0.0, high=1.0)
        self.noise_shape = _check_noise_shape(noise_shape)

    def _mask_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        if self.noise_shape is None:
            return shape
        if len(self.noise_shape) != len(shape):
            raise ValueError(
                f"noise_shape must have the rank of the inputs, {len(shape)}. Received: noise_shape={self.noise_shape}"
            )
        out = tuple(d if n is None else n for n, d in zip(self.noise_shape, shape))
        if any(n not in (1, d) for n, d in zip(out, shape)):
            raise ValueError(
                f"noise_shape must broadcast to the input shape {shape}. Received: noise_shape={self.noise_shape}"
            )
        return out

    def call(self, inputs, training=None):
        mask_shape = self._mask_shape(tuple(inputs.shape))
        if not training or self.rate == 0.0:
            return inputs
        inputs = self._as_float(inputs)
        if self.rate == 1.0:
            return jnp.zeros_like(inputs)
        keep = 1.0 - hyperparameter(self, "rate")
        kept = jax.random.bernoulli(self._key(), keep, mask_shape)
        return jnp.where(kept, inputs / keep, jnp.zeros((), inputs.dtype))

    def get_config(self) -> dict[str, Any]:
        noise_shape = None if self.noise_shape is None else list(self.noise_shape)
        return {**super().get_config(), "rate": self.rate, "noise_shape": noise_shape}


class AlphaDropout(Dropout):
    """Dropout that keeps the mean and variance of its inputs, for self-normalizing (SELU) networks.

    Dropped inputs are set to SELU's negative saturation value, and an affine correction keeps
    zero mean and unit variance (Klambauer et al., 2017, "Self-Normalizing Neural Networks").
    The identity at inference.

    Args:
        rate: the fraction of inputs to drop, in `[0, 1]`.
        noise_shape: the shape of the mask, broadcast over the inputs. Default None.
        seed: an optional integer seed. Default None.

    Input shape: any. Output shape: same as input.
    """

    _ALPHA = 1.6732632423543772848170429916717
    _SCALE = 1.0507009873554804934193349852946

    def call(self, inputs, training=None):
        mask_shape = self._mask_shape(tuple(inputs.shape))
        if not training or not 0.0 < self.rate < 1.0:
            return inputs
        inputs = self._as_float(inputs)
        saturation = -self._ALPHA * self._SCALE
        rate = hyperparameter(self, "rate")
        kept = jax.random.uniform(self._key(), mask_shape) >= rate
        # a and b restore zero mean and unit variance for inputs that had them (the paper's eq. 4).
        a = ((1.0 - rate) * (1.0 + rate * saturation**2)) ** -0.5
        b = -a * saturation * rate
        noisy = jnp.where(kept, inputs, jnp.asarray(saturation, inputs.dtype))
        return (a * noisy + b).astype(inputs.dtype)


class GaussianNoise(_NoiseLayer):
    """Adds zero-centred Gaussian noise of standard deviation `stddev` while training.

    A regularizer (and a form of data augmentation) for real-valued inputs; the identity at inference.

    Args:
        stddev: the standard deviation of the noise, a non-negative number. tf.keras 2 accepts any
            non-negative value; Keras 3 caps it at 1, which jeras does not.
        seed: an optional integer seed. Default None.

    Input shape: any. Output shape: same as input.
    """

    traced_hyperparameters = ("stddev",)

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        self.stddev = _check_number(stddev, "stddev", low=0.0)

    def call(self, inputs, training=None):
        if not training or self.stddev == 0.0:
            return inputs
        inputs = self._as_float(inputs)
        noise = jax.random.normal(self._key(), inputs.shape, inputs.dtype)
        return inputs + hyperparameter(self, "stddev") * noise

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "stddev": self.stddev}


class GaussianDropout(_NoiseLayer):
    """Multiplies the inputs by Gaussian noise of mean 1 and variance `rate / (1 - rate)` while training.

    The identity at inference.

    Args:
        rate: the drop probability of the equivalent `Dropout`, in `[0, 1]`. As in tf.keras 2,
            noise is added only when `0 < rate < 1`.
        seed: an optional integer seed. Default None.

    Input shape: any. Output shape: same as input.
    """

    traced_hyperparameters = ("rate",)

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_number(rate, "rate", low=0.0, high=1.0)

    def call(self, inputs, training=None):
        if not training or not 0.0 < self.rate < 1.0:
            return inputs
        inputs = self._as_float(inputs)
        rate = hyperparameter(self, "rate")
        stddev = jnp.sqrt(rate / (1.0 - rate))
        noise = 1.0 + stddev * jax.random.normal(self._key(), inputs.shape, inputs.dtype)
        return inputs * noise

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate}


class SpatialDropout1D(Dropout):
    """Drops whole feature channels (the same ones at every timestep) while training.

    Neighbouring timesteps are strongly correlated, so dropping single values regularizes little;
    this drops entire channels instead (Tompson et al., 2015). The identity at inference.

    Args:
        rate: the fraction of channels to drop, in `[0, 1]`.
        seed: an optional integer seed. Default None.

    Input shape: `(batch, steps, channels)`. Output shape: same as input.
    """

    _rank = 3

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any):
        kwargs.pop("noise_shape", None)
        super().__init__(rate, seed=seed, **kwargs)

    def _mask_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        if len(shape) != self._rank:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects inputs of rank {self._rank}. "
                f"Received: inputs with shape {shape}"
            )
        return (shape[0],) + (1,) * (self._rank - 2) + (shape[-1],)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("noise_shape")
        return config


class SpatialDropout2D(SpatialDropout1D):
    """Drops whole feature maps (channels of every pixel) while training; the identity at inference.

    Args:
        rate: the fraction of channels to drop, in `[0, 1]`.
        data_format: `"channels_last"` or None. Default None.
        seed: an optional integer seed. Default None.

    Input shape: `(batch, rows, cols, channels)`. Output shape: same as input.
    """

    _rank = 4

    def __init__(self, rate: float, data_format: str | None = None, seed: int | None = None, **kwargs: Any):
        if data_format not in (None, "channels_last"):
            raise ValueError(f"data_format must be 'channels_last' or None. Received: data_format={data_format!r}")
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = "channels_last"

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format}
