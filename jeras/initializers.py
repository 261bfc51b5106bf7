"""Weight initializers with tf.keras names, defaults and configs.

An initializer is a callable `(shape, dtype=None) -> jax.Array`. Random initializers take a
`seed`: with an integer seed every call returns the same values (as tf.keras documents), and
with `seed=None` each call draws a fresh key from jeras' global stream, so
`jeras.backend.set_random_seed` makes whole runs repeatable.

Example:

    >>> from jeras import initializers
    >>> init = initializers.get("glorot_uniform")
    >>> init((784, 300)).shape
    (784, 300)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras.backend.config import standardize_dtype
from jeras.backend.naming import to_snake_case
from jeras.backend.random import host_rng
from jeras.serialization import custom_object_scope, resolve
from jeras.serialization import serialize as _serialize

# The standard deviation of a standard normal truncated to [-2, 2]; dividing by it makes
# VarianceScaling's truncated draws have the intended variance.
_TRUNCATED_STDDEV = 0.87962566103423978

_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


def _check_shape(shape: Iterable[int]) -> tuple[int, ...]:
    try:
        dims = tuple(shape)
    except TypeError as err:
        raise TypeError(f"shape must be a tuple of non-negative integers. Received: shape={shape!r}") from err
    if not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0 for d in dims):
        raise ValueError(f"shape must be a tuple of non-negative integers. Received: shape={shape!r}")
    return tuple(int(d) for d in dims)


def _float_dtype(dtype: Any) -> np.dtype:
    name = standardize_dtype(dtype)
    if not jnp.issubdtype(jnp.dtype(name), jnp.floating):
        raise ValueError(f"Random initializers need a floating-point dtype. Received: dtype={name}")
    return jnp.dtype(name)


def _check_number(value: Any, argument: str, *, minimum: float | None = None, strict: bool = False) -> float:
    is_number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not is_number or not math.isfinite(value):
        raise ValueError(f"{argument} must be a finite number. Received: {argument}={value!r}")
    if minimum is not None and (value <= minimum if strict else value < minimum):
        bound = "greater than" if strict else "at least"
        raise ValueError(f"{argument} must be {bound} {minimum}. Received: {argument}={value!r}")
    return float(value)


def _compute_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """Input and output units of a weight: dense `(in, out)`, conv `(*window, in, out)`."""
    if not shape:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class Initializer:
    """Base class: subclasses implement `__call__(shape, dtype=None)` and `get_config()`."""

    def __call__(self, shape: Iterable[int], dtype: Any = None) -> jax.Array:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype=None).")

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Initializer:
        return cls(**config)


class Zeros(Initializer):
    """Fills with 0."""

    def __call__(self, shape: Iterable[int], dtype: Any = None) -> jax.Array:
        return jnp.zeros(_check_shape(shape), dtype=standardize_dtype(dtype))


class Ones(Initializer):
    """Fills with 1."""

    def __call__(self, shape: Iterable[int], dtype: Any = None) -> jax.Array:
        return jnp.ones(_check_shape(shape), dtype=standardize_dtype(dtype))


class Constant(Initializer):
    """Fills with a value, broadcast to the requested shape.

    Args:
        value: a number or a numeric array-like that broadcasts to the shape. Default 0.
    """

    def __init__(self, value: Any = 0):
        array = np.asarray(value)
        if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
            raise TypeError(f"value must be a number or a numeric array. Received: value={value!r}")
        self.value = array.item() if array.ndim == 0 else array.tolist()

    def __call__(self, shape: Iterable[int], dtype: Any = None) -> jax.Array:
        shape = _check_shape(shape)
        value = jnp.asarray(self.value, dtype=standardize_dtype(dtype))
        try:
            return jnp.broadcast_to(value, shape)
        except ValueError as err:
            raise ValueError(
                f"Constant value of shape {value.shape} does not broadcast to the requested shape. Received: shape={shape}"
            ) from err

    def get_config(self) -> dict[str, Any]:
        return {"value": self.value}


def _to_jax(values: np.ndarray, dtype: Any) -> jax.Array:
    return jnp.asarray(np.asarray(values, dtype=np.float32), dtype=_float_dtype(dtype))


def _truncated_standard_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Standard normal draws, redrawing any value outside [-2, 2] until none is left."""
    values = rng.standard_normal(shape)
    outside = np.abs(values) > 2.0
    while outside.any():
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2.0
    return values


class _RandomInitializer(Initializer):
    """Holds the seed: an int makes every call identical, None draws from the global stream."""

    def __init__(self, seed: int | None = None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise ValueError(f"seed must be an integer or None. Received: seed={seed!r}")
        self.seed = None if seed is None else int(seed)

    def _rng(self) -> np.random.Generator:
        return host_rng(self.seed)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


class _MeanStddev(_RandomInitializer):
    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        super().__init__(seed)
        self.mean = _check_number(mean, "mean")
        self.stddev = _check_number(stddev, "stddev", minimum=0.0)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class RandomNormal(_MeanStddev):
    """Draws from a normal distribution.

    Args:
        mean: the mean. Default 0.0.
        stddev: the standard deviation, non-negative. Default 0.05.
        seed: an integer for repeatable values, or None. Default None.
    """

    def __call__(self, shape: Iterable[int], dtype: Any = None) -> jax.Array:
        return _to_jax(self.mean + self.stddev * self._rng().standard_normal(_check_shape(shape)), dtype)


class TruncatedNormal(_MeanStddev):
    """Draws from a normal distribution, redrawing values more than two `stddev` from the mean.

    Args:
        mean: the mean. Default 0.0.
        stddev: the standard deviation before truncation, non-negative. Default 0.05.
        seed: an integer for repeatable values, or None. Default None.
    """

    def __call__(self, shape: Iterable[int], dtype: Any = None) -> jax.Array:
        sample = _truncated_standard_normal(self._rng(), _check_shape(shape))
        return _to_jax(self.mean + self.stddev * sample, dtype)


class RandomUniform(_RandomInitializer):
    """Draws uniformly from `[minval, maxval)`.

    Args:
        minval: the lower bound. Default -0.05.
        maxval: the upper bound, not below `minval`. Default 0.05.
        seed: an integer for repeatable values, or None. Default None.
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        super().__init__(seed)
        self.minval = _check_number(minval, "minval")
        self.maxval = _check_number(maxval, "maxval")
        if self.maxval < self.minval:
            raise ValueError(f"maxval must not be below minval. Received: minval={minval!r}, maxval={maxval!r}")

    def __call__(self, shape: Iterable[int], dtype: Any = None) -> jax.Array:
        return _to_jax(self._rng().uniform(self.minval, self.maxval, _check_shape(shape)), dtype)

    def get_config(self) -> dict[str, Any]:
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


class VarianceScaling(_RandomInitializer):
    """Draws with a variance of `scale / n`, where `n` counts the weight's input/output units.

    `n` is `fan_in`, `fan_out` or their mean (`mode`). For a dense kernel `(in, out)` the fans
    are `in` and `out`; for a convolution kernel `(*window, in, out)` both are multiplied by the
    window size. `"truncated_normal"` draws within two standard deviations (rescaled so the
    variance is still `scale / n`), `"untruncated_normal"` draws from a plain normal, and
    `"uniform"` draws from `[-limit, limit]` with `limit = sqrt(3 * scale / n)`.

    Args:
        scale: the variance factor, positive. Default 1.0.
        mode: `"fan_in"`, `"fan_out"` or `"fan_avg"`. Default `"fan_in"`.
        distribution: `"truncated_normal"`, `"untruncated_normal"` or `"uniform"`; `"normal"`
            means `"truncated_normal"`, as in tf.keras. Default `"truncated_normal"`.
        seed: an integer for repeatable values, or None. Default None.
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
    ):
        super().__init__(seed)
        self.scale = _check_number(scale, "scale", minimum=0.0, strict=True)
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}. Received: mode={mode!r}")
        name = distribution.lower() if isinstance(distribution, str) else distribution
        name = "truncated_normal" if name == "normal" else name
        if name not in _DISTRIBUTIONS:
            raise ValueError(f"distribution must be one of {_DISTRIBUTIONS}. Received: distribution={distribution!r}")
        self.mode = mode
        self.distribution = name

    def __call__(self, shape: Iterable[int], dtype: Any = None) -> jax.Array:
        shape = _check_shape(shape)
        dtype = _float_dtype(dtype)
        fan_in, fan_out = _compute_fans(shape)
        units = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, units)
        rng = self._rng()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return _to_jax(rng.uniform(-limit, limit, shape), dtype)
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(variance) / _TRUNCATED_STDDEV
            return _to_jax(stddev * _truncated_standard_normal(rng, shape), dtype)
        return _to_jax(math.sqrt(variance) * rng.standard_normal(shape), dtype)

    def get_config(self) -> dict[str, Any]:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, **super().get_config()}


class _PresetVarianceScaling(VarianceScaling):
    """A `VarianceScaling` whose scale, mode and distribution are fixed; only `seed` is configurable."""

    _preset: tuple[float, str, str]

    def __init__(self, seed: int | None = None):
        scale, mode, distribution = self._preset
        super().__init__(scale=scale, mode=mode, distribution=distribution, seed=seed)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


class GlorotUniform(_PresetVarianceScaling):
    """Glorot (Xavier) uniform: `U(-limit, limit)`, `limit = sqrt(6 / (fan_in + fan_out))`.

    Args:
        seed: an integer for repeatable values, or None. Default None.
    """

    _preset = (1.0, "fan_avg", "uniform")


class GlorotNormal(_PresetVarianceScaling):
    """Glorot (Xavier) normal: truncated normal with `stddev = sqrt(2 / (fan_in + fan_out))`.

    Args:
        seed: an integer for repeatable values, or None. Default None.
    """

    _preset = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_PresetVarianceScaling):
    """He uniform: `U(-limit, limit)`, `limit = sqrt(6 / fan_in)`.

    Args:
        seed: an integer for repeatable values, or None. Default None.
    """

    _preset = (2.0, "fan_in", "uniform")


class HeNormal(_PresetVarianceScaling):
    """He normal: truncated normal with `stddev = sqrt(2 / fan_in)`.

    Args:
        seed: an integer for repeatable values, or None. Default None.
    """

    _preset = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_PresetVarianceScaling):
    """LeCun uniform: `U(-limit, limit)`, `limit = sqrt(3 / fan_in)`.

    Args:
        seed: an integer for repeatable values, or None. Default None.
    """

    _preset = (1.0, "fan_in", "uniform")


class LecunNormal(_PresetVarianceScaling):
    """LeCun normal: truncated normal with `stddev = sqrt(1 / fan_in)`.

    Args:
        seed: an integer for repeatable values, or None. Default None.
    """

    _preset = (1.0, "fan_in", "truncated_normal")


class Orthogonal(_RandomInitializer):
    """A (semi-)orthogonal matrix times `gain`, from the QR decomposition of a normal draw.

    A shape `(*rows, cols)` of rank above two is treated as a `(prod(rows), cols)` matrix.
    With fewer rows than columns the rows are orthonormal, otherwise the columns are.

    Args:
        gain: the factor applied to the orthogonal matrix. Default 1.0.
        seed: an integer for repeatable values, or None. Default None.
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None):
        super().__init__(seed)
        self.gain = _check_number(gain, "gain")

    def __call__(self, shape: Iterable[int], dtype: Any = None) -> jax.Array:
        shape = _check_shape(shape)
        dtype = _float_dtype(dtype)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal needs a shape of rank 2 or more. Received: shape={shape}")
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        draw = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(draw)
        # Fixing the signs by R's diagonal makes Q uniformly distributed over orthogonal matrices.
        q = q * np.sign(np.diag(r))
        matrix = q if rows >= cols else q.T
        return _to_jax(self.gain * matrix.reshape(shape), dtype)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain, **super().get_config()}


class Identity(Initializer):
    """`gain` times the identity matrix (ones on the main diagonal of a 2D, possibly non-square, shape).

    Args:
        gain: the factor applied to the identity matrix. Default 1.0.
    """

    def __init__(self, gain: float = 1.0):
        self.gain = _check_number(gain, "gain")

    def __call__(self, shape: Iterable[int], dtype: Any = None) -> jax.Array:
        shape = _check_shape(shape)
        if len(shape) != 2:
            raise ValueError(f"Identity needs a 2D shape. Received: shape={shape}")
        return jnp.asarray(self.gain * np.eye(*shape), dtype=standardize_dtype(dtype))

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}


# tf.keras also exposes every class under its snake_case name (`initializers.glorot_uniform()`).
zeros = Zeros
ones = Ones
constant = Constant
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_uniform = HeUniform
he_normal = HeNormal
lecun_uniform = LecunUniform
lecun_normal = LecunNormal
orthogonal = Orthogonal
identity = Identity

_CLASSES = (
    Zeros,
    Ones,
    Constant,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    GlorotUniform,
    GlorotNormal,
    HeUniform,
    HeNormal,
    LecunUniform,
    LecunNormal,
    Orthogonal,
    Identity,
)
_REGISTRY: dict[str, type[Initializer]] = {
    **{cls.__name__: cls for cls in _CLASSES},
    **{to_snake_case(cls.__name__): cls for cls in _CLASSES},
    # Older names that saved tf.keras configs may still use.
    "zero": Zeros,
    "one": Ones,
    "normal": RandomNormal,
    "uniform": RandomUniform,
    "OrthogonalInitializer": Orthogonal,
    "IdentityInitializer": Identity,
}


def get(identifier: Any) -> Any:
    """Returns the initializer an identifier names.

    Args:
        identifier: None, a Keras name (`"glorot_uniform"`), a `{"class_name", "config"}` dict,
            an initializer class (instantiated with its defaults), an instance, or a callable
            `(shape, dtype=None)`.

    Returns:
        A callable initializer, or None for None.

    Raises:
        ValueError: for an unknown name or class name.
        TypeError: for an identifier of another kind.
    """
    if identifier is None:
        return None
    if isinstance(identifier, type):
        return identifier()
    return resolve(identifier, _REGISTRY, kind="initializer", argument="initializer")


def serialize(initializer: Any) -> Any:
    """Returns `{"class_name": ..., "config": ...}` for an initializer, or a function's name."""
    return _serialize(initializer)


def deserialize(config: Any, custom_objects: Mapping[str, Any] | None = None) -> Any:
    """Rebuilds an initializer from `serialize`'s output; `custom_objects` (default None) adds names."""
    with custom_object_scope(custom_objects):
        return get(config)
