"""Numeric hyperparameters that compiled programs take as arguments instead of constants.

A dropout rate, a regularization factor or an optimizer's momentum is a Python float on its
layer, regularizer or optimizer. Read through `hyperparameter(owner, name)`, it is that float
outside compiled code, and inside a compiled step the traced value that the step received in
`TrainState.hyper`. The program compiled for one model therefore serves every model of the
same structure, whatever their rates and factors (docs/architecture.md, "One compile per
structure"), and the search module can stack the values of many candidates and `vmap` them.

An object declares its traced hyperparameters with a class attribute::

    class Dropout(Layer):
        traced_hyperparameters = ("rate",)

and reads them in its computation with `hyperparameter(self, "rate")`. Code may still branch
on the Python value where a value changes the computation itself (a rate of exactly 0 skips
the layer): such values are part of the structure (see `value_class`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

_local = threading.local()


class HyperparameterScope:
    """Binds `(owner, name)` pairs to (traced) values for the duration of a `with` block.

    Args:
        bindings: pairs `((owner, name), value)`.
    """

    def __init__(self, bindings: Iterable[tuple[tuple[Any, str], Any]] = ()):
        self._values = {(id(owner), name): value for (owner, name), value in bindings}

    def lookup(self, owner: Any, name: str):
        return self._values.get((id(owner), name))

    def __enter__(self) -> HyperparameterScope:
        stack = getattr(_local, "stack", None)
        if stack is None:
            stack = _local.stack = []
        stack.append(self)
        return self

    def __exit__(self, *exc) -> None:
        _local.stack.pop()


def hyperparameter(owner: Any, name: str):
    """The value of `owner.<name>`: traced inside a step that binds it, else the Python value."""
    stack = getattr(_local, "stack", None)
    if stack:
        value = stack[-1].lookup(owner, name)
        if value is not None:
            return value
    return getattr(owner, name)


def declared(owner: Any) -> tuple[str, ...]:
    """The names an object declares as traced hyperparameters whose current value is a number."""
    names = getattr(type(owner), "traced_hyperparameters", ())
    return tuple(
        n
        for n in names
        if isinstance(getattr(owner, n, None), (int, float)) and not isinstance(getattr(owner, n), bool)
    )


def value_class(value: float) -> tuple[bool, bool]:
    """The part of a hyperparameter's value that can change the computation: whether it is 0 or 1."""
    return (float(value) == 0.0, float(value) == 1.0)
