"""`TerminateOnNaN`: stop training as soon as the loss is NaN or infinite."""

from __future__ import annotations

import math

from jeras.callbacks.callback import Callback


class TerminateOnNaN(Callback):
    """Stops training when a batch reports a NaN or infinite loss.

    The check runs on every batch's logs. Batches run in compiled chunks, so training stops
    at the end of the chunk that holds the bad batch; `fit` still finishes that epoch's
    `on_epoch_end`, as tf.keras does after a stop.

    Example:

        >>> model.fit(x, y, callbacks=[TerminateOnNaN()])  # doctest: +SKIP
    """

    def on_batch_end(self, batch: int, logs=None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)) or self.model.stop_training:
            return
        print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
