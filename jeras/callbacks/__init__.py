"""Callbacks: hooks into `fit`, `evaluate` and `predict`."""

from jeras.callbacks.callback import Callback, CallbackList
from jeras.callbacks.history import History
from jeras.callbacks.progbar import ProgbarLogger

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger"]
