"""`keras.callbacks`."""

from jeras.callbacks import Callback, CallbackList, History, ProgbarLogger

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger"]
