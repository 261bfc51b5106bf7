"""The live display of `jeras run`: one progress bar per workflow, with the latest epoch's numbers.

On a terminal the bars are redrawn in place (rich); elsewhere (a log file, CI) each epoch and
each stage is printed as one line instead, so the output stays readable.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from jeras.callbacks import Callback


class RunDisplay:
    """Shows the stages and epochs of the workflows of one `jeras run`.

    Args:
        console: where to draw. Default None: a console on standard error.
    """

    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=True)
        self._progress = Progress(
            TextColumn("[bold]{task.fields[workflow]:<14}"),
            BarColumn(bar_width=28),
            MofNCompleteColumn(),
            TextColumn("{task.fields[stage]}"),
            TimeElapsedColumn(),
            console=self.console,
            disable=not self.console.is_terminal,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> RunDisplay:
        self._progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._progress.stop()

    def start(self, workflow: str, total: int) -> None:
        """Adds the bar of a workflow that will train for `total` epochs."""
        self._tasks[workflow] = self._progress.add_task("", total=total, workflow=workflow, stage="starting")
        self._line(f"[bold]{workflow}[/bold]: starting ({total} epochs at most)")

    def stage(self, workflow: str, text: str) -> None:
        """Shows what a workflow is doing now (loading data, evaluating, writing the report...)."""
        self._progress.update(self._tasks[workflow], stage=text)
        self._line(f"[bold]{workflow}[/bold]: {text}")

    def epoch(self, workflow: str, epoch: int, total: int, logs: dict[str, float]) -> None:
        """Advances a workflow's bar to `epoch` of `total` and shows the epoch's numbers."""
        numbers = "  ".join(f"{k} {v:.4g}" for k, v in logs.items() if isinstance(v, int | float))
        self._progress.update(self._tasks[workflow], completed=epoch, total=total, stage=numbers)
        self._line(f"[bold]{workflow}[/bold]: epoch {epoch}/{total}  {numbers}")

    def done(self, workflow: str, text: str) -> None:
        """Marks a workflow finished (an early stop fills its bar too)."""
        task = self._progress.tasks[self._tasks[workflow]] if workflow in self._tasks else None
        if task is not None:
            self._progress.update(self._tasks[workflow], completed=task.total, stage=text)
        self.console.print(f"[bold green]{workflow}[/bold green]: {text}")

    def _line(self, text: str) -> None:
        if not self.console.is_terminal:
            self.console.print(text, highlight=False, soft_wrap=True)


class EpochProgress(Callback):
    """A callback that reports each finished epoch to a `RunDisplay`.

    Args:
        display: the display.
        workflow: the workflow's name, which picks its bar.
        epochs: the number of epochs `fit` was asked for.
    """

    def __init__(self, display: RunDisplay, workflow: str, epochs: int):
        super().__init__()
        self.display = display
        self.workflow = workflow
        self.epochs = epochs

    def on_train_begin(self, logs=None) -> None:
        self.display.stage(self.workflow, "training (the first epoch includes compilation)")

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        self.display.epoch(self.workflow, epoch + 1, self.epochs, dict(logs or {}))
