"""The Keras-style progress bar, drawn with rich.

verbose=1 draws `1719/1719 [==============================] - 3s 2ms/step - loss: 0.7218 - ...`
with an ETA while the epoch runs; verbose=2 prints one line per epoch. On a terminal the bar
updates in place after each compiled chunk; elsewhere (logs, CI) only the final line is printed.
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import Progress, ProgressColumn, Task
from rich.text import Text

from jeras.callbacks.callback import Callback

_BAR_WIDTH = 30


def format_value(value: Any) -> str:
    """Formats a metric as Keras does: 4 decimals, or scientific notation for tiny values."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    if value != value or abs(value) >= 1e-3 or value == 0:
        return f"{value:.4f}"
    return f"{value:.4e}"


def format_logs(logs: dict[str, Any]) -> str:
    return "".join(f" - {key}: {format_value(value)}" for key, value in logs.items())


def format_duration(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.0f}s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms"
    return f"{seconds * 1e6:.0f}us"


class _KerasColumn(ProgressColumn):
    """Renders `done/total [====>.....] - ETA: 2s - metrics` in one column."""

    def render(self, task: Task) -> Text:
        total = int(task.total or 0)
        done = int(task.completed)
        width = len(str(total))
        text = f"{done:>{width}}/{total} "
        if total:
            filled = int(_BAR_WIDTH * done / total)
            bar = "=" * max(filled - 1, 0) + (">" if done < total else "=") if filled else ""
            text += "[" + bar + "." * (_BAR_WIDTH - len(bar)) + "]"
        elapsed = task.fields.get("elapsed", 0.0)
        if done < total:
            eta = elapsed / done * (total - done) if done else 0.0
            text += f" - ETA: {format_duration(eta)}"
        else:
            per_step = elapsed / max(done, 1)
            text += f" - {format_duration(elapsed)} {format_duration(per_step)}/step"
        return Text(text + task.fields.get("metrics", ""), no_wrap=True, overflow="ellipsis")


class ProgbarLogger(Callback):
    """Prints training progress: a bar per epoch (verbose=1) or one line per epoch (verbose=2).

    Args:
        count_mode: `"steps"` (the only mode, as `fit` counts steps). Default "steps".
        console: an optional `rich.console.Console` to print to (default: standard output).
    """

    chunk_level = True

    def __init__(self, count_mode: str = "steps", *, console: Console | None = None):
        super().__init__()
        if count_mode not in ("steps", "samples"):
            raise ValueError(f"count_mode must be 'steps' or 'samples'. Received: count_mode={count_mode!r}")
        self.console = console or Console(highlight=False)
        if not self.console.is_terminal:
            # In logs and CI nothing redraws: keep each Keras line on one line.
            self.console.width = max(self.console.width, 250)
        self._progress: Progress | None = None
        self._task = None
        self._start = 0.0
        self._steps = 0
        self.verbose = 1

    def set_params(self, params: dict[str, Any]) -> None:
        super().set_params(params)
        self.verbose = params.get("verbose", 1)
        self.epochs = params.get("epochs", 1)

    def _open(self, total: int) -> None:
        self._close()
        self._start = time.perf_counter()
        self._steps = total
        if self.verbose == 1:
            self._progress = Progress(_KerasColumn(), console=self.console, auto_refresh=False)
            self._progress.start()
            self._task = self._progress.add_task("", total=total, metrics="", elapsed=0.0)

    def _update(self, done: int, logs: dict[str, Any]) -> None:
        if self._progress is not None:
            self._progress.update(
                self._task, completed=done, metrics=format_logs(logs), elapsed=time.perf_counter() - self._start
            )
            self._progress.refresh()

    def _finish(self, logs: dict[str, Any]) -> None:
        elapsed = time.perf_counter() - self._start
        if self._progress is not None:
            self._progress.update(self._task, completed=self._steps, metrics=format_logs(logs), elapsed=elapsed)
            self._close()
        elif self.verbose == 2:
            per_step = elapsed / max(self._steps, 1)
            self.console.print(
                f"{self._steps}/{self._steps} - {format_duration(elapsed)}{format_logs(logs)}"
                f" - {format_duration(elapsed)}/epoch - {format_duration(per_step)}/step",
                markup=False,
            )

    def _close(self) -> None:
        if self._progress is not None:
            self._progress.refresh()
            self._progress.stop()
            self._progress = None

    # ------------------------------------------------------------------ hooks
    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        if self.verbose:
            self.console.print(f"Epoch {epoch + 1}/{self.epochs}", markup=False)
            self._open(self.params.get("steps") or 0)

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        self._update(batch + 1, logs or {})

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if self.verbose:
            self._finish(logs or {})

    def on_test_begin(self, logs=None) -> None:
        if self.params.get("standalone") and self.verbose:
            self._open(self.params.get("steps") or 0)

    def on_test_batch_end(self, batch: int, logs=None) -> None:
        if self.params.get("standalone"):
            self._update(batch + 1, logs or {})

    def on_test_end(self, logs=None) -> None:
        if self.params.get("standalone") and self.verbose:
            self._finish(logs or {})

    on_predict_begin = on_test_begin

    def on_predict_batch_end(self, batch: int, logs=None) -> None:
        if self.params.get("standalone"):
            self._update(batch + 1, {})

    def on_predict_end(self, logs=None) -> None:
        if self.params.get("standalone") and self.verbose:
            self._finish({})

    def on_train_end(self, logs=None) -> None:
        self._close()
