"""`pad_sequences`: lists of varying length to one padded array (host-side NumPy)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def pad_sequences(
    sequences: Sequence[Sequence[Any]],
    maxlen: int | None = None,
    dtype: Any = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: Any = 0.0,
) -> np.ndarray:
    """Pads (or truncates) sequences to one length, as `tf.keras.utils.pad_sequences` does.

    Args:
        sequences: a list of sequences (lists or arrays); their items may be scalars or arrays of
            one common shape.
        maxlen: the output length. Default None: the length of the longest sequence.
        dtype: the output dtype. Default `"int32"`; a string dtype (`"str"`, `"object"`) allows
            string values.
        padding: `"pre"` (pad at the start, the default) or `"post"`.
        truncating: `"pre"` (drop items from the start of longer sequences, the default) or `"post"`.
        value: the padding value. Default 0.

    Returns:
        An array of shape `(len(sequences), maxlen) + item_shape`.

    Example:
        >>> pad_sequences([[1, 2, 3], [4]], maxlen=2)
        array([[2, 3],
               [0, 4]], dtype=int32)
    """
    if padding not in ("pre", "post"):
        raise ValueError(f"padding must be 'pre' or 'post'. Received: padding={padding!r}")
    if truncating not in ("pre", "post"):
        raise ValueError(f"truncating must be 'pre' or 'post'. Received: truncating={truncating!r}")
    if maxlen is not None and (isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < 0):
        raise ValueError(f"maxlen must be a non-negative integer or None. Received: maxlen={maxlen!r}")
    if not hasattr(sequences, "__len__"):
        raise TypeError(f"sequences must be a list of sequences. Received: sequences={sequences!r}")
    arrays = []
    for i, seq in enumerate(sequences):
        if not hasattr(seq, "__len__"):
            raise ValueError(f"sequences must hold sequences (lists or arrays); item {i} is not one. Received: {seq!r}")
        arrays.append(np.asarray(seq))
    item_shape: tuple[int, ...] = ()
    for arr in arrays:
        if arr.size:
            item_shape = arr.shape[1:]
            break
    length = max((len(a) for a in arrays), default=0) if maxlen is None else int(maxlen)
    is_text = np.issubdtype(np.dtype(dtype), np.str_) or np.dtype(dtype) == np.dtype(object)
    if isinstance(value, str) and not is_text:
        raise ValueError(
            f"A string padding value needs a string dtype such as 'object' or 'str'. Received: dtype={dtype!r}, "
            f"value={value!r}"
        )
    out = np.full((len(arrays), length) + item_shape, value, dtype=dtype)
    for i, arr in enumerate(arrays):
        if not len(arr) or not length:
            continue
        kept = arr[-length:] if truncating == "pre" else arr[:length]
        if kept.shape[1:] != item_shape:
            raise ValueError(
                f"All sequence items must have the same shape {item_shape}. Received: sequence {i} with items of "
                f"shape {kept.shape[1:]}"
            )
        if padding == "post":
            out[i, : len(kept)] = kept
        else:
            out[i, length - len(kept) :] = kept
    return out
