"""The devices JAX sees, named the way `tf.config` names them (`/physical_device:GPU:0`)."""

from __future__ import annotations

from typing import NamedTuple

import jax

_KINDS = {"cpu": "CPU", "gpu": "GPU", "cuda": "GPU", "rocm": "GPU", "tpu": "TPU"}


class PhysicalDevice(NamedTuple):
    """A device as `tf.config.list_physical_devices` describes it."""

    name: str
    device_type: str


class LogicalDevice(NamedTuple):
    """A device as `tf.config.list_logical_devices` describes it."""

    name: str
    device_type: str


def _jax_devices() -> list[jax.Device]:
    found = list(jax.devices())
    if jax.default_backend() != "cpu":
        try:
            found = list(jax.devices("cpu")) + found  # TensorFlow always lists the host CPU
        except RuntimeError:
            pass
    return found


def _named(prefix: str, device_type: str | None) -> list[tuple[str, str]]:
    if device_type is not None and not isinstance(device_type, str):
        raise TypeError(f"device_type must be a string such as 'GPU' or None. Received: device_type={device_type!r}")
    counts: dict[str, int] = {}
    out = []
    for device in _jax_devices():
        kind = _KINDS.get(device.platform, device.platform.upper())
        index = counts.get(kind, 0)
        counts[kind] = index + 1
        if device_type is None or kind == device_type.upper():
            out.append((f"{prefix}:{kind}:{index}", kind))
    return out


def list_physical_devices(device_type: str | None = None) -> list[PhysicalDevice]:
    """The devices JAX can use, of `device_type` (`"CPU"`, `"GPU"`, `"TPU"`; default None: all).

    Example:
        >>> tf.config.list_physical_devices("CPU")
        [PhysicalDevice(name='/physical_device:CPU:0', device_type='CPU')]
    """
    return [PhysicalDevice(*entry) for entry in _named("/physical_device", device_type)]


def list_logical_devices(device_type: str | None = None) -> list[LogicalDevice]:
    """The same devices as `list_physical_devices`, named `/device:GPU:0` (JAX does not split devices)."""
    return [LogicalDevice(*entry) for entry in _named("/device", device_type)]
