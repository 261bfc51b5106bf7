"""`keras.datasets`: `keras.datasets.fashion_mnist.load_data()` and the other tf.keras loaders."""

from jeras.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)
from jeras.keras._unsupported import unsupported_getattr

__getattr__ = unsupported_getattr("datasets")

__all__ = [
    "boston_housing",
    "california_housing",
    "cifar10",
    "cifar100",
    "fashion_mnist",
    "imdb",
    "mnist",
    "reuters",
]
