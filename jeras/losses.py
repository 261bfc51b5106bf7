"""Loss functions and the Keras loss classes.

Loss functions return one value per sample: they reduce over the last axis, so the result
has the batch shape of `y_pred`. Loss objects (`MeanSquaredError()`, ...) wrap a function
and reduce its per-sample values to a scalar, optionally weighted by `sample_weight`.

Everything here is pure and traceable: the training step calls `Loss.call` inside a compiled
`lax.scan` and reduces the per-sample values itself.

Example:

    >>> loss = MeanSquaredError()
    >>> float(loss([[0.0, 1.0]], [[1.0, 1.0]]))
    0.5
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jeras import activations, backend, serialization

_REDUCTIONS = ("auto", "none", "sum", "sum_over_batch_size")


# ---------------------------------------------------------------------------- helpers
def _as_float(x) -> jax.Array:
    x = jnp.asarray(x)
    return x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(backend.floatx())


def _align_ranks(a: jax.Array, b: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Makes ranks equal when they differ by one trailing axis of size 1.

    A rank-1 array gains a trailing axis (so `(n,)` targets against `(n, 1)` outputs give
    `n` per-sample values, as tf.keras' training loop arranges); otherwise the size-1 axis of
    the higher-rank array is dropped.
    """
    if a.ndim == b.ndim + 1 and a.shape[-1] == 1:
        return (a, b[..., None]) if b.ndim == 1 else (a[..., 0], b)
    if b.ndim == a.ndim + 1 and b.shape[-1] == 1:
        return (a[..., None], b) if a.ndim == 1 else (a, b[..., 0])
    return a, b


def _align_weights(weights: jax.Array, ndim: int) -> jax.Array:
    """Squeezes or expands the last axis of `weights` so its rank is `ndim`, as tf.keras does."""
    if weights.ndim == ndim + 1 and weights.shape[-1] == 1:
        return weights[..., 0]
    if weights.ndim == ndim - 1 and weights.ndim > 0:
        return weights[..., None]
    return weights


def _prepare(y_true, y_pred) -> tuple[jax.Array, jax.Array]:
    y_pred = _as_float(y_pred)
    y_true = jnp.asarray(y_true).astype(y_pred.dtype)
    return _align_ranks(y_true, y_pred)


def _check_same_shape(fn_name: str, y_true: jax.Array, y_pred: jax.Array, hint: str = "") -> None:
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{fn_name} expects y_true and y_pred of the same shape.{hint} "
            f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
        )


def _divide_no_nan(numerator: jax.Array, denominator: jax.Array) -> jax.Array:
    safe = jnp.where(denominator == 0, 1, denominator)
    return jnp.where(denominator == 0, jnp.zeros_like(numerator), numerator / safe)


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"Invalid reduction: expected one of {_REDUCTIONS}. Received: reduction={reduction!r}")


def _activation_logits(y_pred, from_logits: bool, activation: str, axis: int | None, fn_name: str):
    """`(logits, True)` when `y_pred` came straight from `activation` (its logits are filed beside
    it), else `(y_pred, from_logits)`.

    tf.keras 2.x computes the crossentropy of a softmax or sigmoid output from the activation's
    inputs, so a confidently wrong prediction still gets a gradient; Keras 3 computes it from
    probabilities clipped to `[epsilon, 1 - epsilon]`, whose gradient vanishes there. jeras
    follows tf.keras 2.x (docs/architecture.md).
    """
    logits = activations.logits_of(y_pred, activation, axis)
    if logits is None:
        return y_pred, from_logits
    if from_logits:
        # tf.keras 2.x warns the same way, then uses the logits all the same.
        warnings.warn(
            f"`{fn_name}` received `from_logits=True`, but the predictions come from a {activation} activation "
            "and are probabilities, not logits. Its inputs (the logits) are used instead.",
            UserWarning,
            stacklevel=3,
        )
    return logits, True


def compute_weighted_loss(
    losses: ArrayLike, sample_weight: ArrayLike | None = None, reduction: str = "sum_over_batch_size"
) -> jax.Array:
    """Weights per-sample losses and reduces them.

    Args:
        losses: per-sample loss values.
        sample_weight: optional weights, broadcast to `losses` after squeezing or expanding
            their last axis to match its rank. Defaults to None (all ones).
        reduction: `"sum_over_batch_size"` (or its alias `"auto"`): the weighted sum divided
            by the number of loss values; `"sum"`: the weighted sum; `"none"`: the weighted
            values. Defaults to `"sum_over_batch_size"`.

    Returns:
        A scalar, or the weighted values for `"none"`.
    """
    _check_reduction(reduction)
    losses = _as_float(losses)
    if sample_weight is not None:
        weights = jnp.asarray(sample_weight).astype(losses.dtype)
        losses = losses * _align_weights(weights, losses.ndim)
    if reduction == "none":
        return losses
    total = jnp.sum(losses)
    if reduction == "sum":
        return total
    return _divide_no_nan(total, jnp.asarray(losses.size, losses.dtype))


# ---------------------------------------------------------------------------- functions
def mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Mean of squared differences over the last axis: `mean((y_true - y_pred) ** 2, axis=-1)`.

    Args:
        y_true: targets, shape `(batch, ..., d)`.
        y_pred: predictions, same shape (a `(batch,)` vs `(batch, 1)` mismatch is aligned).

    Returns:
        Per-sample losses of shape `(batch, ...)`.
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return jnp.mean(jnp.square(y_pred - y_true), axis=-1)


def mean_absolute_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Mean of absolute differences over the last axis: `mean(abs(y_true - y_pred), axis=-1)`.

    Args:
        y_true: targets.
        y_pred: predictions.

    Returns:
        Per-sample losses.
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return jnp.mean(jnp.abs(y_pred - y_true), axis=-1)


def mean_absolute_percentage_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """`100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)`.

    Args:
        y_true: targets.
        y_pred: predictions.

    Returns:
        Per-sample losses.
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    ratio = jnp.abs((y_true - y_pred) / jnp.maximum(jnp.abs(y_true), backend.epsilon()))
    return 100.0 * jnp.mean(ratio, axis=-1)


def mean_squared_logarithmic_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """`mean((log(1 + max(y_pred, eps)) - log(1 + max(y_true, eps))) ** 2, axis=-1)`.

    Args:
        y_true: targets.
        y_pred: predictions.

    Returns:
        Per-sample losses.
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    eps = backend.epsilon()
    diff = jnp.log1p(jnp.maximum(y_pred, eps)) - jnp.log1p(jnp.maximum(y_true, eps))
    return jnp.mean(jnp.square(diff), axis=-1)


def huber(y_true: ArrayLike, y_pred: ArrayLike, delta: float = 1.0) -> jax.Array:
    """Huber loss: quadratic for errors up to `delta`, linear beyond, averaged over the last axis.

    Args:
        y_true: targets.
        y_pred: predictions.
        delta: where the loss turns from quadratic to linear. Defaults to 1.0.

    Returns:
        Per-sample losses.
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    error = jnp.abs(y_pred - y_true)
    quadratic = 0.5 * jnp.square(error)
    linear = delta * error - 0.5 * delta**2
    return jnp.mean(jnp.where(error <= delta, quadratic, linear), axis=-1)


def kl_divergence(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Kullback-Leibler divergence `sum(y_true * log(y_true / y_pred), axis=-1)`.

    Both arguments are clipped to `[epsilon, 1]` first.

    Args:
        y_true: target distributions.
        y_pred: predicted distributions.

    Returns:
        Per-sample losses.
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    eps = backend.epsilon()
    y_true = jnp.clip(y_true, eps, 1.0)
    y_pred = jnp.clip(y_pred, eps, 1.0)
    return jnp.sum(y_true * jnp.log(y_true / y_pred), axis=-1)


def hinge(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Hinge loss `mean(max(1 - y_true * y_pred, 0), axis=-1)`.

    Labels are expected in {-1, 1}; when every label is 0 or 1 they are mapped to {-1, 1}.

    Args:
        y_true: labels.
        y_pred: predicted scores.

    Returns:
        Per-sample losses.
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    is_binary = jnp.all((y_true == 0) | (y_true == 1))
    y_true = jnp.where(is_binary, 2.0 * y_true - 1.0, y_true)
    return jnp.mean(jnp.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Squared hinge loss `mean(max(1 - y_true * y_pred, 0) ** 2, axis=-1)`.

    Labels are expected in {-1, 1}; when every label is 0 or 1 they are mapped to {-1, 1}.

    Args:
        y_true: labels.
        y_pred: predicted scores.

    Returns:
        Per-sample losses.
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    is_binary = jnp.all((y_true == 0) | (y_true == 1))
    y_true = jnp.where(is_binary, 2.0 * y_true - 1.0, y_true)
    return jnp.mean(jnp.square(jnp.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Categorical hinge loss `max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)`.

    Args:
        y_true: one-hot targets.
        y_pred: class scores.

    Returns:
        Per-sample losses.
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    positive = jnp.sum(y_true * y_pred, axis=-1)
    negative = jnp.max((1.0 - y_true) * y_pred, axis=-1)
    return jnp.maximum(negative - positive + 1.0, 0.0)


def log_cosh(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Mean over the last axis of `log(cosh(y_pred - y_true))`, computed without overflow.

    Args:
        y_true: targets.
        y_pred: predictions.

    Returns:
        Per-sample losses.
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    error = y_pred - y_true
    return jnp.mean(error + jax.nn.softplus(-2.0 * error) - jnp.log(2.0).astype(error.dtype), axis=-1)


def _l2_normalize(x: jax.Array, axis: int) -> jax.Array:
    return x * jax.lax.rsqrt(jnp.maximum(jnp.sum(jnp.square(x), axis=axis, keepdims=True), 1e-12))


def cosine_similarity(y_true: ArrayLike, y_pred: ArrayLike, axis: int = -1) -> jax.Array:
    """The negative cosine similarity of targets and predictions along `axis` (-1 is best, as a loss).

    Args:
        y_true: targets.
        y_pred: predictions.
        axis: the axis along which the similarity is computed. Defaults to -1.

    Returns:
        Per-sample losses in [-1, 1].
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return -jnp.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


def poisson(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Poisson loss `mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)`.

    Args:
        y_true: observed counts.
        y_pred: predicted rates.

    Returns:
        Per-sample losses.
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return jnp.mean(y_pred - y_true * jnp.log(y_pred + backend.epsilon()), axis=-1)


def binary_crossentropy(
    y_true: ArrayLike, y_pred: ArrayLike, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1
) -> jax.Array:
    """Binary crossentropy averaged over `axis`.

    Args:
        y_true: targets in [0, 1].
        y_pred: probabilities, or logits when `from_logits`.
        from_logits: whether `y_pred` holds logits. Defaults to False.
        label_smoothing: moves targets towards 0.5: `y * (1 - s) + 0.5 * s`. Defaults to 0.0.
        axis: the axis to average over. Defaults to -1.

    Returns:
        Per-sample losses.
    """
    y_pred, from_logits = _activation_logits(y_pred, from_logits, "sigmoid", None, "binary_crossentropy")
    y_true, y_pred = _prepare(y_true, y_pred)
    _check_same_shape("binary_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return jnp.mean(_binary_crossentropy_elements(y_true, y_pred, from_logits), axis=axis)


def _binary_crossentropy_elements(y_true: jax.Array, y_pred: jax.Array, from_logits: bool) -> jax.Array:
    """The crossentropy of each element (tf.keras 2.x's `keras.backend.binary_crossentropy`)."""
    if from_logits:
        # softplus(z) - z*y: stable, and its gradient is sigmoid(z) - y everywhere (the form with
        # max(z, 0) and |z| gets a wrong gradient at z == 0, where JAX's d|z|/dz is 1).
        return jax.nn.softplus(y_pred) - y_pred * y_true
    # tf.keras 2.x adds epsilon inside both logarithms after clipping; Keras 3 does not.
    eps = backend.epsilon()
    p = jnp.clip(y_pred, eps, 1.0 - eps)
    return -(y_true * jnp.log(p + eps) + (1.0 - y_true) * jnp.log(1.0 - p + eps))


def elementwise_binary_crossentropy(target: ArrayLike, output: ArrayLike, from_logits: bool = False) -> jax.Array:
    """Binary crossentropy of each element, not averaged (tf.keras 2.x's `keras.backend.binary_crossentropy`).

    Computed from the logits of a sigmoid output, as `binary_crossentropy` is (docs/architecture.md).

    Args:
        target: targets in [0, 1], the shape of `output`.
        output: probabilities, or logits when `from_logits`.
        from_logits: whether `output` holds logits. Defaults to False.

    Returns:
        An array of the shape of `output`.
    """
    output, from_logits = _activation_logits(output, from_logits, "sigmoid", None, "binary_crossentropy")
    target, output = _prepare(target, output)
    _check_same_shape("binary_crossentropy", target, output)
    return _binary_crossentropy_elements(target, output, from_logits)


def categorical_crossentropy(
    y_true: ArrayLike, y_pred: ArrayLike, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1
) -> jax.Array:
    """Crossentropy between one-hot (or soft) targets and predicted distributions.

    Without `from_logits`, `y_pred` is renormalized to sum to 1 and clipped to
    `[epsilon, 1 - epsilon]` before the logarithm.

    Args:
        y_true: one-hot targets, same shape as `y_pred`.
        y_pred: probabilities, or logits when `from_logits`.
        from_logits: whether `y_pred` holds logits. Defaults to False.
        label_smoothing: mixes targets with the uniform distribution:
            `y * (1 - s) + s / num_classes`. Defaults to 0.0.
        axis: the class axis. Defaults to -1.

    Returns:
        Per-sample losses (the class axis removed).
    """
    y_pred, from_logits = _activation_logits(y_pred, from_logits, "softmax", axis, "categorical_crossentropy")
    y_pred = _as_float(y_pred)
    y_true = jnp.asarray(y_true).astype(y_pred.dtype)
    _check_same_shape(
        "categorical_crossentropy",
        y_true,
        y_pred,
        " For integer class labels use sparse_categorical_crossentropy.",
    )
    if label_smoothing:
        # Keras counts the classes along the last axis whatever `axis` is; same for axis=-1.
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[axis]
    return -jnp.sum(y_true * _log_probabilities(y_pred, from_logits, axis), axis=axis)


def _log_probabilities(y_pred: jax.Array, from_logits: bool, axis: int) -> jax.Array:
    if from_logits:
        return jax.nn.log_softmax(y_pred, axis=axis)
    eps = backend.epsilon()
    probabilities = y_pred / jnp.sum(y_pred, axis=axis, keepdims=True)
    return jnp.log(jnp.clip(probabilities, eps, 1.0 - eps))


def sparse_categorical_crossentropy(
    y_true: ArrayLike, y_pred: ArrayLike, from_logits: bool = False, axis: int = -1
) -> jax.Array:
    """Crossentropy between integer class labels and predicted distributions.

    Labels outside `[0, num_classes)` give a NaN loss, so a bad label cannot pass unnoticed.

    Args:
        y_true: integer (or integer-valued float) labels of shape `(batch, ...)` or
            `(batch, ..., 1)`.
        y_pred: probabilities or logits of shape `(batch, ..., num_classes)`.
        from_logits: whether `y_pred` holds logits. Defaults to False.
        axis: the class axis of `y_pred`. Defaults to -1.

    Returns:
        Per-sample losses of shape `(batch, ...)`.
    """
    y_pred, from_logits = _activation_logits(y_pred, from_logits, "softmax", axis, "sparse_categorical_crossentropy")
    y_pred = _as_float(y_pred)
    y_true = jnp.asarray(y_true)
    axis = axis % y_pred.ndim
    if y_true.ndim == y_pred.ndim and y_true.shape[axis] == 1:
        y_true = jnp.squeeze(y_true, axis=axis)
    expected = y_pred.shape[:axis] + y_pred.shape[axis + 1 :]
    if y_true.shape != expected:
        raise ValueError(
            "sparse_categorical_crossentropy expects integer labels with the shape of y_pred "
            "without its class axis. For one-hot labels use categorical_crossentropy. "
            f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
        )
    y_pred = jnp.moveaxis(y_pred, axis, -1)
    if from_logits:
        log_probs = jax.nn.log_softmax(y_pred, axis=-1)
    else:
        # tf.keras 2.x clips the raw probabilities and renormalizes in log space; Keras 3
        # renormalizes first. The two agree for normalized inputs.
        eps = backend.epsilon()
        log_probs = jax.nn.log_softmax(jnp.log(jnp.clip(y_pred, eps, 1.0 - eps)), axis=-1)
    labels = y_true.astype(jnp.int32)
    num_classes = y_pred.shape[-1]
    picked = jnp.take_along_axis(log_probs, jnp.clip(labels, 0, num_classes - 1)[..., None], axis=-1)[..., 0]
    valid = (labels >= 0) & (labels < num_classes)
    return jnp.where(valid, -picked, jnp.nan)


def binary_focal_crossentropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int | tuple[int, ...] = -1,
) -> jax.Array:
    """Binary crossentropy scaled down on well-classified entries (Lin et al., 2017), averaged over `axis`.

    Each entry's `binary_crossentropy` is multiplied by `(1 - p_t) ** gamma`, where `p_t` is the
    predicted probability of the true class; with `apply_class_balancing` also by `alpha` for
    positives and `1 - alpha` for negatives. The crossentropy part is computed from the logits of
    a sigmoid output, as `binary_crossentropy` does (docs/architecture.md).

    Args:
        y_true: targets in [0, 1].
        y_pred: probabilities, or logits when `from_logits`.
        apply_class_balancing: whether to weight positives by `alpha`. Defaults to False.
        alpha: the weight of the positive class when balancing. Defaults to 0.25.
        gamma: the focusing exponent; 0 gives the plain crossentropy. Defaults to 2.0.
        from_logits: whether `y_pred` holds logits. Defaults to False.
        label_smoothing: moves targets towards 0.5: `y * (1 - s) + 0.5 * s`. Defaults to 0.0.
        axis: the axis to average over (`()`: none, one value per element). Defaults to -1.

    Returns:
        Per-sample losses.
    """
    _check_focal("binary_focal_crossentropy", alpha, gamma)
    y_pred, from_logits = _activation_logits(y_pred, from_logits, "sigmoid", None, "binary_focal_crossentropy")
    y_true, y_pred = _prepare(y_true, y_pred)
    _check_same_shape("binary_focal_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    probabilities = jax.nn.sigmoid(y_pred) if from_logits else y_pred
    p_t = y_true * probabilities + (1.0 - y_true) * (1.0 - probabilities)
    focal = jnp.power(1.0 - p_t, gamma) * _binary_crossentropy_elements(y_true, y_pred, from_logits)
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return jnp.mean(focal, axis=axis)


def categorical_focal_crossentropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> jax.Array:
    """Categorical crossentropy with each class term scaled by `alpha * (1 - p) ** gamma` (Lin et al., 2017).

    Probabilities (the softmax of logits when `from_logits`) are renormalized and clipped to
    `[epsilon, 1 - epsilon]`, as tf.keras 2.x does even for logits.

    Args:
        y_true: one-hot (or soft) targets, same shape as `y_pred`.
        y_pred: probabilities, or logits when `from_logits`.
        alpha: the weight of every class term. Defaults to 0.25.
        gamma: the focusing exponent. Defaults to 2.0.
        from_logits: whether `y_pred` holds logits. Defaults to False.
        label_smoothing: mixes targets with the uniform distribution:
            `y * (1 - s) + s / num_classes`. Defaults to 0.0.
        axis: the class axis. Defaults to -1.

    Returns:
        Per-sample losses (the class axis removed).
    """
    _check_focal("categorical_focal_crossentropy", alpha, gamma)
    y_pred, from_logits = _activation_logits(y_pred, from_logits, "softmax", axis, "categorical_focal_crossentropy")
    y_pred = _as_float(y_pred)
    y_true = jnp.asarray(y_true).astype(y_pred.dtype)
    _check_same_shape(
        "categorical_focal_crossentropy",
        y_true,
        y_pred,
        " For integer class labels one-hot encode them first (keras.utils.to_categorical).",
    )
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    if from_logits:
        y_pred = jax.nn.softmax(y_pred, axis=axis)
    eps = backend.epsilon()
    p = jnp.clip(y_pred / jnp.sum(y_pred, axis=axis, keepdims=True), eps, 1.0 - eps)
    return jnp.sum(alpha * jnp.power(1.0 - p, gamma) * -y_true * jnp.log(p), axis=axis)


def _check_focal(fn_name: str, alpha, gamma) -> None:
    # Checked only for Python numbers: traced hyperparameters cannot be inspected.
    if isinstance(gamma, (int, float)) and gamma < 0:
        raise ValueError(f"{fn_name} needs gamma >= 0. Received: gamma={gamma}")
    if isinstance(alpha, (int, float)) and not 0.0 <= alpha <= 1.0:
        raise ValueError(f"{fn_name} needs alpha in [0, 1]. Received: alpha={alpha}")


# tf.keras 2.x aliases.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
bce = BCE = binary_crossentropy
huber_loss = huber
logcosh = log_cosh


class Reduction:
    """The names of the loss reductions, as tf.keras 2.x's `keras.losses.Reduction` lists them."""

    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"

    @classmethod
    def all(cls) -> tuple[str, ...]:
        return (cls.AUTO, cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE)


# ---------------------------------------------------------------------------- classes
class Loss:
    """Base class of losses: `call` gives per-sample values, `__call__` reduces them.

    Subclasses implement `call(y_true, y_pred)` with jax.numpy operations.

    Args:
        reduction: how `__call__` reduces the per-sample values: `"sum_over_batch_size"`
            (weighted sum divided by the number of values; `"auto"` is an alias), `"sum"`, or
            `"none"`. Defaults to `"sum_over_batch_size"`.
        name: the loss name. Defaults to the snake-case class name.

    Example:

        >>> class Squared(Loss):
        ...     def call(self, y_true, y_pred):
        ...         return jnp.mean(jnp.square(y_pred - y_true), axis=-1)
        >>> float(Squared()([[1.0]], [[3.0]]))
        4.0
    """

    def __init__(self, reduction: str = "sum_over_batch_size", name: str | None = None):
        _check_reduction(reduction)
        self.reduction = reduction
        self.name = name or backend.to_snake_case(type(self).__name__)

    def call(self, y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
        """Returns the per-sample losses. Subclasses implement this."""
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def __call__(self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None) -> jax.Array:
        """Returns the loss reduced according to `reduction`.

        Args:
            y_true: targets.
            y_pred: predictions.
            sample_weight: optional per-sample (or per-element) weights. Defaults to None.

        Returns:
            A scalar, or the weighted per-sample losses when `reduction="none"`.
        """
        predictions = _as_float(y_pred)
        activations.carry_logits(y_pred, predictions)
        losses = self.call(jnp.asarray(y_true), predictions)
        return compute_weighted_loss(losses, sample_weight, self.reduction)

    def get_config(self) -> dict[str, Any]:
        return {"reduction": self.reduction, "name": self.name}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Loss:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


class LossFunctionWrapper(Loss):
    """A `Loss` built from a per-sample loss function and its keyword arguments.

    Args:
        fn: `fn(y_true, y_pred, **fn_kwargs)` returning per-sample losses.
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: the loss name. Defaults to `fn.__name__`.
        **fn_kwargs: keyword arguments passed to `fn`.
    """

    def __init__(self, fn: Callable, reduction: str = "sum_over_batch_size", name: str | None = None, **fn_kwargs):
        if not callable(fn):
            raise TypeError(f"LossFunctionWrapper needs a callable. Received: fn={fn!r}")
        super().__init__(reduction=reduction, name=name or getattr(fn, "__name__", None))
        self.fn = fn
        self.fn_kwargs = fn_kwargs

    def call(self, y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
        return self.fn(y_true, y_pred, **self.fn_kwargs)

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), **self.fn_kwargs}
        if type(self) is LossFunctionWrapper:
            config["fn"] = serialization.serialize(self.fn)
        return config

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Loss:
        config = dict(config)
        if cls is LossFunctionWrapper:
            return cls(get(config.pop("fn")), **config)
        return cls(**config)


class MeanSquaredError(LossFunctionWrapper):
    """Mean of squared errors; see `mean_squared_error`.

    Args:
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"mean_squared_error"`.
    """

    def __init__(self, reduction: str = "sum_over_batch_size", name: str = "mean_squared_error"):
        super().__init__(mean_squared_error, reduction=reduction, name=name)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors; see `mean_absolute_error`.

    Args:
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"mean_absolute_error"`.
    """

    def __init__(self, reduction: str = "sum_over_batch_size", name: str = "mean_absolute_error"):
        super().__init__(mean_absolute_error, reduction=reduction, name=name)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """Mean absolute percentage error; see `mean_absolute_percentage_error`.

    Args:
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"mean_absolute_percentage_error"`.
    """

    def __init__(self, reduction: str = "sum_over_batch_size", name: str = "mean_absolute_percentage_error"):
        super().__init__(mean_absolute_percentage_error, reduction=reduction, name=name)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Mean squared logarithmic error; see `mean_squared_logarithmic_error`.

    Args:
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"mean_squared_logarithmic_error"`.
    """

    def __init__(self, reduction: str = "sum_over_batch_size", name: str = "mean_squared_logarithmic_error"):
        super().__init__(mean_squared_logarithmic_error, reduction=reduction, name=name)


class Huber(LossFunctionWrapper):
    """Huber loss; see `huber`.

    Args:
        delta: where the loss turns from quadratic to linear. Defaults to 1.0.
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"huber_loss"`.
    """

    def __init__(self, delta: float = 1.0, reduction: str = "sum_over_batch_size", name: str = "huber_loss"):
        super().__init__(huber, reduction=reduction, name=name, delta=delta)


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence; see `kl_divergence`.

    Args:
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"kl_divergence"`.
    """

    def __init__(self, reduction: str = "sum_over_batch_size", name: str = "kl_divergence"):
        super().__init__(kl_divergence, reduction=reduction, name=name)


class Hinge(LossFunctionWrapper):
    """Hinge loss; see `hinge`.

    Args:
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"hinge"`.
    """

    def __init__(self, reduction: str = "sum_over_batch_size", name: str = "hinge"):
        super().__init__(hinge, reduction=reduction, name=name)


class SquaredHinge(LossFunctionWrapper):
    """Squared hinge loss; see `squared_hinge`.

    Args:
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"squared_hinge"`.
    """

    def __init__(self, reduction: str = "sum_over_batch_size", name: str = "squared_hinge"):
        super().__init__(squared_hinge, reduction=reduction, name=name)


class CategoricalHinge(LossFunctionWrapper):
    """Categorical hinge loss; see `categorical_hinge`.

    Args:
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"categorical_hinge"`.
    """

    def __init__(self, reduction: str = "sum_over_batch_size", name: str = "categorical_hinge"):
        super().__init__(categorical_hinge, reduction=reduction, name=name)


class LogCosh(LossFunctionWrapper):
    """Logarithm of the hyperbolic cosine of the error; see `log_cosh`.

    Args:
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"log_cosh"`.
    """

    def __init__(self, reduction: str = "sum_over_batch_size", name: str = "log_cosh"):
        super().__init__(log_cosh, reduction=reduction, name=name)


class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity; see `cosine_similarity`.

    Args:
        axis: the axis along which the similarity is computed. Defaults to -1.
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"cosine_similarity"`.
    """

    def __init__(self, axis: int = -1, reduction: str = "sum_over_batch_size", name: str = "cosine_similarity"):
        super().__init__(cosine_similarity, reduction=reduction, name=name, axis=axis)


class Poisson(LossFunctionWrapper):
    """Poisson loss; see `poisson`.

    Args:
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"poisson"`.
    """

    def __init__(self, reduction: str = "sum_over_batch_size", name: str = "poisson"):
        super().__init__(poisson, reduction=reduction, name=name)


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary crossentropy; see `binary_crossentropy`.

    Args:
        from_logits: whether predictions are logits. Defaults to False.
        label_smoothing: see `binary_crossentropy`. Defaults to 0.0.
        axis: the axis to average over. Defaults to -1.
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"binary_crossentropy"`.
    """

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str = "sum_over_batch_size",
        name: str = "binary_crossentropy",
    ):
        super().__init__(
            binary_crossentropy,
            reduction=reduction,
            name=name,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class CategoricalCrossentropy(LossFunctionWrapper):
    """Categorical crossentropy for one-hot targets; see `categorical_crossentropy`.

    Args:
        from_logits: whether predictions are logits. Defaults to False.
        label_smoothing: see `categorical_crossentropy`. Defaults to 0.0.
        axis: the class axis. Defaults to -1.
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"categorical_crossentropy"`.
    """

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str = "sum_over_batch_size",
        name: str = "categorical_crossentropy",
    ):
        super().__init__(
            categorical_crossentropy,
            reduction=reduction,
            name=name,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Categorical crossentropy for integer labels; see `sparse_categorical_crossentropy`.

    Args:
        from_logits: whether predictions are logits. Defaults to False.
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"sparse_categorical_crossentropy"`.
    """

    # Keyword-only from here: tf.keras puts `ignore_class` (not supported) in the second slot.
    def __init__(
        self,
        from_logits: bool = False,
        *,
        reduction: str = "sum_over_batch_size",
        name: str = "sparse_categorical_crossentropy",
    ):
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name, from_logits=from_logits)


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Binary focal crossentropy; see `binary_focal_crossentropy`.

    Args:
        apply_class_balancing: whether to weight positives by `alpha`. Defaults to False.
        alpha: the weight of the positive class when balancing. Defaults to 0.25.
        gamma: the focusing exponent. Defaults to 2.0.
        from_logits: whether predictions are logits. Defaults to False.
        label_smoothing: see `binary_focal_crossentropy`. Defaults to 0.0.
        axis: the axis to average over. Defaults to -1.
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"binary_focal_crossentropy"`.
    """

    def __init__(
        self,
        apply_class_balancing: bool = False,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str = "sum_over_batch_size",
        name: str = "binary_focal_crossentropy",
    ):
        _check_focal(type(self).__name__, alpha, gamma)
        super().__init__(
            binary_focal_crossentropy,
            reduction=reduction,
            name=name,
            apply_class_balancing=apply_class_balancing,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Categorical focal crossentropy for one-hot targets; see `categorical_focal_crossentropy`.

    Args:
        alpha: the weight of every class term. Defaults to 0.25.
        gamma: the focusing exponent. Defaults to 2.0.
        from_logits: whether predictions are logits. Defaults to False.
        label_smoothing: see `categorical_focal_crossentropy`. Defaults to 0.0.
        axis: the class axis. Defaults to -1.
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"categorical_focal_crossentropy"`.
    """

    def __init__(
        self,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str = "sum_over_batch_size",
        name: str = "categorical_focal_crossentropy",
    ):
        _check_focal(type(self).__name__, alpha, gamma)
        super().__init__(
            categorical_focal_crossentropy,
            reduction=reduction,
            name=name,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


# ---------------------------------------------------------------------------- lookup
_REGISTRY = serialization.registry_of(
    mean_squared_error,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
    huber,
    kl_divergence,
    hinge,
    squared_hinge,
    categorical_hinge,
    log_cosh,
    cosine_similarity,
    poisson,
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
    LossFunctionWrapper,
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    Huber,
    KLDivergence,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    LogCosh,
    CosineSimilarity,
    Poisson,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy,
    aliases={
        "mse": mean_squared_error,
        "MSE": mean_squared_error,
        "mae": mean_absolute_error,
        "MAE": mean_absolute_error,
        "mape": mean_absolute_percentage_error,
        "MAPE": mean_absolute_percentage_error,
        "msle": mean_squared_logarithmic_error,
        "MSLE": mean_squared_logarithmic_error,
        "kld": kl_divergence,
        "KLD": kl_divergence,
        "kullback_leibler_divergence": kl_divergence,
        "bce": binary_crossentropy,
        "BCE": binary_crossentropy,
        "huber_loss": huber,
        "logcosh": log_cosh,
    },
)


def get(identifier: Any) -> Callable | Loss | None:
    """Returns the loss an identifier names.

    Function names (`"mse"`, `"sparse_categorical_crossentropy"`) give the function; class
    names (`"MeanSquaredError"`) give an instance with default arguments; config dicts give
    an instance built with `from_config`; callables and `None` pass through.

    Args:
        identifier: a name, a config dict, a callable, or None.

    Returns:
        A loss function, a `Loss` instance, or None.

    Raises:
        ValueError: for unknown names.
        TypeError: for identifiers of another type.
    """
    if identifier is None:
        return None
    return serialization.resolve(identifier, _REGISTRY, kind="loss", argument="loss")


def to_loss_object(identifier: Any) -> Loss:
    """Returns a `Loss` instance for any loss identifier `compile` accepts.

    Functions are wrapped in a `LossFunctionWrapper` named after the function (the name
    tf.keras gives them), `Loss` classes are instantiated, instances pass through.

    Args:
        identifier: a name, a config dict, a function, a `Loss` class or instance.

    Returns:
        A `Loss`.
    """
    if identifier is None:
        raise ValueError("A loss is required. Received: loss=None")
    loss = get(identifier)
    if isinstance(loss, type) and issubclass(loss, Loss):
        return loss()
    if isinstance(loss, Loss):
        return loss
    name = getattr(loss, "__name__", None) or backend.to_snake_case(type(loss).__name__)
    return LossFunctionWrapper(loss, name=name)


def serialize(loss: Callable | Loss) -> Any:
    """Returns a loss function's name or a `{"class_name", "config"}` dict for a `Loss`."""
    return serialization.serialize(loss)


def deserialize(config: Any, custom_objects: Mapping[str, Any] | None = None) -> Callable | Loss | None:
    """Rebuilds a loss from `serialize` output, resolving user objects in `custom_objects`."""
    with serialization.custom_object_scope(custom_objects):
        return get(config)
