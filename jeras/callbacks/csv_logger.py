"""`CSVLogger`: one CSV row of logs per epoch."""

from __future__ import annotations

import csv
import os
import warnings
from typing import Any

import numpy as np

from jeras.callbacks.callback import Callback


def _cell(value: Any) -> Any:
    """A log value as tf.keras writes it: numbers as Python floats, sequences as a quoted list."""
    if isinstance(value, str):
        return value
    if np.ndim(value) == 0:
        return float(value) if isinstance(value, (int, float, np.number)) and not isinstance(value, bool) else value
    return '"[' + ", ".join(str(v) for v in np.ravel(value)) + ']"'


class CSVLogger(Callback):
    """Writes the epoch logs to a CSV file: a header `epoch,<names in sorted order>` and a row per epoch.

    The columns are those of the first epoch; a later epoch without one of them writes "NA"
    there. The file is flushed after every row, so it can be read while training runs.

    Args:
        filename: the CSV file.
        separator: the column separator. Default ",".
        append: add to an existing file (without a second header) instead of overwriting it. Default False.

    Example:

        >>> model.fit(x, y, epochs=5, callbacks=[CSVLogger("training.log")])  # doctest: +SKIP
    """

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False):
        super().__init__()
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"separator must be a single character. Received: separator={separator!r}")
        if not isinstance(filename, (str, os.PathLike)) or not os.fspath(filename):
            raise TypeError(f"filename must be a non-empty file path. Received: filename={filename!r}")
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = bool(append)
        self.keys: list[str] | None = None
        self._file = None
        self._writer = None
        self._warned: set[str] = set()

    def on_train_begin(self, logs=None) -> None:
        self._close()
        self.keys = None
        self._warned = set()
        from jeras.saving.atomic import prepare_directory

        prepare_directory(os.path.abspath(self.filename), argument="filename", received=self.filename)
        try:
            write_header = True
            if self.append and os.path.exists(self.filename):
                with open(self.filename, encoding="utf-8", errors="replace") as f:
                    write_header = not f.readline()
            self._write_header = write_header
            self._file = open(self.filename, "a" if self.append else "w", newline="", encoding="utf-8")
        except OSError as err:
            raise OSError(
                err.errno,
                f"CSVLogger cannot write '{self.filename}': {err.strerror}. Received: filename={self.filename!r}",
            ) from err

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            self._writer = csv.DictWriter(self._file, fieldnames=["epoch", *self.keys], delimiter=self.sep)
            if self._write_header:
                self._writer.writeheader()
        extra = sorted(set(logs) - set(self.keys) - self._warned)
        if extra:
            self._warned.update(extra)
            warnings.warn(
                f"CSVLogger writes the columns of the first epoch ({', '.join(self.keys)}); "
                f"it leaves out {', '.join(extra)}, which appeared later.",
                UserWarning,
                stacklevel=2,
            )
        row = {"epoch": epoch, **{key: _cell(logs[key]) if key in logs else "NA" for key in self.keys}}
        self._writer.writerow(row)
        self._file.flush()

    def on_train_end(self, logs=None) -> None:
        self._close()

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._file = None
        self._writer = None

    def get_config(self) -> dict[str, Any]:
        return {"filename": self.filename, "separator": self.sep, "append": self.append}
