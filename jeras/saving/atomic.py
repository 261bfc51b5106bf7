"""Atomic file replacement: a crash, even SIGKILL, never leaves a half-written file behind.

Every file jeras saves is first written to a temporary file in the target's directory, flushed
to disk (`fsync`), then renamed over the target with `os.replace`, which POSIX and Windows
perform atomically within one file system; the directory entry is then flushed too. A reader
therefore sees either the previous file or the new one, complete. Temporary files left by a
killed process are named `.<target name>.jeras-tmp-<pid>-<random>` and are removed by the
next save of the same target once that process no longer exists.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator

_MARK = ".jeras-tmp-"
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
ZIP_SIGNATURE = b"PK\x03\x04"


def _fsync_path(path: str, *, directory: bool = False) -> None:
    if directory and os.name != "posix":
        return  # Windows cannot open directories; its rename is durable on its own.
    fd = os.open(path, os.O_RDONLY if directory else os.O_RDWR)
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


def _remove_stale_temporaries(directory: str, base: str) -> None:
    """Deletes temporary files of `base` whose writing process has died (POSIX only: elsewhere
    `os.kill(pid, 0)` would not be a harmless probe)."""
    if os.name != "posix":
        return
    prefix = f".{base}{_MARK}"
    with contextlib.suppress(OSError):
        for name in os.listdir(directory):
            pid = name[len(prefix) :].split("-", 1)[0] if name.startswith(prefix) else ""
            if pid.isdigit() and not _process_exists(int(pid)):
                with contextlib.suppress(OSError):
                    os.remove(os.path.join(directory, name))


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[str]:
    """Yields a temporary path; when the block succeeds, the file written there replaces `target`.

    The parent directory is created when missing (as tf.keras does). If the block raises, the
    temporary file is removed and `target` is left untouched.

    Args:
        target: the final path of the file.

    Yields:
        The path to write, in the same directory as `target`.
    """
    target = os.path.abspath(os.fspath(target))
    directory, base = os.path.split(target)
    os.makedirs(directory, exist_ok=True)
    if os.path.isdir(target):
        raise IsADirectoryError(f"Cannot save to '{target}': it is a directory. Received: filepath={target!r}")
    _remove_stale_temporaries(directory, base)
    temporary = os.path.join(directory, f".{base}{_MARK}{os.getpid()}-{secrets.token_hex(4)}")
    try:
        yield temporary
        _fsync_path(temporary)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
    _fsync_path(directory, directory=True)


def write_bytes(target: str | os.PathLike, data: bytes) -> None:
    """Atomically replaces `target` with `data`."""
    with atomic_path(target) as temporary, open(temporary, "wb") as handle:
        handle.write(data)


def signature(path: str) -> bytes:
    """The first 8 bytes of a file (to tell HDF5 from zip archives regardless of the name)."""
    with open(path, "rb") as handle:
        return handle.read(8)
