"""Where data set files live, and getting them there: offline first, verified, downloaded only when missing.

Every data set keeps its files under `<data dir>/<data set name>/` with their official names. The
data dir is the `data_dir` argument of a loader, else the `JERAS_DATA_DIR` environment variable,
else `~/.jeras/datasets`. Files found there are used without any network access. A file that has
its official size but not its published checksum is reported as corrupt; a file of another size is
taken as a local variant (a subset, a re-packed copy) and only checked for structure by the parser.
Missing files are downloaded from their canonical locations unless `JERAS_OFFLINE` is set.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import warnings
from collections.abc import Sequence

from jeras.datasets import download as _download
from jeras.datasets.checksums import CorruptFileError, file_digest, resolve_hash_algorithm

DATA_DIR_ENV = "JERAS_DATA_DIR"
OFFLINE_ENV = "JERAS_OFFLINE"
DEFAULT_DATA_DIR = "~/.jeras/datasets"
SAMPLE_DIR = pathlib.Path(__file__).resolve().parent / "sample"


class DatasetNotFoundError(FileNotFoundError):
    """A data set's files are neither on disk nor downloadable; the message says which files to put where.

    Attributes:
        dataset: the data set's name.
        folder: the folder its files belong in.
        missing: the names of the files that are not there.
        reason: why they could not be downloaded.
    """

    def __init__(
        self,
        message: str,
        *,
        dataset: str = "",
        folder: pathlib.Path | None = None,
        missing: Sequence[str] = (),
        reason: str = "",
    ):
        super().__init__(message)
        self.dataset = dataset
        self.folder = folder
        self.missing = list(missing)
        self.reason = reason

    def __str__(self) -> str:
        return self.args[0]


class SampleDataWarning(UserWarning):
    """A loader returned the small sample bundled with jeras because the full data set could not be had."""


@dataclasses.dataclass(frozen=True)
class RemoteFile:
    """One official file of a data set.

    Attributes:
        name: the official file name.
        origins: canonical download addresses, tried in order.
        file_hash: the published hex digest (md5 or sha256, told apart by length).
        size: the official size in bytes, or `None` where it is not published.
    """

    name: str
    origins: tuple[str, ...]
    file_hash: str
    size: int | None = None

    def __post_init__(self):
        resolve_hash_algorithm(self.file_hash)

    def renamed(self, path: str | os.PathLike) -> RemoteFile:
        """Returns this file stored under another name (or absolute path), as a loader's `path=` asks.

        Raises:
            TypeError: `path` is not a string or path.
        """
        if not isinstance(path, str | os.PathLike):
            raise TypeError(f"path must be a file name or path. Received: path={path!r}")
        path = os.fspath(path)
        return self if path == self.name else dataclasses.replace(self, name=path)


def get_data_dir(data_dir: str | os.PathLike | None = None) -> pathlib.Path:
    """Returns the folder that holds one sub-folder per data set.

    Args:
        data_dir: an explicit folder. Defaults to `None`: `$JERAS_DATA_DIR`, else `~/.jeras/datasets`.

    Returns:
        The folder, with `~` expanded (it need not exist).
    """
    if data_dir is None:
        data_dir = os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR
    elif not isinstance(data_dir, str | os.PathLike):
        raise TypeError(f"data_dir must be a path or None. Received: data_dir={data_dir!r}")
    return pathlib.Path(os.path.expanduser(os.fspath(data_dir)))


def is_offline() -> bool:
    """Tells whether `JERAS_OFFLINE` forbids downloads (any value but empty, `0`, `false`, `no`)."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def check_local_file(path: pathlib.Path, spec: RemoteFile) -> None:
    """Raises `CorruptFileError` when `path` has the official size of `spec` but not its checksum.

    A file of any other size is left to the parser's structural checks.
    """
    if spec.size is None or path.stat().st_size != spec.size:
        return
    algorithm = resolve_hash_algorithm(spec.file_hash)
    digest = file_digest(path, algorithm)
    if digest != spec.file_hash.lower():
        raise CorruptFileError(
            f"{path} is corrupt: it has the official size of {spec.name} ({spec.size} bytes) but its {algorithm} "
            f"checksum is {digest}, not the published {spec.file_hash.lower()}. Delete it so that it is "
            f"downloaded again (from {spec.origins[0]}), or replace it with an intact copy."
        )


def ensure_files(
    dataset: str,
    files: Sequence[RemoteFile],
    *,
    data_dir: str | os.PathLike | None = None,
    also_accepted: str = "",
    progress: bool = True,
) -> list[pathlib.Path]:
    """Returns local paths to a data set's files, downloading (and verifying) those that are missing.

    Args:
        dataset: the data set's folder name under the data dir, e.g. `"fashion_mnist"`.
        files: the files it needs. A `name` that is an absolute path is used as is.
        data_dir: the data dir. Defaults to `None` (see `get_data_dir`).
        also_accepted: a sentence naming other accepted local layouts, added to the not-found message.
            Defaults to `""`.
        progress: show download progress bars. Defaults to `True`.

    Returns:
        One path per entry of `files`, in order.

    Raises:
        CorruptFileError: a local file has its official size but the wrong checksum.
        DatasetNotFoundError: files are missing and could not be downloaded; the message lists them.
    """
    folder = get_data_dir(data_dir) / dataset
    paths = [folder / spec.name for spec in files]
    missing = []
    for path, spec in zip(paths, files):
        if path.is_file():
            check_local_file(path, spec)
        else:
            missing.append((path, spec))
    if not missing:
        return paths
    failures = []
    if is_offline():
        failures.append(f"{OFFLINE_ENV} is set, so nothing was downloaded")
    else:
        for path, spec in missing:
            failure = _download_from_origins(path, spec, progress=progress)
            if failure:
                failures.append(failure)
                break
    if failures:
        raise DatasetNotFoundError(
            _not_found_message(dataset, folder, files, missing, failures[0], also_accepted),
            dataset=dataset,
            folder=folder,
            missing=[spec.name for _, spec in missing],
            reason=failures[0],
        )
    return paths


def _download_from_origins(path: pathlib.Path, spec: RemoteFile, *, progress: bool) -> str:
    """Tries each origin in turn; returns "" on success, else why every origin failed."""
    reasons = []
    for origin in spec.origins:
        try:
            _download.download(origin, path, file_hash=spec.file_hash, progress=progress)
            return ""
        except (_download.DownloadError, CorruptFileError) as err:
            reasons.append(str(err))
    return "; ".join(reasons)


def _not_found_message(dataset, folder, files, missing, reason, also_accepted) -> str:
    absent = ", ".join(spec.name for _, spec in missing)
    lines = [
        f"The {dataset} data set is not available: {absent} {'is' if len(missing) == 1 else 'are'} not in {folder} "
        "and could not be downloaded.",
        f"Reason: {reason}",
        f"Put {'this file' if len(files) == 1 else 'these files'}, under exactly these names, in {folder}{os.sep}:",
    ]
    for spec in files:
        size = f", {spec.size:,} bytes" if spec.size else ""
        state = "missing" if any(spec is s for _, s in missing) else "present"
        lines.append(f"  {spec.name}  ({state}{size}; official copy: {spec.origins[0]})")
    if also_accepted:
        lines.append(also_accepted)
    lines.append(
        f"Or point the data_dir= argument or ${DATA_DIR_ENV} at a folder that holds {dataset}{os.sep} with these files."
    )
    return "\n".join(lines)


def warn_sample_in_use(error: DatasetNotFoundError, sample_size: str, full_size: str) -> None:
    """Warns, in one line, that the bundled sample replaces the full data set, and how to get the full set."""
    reason = error.reason if len(error.reason) <= 120 else error.reason[:117] + "..."
    warnings.warn(
        f"{error.dataset}: the full data set is not in {error.folder} and could not be downloaded ({reason}), so "
        f"the sample bundled with jeras is used: {sample_size} instead of {full_size}. For the full set, go online "
        f"or put {', '.join(error.missing)} in {error.folder}{os.sep}.",
        SampleDataWarning,
        stacklevel=3,
    )
