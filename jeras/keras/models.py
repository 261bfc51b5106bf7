"""`keras.models`."""

from jeras.models import Model, Sequential
from jeras.saving import load_model, model_from_config, model_from_json, save_model

__all__ = ["Model", "Sequential", "load_model", "model_from_config", "model_from_json", "save_model"]
