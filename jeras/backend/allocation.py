"""A cap on the weight values created while a model is rebuilt from a config that is not trusted.

A config read from a file or a JSON string decides how large the weights are (`units`,
`filters`, an input shape). A damaged or tampered one (`units=10**12`) would make the layers
allocate gigabytes before anything could check them. While `weight_limit(...)` is active,
`Layer.add_weight` calls `reserve` before the initializer runs, and a weight that would take
the total beyond the limit raises `WeightLimitError`, naming the layer, the weight, its shape,
the layer's settings that hold the large sizes, the limit, and how to lift it.

See docs/architecture.md, "Files that cannot hang or crash a load".
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Iterator
from typing import Any

from jeras.serialization import ConfigError

_active = threading.local()


class WeightLimitError(ConfigError):
    """Rebuilding a model would create more weight values than the active limit allows."""


class _Limit:
    def __init__(self, values: int, reason: str, lift: str):
        self.remaining = values
        self.values = values
        self.reason = reason
        self.lift = lift


@contextlib.contextmanager
def weight_limit(values: int, *, reason: str, lift: str) -> Iterator[None]:
    """Inside the block, layers may create at most `values` weight values in total.

    Args:
        values: the number of values (elements, over all weights) allowed.
        reason: why the limit holds, for messages ("the file 'm.h5' holds 1,234 weight values").
        lift: how to allow more, for messages.
    """
    previous = getattr(_active, "limit", None)
    _active.limit = _Limit(int(values), reason, lift)
    try:
        yield
    finally:
        _active.limit = previous


def _settings_holding(layer: Any, sizes: set[int]) -> list[str]:
    found = []
    for name, value in vars(layer).items():
        if name.startswith("_") or isinstance(value, bool):
            continue
        items = value if isinstance(value, (tuple, list)) else (value,)
        if any(isinstance(item, int) and not isinstance(item, bool) and item in sizes for item in items):
            found.append(f"{name}={value!r}")
    return found


def reserve(layer: Any, name: str, shape: tuple[int, ...]) -> None:
    """Counts a weight of `shape` against the active limit (if any) before it is allocated."""
    limit = getattr(_active, "limit", None)
    if limit is None:
        return
    count = math.prod(shape)
    if count <= limit.remaining:
        limit.remaining -= count
        return
    big = {d for d in shape if d > 1}
    settings = _settings_holding(layer, big)
    held = f" Its settings holding these sizes: {', '.join(settings)}." if settings else ""
    raise WeightLimitError(
        f"Layer '{layer.name}' ({type(layer).__name__}) would create the weight '{name}' of shape {tuple(shape)} "
        f"({count:,} values), beyond the limit of {limit.values:,} weight values for this model: {limit.reason}.{held} "
        f"The config is damaged or was changed. {limit.lift}"
    )
