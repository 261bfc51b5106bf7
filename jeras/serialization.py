"""Turning objects into configs and back, and resolving string identifiers.

Every family (activations, initializers, losses, metrics, optimizers, ...) keeps a registry of
its Keras names and calls `resolve` from its `get()`, so the same rules hold everywhere:
strings are looked up by name, dicts `{"class_name": ..., "config": ...}` are rebuilt with
`from_config`, callables pass through, and unknown names raise a `ValueError` that lists the
known ones.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

_custom = threading.local()


class ConfigError(ValueError, TypeError):
    """A config that cannot be turned back into an object (a ValueError, and a TypeError for a wrong type).

    `where` lists the objects around the failure, outermost first (`["layer 'block' (Sequential)",
    "layer 'dense' (Dense)"]`); the message starts with them.
    """

    def __init__(self, detail: str, *, where: Sequence[str] = ()):
        self.detail = detail
        self.where = list(where)
        super().__init__(f"{' > '.join(self.where)}: {detail}" if self.where else detail)


def _located(err: Exception, kind: str, class_name: str, config: Mapping) -> ConfigError:
    """`err`, raised while rebuilding one object, as a ConfigError naming that object."""
    name = config.get("name")
    label = f"{kind} {name!r} ({class_name})" if isinstance(name, str) else f"{kind} {class_name}"
    if isinstance(err, ConfigError):
        return ConfigError(err.detail, where=[label, *err.where])
    detail = str(err) if isinstance(err, (ValueError, TypeError)) else f"{type(err).__name__}: {err}"
    return ConfigError(detail, where=[label])


@contextlib.contextmanager
def custom_object_scope(objects: Mapping[str, Any] | None):
    """Makes user-defined classes and functions resolvable by name inside the block."""
    stack = getattr(_custom, "stack", None)
    if stack is None:
        stack = _custom.stack = []
    stack.append(dict(objects or {}))
    try:
        yield
    finally:
        stack.pop()


def _custom_lookup(name: str):
    for objects in reversed(getattr(_custom, "stack", None) or []):
        if name in objects:
            return objects[name]
    return None


def serialize(obj) -> Any:
    """Returns a JSON-ready description of `obj`: a name for plain functions, else a config dict."""
    if obj is None:
        return None
    if hasattr(obj, "get_config"):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    if callable(obj) and hasattr(obj, "__name__"):
        return obj.__name__
    raise TypeError(f"Cannot serialize object of type {type(obj).__name__}. Received: {obj!r}")


def resolve(
    identifier: Any,
    registry: Mapping[str, Any],
    *,
    kind: str,
    argument: str,
    instantiate: bool = True,
    allow_callable: bool = True,
) -> Any:
    """Returns the object an identifier names in `registry`.

    Args:
        identifier: a name, a `{"class_name", "config"}` dict, an instance, or a callable.
        registry: Keras names -> classes or functions.
        kind: what the family is called in messages (`"loss"`).
        argument: the user-facing argument name used in messages (`"loss"`).
        instantiate: when a name resolves to a class, return an instance made with no arguments.
        allow_callable: pass callables through unchanged.

    Returns:
        The resolved object.
    """
    if isinstance(identifier, str):
        target = _custom_lookup(identifier)
        if target is None:
            target = registry.get(identifier)
        if target is None:
            target = registry.get(identifier.lower())
        if target is None:
            known = ", ".join(sorted(registry))
            raise ValueError(
                f"Unknown {kind}: {identifier!r}. Expected one of: {known}. Received: {argument}={identifier!r}"
            )
        if instantiate and isinstance(target, type):
            return target()
        return target
    if isinstance(identifier, Mapping):
        if "class_name" not in identifier:
            raise ValueError(
                f"A {kind} config dict needs a 'class_name' key. Received: {argument}={dict(identifier)!r}"
            )
        name = identifier["class_name"]
        if not isinstance(name, str):
            raise ConfigError(f"A {kind} config's 'class_name' must be a string. Received: class_name={name!r}")
        cls = _custom_lookup(name) or registry.get(name)
        if cls is None:
            known = ", ".join(sorted(registry))
            raise ConfigError(
                f"Unknown {kind} class: {name!r}. Expected one of: {known}. Classes you defined must be passed in "
                f"custom_objects. Received: {argument}={name!r}"
            )
        config = identifier.get("config", {})
        if not isinstance(config, Mapping):
            raise ConfigError(
                f"The 'config' of {kind} {name!r} must be a dict of its settings. Received: config={config!r}"[:400]
            )
        if isinstance(cls, type):
            try:
                return cls.from_config(config) if hasattr(cls, "from_config") else cls(**config)
            except Exception as err:  # anything a damaged config makes a constructor raise
                raise _located(err, kind, name, config) from err
        return cls
    if allow_callable and callable(identifier):
        return identifier
    raise TypeError(
        f"Could not interpret {kind} identifier: expected a string, a config dict or a callable. "
        f"Received: {argument}={identifier!r} (of type {type(identifier).__name__})"
    )


def registry_of(*objects: Callable | type, aliases: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Builds a registry keyed by each object's `__name__`, plus explicit aliases."""
    table: dict[str, Any] = {obj.__name__: obj for obj in objects}
    table.update(aliases or {})
    return table
