"""Mixed precision: layers that compute in bfloat16 or float16 and keep float32 weights.

`keras.mixed_precision.set_global_policy("mixed_bfloat16")` (or a layer's `dtype=` policy)
makes a layer cast its floating inputs to the policy's compute dtype and read its trainable
weights cast to it, while the weights themselves, their gradients and the optimizer's state stay
in the variable dtype (float32). Losses and metrics are computed in float32 from the (cast)
predictions. With `"mixed_float16"`, `compile` wraps the optimizer in a `LossScaleOptimizer`
(as tf.keras 2.x does): the loss is multiplied by a dynamic scale before differentiation, so
small float16 gradients do not underflow; steps whose gradients overflow are skipped and halve
the scale, and `dynamic_growth_steps` finite steps in a row double it. docs/architecture.md,
"Mixed precision".
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import jax.numpy as jnp

_NAMES = {
    "float32": ("float32", "float32"),
    "float64": ("float64", "float64"),
    "float16": ("float16", "float16"),
    "bfloat16": ("bfloat16", "bfloat16"),
    "mixed_float16": ("float16", "float32"),
    "mixed_bfloat16": ("bfloat16", "float32"),
}


class Policy:
    """A dtype policy: the dtype a layer computes in and the dtype of its weights.

    Args:
        name: `"float32"`, `"float64"`, `"float16"`, `"bfloat16"`, `"mixed_float16"` or
            `"mixed_bfloat16"`.

    Raises:
        ValueError: an unknown name.
    """

    def __init__(self, name: str):
        if isinstance(name, Policy):
            name = name.name
        if not isinstance(name, str) or name not in _NAMES:
            raise ValueError(
                f"Unknown dtype policy {name!r}: expected one of {sorted(_NAMES)}. Received: name={name!r}"
            )
        self.name = name
        self.compute_dtype, self.variable_dtype = _NAMES[name]

    @property
    def mixed(self) -> bool:
        return self.compute_dtype != self.variable_dtype

    def get_config(self) -> dict[str, str]:
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> Policy:
        return cls(config["name"])

    def __eq__(self, other) -> bool:
        return isinstance(other, Policy) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f'<Policy "{self.name}">'


DTypePolicy = Policy  # Keras 3's name

_global: list[Policy | None] = [None]


def set_global_policy(policy: str | Policy | None) -> None:
    """The policy of layers created from now on without a `dtype` (None: back to `floatx()`)."""
    _global[0] = None if policy is None else Policy(policy)


def global_policy() -> Policy:
    """The global policy (by default, `floatx()` for both dtypes)."""
    if _global[0] is not None:
        return _global[0]
    from jeras import backend

    return Policy(backend.floatx()) if backend.floatx() in _NAMES else Policy("float32")


def policy_of(dtype: Any) -> Policy | None:
    """The policy a layer's `dtype=` argument names, or None when it is a plain dtype (or None)
    and no mixed global policy is set."""
    if isinstance(dtype, Policy):
        return dtype
    if isinstance(dtype, dict) and dtype.get("class_name") in ("Policy", "DTypePolicy"):
        return Policy(dtype["config"]["name"])
    if isinstance(dtype, str) and dtype.startswith("mixed_"):
        return Policy(dtype)
    if dtype is None and _global[0] is not None:
        return _global[0]
    return None


_autocast = threading.local()


@contextlib.contextmanager
def autocast(dtype: str) -> Iterator[None]:
    """While a mixed-precision layer computes: its trainable floating weights read as `dtype`."""
    previous = getattr(_autocast, "dtype", None)
    _autocast.dtype = dtype
    try:
        yield
    finally:
        _autocast.dtype = previous


def autocast_dtype() -> str | None:
    return getattr(_autocast, "dtype", None)


def to_float32(x):
    """A floating array of lower precision as float32 (what losses and metrics compute in)."""
    if hasattr(x, "dtype") and jnp.issubdtype(x.dtype, jnp.floating) and jnp.finfo(x.dtype).bits < 32:
        return x.astype(jnp.float32)
    return x


__all__ = ["DTypePolicy", "Policy", "global_policy", "set_global_policy"]
