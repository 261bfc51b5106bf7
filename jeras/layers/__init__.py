"""Layers, and `serialize`/`deserialize` of layer configs."""

from __future__ import annotations

from typing import Any

from jeras.layers.core import Activation, Dense
from jeras.layers.input_layer import Input, InputLayer
from jeras.layers.layer import Layer
from jeras.layers.reshaping import Flatten, Reshape
from jeras.layers.symbolic import KerasTensor
from jeras.serialization import custom_object_scope, registry_of, resolve

_REGISTRY = registry_of(Layer, InputLayer, Dense, Activation, Flatten, Reshape)


def serialize(layer: Layer) -> dict[str, Any]:
    """Returns `{"class_name": ..., "config": ...}` for a layer."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(config: dict[str, Any], custom_objects: dict | None = None) -> Layer:
    """Rebuilds a layer from `serialize`'s output; `custom_objects` maps names of user classes."""
    with custom_object_scope(custom_objects):
        return resolve(config, _REGISTRY, kind="layer", argument="config", allow_callable=False)


__all__ = [
    "Activation",
    "Dense",
    "Flatten",
    "Input",
    "InputLayer",
    "KerasTensor",
    "Layer",
    "Reshape",
    "deserialize",
    "serialize",
]
