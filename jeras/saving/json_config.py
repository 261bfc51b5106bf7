"""Model architecture and compile settings as JSON-ready configs, and models rebuilt from them.

A model config is `{"class_name": ..., "config": model.get_config()}` (tf.keras' form), plus
`"build_config": {"input_shape": ...}` for built models, which lets a subclassed model with
its own `get_config` create its weights before they are loaded. Any model class with
`get_config`/`from_config` round-trips: `Sequential`, functional models, and subclassed models
that define `get_config` (their class is found through `custom_objects`). Rebuilding goes
through names and registries only; no code is ever read from a config (see `safe_mode`).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from jeras import serialization
from jeras.saving import h5_store, keras3_config
from jeras.saving.safe_mode import check_safe, safe_mode_scope


class UnsavableModelError(TypeError, NotImplementedError):
    """The model's architecture cannot be saved: a subclassed model without `get_config`.

    It is a TypeError and, as in tf.keras, a NotImplementedError.
    """


# ---------------------------------------------------------------------- JSON text
def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(
        f"A config holds a value that cannot be written as JSON: {value!r} of type {type(value).__name__}. "
        "get_config() must return JSON-ready values (numbers, strings, lists, dicts, None)."
    )


def dumps(config: Any, **kwargs: Any) -> str:
    """JSON text of a config (NumPy scalars and arrays become numbers and lists)."""
    return json.dumps(config, default=_json_default, **kwargs)


def loads(text: str | bytes, *, source: str, what: str) -> Any:
    """Parses JSON text read from `source`, raising a ValueError naming it when the text is damaged."""
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as err:
        raise h5_store.CorruptFileError(
            f"The {what} in '{source}' is not valid JSON ({err}); the file is corrupted or was not written by "
            f"Keras or jeras. Received: filepath={source!r}"
        ) from err


# ---------------------------------------------------------------------- models
def _model_classes() -> dict[str, type]:
    import jeras.models
    from jeras.models import Model

    return {
        name: obj
        for name, obj in vars(jeras.models).items()
        if isinstance(obj, type) and issubclass(obj, Model) and not name.startswith("_")
    }


def check_savable(model) -> None:
    """Raises `UnsavableModelError` for a subclassed model that does not define `get_config`."""
    from jeras.models import Model
    from jeras.saving.weights import _is_layer_graph

    if not isinstance(model, Model):
        raise TypeError(f"Expected a jeras Model. Received: model={model!r} of type {type(model).__name__}")
    if _is_layer_graph(model) or type(model).get_config is not Model.get_config:
        return
    raise UnsavableModelError(
        f"Model '{model.name}' is an instance of the subclassed model class {type(model).__name__}, which does "
        "not define get_config(), so its architecture cannot be written to a file. Save its weights with "
        "model.save_weights(...) and rebuild the model in code before load_weights(...), or define "
        f"get_config() (and from_config() if needed) in {type(model).__name__}. Received: model of type "
        f"{type(model).__name__}"
    )


def serialize_model(model) -> dict[str, Any]:
    """`{"class_name", "config", "build_config"}` of a model (raises for unsavable models)."""
    check_savable(model)
    out: dict[str, Any] = {"class_name": type(model).__name__, "config": model.get_config()}
    shapes = getattr(model, "_input_shapes", None)
    if model.built and shapes:
        out["build_config"] = {"input_shape": [list(s) for s in shapes] if len(shapes) > 1 else list(shapes[0])}
    return out


def _call_from_config(cls: type, config: dict[str, Any], custom_objects: Mapping[str, Any] | None):
    parameters = inspect.signature(cls.from_config).parameters
    if "custom_objects" in parameters:
        return cls.from_config(config, custom_objects=custom_objects)
    return cls.from_config(config)


def deserialize_model(config: Any, *, custom_objects: Mapping[str, Any] | None, safe_mode: bool, source: str) -> Any:
    """Rebuilds a model from `serialize_model`'s output (or a tf.keras / Keras 3 model config).

    Args:
        config: the config dict.
        custom_objects: names of user classes and functions the config refers to.
        safe_mode: refuse configs holding code (Lambda layers). See `jeras.saving.safe_mode`.
        source: what the config came from, for messages (`"the file 'x.h5'"`).

    Returns:
        The model, built when the config records its input shape.
    """
    from jeras.models import Model

    check_safe(config, safe_mode=safe_mode, source=source)
    if custom_objects is not None and not isinstance(custom_objects, Mapping):
        raise TypeError(
            f"custom_objects must be a dict mapping names to classes or functions. Received: custom_objects={custom_objects!r}"
        )
    build_config = config.get("build_config") if isinstance(config, dict) else None
    config = keras3_config.to_jeras(config)
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(
            f"The model config of {source} must be a dict with a 'class_name' and a 'config'. Received: "
            f"{str(config)[:200]}"
        )
    classes = _model_classes()
    name = config["class_name"]
    with (
        serialization.custom_object_scope(classes),
        serialization.custom_object_scope(custom_objects),
        safe_mode_scope(safe_mode),
    ):
        try:
            cls = serialization.resolve(name, classes, kind="model class", argument="class_name", instantiate=False)
            if not (isinstance(cls, type) and issubclass(cls, Model)):
                raise ValueError(f"{name} is not a Model class. Received: class_name={name!r}")
            model = _call_from_config(cls, config.get("config") or {}, custom_objects)
        except (ValueError, TypeError) as err:
            kind = ValueError if isinstance(err, ValueError) else TypeError
            raise kind(
                f"Could not rebuild the model of {source}: {err} Classes and functions you defined must be passed "
                "to the loader in custom_objects."
            ) from err
    if not model.built:
        shape = (build_config or {}).get("input_shape")
        shape = shape if shape is not None else (config.get("config") or {}).get("build_input_shape")
        if shape is not None:
            model.build(_shape_tuples(shape))
    return model


def _shape_tuples(shape: list) -> Any:
    if shape and isinstance(shape[0], list):
        return [tuple(s) for s in shape]
    return tuple(shape)


# ---------------------------------------------------------------------- compile settings
def _objects(value: Any, argument: str) -> Any:
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_objects(item, argument) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _objects(item, argument) for key, item in value.items()}
    try:
        return serialization.serialize(value)
    except TypeError as err:
        raise TypeError(
            f"The compile argument {argument} holds {value!r}, which cannot be saved: {err} Save with "
            f"include_optimizer=False to leave out the compile settings. Received: {argument}={value!r}"
        ) from err


def compile_config(model) -> dict[str, Any] | None:
    """The compile settings (Keras 3's `compile_config` keys); None for an uncompiled model."""
    from jeras import optimizers

    objectives = model._objectives
    if objectives is None or model.optimizer is None:
        return None
    return {
        "optimizer": optimizers.serialize(model.optimizer),
        "loss": _objects(objectives.loss_arg, "loss"),
        "metrics": _objects(objectives.metrics_arg, "metrics"),
        "loss_weights": _objects(objectives.loss_weights_arg, "loss_weights"),
        "weighted_metrics": _objects(objectives.weighted_metrics_arg, "weighted_metrics"),
        "run_eagerly": bool(model.run_eagerly),
    }


def _restore(value: Any, family, kind: str) -> Any:
    """Rebuilds a compile argument: user objects by name, config dicts by class; builtin names stay
    names, so `compile` resolves them as it does for the user (`"accuracy"` included)."""
    if isinstance(value, str):
        try:
            return serialization.resolve(value, {}, kind=kind, argument=kind, instantiate=False)
        except ValueError:
            return value
    if isinstance(value, list):
        return [_restore(item, family, kind) for item in value]
    if isinstance(value, dict):
        if "class_name" in value:
            return family.deserialize(value)
        return {key: _restore(item, family, kind) for key, item in value.items()}
    return value


def compile_from_config(model, config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None) -> None:
    """Compiles `model` with saved compile settings (jeras, tf.keras `training_config` or Keras 3 keys)."""
    from jeras import losses, metrics, optimizers

    config = keras3_config.to_jeras(dict(config))
    optimizer_config = config.get("optimizer", config.get("optimizer_config"))
    with serialization.custom_object_scope(custom_objects):
        optimizer = optimizers.deserialize(optimizer_config) if optimizer_config is not None else "rmsprop"
        model.compile(
            optimizer=optimizer,
            loss=_restore(config.get("loss"), losses, "loss"),
            metrics=_restore(config.get("metrics"), metrics, "metric"),
            loss_weights=config.get("loss_weights"),
            weighted_metrics=_restore(config.get("weighted_metrics"), metrics, "metric"),
            run_eagerly=bool(config.get("run_eagerly")),
        )
