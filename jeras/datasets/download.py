"""Downloading one file: a progress bar, retries of transient failures, checksum, atomic write.

The bytes go to a temporary file beside the destination (`.<name>.<pid>-<random>.part`) and are
renamed onto it only once they are complete and match the published checksum, so neither a
dropped connection nor a crash ever leaves a partial file under the destination's name; the
temporary files of a process that was killed are removed by the next download of the same file.
A server that accepts the connection but sends nothing fails after `timeout` seconds
(`$JERAS_DOWNLOAD_TIMEOUT`, default 20), without retries; the free space is checked against the
announced size before the body is read.

See docs/architecture.md, "Files that cannot hang or crash a load".
"""

from __future__ import annotations

import contextlib
import errno
import http.client
import os
import pathlib
import shutil
import socket
import tempfile
import time
import urllib.error
import urllib.request

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from jeras.datasets.checksums import CorruptFileError, new_hasher, resolve_hash_algorithm
from jeras.saving.atomic import remove_stale

# Server-side or rate-limit answers that often succeed when asked again.
_TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_CHUNK = 1 << 20
TIMEOUT_ENV = "JERAS_DOWNLOAD_TIMEOUT"
_DEFAULT_TIMEOUT = 20.0
# Indirection so tests can record the back-off instead of waiting for it.
_sleep = time.sleep


class DownloadError(OSError):
    """A file could not be downloaded (no network, refused, not found, or still failing after retries)."""


class _TransientError(Exception):
    """A failure worth another attempt (timeout, reset, dropped mid-file, 5xx)."""


def _is_transient(err: BaseException) -> bool:
    if isinstance(err, urllib.error.HTTPError):
        return err.code in _TRANSIENT_STATUS
    if isinstance(err, urllib.error.URLError):
        # Raised while connecting. A connect timeout is not retried: behind a firewall that drops
        # packets every attempt would wait out the whole timeout again.
        reason = err.reason
        return isinstance(reason, BaseException) and not isinstance(reason, TimeoutError) and _is_transient(reason)
    if isinstance(err, socket.gaierror | ConnectionRefusedError):
        # Name resolution failing or nothing listening: an offline machine answers this way at
        # once, and asking again would only delay the clear error.
        return False
    return isinstance(err, TimeoutError | ConnectionError | http.client.HTTPException)


def download(
    url: str,
    destination: str | os.PathLike,
    *,
    file_hash: str | None = None,
    hash_algorithm: str = "auto",
    retries: int = 3,
    backoff: float = 1.0,
    timeout: float | None = None,
    progress: bool = True,
) -> pathlib.Path:
    """Downloads `url` to `destination`, atomically, verifying the checksum when one is given.

    Args:
        url: the `http://`, `https://` or `file://` address.
        destination: the file to create or replace; its folder is created if needed.
        file_hash: the published hex digest, or `None` to skip verification. Defaults to `None`.
        hash_algorithm: `"md5"`, `"sha256"` or `"auto"` (from the digest's length). Defaults to `"auto"`.
        retries: further attempts after a transient failure (a reset, a connection dropped or silent
            mid-file, HTTP 408/429/5xx). Defaults to 3.
        backoff: seconds before the first retry, doubled for each later one. Defaults to 1.0.
        timeout: seconds a connection may stay silent before the attempt fails. A timeout while
            connecting or before the first byte of the file arrives is not retried, so a silent
            server fails after `timeout` seconds. Defaults to `None`: `$JERAS_DOWNLOAD_TIMEOUT`, else 20.
        progress: show a progress bar on stderr. Defaults to `True`.

    Returns:
        The destination path.

    Raises:
        DownloadError: the file could not be fetched (the message names the URL and the last failure).
        CorruptFileError: the downloaded bytes do not match `file_hash`; nothing is written.
    """
    if not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be a non-negative integer. Received: retries={retries!r}")
    timeout = _timeout(timeout)
    algorithm = resolve_hash_algorithm(file_hash, hash_algorithm) if file_hash is not None else None
    destination = pathlib.Path(destination)
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DownloadError(f"Cannot create the folder {destination.parent} for {destination.name}: {err}") from err
    remove_stale(destination.parent, f".{destination.name}.")
    attempt = 0
    while True:
        try:
            tmp, digest = _fetch_once(url, destination, algorithm, timeout=timeout, progress=progress)
            break
        except _TransientError as err:
            if attempt >= retries:
                raise DownloadError(f"Downloading {url} failed {attempt + 1} times; last failure: {err}") from err
            _sleep(backoff * 2**attempt)
            attempt += 1
    try:
        if algorithm is not None and digest != file_hash.lower():
            raise CorruptFileError(
                f"The file downloaded from {url} does not match its published {algorithm} checksum: expected "
                f"{file_hash.lower()}, received {digest}. It was not saved. The server may have sent an error page "
                "or another version of the file; try again later or get the file from another copy."
            )
        os.replace(tmp, destination)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return destination


def _timeout(timeout: float | None) -> float:
    if timeout is None:
        try:
            timeout = float(os.environ.get(TIMEOUT_ENV, _DEFAULT_TIMEOUT))
        except ValueError:
            raise ValueError(
                f"${TIMEOUT_ENV} must be a number of seconds. Received: {TIMEOUT_ENV}={os.environ[TIMEOUT_ENV]!r}"
            ) from None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds. Received: timeout={timeout!r}")
    return float(timeout)


def _check_space(destination: pathlib.Path, total: int | None, url: str) -> None:
    free = shutil.disk_usage(destination.parent).free
    if total is not None and free < total:
        raise DownloadError(
            errno.ENOSPC,
            f"Cannot download {url} to {destination}: it needs {total:,} bytes but only {free:,} are free on that "
            "file system. Free some space, or point the data_dir= argument or $JERAS_DATA_DIR elsewhere.",
        )


def _fetch_once(
    url: str, destination: pathlib.Path, algorithm: str | None, *, timeout: float, progress: bool
) -> tuple[str, str | None]:
    """One attempt: streams the body into a new temporary file beside `destination`.

    Returns the temporary file (the caller renames or removes it) and the digest of its bytes.
    """
    request = urllib.request.Request(url, headers={"User-Agent": "jeras-datasets"})
    hasher = new_hasher(algorithm) if algorithm is not None else None
    tmp = None
    complete = False
    received = 0
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            _check_space(destination, total, url)
            # A unique name, so two processes fetching the same file never write into one another; the
            # pid lets a later download remove what a killed process left.
            fd, tmp = tempfile.mkstemp(
                dir=destination.parent, prefix=f".{destination.name}.{os.getpid()}-", suffix=".part"
            )
            with os.fdopen(fd, "wb") as out, _progress_bar(progress, destination.name, url, total) as advance:
                while chunk := response.read1(_CHUNK):  # what has arrived, so a stall keeps the count
                    try:
                        out.write(chunk)
                    except OSError as err:
                        raise _write_failure(err, destination, url, total) from err
                    if hasher is not None:
                        hasher.update(chunk)
                    received += len(chunk)
                    advance(len(chunk))
            if total is not None and received != total:
                raise _TransientError(f"the connection closed after {received} of {total} bytes")
            complete = True
    except (_TransientError, DownloadError):
        raise
    except TimeoutError as err:
        if received:
            raise _TransientError(_describe(err)) from err
        raise DownloadError(
            f"Downloading {url} failed: the server sent nothing for {timeout:g} s (timeout={timeout:g}; pass "
            f"timeout= or set ${TIMEOUT_ENV} to wait longer)."
        ) from err
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as err:
        if _is_transient(err):
            raise _TransientError(_describe(err)) from err
        raise DownloadError(f"Downloading {url} failed: {_describe(err)}") from err
    finally:
        if not complete and tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    return tmp, hasher.hexdigest() if hasher is not None else None


def _write_failure(err: OSError, destination: pathlib.Path, url: str, total: int | None) -> DownloadError:
    need = f"{total:,} bytes" if total is not None else "more space"
    free = shutil.disk_usage(destination.parent).free
    return DownloadError(
        err.errno,
        f"Cannot download {url} to {destination}: writing failed ({err.strerror}); the file needs {need}, "
        f"{free:,} bytes are free. Nothing was saved under {destination.name}.",
    )


def _describe(err: BaseException) -> str:
    if isinstance(err, urllib.error.HTTPError):
        return f"HTTP {err.code} {err.reason}"
    if isinstance(err, urllib.error.URLError):
        return str(err.reason)
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


@contextlib.contextmanager
def _progress_bar(enabled: bool, name: str, url: str, total: int | None):
    if not enabled:
        yield lambda n: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    console = Console(stderr=True)
    console.print(f"Downloading data from {url}", highlight=False, soft_wrap=True)
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(name, total=total)
        yield lambda n: bar.advance(task, n)
