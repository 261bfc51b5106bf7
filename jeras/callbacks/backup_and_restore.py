"""`BackupAndRestore`: resume an interrupted `fit` where its last backup left off."""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

import numpy as np

from jeras.callbacks.callback import Callback

_FILE = "backup.npz"
_FORMAT = 1


class BackupAndRestore(Callback):
    """Backs up the training state so that a `fit` killed midway resumes where it stopped.

    Each backup holds the weights, the optimizer state, the host-side learning rate, the
    epoch (and batch) reached and the seed of the `fit` call, from which every epoch's
    shuffling and dropout keys derive. Run the same script again after a crash: `fit` restores
    the backup in `on_train_begin` and continues, and the weights it ends with are the ones
    an uninterrupted run with the same `keras.utils.set_random_seed` would have ended with,
    bit for bit. Each backup replaces the previous one atomically (temporary file, then
    rename), so a kill during a write leaves the previous backup intact.

    With an integer `save_freq`, `fit` ends a compiled chunk after every `save_freq` batches so
    that the backed-up weights are exactly those after that batch, and a restore resumes in
    the middle of the epoch; the metrics logged for that resumed epoch then average only the
    batches run after the restore. The state of other callbacks is not backed up; the
    learning rate is read when this callback's `on_epoch_end` runs, so place it after the
    callbacks that change the rate at the end of an epoch (`ReduceLROnPlateau`).

    Args:
        backup_dir: the directory of the backup (created if missing). Use one per training job.
        save_freq: "epoch" to back up after every epoch, or an integer number of batches. Default "epoch".
        delete_checkpoint: delete the backup when `fit` finishes (normally or by an early stop).
            Default True.

    Example:

        >>> backup = BackupAndRestore(backup_dir="/tmp/backup")
        >>> model.fit(x, y, epochs=10, callbacks=[backup])  # doctest: +SKIP
    """

    def __init__(self, backup_dir: str | os.PathLike, save_freq: str | int = "epoch", delete_checkpoint: bool = True):
        super().__init__()
        if not backup_dir or not isinstance(backup_dir, (str, os.PathLike)):
            raise ValueError(f"backup_dir must be a non-empty directory path. Received: backup_dir={backup_dir!r}")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1):
            raise ValueError(f"save_freq must be 'epoch' or a positive integer. Received: save_freq={save_freq!r}")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = bool(delete_checkpoint)
        if isinstance(save_freq, int):
            self.sync_every_steps = save_freq
            self.on_train_batch_end = self._on_train_batch_end
        self._epoch = 0
        self._batches = 0

    @property
    def backup_path(self) -> str:
        """The backup file: `<backup_dir>/backup.npz`."""
        return os.path.join(self.backup_dir, _FILE)

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None) -> None:
        self._epoch = 0
        self._batches = 0
        if os.path.exists(self.backup_path):
            self._restore()
        self._epoch_start_rate = self._rate()

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._epoch = epoch

    def _on_train_batch_end(self, batch: int, logs=None) -> None:
        self._batches += 1
        if self._batches % self.save_freq == 0:
            if batch + 1 >= self.params.get("steps", 0):
                self._save(self._epoch + 1, 0, self._rate())
            else:
                # A resumed epoch runs its on_epoch_begin hooks again (a LearningRateScheduler
                # computing from the current rate): they must start from the rate they saw.
                self._save(self._epoch, batch + 1, self._epoch_start_rate)

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        self._epoch_start_rate = self._rate()
        if self.save_freq == "epoch":
            self._save(epoch + 1, 0, self._epoch_start_rate)

    def on_train_end(self, logs=None) -> None:
        if not self.delete_checkpoint:
            return
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.backup_path)
        with contextlib.suppress(OSError):
            os.rmdir(self.backup_dir)  # Only when nothing else is in it.

    # ------------------------------------------------------------------ files
    def _rate(self) -> float | None:
        """The host-side learning rate when it is a number (a schedule or a function recomputes itself)."""
        optimizer = self.model.optimizer
        return None if callable(optimizer._learning_rate) else float(optimizer.learning_rate)

    def _save(self, epoch: int, step: int, rate: float | None) -> None:
        from jeras.saving.atomic import atomic_path

        model = self.model
        optimizer = model.optimizer
        meta = {
            "format": _FORMAT,
            "epoch": epoch,
            "step": step,
            "steps_per_epoch": self.params.get("steps"),
            "fit_seed": int(self.run.seed),
            "learning_rate": rate,
        }
        arrays = {f"weight_{i}": w for i, w in enumerate(model.get_weights())}
        arrays.update({f"optimizer_{i}": w for i, w in enumerate(optimizer.get_weights())})
        with atomic_path(self.backup_path) as temporary, open(temporary, "wb") as handle:
            np.savez(handle, meta=np.array(json.dumps(meta)), **arrays)

    def _restore(self) -> None:
        model = self.model
        with np.load(self.backup_path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            weights = [data[f"weight_{i}"] for i in range(sum(k.startswith("weight_") for k in data.files))]
            slots = [data[f"optimizer_{i}"] for i in range(sum(k.startswith("optimizer_") for k in data.files))]
        try:
            model.set_weights(weights)
            model.optimizer.set_weights(slots)
        except ValueError as err:
            raise ValueError(
                f"The backup in {self.backup_dir!r} does not match this model and optimizer: {err} "
                f"Use a new backup_dir for a different model. Received: backup_dir={self.backup_dir!r}"
            ) from err
        steps = self.params.get("steps")
        if meta["step"] and meta["steps_per_epoch"] != steps:
            raise ValueError(
                f"The backup in {self.backup_dir!r} was taken in the middle of an epoch of {meta['steps_per_epoch']} "
                f"batches; this fit has {steps} batches per epoch, so it cannot resume there. "
                f"Received: steps per epoch={steps}"
            )
        if meta["learning_rate"] is not None:
            model.optimizer.learning_rate = meta["learning_rate"]
        self.run.resume(epoch=meta["epoch"], step=meta["step"], seed=meta["fit_seed"])
        self._epoch = meta["epoch"]

    def get_config(self) -> dict[str, Any]:
        return {"backup_dir": self.backup_dir, "save_freq": self.save_freq, "delete_checkpoint": self.delete_checkpoint}
