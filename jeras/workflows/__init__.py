"""The tutorial workflows behind `jeras run`: each trains a tutorial model and writes a run folder with a report.

Example:

>>> from jeras.workflows import RunSettings, RunDisplay, WORKFLOWS, run_workflow  # doctest: +SKIP
>>> with RunDisplay() as display:  # doctest: +SKIP
...     folder = run_workflow(WORKFLOWS["regression"], RunSettings(epochs=2), display)
"""

from jeras.workflows.data import DataFolder, DataSource, present_datasets, resolve_data_folder
from jeras.workflows.errors import DataMissingError, WorkflowError, WorkflowUnavailableError
from jeras.workflows.progress import RunDisplay
from jeras.workflows.registry import WORKFLOWS, get
from jeras.workflows.run import METRICS_FILE, RunContext, RunSettings, Workflow, check_output_folder, run_workflow

__all__ = [
    "METRICS_FILE",
    "WORKFLOWS",
    "DataFolder",
    "DataMissingError",
    "DataSource",
    "RunContext",
    "RunDisplay",
    "RunSettings",
    "Workflow",
    "WorkflowError",
    "WorkflowUnavailableError",
    "check_output_folder",
    "get",
    "present_datasets",
    "resolve_data_folder",
    "run_workflow",
]
