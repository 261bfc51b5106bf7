"""Reading `.npz` archives and pickled data without running code from the file.

The IMDB and Reuters archives store ragged sequences as pickled object arrays, and CIFAR ships
pickled dicts. `pickle.load` on such files would import and call whatever the file names, so the
unpickler here only resolves the few globals NumPy arrays need. Every malformed input raises a
`ValueError` that names the file; no other exception type escapes.

Before unpickling, the opcodes that store objects in the unpickler's memo are checked: a damaged
`LONG_BINPUT` or `PUT` index (`2**29`) would make the C unpickler allocate and clear a memo table
of that many entries (gigabytes, tens of seconds). A valid pickle numbers its memo entries
0, 1, 2, ..., so an index may not exceed half the opcode's offset in the file.

See docs/architecture.md, "Files that cannot hang or crash a load".
"""

from __future__ import annotations

import io
import math
import os
import pickle
import re
import warnings
import zipfile

import numpy as np

_RECONSTRUCT = np.ndarray.__reduce__(np.zeros(1))[0]
_SCALAR = np.float64(0).__reduce__()[0]
_FROMBUFFER = np.ndarray.__reduce_ex__(np.zeros(1), 5)[0]

# What NumPy arrays and Python-2 era pickles refer to, under the module names NumPy 1 and 2 use.
_ALLOWED = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy.core.multiarray", "scalar"): _SCALAR,
    ("numpy._core.multiarray", "scalar"): _SCALAR,
    ("numpy.core.numeric", "_frombuffer"): _FROMBUFFER,
    ("numpy._core.numeric", "_frombuffer"): _FROMBUFFER,
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"it refers to {module}.{name}, which a data file has no reason to") from None


# Runs of opcodes of fixed length, none of which grows the memo (LONG_BINPUT and PUT end a run), in
# one regular-expression match each: a pickle of 6 million integers is scanned in milliseconds.
_FIXED_RUN = re.compile(
    rb"(?:[Kqh\x80\x82].|[M\x83]..|[Jj\x84]....|[G\x95].{8}"
    rb"|[()\]}012NRbeastu\x85\x86\x87\x88\x89\x81old\x8f\x90\x91\x92\x93\x94\x97\x98Q])*+",
    re.DOTALL,
)
# Opcodes followed by a little-endian length of this many bytes, then that many bytes.
_PREFIXED = {ord("U"): 1, ord("C"): 1, 0x8C: 1, 0x8A: 1, ord("T"): 4, ord("B"): 4, ord("X"): 4, 0x8B: 4}
_PREFIXED.update({0x8D: 8, 0x8E: 8, 0x96: 8})
_ONE_LINE = frozenset(b"ILFSVpgP")
_TWO_LINES = frozenset(b"ci")
_LONG_BINPUT, _PUT, _STOP = ord("r"), ord("p"), ord(".")


def check_memo_indices(raw: bytes, *, source: str) -> None:
    """Raises a ValueError naming `source` when a memo index of the pickle `raw` exceeds what its
    position allows (see the module docstring). Stops at the first opcode it does not know, where
    unpickling would stop too."""
    pos, size = 0, len(raw)
    while pos < size:
        pos = _FIXED_RUN.match(raw, pos).end()
        if pos >= size or raw[pos] == _STOP:
            return
        op = raw[pos]
        if op == _LONG_BINPUT or op == _PUT:
            if op == _PUT:
                end = raw.find(b"\n", pos)
                text = raw[pos + 1 : end] if end > 0 else b""
                index, after = (int(text), end + 1) if text.isdigit() and len(text) < 20 else (-1, size)
            else:
                index, after = int.from_bytes(raw[pos + 1 : pos + 5], "little"), pos + 5
            if index > pos // 2:
                raise ValueError(
                    f"{source} is garbled: at byte {pos} it stores an object under memo index {index:,}, "
                    f"impossible in a pickle of {size:,} bytes. Download it again or replace it."
                )
            pos = after
        elif op in _PREFIXED:
            width = _PREFIXED[op]
            pos += 1 + width + int.from_bytes(raw[pos + 1 : pos + 1 + width], "little")
        elif op in _ONE_LINE or op in _TWO_LINES:
            for _ in range(2 if op in _TWO_LINES else 1):
                end = raw.find(b"\n", pos + 1)
                if end < 0:
                    return
                pos = end
            pos += 1
        else:
            return


def load_pickle(raw: bytes, *, source: str, encoding: str = "bytes"):
    """Unpickles data (dicts, lists, numbers, strings and NumPy arrays) without importing anything else.

    Args:
        raw: the pickle bytes.
        source: the file name used in error messages.
        encoding: how Python 2 `str` objects are decoded; `"bytes"` keeps them as bytes. Defaults to `"bytes"`.

    Returns:
        The unpickled object.

    Raises:
        ValueError: the bytes are not a pickle of plain data.
    """
    check_memo_indices(raw, source=source)
    try:
        return _RestrictedUnpickler(io.BytesIO(raw), encoding=encoding).load()
    except MemoryError as err:
        raise ValueError(f"{source} is garbled: it declares more data than it holds.") from err
    except Exception as err:  # a garbled pickle can fail in many ways; all mean the same to the caller.
        raise ValueError(
            f"{source} is not a readable data pickle ({type(err).__name__}: {err}). Download it again or replace it."
        ) from err


def _read_npy(raw: bytes, *, source: str) -> np.ndarray:
    stream = io.BytesIO(raw)
    try:
        with warnings.catch_warnings():
            # A garbled header can hold odd string escapes; NumPy's literal parser would warn about them.
            warnings.simplefilter("ignore")
            version = np.lib.format.read_magic(stream)
            if version == (1, 0):
                shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(stream)
            elif version in ((2, 0), (3, 0)):
                shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(stream)
            else:
                raise ValueError(f"unsupported .npy version {version}")
    except Exception as err:  # NumPy's header parser raises several types on garbage.
        raise ValueError(f"{source} is not a valid .npy array ({err}). Download it again or replace it.") from err
    body = raw[stream.tell() :]
    if dtype.hasobject:
        array = load_pickle(body, source=source, encoding="latin1")
        if not isinstance(array, np.ndarray) or array.shape != tuple(shape) or not array.dtype.hasobject:
            raise ValueError(f"{source} is garbled: its pickled array does not match its header {shape}.")
        return array
    expected = math.prod(shape) * dtype.itemsize
    if len(body) != expected:
        state = "truncated" if len(body) < expected else "longer than its header says"
        raise ValueError(
            f"{source} is {state}: shape {shape} of {dtype} needs {expected} bytes but it has {len(body)}. "
            "Download it again or replace it."
        )
    try:
        array = np.frombuffer(body, dtype=dtype, count=math.prod(shape))
        return array.reshape(shape, order="F" if fortran_order else "C").copy()
    except (ValueError, TypeError) as err:
        raise ValueError(
            f"{source} holds an array NumPy cannot rebuild ({err}). Download it again or replace it."
        ) from err


def read_npz(file: str | os.PathLike | io.BufferedIOBase, *, source: str | None = None) -> dict[str, np.ndarray]:
    """Reads every array of an `.npz` archive, object arrays included, without executing pickled code.

    Args:
        file: a path or a binary file object.
        source: the name used in error messages. Defaults to `None`: the path.

    Returns:
        A dict from array name (without `.npy`) to array.

    Raises:
        ValueError: the archive or one of its arrays is malformed.
    """
    if source is None:
        source = os.fspath(file) if isinstance(file, str | os.PathLike) else "<npz>"
    arrays = {}
    try:
        with zipfile.ZipFile(file) as archive:
            for info in archive.infolist():
                if not info.filename.endswith(".npy"):
                    continue
                arrays[info.filename[:-4]] = (info.filename, archive.read(info))
    except (OSError, EOFError) as err:
        if isinstance(err, FileNotFoundError | PermissionError | IsADirectoryError):
            raise
        raise ValueError(f"{source} is not a readable .npz archive ({err}). Download it again or replace it.") from err
    except Exception as err:  # zipfile/zlib report corrupt archives with many exception types.
        raise ValueError(
            f"{source} is not a readable .npz archive ({type(err).__name__}: {err}). Download it again or replace it."
        ) from err
    return {key: _read_npy(raw, source=f"{source}:{member}") for key, (member, raw) in arrays.items()}


def require_arrays(arrays: dict[str, np.ndarray], keys: tuple[str, ...], *, source: str) -> None:
    """Raises a `ValueError` naming `source` when any of `keys` is absent from `arrays`."""
    absent = [key for key in keys if key not in arrays]
    if absent:
        raise ValueError(
            f"{source} lacks the arrays {absent}: it must hold {list(keys)}, and holds {sorted(arrays)}. "
            "It is not this data set's file; download it again or replace it."
        )
