"""Unique default names (`dense`, `dense_1`, ...), as tf.keras gives them."""

from __future__ import annotations

import re
from collections import defaultdict

_counts: defaultdict[str, int] = defaultdict(int)


def to_snake_case(name: str) -> str:
    """`"BatchNormalization"` -> `"batch_normalization"`."""
    intermediate = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", intermediate).lower()


def unique_name(base: str, *, zero_based: bool = True) -> str:
    """Returns `base`, then `base_1`, `base_2`, ... until `clear_session()`.

    With `zero_based=False` the first name is `base_1` (tf.keras names inputs `input_1`).
    """
    count = _counts[base]
    _counts[base] += 1
    if not zero_based:
        return f"{base}_{count + 1}"
    return base if count == 0 else f"{base}_{count}"


def reset_names() -> None:
    _counts.clear()
