"""`EarlyStopping`: stop training when a monitored metric has stopped improving."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jeras.callbacks.callback import Callback
from jeras.callbacks.device import DeviceRule, FitControl
from jeras.callbacks.monitor import (
    check_mode,
    higher_is_better,
    improved_on_device,
    improvement_test,
    monitored_value,
)


class EarlyStopping(Callback):
    """Stops training when `monitor` has not improved for `patience` epochs.

    An epoch improves on the best value so far when it beats it by more than `min_delta`.
    Each epoch without an improvement adds one to a wait counter; when the counter reaches
    `patience` (and at least one epoch has passed) training stops after the epoch. With a
    `baseline`, the counter is reset only by improvements that also beat the baseline, so
    training stops after `patience` epochs that do not reach it.

    With `restore_best_weights=True`, the model's weights are set to those of the best epoch
    whenever training ends: at an early stop (before the remaining callbacks of that epoch run,
    as in tf.keras) and also when `fit` runs all its epochs without stopping early (tf.keras
    2.x restores only on an early stop). Epochs before `start_from_epoch` or without the
    monitored metric do not count.

    It runs inside the compiled whole fit (see `Callback`): its device rule is the same
    decision procedure as `on_epoch_end`, with the best weights kept on the device.

    Args:
        monitor: the log to watch. Default "val_loss".
        min_delta: the smallest change that counts as an improvement (its sign is ignored). Default 0.
        patience: epochs without improvement after which training stops. Default 0.
        verbose: 1 prints a line when training stops and when weights are restored. Default 0.
        mode: "min", "max", or "auto" (the direction follows the name: accuracy, AUC,
            precision and recall are maximized, everything else minimized). Default "auto".
        baseline: a value the metric must beat; None for no baseline. Default None.
        restore_best_weights: restore the weights of the best epoch when training ends. Default False.
        start_from_epoch: epochs to wait before watching the metric (a warm-up). Default 0.

    Attributes:
        stopped_epoch: the epoch (0-based) after which training stopped, 0 when it did not.
        best: the best value seen; best_epoch: its epoch; wait: the current wait counter.

    Example:

        >>> stop = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
        >>> model.fit(x, y, validation_split=0.2, epochs=100, callbacks=[stop])  # doctest: +SKIP
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ):
        super().__init__()
        if not isinstance(monitor, str):
            raise TypeError(f"monitor must be the name of a log. Received: monitor={monitor!r}")
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"patience must be a non-negative integer. Received: patience={patience!r}")
        if isinstance(start_from_epoch, bool) or not isinstance(start_from_epoch, int) or start_from_epoch < 0:
            raise ValueError(
                f"start_from_epoch must be a non-negative integer. Received: start_from_epoch={start_from_epoch!r}"
            )
        self.monitor = monitor
        self.min_delta = abs(float(min_delta))
        self.patience = patience
        self.verbose = verbose
        self.mode = check_mode(mode)
        self.baseline = baseline
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = start_from_epoch
        self._improved = improvement_test(monitor, self.mode, self.min_delta)
        self._reset()

    def _reset(self) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best = float("-inf") if higher_is_better(self.monitor, self.mode) else float("inf")
        self.best_epoch = 0
        self.best_weights = None
        self._restored = False

    def on_train_begin(self, logs=None) -> None:
        self._reset()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if epoch < self.start_from_epoch:
            return
        current = monitored_value(logs, self.monitor, "Early stopping")
        if current is None:
            return
        self.wait += 1
        if self._improved(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._improved(current, self.baseline):
                self.wait = 0
            return
        if self.restore_best_weights and self.best_weights is None:
            # Nothing has improved yet (a NaN first value): the first watched epoch stands in as the best.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            self._restore()

    def _restore(self) -> None:
        if not self.restore_best_weights or self.best_weights is None or self._restored:
            return
        if self.verbose > 0:
            print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
        self.model.set_weights(self.best_weights)
        self._restored = True

    def on_train_end(self, logs=None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        self._restore()

    def get_config(self) -> dict[str, Any]:
        return {
            "monitor": self.monitor,
            "min_delta": self.min_delta,
            "patience": self.patience,
            "verbose": self.verbose,
            "mode": self.mode,
            "baseline": self.baseline,
            "restore_best_weights": self.restore_best_weights,
            "start_from_epoch": self.start_from_epoch,
        }

    # ------------------------------------------------------------------ on the device
    def device_rule(self, context) -> DeviceRule | None:
        if self.monitor not in context.log_names:
            return None  # the host path warns at every epoch, as tf.keras does
        higher = higher_is_better(self.monitor, self.mode)
        static = _Static(self.monitor, higher, self.restore_best_weights, self.baseline is not None)
        params = _Params(
            min_delta=np.float32(self.min_delta),
            patience=np.int32(self.patience),
            baseline=np.float32(0.0 if self.baseline is None else self.baseline),
            start_from_epoch=np.int32(self.start_from_epoch),
        )
        weights = (context.trainable, context.non_trainable) if self.restore_best_weights else ()
        state = _State(
            wait=np.int32(0),
            best=np.float32(-np.inf if higher else np.inf),
            best_epoch=np.int32(0),
            stopped_epoch=np.int32(0),
            best_weights=weights,
            has_best=np.bool_(False),
            restored=np.bool_(False),
        )
        return DeviceRule(
            static=static,
            epoch_end=_epoch_end,
            params=params,
            state=state,
            train_end=_train_end,
            finish=lambda final, control: self._finish(final, context),
        )

    def _finish(self, final: _State, context) -> None:
        """Sets the attributes as the host hooks would have, after a compiled fit."""
        self.wait = int(final.wait)
        self.best = float(final.best)
        self.best_epoch = int(final.best_epoch)
        self.stopped_epoch = int(final.stopped_epoch)
        if self.restore_best_weights and bool(final.has_best):
            self.best_weights = context.weights_list(*final.best_weights)
        self._restored = bool(final.restored) or (self.restore_best_weights and bool(final.has_best))
        if self.verbose > 0 and self._restored:
            print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")


class _Static(NamedTuple):
    monitor: str
    higher: bool
    restore: bool
    has_baseline: bool


class _Params(NamedTuple):
    min_delta: Any
    patience: Any
    baseline: Any
    start_from_epoch: Any


class _State(NamedTuple):
    wait: Any
    best: Any
    best_epoch: Any
    stopped_epoch: Any
    best_weights: Any
    has_best: Any
    restored: Any


def _pick(flag, new, old):
    return jax.tree_util.tree_map(lambda a, b: jnp.where(flag, a, b), new, old)


def _epoch_end(static: _Static, params: _Params, state: _State, epoch, logs, control: FitControl):
    """`EarlyStopping.on_epoch_end` as a pure function of the state, deciding in the same order."""
    current = logs[static.monitor]
    active = epoch >= params.start_from_epoch
    improved = improved_on_device(current, state.best, higher=static.higher, delta=params.min_delta)
    reset = improved
    if static.has_baseline:
        reset = improved & improved_on_device(current, params.baseline, higher=static.higher, delta=params.min_delta)
    wait = jnp.where(reset, 0, state.wait + 1)
    best = jnp.where(improved, current, state.best)
    best_epoch = jnp.where(improved, epoch, state.best_epoch)
    has_best, best_weights = state.has_best, state.best_weights
    current_weights = (control.trainable, control.non_trainable)
    if static.restore:
        # Nothing has improved yet (a NaN first value): the first watched epoch stands in as the best.
        stand_in = ~improved & ~state.has_best
        take = improved | stand_in
        best_weights = _pick(take, current_weights, best_weights)
        best_epoch = jnp.where(stand_in, epoch, best_epoch)
        has_best = state.has_best | take
    stop = ~improved & (wait >= params.patience) & (epoch > 0)
    restored = state.restored
    weights = current_weights
    if static.restore:
        restore_now = stop & has_best & ~restored
        weights = _pick(restore_now, best_weights, current_weights)
        restored = restored | restore_now
    new = _State(wait, best, best_epoch, jnp.where(stop, epoch, state.stopped_epoch), best_weights, has_best, restored)
    new = _pick(active, new, state)
    trainable, non_trainable = _pick(active, weights, current_weights)
    control = control._replace(stop=control.stop | (active & stop), trainable=trainable, non_trainable=non_trainable)
    return new, logs, control


def _train_end(static: _Static, params: _Params, state: _State, control: FitControl) -> FitControl:
    """`EarlyStopping.on_train_end`: the best weights are restored when training ends, early or not."""
    if not static.restore:
        return control
    restore = state.has_best & ~state.restored
    trainable, non_trainable = _pick(restore, state.best_weights, (control.trainable, control.non_trainable))
    return control._replace(trainable=trainable, non_trainable=non_trainable)
