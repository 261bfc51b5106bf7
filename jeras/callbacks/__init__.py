"""Callbacks: hooks into `fit`, `evaluate` and `predict`."""

from jeras.callbacks.backup_and_restore import BackupAndRestore
from jeras.callbacks.callback import Callback, CallbackList
from jeras.callbacks.csv_logger import CSVLogger
from jeras.callbacks.early_stopping import EarlyStopping
from jeras.callbacks.history import History
from jeras.callbacks.lambda_callback import LambdaCallback
from jeras.callbacks.learning_rate import LearningRateScheduler, ReduceLROnPlateau
from jeras.callbacks.model_checkpoint import ModelCheckpoint
from jeras.callbacks.progbar import ProgbarLogger
from jeras.callbacks.tensorboard import TensorBoard
from jeras.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "TensorBoard",
    "TerminateOnNaN",
]
