"""Warnings from saving and loading, attributed to the user's line rather than to jeras internals."""

from __future__ import annotations

import sys
import warnings


def warn(message: str) -> None:
    """Issues a UserWarning pointing at the first caller outside the `jeras` package."""
    frame = sys._getframe(1)
    level = 2
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] == "jeras":
        frame = frame.f_back
        level += 1
    warnings.warn(message, UserWarning, stacklevel=level)
