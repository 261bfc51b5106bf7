"""`tf.config.experimental`: the device listing under its TensorFlow 2.0 name, and memory growth.

See docs/architecture.md, "The tf namespace".
"""

from __future__ import annotations

import warnings

from jeras.tf._unsupported import unsupported_getattr
from jeras.tf.config._devices import PhysicalDevice, list_logical_devices, list_physical_devices


def set_memory_growth(device: PhysicalDevice, enable: bool) -> None:
    """Has no effect, and warns: JAX reserves accelerator memory when it starts.

    To allocate on demand instead (TensorFlow's memory growth), set the environment variable
    `XLA_PYTHON_CLIENT_PREALLOCATE=false` before JAX starts; `XLA_PYTHON_CLIENT_MEM_FRACTION`
    sets the reserved fraction.

    Args:
        device: a device from `tf.config.list_physical_devices`.
        enable: whether memory growth is wanted.
    """
    if not isinstance(device, PhysicalDevice):
        raise TypeError(f"device must come from tf.config.list_physical_devices(). Received: device={device!r}")
    warnings.warn(
        "tf.config.experimental.set_memory_growth has no effect in jeras: JAX reserves accelerator memory when it "
        "starts. Set XLA_PYTHON_CLIENT_PREALLOCATE=false before starting Python to allocate on demand.",
        UserWarning,
        stacklevel=2,
    )


__getattr__ = unsupported_getattr("config.experimental")

__all__ = ["list_logical_devices", "list_physical_devices", "set_memory_growth"]
