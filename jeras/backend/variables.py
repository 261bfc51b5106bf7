"""Layer variables and the stateless scope that makes layer code pure.

A `Variable` holds a concrete array between training runs. While a compiled step runs, the
step enters a `StatelessScope` that maps each variable to a traced value: reading
`variable.value` returns the traced value and `variable.assign(...)` records the new value in
the scope instead of mutating the object. The step then reads the new values back out of the
scope and returns them. This is how Keras-style layers (which read `self.kernel` and assign
`self.moving_mean`) run as pure functions of their parameters.
"""

from __future__ import annotations

import threading
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras.backend import config

_local = threading.local()


def current_scope() -> StatelessScope | None:
    """Returns the innermost active `StatelessScope`, or None."""
    stack = getattr(_local, "stack", None)
    return stack[-1] if stack else None


class StatelessScope:
    """Binds variables to given values for the duration of a `with` block.

    Besides the bindings, a scope collects what layers report while it is active: the losses
    of `add_loss` and of activity regularizers, and the values of `add_metric`, each with the
    layer that reported it.

    Args:
        bindings: pairs of (variable, value) to read instead of the stored values.
        rng: an optional raw JAX key; random layers derive their keys from it.
        parent: an enclosing scope whose bindings are read for the variables this one does not
            bind (a scope that differentiates some variables inside a training step). Default None.
    """

    def __init__(self, bindings=(), *, rng: jax.Array | None = None, parent: StatelessScope | None = None):
        self._values: dict[int, Any] = {id(v): val for v, val in bindings}
        self.assigned: dict[int, Any] = {}
        self._written: dict[int, Variable] = {}
        self.parent = parent
        # Without a key of its own, a nested scope draws from its parent's sequence of keys, so
        # layers draw the same noise as they would in the parent.
        self._delegates_keys = rng is None and parent is not None and parent.rng is not None
        self.rng = parent.rng if self._delegates_keys else rng
        self._key_count = 0
        self.loss_entries: list[tuple[Any, Any]] = []
        self.metric_entries: list[tuple[Any, str, Any]] = []

    @property
    def losses(self) -> list[Any]:
        """The losses reported in this scope (activity regularization, `add_loss`)."""
        return [value for _, value in self.loss_entries]

    def add_loss(self, layer, value) -> None:
        self.loss_entries.append((layer, value))

    def add_metric(self, layer, name: str, value) -> None:
        self.metric_entries.append((layer, name, value))

    def next_key(self) -> jax.Array:
        if self._delegates_keys:
            return self.parent.next_key()
        self._key_count += 1
        return jax.random.fold_in(self.rng, self._key_count)

    def read(self, variable: Variable):
        key = id(variable)
        if key in self.assigned:
            return self.assigned[key]
        if key in self._values:
            return self._values[key]
        return None if self.parent is None else self.parent.read(variable)

    def write(self, variable: Variable, value) -> None:
        self.assigned[id(variable)] = value
        self._written[id(variable)] = variable

    def assignments(self) -> list[tuple[Variable, Any]]:
        """The `(variable, value)` pairs assigned in this scope."""
        return [(self._written[key], value) for key, value in self.assigned.items()]

    def new_value(self, variable: Variable):
        """The value a variable has at the end of the scope (assigned, bound, or stored)."""
        value = self.read(variable)
        return variable._value if value is None else value

    def __enter__(self) -> StatelessScope:
        stack = getattr(_local, "stack", None)
        if stack is None:
            stack = _local.stack = []
        stack.append(self)
        return self

    def __exit__(self, *exc) -> None:
        _local.stack.pop()


def _unwrap(x):
    return x.value if isinstance(x, Variable) else x


def _autocast_dtype():
    from jeras.mixed_precision import autocast_dtype

    return autocast_dtype()


class Variable:
    """A named, typed array owned by a layer.

    Args:
        value: the initial value (array-like).
        name: the weight's short name (`"kernel"`).
        trainable: whether optimizers update it.
        dtype: the storage dtype; defaults to the value's dtype, or `floatx()` for floats.
        path: the full name, `"<layer name>/<weight name>"`.
        constraint: an optional callable applied after each optimizer update.
    """

    def __init__(
        self,
        value,
        *,
        name: str,
        trainable: bool = True,
        dtype=None,
        path: str | None = None,
        constraint=None,
    ):
        if dtype is None:
            arr = np.asarray(value) if not isinstance(value, jax.Array) else value
            # Other dtypes are left to JAX, which maps int64 to int32 unless x64 is enabled.
            dtype = config.floatx() if jnp.issubdtype(arr.dtype, jnp.floating) else None
        self._value = jnp.asarray(value, dtype=dtype)
        self.name = name
        self.path = path or name
        self.trainable = bool(trainable)
        self.constraint = constraint

    @property
    def value(self) -> jax.Array:
        scope = current_scope()
        value = None
        if scope is not None:
            value = scope.read(self)
        if value is None:
            value = self._value
        # Inside a mixed-precision layer's call, trainable float weights read in its compute
        # dtype (jeras.mixed_precision); the variable itself, and its gradient, stay float32.
        cast = _autocast_dtype() if self.trainable else None
        if cast is not None and value.dtype != cast and jnp.issubdtype(value.dtype, jnp.floating):
            return value.astype(cast)
        return value

    def assign(self, value) -> None:
        value = jnp.asarray(_unwrap(value), dtype=self.dtype)
        if value.shape != self.shape:
            raise ValueError(
                f"Cannot assign a value of shape {value.shape} to variable '{self.path}' of shape {self.shape}."
            )
        scope = current_scope()
        if scope is not None:
            scope.write(self, value)
        else:
            self._value = value

    def assign_add(self, delta) -> None:
        self.assign(self.value + jnp.asarray(_unwrap(delta)))

    def assign_sub(self, delta) -> None:
        self.assign(self.value - jnp.asarray(_unwrap(delta)))

    def numpy(self) -> np.ndarray:
        return np.asarray(self._value)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._value.shape)

    @property
    def dtype(self):
        return self._value.dtype

    @property
    def ndim(self) -> int:
        return self._value.ndim

    def __array__(self, dtype=None, copy=None):
        arr = np.asarray(self.value)
        return arr.astype(dtype) if dtype is not None else arr

    def __repr__(self) -> str:
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype.name}, trainable={self.trainable}>"

    # Arithmetic reads the current (possibly scoped) value, so layer code can write
    # `inputs @ self.kernel + self.bias` as it would in Keras.
    def __getitem__(self, idx):
        return self.value[idx]

    def __neg__(self):
        return -self.value

    def __pos__(self):
        return self.value

    def __abs__(self):
        return abs(self.value)

    def __len__(self) -> int:
        return self.shape[0]

    def __float__(self) -> float:
        return float(self.value)

    def __int__(self) -> int:
        return int(self.value)


def _binary(op):
    def forward(self, other):
        return op(self.value, _unwrap(other))

    def reflected(self, other):
        return op(_unwrap(other), self.value)

    return forward, reflected


for _name, _op in {
    "add": jnp.add,
    "sub": jnp.subtract,
    "mul": jnp.multiply,
    "truediv": jnp.true_divide,
    "floordiv": jnp.floor_divide,
    "mod": jnp.mod,
    "pow": jnp.power,
    "matmul": jnp.matmul,
}.items():
    _fwd, _ref = _binary(_op)
    setattr(Variable, f"__{_name}__", _fwd)
    setattr(Variable, f"__r{_name}__", _ref)

for _name, _op in {"lt": jnp.less, "le": jnp.less_equal, "gt": jnp.greater, "ge": jnp.greater_equal}.items():
    setattr(Variable, f"__{_name}__", _binary(_op)[0])
