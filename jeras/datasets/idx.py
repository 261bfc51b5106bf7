"""Reading IDX files (the MNIST / Fashion-MNIST format), gzipped or not, with structural checks.

An IDX file is a big-endian header (two zero bytes, a type code, the number of dimensions,
then one uint32 per dimension) followed by the values. Every malformed file raises a
`ValueError` that names the file and what is wrong, never a partial array.
"""

from __future__ import annotations

import gzip
import math
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
    # math.prod on Python ints: a garbled header must not overflow into a plausible size.
    expected = math.prod(dims) * dtype.itemsize
    body = len(raw) - header
    if body != expected:
        state = "truncated" if body < expected else "longer than its header says"
        raise ValueError(
            f"{source} is {state}: dimensions {dims} need {expected} data bytes but the file has {body}. "
            "Download it again or replace it with an intact copy."
        )
    values = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return values.astype(dtype.newbyteorder("="), copy=True)


def decode_idx(raw: bytes, *, source: str = "<bytes>", compressed: bool | None = None) -> np.ndarray:
    """Parses the bytes of an IDX file that may be gzipped.

    Args:
        raw: the file contents.
        source: the file name used in error messages. Defaults to `"<bytes>"`.
        compressed: whether `raw` is gzipped. Defaults to `None`: decided from the gzip magic bytes.

    Returns:
        The array, in native byte order.

    Raises:
        ValueError: the bytes are not a valid (gzipped) IDX file.
    """
    if compressed is None:
        compressed = raw[:2] == b"\x1f\x8b"
    if compressed:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise ValueError(f"{source} is not a valid gzip file ({err}). Download it again or replace it.") from err
    return parse_idx(raw, source=source)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Reads an IDX file, gunzipping it when its name ends in `.gz`."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    return decode_idx(raw, source=path, compressed=path.endswith(".gz"))


def read_image_label_pair(
    images_path: str | os.PathLike,
    labels_path: str | os.PathLike,
    *,
    image_size: tuple[int, int] | None = None,
    num_classes: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Reads matching IDX image and label files, checking the shapes and that the counts agree.

    Args:
        images_path: IDX file of uint8 images, shape `(count, rows, cols)`.
        labels_path: IDX file of uint8 labels, shape `(count,)`.
        image_size: the `(rows, cols)` every image must have. Defaults to `None` (any size).
        num_classes: labels must lie in `[0, num_classes)`. Defaults to `None` (any uint8).

    Returns:
        `(images, labels)`.

    Raises:
        ValueError: a file is malformed, or the two files do not belong together.
    """
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    check_image_label_pair(
        images,
        labels,
        images_source=os.fspath(images_path),
        labels_source=os.fspath(labels_path),
        image_size=image_size,
        num_classes=num_classes,
    )
    return images, labels


def check_image_label_pair(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    images_source: str,
    labels_source: str,
    image_size: tuple[int, int] | None = None,
    num_classes: int | None = None,
) -> None:
    """Checks decoded IDX images and labels: dtypes, shapes, matching counts and label range.

    Args:
        images: the decoded image array.
        labels: the decoded label array.
        images_source: the image file's name, for error messages.
        labels_source: the label file's name, for error messages.
        image_size: the `(rows, cols)` every image must have. Defaults to `None` (any size).
        num_classes: labels must lie in `[0, num_classes)`. Defaults to `None` (any uint8).

    Raises:
        ValueError: naming the file and what is wrong.
    """
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"{images_source} must hold uint8 images of shape (count, rows, cols). "
            f"Received: {images.dtype} array of shape {images.shape}"
        )
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(
            f"{labels_source} must hold uint8 labels of shape (count,). Received: {labels.dtype} array of shape {labels.shape}"
        )
    if image_size is not None and images.shape[1:] != tuple(image_size):
        raise ValueError(
            f"{images_source} must hold {image_size[0]}x{image_size[1]} images. "
            f"Received: images of {images.shape[1]}x{images.shape[2]}. Replace it with the data set's own file."
        )
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{images_source} holds {images.shape[0]} images but {labels_source} holds {labels.shape[0]} labels; "
            "the two files do not belong together. Replace both with files from the same copy of the data set."
        )
    if num_classes is not None and labels.size and int(labels.max()) >= num_classes:
        raise ValueError(
            f"{labels_source} holds labels up to {int(labels.max())} but this data set has {num_classes} classes "
            f"(labels 0..{num_classes - 1}). The file is garbled: download it again or replace it."
        )
