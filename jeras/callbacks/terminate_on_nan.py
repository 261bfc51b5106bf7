"""`TerminateOnNaN`: stop training as soon as the loss is NaN or infinite."""

from __future__ import annotations

import math

from jeras.callbacks.callback import Callback
from jeras.callbacks.device import DeviceRule, FitControl


class TerminateOnNaN(Callback):
    """Stops training when a batch reports a NaN or infinite loss.

    The check runs on every batch's logs. Inside the compiled steps, the batches after the
    first non-finite loss are skipped, so training stops at that batch on both paths of `fit`
    (epoch by epoch, or the whole fit on the device); `fit` still finishes that epoch's
    validation and `on_epoch_end`, as tf.keras does after a stop.

    Example:

        >>> model.fit(x, y, callbacks=[TerminateOnNaN()])  # doctest: +SKIP
    """

    halts_on_nan = True
    replays_batch_logs = True  # it only reads the loss; the compiled steps halt by themselves

    def on_batch_end(self, batch: int, logs=None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)) or self.model.stop_training:
            return
        print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True

    def device_rule(self, context) -> DeviceRule:
        return DeviceRule(static="TerminateOnNaN", epoch_end=_stop_if_halted, finish=self._finish, halts_on_nan=True)

    def _finish(self, state, control: FitControl) -> None:
        if int(control.halted_step) >= 0:
            print(f"Batch {int(control.halted_step)}: Invalid loss, terminating training")


def _stop_if_halted(static, params, state, epoch, logs, control: FitControl):
    return state, logs, control._replace(stop=control.stop | (control.halted_step >= 0))
