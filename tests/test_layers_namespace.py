"""`keras.layers` exposes the tf.keras 2 layer names we claim, under their aliases too, and every
registered layer class deserializes by name."""

import pytest

from jeras import keras, layers

CLAIMED = [
    "Activation",
    "Add",
    "AlphaDropout",
    "Average",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "BatchNormalization",
    "Concatenate",
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Convolution1D",
    "Convolution2D",
    "Convolution3D",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "GaussianDropout",
    "GaussianNoise",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalAvgPool3D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPool3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "Input",
    "InputLayer",
    "Lambda",
    "Layer",
    "LayerNormalization",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
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
    "maximum",
    "minimum",
    "multiply",
    "serialize",
    "subtract",
]


def test_claimed_layer_names_are_exported():
    assert sorted(keras.layers.__all__) == sorted(CLAIMED)
    assert [name for name in CLAIMED if not hasattr(keras.layers, name)] == []


@pytest.mark.parametrize("name", sorted(layers._REGISTRY))
def test_every_registered_name_resolves_to_an_exported_class(name):
    cls = layers._REGISTRY[name]
    assert getattr(keras.layers, name, None) is cls or getattr(keras.layers, cls.__name__) is cls
