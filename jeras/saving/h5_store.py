"""Arrays and string attributes in HDF5 groups, with checksums and errors that name the file.

Weight datasets are written with HDF5's Fletcher-32 checksum filter (which the `keras`
package reads like any other dataset), so a flipped bit in stored weights is reported as a
corrupt file instead of being loaded as wrong numbers. Long lists of names are split over
numbered attributes (`layer_names0`, `layer_names1`, ...), the convention tf.keras uses when
a list exceeds the 64 KiB limit of an HDF5 object header.
"""

from __future__ import annotations

import contextlib
import os
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

import h5py
import jax.numpy as jnp
import numpy as np

# Object header messages hold at most 64 KiB; a variable-length string costs 16 bytes there.
_NAMES_PER_ATTRIBUTE = 2048
# h5py has no native type for these; they are stored widened and narrowed again on loading.
_WIDENED = {"bfloat16": np.float32, "float8_e4m3fn": np.float32, "float8_e5m2": np.float32}


class CorruptFileError(ValueError):
    """A file exists but cannot be read as the format it claims to be (truncated, damaged)."""


def describe(filepath: Any) -> str:
    """The name used for a file (or an open HDF5 object) in messages."""
    if isinstance(filepath, (h5py.Group, h5py.Dataset)):
        return f"{filepath.file.filename}:{filepath.name}"
    return os.fspath(filepath) if isinstance(filepath, (str, os.PathLike)) else repr(filepath)


@contextlib.contextmanager
def reading(source: Any, what: str) -> Iterator[None]:
    """Turns low-level read failures inside the block into `CorruptFileError` naming `source`."""
    try:
        yield
    except CorruptFileError:
        raise
    except (
        ValueError,  # from h5py, zipfile ("negative seek value") or NumPy: they do not name the file
        NotImplementedError,  # zipfile, for a damaged compression method
        MemoryError,  # a damaged size
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        KeyError,
        IndexError,
        TypeError,
        AttributeError,
        OverflowError,
        RuntimeError,
        zipfile.BadZipFile,
        zlib.error,
    ) as err:
        raise CorruptFileError(
            f"Could not read {what} from '{describe(source)}': the file is truncated, corrupted, or not a file "
            f"in the expected layout ({type(err).__name__}: {err}). Received: filepath={describe(source)!r}"
        ) from err


def write_array(group: h5py.Group, name: str, value: Any) -> h5py.Dataset:
    """Writes one array (checksummed when it has elements), keeping dtypes HDF5 lacks in an attribute."""
    array = np.asarray(value)
    dtype_name = array.dtype.name
    if dtype_name in _WIDENED:
        array = array.astype(_WIDENED[dtype_name])
    if array.ndim and array.size:
        dataset = group.create_dataset(name, data=array, fletcher32=True, chunks=True)
    else:
        dataset = group.create_dataset(name, data=array)
    if dtype_name in _WIDENED:
        dataset.attrs["dtype"] = dtype_name
    return dataset


def read_array(dataset: Any) -> np.ndarray:
    """Reads a dataset written by `write_array` (or by Keras) into memory."""
    if not isinstance(dataset, h5py.Dataset):
        raise KeyError(f"expected a dataset at '{getattr(dataset, 'name', dataset)}', found a group")
    declared, held = dataset.size * dataset.dtype.itemsize, dataset.file.id.get_filesize()
    if declared > held + (1 << 20):
        raise KeyError(f"the dataset '{dataset.name}' declares {declared} bytes, more than the file holds ({held})")
    array = np.asarray(dataset[()])
    stored = dataset.attrs.get("dtype")
    if stored is not None:
        array = array.astype(jnp.dtype(_as_text(stored)))
    return array


def write_names(group: h5py.Group, name: str, names: list[str]) -> None:
    """Writes a list of names as an attribute, split over `name0`, `name1`, ... when long."""
    text = h5py.string_dtype()
    if len(names) <= _NAMES_PER_ATTRIBUTE:
        group.attrs[name] = np.array(names, dtype=text) if names else np.zeros((0,), "S1")
        return
    for i, start in enumerate(range(0, len(names), _NAMES_PER_ATTRIBUTE)):
        group.attrs[f"{name}{i}"] = np.array(names[start : start + _NAMES_PER_ATTRIBUTE], dtype=text)


def _as_text(item: Any) -> str:
    return item.decode("utf8") if isinstance(item, bytes) else str(item)


def read_names(group: h5py.Group, name: str) -> list[str] | None:
    """Reads a list written by `write_names` (or by tf.keras / Keras 3); None when absent."""
    attrs = group.attrs
    if name in attrs:
        return [_as_text(item) for item in np.atleast_1d(attrs[name])]
    if f"{name}0" not in attrs:
        return None
    out: list[str] = []
    i = 0
    while f"{name}{i}" in attrs:
        out.extend(_as_text(item) for item in np.atleast_1d(attrs[f"{name}{i}"]))
        i += 1
    return out


def read_text(attrs: h5py.AttributeManager, name: str) -> str | None:
    """Reads a string attribute (stored as text or bytes); None when absent."""
    if name not in attrs:
        return None
    value = attrs[name]
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    return _as_text(value)
