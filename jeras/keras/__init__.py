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
    distribute,
    initializers,
    layers,
    losses,
    metrics,
    mixed_precision,
    models,
    optimizers,
    regularizers,
    utils,
)
from jeras.keras import preprocessing as preprocessing
from jeras.keras import wrappers as wrappers
from jeras.keras._unsupported import unsupported_getattr
from jeras.layers import Input
from jeras.models import Model, Sequential

__version__ = "2.15.0"
"""The tf.keras release whose API jeras follows (the Keras of TensorFlow 2.15), not an installed Keras.
Code that checks `keras.__version__` takes its tf.keras 2.x branch; `jeras.__version__` is jeras' own."""

__getattr__ = unsupported_getattr("")

__all__ = [
    "__version__",
    "Input",
    "Model",
    "Sequential",
    "activations",
    "backend",
    "callbacks",
    "constraints",
    "datasets",
    "distribute",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "mixed_precision",
    "models",
    "optimizers",
    "regularizers",
    "utils",
]
