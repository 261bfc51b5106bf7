"""`keras.constraints`."""

from jeras.constraints import Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm, deserialize, get, serialize
from jeras.keras._unsupported import unsupported_getattr

max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm

__getattr__ = unsupported_getattr("constraints")

__all__ = [
    "Constraint",
    "MaxNorm",
    "MinMaxNorm",
    "NonNeg",
    "UnitNorm",
    "deserialize",
    "get",
    "max_norm",
    "min_max_norm",
    "non_neg",
    "serialize",
    "unit_norm",
]
