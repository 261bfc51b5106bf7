"""Models: `Model` (subclassing API) and `Sequential`."""

from jeras.models.model import Model, NotCompiledError
from jeras.models.sequential import Sequential

__all__ = ["Model", "NotCompiledError", "Sequential"]
