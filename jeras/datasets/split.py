"""The seeded shuffle and train/test split of the tabular data sets (Boston and California housing)."""

from __future__ import annotations

import numbers

import numpy as np


def check_test_split(test_split: float) -> None:
    """Raises `TypeError`/`ValueError` unless `test_split` is a number in `[0, 1)`."""
    if isinstance(test_split, bool) or not isinstance(test_split, numbers.Real):
        raise TypeError(f"test_split must be a number in [0, 1). Received: test_split={test_split!r}")
    if not 0 <= test_split < 1:
        raise ValueError(f"test_split must be in [0, 1). Received: test_split={test_split!r}")


def shuffle_split(
    x: np.ndarray, y: np.ndarray, *, test_split: float, seed: int
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Shuffles rows with `np.random.RandomState(seed)` and holds out the last `test_split` of them.

    The same permutation and split point as tf.keras, so a seed gives the same arrays.

    Args:
        x: features, one row per example.
        y: targets, one per example.
        test_split: the fraction held out for testing, in `[0, 1)`.
        seed: the shuffling seed, in `[0, 2**32)`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`.
    """
    check_test_split(test_split)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an integer. Received: seed={seed!r}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32). Received: seed={seed!r}")
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])
