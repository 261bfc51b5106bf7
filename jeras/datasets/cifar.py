"""Reading the CIFAR "python version" files: pickled batches, inside the official tar.gz or extracted.

Each batch is a pickled dict with `data`, a uint8 array of shape `(n, 3072)` (1,024 red, then
green, then blue values of a 32x32 image, row by row), and one or more label lists. The pickles
are read with the restricted unpickler of `jeras.datasets.npz`, so a file cannot run code.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Mapping

import numpy as np

from jeras.datasets.cache import RemoteFile, ensure_files, get_data_dir
from jeras.datasets.npz import load_pickle


def parse_batch(raw: bytes, *, source: str, label_keys: Mapping[str, int]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Parses one pickled CIFAR batch.

    Args:
        raw: the pickle bytes.
        source: the file (or archive member) name used in error messages.
        label_keys: each label list to read, with its number of classes (e.g. `{"labels": 10}`).

    Returns:
        `(images, labels)`: uint8 images of shape `(n, 3, 32, 32)`, and one int64 array of shape
        `(n,)` per label key.

    Raises:
        ValueError: the batch is malformed.
    """
    batch = load_pickle(raw, source=source, encoding="bytes")
    if not isinstance(batch, dict):
        raise ValueError(f"{source} must be a pickled dict. Received: {type(batch).__name__}. It is not a CIFAR batch.")
    batch = {key.decode("latin1") if isinstance(key, bytes) else key: value for key, value in batch.items()}
    absent = [key for key in ("data", *label_keys) if key not in batch]
    if absent:
        raise ValueError(
            f"{source} lacks the entries {absent} of a CIFAR batch (it has {sorted(map(str, batch))}). "
            "It is not this data set's file; download the archive again or replace it."
        )
    data = batch["data"]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        shape = getattr(data, "shape", None)
        raise ValueError(
            f"{source}: 'data' must be a uint8 array of shape (n, 3072). Received: {type(data).__name__} "
            f"of shape {shape}. The file is garbled: download the archive again or replace it."
        )
    labels = {}
    for key, num_classes in label_keys.items():
        try:
            values = np.asarray(batch[key])
        except Exception as err:  # anything unconvertible is a garbled label list.
            raise ValueError(f"{source}: {key!r} is not a list of labels ({err}).") from err
        if values.ndim != 1 or values.dtype.kind not in "iu" or len(values) != len(data):
            raise ValueError(
                f"{source}: {key!r} must hold {len(data)} integer labels, one per image. Received: {values.dtype} "
                f"array of shape {values.shape}. The file is garbled: download the archive again or replace it."
            )
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(
                f"{source}: {key!r} holds labels outside 0..{num_classes - 1} (from {values.min()} to "
                f"{values.max()}). The file is garbled: download the archive again or replace it."
            )
        labels[key] = values.astype(np.int64)
    return data.reshape(-1, 3, 32, 32), labels


def locate(dataset: str, archive: RemoteFile, folder: str, *, data_dir: str | os.PathLike | None) -> pathlib.Path:
    """Returns what to read: the archive (downloaded if missing), or its extracted folder when only that is there.

    Args:
        dataset: the data set's folder name under the data dir (`"cifar10"`, `"cifar100"`).
        archive: the official archive.
        folder: the top folder inside the archive (`"cifar-10-batches-py"`).
        data_dir: the data dir, or `None` for the default.

    Returns:
        The archive path, or the folder that holds the extracted `folder`.
    """
    root = get_data_dir(data_dir) / dataset
    if not (root / archive.name).is_file() and (root / folder).is_dir():
        return root
    (path,) = ensure_files(
        dataset,
        [archive],
        data_dir=data_dir,
        also_accepted=f"Also accepted instead of the archive: its extracted folder {root / folder}{os.sep}.",
    )
    return path


def channels_last(images: np.ndarray) -> np.ndarray:
    """Returns `(n, 3, 32, 32)` images as a contiguous `(n, 32, 32, 3)` array."""
    return np.ascontiguousarray(images.transpose(0, 2, 3, 1))
