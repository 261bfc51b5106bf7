"""`keras.utils`."""

from jeras.backend import set_random_seed
from jeras.data import Sequence
from jeras.datasets import get_file
from jeras.encoding import to_categorical
from jeras.keras._unsupported import unsupported_getattr
from jeras.layers.preprocessing import image_dataset_from_directory, pad_sequences, text_dataset_from_directory
from jeras.plotting import plot_model
from jeras.serialization import custom_object_scope
from jeras.training.train_step import pack_x_y_sample_weight, unpack_x_y_sample_weight

CustomObjectScope = custom_object_scope

__getattr__ = unsupported_getattr("utils")

__all__ = [
    "CustomObjectScope",
    "Sequence",
    "custom_object_scope",
    "pack_x_y_sample_weight",
    "get_file",
    "image_dataset_from_directory",
    "pad_sequences",
    "plot_model",
    "set_random_seed",
    "text_dataset_from_directory",
    "to_categorical",
    "unpack_x_y_sample_weight",
]
