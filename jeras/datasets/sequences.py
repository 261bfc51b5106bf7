"""The word-index options shared by the IMDB and Reuters loaders, done on flat NumPy arrays.

The sequences are handled as one flat array of word indices plus one length per sequence, so the
options cost a few vectorized passes instead of a Python loop per word. The results are the lists
of Python ints tf.keras returns.
"""

from __future__ import annotations

import numbers

import numpy as np


def check_options(
    *,
    num_words: int | None,
    skip_top: int,
    maxlen: int | None,
    seed: int,
    start_char: int | None,
    oov_char: int | None,
    index_from: int,
) -> None:
    """Raises `TypeError`/`ValueError` naming the first argument that is not a valid option value."""
    for name, value, optional, minimum in (
        ("num_words", num_words, True, 1),
        ("skip_top", skip_top, False, 0),
        ("maxlen", maxlen, True, 1),
        ("seed", seed, False, 0),
        ("start_char", start_char, True, 0),
        ("oov_char", oov_char, True, 0),
        ("index_from", index_from, False, 0),
    ):
        if value is None and optional:
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            expected = "an integer or None" if optional else "an integer"
            raise TypeError(f"{name} must be {expected}. Received: {name}={value!r}")
        if value < minimum:
            raise ValueError(f"{name} must be at least {minimum}. Received: {name}={value!r}")


def check_sequences(sequences: np.ndarray, *, source: str) -> list[np.ndarray]:
    """Returns each sequence as an int64 array, raising a `ValueError` naming `source` for anything else.

    Args:
        sequences: a 1-D array whose items are sequences of non-negative word indices (or a 2-D
            integer array, one sequence per row).
        source: the file (and array) name used in error messages.
    """
    if sequences.ndim == 2 and sequences.dtype.kind in "iu":
        # Equal-length sequences saved as one integer matrix: each row is a sequence.
        sequences = list(sequences)
    elif sequences.ndim != 1:
        raise ValueError(f"{source} must be a 1-D array of sequences. Received: shape {sequences.shape}")
    out = []
    for i, item in enumerate(sequences):
        try:
            seq = np.asarray(item)
        except Exception as err:  # any unconvertible item means the same: not a sequence.
            raise ValueError(f"{source} item {i} is not a sequence of word indices ({err}).") from err
        if seq.ndim != 1 or not (seq.dtype.kind in "iu" or (seq.size == 0 and seq.dtype.kind in "fO")):
            raise ValueError(
                f"{source} item {i} must be a list of integer word indices. Received: {type(item).__name__} "
                f"of dtype {seq.dtype} and shape {seq.shape}. The file is garbled: download it again or replace it."
            )
        seq = seq.astype(np.int64)
        if seq.size and seq.min() < 0:
            raise ValueError(f"{source} item {i} holds a negative word index {int(seq.min())}; the file is garbled.")
        out.append(seq)
    return out


def check_labels(labels: np.ndarray, count: int, *, source: str) -> None:
    """Raises a `ValueError` unless `labels` is a 1-D integer array of `count` items."""
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(
            f"{source} must be a 1-D array of integer labels. Received: {labels.dtype} array of shape {labels.shape}"
        )
    if labels.shape[0] != count:
        raise ValueError(
            f"{source} holds {labels.shape[0]} labels for {count} sequences; the file is garbled or its arrays "
            "do not belong together. Download it again or replace it."
        )


def flatten(sequences: list[np.ndarray], *, start_char: int | None, index_from: int) -> tuple[np.ndarray, np.ndarray]:
    """Shifts word indices by `index_from` and puts `start_char` in front of each sequence.

    Returns:
        `(flat, lengths)`: all words in one int64 array, and each sequence's length.
    """
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    flat = np.concatenate(sequences) if sequences else np.zeros(0, np.int64)
    flat = flat + index_from
    if start_char is not None:
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(lengths) else lengths
        flat = np.insert(flat, starts, start_char)
        lengths = lengths + 1
    return flat, lengths


def drop_long(
    flat: np.ndarray, lengths: np.ndarray, labels: np.ndarray, maxlen: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keeps the sequences strictly shorter than `maxlen` (after `start_char`), as tf.keras does."""
    if not maxlen:
        return flat, lengths, labels
    keep = lengths < maxlen
    return flat[np.repeat(keep, lengths)], lengths[keep], labels[keep]


def cap_vocabulary(
    flat: np.ndarray, lengths: np.ndarray, *, num_words: int | None, skip_top: int, oov_char: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Replaces (or, with `oov_char=None`, removes) indices outside `[skip_top, num_words)`.

    Without `num_words` the bound is the largest index present, used as an exclusive bound as in
    tf.keras: that largest index itself becomes `oov_char`. Kept so the arrays are identical.
    """
    if not num_words:
        num_words = int(flat.max()) if flat.size else 0
    inside = (flat >= skip_top) & (flat < num_words)
    if oov_char is not None:
        return np.where(inside, flat, oov_char), lengths
    owner = np.repeat(np.arange(len(lengths)), lengths)
    return flat[inside], np.bincount(owner[inside], minlength=len(lengths)).astype(np.int64)


def to_object_array(flat: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Returns a 1-D object array holding each sequence as a list of Python ints."""
    out = np.empty(len(lengths), dtype=object)
    bounds = np.cumsum(lengths)
    values = flat.tolist()
    start = 0
    for i, end in enumerate(bounds.tolist()):
        out[i] = values[start:end]
        start = end
    return out
