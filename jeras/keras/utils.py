"""`keras.utils`."""

from jeras.backend import set_random_seed
from jeras.datasets import get_file
from jeras.encoding import to_categorical
from jeras.layers.preprocessing import image_dataset_from_directory, pad_sequences, text_dataset_from_directory
from jeras.plotting import plot_model
from jeras.serialization import custom_object_scope

CustomObjectScope = custom_object_scope

__all__ = [
    "CustomObjectScope",
    "custom_object_scope",
    "get_file",
    "image_dataset_from_directory",
    "pad_sequences",
    "plot_model",
    "set_random_seed",
    "text_dataset_from_directory",
    "to_categorical",
]
