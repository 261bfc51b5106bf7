"""Global numeric settings: default float type and fuzz factor, as `keras.backend` exposes them."""

from __future__ import annotations

import numpy as np

_FLOATX = "float32"
_EPSILON = 1e-7
_ALLOWED_FLOATX = ("float16", "bfloat16", "float32", "float64")


def floatx() -> str:
    """Returns the default float type name, `"float32"` unless changed with `set_floatx`."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Sets the default float type used for new weights and for casting inputs.

    Args:
        value: one of `"float16"`, `"bfloat16"`, `"float32"`, `"float64"`.
    """
    global _FLOATX
    if value not in _ALLOWED_FLOATX:
        raise ValueError(f"Unknown floatx type: expected one of {_ALLOWED_FLOATX}. Received: value={value!r}")
    _FLOATX = str(value)


def epsilon() -> float:
    """Returns the fuzz factor used to avoid division by zero and log(0), `1e-7` by default."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    """Sets the fuzz factor returned by `epsilon()`."""
    global _EPSILON
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"epsilon must be a positive finite number. Received: value={value!r}")
    _EPSILON = float(value)


def image_data_format() -> str:
    """Returns `"channels_last"`, the only image layout jeras uses."""
    return "channels_last"


def standardize_dtype(dtype) -> str:
    """Returns a dtype's canonical name (`None` means `floatx()`)."""
    if dtype is None:
        return _FLOATX
    if hasattr(dtype, "name") and not isinstance(dtype, str):
        return str(dtype.name)
    try:
        return np.dtype(dtype).name
    except TypeError as err:
        if str(dtype) == "bfloat16":
            return "bfloat16"
        raise TypeError(f"Unknown dtype. Received: dtype={dtype!r}") from err


def donate_buffers() -> bool:
    """Whether training programs donate their state buffers on the CPU too (`JERAS_DONATE=1`).

    Accelerators always donate (the state is updated in place). On the CPU it is off by default
    and can be forced on, for example to test that an interrupted `fit` leaves usable weights
    when buffers are donated.
    """
    import os

    return os.environ.get("JERAS_DONATE", "0") == "1"
