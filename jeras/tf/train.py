"""`tf.train`: TensorFlow 1 optimizer names (with a DeprecationWarning) and `latest_checkpoint`.

`tf.train.AdamOptimizer(0.001)` returns `tf.keras.optimizers.Adam` with TensorFlow 1's
defaults (its epsilon is 1e-8, Keras' 1e-7) and warns with the modern spelling. Adagrad adds
no epsilon, as in TensorFlow 1. One rule differs from TensorFlow 1: RMSProp's mean square
starts at 0, as in Keras (TensorFlow 1 started it at 1). See docs/architecture.md, "The tf
namespace".
"""

from __future__ import annotations

import warnings

from jeras import optimizers
from jeras.optimizers import LearningRate
from jeras.saving import latest_checkpoint
from jeras.tf._unsupported import unsupported_getattr


def _warn(old: str, new: str) -> None:
    warnings.warn(
        f"tf.train.{old} is the TensorFlow 1 optimizer; use tf.keras.optimizers.{new} instead.",
        DeprecationWarning,
        stacklevel=3,
    )


def AdamOptimizer(
    learning_rate: LearningRate = 0.001,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
    use_locking: bool = False,
    name: str = "Adam",
) -> optimizers.Adam:
    """Deprecated: `tf.keras.optimizers.Adam(learning_rate, beta_1=beta1, beta_2=beta2, epsilon=epsilon)`.

    Defaults are TensorFlow 1's: learning_rate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-8;
    `use_locking` is ignored.
    """
    _warn("AdamOptimizer", f"Adam(learning_rate={learning_rate}, beta_1={beta1}, beta_2={beta2}, epsilon={epsilon})")
    return optimizers.Adam(learning_rate, beta_1=beta1, beta_2=beta2, epsilon=epsilon, name=name)


def GradientDescentOptimizer(
    learning_rate: LearningRate, use_locking: bool = False, name: str = "GradientDescent"
) -> optimizers.SGD:
    """Deprecated: `tf.keras.optimizers.SGD(learning_rate)`; `use_locking` is ignored."""
    _warn("GradientDescentOptimizer", f"SGD(learning_rate={learning_rate})")
    return optimizers.SGD(learning_rate, name=name)


def MomentumOptimizer(
    learning_rate: LearningRate,
    momentum: float,
    use_locking: bool = False,
    name: str = "Momentum",
    use_nesterov: bool = False,
) -> optimizers.SGD:
    """Deprecated: `tf.keras.optimizers.SGD(learning_rate, momentum=momentum, nesterov=use_nesterov)`."""
    _warn("MomentumOptimizer", f"SGD(learning_rate={learning_rate}, momentum={momentum}, nesterov={use_nesterov})")
    return optimizers.SGD(learning_rate, momentum=momentum, nesterov=use_nesterov, name=name)


def RMSPropOptimizer(
    learning_rate: LearningRate,
    decay: float = 0.9,
    momentum: float = 0.0,
    epsilon: float = 1e-10,
    use_locking: bool = False,
    centered: bool = False,
    name: str = "RMSProp",
) -> optimizers.RMSprop:
    """Deprecated: `tf.keras.optimizers.RMSprop(learning_rate, rho=decay, momentum, epsilon, centered)`.

    Defaults are TensorFlow 1's (decay 0.9, momentum 0.0, epsilon 1e-10, centered False); the
    mean square starts at 0 as in Keras, not at 1 as in TensorFlow 1.
    """
    _warn(
        "RMSPropOptimizer",
        f"RMSprop(learning_rate={learning_rate}, rho={decay}, momentum={momentum}, epsilon={epsilon}, "
        f"centered={centered})",
    )
    return optimizers.RMSprop(
        learning_rate, rho=decay, momentum=momentum, epsilon=epsilon, centered=centered, name=name
    )


def AdagradOptimizer(
    learning_rate: LearningRate,
    initial_accumulator_value: float = 0.1,
    use_locking: bool = False,
    name: str = "Adagrad",
) -> optimizers.Adagrad:
    """Deprecated: `tf.keras.optimizers.Adagrad(learning_rate, initial_accumulator_value, epsilon=0)`.

    TensorFlow 1's Adagrad has no epsilon, so none is added; the accumulator must start above 0.

    Raises:
        ValueError: for `initial_accumulator_value <= 0`.
    """
    if not isinstance(initial_accumulator_value, (int, float)) or initial_accumulator_value <= 0:
        raise ValueError(
            "initial_accumulator_value must be positive (TensorFlow 1's Adagrad has no epsilon). "
            f"Received: initial_accumulator_value={initial_accumulator_value!r}"
        )
    _warn(
        "AdagradOptimizer",
        f"Adagrad(learning_rate={learning_rate}, initial_accumulator_value={initial_accumulator_value})",
    )
    return optimizers.Adagrad(
        learning_rate, initial_accumulator_value=initial_accumulator_value, epsilon=0.0, name=name
    )


__getattr__ = unsupported_getattr("train")

__all__ = [
    "AdagradOptimizer",
    "AdamOptimizer",
    "GradientDescentOptimizer",
    "MomentumOptimizer",
    "RMSPropOptimizer",
    "latest_checkpoint",
]
