"""Which keyword arguments a callable accepts, read from its signature.

The wrappers route their parameters by signature: the model-building function gets the ones
it names, `Model.fit` the ones it names. A callable with `**kwargs` accepts every name.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

# Fitted facts a model-building function receives when its signature names them
# (`def build(n_features_in_, n_classes_): ...`); they are never estimator parameters.
META_ARGUMENTS = ("n_features_in_", "n_outputs_", "n_classes_", "classes_")

_NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def accepted_names(fn: Callable, *, var_keyword: bool = True) -> frozenset[str] | None:
    """The keyword names `fn` accepts, or None when it takes `**kwargs` (every name).

    Args:
        fn: a function, method, class or callable instance.
        var_keyword: whether `**kwargs` means every name (None is returned); with False
            only the parameters the signature names count, as the tf.keras 2 wrappers did.

    Returns:
        The names of its keyword-passable parameters, or None for a `**kwargs` signature.
    """
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None if var_keyword else frozenset()
    if var_keyword and any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return frozenset(p.name for p in parameters if p.kind in _NAMED)


def select(
    fn: Callable, params: Mapping[str, Any], *, exclude: Iterable[str] = (), var_keyword: bool = True
) -> dict[str, Any]:
    """The entries of `params` that `fn` accepts by name, less `exclude`.

    Args:
        fn: the callable whose signature decides.
        params: candidate keyword arguments.
        exclude: names never passed on, even when `fn` takes `**kwargs`.
        var_keyword: see `accepted_names`. Default True.

    Returns:
        A new dict with the accepted entries, in the order of `params`.
    """
    names = accepted_names(fn, var_keyword=var_keyword)
    skip = set(exclude)
    return {k: v for k, v in params.items() if k not in skip and (names is None or k in names)}


def required_names(fn: Callable) -> list[str]:
    """The parameters of `fn` that have no default (and so must be passed)."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters if p.kind in _NAMED and p.default is inspect.Parameter.empty]


def describe(fn: Callable) -> str:
    """`name(signature)` of a callable, for error messages."""
    name = getattr(fn, "__qualname__", None) or type(fn).__name__
    try:
        return f"{name}{inspect.signature(fn)}"
    except (TypeError, ValueError):
        return name
