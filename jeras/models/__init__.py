"""Models: `Model` (subclassing and functional API), `Functional` and `Sequential`."""

from jeras.models.cloning import clone_model
from jeras.models.functional import Functional
from jeras.models.model import Model, NotCompiledError
from jeras.models.sequential import Sequential

__all__ = ["Functional", "Model", "NotCompiledError", "Sequential", "clone_model"]
