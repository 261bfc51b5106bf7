"""`keras.regularizers`."""

from jeras.keras._unsupported import unsupported_getattr
from jeras.regularizers import L1, L1L2, L2, Regularizer, deserialize, get, l1, l1_l2, l2, serialize

__getattr__ = unsupported_getattr("regularizers")

__all__ = ["L1", "L1L2", "L2", "Regularizer", "deserialize", "get", "l1", "l1_l2", "l2", "serialize"]
