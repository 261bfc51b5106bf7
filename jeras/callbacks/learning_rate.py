"""Learning-rate callbacks: `LearningRateScheduler` (a function of the epoch) and
`ReduceLROnPlateau` (divide the rate when a metric stops improving).

Both set `model.optimizer.learning_rate` on the host; the engine writes it into the optimizer
state at the start of the next epoch, so a new rate never recompiles anything. Both add the
rate of the finished epoch to the epoch logs as `lr`, as tf.keras 2.x does.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from numbers import Real
from typing import Any, NamedTuple

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


def _takes_two_arguments(schedule: Callable) -> bool:
    try:
        params = inspect.signature(schedule).parameters.values()
    except (TypeError, ValueError):  # Some builtins have no signature: give them both.
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)


def _as_rate(value: Any) -> float:
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
        raise ValueError(f"The schedule must return a finite float learning rate. Received: learning_rate={value!r}")
    return float(value)


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of each epoch from `schedule`.

    Args:
        schedule: a function `schedule(epoch)` or `schedule(epoch, lr)` (epoch 0-based, `lr` the
            current rate) that returns the new rate as a float.
        verbose: 1 prints the rate set at each epoch. Default 0.

    Example:

        >>> def schedule(epoch, lr):
        ...     return lr if epoch < 10 else lr * 0.9
        >>> model.fit(x, y, epochs=20, callbacks=[LearningRateScheduler(schedule)])  # doctest: +SKIP
    """

    def __init__(self, schedule: Callable[..., float], verbose: int = 0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"schedule must be a function of the epoch. Received: schedule={schedule!r}")
        self.schedule = schedule
        self.verbose = verbose
        self._two_arguments = _takes_two_arguments(schedule)

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        optimizer = self.model.optimizer
        if self._two_arguments:
            rate = _as_rate(self.schedule(epoch, float(optimizer.learning_rate)))
        else:
            rate = _as_rate(self.schedule(epoch))
        optimizer.learning_rate = rate
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1:05d}: LearningRateScheduler setting learning rate to {rate}.")

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if logs is not None:
            logs["lr"] = float(self.model.optimizer.learning_rate)

    def get_config(self) -> dict[str, Any]:
        return {"schedule": self.schedule, "verbose": self.verbose}


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by `factor` when `monitor` stops improving.

    After `patience` epochs without an improvement larger than `min_delta` the rate becomes
    `max(lr * factor, min_lr)`, then `cooldown` epochs pass before waiting starts again. The
    rate is computed and logged in float32, the precision of the optimizer state (tf.keras logs
    its float32 variable too), so the compiled whole fit, where this callback also runs,
    reaches the same rates.

    Args:
        monitor: the log to watch. Default "val_loss".
        factor: the multiplier of the rate, in [0, 1). Default 0.1.
        patience: epochs without improvement before the rate is reduced. Default 10.
        verbose: 1 prints a line at each reduction. Default 0.
        mode: "min", "max", or "auto" (accuracy-like names are maximized). Default "auto".
        min_delta: the smallest change that counts as an improvement. Default 1e-4.
        cooldown: epochs to wait after a reduction before counting again. Default 0.
        min_lr: the lower bound of the rate. Default 0.
        **kwargs: `epsilon`, the tf.keras 1 name of `min_delta`.

    Example:

        >>> reduce = ReduceLROnPlateau(monitor="val_loss", factor=0.2, patience=5, min_lr=1e-3)
        >>> model.fit(x, y, validation_split=0.2, callbacks=[reduce])  # doctest: +SKIP
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0,
        **kwargs: Any,
    ):
        super().__init__()
        if "epsilon" in kwargs:
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise TypeError(
                f"Unknown keyword argument(s) for ReduceLROnPlateau: {sorted(kwargs)}. Received: {kwargs!r}"
            )
        if not isinstance(monitor, str):
            raise TypeError(f"monitor must be the name of a log. Received: monitor={monitor!r}")
        if not 0 <= factor < 1:
            raise ValueError(
                f"factor must be in [0, 1): ReduceLROnPlateau only lowers the rate. Received: factor={factor!r}"
            )
        for name, value in (("patience", patience), ("cooldown", cooldown)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer. Received: {name}={value!r}")
        if min_lr < 0:
            raise ValueError(f"min_lr must be >= 0. Received: min_lr={min_lr!r}")
        self.monitor = monitor
        self.factor = float(factor)
        self.patience = patience
        self.verbose = verbose
        self.mode = check_mode(mode)
        self.min_delta = float(min_delta)
        self.cooldown = cooldown
        self.min_lr = float(min_lr)
        self._improved = improvement_test(monitor, self.mode, self.min_delta)
        self._reset()

    def _reset(self) -> None:
        self.best = float("-inf") if higher_is_better(self.monitor, self.mode) else float("inf")
        self.wait = 0
        self.cooldown_counter = 0

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None) -> None:
        self._reset()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        optimizer = self.model.optimizer
        rate = np.float32(optimizer.learning_rate)
        if logs is not None:
            logs["lr"] = float(rate)
        current = monitored_value(logs, self.monitor, "ReduceLROnPlateau")
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improved(current, self.best):
            self.best = current
            self.wait = 0
            return
        if self.in_cooldown():
            return
        self.wait += 1
        if self.wait < self.patience or not rate > np.float32(self.min_lr):
            return
        new_rate = float(max(rate * np.float32(self.factor), np.float32(self.min_lr)))
        optimizer.learning_rate = new_rate
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1:05d}: ReduceLROnPlateau reducing learning rate to {new_rate}.")
        self.cooldown_counter = self.cooldown
        self.wait = 0

    def device_rule(self, context) -> DeviceRule | None:
        if self.monitor not in context.log_names or context.schedule:
            return None  # the host path warns (a missing metric) or raises (a schedule's rate cannot be set)
        higher = higher_is_better(self.monitor, self.mode)
        params = _PlateauParams(
            factor=np.float32(self.factor),
            min_delta=np.float32(self.min_delta),
            patience=np.int32(self.patience),
            cooldown=np.int32(self.cooldown),
            min_lr=np.float32(self.min_lr),
        )
        state = _PlateauState(best=np.float32(-np.inf if higher else np.inf), wait=np.int32(0), cooldown=np.int32(0))
        return DeviceRule(
            static=(self.monitor, higher),
            epoch_end=_plateau_epoch_end,
            params=params,
            state=state,
            finish=self._finish,
            adds_logs=("lr",),
        )

    def _finish(self, final: _PlateauState, control: FitControl) -> None:
        self.best = float(final.best)
        self.wait = int(final.wait)
        self.cooldown_counter = int(final.cooldown)

    def get_config(self) -> dict[str, Any]:
        return {
            "monitor": self.monitor,
            "factor": self.factor,
            "patience": self.patience,
            "verbose": self.verbose,
            "mode": self.mode,
            "min_delta": self.min_delta,
            "cooldown": self.cooldown,
            "min_lr": self.min_lr,
        }


class _PlateauParams(NamedTuple):
    factor: Any
    min_delta: Any
    patience: Any
    cooldown: Any
    min_lr: Any


class _PlateauState(NamedTuple):
    best: Any
    wait: Any
    cooldown: Any


def _plateau_epoch_end(static, params: _PlateauParams, state: _PlateauState, epoch, logs, control: FitControl):
    """`ReduceLROnPlateau.on_epoch_end` as a pure function, deciding in the same order."""
    monitor, higher = static
    rate = control.learning_rate
    logs = {**logs, "lr": rate}
    current = logs[monitor]
    was_cooling = state.cooldown > 0
    cooldown = jnp.where(was_cooling, state.cooldown - 1, state.cooldown)
    wait = jnp.where(was_cooling, 0, state.wait)
    improved = improved_on_device(current, state.best, higher=higher, delta=params.min_delta)
    best = jnp.where(improved, current, state.best)
    counting = ~improved & ~(cooldown > 0)
    wait = jnp.where(improved, 0, jnp.where(counting, wait + 1, wait))
    reduce = counting & (wait >= params.patience) & (rate > params.min_lr)
    new_rate = jnp.where(reduce, jnp.maximum(rate * params.factor, params.min_lr), rate)
    cooldown = jnp.where(reduce, params.cooldown, cooldown)
    wait = jnp.where(reduce, 0, wait)
    return _PlateauState(best, wait, cooldown), logs, control._replace(learning_rate=new_rate)
