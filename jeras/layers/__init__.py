"""Layers, and `serialize`/`deserialize` of layer configs."""

from __future__ import annotations

from typing import Any

from jeras.layers.convolutional import Conv1D, Conv2D, Conv3D
from jeras.layers.core import Activation, Dense
from jeras.layers.embedding import Embedding
from jeras.layers.input_layer import Input, InputLayer
from jeras.layers.lambda_layer import Lambda, enable_unsafe_deserialization, in_safe_mode, safe_mode_scope
from jeras.layers.layer import Layer
from jeras.layers.merging import (
    Add,
    Average,
    Concatenate,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    maximum,
    minimum,
    multiply,
    subtract,
)
from jeras.layers.normalization import BatchNormalization, LayerNormalization, Normalization
from jeras.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from jeras.layers.regularization import AlphaDropout, Dropout, GaussianDropout, GaussianNoise
from jeras.layers.reshaping import Flatten, Reshape
from jeras.layers.symbolic import KerasTensor
from jeras.serialization import custom_object_scope, registry_of, resolve

_REGISTRY = registry_of(
    Layer,
    InputLayer,
    Dense,
    Activation,
    Flatten,
    Reshape,
    BatchNormalization,
    LayerNormalization,
    Normalization,
    Dropout,
    AlphaDropout,
    GaussianNoise,
    GaussianDropout,
    Embedding,
    Lambda,
    Conv1D,
    Conv2D,
    Conv3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    Add,
    Subtract,
    Multiply,
    Average,
    Maximum,
    Minimum,
    Concatenate,
    # tf.keras 2 also accepts its short aliases as class names in configs.
    aliases={
        "Convolution1D": Conv1D,
        "Convolution2D": Conv2D,
        "Convolution3D": Conv3D,
        "MaxPool1D": MaxPooling1D,
        "MaxPool2D": MaxPooling2D,
        "MaxPool3D": MaxPooling3D,
        "AvgPool1D": AveragePooling1D,
        "AvgPool2D": AveragePooling2D,
        "AvgPool3D": AveragePooling3D,
        "GlobalAvgPool1D": GlobalAveragePooling1D,
        "GlobalAvgPool2D": GlobalAveragePooling2D,
        "GlobalAvgPool3D": GlobalAveragePooling3D,
        "GlobalMaxPool1D": GlobalMaxPooling1D,
        "GlobalMaxPool2D": GlobalMaxPooling2D,
        "GlobalMaxPool3D": GlobalMaxPooling3D,
    },
)


def serialize(layer: Layer) -> dict[str, Any]:
    """Returns `{"class_name": ..., "config": ...}` for a layer."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(config: dict[str, Any], custom_objects: dict | None = None) -> Layer:
    """Rebuilds a layer from `serialize`'s output; `custom_objects` maps names of user classes."""
    from jeras.models import Functional, Model, Sequential  # models are layers too; imported late (cycle)

    registry = {**_REGISTRY, "Functional": Functional, "Model": Model, "Sequential": Sequential}
    with custom_object_scope(custom_objects):
        return resolve(config, registry, kind="layer", argument="config", allow_callable=False)


__all__ = [
    "Activation",
    "Add",
    "AlphaDropout",
    "Average",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "BatchNormalization",
    "Concatenate",
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "GaussianDropout",
    "GaussianNoise",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "Input",
    "InputLayer",
    "KerasTensor",
    "Lambda",
    "Layer",
    "LayerNormalization",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "Maximum",
    "Minimum",
    "Multiply",
    "Normalization",
    "Reshape",
    "Subtract",
    "add",
    "average",
    "concatenate",
    "deserialize",
    "enable_unsafe_deserialization",
    "in_safe_mode",
    "maximum",
    "minimum",
    "multiply",
    "safe_mode_scope",
    "serialize",
    "subtract",
]
