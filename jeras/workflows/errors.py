"""Errors a workflow reports to its user as a message, without a traceback."""


class WorkflowError(Exception):
    """A run cannot go on for a reason the user can fix; the message says how."""


class DataMissingError(WorkflowError):
    """A data set is not in the data folder; the message names the files and where they go."""


class WorkflowUnavailableError(WorkflowError):
    """A workflow needs a part of jeras that this installation does not have."""
