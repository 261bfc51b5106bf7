"""`BackupAndRestore`: resume an interrupted `fit` where its last backup left off."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import math
import os
from typing import Any

import numpy as np

from jeras.callbacks.callback import Callback

_FILE = "backup.npz"
# Format 2 adds the member `checksum`: the SHA-256 of the metadata and every array.
_FORMAT = 2


class CorruptBackupError(ValueError):
    """A backup file exists but cannot be restored (damaged, or holding NaN or infinite values)."""


def _digest(meta: str, arrays: dict[str, np.ndarray]) -> str:
    hasher = hashlib.sha256(meta.encode())
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        hasher.update(f"\n{name} {array.dtype.str} {array.shape}\n".encode())
        hasher.update(array.tobytes())
    return hasher.hexdigest()


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class BackupAndRestore(Callback):
    """Backs up the training state so that a `fit` killed midway resumes where it stopped.

    Each backup holds the weights, the optimizer state, the host-side learning rate, the
    epoch (and batch) reached and the seed of the `fit` call, from which every epoch's
    shuffling and dropout keys derive. Run the same script again after a crash: `fit` restores
    the backup in `on_train_begin` and continues, and the weights it ends with are the ones
    an uninterrupted run with the same `keras.utils.set_random_seed` would have ended with,
    bit for bit. Each backup replaces the previous one atomically (temporary file, then
    rename), so a kill during a write leaves the previous backup intact. A backup carries a
    SHA-256 checksum of its content; one that is damaged, or holds NaN or infinite weights, is
    refused with a `CorruptBackupError` before anything is restored. `backup_dir` is checked in
    `on_train_begin`, before any step runs.

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
        if not isinstance(backup_dir, (str, os.PathLike)) or not os.fspath(backup_dir):
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
        self._check_backup_dir()
        if os.path.exists(self.backup_path):
            self._restore()
        self._epoch_start_rate = self._rate()

    def _check_backup_dir(self) -> None:
        """Makes sure backups can be written, before any step runs."""
        from jeras.saving.atomic import prepare_directory

        if os.path.exists(self.backup_dir) and not os.path.isdir(self.backup_dir):
            raise NotADirectoryError(
                errno.ENOTDIR,
                f"BackupAndRestore cannot keep its backup in '{self.backup_dir}': it is a file, not a directory. "
                f"Choose a directory for the backups. Received: backup_dir={self.backup_dir!r}",
            )
        prepare_directory(os.path.abspath(self.backup_path), argument="backup_dir", received=self.backup_dir)

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
        from jeras.saving.atomic import write_bytes

        model = self.model
        optimizer = model.optimizer
        meta = json.dumps(
            {
                "format": _FORMAT,
                "epoch": epoch,
                "step": step,
                "steps_per_epoch": self.params.get("steps"),
                "fit_seed": int(self.run.seed),
                "learning_rate": rate,
            }
        )
        arrays = {f"weight_{i}": np.asarray(w) for i, w in enumerate(model.get_weights())}
        arrays.update({f"optimizer_{i}": np.asarray(w) for i, w in enumerate(optimizer.get_weights())})
        buffer = io.BytesIO()
        np.savez(buffer, meta=np.array(meta), checksum=np.array(_digest(meta, arrays)), **arrays)
        write_bytes(self.backup_path, buffer.getbuffer())

    def _damaged(self, reason: str) -> CorruptBackupError:
        return CorruptBackupError(
            f"The backup '{self.backup_path}' cannot be restored: {reason}. Delete it to train from the first epoch "
            f"(it was not written by an intact BackupAndRestore save). Received: backup_dir={self.backup_dir!r}"
        )

    def _read(self) -> tuple[dict[str, Any], list[np.ndarray], list[np.ndarray]]:
        """The backup's metadata, weights and optimizer slots, all checked (see the class docstring)."""
        from jeras.datasets.npz import read_npz

        path = self.backup_path
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as err:
            raise OSError(err.errno, f"Cannot read the backup '{path}': {err.strerror}") from err
        try:
            arrays = read_npz(io.BytesIO(data), source=path)
        except ValueError as err:
            raise self._damaged(f"it is not a readable backup archive ({err})") from err
        text, digest = arrays.pop("meta", None), arrays.pop("checksum", None)
        if text is None or text.shape != () or text.dtype.kind != "U":
            raise self._damaged("it holds no metadata")
        try:
            meta = json.loads(str(text[()]))
        except (ValueError, RecursionError) as err:
            raise self._damaged(f"its metadata is not valid JSON ({err})") from err
        if not isinstance(meta, dict) or meta.get("format") not in (1, _FORMAT):
            raise self._damaged(f"its metadata is not that of a backup format jeras knows ({str(meta)[:100]})")
        if meta["format"] == _FORMAT:
            if digest is None or digest.shape != () or str(digest[()]) != _digest(str(text[()]), arrays):
                raise self._damaged("its SHA-256 checksum does not match its content")
        rate = meta.get("learning_rate")
        steps = meta.get("steps_per_epoch")
        if not (
            all(_is_count(meta.get(key)) for key in ("epoch", "step"))
            and isinstance(meta.get("fit_seed"), int)
            and (steps is None or _is_count(steps))
            and (rate is None or (isinstance(rate, (int, float)) and math.isfinite(rate)))
        ):
            raise self._damaged(f"its metadata holds impossible values ({str(meta)[:200]})")
        lists = {}
        for kind in ("weight", "optimizer"):
            count = sum(name.startswith(f"{kind}_") for name in arrays)
            if any(f"{kind}_{i}" not in arrays for i in range(count)):
                raise self._damaged(f"its {kind} arrays are not numbered 0..{count - 1}")
            lists[kind] = [arrays[f"{kind}_{i}"] for i in range(count)]
        for kind, values in lists.items():
            for i, value in enumerate(values):
                if value.dtype.kind == "f" and not np.isfinite(value).all():
                    raise self._damaged(
                        f"its array {kind}_{i} holds NaN or infinite values (training had diverged when it was saved)"
                    )
        return meta, lists["weight"], lists["optimizer"]

    def _restore(self) -> None:
        model = self.model
        meta, weights, slots = self._read()
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
