"""What the callbacks that watch one logged metric share: the direction of improvement and the lookup."""

from __future__ import annotations

import re
import warnings

import numpy as np

_MODES = ("auto", "min", "max")


def check_mode(mode: str) -> str:
    """Returns `mode` after checking it is "auto", "min" or "max".

    tf.keras warns and falls back to "auto" on an unknown mode; a typo there silently flips the
    direction of improvement, so jeras raises instead.
    """
    if mode not in _MODES:
        raise ValueError(f"mode must be one of 'auto', 'min' or 'max'. Received: mode={mode!r}")
    return mode


def higher_is_better(monitor: str, mode: str) -> bool:
    """Whether larger values of `monitor` are improvements: "max" mode, or "auto" mode and a
    metric such as accuracy, AUC, precision or recall (with or without the `val_` prefix)."""
    if mode != "auto":
        return mode == "max"
    name = re.sub(r"_\d+$", "", monitor.lower().removeprefix("val_"))
    return "acc" in name or name.endswith(("auc", "precision", "recall")) or name.startswith("fmeasure")


def improvement_test(monitor: str, mode: str, min_delta: float = 0.0) -> Improvement:
    """Returns `improved(current, reference)`: true when `current` beats `reference` by more than `min_delta`.

    The comparison is made in float32, the precision of the logs, exactly as the compiled
    whole fit makes it (`improved_on_device`), so both paths of `fit` take the same decisions.
    """
    return Improvement(higher_is_better(monitor, mode), abs(float(min_delta)))


class Improvement:
    """`improved(current, reference)` of one direction and min_delta (a class, so callbacks pickle)."""

    def __init__(self, higher: bool, min_delta: float):
        self.higher = higher
        self.delta = np.float32(min_delta)

    def __call__(self, current: float, reference: float) -> bool:
        return bool(
            improved_on_device(np.float32(current), np.float32(reference), higher=self.higher, delta=self.delta)
        )


def improved_on_device(current, reference, *, higher: bool, delta):
    """`current` beats `reference` by more than `delta` (traceable; arrays or NumPy scalars)."""
    if higher:
        return current - delta > reference
    return current + delta < reference


def monitored_value(logs: dict | None, monitor: str, owner: str) -> float | None:
    """The value of `monitor` in `logs`, or None with a warning that lists the available metrics."""
    logs = logs or {}
    if monitor not in logs:
        available = ", ".join(sorted(logs)) or "none"
        warnings.warn(
            f"{owner} is conditioned on metric `{monitor}`, which is not available in the logs. "
            f"Available metrics are: {available}.",
            UserWarning,
            stacklevel=3,
        )
        return None
    return float(logs[monitor])
