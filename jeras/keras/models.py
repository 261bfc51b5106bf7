"""`keras.models`."""

from jeras.keras._unsupported import unsupported_getattr
from jeras.models import Model, Sequential, clone_model
from jeras.saving import load_model, model_from_config, model_from_json, save_model

__getattr__ = unsupported_getattr("models")

__all__ = ["Model", "Sequential", "clone_model", "load_model", "model_from_config", "model_from_json", "save_model"]
