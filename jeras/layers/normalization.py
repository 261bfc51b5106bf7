"""Normalization layers: `BatchNormalization`, `LayerNormalization`, and the `Normalization`
preprocessing layer (standardization with statistics learned by `adapt`)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras import backend, constraints, initializers, regularizers, tabular
from jeras.backend.variables import current_scope
from jeras.layers.layer import Layer


def _check_axis(axis, *, allow_none: bool = False) -> int | tuple[int, ...]:
    """Returns `axis` as an int, or a tuple of distinct ints; raises a TypeError naming it otherwise."""
    is_int = lambda a: isinstance(a, (int, np.integer)) and not isinstance(a, bool)  # noqa: E731
    if allow_none and axis is None:
        return ()
    if is_int(axis):
        return int(axis)
    if isinstance(axis, (list, tuple)) and all(is_int(a) for a in axis) and (axis or allow_none):
        if len(set(axis)) != len(axis):
            raise ValueError(f"axis must not repeat an axis. Received: axis={axis!r}")
        return tuple(int(a) for a in axis)
    raise TypeError(f"axis must be an integer or a list of integers. Received: axis={axis!r}")


def _resolve_axes(axis: int | tuple[int, ...], ndim: int, layer: Layer) -> tuple[int, ...]:
    """Makes `axis` non-negative for inputs of rank `ndim` (sorted), or raises a ValueError."""
    axes = (axis,) if isinstance(axis, int) else axis
    if any(not -ndim <= a < ndim for a in axes):
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}) got an axis outside the range of inputs of rank {ndim}. "
            f"Received: axis={axis!r}"
        )
    resolved = sorted(a % ndim for a in axes)
    if len(set(resolved)) != len(resolved):
        raise ValueError(f"axis names the same input axis twice. Received: axis={axis!r}")
    return tuple(resolved)


def _known_dims(input_shape, axes: tuple[int, ...], layer: Layer) -> tuple[int, ...]:
    dims = tuple(input_shape[a] for a in axes)
    if any(d is None for d in dims):
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}) needs the sizes of the normalized axes {list(axes)} "
            f"to be known. Received: input_shape={tuple(input_shape)}"
        )
    return dims


def _check_positive(value, argument: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not value > 0:
        raise ValueError(f"{argument} must be a positive number. Received: {argument}={value!r}")
    return float(value)


def _batch_moments(x, reduce: tuple[int, ...]):
    """Mean and (biased) variance over `reduce`, dims kept, as `E[x^2] - E[x]^2`.

    Both sums come from one read of `x` and their gradient is two element-wise terms, where the
    two-pass form `E[(x - mean)^2]` reads `x` twice forward and backward: about 1.7x faster
    forward and 2.5x backward at the ResNet block's shapes (benchmarks/layers.py). The
    cancellation it risks matters only when the mean is hundreds of standard deviations from
    zero; 16-bit data are summed in float32.
    """
    acc = x.astype(jnp.float32) if jnp.dtype(x.dtype).itemsize < 4 else x
    mean = jnp.mean(acc, axis=reduce, keepdims=True)
    variance = jnp.maximum(jnp.mean(jnp.square(acc), axis=reduce, keepdims=True) - jnp.square(mean), 0.0)
    return mean.astype(x.dtype), variance.astype(x.dtype)


def _compute_dtype(inputs, layer: Layer):
    """Statistics of 16-bit inputs are computed in float32, as tf.keras 2 does; integers in the layer's dtype."""
    dtype = inputs.dtype if jnp.issubdtype(inputs.dtype, jnp.floating) else jnp.dtype(layer.dtype)
    return jnp.promote_types(dtype, jnp.float32)


def _axis_config(axis: int | tuple[int, ...]) -> int | list[int]:
    return axis if isinstance(axis, int) else list(axis)


class _AffineNormalization(Layer):
    """Shared settings of the normalization layers with a learned scale (gamma) and offset (beta)."""

    def __init__(
        self,
        axis,
        epsilon: float,
        center: bool,
        scale: bool,
        beta_initializer: Any,
        gamma_initializer: Any,
        beta_regularizer: Any,
        gamma_regularizer: Any,
        beta_constraint: Any,
        gamma_constraint: Any,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.axis = _check_axis(axis)
        self.epsilon = _check_positive(epsilon, "epsilon")
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self._axes: tuple[int, ...] = ()
        self._ndim = 0

    def _add_affine_weights(self, param_shape: tuple[int, ...]) -> None:
        self.gamma = None
        self.beta = None
        if self.scale:
            self.gamma = self.add_weight(
                "gamma",
                param_shape,
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
            )
        if self.center:
            self.beta = self.add_weight(
                "beta",
                param_shape,
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
            )

    def _broadcast_shape(self) -> tuple[int, ...]:
        return tuple(-1 if i in self._axes else 1 for i in range(self._ndim))

    def _check_rank(self, inputs) -> None:
        if inputs.ndim != self._ndim:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) was built for inputs of rank {self._ndim}. "
                f"Received: inputs with shape {tuple(inputs.shape)}"
            )

    def _normalize(self, x, mean, variance):
        """`(x - mean) / sqrt(variance + epsilon) * gamma + beta`, with statistics shaped to broadcast."""
        shape = tuple(x.shape[i] if i in self._axes else 1 for i in range(self._ndim))
        inv = jax.lax.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            inv = inv * self.gamma.value.astype(x.dtype).reshape(shape)
        # x * scale + (beta - mean * scale): one multiply-add per element.
        offset = -mean * inv
        if self.beta is not None:
            offset = offset + self.beta.value.astype(x.dtype).reshape(shape)
        return x * inv + offset

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": _axis_config(self.axis),
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }


class BatchNormalization(_AffineNormalization):
    """Normalizes each feature with the batch's statistics while training, moving averages at inference.

    While training (`training=True`, as `fit` calls it), the output is
    `gamma * (x - mean(x)) / sqrt(var(x) + epsilon) + beta` over the batch (and every axis but
    `axis`), and the moving statistics move towards the batch's:
    `moving = moving * momentum + batch_stat * (1 - momentum)`. At inference the moving statistics
    are used instead. The moving statistics are non-trainable weights; inside a compiled step
    their new values are recorded in the step's state, never written to the layer directly.

    As in tf.keras 2, a layer with `trainable = False` runs in inference mode even when called
    with `training=True` (the fine-tuning behaviour), and its moving statistics stay frozen.

    The moving variance is updated with the batch's biased variance (divided by the batch size),
    as tf.keras 2 does for rank-2 inputs and Keras 3 does everywhere.

    Args:
        axis: the feature axis (or list of axes) that keeps its own statistics. Default -1.
        momentum: the moving averages' momentum, in `[0, 1]`. Default 0.99.
        epsilon: a small positive number added to the variance. Default 1e-3.
        center: whether to add the learned offset `beta`. Default True.
        scale: whether to multiply by the learned scale `gamma`. Default True.
        beta_initializer: default `"zeros"`.
        gamma_initializer: default `"ones"`.
        moving_mean_initializer: default `"zeros"`.
        moving_variance_initializer: default `"ones"`.
        beta_regularizer, gamma_regularizer: optional penalties. Default None.
        beta_constraint, gamma_constraint: optional constraints. Default None.

    Input shape: any, with the size of `axis` known. Output shape: same as input.

    Example:
        >>> layer = BatchNormalization()
        >>> layer(np.random.rand(8, 3), training=True).shape
        (8, 3)
    """

    def __init__(
        self,
        axis: int | list[int] = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        moving_mean_initializer: Any = "zeros",
        moving_variance_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ):
        super().__init__(
            axis,
            epsilon,
            center,
            scale,
            beta_initializer,
            gamma_initializer,
            beta_regularizer,
            gamma_regularizer,
            beta_constraint,
            gamma_constraint,
            **kwargs,
        )
        if (
            isinstance(momentum, bool)
            or not isinstance(momentum, (int, float, np.integer, np.floating))
            or not 0.0 <= momentum <= 1.0
        ):
            raise ValueError(f"momentum must be a number in [0, 1]. Received: momentum={momentum!r}")
        self.momentum = float(momentum)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def build(self, input_shape) -> None:
        self._ndim = len(input_shape)
        self._axes = _resolve_axes(self.axis, self._ndim, self)
        dims = _known_dims(input_shape, self._axes, self)
        # One axis gives 1-D parameters; several give parameters shaped to broadcast (tf.keras 2).
        param_shape = (
            dims if len(dims) == 1 else tuple(input_shape[i] if i in self._axes else 1 for i in range(self._ndim))
        )
        self._add_affine_weights(param_shape)
        self.moving_mean = self.add_weight(
            "moving_mean", param_shape, initializer=self.moving_mean_initializer, trainable=False
        )
        self.moving_variance = self.add_weight(
            "moving_variance", param_shape, initializer=self.moving_variance_initializer, trainable=False
        )
        self.built = True

    def call(self, inputs, training=None):
        self._check_rank(inputs)
        dtype = _compute_dtype(inputs, self)
        x = inputs.astype(dtype)
        shape = tuple(x.shape[i] if i in self._axes else 1 for i in range(self._ndim))
        if training and self.trainable:
            reduce = tuple(i for i in range(self._ndim) if i not in self._axes)
            mean, variance = _batch_moments(x, reduce)
            self._update_moving_statistics(mean, variance)
        else:
            mean = self.moving_mean.value.astype(dtype).reshape(shape)
            variance = self.moving_variance.value.astype(dtype).reshape(shape)
        out = self._normalize(x, mean, variance)
        return out.astype(inputs.dtype) if jnp.issubdtype(inputs.dtype, jnp.floating) else out

    def _update_moving_statistics(self, mean, variance) -> None:
        # Traced outside a stateless scope (shape inference of a symbolic call, or a user's own
        # `jax.jit`) there is no state to record the new values in, and storing a tracer in the
        # variable would leak it: the statistics are left as they are.
        if current_scope() is None and isinstance(mean, jax.core.Tracer):
            return
        for variable, batch_value in ((self.moving_mean, mean), (self.moving_variance, variance)):
            old = variable.value
            new = old * self.momentum + batch_value.reshape(old.shape).astype(old.dtype) * (1.0 - self.momentum)
            variable.assign(new)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "momentum": self.momentum,
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
        }


class LayerNormalization(_AffineNormalization):
    """Normalizes each example over its feature axes: `gamma * (x - mean) / sqrt(var + epsilon) + beta`.

    Unlike `BatchNormalization`, the statistics come from each example alone, so training and
    inference compute the same thing and there are no moving statistics.

    Args:
        axis: the axis (or list of axes) to normalize over; gamma and beta have their sizes. Default -1.
        epsilon: a small positive number added to the variance. Default 1e-3.
        center: whether to add the learned offset `beta`. Default True.
        scale: whether to multiply by the learned scale `gamma`. Default True.
        beta_initializer: default `"zeros"`.
        gamma_initializer: default `"ones"`.
        beta_regularizer, gamma_regularizer: optional penalties. Default None.
        beta_constraint, gamma_constraint: optional constraints. Default None.

    Input shape: any, with the sizes of `axis` known. Output shape: same as input.
    """

    def __init__(
        self,
        axis: int | list[int] = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ):
        super().__init__(
            axis,
            epsilon,
            center,
            scale,
            beta_initializer,
            gamma_initializer,
            beta_regularizer,
            gamma_regularizer,
            beta_constraint,
            gamma_constraint,
            **kwargs,
        )

    def build(self, input_shape) -> None:
        self._ndim = len(input_shape)
        self._axes = _resolve_axes(self.axis, self._ndim, self)
        self._add_affine_weights(_known_dims(input_shape, self._axes, self))
        self.built = True

    def call(self, inputs):
        self._check_rank(inputs)
        x = inputs.astype(_compute_dtype(inputs, self))
        mean = jnp.mean(x, axis=self._axes, keepdims=True)
        variance = jnp.mean(jnp.square(x - mean), axis=self._axes, keepdims=True)
        out = self._normalize(x, mean, variance)
        return out.astype(inputs.dtype) if jnp.issubdtype(inputs.dtype, jnp.floating) else out


class Normalization(Layer):
    """Standardizes inputs: `(x - mean) / sqrt(variance)`, per feature.

    The statistics are either given (`mean` and `variance`) or learned from data with
    `adapt(data)` before training; they are not trained. Learned statistics are non-trainable
    weights named `mean`, `variance` and `count` (as in tf.keras 2), so they are saved with the
    model. The divisor is at least `backend.epsilon()`, so constant features do not divide by 0.

    Args:
        axis: the axis (or axes) that keep separate statistics; None for one scalar mean and
            variance. Default -1 (one mean and variance per feature of the last axis).
        mean: optional mean, a number or an array broadcastable to the kept axes' sizes. Default None.
        variance: optional variance, given together with `mean`. Default None.
        invert: when True, undo a standardization instead: `x * sqrt(variance) + mean`. Default False.

    Input shape: any, with the sizes of `axis` known. Output shape: same as input.

    Example:
        >>> norm = Normalization()
        >>> norm.adapt(np.array([[0.0, 10.0], [2.0, 30.0]]))
        >>> norm(np.array([[1.0, 20.0]]))  # [[0., 0.]]
    """

    def __init__(self, axis: int | list[int] | None = -1, mean=None, variance=None, invert: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.axis = _check_axis(axis, allow_none=True)
        if (mean is None) != (variance is None):
            raise ValueError(
                "Normalization needs both mean and variance, or neither (to learn them with adapt). "
                f"Received: mean={mean!r}, variance={variance!r}"
            )
        self.input_mean = self._check_statistic(mean, "mean")
        self.input_variance = self._check_statistic(variance, "variance")
        if self.input_variance is not None and np.any(self.input_variance < 0):
            raise ValueError(f"variance must not be negative. Received: variance={variance!r}")
        self.invert = bool(invert)
        self._keep: tuple[int, ...] = ()
        self._ndim = 0

    @staticmethod
    def _check_statistic(value, argument: str) -> np.ndarray | None:
        if value is None:
            return None
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"{argument} must be a number or an array of numbers. Received: {argument}={value!r}"
            ) from err
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{argument} must be finite. Received: {argument}={value!r}")
        return arr

    @property
    def _stat_shape(self) -> tuple[int, ...]:
        return tuple(self._input_dims[a] for a in self._keep)

    def build(self, input_shape) -> None:
        self._ndim = len(input_shape)
        self._keep = _resolve_axes(self.axis, self._ndim, self)
        if 0 in self._keep:
            raise ValueError(
                f"Normalization cannot keep statistics along the batch axis 0. Received: axis={self.axis!r}"
            )
        self._input_dims = tuple(input_shape)
        _known_dims(input_shape, self._keep, self)
        if self.input_mean is None:
            self.mean = self.add_weight("mean", self._stat_shape, initializer="zeros", trainable=False)
            self.variance = self.add_weight("variance", self._stat_shape, initializer="ones", trainable=False)
            self.count = self.add_weight("count", (), dtype="int32", initializer="zeros", trainable=False)
        else:
            self._constants = tuple(
                self._broadcast_constant(value, name)
                for value, name in ((self.input_mean, "mean"), (self.input_variance, "variance"))
            )
        self.built = True

    def _broadcast_constant(self, value: np.ndarray, argument: str) -> np.ndarray:
        try:
            return np.broadcast_to(value, self._stat_shape).astype(self.dtype)
        except ValueError as err:
            raise ValueError(
                f"{argument} must broadcast to the sizes {self._stat_shape} of the kept axes {list(self._keep)}. "
                f"Received: {argument} with shape {value.shape}"
            ) from err

    def _statistics(self):
        if self.input_mean is None:
            return self.mean.value, self.variance.value
        return tuple(jnp.asarray(c) for c in self._constants)

    def call(self, inputs):
        # With axis=None the statistics are scalars and apply to inputs of any rank: as in
        # tf.keras, a layer adapted on 1-D data serves a model whose inputs are (batch, 1).
        if self._keep and inputs.ndim != self._ndim:
            raise ValueError(
                f"Layer '{self.name}' (Normalization) was built for inputs of rank {self._ndim}. "
                f"Received: inputs with shape {tuple(inputs.shape)}"
            )
        if not jnp.issubdtype(inputs.dtype, jnp.floating):
            inputs = inputs.astype(self.dtype)
        mean, variance = self._statistics()
        shape = tuple(inputs.shape[i] if i in self._keep else 1 for i in range(inputs.ndim))
        mean = mean.astype(inputs.dtype).reshape(shape)
        std = jnp.maximum(jnp.sqrt(variance.astype(inputs.dtype)), backend.epsilon()).reshape(shape)
        if self.invert:
            return mean + inputs * std
        return (inputs - mean) / std

    # ------------------------------------------------------------------ adapt
    def adapt(self, data, batch_size: int | None = None, steps: int | None = None) -> None:
        """Sets the mean and variance to those of `data` (computed on the host, in float64).

        Args:
            data: a NumPy or JAX array (or nested lists) of examples, batch axis first; or an
                iterable of such batches (a generator, for example).
            batch_size: the number of examples read at a time from an array. Default None
                (all at once; the result is the same, up to rounding).
            steps: the number of batches to read; default None (all of them).
        """
        if self.input_mean is not None:
            raise ValueError(
                "adapt cannot change statistics given to the constructor. Create the layer without "
                f"mean and variance to learn them. Received: mean={self.input_mean.tolist()!r}"
            )
        for value, argument in ((batch_size, "batch_size"), (steps, "steps")):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0
            ):
                raise ValueError(f"{argument} must be a positive integer or None. Received: {argument}={value!r}")
        count, mean, m2 = 0, None, None
        for batch in self._adapt_batches(data, batch_size, steps):
            if not self.built:
                self._build_shapes = (None,) + batch.shape[1:]
                self.build(self._build_shapes)
                if self._batch_input_shape is None:
                    # As tf.keras: an adapted first layer gives a Sequential model its input
                    # shape, so the model is built (and `summary()` works) before any data.
                    self._batch_input_shape = self._build_shapes
            batch_mean, batch_var, n = self._batch_moments(batch)
            if n == 0:
                continue
            if mean is None:
                count, mean, m2 = n, batch_mean, batch_var * n
                continue
            # Chan et al.'s pairwise update of the mean and the sum of squared deviations.
            total = count + n
            delta = batch_mean - mean
            mean = mean + delta * (n / total)
            m2 = m2 + batch_var * n + np.square(delta) * (count * n / total)
            count = total
        if mean is None:
            raise ValueError(f"adapt needs at least one example. Received: data={_describe(data)}")
        self.mean.assign(mean.astype(self.dtype))
        self.variance.assign((m2 / count).astype(self.dtype))
        self.count.assign(min(count, np.iinfo(np.int32).max))

    def _batch_moments(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        if self._keep and (batch.ndim != self._ndim or any(batch.shape[a] != self._input_dims[a] for a in self._keep)):
            raise ValueError(
                f"adapt data must match the layer's input shape {self._input_dims} on the kept axes "
                f"{list(self._keep)}. Received: a batch of shape {batch.shape}"
            )
        reduce = tuple(i for i in range(batch.ndim) if i not in self._keep)
        n = math.prod(batch.shape[i] for i in reduce)
        if n == 0:
            return np.zeros(self._stat_shape), np.zeros(self._stat_shape), 0
        return batch.mean(axis=reduce), batch.var(axis=reduce), n

    @staticmethod
    def _adapt_batches(data, batch_size: int | None, steps: int | None) -> Iterable[np.ndarray]:
        def as_array(x) -> np.ndarray:
            arr = np.asarray(x)
            if arr.dtype == object or arr.dtype.kind not in "biuf":
                raise TypeError(f"adapt needs numeric data. Received: data={_describe(x)}")
            if arr.ndim == 0:
                raise ValueError(f"adapt needs data with a batch axis. Received: data={_describe(x)}")
            return arr.astype(np.float64)

        if tabular.is_pandas(data):
            data = tabular.to_numpy(data, argument="data")
        if isinstance(data, (np.ndarray, jax.Array, list, tuple)):
            arr = as_array(data)
            size = batch_size or max(len(arr), 1)
            batches = (arr[i : i + size] for i in range(0, max(len(arr), 1), size))
        elif isinstance(data, Iterable) and not isinstance(data, (str, bytes)):
            batches = (as_array(b) for b in data)
        else:
            raise TypeError(f"adapt needs an array or an iterable of arrays. Received: data={_describe(data)}")
        for i, batch in enumerate(batches):
            if steps is not None and i >= steps:
                break
            yield batch

    def get_config(self) -> dict[str, Any]:
        config = {
            **super().get_config(),
            "axis": None if self.axis == () else _axis_config(self.axis),
            "invert": self.invert,
        }
        for key, value in (("mean", self.input_mean), ("variance", self.input_variance)):
            config[key] = None if value is None else value.tolist()
        return config


def _describe(x) -> str:
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return f"array of shape {tuple(x.shape)} and dtype {x.dtype}"
    return f"{type(x).__name__}"
