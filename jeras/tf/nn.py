"""`tf.nn`: activations, cross-entropies on logits, moments, dropout and friends, over jax.nn.

Signatures and defaults follow TensorFlow 2.x (`leaky_relu(features, alpha=0.2)`,
`softmax(logits, axis=None)` over the last axis, `gelu(features, approximate=False)`). They
work eagerly and inside jeras' compiled step, so a custom activation or loss can use them.
`dropout` always drops (it has no `training` flag, as in TensorFlow); inside a training step
its mask comes from the step's key. `name` arguments are ignored.
See docs/architecture.md, "The tf namespace".
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from jeras.tf._convert import TensorLike, operand, static_axis, static_int, static_shape, to_array
from jeras.tf._keys import op_key
from jeras.tf._unsupported import unsupported_getattr
from jeras.tf.math import in_top_k, l2_normalize, log_softmax, sigmoid, softmax, tanh, top_k


def relu(features: TensorLike, name: str | None = None) -> jax.Array:
    """`max(features, 0)`."""
    return jax.nn.relu(to_array(features, argument="features"))


def relu6(features: TensorLike, name: str | None = None) -> jax.Array:
    """`min(max(features, 0), 6)`."""
    return jax.nn.relu6(to_array(features, argument="features"))


def elu(features: TensorLike, name: str | None = None) -> jax.Array:
    """`features` where positive, `exp(features) - 1` elsewhere."""
    return jax.nn.elu(to_array(features, argument="features"))


def selu(features: TensorLike, name: str | None = None) -> jax.Array:
    """Scaled ELU with the self-normalizing constants (scale 1.0507..., alpha 1.6732...)."""
    return jax.nn.selu(to_array(features, argument="features"))


def gelu(features: TensorLike, approximate: bool = False, name: str | None = None) -> jax.Array:
    """Gaussian error linear unit `x * P(X <= x)`; `approximate` (default False) uses the tanh formula."""
    return jax.nn.gelu(to_array(features, argument="features"), approximate=bool(approximate))


def leaky_relu(features: TensorLike, alpha: float = 0.2, name: str | None = None) -> jax.Array:
    """`features` where positive, `alpha * features` elsewhere; `alpha` default 0.2 (TensorFlow's default)."""
    x = to_array(features, argument="features")
    return jnp.where(x > 0, x, x * operand(alpha))


def softplus(features: TensorLike, name: str | None = None) -> jax.Array:
    """`log(exp(features) + 1)`, computed stably."""
    return jax.nn.softplus(to_array(features, argument="features"))


def softsign(features: TensorLike, name: str | None = None) -> jax.Array:
    """`features / (abs(features) + 1)`."""
    return jax.nn.soft_sign(to_array(features, argument="features"))


def silu(features: TensorLike, beta: float = 1.0) -> jax.Array:
    """`features * sigmoid(beta * features)` (swish); `beta` default 1.0."""
    x = to_array(features, argument="features")
    return x * jax.nn.sigmoid(operand(beta) * x)


swish = silu


def sigmoid_cross_entropy_with_logits(
    labels: TensorLike = None, logits: TensorLike = None, name: str | None = None
) -> jax.Array:
    """Element-wise binary cross-entropy of `labels` in [0, 1] against `logits`, computed stably.

    `softplus(x) - x * z` for logits x and labels z (the same values as TensorFlow's
    `max(x, 0) - x * z + log(1 + exp(-abs(x)))`, with the right gradient at x == 0).
    """
    x = to_array(logits, argument="logits")
    z = to_array(labels, x.dtype, argument="labels")
    return jax.nn.softplus(x) - x * z


def weighted_cross_entropy_with_logits(
    labels: TensorLike, logits: TensorLike, pos_weight: TensorLike, name: str | None = None
) -> jax.Array:
    """`sigmoid_cross_entropy_with_logits` with the positive term weighted by `pos_weight`."""
    x = to_array(logits, argument="logits")
    z = to_array(labels, x.dtype, argument="labels")
    log_weight = 1 + (operand(pos_weight) - 1) * z
    return (1 - z) * x + log_weight * jax.nn.softplus(-x)


def softmax_cross_entropy_with_logits(
    labels: TensorLike, logits: TensorLike, axis: int = -1, name: str | None = None
) -> jax.Array:
    """Cross-entropy of class distributions `labels` against `logits` along `axis` (default -1)."""
    x = to_array(logits, argument="logits")
    z = to_array(labels, x.dtype, argument="labels")
    axis = static_int(axis, "axis")
    return -jnp.sum(z * jax.nn.log_softmax(x, axis=axis), axis=axis)


def sparse_softmax_cross_entropy_with_logits(
    labels: TensorLike, logits: TensorLike, name: str | None = None
) -> jax.Array:
    """Cross-entropy of integer class ids `labels` (`[batch]`) against `logits` (`[batch, classes]`).

    Raises:
        TypeError: for non-integer labels.
    """
    x = to_array(logits, argument="logits")
    ids = to_array(labels, argument="labels")
    if not jnp.issubdtype(ids.dtype, jnp.integer):
        raise TypeError(
            f"labels must be integer class ids; cast them with tf.cast(labels, tf.int32). Received: labels of "
            f"dtype {ids.dtype.name}"
        )
    picked = jnp.take_along_axis(jax.nn.log_softmax(x, axis=-1), ids[..., None], axis=-1)
    return -picked[..., 0]


def moments(x: TensorLike, axes: Any, shift: Any = None, keepdims: bool = False, name: str | None = None):
    """Mean and (population) variance of `x` over `axes`.

    Args:
        x: an array.
        axes: the axes to reduce (a list of ints).
        shift: ignored (TensorFlow does not use it either). Default None.
        keepdims: keep the reduced axes as size 1. Default False.
        name: ignored. Default None.

    Returns:
        `(mean, variance)`.
    """
    x = to_array(x)
    axes = static_axis(axes, "axes")
    mean = jnp.mean(x, axis=axes, keepdims=True)
    variance = jnp.mean(jnp.square(x - jax.lax.stop_gradient(mean)), axis=axes, keepdims=True)
    if not keepdims:
        mean, variance = jnp.squeeze(mean, axes), jnp.squeeze(variance, axes)
    return mean, variance


def batch_normalization(
    x: TensorLike,
    mean: TensorLike,
    variance: TensorLike,
    offset: TensorLike | None,
    scale: TensorLike | None,
    variance_epsilon: float,
    name: str | None = None,
) -> jax.Array:
    """`scale * (x - mean) / sqrt(variance + variance_epsilon) + offset`; `offset`/`scale` may be None."""
    x = to_array(x)
    inverse = jax.lax.rsqrt(to_array(variance, x.dtype, argument="variance") + variance_epsilon)
    if scale is not None:
        inverse = inverse * to_array(scale, x.dtype, argument="scale")
    shifted = -to_array(mean, x.dtype, argument="mean") * inverse
    if offset is not None:
        shifted = shifted + to_array(offset, x.dtype, argument="offset")
    return x * inverse + shifted


def dropout(
    x: TensorLike, rate: float, noise_shape: Any = None, seed: int | None = None, name: str | None = None
) -> jax.Array:
    """Zeroes each element with probability `rate` and scales the rest by `1 / (1 - rate)`.

    Args:
        x: an array.
        rate: the drop probability, in [0, 1).
        noise_shape: the shape of the keep mask, broadcast against `x`. Default None (`x`'s shape).
        seed: an optional op seed (see `tf.random`). Default None.
        name: ignored. Default None.

    Raises:
        ValueError: for a rate outside [0, 1).
    """
    if not isinstance(rate, (int, float)) or not 0 <= rate < 1:
        raise ValueError(f"rate must be a number in [0, 1). Received: rate={rate!r}")
    x = to_array(x)
    if rate == 0:
        return x
    mask_shape = x.shape if noise_shape is None else static_shape(noise_shape, "noise_shape")
    keep = jax.random.bernoulli(op_key(seed), 1.0 - rate, mask_shape)
    return jnp.where(keep, x / (1.0 - rate), 0).astype(x.dtype)


def bias_add(value: TensorLike, bias: TensorLike, data_format: str | None = None, name: str | None = None) -> jax.Array:
    """`value + bias` along the channel axis: last (default), or axis 1 for `data_format="NC..."` layouts."""
    x = to_array(value, argument="value")
    b = to_array(bias, argument="bias")
    if b.ndim != 1:
        raise ValueError(f"bias must be 1-D. Received: bias of shape {b.shape}")
    if data_format is not None and str(data_format).startswith("NC"):
        b = b.reshape((-1,) + (1,) * (x.ndim - 2))
    return x + b


def l2_loss(t: TensorLike, name: str | None = None) -> jax.Array:
    """`sum(t ** 2) / 2`."""
    return jnp.sum(jnp.square(to_array(t, argument="t"))) / 2


def embedding_lookup(
    params: TensorLike, ids: TensorLike, max_norm: float | None = None, name: str | None = None
) -> jax.Array:
    """Rows of `params` at integer `ids`; rows with an L2 norm above `max_norm` (default None) are scaled to it."""
    rows = jnp.take(to_array(params, argument="params"), to_array(ids, argument="ids"), axis=0)
    if max_norm is None:
        return rows
    norms = jnp.sqrt(jnp.sum(jnp.square(rows), axis=-1, keepdims=True))
    return rows * jnp.minimum(1.0, max_norm / jnp.maximum(norms, 1e-30))


def compute_average_loss(
    per_example_loss: TensorLike, sample_weight: TensorLike | None = None, global_batch_size: int | None = None
) -> jax.Array:
    """Sum of the (weighted) per-example losses divided by `global_batch_size` (default None: the batch size)."""
    losses = to_array(per_example_loss, argument="per_example_loss")
    if sample_weight is not None:
        losses = losses * to_array(sample_weight, losses.dtype, argument="sample_weight")
    count = losses.shape[0] if global_batch_size is None else static_int(global_batch_size, "global_batch_size")
    return jnp.sum(losses) / count


__getattr__ = unsupported_getattr("nn")

__all__ = [
    "batch_normalization",
    "bias_add",
    "compute_average_loss",
    "dropout",
    "elu",
    "embedding_lookup",
    "gelu",
    "in_top_k",
    "l2_loss",
    "l2_normalize",
    "leaky_relu",
    "log_softmax",
    "moments",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "sigmoid_cross_entropy_with_logits",
    "silu",
    "softmax",
    "softmax_cross_entropy_with_logits",
    "softplus",
    "softsign",
    "sparse_softmax_cross_entropy_with_logits",
    "swish",
    "tanh",
    "top_k",
    "weighted_cross_entropy_with_logits",
]
