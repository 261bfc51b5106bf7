"""HDF5 files as bytes: built in memory and sealed with a checksum, checked before h5py parses them.

The HDF5 library is not robust against damaged input or a failing disk: one flipped bit can
make it loop forever inside an attribute read (where no signal gets through), and a disk that
fills while it writes a chunked, checksummed dataset can crash the process. So HDF5 never
touches the disk in jeras (docs/architecture.md, "Files that cannot hang or crash a load"):

* **Writing.** A file is built in memory (HDF5's core driver without a backing store), then
  written by `jeras.saving.atomic` with plain Python I/O. Its first 512 bytes are an HDF5 *user
  block*, which every HDF5 reader (h5py, tf.keras, Keras 3) skips; jeras keeps its seal there:
  `JERAS-SEAL 1`, the SHA-256 and the length of the rest of the file.
* **Reading.** The bytes are read into memory. A sealed file must match its seal exactly, else
  it is refused before HDF5 sees it. An unsealed file (written by Keras or h5py) has its
  superblock checked against its length, and is then parsed once, completely (every object,
  attribute and dataset), by a separate process under a time and memory limit
  (`jeras.saving.hdf5_probe`), so that a loop or a crash there becomes a `CorruptFileError`.
  Only then is it opened here, from memory.

A file changed after jeras wrote it (say, with `h5py.File(path, "r+")`) keeps the old seal and
is refused like a damaged one; pass an open `h5py.File` to the loader to read it anyway.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Callable
from typing import Any

import h5py

from jeras.saving import hdf5_probe
from jeras.saving.h5_store import CorruptFileError

SIGNATURE = b"\x89HDF\r\n\x1a\n"
USER_BLOCK = 512
_SEAL_MAGIC = b"JERAS-SEAL 1\n"
# Seconds the probe process may take to parse an unsealed file: this plus one per 50 MB.
PARSE_TIMEOUT_ENV = "JERAS_HDF5_PARSE_TIMEOUT"
_DEFAULT_PARSE_TIMEOUT = 10.0
_names = itertools.count()


def build(fill: Callable[[h5py.File], None]) -> bytes:
    """Returns the bytes of a sealed HDF5 file that `fill(handle)` writes into an empty file."""
    name = f"jeras-image-{os.getpid()}-{next(_names)}"
    with h5py.File(name, "w", driver="core", backing_store=False, block_size=1 << 20, userblock_size=USER_BLOCK) as f:
        fill(f)
        f.flush()
        image = f.id.get_file_image()  # the file from its superblock on, without the user block
    seal = _SEAL_MAGIC + b"sha256 %s\nbytes %d\n" % (hashlib.sha256(image).hexdigest().encode(), len(image))
    return seal.ljust(USER_BLOCK, b"\0") + image


def find_signature(data: bytes) -> int | None:
    """Where the HDF5 superblock starts (0, 512, 1024, ... as the format allows), or None."""
    offset = 0
    while offset + len(SIGNATURE) <= len(data):
        if data[offset : offset + len(SIGNATURE)] == SIGNATURE:
            return offset
        offset = USER_BLOCK if offset == 0 else offset * 2
    return None


def _seal(data: bytes) -> tuple[str, int] | None:
    """The digest and length a sealed file promises, or None for an unsealed one."""
    if not data.startswith(_SEAL_MAGIC):
        return None
    lines = data[len(_SEAL_MAGIC) : USER_BLOCK].split(b"\0", 1)[0].decode("ascii", "replace").splitlines()
    fields = dict(line.split(" ", 1) for line in lines if " " in line)
    digest, length = fields.get("sha256", ""), fields.get("bytes", "")
    if len(digest) != 64 or not length.isdigit():
        return ("", -1)
    return digest, int(length)


def _superblock_end(data: bytes, at: int) -> int | None:
    """The file length the superblock at `at` promises (its end-of-file address), or None when unreadable."""
    version = data[at + 8] if len(data) > at + 8 else None
    if version in (0, 1):
        sizes_at, eof_index = at + 13, 2  # base, free-space and end-of-file addresses follow the fixed part
        fixed = 24 + (4 if version == 1 else 0)
    elif version in (2, 3):
        sizes_at, eof_index, fixed = at + 9, 2, 12
    else:
        return None
    offset_size = data[sizes_at] if len(data) > sizes_at else 0
    if offset_size not in (2, 4, 8):
        return None
    start = at + fixed + eof_index * offset_size
    if len(data) < start + offset_size:
        return None
    end = int.from_bytes(data[start : start + offset_size], "little")
    return None if end == (1 << (8 * offset_size)) - 1 else end


def check(data: bytes, source: str, what: str) -> None:
    """Raises `CorruptFileError` naming `source` unless `data` is an HDF5 file that parses safely."""
    at = find_signature(data)
    if at is None:
        raise CorruptFileError(
            f"Could not read {what} from '{source}': it is not an HDF5 file (no HDF5 signature; it starts with "
            f"{data[:8]!r}, {len(data)} bytes). It is truncated, corrupted, or in another format. "
            f"Received: filepath={source!r}"
        )
    sealed = _seal(data)
    if sealed is not None:
        digest, length = sealed
        body = data[USER_BLOCK:]
        if length != len(body) or hashlib.sha256(body).hexdigest() != digest:
            state = (
                f"its seal promises {length} bytes after the first {USER_BLOCK}, it holds {len(body)}"
                if length != len(body)
                else "its SHA-256 checksum does not match its content"
            )
            raise CorruptFileError(
                f"Could not read {what} from '{source}': the file is corrupted or truncated ({state}), so it is not "
                "the file jeras wrote. Restore it from a copy or save it again. If you changed it on purpose with "
                "another program, pass an open h5py.File to the loader instead of the path. "
                f"Received: filepath={source!r}"
            )
        return
    end = _superblock_end(data, at)
    if end is None:
        raise CorruptFileError(
            f"Could not read {what} from '{source}': its HDF5 superblock at byte {at} is damaged. "
            f"Received: filepath={source!r}"
        )
    if end > len(data):
        raise CorruptFileError(
            f"Could not read {what} from '{source}': the file is truncated (its HDF5 header promises {end} "
            f"bytes, the file has {len(data)}). Received: filepath={source!r}"
        )
    _parse_in_probe(data[at:], source, what)


def parse_time_limit(nbytes: int) -> float:
    """Seconds the probe may take to parse `nbytes` ($JERAS_HDF5_PARSE_TIMEOUT, default 10, plus 1 per 50 MB)."""
    try:
        base = float(os.environ.get(PARSE_TIMEOUT_ENV, _DEFAULT_PARSE_TIMEOUT))
    except ValueError:
        base = _DEFAULT_PARSE_TIMEOUT
    return base + nbytes / 50e6


def _parse_in_probe(image: bytes, source: str, what: str) -> None:
    limit = parse_time_limit(len(image))
    try:
        answer = hdf5_probe.parse(image, limit)
    except hdf5_probe.ProbeFailed as err:
        hint = (
            " (the HDF5 library loops forever on some damaged files), so the file is corrupted. To allow more time "
            f"for a very large file, set ${PARSE_TIMEOUT_ENV} (seconds)"
            if err.timed_out
            else ""
        )
        raise CorruptFileError(
            f"Could not read {what} from '{source}': {err}{hint}. Received: filepath={source!r}"
        ) from None
    if answer != "ok":
        raise CorruptFileError(
            f"Could not read {what} from '{source}': the file is truncated, corrupted, or not a file in the "
            f"expected layout ({answer}). Received: filepath={source!r}"
        )


def open_checked(data: bytes, source: str, what: str) -> h5py.File:
    """Checks `data` (see `check`) and opens it from memory, read-only; `source` names it in messages
    (the open file's `filename` is only a label)."""
    check(data, source, what)
    at = find_signature(data) or 0
    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    fapl.set_fapl_core(backing_store=False)
    fapl.set_file_image(data[at:])
    # A label, not a path: given an existing file's name, the core driver would look at that file.
    label = f"jeras-image-{os.getpid()}-{next(_names)}".encode()
    try:
        return h5py.File(h5py.h5f.open(label, h5py.h5f.ACC_RDONLY, fapl=fapl))
    except (OSError, RuntimeError, KeyError, ValueError) as err:
        raise CorruptFileError(
            f"Could not read {what} from '{source}': HDF5 cannot open it ({type(err).__name__}: {err}). "
            f"Received: filepath={source!r}"
        ) from err


def read_file(path: Any, what: str) -> bytes:
    """The bytes of a file, with an OSError naming it when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as err:
        raise type(err)(err.errno, f"Could not read {what} from '{os.fspath(path)}': {err.strerror}") from err
