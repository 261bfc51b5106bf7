"""`keras.backend`: the numeric settings, session helpers and variable access tf.keras 2.x code calls.

`set_value`/`get_value` work on layer weights (`layer.kernel`) and on optimizer settings
(`model.optimizer.learning_rate`, `.lr`, `.momentum`, ...), also from a callback during `fit`:
a learning rate set in `on_epoch_begin` applies to that epoch. The tensor functions custom losses
and metrics are written in (`K.mean`, `K.square`, `K.clip`, `K.epsilon()`, ...) come from
`jeras.keras.backend_ops`, with tf.keras 2.x's signatures; the rest of tf.keras 2.x's backend
(graph-mode and fused TensorFlow ops) is named in `jeras.keras._unsupported` with what to use
instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from jeras.backend import clear_session, epsilon, floatx, image_data_format, set_epsilon, set_floatx
from jeras.keras import backend_ops
from jeras.keras._unsupported import unsupported_getattr
from jeras.keras.backend_ops import *  # noqa: F403  (the K.* tensor functions, listed in backend_ops.__all__)


def get_value(x: Any) -> np.ndarray:
    """Returns the value of a weight, an optimizer setting or an array as NumPy (tf.keras 2.x `K.get_value`)."""
    if hasattr(x, "numpy"):
        return np.asarray(x.numpy())
    return np.asarray(x)


def set_value(x: Any, value: Any) -> None:
    """Sets a weight (`layer.kernel`) or an optimizer setting (`model.optimizer.learning_rate`) to `value`.

    Args:
        x: a `Variable`, or an optimizer setting as read from the optimizer.
        value: the new value (a number or an array of the weight's shape).

    Raises:
        TypeError: when `x` is a plain number or array, which has no owner to update.
    """
    if not hasattr(x, "assign"):
        raise TypeError(
            "set_value needs a variable: a layer weight (layer.kernel) or an optimizer setting read from the "
            "optimizer (model.optimizer.learning_rate). A plain number cannot be updated in place; assign the "
            f"attribute instead (model.optimizer.learning_rate = {value!r}). Received: x of type {type(x).__name__}"
        )
    x.assign(value)


def batch_get_value(tensors: list) -> list[np.ndarray]:
    """`get_value` of each element."""
    return [get_value(x) for x in tensors]


def batch_set_value(tuples: list) -> None:
    """`set_value(x, value)` for each `(x, value)` pair."""
    for x, value in tuples:
        set_value(x, value)


eval = get_value  # noqa: A001  (tf.keras 2.x name: `K.eval(model.optimizer.lr)`)

__getattr__ = unsupported_getattr("backend")

__all__ = [
    *backend_ops.__all__,
    "batch_get_value",
    "batch_set_value",
    "clear_session",
    "epsilon",
    "eval",
    "floatx",
    "get_value",
    "image_data_format",
    "set_epsilon",
    "set_floatx",
    "set_value",
]
