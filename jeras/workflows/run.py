"""Running one workflow into its run folder: settings, the recording context, and the run itself.

A run folder holds `metrics.json` (everything the report shows), `history.csv`, the figures,
the saved model, TensorBoard logs under `logs/`, `summary.txt` and `report.html`. The report is
a function of the folder alone, so `jeras report RUN_DIR` can rebuild it.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import io
import json
import os
import pathlib
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from jeras.workflows.data import DataFolder, DataSource, resolve_data_folder
from jeras.workflows.errors import WorkflowError, WorkflowUnavailableError
from jeras.workflows.progress import EpochProgress, RunDisplay

METRICS_FILE = "metrics.json"


@dataclasses.dataclass(frozen=True)
class RunSettings:
    """The options of `jeras run`.

    Attributes:
        out: the folder under which each run gets its own folder. Default "runs".
        data_dir: the data folder (`--data-dir`). Default None: see `jeras.workflows.data`.
        epochs: the most epochs to train. Default None: each workflow's own default.
        seed: the random seed (weights, shuffling, data splits). Default 42.
        max_rows: use at most this many examples of each split, for quick trials. Default None: all.
        download: let the loaders download missing data sets. Default False.
    """

    out: pathlib.Path = pathlib.Path("runs")
    data_dir: pathlib.Path | None = None
    epochs: int | None = None
    seed: int = 42
    max_rows: int | None = None
    download: bool = False

    def __post_init__(self) -> None:
        for name in ("epochs", "max_rows"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a positive integer. Received: {name}={value!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer. Received: seed={self.seed!r}")


@dataclasses.dataclass(frozen=True)
class Workflow:
    """One runnable tutorial workflow.

    Attributes:
        name: its command-line name, e.g. `"wide-deep"`.
        title: the report's heading.
        description: one sentence of what it trains, on what.
        default_epochs: the epochs when `--epochs` is not given.
        dataset: the data set it reads (a folder name under the data folder).
        body: the function that loads the data, trains, evaluates and records through the context.
        unavailable: returns why the workflow cannot run in this installation, or None when it can.
    """

    name: str
    title: str
    description: str
    default_epochs: int
    dataset: str
    body: Callable[[RunContext], None]
    unavailable: Callable[[], str | None] = lambda: None


class RunContext:
    """What a workflow body records into its run folder, and the shared steps of every run.

    Args:
        workflow: the workflow being run.
        settings: the run's settings.
        folder: its run folder (created).
        display: the live display.
    """

    def __init__(self, workflow: Workflow, settings: RunSettings, folder: pathlib.Path, display: RunDisplay):
        self.workflow = workflow
        self.settings = settings
        self.folder = folder
        self.display = display
        self.data_folder: DataFolder = resolve_data_folder(settings.data_dir)
        self.epochs = settings.epochs or workflow.default_epochs
        self.record: dict[str, Any] = {
            "workflow": workflow.name,
            "title": workflow.title,
            "description": workflow.description,
            "created": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "settings": {
                "epochs": self.epochs,
                "seed": settings.seed,
                "max_rows": settings.max_rows,
                "data_folder": str(self.data_folder.path),
                "data_folder_reason": self.data_folder.reason,
            },
            "figures": [],
            "test": {},
            "timing": {},
        }

    def path(self, name: str) -> pathlib.Path:
        """The path of a file in the run folder."""
        return self.folder / name

    def stage(self, text: str) -> None:
        """Tells the display what the run is doing."""
        self.display.stage(self.workflow.name, text)

    def record_data(self, source: DataSource) -> None:
        """Stores where the data came from and how much of it is used."""
        self.record["data"] = source.to_json()

    def fit(self, model, x, y, *, validation_data, callbacks: list | tuple = (), batch_size: int = 32):
        """Trains with TensorBoard logs and the live display, then records the history, its curves and the timing.

        Args:
            model: a compiled model.
            x: the training inputs.
            y: the training targets.
            validation_data: `(x_valid, y_valid)`.
            callbacks: the workflow's own callbacks, run before the recording ones. Default ().
            batch_size: the batch size. Default 32.

        Returns:
            The `History`.
        """
        from jeras import keras
        from jeras.plotting import plot_learning_curves

        self.record_model(model)
        board = keras.callbacks.TensorBoard(log_dir=str(self.path("logs")))
        progress = EpochProgress(self.display, self.workflow.name, self.epochs)
        start = time.perf_counter()
        history = model.fit(
            x,
            y,
            epochs=self.epochs,
            batch_size=batch_size,
            validation_data=validation_data,
            callbacks=[*callbacks, board, progress],
            verbose=0,
        )
        stats = dict(getattr(model, "compile_stats", {}) or {})
        self.record["timing"].update(
            {
                "fit_seconds": time.perf_counter() - start,
                "compile_seconds": float(stats.get("compile_seconds", float("nan"))),
                "compiles": int(stats.get("compiles", 0)),
            }
        )
        self.record_history(history.history)
        self.figure(
            "learning_curves.png",
            plot_learning_curves(history, title=f"{self.workflow.title}: learning curves"),
            "Every history key per epoch; a metric and its validation counterpart share a colour (validation dashed).",
        )
        return history

    def record_model(self, model) -> None:
        """Writes `summary.txt` and stores the model's name and parameter count."""
        lines: list[str] = []
        model.summary(print_fn=lines.append)
        _write_text(self.path("summary.txt"), "\n".join(lines) + "\n")
        self.record["model"] = {"name": model.name, "params": int(model.count_params()), "summary": "summary.txt"}

    def record_history(self, history: dict[str, list[float]]) -> None:
        """Writes `history.csv` (one row per epoch) and stores the history and its last epoch."""
        keys = list(history)
        rows = max((len(v) for v in history.values()), default=0)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["epoch", *keys])
        for i in range(rows):
            writer.writerow([i + 1, *(_number(history[k][i]) if i < len(history[k]) else "" for k in keys)])
        _write_text(self.path("history.csv"), buffer.getvalue())
        self.record["history"] = {k: [_number(v) for v in values] for k, values in history.items()}
        self.record["epochs_run"] = rows
        self.record["final_epoch"] = {k: _number(values[-1]) for k, values in history.items() if values}

    def evaluate(self, model, x, y) -> dict[str, float]:
        """Evaluates on the test split and stores the numbers as the run's test metrics."""
        self.stage("evaluating on the test split")
        values = model.evaluate(x, y, verbose=0, return_dict=True)
        self.record["test"].update({k: _number(v) for k, v in values.items()})
        return values

    def add_test_metrics(self, **values: float) -> None:
        """Stores more test metrics computed by the workflow (RMSE, R²...)."""
        self.record["test"].update({k: _number(v) for k, v in values.items()})

    def figure(self, name: str, fig, caption: str) -> None:
        """Writes a figure into the run folder as `name` and lists it, with its caption, for the report."""
        from jeras.plotting import save_figure

        save_figure(fig, self.path(name))
        self.record["figures"].append({"file": name, "caption": caption})

    def save_model(self, model, name: str = "model.keras") -> None:
        """Saves the trained model (architecture, weights, optimizer state) into the run folder."""
        self.stage(f"saving the model as {name}")
        model.save(str(self.path(name)))
        self.record["model"]["saved_as"] = name

    def note(self, key: str, value: Any) -> None:
        """Stores any other JSON-ready result of the workflow under `key`."""
        self.record[key] = value

    def finish(self, wall_seconds: float) -> None:
        """Stores the timing and environment, and writes `metrics.json` and `report.html`."""
        from jeras.report import build_report
        from jeras.workflows.environment import describe

        self.record["timing"]["wall_seconds"] = wall_seconds
        self.record["environment"] = describe()
        self.record["files"] = sorted(
            str(p.relative_to(self.folder)) for p in self.folder.rglob("*") if p.is_file() and p.name != METRICS_FILE
        )
        _write_text(self.path(METRICS_FILE), json.dumps(self.record, indent=2, allow_nan=True) + "\n")
        self.stage("writing report.html")
        build_report(self.folder)


def _number(value: Any) -> float | int:
    value = np.asarray(value).item()
    return value if isinstance(value, int) else float(value)


def _write_text(path: pathlib.Path, text: str) -> None:
    """Writes a text file atomically (temp file + rename)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def check_output_folder(out: str | os.PathLike) -> pathlib.Path:
    """Makes sure runs can be written under `out`, creating it; raises `WorkflowError` naming it otherwise."""
    folder = pathlib.Path(os.path.expanduser(os.fspath(out)))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".jeras-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise WorkflowError(
            f"The output folder cannot be written: {err.strerror or err}. Pick a writable folder with --out. "
            f"Received: out={os.fspath(out)!r}"
        ) from None
    return folder


def new_run_folder(out: pathlib.Path, workflow: str) -> pathlib.Path:
    """Creates `<out>/<workflow>-<date>-<time>` (with a counter when that exists already)."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        folder = out / (f"{workflow}-{stamp}" + (f"-{n}" if n else ""))
        try:
            folder.mkdir(parents=True)
            return folder
        except FileExistsError:
            continue
    raise WorkflowError(f"Too many runs of {workflow} in {out} within one second.")


def run_workflow(workflow: Workflow, settings: RunSettings, display: RunDisplay) -> pathlib.Path:
    """Runs one workflow into a new run folder under `settings.out`.

    Args:
        workflow: the workflow.
        settings: the run's settings.
        display: the live display.

    Returns:
        The run folder.

    Raises:
        WorkflowError: the workflow cannot run here, the data are missing, or the output folder
            cannot be written; the message says what to do.
    """
    reason = workflow.unavailable()
    if reason:
        raise WorkflowUnavailableError(reason)
    out = check_output_folder(settings.out)
    start = time.perf_counter()
    folder = new_run_folder(out, workflow.name)
    context = RunContext(workflow, settings, folder, display)
    display.start(workflow.name, context.epochs)
    context.stage("loading data")
    workflow.body(context)
    context.finish(time.perf_counter() - start)
    display.done(workflow.name, f"done in {time.perf_counter() - start:.1f}s: {folder}")
    return folder
