"""`keras.wrappers`: the tf.keras 2.x scikit-learn wrappers under `keras.wrappers.scikit_learn`.

`scikit_learn` is imported on first access, so `from jeras import keras` does not pay for
importing scikit-learn (about a second) unless the wrappers are used.
"""

import importlib
from typing import Any

__all__ = ["scikit_learn"]


def __getattr__(name: str) -> Any:
    if name == "scikit_learn":
        return importlib.import_module("jeras.keras.wrappers.scikit_learn")
    raise AttributeError(f"module 'jeras.keras.wrappers' has no attribute {name!r}")
