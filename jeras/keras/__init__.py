"""The tf.keras-compatible namespace: `from jeras import keras`.

Only aliases live here; each name points at the jeras object that implements it, under the
path a tf.keras 2.x user writes (`keras.layers.Dense`, `keras.optimizers.SGD`, ...).
"""

from jeras.keras import (
    activations,
    backend,
    callbacks,
    constraints,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    regularizers,
    utils,
)
from jeras.keras import preprocessing as preprocessing
from jeras.keras import wrappers as wrappers
from jeras.layers import Input
from jeras.models import Model, Sequential

__all__ = [
    "Input",
    "Model",
    "Sequential",
    "activations",
    "backend",
    "callbacks",
    "constraints",
    "datasets",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "optimizers",
    "regularizers",
    "utils",
]
