"""The workflows `jeras run` knows, by name, in the order `jeras run all` runs them."""

from __future__ import annotations

from jeras.workflows.classification import CLASSIFICATION, DEEP
from jeras.workflows.regression import REGRESSION, WIDE_DEEP
from jeras.workflows.run import Workflow
from jeras.workflows.search import SEARCH

WORKFLOWS: dict[str, Workflow] = {w.name: w for w in (CLASSIFICATION, REGRESSION, DEEP, WIDE_DEEP, SEARCH)}


def get(name: str) -> Workflow:
    """The workflow called `name`.

    Raises:
        ValueError: no workflow has that name; the message lists those that exist.
    """
    if name not in WORKFLOWS:
        raise ValueError(
            f"Unknown workflow {name!r}. Choose one of: {', '.join(WORKFLOWS)}, or all. Received: workflow={name!r}"
        )
    return WORKFLOWS[name]
