"""`keras.preprocessing.sequence`."""

from jeras.layers.preprocessing import pad_sequences

__all__ = ["pad_sequences"]
