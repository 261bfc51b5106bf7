"""Weight constraints, applied to a weight after each optimizer update."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from jeras import backend
from jeras.serialization import registry_of, resolve
from jeras.serialization import serialize as _serialize


class Constraint:
    """Base class: a callable mapping a weight to its projected value."""

    def __call__(self, w: jax.Array) -> jax.Array:
        return w

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Constraint:
        return cls(**config)


def _norms(w, axis):
    return jnp.sqrt(jnp.sum(jnp.square(w), axis=axis, keepdims=True))


class MaxNorm(Constraint):
    """Rescales weights whose norm along `axis` exceeds `max_value` (default 2, axis 0)."""

    def __init__(self, max_value: float = 2.0, axis: int = 0):
        self.max_value = float(max_value)
        self.axis = axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = jnp.clip(norms, 0, self.max_value)
        return w * (desired / (backend.epsilon() + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to zero."""

    def __call__(self, w):
        return w * (w >= 0).astype(w.dtype)


class UnitNorm(Constraint):
    """Rescales weights to unit norm along `axis` (default 0)."""

    def __init__(self, axis: int = 0):
        self.axis = axis

    def __call__(self, w):
        return w / (backend.epsilon() + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Keeps norms along `axis` between `min_value` and `max_value`, moving at `rate`."""

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0, axis: int = 0):
        self.min_value, self.max_value, self.rate, self.axis = float(min_value), float(max_value), float(rate), axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = self.rate * jnp.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return w * (desired / (backend.epsilon() + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


_REGISTRY = registry_of(
    Constraint,
    MaxNorm,
    NonNeg,
    UnitNorm,
    MinMaxNorm,
    aliases={"max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm, "min_max_norm": MinMaxNorm},
)


def get(identifier: Any) -> Constraint | None:
    """Resolves None, a name (`"max_norm"`), a config dict or a callable to a constraint."""
    if identifier is None:
        return None
    return resolve(identifier, _REGISTRY, kind="constraint", argument="constraint")


def serialize(constraint: Constraint | None):
    return _serialize(constraint)


def deserialize(config) -> Constraint | None:
    return get(config)
