"""`keras.backend`: the numeric settings and session helpers tf.keras 2.x code calls."""

import numpy as np

from jeras.backend import clear_session, epsilon, floatx, image_data_format, set_epsilon, set_floatx


def get_value(x):
    """Returns the value of a variable or array as NumPy (tf.keras 2.x `K.get_value`)."""
    return np.asarray(x)


__all__ = ["clear_session", "epsilon", "floatx", "get_value", "image_data_format", "set_epsilon", "set_floatx"]
