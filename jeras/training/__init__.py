"""The training engine: pure steps over a TrainState, compiled epochs, data checks."""

from jeras.training.steps import Batch, StepFunctions, TrainState

__all__ = ["Batch", "StepFunctions", "TrainState"]
