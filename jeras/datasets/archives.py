"""Reading members of tar archives, and extracting tar and zip archives safely and atomically.

Extraction refuses members that would land outside the target folder (absolute paths, `..`)
and anything but regular files and folders (links, devices), writes into a temporary folder
inside the target, and moves the files into place (merging with folders already there) only
when every member was read intact.
"""

from __future__ import annotations

import os
import pathlib
import posixpath
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Sequence


def read_members(path: str | os.PathLike, members: Sequence[str]) -> list[bytes]:
    """Returns the bytes of `members` (paths like `"cifar-10-batches-py/test_batch"`).

    Args:
        path: the `.tar.gz` archive, or a folder that holds the archive's contents extracted.
        members: the member paths, relative to the archive root.

    Returns:
        One `bytes` per member, in order.

    Raises:
        ValueError: the archive is not a readable tar.gz or lacks a member (the message lists them).
    """
    path = pathlib.Path(path)
    if path.is_dir():
        out = []
        for member in members:
            file = path / member
            if not file.is_file():
                raise ValueError(
                    f"{file} is missing: the extracted folder {path} must hold {list(members)}. "
                    "Extract the official archive there again, or remove the folder so the archive is used."
                )
            out.append(file.read_bytes())
        return out
    try:
        with tarfile.open(path, "r:*") as archive:
            out = []
            for member in members:
                try:
                    info = archive.getmember(member)
                except KeyError:
                    raise ValueError(
                        f"{path} lacks the member {member}: the archive must hold {list(members)}. It is not this "
                        "data set's archive, or it is incomplete; download it again or replace it."
                    ) from None
                handle = archive.extractfile(info) if info.isfile() else None
                if handle is None:
                    raise ValueError(f"{path}: the member {member} is not a regular file. Replace the archive.")
                out.append(handle.read())
            return out
    except ValueError:
        raise
    except (FileNotFoundError, PermissionError):
        raise
    except Exception as err:  # tarfile, gzip and zlib report damage with many exception types.
        raise ValueError(
            f"{path} is not a readable tar.gz archive ({type(err).__name__}: {err}). It is truncated or garbled: "
            "download it again or replace it."
        ) from err


def extract_archive(
    file_path: str | os.PathLike, path: str | os.PathLike = ".", archive_format: str | Sequence[str] | None = "auto"
) -> bool:
    """Extracts a tar (plain, gz, bz2, xz) or zip archive into `path`, as tf.keras's `extract_archive`.

    Args:
        file_path: the archive.
        path: the folder to extract into; created if needed. Defaults to `"."`.
        archive_format: `"tar"`, `"zip"`, a list of them, `"auto"` for `["tar", "zip"]`, or `None`
            for none. Defaults to `"auto"`.

    Returns:
        `True` when the file was one of the formats and was extracted, `False` when it was none of them.

    Raises:
        ValueError: `archive_format` is unknown, a member is unsafe, or the archive is damaged. Nothing
            is left half-extracted in `path`.
    """
    formats = _archive_formats(archive_format)
    file_path = os.fspath(file_path)
    target = pathlib.Path(path)
    for kind in formats:
        try:
            matches = tarfile.is_tarfile(file_path) if kind == "tar" else zipfile.is_zipfile(file_path)
        except (FileNotFoundError, PermissionError, IsADirectoryError):
            raise
        except Exception:  # a damaged file is simply not an archive of this kind.
            matches = False
        if not matches:
            continue
        members = _tar_members if kind == "tar" else _zip_members
        target.mkdir(parents=True, exist_ok=True)
        staging = pathlib.Path(tempfile.mkdtemp(dir=target, prefix=".extracting-"))
        try:
            try:
                for name, is_dir, read in members(file_path):
                    destination = staging.joinpath(*_safe_parts(name, file_path))
                    if is_dir:
                        destination.mkdir(parents=True, exist_ok=True)
                        continue
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    with read() as src, open(destination, "wb") as dst:
                        shutil.copyfileobj(src, dst)
            except ValueError:
                raise
            except Exception as err:  # tarfile/zipfile/zlib report damage with many types.
                raise ValueError(
                    f"{file_path} could not be extracted ({type(err).__name__}: {err}). It is truncated or garbled: "
                    "download it again or replace it."
                ) from err
            _merge(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return True
    return False


def _merge(source: pathlib.Path, target: pathlib.Path) -> None:
    """Moves every file of `source` to the same place under `target`, keeping files already there."""
    for entry in source.iterdir():
        final = target / entry.name
        if entry.is_dir():
            if final.exists() and not final.is_dir():
                final.unlink()
            final.mkdir(exist_ok=True)
            _merge(entry, final)
        else:
            if final.is_dir() and not final.is_symlink():
                shutil.rmtree(final)
            os.replace(entry, final)


def _archive_formats(archive_format) -> list[str]:
    if archive_format is None:
        return []
    if archive_format == "auto":
        return ["tar", "zip"]
    formats = [archive_format] if isinstance(archive_format, str) else list(archive_format)
    for kind in formats:
        if kind not in ("tar", "zip"):
            raise ValueError(
                f"archive_format must be 'auto', 'tar', 'zip', a list of those, or None. "
                f"Received: archive_format={archive_format!r}"
            )
    return formats


def _safe_parts(name: str, archive: str) -> list[str]:
    normalized = posixpath.normpath(name.replace("\\", "/"))
    parts = [part for part in normalized.split("/") if part not in ("", ".")]
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts or not parts:
        raise ValueError(
            f"{archive} holds the member {name!r}, which would be written outside the extraction folder. "
            "The archive is not safe to extract; get it from its official source."
        )
    return parts


def _tar_members(file_path: str):
    with tarfile.open(file_path, "r:*") as archive:
        for info in archive:
            if info.isdir():
                yield info.name, True, None
            elif info.isfile():
                yield info.name, False, lambda info=info: archive.extractfile(info)
            else:
                raise ValueError(
                    f"{file_path} holds {info.name!r}, which is a link or special file; only regular files and "
                    "folders are extracted. Get the archive from its official source."
                )


def _zip_members(file_path: str):
    with zipfile.ZipFile(file_path) as archive:
        for info in archive.infolist():
            if info.is_dir():
                yield info.filename, True, None
            else:
                yield info.filename, False, lambda info=info: archive.open(info)
