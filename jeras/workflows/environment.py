"""What a run ran on: library versions and JAX devices, for reports and `jeras info`."""

from __future__ import annotations

import importlib.metadata
import platform
from typing import Any

_LIBRARIES = ("jax", "jaxlib", "optax", "numpy", "matplotlib", "h5py", "rich", "tensorboardX")


def versions() -> dict[str, str]:
    """The versions of Python, jeras and the libraries it runs on (`"not installed"` where absent)."""
    import jeras

    found = {"python": platform.python_version(), "jeras": jeras.__version__}
    for name in _LIBRARIES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def devices() -> list[str]:
    """The JAX devices, e.g. `["cpu:0 (TFRT_CPU_0)"]`."""
    import jax

    return [f"{d.platform}:{d.id} ({getattr(d, 'device_kind', '') or d})" for d in jax.devices()]


def describe() -> dict[str, Any]:
    """Versions, devices and the machine, as stored in a run's metrics.json."""
    return {
        "versions": versions(),
        "devices": devices(),
        "platform": platform.platform(),
        "processor": platform.machine(),
    }
