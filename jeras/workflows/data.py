"""The workflows' data: which data folder is used, and loading a set from it or from the bundled sample.

The data folder is `--data-dir` when given; else `$JERAS_DATA_DIR`; else `../shared/datasets`
beside a source checkout of jeras when that folder exists (as the examples do); else
`~/.jeras/datasets`. A set found there is used; a set that is missing is replaced by the real
sample bundled with jeras, except when the folder was named explicitly, where a missing set is
an error that says which files to put where. Nothing is downloaded unless asked for.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pathlib
import warnings
from collections.abc import Iterator
from typing import Any

from jeras.datasets import california_housing, fashion_mnist
from jeras.datasets.cache import DATA_DIR_ENV, DEFAULT_DATA_DIR, OFFLINE_ENV, SAMPLE_DIR
from jeras.workflows.errors import DataMissingError, WorkflowError

CHECKOUT_DATA_DIR = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
# What the workflows read, per set: the files that make it present, and the official size.
DATASETS = {
    "fashion_mnist": {
        "title": "Fashion-MNIST",
        "files": [[spec.name for spec in fashion_mnist.FILES]],
        "full_size": "60,000 training and 10,000 test images",
    },
    "california_housing": {
        "title": "California housing",
        "files": [[california_housing.ARCHIVE.name], [california_housing.CSV_NAME]],
        "full_size": "20,640 districts",
    },
}


@dataclasses.dataclass(frozen=True)
class DataFolder:
    """The data folder a run reads, and why it is that one.

    Attributes:
        path: the folder holding one sub-folder per data set.
        reason: where the choice came from (`--data-dir`, `$JERAS_DATA_DIR`, ...).
        explicit: the user named it, so a missing set is an error rather than a fall-back to the sample.
    """

    path: pathlib.Path
    reason: str
    explicit: bool


@dataclasses.dataclass(frozen=True)
class DataSource:
    """Where a run's data came from, as the report shows it.

    Attributes:
        dataset: the set's name, e.g. `"fashion_mnist"`.
        title: its display name.
        origin: `"data folder"` or `"bundled sample"`.
        location: the folder the files were read from.
        sizes: examples per split (`train`, `validation`, `test`) as used, after any `--max-rows` cut.
        available: examples per split before the cut.
        note: one sentence for the reader (how to get the full set, when the sample is used).
    """

    dataset: str
    title: str
    origin: str
    location: str
    sizes: dict[str, int]
    available: dict[str, int]
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def resolve_data_folder(data_dir: str | os.PathLike | None) -> DataFolder:
    """Picks the data folder: `data_dir`, else `$JERAS_DATA_DIR`, else the checkout's shared sets, else the default.

    Args:
        data_dir: the folder given with `--data-dir`, or None.

    Returns:
        The folder and the reason it was chosen.
    """
    if data_dir is not None:
        return DataFolder(pathlib.Path(os.path.expanduser(os.fspath(data_dir))), "--data-dir", True)
    if os.environ.get(DATA_DIR_ENV):
        return DataFolder(pathlib.Path(os.path.expanduser(os.environ[DATA_DIR_ENV])), f"${DATA_DIR_ENV}", False)
    if CHECKOUT_DATA_DIR.is_dir():
        return DataFolder(CHECKOUT_DATA_DIR, "the shared data beside this source checkout", False)
    return DataFolder(pathlib.Path(os.path.expanduser(DEFAULT_DATA_DIR)), "the default", False)


def present_datasets(folder: pathlib.Path) -> dict[str, bool]:
    """Tells, for each set the workflows read, whether its files are in `folder/<set>/`."""
    return {
        name: any(all((folder / name / f).is_file() for f in group) for group in spec["files"])
        for name, spec in DATASETS.items()
    }


def where_to_put(dataset: str, folder: pathlib.Path) -> str:
    """Which files of a set go where in the data folder, as one sentence."""
    spec = DATASETS[dataset]
    groups = " or ".join(", ".join(group) for group in spec["files"])
    return (
        f"Put {groups} in {folder / dataset}{os.sep} (the official files, {spec['full_size']}; a smaller subset "
        "in the same format works too)."
    )


def missing_message(dataset: str, folder: pathlib.Path) -> str:
    """The error for a set absent from an explicitly named data folder: which files to put where."""
    return (
        f"The data folder {folder} does not hold the {DATASETS[dataset]['title']} data set. "
        f"{where_to_put(dataset, folder)} Or leave out --data-dir to run on the real sample bundled with jeras."
    )


@contextlib.contextmanager
def _downloads(allowed: bool) -> Iterator[None]:
    """Forbids the loaders' downloads for the duration unless `allowed`."""
    previous = os.environ.get(OFFLINE_ENV)
    if not allowed:
        os.environ[OFFLINE_ENV] = "1"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(OFFLINE_ENV, None)
        else:
            os.environ[OFFLINE_ENV] = previous


def load(dataset: str, folder: DataFolder, *, download: bool = False, **kwargs: Any) -> tuple[Any, str, str]:
    """Loads a set with its jeras loader from the data folder, or else from the bundled sample.

    Args:
        dataset: `"fashion_mnist"` or `"california_housing"`.
        folder: the data folder.
        download: let the loader download a missing set. Default False.
        **kwargs: passed to the loader's `load_data`.

    Returns:
        `(data, origin, location)`: what `load_data` returns, `"data folder"` or `"bundled sample"`,
        and the folder read.

    Raises:
        DataMissingError: the set is missing from an explicitly named folder.
        WorkflowError: its files are there but cannot be read.
    """
    module = {"fashion_mnist": fashion_mnist, "california_housing": california_housing}[dataset]
    try:
        with _downloads(download):
            try:
                data = module.load_data(data_dir=folder.path, sample_fallback=False, **kwargs)
                return data, "data folder", str(folder.path / dataset)
            except FileNotFoundError:
                if folder.explicit:
                    raise DataMissingError(missing_message(dataset, folder.path)) from None
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                data = module.load_data(data_dir=folder.path, sample_fallback=True, **kwargs)
            return data, "bundled sample", str(SAMPLE_DIR / dataset)
    except ValueError as err:
        raise WorkflowError(f"The {DATASETS[dataset]['title']} files cannot be read: {err}") from None


def cut(arrays: dict[str, Any], max_rows: int | None) -> dict[str, Any]:
    """Keeps at most `max_rows` examples of each split (each value an array or a list of arrays)."""
    if max_rows is None:
        return arrays
    return {
        key: [a[:max_rows] for a in value] if isinstance(value, list | tuple) else value[:max_rows]
        for key, value in arrays.items()
    }
