"""Metrics: a pure API for compiled training steps and the stateful Keras facade.

A metric is three pure functions over a small pytree (a dict of float32 arrays):

    state = metric.init_state()
    state = metric.update(state, y_true, y_pred, sample_weight)   # jittable
    value = metric.compute(state)

The training step carries these states through its compiled `lax.scan`. Keras users see the
same metric through its facade: `update_state`, `result` and `reset_state` apply the pure
functions to the `state` attribute, which the training loop writes back after each run.

Example:

    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state([1, 0], [[0.1, 0.9], [0.2, 0.8]])
    >>> float(m.result())
    0.5
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jeras import activations, backend, losses, serialization
from jeras.losses import _align_ranks, _align_weights, _as_float, _divide_no_nan

State = dict[str, jax.Array]

# Predictions outside the top k are moved to this value, below every threshold.
_NEG_INF = -1e10


# ---------------------------------------------------------------------------- base classes
class Metric:
    """Base class of metrics.

    Subclasses implement `init_state`, `update` and `compute` as pure functions of the
    state; the Keras methods (`update_state`, `result`, `reset_state`, calling the metric)
    come from this class.

    Args:
        name: the name shown in logs. Defaults to the snake-case class name, made unique
            (`precision`, `precision_1`, ...) as tf.keras does.
        dtype: the dtype of the state. Defaults to `floatx()` (`"float32"`).
    """

    def __init__(self, name: str | None = None, dtype: Any = None):
        self.name = name or backend.unique_name(backend.to_snake_case(type(self).__name__))
        self.dtype = backend.standardize_dtype(dtype)
        self._state: Any = None

    # -- pure API
    def init_state(self) -> State:
        """Returns the state of a metric that has seen no data."""
        raise NotImplementedError(f"{type(self).__name__} must implement init_state().")

    def update(
        self, state: State, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> State:
        """Returns `state` updated with one batch. Pure and jittable.

        Args:
            state: the current state.
            y_true: targets.
            y_pred: predictions.
            sample_weight: optional weights. Defaults to None (all ones).

        Returns:
            The new state.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement update().")

    def compute(self, state: State) -> jax.Array:
        """Returns the metric value of `state`. Pure and jittable."""
        raise NotImplementedError(f"{type(self).__name__} must implement compute().")

    def build(self, y_true_shape: Sequence[int | None], y_pred_shape: Sequence[int | None]) -> None:
        """Learns from the data shapes what `init_state` needs. Most metrics need nothing.

        Args:
            y_true_shape: the shape of the targets.
            y_pred_shape: the shape of the predictions.
        """

    # -- Keras facade
    @property
    def state(self) -> State:
        """The accumulated state; assign to it to write back a state computed elsewhere."""
        if self._state is None:
            self._state = self.init_state()
        return self._state

    @state.setter
    def state(self, value: State) -> None:
        self._state = value

    def update_state(self, *args, **kwargs) -> None:
        """Accumulates one batch; takes the arguments of `update` after `state`."""
        self.state = self.update(self.state, *args, **kwargs)

    def result(self) -> jax.Array:
        """Returns the metric value of the accumulated state."""
        return self.compute(self.state)

    def reset_state(self) -> None:
        """Forgets all accumulated data."""
        self._state = None

    def reset_states(self) -> None:
        """Alias of `reset_state` (the tf.keras 2.x name)."""
        self.reset_state()

    def __call__(self, *args, **kwargs) -> jax.Array:
        """Accumulates one batch, then returns the result so far."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Metric:
        return cls(**config)

    def _zeros(self, shape: tuple[int, ...] = ()) -> jax.Array:
        return jnp.zeros(shape, self.dtype)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


def _values_and_weights(values, sample_weight, dtype: str) -> tuple[jax.Array, jax.Array | None]:
    """Casts values and broadcasts the weights over them, as tf.keras' reduction metrics do."""
    values = jnp.asarray(values).astype(dtype)
    if sample_weight is None:
        return values, None
    weights = _align_weights(jnp.asarray(sample_weight).astype(dtype), values.ndim)
    if 0 < weights.ndim < values.ndim:
        # tf.keras 2.x: weights of lower rank average the values over the remaining axes.
        values = jnp.mean(values, axis=tuple(range(weights.ndim, values.ndim)))
    try:
        weights = jnp.broadcast_to(weights, values.shape)
    except ValueError as err:
        raise ValueError(
            "sample_weight must broadcast to the metric values. "
            f"Received: sample_weight.shape={weights.shape}, values.shape={values.shape}"
        ) from err
    return values, weights


class Mean(Metric):
    """Weighted mean of all values seen: `sum(values * w) / sum(w)`.

    `update_state(values, sample_weight=None)`: weights are broadcast to the values (each
    element counts), as tf.keras 2.x does.

    Args:
        name: defaults to `"mean"`.
        dtype: the state dtype. Defaults to `floatx()`.
    """

    def __init__(self, name: str | None = "mean", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)

    def init_state(self) -> State:
        return {"total": self._zeros(), "count": self._zeros()}

    def update(self, state: State, values: ArrayLike, sample_weight: ArrayLike | None = None) -> State:
        """Returns `state` updated with `values` (any shape) and their optional weights."""
        values, weights = _values_and_weights(values, sample_weight, self.dtype)
        if weights is None:
            total, count = jnp.sum(values), values.size
        else:
            total, count = jnp.sum(values * weights), jnp.sum(weights)
        return {"total": state["total"] + total, "count": state["count"] + count}

    def compute(self, state: State) -> jax.Array:
        return _divide_no_nan(state["total"], state["count"])


class Sum(Metric):
    """Weighted sum of all values seen. `update_state(values, sample_weight=None)`.

    Args:
        name: defaults to `"sum"`.
        dtype: the state dtype. Defaults to `floatx()`.
    """

    def __init__(self, name: str | None = "sum", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)

    def init_state(self) -> State:
        return {"total": self._zeros()}

    def update(self, state: State, values: ArrayLike, sample_weight: ArrayLike | None = None) -> State:
        """Returns `state` updated with `values` (any shape) and their optional weights."""
        values, weights = _values_and_weights(values, sample_weight, self.dtype)
        if weights is not None:
            values = values * weights
        return {"total": state["total"] + jnp.sum(values)}

    def compute(self, state: State) -> jax.Array:
        return state["total"]


class MeanMetricWrapper(Mean):
    """Weighted mean over samples of a per-sample function `fn(y_true, y_pred, **fn_kwargs)`.

    Every sample counts once, whatever the batch sizes: the result is not a mean of batch
    means.

    Args:
        fn: returns per-sample values.
        name: defaults to a unique `"mean_metric_wrapper"`.
        dtype: the state dtype; `y_true` and `y_pred` are cast to it. Defaults to `floatx()`.
        **fn_kwargs: keyword arguments passed to `fn`.
    """

    def __init__(self, fn: Callable, name: str | None = None, dtype: Any = None, **fn_kwargs):
        if not callable(fn):
            raise TypeError(f"MeanMetricWrapper needs a callable. Received: fn={fn!r}")
        super().__init__(name=name, dtype=dtype)
        self.fn = fn
        self.fn_kwargs = fn_kwargs

    def update(
        self, state: State, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> State:
        y_true = jnp.asarray(y_true).astype(self.dtype)
        predictions = jnp.asarray(y_pred).astype(self.dtype)
        activations.carry_logits(y_pred, predictions)  # crossentropy metrics use them, as the losses do
        y_true, y_pred = _align_ranks(y_true, predictions)
        return super().update(state, self.fn(y_true, y_pred, **self.fn_kwargs), sample_weight)

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), **self.fn_kwargs}
        if type(self) is MeanMetricWrapper:
            config["fn"] = serialization.serialize(self.fn)
        return config

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Metric:
        config = dict(config)
        if cls is not MeanMetricWrapper:
            return cls(**config)
        fn = config.pop("fn")
        try:
            fn = get(fn)
        except ValueError:
            # Wrapped losses (see `resolve_compile_metric`) may name loss-only functions.
            fn = losses.get(fn)
        return cls(fn, **config)


# ---------------------------------------------------------------------------- functions
def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """1.0 where `y_true == y_pred` element by element, else 0.0.

    Args:
        y_true: targets.
        y_pred: predictions of the same shape.

    Returns:
        Element-wise matches.
    """
    y_true, y_pred = _align_ranks(jnp.asarray(y_true), jnp.asarray(y_pred))
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"accuracy expects y_true and y_pred of the same shape. "
            f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
        )
    return (y_true == y_pred.astype(y_true.dtype)).astype(backend.floatx())


def binary_accuracy(y_true: ArrayLike, y_pred: ArrayLike, threshold: float = 0.5) -> jax.Array:
    """Share of the last axis where `(y_pred > threshold)` equals `y_true`.

    Args:
        y_true: 0/1 targets.
        y_pred: probabilities.
        threshold: the decision threshold. Defaults to 0.5.

    Returns:
        Per-sample accuracies.
    """
    y_pred = _as_float(y_pred)
    y_true, y_pred = _align_ranks(jnp.asarray(y_true).astype(y_pred.dtype), y_pred)
    predicted = (y_pred > threshold).astype(y_pred.dtype)
    return jnp.mean((y_true == predicted).astype(backend.floatx()), axis=-1)


def categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """1.0 where the arg-max of one-hot `y_true` equals the arg-max of `y_pred`.

    Args:
        y_true: one-hot targets.
        y_pred: class scores.

    Returns:
        Per-sample matches.
    """
    matches = jnp.argmax(jnp.asarray(y_true), axis=-1) == jnp.argmax(jnp.asarray(y_pred), axis=-1)
    return matches.astype(backend.floatx())


def _sparse_labels(fn_name: str, y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
    if y_true.ndim != y_pred.ndim:
        return y_true
    if y_true.shape[-1] != 1:
        raise ValueError(
            f"{fn_name} expects integer labels of shape (batch,) or (batch, 1); for one-hot labels "
            f"use the non-sparse metric. Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
        )
    return y_true[..., 0]


def sparse_categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """1.0 where the integer label equals the arg-max of `y_pred`.

    Args:
        y_true: integer labels, shape `(batch,)` or `(batch, 1)`.
        y_pred: class scores, shape `(batch, num_classes)`.

    Returns:
        Per-sample matches, shaped like `y_true`.
    """
    y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
    labels = _sparse_labels("sparse_categorical_accuracy", y_true, y_pred)
    matches = labels == jnp.argmax(y_pred, axis=-1).astype(labels.dtype)
    return matches.astype(backend.floatx()).reshape(y_true.shape)


def _in_top_k(labels: jax.Array, scores: jax.Array, k: int) -> jax.Array:
    """Whether each label's score is among the k largest (ties at the boundary count as in)."""
    num_classes = scores.shape[-1]
    target = jnp.take_along_axis(scores, jnp.clip(labels, 0, num_classes - 1)[..., None], axis=-1)
    higher = jnp.sum(scores > target, axis=-1)
    valid = (labels >= 0) & (labels < num_classes) & jnp.isfinite(target[..., 0])
    return valid & (higher < k)


def sparse_top_k_categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike, k: int = 5) -> jax.Array:
    """1.0 where the integer label is among the `k` highest-scored classes.

    Args:
        y_true: integer labels, shape `(batch,)` or `(batch, 1)`.
        y_pred: class scores, shape `(batch, num_classes)`.
        k: how many top classes count. Defaults to 5.

    Returns:
        Per-sample matches, shaped like `y_true`.
    """
    y_true, y_pred = jnp.asarray(y_true), _as_float(y_pred)
    labels = _sparse_labels("sparse_top_k_categorical_accuracy", y_true, y_pred).astype(jnp.int32)
    return _in_top_k(labels, y_pred, k).astype(backend.floatx()).reshape(y_true.shape)


def top_k_categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike, k: int = 5) -> jax.Array:
    """1.0 where the arg-max of one-hot `y_true` is among the `k` highest-scored classes.

    Args:
        y_true: one-hot targets.
        y_pred: class scores.
        k: how many top classes count. Defaults to 5.

    Returns:
        Per-sample matches.
    """
    labels = jnp.argmax(jnp.asarray(y_true), axis=-1)
    return _in_top_k(labels, _as_float(y_pred), k).astype(backend.floatx())


# Loss functions tf.keras also exports as metrics.
mean_squared_error = mse = MSE = losses.mean_squared_error
mean_absolute_error = mae = MAE = losses.mean_absolute_error
mean_absolute_percentage_error = mape = MAPE = losses.mean_absolute_percentage_error
mean_squared_logarithmic_error = msle = MSLE = losses.mean_squared_logarithmic_error
binary_crossentropy = bce = BCE = losses.binary_crossentropy
categorical_crossentropy = losses.categorical_crossentropy
sparse_categorical_crossentropy = losses.sparse_categorical_crossentropy
binary_focal_crossentropy = losses.binary_focal_crossentropy
categorical_focal_crossentropy = losses.categorical_focal_crossentropy
kl_divergence = kullback_leibler_divergence = kld = KLD = losses.kl_divergence
hinge = losses.hinge
squared_hinge = losses.squared_hinge
categorical_hinge = losses.categorical_hinge
log_cosh = logcosh = losses.log_cosh
poisson = losses.poisson
acc = ACC = accuracy


def cosine_similarity(y_true: ArrayLike, y_pred: ArrayLike, axis: int = -1) -> jax.Array:
    """Cosine similarity of targets and predictions along `axis` (1 is best; the loss is its negative).

    Args:
        y_true: targets.
        y_pred: predictions.
        axis: the axis along which the similarity is computed. Defaults to -1.

    Returns:
        Per-sample similarities in [-1, 1].
    """
    return -losses.cosine_similarity(y_true, y_pred, axis=axis)


# ---------------------------------------------------------------------------- wrapper classes
class Accuracy(MeanMetricWrapper):
    """How often predictions equal targets exactly; see `accuracy`.

    Args:
        name: defaults to `"accuracy"`.
        dtype: the state dtype. Defaults to `floatx()`.
    """

    def __init__(self, name: str = "accuracy", dtype: Any = None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often thresholded probabilities match 0/1 targets; see `binary_accuracy`.

    Args:
        name: defaults to `"binary_accuracy"`.
        dtype: the state dtype. Defaults to `floatx()`.
        threshold: the decision threshold. Defaults to 0.5.
    """

    def __init__(self, name: str = "binary_accuracy", dtype: Any = None, threshold: float = 0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max matches one-hot targets; see `categorical_accuracy`.

    Args:
        name: defaults to `"categorical_accuracy"`.
        dtype: the state dtype. Defaults to `floatx()`.
    """

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max matches integer labels; see `sparse_categorical_accuracy`.

    Args:
        name: defaults to `"sparse_categorical_accuracy"`.
        dtype: the state dtype. Defaults to `floatx()`.
    """

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: Any = None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often one-hot targets are in the top `k` predictions; see `top_k_categorical_accuracy`.

    Args:
        k: how many top classes count. Defaults to 5.
        name: defaults to `"top_k_categorical_accuracy"`.
        dtype: the state dtype. Defaults to `floatx()`.
    """

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype: Any = None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often integer labels are in the top `k` predictions; see `sparse_top_k_categorical_accuracy`.

    Args:
        k: how many top classes count. Defaults to 5.
        name: defaults to `"sparse_top_k_categorical_accuracy"`.
        dtype: the state dtype. Defaults to `floatx()`.
    """

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy", dtype: Any = None):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)


class MeanSquaredError(MeanMetricWrapper):
    """Mean over samples of `mean_squared_error`.

    Args:
        name: defaults to `"mean_squared_error"`.
        dtype: the state dtype. Defaults to `floatx()`.
    """

    def __init__(self, name: str = "mean_squared_error", dtype: Any = None):
        super().__init__(mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """Mean over samples of `mean_absolute_error`.

    Args:
        name: defaults to `"mean_absolute_error"`.
        dtype: the state dtype. Defaults to `floatx()`.
    """

    def __init__(self, name: str = "mean_absolute_error", dtype: Any = None):
        super().__init__(mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """Mean over samples of `mean_absolute_percentage_error`.

    Args:
        name: defaults to `"mean_absolute_percentage_error"`.
        dtype: the state dtype. Defaults to `floatx()`.
    """

    def __init__(self, name: str = "mean_absolute_percentage_error", dtype: Any = None):
        super().__init__(mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """Mean over samples of `mean_squared_logarithmic_error`.

    Args:
        name: defaults to `"mean_squared_logarithmic_error"`.
        dtype: the state dtype. Defaults to `floatx()`.
    """

    def __init__(self, name: str = "mean_squared_logarithmic_error", dtype: Any = None):
        super().__init__(mean_squared_logarithmic_error, name=name, dtype=dtype)


class BinaryCrossentropy(MeanMetricWrapper):
    """Mean over samples of `binary_crossentropy` (computed from the logits of a sigmoid output, as the loss).

    Args:
        name: defaults to `"binary_crossentropy"`.
        dtype: the state dtype. Defaults to `floatx()`.
        from_logits: whether predictions are logits. Defaults to False.
        label_smoothing: see `keras.losses.binary_crossentropy`. Defaults to 0.
    """

    def __init__(
        self,
        name: str = "binary_crossentropy",
        dtype: Any = None,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
    ):
        super().__init__(
            binary_crossentropy, name=name, dtype=dtype, from_logits=from_logits, label_smoothing=label_smoothing
        )


class CategoricalCrossentropy(MeanMetricWrapper):
    """Mean over samples of `categorical_crossentropy` for one-hot targets.

    Args:
        name: defaults to `"categorical_crossentropy"`.
        dtype: the state dtype. Defaults to `floatx()`.
        from_logits: whether predictions are logits. Defaults to False.
        label_smoothing: see `keras.losses.categorical_crossentropy`. Defaults to 0.
        axis: the class axis. Defaults to -1.
    """

    def __init__(
        self,
        name: str = "categorical_crossentropy",
        dtype: Any = None,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
    ):
        super().__init__(
            categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """Mean over samples of `sparse_categorical_crossentropy` for integer labels.

    Args:
        name: defaults to `"sparse_categorical_crossentropy"`.
        dtype: the state dtype. Defaults to `floatx()`.
        from_logits: whether predictions are logits. Defaults to False.
        axis: the class axis. Defaults to -1.
    """

    def __init__(
        self,
        name: str = "sparse_categorical_crossentropy",
        dtype: Any = None,
        from_logits: bool = False,
        axis: int = -1,
    ):
        super().__init__(sparse_categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits, axis=axis)

    def update(self, state, y_true, y_pred, sample_weight=None):
        # Labels stay integers: the wrapper's cast to the state dtype is for the predictions only.
        predictions = jnp.asarray(y_pred).astype(self.dtype)
        activations.carry_logits(y_pred, predictions)
        values = self.fn(jnp.asarray(y_true), predictions, **self.fn_kwargs)
        return Mean.update(self, state, values, sample_weight)


class KLDivergence(MeanMetricWrapper):
    """Mean over samples of `kl_divergence`.

    Args:
        name: defaults to `"kullback_leibler_divergence"` (tf.keras 2.x's name).
        dtype: the state dtype. Defaults to `floatx()`.
    """

    def __init__(self, name: str = "kullback_leibler_divergence", dtype: Any = None):
        super().__init__(kl_divergence, name=name, dtype=dtype)


class Hinge(MeanMetricWrapper):
    """Mean over samples of `hinge`.

    Args:
        name: defaults to `"hinge"`.
        dtype: the state dtype. Defaults to `floatx()`.
    """

    def __init__(self, name: str = "hinge", dtype: Any = None):
        super().__init__(hinge, name=name, dtype=dtype)


class SquaredHinge(MeanMetricWrapper):
    """Mean over samples of `squared_hinge`.

    Args:
        name: defaults to `"squared_hinge"`.
        dtype: the state dtype. Defaults to `floatx()`.
    """

    def __init__(self, name: str = "squared_hinge", dtype: Any = None):
        super().__init__(squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(MeanMetricWrapper):
    """Mean over samples of `categorical_hinge`.

    Args:
        name: defaults to `"categorical_hinge"`.
        dtype: the state dtype. Defaults to `floatx()`.
    """

    def __init__(self, name: str = "categorical_hinge", dtype: Any = None):
        super().__init__(categorical_hinge, name=name, dtype=dtype)


class Poisson(MeanMetricWrapper):
    """Mean over samples of `poisson`.

    Args:
        name: defaults to `"poisson"`.
        dtype: the state dtype. Defaults to `floatx()`.
    """

    def __init__(self, name: str = "poisson", dtype: Any = None):
        super().__init__(poisson, name=name, dtype=dtype)


class LogCoshError(MeanMetricWrapper):
    """Mean over samples of `log_cosh`.

    Args:
        name: defaults to `"logcosh"` (tf.keras 2.x's name).
        dtype: the state dtype. Defaults to `floatx()`.
    """

    def __init__(self, name: str = "logcosh", dtype: Any = None):
        super().__init__(log_cosh, name=name, dtype=dtype)


class CosineSimilarity(MeanMetricWrapper):
    """Mean over samples of `cosine_similarity` (positive: 1 when predictions point like targets).

    Args:
        name: defaults to `"cosine_similarity"`.
        dtype: the state dtype. Defaults to `floatx()`.
        axis: the axis along which the similarity is computed. Defaults to -1.
    """

    def __init__(self, name: str = "cosine_similarity", dtype: Any = None, axis: int = -1):
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)


class RootMeanSquaredError(Mean):
    """Square root of the weighted mean of squared errors over all elements.

    Args:
        name: defaults to `"root_mean_squared_error"`.
        dtype: the state dtype. Defaults to `floatx()`.
    """

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)

    def update(
        self, state: State, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> State:
        y_true = jnp.asarray(y_true).astype(self.dtype)
        y_pred = jnp.asarray(y_pred).astype(self.dtype)
        y_true, y_pred = _align_ranks(y_true, y_pred)
        return super().update(state, jnp.square(y_pred - y_true), sample_weight)

    def compute(self, state: State) -> jax.Array:
        return jnp.sqrt(super().compute(state))


# ---------------------------------------------------------------------------- confusion counts
def _parse_thresholds(thresholds: float | Sequence[float] | None, default: float) -> list[float]:
    if thresholds is None:
        return [default]
    values = [float(t) for t in np.atleast_1d(np.asarray(thresholds, dtype=np.float64))]
    if not values or any(not 0.0 <= t <= 1.0 for t in values):
        raise ValueError(f"Threshold values must be in [0, 1]. Received: thresholds={thresholds!r}")
    return values


def _evenly_spaced(thresholds: Sequence[float]) -> bool:
    n = len(thresholds)
    return n >= 3 and bool(np.allclose(thresholds, np.arange(n) / (n - 1), atol=backend.epsilon()))


def _keep_top_k(y_pred: jax.Array, k: int) -> jax.Array:
    _, indices = jax.lax.top_k(y_pred, k)
    in_top = jnp.sum(jax.nn.one_hot(indices, y_pred.shape[-1], dtype=y_pred.dtype), axis=-2) > 0
    return jnp.where(in_top, y_pred, _NEG_INF)


def _confusion_counts(
    y_true,
    y_pred,
    sample_weight,
    *,
    thresholds: Sequence[float],
    evenly: bool,
    dtype: str,
    top_k: int | None = None,
    class_id: int | None = None,
    multi_label: bool = False,
    label_weights: Sequence[float] | None = None,
) -> State:
    """Weighted true/false positive/negative counts of one batch at each threshold.

    A prediction is positive at threshold `t` when it is strictly greater than `t`; a label
    is positive when it is non-zero. Counts have shape `(num_thresholds,)`, or
    `(num_thresholds, num_labels)` with `multi_label`.
    """
    y_true = jnp.asarray(y_true).astype(dtype)
    y_pred = jnp.asarray(y_pred).astype(dtype)
    y_true, y_pred = _align_ranks(y_true, y_pred)
    weights = None
    if sample_weight is not None:
        weights = _align_weights(jnp.asarray(sample_weight).astype(dtype), y_true.ndim)
    if top_k is not None:
        y_pred = _keep_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim < 2:
            raise ValueError(
                f"class_id needs predictions of shape (batch, num_classes). Received: y_pred.shape={y_pred.shape}"
            )
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    weights = jnp.ones_like(y_pred) if weights is None else jnp.broadcast_to(weights, y_pred.shape)
    if label_weights is not None:
        weights = weights * jnp.asarray(label_weights, dtype)
    positives = (y_true != 0).astype(dtype) * weights
    negatives = (y_true == 0).astype(dtype) * weights
    if not multi_label:
        y_pred, positives, negatives = y_pred.ravel(), positives.ravel(), negatives.ravel()

    num_thresholds = len(thresholds)
    if evenly:
        # Thresholds i / (n - 1): each prediction falls in one bucket, and the counts above
        # threshold i are the reversed cumulative sums of the bucket totals.
        buckets = jnp.ceil(jnp.clip(y_pred, 0.0, 1.0) * (num_thresholds - 1)) - 1
        if thresholds[0] < 0.0 or thresholds[-1] > 1.0:
            buckets = jnp.maximum(buckets, 0)
        buckets = buckets.astype(jnp.int32)

        def above(values, ids):
            totals = jax.ops.segment_sum(values, ids, num_segments=num_thresholds)
            return jnp.cumsum(totals[::-1])[::-1]

        if multi_label:
            above = jax.vmap(above, in_axes=1, out_axes=1)
        tp, fp = above(positives, buckets), above(negatives, buckets)
    else:
        t = jnp.asarray(thresholds, dtype).reshape((-1,) + (1,) * y_pred.ndim)
        is_above = y_pred[None] > t
        tp = jnp.sum(jnp.where(is_above, positives, 0.0), axis=1)
        fp = jnp.sum(jnp.where(is_above, negatives, 0.0), axis=1)
    return {
        "true_positives": tp,
        "false_positives": fp,
        "true_negatives": jnp.sum(negatives, axis=0) - fp,
        "false_negatives": jnp.sum(positives, axis=0) - tp,
    }


class _ThresholdMetric(Metric):
    """Shared part of `Precision` and `Recall`: counts kept at each threshold."""

    _counts: tuple[str, str]

    def __init__(
        self,
        thresholds: float | Sequence[float] | None = None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        self.thresholds = _parse_thresholds(thresholds, 0.5 if top_k is None else _NEG_INF)
        self._evenly = _evenly_spaced(self.thresholds)

    def init_state(self) -> State:
        return {key: self._zeros((len(self.thresholds),)) for key in self._counts}

    def update(
        self, state: State, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> State:
        counts = _confusion_counts(
            y_true,
            y_pred,
            sample_weight,
            thresholds=self.thresholds,
            evenly=self._evenly,
            dtype=self.dtype,
            top_k=self.top_k,
            class_id=self.class_id,
        )
        return {key: state[key] + counts[key] for key in self._counts}

    def compute(self, state: State) -> jax.Array:
        tp, other = (state[key] for key in self._counts)
        value = _divide_no_nan(tp, tp + other)
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


class Precision(_ThresholdMetric):
    """Share of predicted positives that are positive: `tp / (tp + fp)`.

    A prediction is positive when it is above the threshold (or, with `top_k`, among the
    `k` largest of its row); labels are positive when non-zero.

    Args:
        thresholds: a float or list of floats in [0, 1]; the result is a vector when there
            are several. Defaults to None (0.5, or no threshold with `top_k`).
        top_k: only the `k` largest predictions of each row can be positive. Defaults to None.
        class_id: only this column counts. Defaults to None (all elements).
        name: defaults to a unique `"precision"`.
        dtype: the state dtype. Defaults to `floatx()`.
    """

    _counts = ("true_positives", "false_positives")


class Recall(_ThresholdMetric):
    """Share of positives that are predicted positive: `tp / (tp + fn)`.

    Args:
        thresholds: a float or list of floats in [0, 1]; the result is a vector when there
            are several. Defaults to None (0.5, or no threshold with `top_k`).
        top_k: only the `k` largest predictions of each row can be positive. Defaults to None.
        class_id: only this column counts. Defaults to None (all elements).
        name: defaults to a unique `"recall"`.
        dtype: the state dtype. Defaults to `floatx()`.
    """

    _counts = ("true_positives", "false_negatives")


_CURVES = {"roc": "ROC", "pr": "PR"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")


class AUC(Metric):
    """Area under the ROC or precision-recall curve, from counts at fixed thresholds.

    Args:
        num_thresholds: how many thresholds split [0, 1]; more is more exact. Defaults to 200.
        curve: `"ROC"` or `"PR"`. Defaults to `"ROC"`.
        summation_method: `"interpolation"` (trapezoids; for PR the interpolation of
            Davis & Goadrich 2006), `"minoring"` or `"majoring"`. Defaults to `"interpolation"`.
        name: defaults to a unique `"auc"`.
        dtype: the state dtype. Defaults to `floatx()`.
        thresholds: explicit thresholds in [0, 1], replacing `num_thresholds`. Defaults to None.
        multi_label: keep one curve per label (column) and average their areas, instead of
            flattening all labels into one curve. Defaults to False.
        num_labels: the number of labels with `multi_label`; otherwise learned from the
            first batch. Defaults to None.
        label_weights: non-negative weights of the labels: weights of the flattened
            elements, or of each label's area with `multi_label`. Defaults to None.
        from_logits: apply a sigmoid to predictions first. Defaults to False.
    """

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name: str | None = None,
        dtype: Any = None,
        thresholds: Sequence[float] | None = None,
        multi_label: bool = False,
        num_labels: int | None = None,
        label_weights: Sequence[float] | None = None,
        from_logits: bool = False,
    ):
        if str(curve).lower() not in _CURVES:
            raise ValueError(f"Invalid curve: expected 'ROC' or 'PR'. Received: curve={curve!r}")
        if str(summation_method).lower() not in _SUMMATIONS:
            raise ValueError(
                f"Invalid summation method: expected one of {_SUMMATIONS}. Received: summation_method={summation_method!r}"
            )
        if num_labels is not None and not multi_label:
            raise ValueError(f"num_labels is only used with multi_label=True. Received: num_labels={num_labels!r}")
        if thresholds is not None:
            inner = sorted(_parse_thresholds(thresholds, 0.5))
            self._evenly = _evenly_spaced([0.0, *inner, 1.0])
        else:
            if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or num_thresholds <= 1:
                raise ValueError(f"num_thresholds must be an integer > 1. Received: num_thresholds={num_thresholds!r}")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        if label_weights is not None:
            label_weights = [float(w) for w in np.ravel(label_weights)]
            if any(w < 0 for w in label_weights):
                raise ValueError(f"label_weights must be non-negative. Received: label_weights={label_weights!r}")
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = None if thresholds is None else inner
        # The end thresholds sit just outside [0, 1] so that predictions of exactly 0 or 1
        # are counted at every inner threshold.
        self.thresholds = [-backend.epsilon(), *inner, 1.0 + backend.epsilon()]
        self.num_thresholds = len(self.thresholds)
        self.curve = _CURVES[str(curve).lower()]
        self.summation_method = str(summation_method).lower()
        self.multi_label = bool(multi_label)
        self.num_labels = num_labels
        self.label_weights = label_weights
        self.from_logits = bool(from_logits)

    def build(self, y_true_shape: Sequence[int | None], y_pred_shape: Sequence[int | None]) -> None:
        """With `multi_label` and no `num_labels`, takes the label count from `y_pred`."""
        if not self.multi_label or self.num_labels is not None:
            return
        if len(y_pred_shape) != 2 or y_pred_shape[1] is None:
            raise ValueError(
                "AUC(multi_label=True) expects predictions of shape (batch, num_labels). "
                f"Received: y_pred.shape={tuple(y_pred_shape)}"
            )
        self.num_labels = int(y_pred_shape[1])

    def init_state(self) -> State:
        if self.multi_label and self.num_labels is None:
            raise ValueError(
                "AUC(multi_label=True) needs the number of labels to create its state: pass "
                "num_labels, or call build() or update_state() first. Received: num_labels=None"
            )
        shape = (self.num_thresholds, self.num_labels) if self.multi_label else (self.num_thresholds,)
        return {
            key: self._zeros(shape)
            for key in ("true_positives", "false_positives", "true_negatives", "false_negatives")
        }

    def update_state(self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None) -> None:
        """Accumulates one batch (learning `num_labels` from it if needed)."""
        self.build(np.shape(y_true), np.shape(y_pred))
        super().update_state(y_true, y_pred, sample_weight)

    def update(
        self, state: State, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> State:
        if self.from_logits:
            y_pred = jax.nn.sigmoid(_as_float(y_pred))
        counts = _confusion_counts(
            y_true,
            y_pred,
            sample_weight,
            thresholds=self.thresholds,
            evenly=self._evenly,
            dtype=self.dtype,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
        )
        return {key: state[key] + counts[key] for key in state}

    def compute(self, state: State) -> jax.Array:
        tp, fp = state["true_positives"], state["false_positives"]
        tn, fn = state["true_negatives"], state["false_negatives"]
        if self.curve == "PR" and self.summation_method == "interpolation":
            areas = _interpolated_pr_areas(tp, fp, fn)
        else:
            recall = _divide_no_nan(tp, tp + fn)
            if self.curve == "ROC":
                x, y = _divide_no_nan(fp, fp + tn), recall
            else:
                x, y = recall, _divide_no_nan(tp, tp + fp)
            if self.summation_method == "interpolation":
                heights = (y[:-1] + y[1:]) / 2.0
            elif self.summation_method == "minoring":
                heights = jnp.minimum(y[:-1], y[1:])
            else:
                heights = jnp.maximum(y[:-1], y[1:])
            areas = (x[:-1] - x[1:]) * heights
        by_label = jnp.sum(areas, axis=0)
        if not self.multi_label:
            return by_label
        if self.label_weights is None:
            return jnp.mean(by_label)
        weights = jnp.asarray(self.label_weights, by_label.dtype)
        return _divide_no_nan(jnp.sum(by_label * weights), jnp.sum(weights))

    def get_config(self) -> dict[str, Any]:
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": self.label_weights,
            "from_logits": self.from_logits,
        }
        if self.init_thresholds is not None:
            config["thresholds"] = self.init_thresholds
        return config


def _interpolated_pr_areas(tp: jax.Array, fp: jax.Array, fn: jax.Array) -> jax.Array:
    """Areas under the PR curve between successive thresholds (Davis & Goadrich 2006).

    Within each interval the true positives and the predicted positives `p = tp + fp` vary
    linearly, so precision is `(tp_a + slope * (p - p_a)) / p`, whose integral over recall
    has a closed form with a logarithm of the ratio of the `p` at both ends.
    """
    p = tp + fp
    dtp = tp[:-1] - tp[1:]
    dp = p[:-1] - p[1:]
    slope = _divide_no_nan(dtp, jnp.maximum(dp, 0.0))
    intercept = tp[1:] - slope * p[1:]
    both_positive = (p[:-1] > 0) & (p[1:] > 0)
    ratio = jnp.where(both_positive, _divide_no_nan(p[:-1], jnp.maximum(p[1:], 0.0)), 1.0)
    return _divide_no_nan(slope * (dtp + intercept * jnp.log(ratio)), jnp.maximum(tp[1:] + fn[1:], 0.0))


# ---------------------------------------------------------------------------- lookup
_REGISTRY = serialization.registry_of(
    Mean,
    Sum,
    MeanMetricWrapper,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    KLDivergence,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    Poisson,
    LogCoshError,
    CosineSimilarity,
    RootMeanSquaredError,
    Precision,
    Recall,
    AUC,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    top_k_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    mean_squared_error,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
    kl_divergence,
    hinge,
    squared_hinge,
    categorical_hinge,
    log_cosh,
    cosine_similarity,
    poisson,
    aliases={
        "acc": accuracy,
        "ACC": accuracy,
        "mse": mean_squared_error,
        "MSE": mean_squared_error,
        "mae": mean_absolute_error,
        "MAE": mean_absolute_error,
        "mape": mean_absolute_percentage_error,
        "MAPE": mean_absolute_percentage_error,
        "msle": mean_squared_logarithmic_error,
        "MSLE": mean_squared_logarithmic_error,
        "bce": binary_crossentropy,
        "BCE": binary_crossentropy,
        "kullback_leibler_divergence": kl_divergence,
        "logcosh": log_cosh,
    },
)


def get(identifier: Any) -> Callable | Metric | None:
    """Returns the metric an identifier names.

    Function names (`"accuracy"`, `"mse"`) give the function; class names (`"AUC"`) give an
    instance with default arguments; config dicts give an instance built with
    `from_config`; callables and `None` pass through.

    Args:
        identifier: a name, a config dict, a callable, or None.

    Returns:
        A metric function, a `Metric` instance, or None.

    Raises:
        ValueError: for unknown names.
        TypeError: for identifiers of another type.
    """
    if identifier is None:
        return None
    return serialization.resolve(identifier, _REGISTRY, kind="metric", argument="metrics")


def _auto_function(kind: str, y_true_shape: Sequence[int | None], y_pred_shape: Sequence[int | None]) -> Callable:
    """tf.keras 2.x's choice for "accuracy" and "crossentropy" from the target and output shapes."""
    is_binary = y_pred_shape[-1] == 1
    is_sparse = len(y_true_shape) < len(y_pred_shape) or (y_true_shape[-1] == 1 and y_pred_shape[-1] != 1)
    if kind == "accuracy":
        choices = (binary_accuracy, sparse_categorical_accuracy, categorical_accuracy)
    else:
        choices = (binary_crossentropy, sparse_categorical_crossentropy, categorical_crossentropy)
    return choices[0] if is_binary else choices[1] if is_sparse else choices[2]


_AUTO_NAMES = {"accuracy": "accuracy", "acc": "accuracy", "crossentropy": "crossentropy", "ce": "crossentropy"}


def resolve_compile_metric(
    identifier: Any, *, y_true_shape: Sequence[int | None], y_pred_shape: Sequence[int | None]
) -> Metric:
    """Returns the `Metric` that a `compile(metrics=[...])` entry stands for, as tf.keras 2.x does.

    `"accuracy"`/`"acc"` become binary, sparse categorical or categorical accuracy, and
    `"crossentropy"`/`"ce"` the matching crossentropy, chosen from the shapes: binary when
    the output's last axis is 1, sparse when the targets have lower rank than the outputs or
    a last axis of 1. Functions (and other names that resolve to functions) become a
    `MeanMetricWrapper` named as given (`"acc"` logs as `"acc"`, `"mse"` as `"mse"`); metric
    classes are instantiated; `Metric` instances pass through; losses are averaged per sample.

    Args:
        identifier: a name, a config dict, a function, a `Metric` or `Loss`.
        y_true_shape: the shape of the targets this metric will see.
        y_pred_shape: the shape of the predictions this metric will see.

    Returns:
        A `Metric`, built for the given shapes.
    """
    y_true_shape, y_pred_shape = tuple(y_true_shape), tuple(y_pred_shape)
    if isinstance(identifier, str) and identifier.lower() in _AUTO_NAMES:
        fn = _auto_function(_AUTO_NAMES[identifier.lower()], y_true_shape, y_pred_shape)
        metric = MeanMetricWrapper(fn, name=identifier)
    else:
        resolved = get(identifier)
        if resolved is None:
            raise ValueError(f"A metric is required. Received: metrics={identifier!r}")
        if isinstance(resolved, type) and issubclass(resolved, Metric):
            resolved = resolved()
        if isinstance(resolved, Metric):
            metric = resolved
        elif isinstance(resolved, losses.LossFunctionWrapper):
            metric = MeanMetricWrapper(resolved.fn, name=resolved.name, **resolved.fn_kwargs)
        elif isinstance(resolved, losses.Loss):
            metric = MeanMetricWrapper(resolved.call, name=resolved.name)
        else:
            name = identifier if isinstance(identifier, str) else getattr(resolved, "__name__", None)
            metric = MeanMetricWrapper(resolved, name=name or backend.to_snake_case(type(resolved).__name__))
    metric.build(y_true_shape, y_pred_shape)
    return metric


def serialize(metric: Callable | Metric) -> Any:
    """Returns a metric function's name or a `{"class_name", "config"}` dict for a `Metric`."""
    return serialization.serialize(metric)


def deserialize(config: Any, custom_objects: Mapping[str, Any] | None = None) -> Callable | Metric | None:
    """Rebuilds a metric from `serialize` output, resolving user objects in `custom_objects`."""
    with serialization.custom_object_scope(custom_objects):
        return get(config)
