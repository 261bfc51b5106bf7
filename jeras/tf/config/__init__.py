"""`tf.config`: the devices JAX sees, in TensorFlow's names (`/physical_device:GPU:0`).

`list_physical_devices` lists `jax.devices()` (and the host CPU, which TensorFlow always
lists). Device settings that TensorFlow changes at run time are JAX environment variables
set before it starts (`JAX_PLATFORMS`, `XLA_PYTHON_CLIENT_PREALLOCATE`).
See docs/architecture.md, "The tf namespace".
"""

from jeras.tf._unsupported import unsupported_getattr
from jeras.tf.config import experimental
from jeras.tf.config._devices import LogicalDevice, PhysicalDevice, list_logical_devices, list_physical_devices

get_visible_devices = list_physical_devices

__getattr__ = unsupported_getattr("config")

__all__ = [
    "LogicalDevice",
    "PhysicalDevice",
    "experimental",
    "get_visible_devices",
    "list_logical_devices",
    "list_physical_devices",
]
