"""`keras.models`."""

from jeras.models import Model, Sequential

__all__ = ["Model", "Sequential"]
