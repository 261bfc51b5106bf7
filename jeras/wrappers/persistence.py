"""Models inside pickles and copies: through jeras' own `.keras` format, never JAX objects.

A jeras model holds compiled programs, locks and device arrays, none of which pickle. The
wrappers pickle a model as the bytes of its `.keras` archive (architecture, weights, compile
settings and optimizer state, see `jeras.saving.keras_zip`), and copy a template model from
its config and compile settings (new weights, as Keras 3's `clone_model` does).

Classes and functions the user defined (custom layers, a subclassed model with `get_config`,
a loss function) are pickled by reference beside the archive and handed to the loader as
`custom_objects`, so a pickle of a custom model loads wherever those classes import.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from jeras import losses as losses_mod
from jeras import saving
from jeras.models import Model
from jeras.saving import json_config

_ARCHIVE = "model.keras"


def _is_user_object(obj: Any) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return not (module == "jeras" or module.startswith("jeras."))


def _layers_of(model: Model) -> list:
    layers, pending = [], list(model.layers)
    while pending:
        layer = pending.pop()
        layers.append(layer)
        if isinstance(layer, Model):
            pending.extend(layer.layers)
    return layers


def _losses_of(model: Model) -> list:
    loss = getattr(model, "loss", None)
    if isinstance(loss, dict):
        return list(loss.values())
    return list(loss) if isinstance(loss, (list, tuple)) else [loss]


def custom_objects(model: Model) -> dict[str, Any]:
    """The user-defined classes and loss functions a model's config refers to, by name."""
    found: dict[str, Any] = {}
    for obj in [model, *_layers_of(model)]:
        if _is_user_object(type(obj)):
            found[type(obj).__name__] = type(obj)
    for loss in _losses_of(model):
        if isinstance(loss, losses_mod.Loss):
            if _is_user_object(type(loss)):
                found[type(loss).__name__] = type(loss)
            loss = getattr(loss, "fn", None)
        if callable(loss) and _is_user_object(loss) and hasattr(loss, "__name__"):
            found[loss.__name__] = loss
    return found


class PickledModel:
    """A jeras model as it travels in a pickle: its `.keras` archive bytes and its user classes.

    Args:
        model: the model to store. Its architecture must be savable (Sequential, functional,
            or a subclassed model defining `get_config`).

    Raises:
        TypeError: when the model cannot be saved in the `.keras` format.
    """

    def __init__(self, model: Model):
        try:
            self.archive = model_to_bytes(model)
        except TypeError as err:
            raise TypeError(
                f"Cannot pickle the model '{model.name}': the wrappers pickle models through the .keras format, and {err}"
            ) from err
        self.custom_objects = custom_objects(model)

    def restore(self) -> Model:
        """The model again, compiled, with its weights and optimizer state."""
        return model_from_bytes(self.archive, custom_objects=self.custom_objects)


def model_to_bytes(model: Model) -> bytes:
    """The bytes of `model.save("x.keras")`: architecture, weights, compile settings, optimizer state."""
    with tempfile.TemporaryDirectory(prefix="jeras-pickle-") as directory:
        path = os.path.join(directory, _ARCHIVE)
        saving.save_model(model, path, include_optimizer=True)
        with open(path, "rb") as handle:
            return handle.read()


def model_from_bytes(data: bytes, *, custom_objects: dict[str, Any] | None = None) -> Model:
    """Loads a model from `.keras` archive bytes (`model_to_bytes`), compiled.

    Loading runs with `safe_mode=False`: a `Lambda` layer's code is restored, which is no
    more than unpickling itself already trusts.
    """
    with tempfile.TemporaryDirectory(prefix="jeras-pickle-") as directory:
        path = os.path.join(directory, _ARCHIVE)
        with open(path, "wb") as handle:
            handle.write(data)
        return saving.load_model(path, custom_objects=custom_objects, compile=True, safe_mode=False)


def fresh_copy(model: Model) -> Model:
    """A new model with `model`'s architecture and compile settings and newly initialized weights.

    The template is left untouched: the wrappers train the copy.

    Raises:
        TypeError: when the architecture cannot be written as a config (a subclassed model
            without `get_config`).
    """
    objects = custom_objects(model)
    config = json_config.serialize_model(model)
    copy = json_config.deserialize_model(config, custom_objects=objects, safe_mode=False, source="the template model")
    settings = json_config.compile_config(model)
    if settings is not None:
        json_config.compile_from_config(copy, settings, objects)
    return copy
