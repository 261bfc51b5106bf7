"""`get_file`: tf.keras's download-and-cache helper, on jeras's verified, atomic downloads."""

from __future__ import annotations

import os
import pathlib
import tempfile
import urllib.parse
import warnings
from collections.abc import Sequence

from jeras.datasets import download as _download
from jeras.datasets.archives import extract_archive
from jeras.datasets.cache import get_data_dir, is_offline
from jeras.datasets.checksums import resolve_hash_algorithm, validate_file

DEFAULT_CACHE_DIR = "~/.jeras"


def get_file(
    fname: str | None = None,
    origin: str | None = None,
    untar: bool = False,
    md5_hash: str | None = None,
    file_hash: str | None = None,
    cache_subdir: str = "datasets",
    hash_algorithm: str = "auto",
    extract: bool = False,
    archive_format: str | Sequence[str] | None = "auto",
    cache_dir: str | os.PathLike | None = None,
    *,
    force_download: bool = False,
    progress: bool = True,
) -> str:
    """Downloads a file from `origin` unless it is already cached, as `tf.keras.utils.get_file` does.

    The file is stored as `<cache_dir>/<cache_subdir>/<fname>`. With the default `cache_dir` and
    `cache_subdir="datasets"` that folder is the jeras data dir (`$JERAS_DATA_DIR`, else
    `~/.jeras/datasets`); other subdirs go under `~/.jeras` (or a temporary folder if it is not
    writable). A cached file is used without network access unless `file_hash` is given and does
    not match, in which case it is downloaded again. Downloads show a progress bar, retry
    transient failures, are verified against `file_hash`, and are written atomically.

    Args:
        fname: the file name (or an absolute path, which ignores the cache folders). Defaults to
            `None`: the last part of `origin`'s path.
        origin: the URL to download from.
        untar: deprecated; download `fname + ".tar.gz"`, extract it next to it and return the
            path without the extension. Defaults to `False`.
        md5_hash: deprecated; an md5 digest, as `file_hash` with `hash_algorithm="md5"`. Defaults to `None`.
        file_hash: the expected hex digest (sha256 or md5). Defaults to `None` (not verified).
        cache_subdir: the sub-folder of `cache_dir`. Defaults to `"datasets"`.
        hash_algorithm: `"md5"`, `"sha256"` or `"auto"` (from the digest's length). Defaults to `"auto"`.
        extract: extract the file (tar or zip) into its folder. Defaults to `False`.
        archive_format: formats tried by `extract`: `"auto"` (tar then zip), `"tar"`, `"zip"`, a list,
            or `None`. Defaults to `"auto"`.
        cache_dir: the base folder. Defaults to `None` (see above).
        force_download: download even when the file is cached. Defaults to `False`.
        progress: show a progress bar while downloading. Defaults to `True`.

    Returns:
        The path of the downloaded (or cached) file; with `untar`, of the extracted folder.

    Raises:
        ValueError: a bad argument, or the download does not match `file_hash` (then nothing is saved).
        DownloadError: the file is not cached and could not be downloaded.

    Example:

    >>> path = keras.utils.get_file(origin="https://example.com/data.csv")  # doctest: +SKIP
    """
    if origin is None:
        raise ValueError(
            'origin is required: the URL of the file, e.g. "https://example.com/data.csv". Received: origin=None'
        )
    if not isinstance(origin, str) or urllib.parse.urlsplit(origin).scheme not in ("http", "https", "file", "ftp"):
        raise ValueError(f"origin must be an http(s), ftp or file URL. Received: origin={origin!r}")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    if file_hash is not None:
        hash_algorithm = resolve_hash_algorithm(file_hash, hash_algorithm)
    if fname is None:
        fname = _url_file_name(origin)
        if not fname:
            raise ValueError(f"fname is needed: the origin's path has no file name. Received: origin={origin!r}")
    if not isinstance(fname, str | os.PathLike):
        raise TypeError(f"fname must be a file name or path. Received: fname={fname!r}")
    folder = _cache_folder(cache_dir, cache_subdir)
    target = folder / os.fspath(fname)
    untar_path = None
    if untar:
        untar_path = target
        target = target.with_name(target.name + ".tar.gz")

    download = force_download or not target.exists()
    if not download and file_hash is not None and not validate_file(target, file_hash, hash_algorithm):
        warnings.warn(
            f"{target} does not match the expected {hash_algorithm} checksum {file_hash}: it is corrupted or "
            "outdated, so it is downloaded again.",
            stacklevel=2,
        )
        download = True
    if download:
        if is_offline():
            raise _download.DownloadError(f"{target} is not cached and JERAS_OFFLINE forbids downloading {origin}.")
        _download.download(origin, target, file_hash=file_hash, hash_algorithm=hash_algorithm, progress=progress)

    if untar_path is not None:
        if not untar_path.exists():
            extract_archive(target, target.parent, archive_format="tar")
        return str(untar_path)
    if extract:
        extract_archive(target, target.parent, archive_format=archive_format)
    return str(target)


def _url_file_name(url: str) -> str:
    """Returns the last part of a URL's path (`"https://host/a/b.tgz?x=1"` -> `"b.tgz"`)."""
    return urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])


def _cache_folder(cache_dir: str | os.PathLike | None, cache_subdir: str) -> pathlib.Path:
    if not isinstance(cache_subdir, str | os.PathLike):
        raise TypeError(f"cache_subdir must be a folder name. Received: cache_subdir={cache_subdir!r}")
    if cache_dir is not None:
        return pathlib.Path(os.path.expanduser(os.fspath(cache_dir))) / cache_subdir
    folder = (
        get_data_dir()
        if cache_subdir == "datasets"
        else pathlib.Path(os.path.expanduser(DEFAULT_CACHE_DIR)) / cache_subdir
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        writable = os.access(folder, os.W_OK)
    except OSError:
        writable = False
    if writable:
        return folder
    # As tf.keras: an unwritable home falls back to the temporary folder.
    return pathlib.Path(tempfile.gettempdir()) / ".jeras" / cache_subdir
