"""`keras.utils`."""

from jeras.backend import set_random_seed
from jeras.encoding import to_categorical
from jeras.serialization import custom_object_scope

CustomObjectScope = custom_object_scope

__all__ = ["CustomObjectScope", "custom_object_scope", "set_random_seed", "to_categorical"]
