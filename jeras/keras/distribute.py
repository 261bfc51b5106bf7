"""tf.distribute's strategy spelling over `jeras.distribution` (docs/architecture.md, "Distribution").

Tutorial code writes::

    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        model = keras.models.Sequential([...])
        model.compile(...)
    model.fit(...)

A model compiled inside the scope trains data parallel on the strategy's devices, also when
`fit` is called outside it (as in tf.keras, where the model belongs to its strategy).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from typing import Any

import jax

from jeras import distribution as _distribution

_DEVICE_NAME = re.compile(r"^/?(?:job:\w+/)?(?:replica:\d+/)?(?:task:\d+/)?(?:device:)?(cpu|gpu|tpu):(\d+)$", re.I)


def _resolve(device: Any) -> Any:
    """A jax device for a tf device name (`"/gpu:0"`, `"GPU:1"`, `"/device:CPU:0"`), an id or a device."""
    if not isinstance(device, str):
        return device
    match = _DEVICE_NAME.match(device.strip())
    if match is None:
        raise ValueError(
            f"MirroredStrategy cannot read the device name {device!r}: expected a name such as '/gpu:0' or 'CPU:1'. "
            f"Received: devices containing {device!r}"
        )
    platform, index = match.group(1).lower(), int(match.group(2))
    try:
        candidates = jax.devices(platform)
    except RuntimeError:
        candidates = []
    if index >= len(candidates):
        raise ValueError(
            f"MirroredStrategy was given {device!r}, but this machine has {len(candidates)} {platform} device(s) "
            f"({[str(d) for d in jax.devices()]}). Received: devices containing {device!r}"
        )
    return candidates[index]


class MirroredStrategy:
    """Synchronous data-parallel training on the local devices: one replica per device.

    Args:
        devices: tf device names (`"/gpu:0"`), jax devices or device ids; default every local device.
        cross_device_ops: accepted for compatibility; the reduction across devices is the one
            XLA inserts for the sharded batch (an all-reduce).
    """

    def __init__(self, devices: Sequence[Any] | None = None, cross_device_ops: Any = None):
        resolved = None if devices is None else [_resolve(d) for d in devices]
        self._distribution = _distribution.DataParallel(resolved)
        self.cross_device_ops = cross_device_ops

    @property
    def num_replicas_in_sync(self) -> int:
        """How many devices train together (tf.distribute's name)."""
        return self._distribution.num_devices

    @property
    def distribution(self) -> _distribution.DataParallel:
        """The `jeras.distribution.DataParallel` behind this strategy."""
        return self._distribution

    @contextlib.contextmanager
    def scope(self) -> Iterator[MirroredStrategy]:
        """Models compiled inside train on this strategy's devices."""
        with _distribution.scope(self._distribution):
            yield self

    def __repr__(self) -> str:
        return f"MirroredStrategy(num_replicas_in_sync={self.num_replicas_in_sync})"


def get_strategy() -> Any:
    """The strategy of the current scope, or the default (one device) strategy."""
    current = _distribution.distribution()
    if current is None:
        return _DefaultStrategy()
    strategy = MirroredStrategy.__new__(MirroredStrategy)
    strategy._distribution, strategy.cross_device_ops = current, None
    return strategy


class _DefaultStrategy:
    """What `get_strategy()` returns outside any scope: one device."""

    num_replicas_in_sync = 1

    @contextlib.contextmanager
    def scope(self):
        yield self


__all__ = ["MirroredStrategy", "get_strategy"]
