"""Weight and activity penalties: `l1`, `l2`, `l1_l2`, added to the training loss."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras.backend.hyperparameters import hyperparameter
from jeras.serialization import registry_of, resolve
from jeras.serialization import serialize as _serialize


def _check_factor(value, argument: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.floating, np.integer))
        or not np.isfinite(value)
        or value < 0
    ):
        raise ValueError(f"{argument} must be a non-negative finite number. Received: {argument}={value!r}")
    return float(value)


class Regularizer:
    """Base class: a callable mapping a weight tensor to a scalar penalty."""

    def __call__(self, x: jax.Array) -> jax.Array:
        return jnp.zeros((), dtype=jnp.float32)

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        return cls(**config)


class L1L2(Regularizer):
    """Penalty `l1 * sum(|x|) + l2 * sum(x**2)`.

    The factors are traced hyperparameters: models that differ only in them share compiled
    programs (docs/architecture.md, "One compile per structure").

    Args:
        l1: the L1 factor. Default 0.0.
        l2: the L2 factor. Default 0.0.
    """

    traced_hyperparameters = ("l1", "l2")

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1 = _check_factor(l1, "l1")
        self.l2 = _check_factor(l2, "l2")

    def __call__(self, x: jax.Array) -> jax.Array:
        penalty = jnp.zeros((), dtype=jnp.result_type(x))
        if self.l1:
            penalty = penalty + hyperparameter(self, "l1") * jnp.sum(jnp.abs(x))
        if self.l2:
            penalty = penalty + hyperparameter(self, "l2") * jnp.sum(jnp.square(x))
        return penalty

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """Penalty `l1 * sum(|x|)`. Args: l1: the factor, default 0.01."""

    def __init__(self, l1: float = 0.01):
        super().__init__(l1=l1)

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1}


class L2(L1L2):
    """Penalty `l2 * sum(x**2)`. Args: l2: the factor, default 0.01."""

    def __init__(self, l2: float = 0.01):
        super().__init__(l2=l2)

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    """Both penalties; defaults 0.01 each, as tf.keras' `l1_l2` function."""
    return L1L2(l1=l1, l2=l2)


l1 = L1
l2 = L2

_REGISTRY = registry_of(Regularizer, L1L2, L1, L2, aliases={"l1": L1, "l2": L2})


def get(identifier: Any) -> Regularizer | None:
    """Resolves None, a name (`"l2"`), a config dict, or a callable to a regularizer."""
    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier.lower() == "l1_l2":
        # As in tf.keras 2, the name means `l1_l2()` (0.01 each), not `L1L2()` (zero factors).
        return l1_l2()
    return resolve(identifier, _REGISTRY, kind="regularizer", argument="regularizer")


def serialize(regularizer: Regularizer | None):
    return _serialize(regularizer)


def deserialize(config) -> Regularizer | None:
    return get(config)
