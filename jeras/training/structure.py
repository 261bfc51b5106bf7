"""What makes two compiled models "the same structure", and the hyperparameters they may differ in.

Compiled programs are cached on a structure key (docs/architecture.md, "One compile per
structure"): the layers' classes and configurations in traversal order, their weights'
shapes and dtypes, how the layers connect, the model's input specs, the losses, loss weights
and metrics, and the optimizer's class with its non-numeric settings. Layer names and the
values of traced hyperparameters (`jeras.backend.hyperparameters`) are left out, so a new
model with other initial weights, names, learning rate, momentum, dropout rates or
regularization factors maps to the program compiled for the first one. Whether a
hyperparameter is exactly 0 or 1 stays in the key, because code may branch on that.

A subclassed model's `call` is code, not configuration: its class is part of the key, and so
are the plain public attributes (numbers, strings, tuples) of every model and layer class
that does not define its own `get_config`, since `call` may read them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from jeras import backend
from jeras.backend.hyperparameters import declared, value_class

_SIMPLE = (bool, int, float, str, type(None))
# Attributes every layer or model has, set by jeras itself (compile settings enter the key elsewhere).
_BASE_ATTRIBUTES = frozenset(
    ("name", "built", "dtype", "activity_regularizer", "stop_training", "history", "compile_stats", "fit_run")
    + ("run_eagerly", "loss", "optimizer")
)


def hyperparameter_slots(model, optimizer) -> list[tuple[Any, str]]:
    """The `(owner, name)` pairs of every traced hyperparameter of a model and its optimizer, in a
    fixed traversal order (models of one structure list theirs in the same order)."""
    slots: list[tuple[Any, str]] = []
    for layer, _ in model._all_layers():
        for owner in _owners_of(layer):
            slots.extend((owner, name) for name in declared(owner))
    if optimizer is not None:
        slots.extend((optimizer, name) for name in declared(optimizer))
        inner = getattr(optimizer, "inner_optimizer", None)  # a LossScaleOptimizer's
        if inner is not None:
            slots.extend((inner, name) for name in declared(inner))
    return slots


def _owners_of(layer) -> list[Any]:
    owners = [layer]
    owners.extend(reg for _, reg in layer._regularized)
    if layer.activity_regularizer is not None:
        owners.append(layer.activity_regularizer)
    return owners


def structure_key(model) -> tuple:
    """The key under which a compiled model's programs are cached (see the module docstring)."""
    walk = model._all_layers()
    names = {layer.name: i for i, (layer, _) in enumerate(walk)}
    layers = tuple(_layer_key(layer, trainable, names) for layer, trainable in walk)
    objectives = model._objectives
    return (
        type(model),
        _model_links(model, names),
        layers,
        tuple((_canonical(shape, {}), str(dtype)) for shape, dtype in model._input_specs()),
        _objectives_key(objectives),
        _optimizer_key(model.optimizer),
        backend.floatx(),
        None if getattr(model, "_distribution", None) is None else model._distribution.key(),
    )


def _layer_key(layer, trainable: bool, names: dict[str, int]) -> tuple:
    from jeras.models.model import Model

    weights = tuple((v.shape, str(v.dtype), v.trainable) for v in layer._own_weights)
    if isinstance(layer, Model):
        config: Any = _plain_attributes(layer)
    else:
        config = _config_key(layer, names)
    regularizers = tuple(_owner_key(reg) for _, reg in layer._regularized)
    activity = None if layer.activity_regularizer is None else _owner_key(layer.activity_regularizer)
    return (type(layer), trainable, config, weights, regularizers, activity)


def _config_key(layer, names: dict[str, int]) -> tuple:
    config = dict(layer.get_config())
    config.pop("name", None)
    for name in declared(layer):
        config[name] = ("traced", value_class(getattr(layer, name)))
    for key in list(config):
        owner = getattr(layer, key, None)
        if owner is not None and owner is not layer and not isinstance(owner, _SIMPLE) and declared(owner):
            config[key] = _owner_key(owner)
    if _uses_base_config(layer):
        config["__attributes__"] = _plain_attributes(layer)
    return _canonical(config, names)


def _uses_base_config(obj) -> bool:
    from jeras.layers.layer import Layer

    return type(obj).get_config is Layer.get_config


def _plain_attributes(obj) -> tuple:
    """Public attributes holding numbers, strings or tuples of them (what a `call` may read)."""
    out = []
    for key, value in sorted(vars(obj).items()):
        if key.startswith("_") or key in _BASE_ATTRIBUTES:
            continue
        if isinstance(value, _SIMPLE) or (isinstance(value, tuple) and all(isinstance(v, _SIMPLE) for v in value)):
            out.append((key, value))
    return tuple(out)


def _owner_key(owner) -> tuple:
    """A regularizer (or other hyperparameter owner): its class and config, traced values masked."""
    config = dict(owner.get_config()) if hasattr(owner, "get_config") else {}
    for name in declared(owner):
        config[name] = ("traced", value_class(getattr(owner, name)))
    return (type(owner), _canonical(config, {}))


def _model_links(model, names: dict[str, int]):
    """How the layers connect: the model's config with each layer's own config left out (the
    layers contribute theirs in `_layer_key`) and layer names replaced by traversal indices."""
    from jeras.models.model import Model

    if type(model).get_config is Model.get_config:
        return None
    config = dict(model.get_config())
    config.pop("name", None)
    # Input layers are in the config's layer list but own no weights: index by that list.
    listed = [entry.get("name", entry.get("config", {}).get("name")) for entry in config.get("layers", [])]
    names = {**names, **{name: len(names) + i for i, name in enumerate(listed) if name is not None}}
    return _canonical(_without_layer_configs(config), names)


def _without_layer_configs(value):
    if isinstance(value, dict):
        if "class_name" in value and "config" in value:
            value = {k: v for k, v in value.items() if k != "config"}
        return {k: _without_layer_configs(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_layer_configs(v) for v in value]
    return value


def _objectives_key(objectives) -> tuple:
    if objectives is None or not objectives.built:
        return (None,)
    return (
        tuple(None if loss is None else _object_key(loss) for loss in objectives.losses),
        tuple(objectives.loss_weights),
        tuple(tuple(_object_key(m) for m in group) for group in objectives.metrics),
        tuple(tuple(_object_key(m) for m in group) for group in objectives.weighted_metrics),
    )


def _object_key(obj) -> tuple:
    config = obj.get_config() if hasattr(obj, "get_config") else {}
    config = {k: v for k, v in dict(config).items() if k != "name"}
    # A wrapped user function is code: it is part of the key by identity.
    return (type(obj), getattr(obj, "fn", None), _canonical(config, {}))


def _optimizer_key(optimizer) -> tuple:
    from jeras.schedules import LearningRateSchedule

    if optimizer is None:
        return (None,)
    config = dict(optimizer.get_config())
    config.pop("name", None)
    rate = optimizer._learning_rate
    if isinstance(rate, LearningRateSchedule):
        config["learning_rate"] = _canonical(config["learning_rate"], {})
    else:
        # A number (or a callable evaluated on the host) reaches the state as a value.
        config["learning_rate"] = "host"
    for name in declared(optimizer):
        config[name] = ("traced", value_class(getattr(optimizer, name)))
    return (type(optimizer), _canonical(config, {}))


def _canonical(value, names: dict[str, int]):
    """A hashable, order-stable form of a config value; layer names become ("#", index)."""
    if isinstance(value, dict):
        return tuple((k, _canonical(v, names)) for k, v in sorted(value.items(), key=lambda kv: str(kv[0])))
    if isinstance(value, (list, tuple)):
        return tuple(_canonical(v, names) for v in value)
    if isinstance(value, str):
        return ("#", names[value]) if value in names else value
    if isinstance(value, float):
        return float(value)  # an optimizer's `OptimizerValue` holds its optimizer: not in a cache key
    if isinstance(value, _SIMPLE):
        return value
    if isinstance(value, np.ndarray):
        return ("array", value.shape, str(value.dtype), value.tobytes())
    if isinstance(value, (np.generic,)):
        return value.item()
    try:
        hash(value)
    except TypeError:
        return ("object", id(value))
    return value
