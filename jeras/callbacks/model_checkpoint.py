"""`ModelCheckpoint`: save the model or its weights during training."""

from __future__ import annotations

import os
import string
from typing import Any

from jeras.callbacks.callback import Callback
from jeras.callbacks.monitor import check_mode, higher_is_better, improvement_test, monitored_value


class ModelCheckpoint(Callback):
    """Saves the model (or only its weights) after every epoch or every `save_freq` batches.

    `filepath` may hold `str.format` fields filled from the epoch (1-based), the batch
    (1-based, for batch-level saves) and the logs: `"weights.{epoch:02d}-{val_loss:.2f}.h5"`.
    Files are written atomically by `jeras.saving`, so a crash never leaves a half-written
    checkpoint. With `save_best_only`, a file is written only when `monitor` improves; with a
    fixed `filepath` it then always holds the best model so far. The best value restarts with
    each `fit` call (`initial_value_threshold` sets where it starts).

    With an integer `save_freq`, `fit` ends a compiled chunk after every `save_freq` batches
    (counted from the start of `fit`, across epochs), so each file holds the weights after
    exactly that batch; a `filepath` there can only use the batch logs (no `val_` names).

    Args:
        filepath: where to save; a template as above. The directory is created if missing.
        monitor: the log compared by `save_best_only`. Default "val_loss".
        verbose: 1 prints a line at each save (or skipped save). Default 0.
        save_best_only: only save when `monitor` improves on the best value so far. Default False.
        save_weights_only: save with `model.save_weights` instead of `model.save`. Default False.
        mode: "min", "max" or "auto" (accuracy-like names are maximized). Default "auto".
        save_freq: "epoch", or an integer number of batches. Default "epoch".
        initial_value_threshold: with `save_best_only`, the value `monitor` must beat for the
            first save. Default None.

    Example:

        >>> checkpoint = ModelCheckpoint("best.h5", monitor="val_accuracy", save_best_only=True)
        >>> model.fit(x, y, validation_split=0.2, epochs=10, callbacks=[checkpoint])  # doctest: +SKIP
    """

    def __init__(
        self,
        filepath: str | os.PathLike,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: str | int = "epoch",
        initial_value_threshold: float | None = None,
    ):
        super().__init__()
        if not isinstance(filepath, (str, os.PathLike)) or not os.fspath(filepath):
            raise ValueError(f"filepath must be a non-empty path or template. Received: filepath={filepath!r}")
        if not isinstance(monitor, str):
            raise TypeError(f"monitor must be the name of a log. Received: monitor={monitor!r}")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1):
            raise ValueError(f"save_freq must be 'epoch' or a positive integer. Received: save_freq={save_freq!r}")
        self.filepath = os.fspath(filepath)
        try:
            fields = [name for _, name, _, _ in string.Formatter().parse(self.filepath) if name is not None]
        except ValueError as err:
            raise ValueError(
                f"filepath is not a valid format template ({err}). Received: filepath={filepath!r}"
            ) from err
        if any(not name or name[0].isdigit() for name in fields):
            raise ValueError(
                "filepath template fields must be named ({epoch}, {batch} or a log such as {val_loss}). "
                f"Received: filepath={self.filepath!r}"
            )
        self._fields = set(fields)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.mode = check_mode(mode)
        self.save_freq = save_freq
        self.initial_value_threshold = initial_value_threshold
        self._improved = improvement_test(monitor, self.mode)
        if isinstance(save_freq, int):
            self.sync_every_steps = save_freq
            self.on_train_batch_end = self._on_train_batch_end
        self._reset()

    def _reset(self) -> None:
        if self.initial_value_threshold is not None:
            self.best = float(self.initial_value_threshold)
        else:
            self.best = float("-inf") if higher_is_better(self.monitor, self.mode) else float("inf")
        self._epoch = 0
        self._batches = 0

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None) -> None:
        self._reset()
        self._check_filepath()

    def _check_filepath(self) -> None:
        """Checks, before any step, that the template names only logs this fit has and that files
        can be written where it points."""
        from jeras.saving.atomic import check_writable

        names = self.params.get("metrics")
        if names is None:
            return
        if self.save_freq != "epoch":
            names = [name for name in names if not name.startswith("val_")]
        values = {**dict.fromkeys(names, 0.0), "lr": 0.0, "learning_rate": 0.0, "epoch": 1}
        if self.save_freq != "epoch":
            values["batch"] = 1
        unknown = sorted(name for name in self._fields if name.split(".")[0].split("[")[0] not in values)
        if unknown and not self.params.get("_logs_complete", True):
            # Another callback of this fit may write those logs (a user callback adding
            # `val_loss`): the save itself says which value is missing, as tf.keras does.
            values.update(dict.fromkeys(unknown, 0.0))
            unknown = []
        if unknown:
            raise ValueError(
                f"ModelCheckpoint's filepath names {', '.join(unknown)}, which this fit will not log "
                f"({'batch' if self.save_freq != 'epoch' else 'epoch'} logs: {', '.join(sorted(values))}). "
                f"Received: filepath={self.filepath!r}"
            )
        try:
            path = self.filepath.format(**values)
        except (ValueError, KeyError, IndexError, AttributeError, TypeError) as err:
            raise ValueError(
                f"ModelCheckpoint cannot fill its filepath template ({type(err).__name__}: {err}). "
                f"Received: filepath={self.filepath!r}"
            ) from err
        check_writable(path)

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._epoch = epoch

    def _on_train_batch_end(self, batch: int, logs=None) -> None:
        self._batches += 1
        if self._batches % self.save_freq == 0:
            self._save(self._epoch, batch, logs or {})

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if self.save_freq == "epoch":
            self._save(epoch, None, logs or {})

    # ------------------------------------------------------------------ saving
    def _path(self, epoch: int, batch: int | None, logs: dict) -> str:
        values = {**logs, "epoch": epoch + 1}
        if batch is not None:
            values["batch"] = batch + 1
        missing = sorted(name for name in self._fields if name.split(".")[0].split("[")[0] not in values)
        if missing:
            raise ValueError(
                f"ModelCheckpoint cannot fill the filepath template: no value for {', '.join(missing)}. "
                f"Available: {', '.join(sorted(values))}. Received: filepath={self.filepath!r}"
            )
        return self.filepath.format(**values)

    def _save(self, epoch: int, batch: int | None, logs: dict) -> None:
        path = self._path(epoch, batch, logs)
        if self.save_best_only:
            current = monitored_value(logs, self.monitor, "ModelCheckpoint(save_best_only=True)")
            if current is None:
                return
            if not self._improved(current, self.best):
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                return
            if self.verbose > 0:
                print(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to {current:.5f}, "
                    f"saving model to {path}"
                )
            self.best = current
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)

    def get_config(self) -> dict[str, Any]:
        return {
            "filepath": self.filepath,
            "monitor": self.monitor,
            "verbose": self.verbose,
            "save_best_only": self.save_best_only,
            "save_weights_only": self.save_weights_only,
            "mode": self.mode,
            "save_freq": self.save_freq,
            "initial_value_threshold": self.initial_value_threshold,
        }
