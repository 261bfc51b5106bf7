"""`History`: records the epoch logs of `fit` into `history.history`."""

from __future__ import annotations

import warnings

from jeras.callbacks.callback import Callback

# Names of one metric across tf.keras versions: `metrics=["acc"]` logs `acc`, `["accuracy"]` logs
# `accuracy`, and older tutorials read whichever their tf.keras version wrote.
_SPELLINGS = {"acc": "accuracy", "accuracy": "acc"}


class HistoryDict(dict):
    """`history.history`: a dict of log name -> per-epoch values.

    Reading `"acc"` when the metric was compiled as `"accuracy"` (or the reverse, with or
    without `val_`) returns the values under the name that was logged, with a
    `DeprecationWarning` naming it; any other missing key raises a `KeyError` that lists the
    keys there are.
    """

    def __missing__(self, key):
        if isinstance(key, str):
            prefix = "val_" if key.startswith("val_") else ""
            other = _SPELLINGS.get(key[len(prefix) :])
            if other is not None and prefix + other in self:
                warnings.warn(
                    f"history.history has no key {key!r}: the metric was compiled as {other!r}, so its values are "
                    f"under {prefix + other!r}. Read history.history[{prefix + other!r}].",
                    DeprecationWarning,
                    stacklevel=2,
                )
                return self[prefix + other]
        raise KeyError(f"{key!r} is not in history.history. Available keys: {sorted(self)}")


class History(Callback):
    """Collects each epoch's logs: `history.history["loss"]` is the list of epoch losses.

    `fit` adds one automatically and returns it; `history.epoch` lists the epoch indices and
    `history.params` the fit's `verbose`, `epochs` and `steps` (per epoch), as tf.keras writes them.
    It only reads the epoch logs, so a compiled whole fit replays them into it afterwards.
    """

    replays_epoch_logs = True

    def __init__(self):
        super().__init__()
        self.history: dict[str, list[float]] = HistoryDict()
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self
