"""Atomic file replacement: a crash, even SIGKILL, or a full disk never leaves a half-written file behind.

Every file jeras saves is first serialized to memory, then written with plain Python I/O to a
temporary file in the target's directory, flushed to disk (`fsync`), and renamed over the
target with `os.replace`, which POSIX and Windows perform atomically within one file system;
the directory entry is then flushed too. A reader therefore sees either the previous file or
the new one, complete. Before writing, the free space is checked, so a full disk, a read-only
or missing folder gives an `OSError` naming the target (and the space needed) and the previous
file stays as it was. Temporary files left by a killed process are named
`.<target name>.jeras-tmp-<pid>-<random>` and are removed by the next save of the same target
once that process no longer exists.

See docs/architecture.md, "Files that cannot hang or crash a load".
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
from collections.abc import Sequence

MARK = ".jeras-tmp-"
_CHUNK = 1 << 24


class NotEnoughSpaceError(OSError):
    """The file system has less free space than the file to be written needs (errno ENOSPC)."""


def format_size(nbytes: int) -> str:
    """`1.5 MB`-style text for a byte count."""
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if nbytes < 1000 or unit == "TB":
            return f"{nbytes} {unit}" if unit == "bytes" else f"{nbytes:.1f} {unit}"
        nbytes /= 1000
    return str(nbytes)


def _fsync_directory(path: str) -> None:
    if os.name != "posix":
        return  # Windows cannot open directories; its rename is durable on its own.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _process_exists(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def remove_stale(directory: str | os.PathLike, prefix: str) -> None:
    """Deletes files `<prefix><pid>-...` in `directory` whose writing process has died (POSIX only:
    elsewhere `os.kill(pid, 0)` would not be a harmless probe)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        for name in os.listdir(directory):
            pid = name[len(prefix) :].split("-", 1)[0].split(".", 1)[0] if name.startswith(prefix) else ""
            if pid.isdigit() and not _process_exists(int(pid)):
                with contextlib.suppress(OSError):
                    os.remove(os.path.join(directory, name))


def _failure(err: OSError, target: str, message: str) -> OSError:
    """An OSError of `err`'s kind (OSError picks PermissionError, ... from the errno) naming `target`."""
    out = OSError(err.errno, f"Cannot save '{target}': {message}")
    out.filename = target
    return out


def check_writable(target: str, argument: str = "filepath", received: str | None = None) -> None:
    """Raises an OSError naming `target` when no file could be written there; creates nothing.

    The nearest existing folder above `target` must be a writable directory (not a file), and
    `target` itself must not be a directory. Messages end with `Received: <argument>=<received>`
    (default: `target`).
    """
    received = target if received is None else received
    if os.path.isdir(target):
        raise IsADirectoryError(
            errno.EISDIR, f"Cannot save to '{target}': it is a directory. Received: {argument}={received!r}"
        )
    ancestor = os.path.dirname(os.path.abspath(target))
    while not os.path.exists(ancestor) and os.path.dirname(ancestor) != ancestor:
        ancestor = os.path.dirname(ancestor)
    if not os.path.isdir(ancestor):
        raise NotADirectoryError(
            errno.ENOTDIR,
            f"Cannot save '{target}': '{ancestor}' is a file, so no folder can be created under it. "
            f"Choose another path. Received: {argument}={received!r}",
        )
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise PermissionError(
            errno.EACCES,
            f"Cannot save '{target}': the folder '{ancestor}' is not writable. Received: {argument}={received!r}",
        )


def prepare_directory(target: str, argument: str = "filepath", received: str | None = None) -> str:
    """Checks `target` (see `check_writable`), creates its folder when missing (as tf.keras does) and returns it."""
    check_writable(target, argument, received)
    directory = os.path.dirname(target)
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as err:
        raise _failure(err, target, f"its folder '{directory}' cannot be created ({err.strerror}).") from err
    return directory


def write_bytes(target: str | os.PathLike, data: bytes | Sequence[bytes]) -> None:
    """Atomically replaces `target` with `data` (bytes, or a sequence of parts written in order).

    Raises:
        NotEnoughSpaceError: the file system has less free space than `data` needs; nothing is written.
        OSError: the folder cannot be created or written (the message names `target`); the
            previous file is unchanged.
    """
    target = os.path.abspath(os.fspath(target))
    parts = [data] if isinstance(data, (bytes, bytearray, memoryview)) else list(data)
    size = sum(len(part) for part in parts)
    directory = prepare_directory(target)
    base = os.path.basename(target)
    remove_stale(directory, f".{base}{MARK}")
    free = shutil.disk_usage(directory).free
    if free < size:
        raise NotEnoughSpaceError(
            errno.ENOSPC,
            f"Cannot save '{target}': it needs {format_size(size)} but only {format_size(free)} are free on the "
            f"file system of '{directory}'. Free {format_size(size - free)} or more, or save elsewhere; the "
            "previous file, if any, is unchanged.",
        )
    temporary = os.path.join(directory, f".{base}{MARK}{os.getpid()}-{secrets.token_hex(4)}")
    try:
        with open(temporary, "wb") as handle:
            for part in parts:
                view = memoryview(part)
                for start in range(0, len(view), _CHUNK):
                    handle.write(view[start : start + _CHUNK])
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        if not isinstance(err, OSError):
            raise
        if err.errno in (errno.ENOSPC, errno.EDQUOT):
            free = shutil.disk_usage(directory).free
            raise NotEnoughSpaceError(
                err.errno,
                f"Cannot save '{target}': the file system of '{directory}' filled up while writing "
                f"{format_size(size)} ({format_size(free)} free now). Free space or save elsewhere; the previous "
                "file, if any, is unchanged.",
            ) from err
        raise _failure(err, target, f"{err.strerror}. The previous file, if any, is unchanged.") from err
    _fsync_directory(directory)
