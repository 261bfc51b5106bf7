"""Parsing HDF5 files jeras did not write in a separate process, under a time and memory limit.

The HDF5 library loops forever on some damaged files (inside a call no signal interrupts) and
crashes on others, so a file without jeras' seal (`jeras.saving.h5_image`) is first parsed
completely by a *probe* process: every link, every attribute of every object and every
dataset. Only a file the probe read without trouble is opened in the calling process. See
docs/architecture.md, "Files that cannot hang or crash a load".

The probe is started once and kept (a process costs a fraction of a second to start, a parse a
few milliseconds); it is replaced after it ran past its time limit, crashed, or served
`_RECYCLE_AFTER` files. It reads requests on its standard input (an 8-byte little-endian length,
then the file's bytes) and answers each on its standard output (a 4-byte length, then `ok` or
the error in UTF-8). It ends when the calling process closes the pipe (or dies). Run as a
script (`python -I hdf5_probe.py`), this module is the probe; it imports only h5py and NumPy.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading

# Files one probe process parses before it is replaced (HDF5 may leak on damaged input).
_RECYCLE_AFTER = 500
# Memory the probe may use beyond what it had when it started, plus 8 times the file's size.
_MEMORY_ALLOWANCE = 1 << 30


# ---------------------------------------------------------------------- the probe process
def _read_exact(stream, count: int) -> bytes | None:
    parts, left = [], count
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _limit_memory(extra: int) -> None:
    """Caps the probe's address space (Linux), so a damaged size cannot make HDF5 allocate without end."""
    try:
        import resource

        with open("/proc/self/statm") as handle:
            used = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        soft = used + _MEMORY_ALLOWANCE + extra
        resource.setrlimit(resource.RLIMIT_AS, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))
    except (ImportError, OSError, ValueError):
        pass


def probe(data: bytes) -> str:
    """Parses the HDF5 file image `data` completely; returns `"ok"` or what failed."""
    import h5py

    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    fapl.set_fapl_core(backing_store=False)
    fapl.set_file_image(data)
    limit = len(data) + (1 << 20)

    external = []

    def link(name, value):
        if isinstance(value, h5py.ExternalLink):
            external.append(f"'{name}' is a link to another file ({value.filename}), which jeras does not follow")

    def check(name, obj):
        for key in obj.attrs:
            obj.attrs[key]
        if isinstance(obj, h5py.Dataset):
            declared = obj.size * obj.dtype.itemsize
            if declared > limit:
                raise ValueError(
                    f"the dataset '{name}' declares {declared} bytes, more than the file holds ({len(data)})"
                )
            obj[()]

    try:
        with h5py.File(h5py.h5f.open(b"probe", h5py.h5f.ACC_RDONLY, fapl=fapl)) as root:
            root.visititems_links(link)
            if external:
                return external[0]
            check("/", root)
            root.visititems(check)
    except Exception as err:  # the answer names whatever HDF5 or h5py raised
        return f"{type(err).__name__}: {err}"[:2000]
    return "ok"


def serve(stdin, stdout) -> None:
    """The probe's loop: one request in, one answer out, until the input closes."""
    while True:
        head = _read_exact(stdin, 8)
        if head is None:
            return
        data = _read_exact(stdin, int.from_bytes(head, "little"))
        if data is None:
            return
        _limit_memory(8 * len(data))
        answer = probe(data).encode("utf8", "replace")
        stdout.write(len(answer).to_bytes(4, "little") + answer)
        stdout.flush()


# ---------------------------------------------------------------------- the calling side
class ProbeFailed(Exception):
    """The probe did not answer: it ran past its time limit (`timed_out`) or died (the reason is the message)."""

    def __init__(self, message: str, *, timed_out: bool):
        super().__init__(message)
        self.timed_out = timed_out


class Prober:
    """The kept probe process and the thread that reads its answers; `command` starts the probe
    (default: this module as a script)."""

    def __init__(self, command: list[str] | None = None) -> None:
        self._command = command or [sys.executable, "-I", os.path.abspath(__file__)]
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._answers: queue.Queue = queue.Queue()
        self._served = 0

    def forget(self) -> None:
        """In a forked child: the probe and its reader thread belong to the parent; start afresh."""
        self._lock = threading.Lock()
        self._process = None
        self._answers = queue.Queue()
        self._served = 0

    def _start(self) -> subprocess.Popen:
        process = subprocess.Popen(
            self._command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        answers: queue.Queue = queue.Queue()

        def read_answers() -> None:
            while True:
                head = _read_exact(process.stdout, 4)
                body = None if head is None else _read_exact(process.stdout, int.from_bytes(head, "little"))
                answers.put(None if body is None else body.decode("utf8", "replace"))
                if body is None:
                    return

        threading.Thread(target=read_answers, name="jeras-hdf5-probe", daemon=True).start()
        self._process, self._answers, self._served = process, answers, 0
        return process

    def _stop(self) -> int | None:
        process, self._process = self._process, None
        if process is None:
            return None
        if process.poll() is None:
            process.kill()
        code = process.wait()
        for stream in (process.stdin, process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        return code

    def parse(self, image: bytes, limit: float) -> str:
        """The probe's answer for `image` (`"ok"` or an error); raises `ProbeFailed` when there is none."""
        with self._lock:
            process = self._process if self._process is not None and self._process.poll() is None else None
            if process is None:
                self._stop()
                process = self._start()
            try:
                process.stdin.write(len(image).to_bytes(8, "little"))
                process.stdin.write(image)
                process.stdin.flush()
            except OSError:
                pass  # it died; the answer queue says how
            try:
                answer = self._answers.get(timeout=limit)
            except queue.Empty:
                self._stop()
                raise ProbeFailed(f"parsing it did not finish within {limit:.0f} s", timed_out=True) from None
            if answer is None:
                code = self._stop()
                how = f"signal {-code}" if code is not None and code < 0 else f"exit status {code}"
                raise ProbeFailed(f"the HDF5 library crashed on it ({how})", timed_out=False)
            self._served += 1
            if self._served >= _RECYCLE_AFTER:
                self._stop()
            return answer


_prober = Prober()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: _prober.forget())


def parse(image: bytes, limit: float) -> str:
    """Parses the HDF5 file image `image` in the probe process within `limit` seconds.

    Returns:
        `"ok"`, or the error the parse raised (`"OSError: ..."`).

    Raises:
        ProbeFailed: the parse ran past `limit` or crashed the probe (which is then replaced).
    """
    return _prober.parse(image, limit)


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
