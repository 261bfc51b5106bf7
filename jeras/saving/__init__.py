"""Saving and loading models and weights in the formats of tf.keras and Keras 3.

Formats: `.keras` archives, `.h5` model and weights files, `.weights.h5` files, and
checkpoint prefixes (see `jeras.saving.api`). Every file is written atomically
(`jeras.saving.atomic`), damaged files raise a ValueError naming them, and loading never runs
code stored in a file unless `safe_mode=False` (`jeras.saving.safe_mode`).

Example:
    >>> model.save("model.keras")
    >>> restored = load_model("model.keras")
"""

from jeras.saving.api import (
    MissingFileError,
    load_model,
    load_weights,
    model_from_config,
    model_from_json,
    model_to_json,
    save_model,
    save_weights,
)
from jeras.saving.checkpoint import latest_checkpoint
from jeras.saving.h5_store import CorruptFileError
from jeras.saving.json_config import UnsavableModelError
from jeras.saving.safe_mode import in_safe_mode, safe_mode_scope

__all__ = [
    "CorruptFileError",
    "MissingFileError",
    "UnsavableModelError",
    "in_safe_mode",
    "latest_checkpoint",
    "load_model",
    "load_weights",
    "model_from_config",
    "model_from_json",
    "model_to_json",
    "safe_mode_scope",
    "save_model",
    "save_weights",
]
