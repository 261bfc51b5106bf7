"""Label encodings: `to_categorical` (one-hot), as `keras.utils` provides it."""

from __future__ import annotations

import numpy as np


def to_categorical(y, num_classes: int | None = None, dtype: str = "float32") -> np.ndarray:
    """Converts class indices to one-hot rows.

    Args:
        y: integer class indices (any shape; a trailing axis of size 1 is dropped).
        num_classes: number of classes; default `max(y) + 1`.
        dtype: dtype of the result. Default "float32".

    Returns:
        An array of shape `y.shape + (num_classes,)`.
    """
    y = np.asarray(y)
    if y.dtype.kind not in "iub" and not (y.dtype.kind == "f" and np.all(np.mod(y, 1) == 0)):
        raise ValueError(f"y must hold integer class indices. Received: y with dtype {y.dtype}")
    y = y.astype(np.int64)
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y[..., 0]
    if y.size and y.min() < 0:
        raise ValueError(f"y must hold non-negative class indices. Received: y with min={y.min()}")
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    elif y.size and y.max() >= num_classes:
        raise ValueError(f"y holds class {y.max()}, outside [0, num_classes). Received: num_classes={num_classes}")
    out = np.zeros(y.shape + (num_classes,), dtype=dtype)
    np.put_along_axis(out, y[..., None], 1, axis=-1)
    return out
