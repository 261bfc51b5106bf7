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
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from jeras import serialization
from jeras.backend.allocation import weight_limit
from jeras.saving import config_check, h5_store, keras3_config
from jeras.saving.safe_mode import check_safe, safe_mode_scope
from jeras.serialization import ConfigError

# How many weight values a model rebuilt from a config without stored weights may create.
MAX_WEIGHTS_ENV = "JERAS_MAX_CONFIG_WEIGHTS"
_DEFAULT_MAX_WEIGHTS = 1 << 30
# Weight values a rebuilt model may create beyond those its file stores (state jeras keeps and Keras does not).
_STORED_SLACK = 1 << 16


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
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError, RecursionError) as err:
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


def _weight_limit(stored_values: int | None, source: str) -> tuple[int, str, str]:
    """The cap on the weight values rebuilding a model may create (see `jeras.backend.allocation`),
    with why it holds and how to lift it."""
    if stored_values is not None:
        return (
            stored_values + _STORED_SLACK,
            f"{source} stores {stored_values:,} weight values, and the model must fit them",
            "Rebuild the model in code and call load_weights() if you changed the config on purpose.",
        )
    try:
        values = int(os.environ.get(MAX_WEIGHTS_ENV, _DEFAULT_MAX_WEIGHTS))
    except ValueError:
        values = _DEFAULT_MAX_WEIGHTS
    return (
        values,
        f"the limit for a model rebuilt from a config (${MAX_WEIGHTS_ENV}, default {_DEFAULT_MAX_WEIGHTS:,})",
        f"If the model really is that large, set the environment variable {MAX_WEIGHTS_ENV} to a larger number.",
    )


def deserialize_model(
    config: Any,
    *,
    custom_objects: Mapping[str, Any] | None,
    safe_mode: bool,
    source: str,
    stored_values: int | None = None,
) -> Any:
    """Rebuilds a model from `serialize_model`'s output (or a tf.keras / Keras 3 model config).

    The config's structure is checked before anything is built (`jeras.saving.config_check`), and
    the layers may create at most the weight values the file stores (`stored_values`), or
    `$JERAS_MAX_CONFIG_WEIGHTS` (default 2**30) for a config without weights.

    Args:
        config: the config dict.
        custom_objects: names of user classes and functions the config refers to.
        safe_mode: refuse configs holding code (Lambda layers). See `jeras.saving.safe_mode`.
        source: what the config came from, for messages (`"the file 'x.h5'"`).
        stored_values: how many weight values the file holds, when it holds weights.

    Returns:
        The model, built when the config records its input shape.

    Raises:
        ConfigError: (a ValueError and a TypeError) naming `source`, the layer and the field.
    """
    from jeras.models import Model

    try:
        check_safe(config, safe_mode=safe_mode, source=source)
    except RecursionError as err:
        raise ConfigError(f"Could not rebuild the model of {source}: its config nests too deeply.") from err
    if custom_objects is not None and not isinstance(custom_objects, Mapping):
        raise TypeError(
            f"custom_objects must be a dict mapping names to classes or functions. Received: custom_objects={custom_objects!r}"
        )
    classes = _model_classes()
    values, reason, lift = _weight_limit(stored_values, source)
    try:
        build_config = config.get("build_config") if isinstance(config, dict) else None
        config = keras3_config.to_jeras(config)
        config_check.check_model_config(config)
        shape = (build_config if isinstance(build_config, dict) else {}).get("input_shape")
        shape = shape if shape is not None else config["config"].get("build_input_shape")
        if shape is not None:
            config_check.check_input_shape(shape, limit=values)
        name = config["class_name"]
        with (
            serialization.custom_object_scope(classes),
            serialization.custom_object_scope(custom_objects),
            safe_mode_scope(safe_mode),
            weight_limit(values, reason=reason, lift=lift),
        ):
            cls = serialization.resolve(name, classes, kind="model class", argument="class_name", instantiate=False)
            if not (isinstance(cls, type) and issubclass(cls, Model)):
                raise ConfigError(f"{name} is not a Model class. Received: class_name={name!r}")
            model = _call_from_config(cls, config["config"], custom_objects)
            if not model.built and shape is not None:
                model.build(_shape_tuples(shape))
    except Exception as err:  # a damaged config can make any constructor fail: say where, and in which file
        detail = str(err) if isinstance(err, (ValueError, TypeError)) else f"{type(err).__name__}: {err}"
        raise ConfigError(f"Could not rebuild the model of {source}: {detail}") from err
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
