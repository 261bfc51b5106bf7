"""Reading IDX files (the MNIST / Fashion-MNIST format), gzipped or not, with structural checks.

An IDX file is a big-endian header (two zero bytes, a type code, the number of dimensions,
then one uint32 per dimension) followed by the values. Every malformed file raises a
`ValueError` that names the file and what is wrong, never a partial array.
"""

from __future__ import annotations

import gzip
import os
import zlib

import numpy as np

_TYPES = {
    0x08: np.uint8,
    0x09: np.int8,
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def parse_idx(raw: bytes, *, source: str = "<bytes>") -> np.ndarray:
    """Parses the bytes of an (uncompressed) IDX file into an array.

    Args:
        raw: the file contents.
        source: the file name used in error messages.

    Returns:
        The array, in native byte order.
    """
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{source} is not an IDX file: it must start with two zero bytes. Received: {raw[:4]!r}")
    type_code, ndim = raw[2], raw[3]
    if type_code not in _TYPES:
        raise ValueError(f"{source} has an unknown IDX type code 0x{type_code:02x}. Received: header {raw[:4]!r}")
    if ndim == 0:
        raise ValueError(f"{source} declares zero dimensions. Received: header {raw[:4]!r}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{source} is truncated: its header needs {header} bytes but the file has {len(raw)}.")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_TYPES[type_code])
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    body = len(raw) - header
    if body != expected:
        state = "truncated" if body < expected else "longer than its header says"
        raise ValueError(
            f"{source} is {state}: dimensions {dims} need {expected} data bytes but the file has {body}. "
            "Download it again or replace it with an intact copy."
        )
    values = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return values.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Reads an IDX file, gunzipping it when its name ends in `.gz`."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    if path.endswith(".gz"):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise ValueError(f"{path} is not a valid gzip file ({err}). Download it again or replace it.") from err
    return parse_idx(raw, source=path)


def read_image_label_pair(
    images_path: str | os.PathLike, labels_path: str | os.PathLike
) -> tuple[np.ndarray, np.ndarray]:
    """Reads matching IDX image and label files, checking the shapes and that the counts agree."""
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"{images_path} must hold uint8 images of shape (count, rows, cols). Received: {images.dtype} array of shape {images.shape}"
        )
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(
            f"{labels_path} must hold uint8 labels of shape (count,). Received: {labels.dtype} array of shape {labels.shape}"
        )
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{images_path} holds {images.shape[0]} images but {labels_path} holds {labels.shape[0]} labels; "
            "the two files do not belong together."
        )
    return images, labels
