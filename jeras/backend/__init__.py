"""Backend: variables, random streams, numeric settings and session state."""

from jeras.backend import (
    compilation,  # noqa: F401  (turns on the persistent compilation cache)
    eager_arrays,
)
from jeras.backend.config import epsilon, floatx, image_data_format, set_epsilon, set_floatx, standardize_dtype
from jeras.backend.naming import reset_names, to_snake_case, unique_name
from jeras.backend.random import (
    draw_key,
    host_rng,
    key_from_seed,
    make_key,
    next_global_key,
    next_inference_key,
    next_seed,
    set_random_seed,
)
from jeras.backend.variables import StatelessScope, Variable, current_scope

eager_arrays.install()


def clear_session() -> None:
    """Resets default layer names (`dense`, `dense_1`, ...) and forgets the cached compiled
    programs, as `keras.backend.clear_session()` does."""
    from jeras.training import programs

    reset_names()
    programs.clear()


__all__ = [
    "StatelessScope",
    "Variable",
    "clear_session",
    "current_scope",
    "draw_key",
    "epsilon",
    "floatx",
    "host_rng",
    "key_from_seed",
    "image_data_format",
    "make_key",
    "next_global_key",
    "next_inference_key",
    "next_seed",
    "reset_names",
    "set_epsilon",
    "set_floatx",
    "set_random_seed",
    "standardize_dtype",
    "to_snake_case",
    "unique_name",
]
