"""`keras.wrappers.scikit_learn`: tf.keras 2.x's `KerasRegressor` and `KerasClassifier` (see `jeras.wrappers.legacy`)."""

from jeras.wrappers.legacy import KerasClassifier, KerasRegressor

__all__ = ["KerasClassifier", "KerasRegressor"]
