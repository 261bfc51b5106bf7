"""`keras.layers`."""

from jeras.layers import Activation, Dense, Flatten, Input, InputLayer, Layer, Reshape, deserialize, serialize

__all__ = ["Activation", "Dense", "Flatten", "Input", "InputLayer", "Layer", "Reshape", "deserialize", "serialize"]
