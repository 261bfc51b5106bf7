"""Activation functions with tf.keras names and defaults, on JAX arrays.

Layers take an `activation` argument that `get` resolves: `None` means `linear`, a string is
looked up by its Keras name (`"relu"`, `"softmax"`), and any callable passes through.

Example:

    >>> import jax.numpy as jnp
    >>> from jeras import activations
    >>> activations.get("relu")(jnp.array([-1.0, 2.0]))
    Array([0., 2.], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from jeras.backend.array_table import ArrayTable
from jeras.serialization import custom_object_scope, registry_of, resolve
from jeras.serialization import serialize as _serialize


class Logits(NamedTuple):
    """What `softmax` or `sigmoid` filed beside its output: the inputs it was applied to."""

    values: jax.Array
    activation: str
    axis: int | tuple[int, ...] | None


# tf.keras 2.x hung the inputs of `softmax` and `sigmoid` on their outputs (`_keras_logits`),
# and its crossentropy losses computed from those logits instead of from clipped probabilities
# (Keras 3 dropped this). jeras files them beside the output (docs/architecture.md,
# "Crossentropy from the logits of a softmax or sigmoid output").
_logits = ArrayTable()


def logits_of(probabilities, activation: str, axis: int | None = None) -> jax.Array | None:
    """The logits `probabilities` were computed from by `softmax` (over `axis`) or `sigmoid`, or None.

    Only the very array that the activation returned has them: an array derived from it (a
    cast, a reshape, a slice) does not.

    Args:
        probabilities: an array returned by an activation.
        activation: `"softmax"` or `"sigmoid"`.
        axis: for `"softmax"`, the class axis the caller normalizes over. Default None (any).

    Returns:
        The logits, or None.
    """
    entry = _logits.get(probabilities)
    if entry is None or entry.activation != activation:
        return None
    if axis is not None and activation == "softmax":
        ndim = probabilities.ndim
        if not isinstance(entry.axis, int) or entry.axis % ndim != axis % ndim:
            return None
    return entry.values


def carry_logits(source, target) -> None:
    """Files the logits of `source` (if any) beside `target`, an array of the same values (a cast)."""
    if target is not source:
        entry = _logits.get(source)
        if entry is not None:
            _logits.attach(target, entry)


def cast_keeping_logits(x, dtype):
    """`x` cast to `dtype`, with its logits (if any) cast too and filed beside the new array."""
    if x.dtype == jnp.dtype(dtype):
        return x
    out = x.astype(dtype)
    entry = _logits.get(x)
    if entry is not None:
        _logits.attach(out, entry._replace(values=entry.values.astype(dtype)))
    return out


def logits_across(arrays: list) -> tuple[list, Callable[[list, list], None]]:
    """The logits filed beside each array (None where there are none), and a function
    `restore(new_arrays, new_logits)` that files them beside other arrays of the same values.

    A transformation such as `jax.value_and_grad` returns new objects for the arrays its
    function returned; returning the logits too and restoring them keeps them beside the
    predictions (the metrics of a training step then see them, as the loss did).
    """
    entries = [_logits.get(x) for x in arrays]

    def restore(new_arrays: list, new_logits: list) -> None:
        for array, entry, values in zip(new_arrays, entries, new_logits):
            if entry is not None:
                _logits.attach(array, entry._replace(values=values))

    return [None if e is None else e.values for e in entries], restore


def relu(
    x: jax.Array,
    alpha: float = 0.0,
    max_value: float | None = None,
    threshold: float = 0.0,
    *,
    negative_slope: float | None = None,
) -> jax.Array:
    """Rectified linear unit, optionally leaky, capped and shifted.

    Returns `x` where `x > threshold`, else `alpha * (x - threshold)`. With `max_value`, the
    part above the threshold is first clipped to `[0, max_value]` (as tf.keras does).

    Args:
        x: input array.
        alpha: slope below the threshold. Default 0.0.
        max_value: upper bound of the output, or None for no bound. Default None.
        threshold: the value below which the output is damped. Default 0.0.
        negative_slope: Keras 3's name for `alpha`; when given it replaces `alpha`. Default None.

    Returns:
        An array of the same shape and dtype as `x`.
    """
    if negative_slope is not None:
        alpha = negative_slope
    if alpha == 0 and max_value is None and threshold == 0:
        return jax.nn.relu(x)
    y = jnp.where(x > threshold, x, jnp.zeros_like(x))
    if max_value is not None:
        y = jnp.clip(y, 0, max_value)
    if alpha != 0:
        y = y - alpha * jax.nn.relu(threshold - x)
    return y


def leaky_relu(x: jax.Array, alpha: float = 0.2, *, negative_slope: float | None = None) -> jax.Array:
    """Leaky ReLU: `x` for `x >= 0`, else `alpha * x`.

    tf.keras 2 resolved `"leaky_relu"` to `tf.nn.leaky_relu`, whose slope is 0.2 (as Keras 3's
    function); the `LeakyReLU` layer's default of 0.3 belongs to the layer, not to this function.

    Args:
        x: input array.
        alpha: slope for negative inputs. Default 0.2.
        negative_slope: Keras 3's name for `alpha`; when given it replaces `alpha`. Default None.
    """
    return jax.nn.leaky_relu(x, alpha if negative_slope is None else negative_slope)


def relu6(x: jax.Array) -> jax.Array:
    """ReLU capped at 6: `min(max(x, 0), 6)`."""
    return jax.nn.relu6(x)


def sigmoid(x: jax.Array) -> jax.Array:
    """Logistic sigmoid `1 / (1 + exp(-x))`.

    The output carries its logits for the crossentropy losses, as in tf.keras 2.x (see `logits_of`).
    """
    output = jax.nn.sigmoid(x)
    _logits.attach(output, Logits(x, "sigmoid", None))
    return output


def hard_sigmoid(x: jax.Array) -> jax.Array:
    """Piecewise-linear sigmoid: `clip(0.2 * x + 0.5, 0, 1)`.

    This is tf.keras 2's definition; Keras 3 changed the slope to 1/6 (`clip(x / 6 + 0.5, 0, 1)`).
    """
    return jnp.clip(0.2 * x + 0.5, 0.0, 1.0)


def tanh(x: jax.Array) -> jax.Array:
    """Hyperbolic tangent."""
    return jnp.tanh(x)


def softmax(x: jax.Array, axis: int | tuple[int, ...] = -1) -> jax.Array:
    """Normalized exponentials along `axis`, summing to one.

    tf.keras 2 refused rank-1 inputs; like Keras 3 this accepts them. The output carries its
    logits for the crossentropy losses, as in tf.keras 2.x (see `logits_of`).

    Args:
        x: input array.
        axis: the axis (or axes) to normalize over. Default -1.
    """
    output = jax.nn.softmax(x, axis=axis)
    _logits.attach(output, Logits(x, "softmax", axis))
    return output


def log_softmax(x: jax.Array, axis: int | tuple[int, ...] = -1) -> jax.Array:
    """Logarithm of `softmax`, computed stably. `axis` defaults to -1."""
    return jax.nn.log_softmax(x, axis=axis)


def elu(x: jax.Array, alpha: float = 1.0) -> jax.Array:
    """Exponential linear unit: `x` for `x > 0`, else `alpha * (exp(x) - 1)`; `alpha` defaults to 1.0."""
    return jax.nn.elu(x, alpha)


def selu(x: jax.Array) -> jax.Array:
    """Scaled ELU with the self-normalizing constants of Klambauer et al. (2017)."""
    return jax.nn.selu(x)


def gelu(x: jax.Array, approximate: bool = False) -> jax.Array:
    """Gaussian error linear unit `x * P(X <= x)` for standard normal `X`.

    Args:
        x: input array.
        approximate: use the tanh approximation instead of the exact erf form. Default False.
    """
    return jax.nn.gelu(x, approximate=approximate)


def swish(x: jax.Array) -> jax.Array:
    """Swish (also called SiLU): `x * sigmoid(x)`."""
    return jax.nn.silu(x)


silu = swish


def mish(x: jax.Array) -> jax.Array:
    """Mish: `x * tanh(softplus(x))`."""
    return jax.nn.mish(x)


def softplus(x: jax.Array) -> jax.Array:
    """Smooth ReLU `log(exp(x) + 1)`, computed without overflow."""
    return jax.nn.softplus(x)


def softsign(x: jax.Array) -> jax.Array:
    """`x / (abs(x) + 1)`."""
    return jax.nn.soft_sign(x)


def exponential(x: jax.Array) -> jax.Array:
    """`exp(x)`."""
    return jnp.exp(x)


def linear(x: jax.Array) -> jax.Array:
    """The identity; the activation a layer gets when `activation=None`."""
    return x


_REGISTRY = registry_of(
    relu,
    leaky_relu,
    relu6,
    sigmoid,
    hard_sigmoid,
    tanh,
    softmax,
    log_softmax,
    elu,
    selu,
    gelu,
    swish,
    mish,
    softplus,
    softsign,
    exponential,
    linear,
    aliases={"silu": swish},
)


def get(identifier: Any) -> Callable:
    """Returns the activation function an identifier names.

    Args:
        identifier: None (meaning `linear`), a Keras name such as `"relu"`, or a callable.

    Returns:
        A callable mapping an array to an array.

    Raises:
        ValueError: for an unknown name.
        TypeError: for an identifier that is neither None, a string, nor a callable.
    """
    if identifier is None:
        return linear
    return resolve(identifier, _REGISTRY, kind="activation", argument="activation")


def serialize(activation: Callable) -> Any:
    """Returns an activation's Keras name (`"relu"`), or a config dict for an activation layer."""
    return _serialize(activation)


def deserialize(config: Any, custom_objects: Mapping[str, Any] | None = None) -> Callable:
    """Returns the activation that `config` names; `custom_objects` (default None) adds names."""
    with custom_object_scope(custom_objects):
        return get(config)
