"""`History`: records the epoch logs of `fit` into `history.history`."""

from __future__ import annotations

from jeras.callbacks.callback import Callback


class History(Callback):
    """Collects each epoch's logs: `history.history["loss"]` is the list of epoch losses.

    `fit` adds one automatically and returns it; `history.epoch` lists the epoch indices.
    It only reads the epoch logs, so a compiled whole fit replays them into it afterwards.
    """

    replays_epoch_logs = True

    def __init__(self):
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self
