"""`keras.optimizers` (and `keras.optimizers.schedules`; `lr=` is accepted with a DeprecationWarning)."""

from jeras import schedules
from jeras.keras._unsupported import unsupported_getattr
from jeras.optimizers import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    Lion,
    Nadam,
    Optimizer,
    RMSprop,
    deserialize,
    get,
    serialize,
)

__getattr__ = unsupported_getattr("optimizers")

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Lion",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "deserialize",
    "get",
    "schedules",
    "serialize",
]
