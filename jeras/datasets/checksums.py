"""File checksums: choosing the algorithm from a published digest, hashing files, reporting corruption."""

from __future__ import annotations

import hashlib
import os
import string

_ALGORITHMS = ("md5", "sha256")
_HEX = frozenset(string.hexdigits)


class CorruptFileError(ValueError):
    """A file's checksum differs from the published one: it is damaged or not the official file."""


def resolve_hash_algorithm(file_hash: str, hash_algorithm: str = "auto") -> str:
    """Returns the algorithm that produced `file_hash`.

    Args:
        file_hash: a published hex digest (32 characters for md5, 64 for sha256).
        hash_algorithm: `"md5"`, `"sha256"`, or `"auto"` to decide from the digest's length as tf.keras
            does (64 characters means sha256, anything else md5). Defaults to `"auto"`.

    Returns:
        `"md5"` or `"sha256"`.

    Raises:
        TypeError: `file_hash` is not a string.
        ValueError: `hash_algorithm` is unknown, or `file_hash` is not a hex digest of that algorithm's length.
    """
    if not isinstance(file_hash, str):
        raise TypeError(f"file_hash must be a hex digest string. Received: file_hash={file_hash!r}")
    if hash_algorithm not in ("auto", *_ALGORITHMS):
        raise ValueError(
            f"hash_algorithm must be one of 'auto', 'md5', 'sha256'. Received: hash_algorithm={hash_algorithm!r}"
        )
    algorithm = hash_algorithm
    if algorithm == "auto":
        algorithm = "sha256" if len(file_hash) == 64 else "md5"
    length = 64 if algorithm == "sha256" else 32
    if len(file_hash) != length or not set(file_hash) <= _HEX:
        raise ValueError(
            f"file_hash must be a {length}-character hex {algorithm} digest. Received: file_hash={file_hash!r}"
        )
    return algorithm


def new_hasher(algorithm: str):
    """Returns a fresh `hashlib` object for `"md5"` or `"sha256"`."""
    if algorithm == "md5":
        # md5 only identifies published files here; it protects nothing.
        return hashlib.md5(usedforsecurity=False)
    return hashlib.sha256()


def file_digest(path: str | os.PathLike, algorithm: str = "sha256", *, chunk_size: int = 1 << 20) -> str:
    """Returns the hex digest of a file.

    Args:
        path: the file.
        algorithm: `"md5"` or `"sha256"`. Defaults to `"sha256"`.
        chunk_size: bytes read at a time. Defaults to 1 MiB.

    Returns:
        The lowercase hex digest.
    """
    if algorithm not in _ALGORITHMS:
        raise ValueError(f"algorithm must be 'md5' or 'sha256'. Received: algorithm={algorithm!r}")
    hasher = new_hasher(algorithm)
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(path: str | os.PathLike, file_hash: str, hash_algorithm: str = "auto") -> bool:
    """Tells whether a file's digest equals `file_hash` (the algorithm chosen as in `resolve_hash_algorithm`).

    Args:
        path: the file.
        file_hash: the expected hex digest.
        hash_algorithm: `"md5"`, `"sha256"` or `"auto"`. Defaults to `"auto"`.

    Returns:
        `True` when the digests are equal.
    """
    algorithm = resolve_hash_algorithm(file_hash, hash_algorithm)
    return file_digest(path, algorithm) == file_hash.lower()
