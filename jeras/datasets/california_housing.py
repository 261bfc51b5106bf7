"""California housing: 20,640 census block groups of 1990, 8 features, median house value in $100,000.

Features, in order: MedInc (median income, in $10,000), HouseAge (median house age), AveRooms and
AveBedrms (rooms and bedrooms per household), Population, AveOccup (people per household),
Latitude, Longitude. Source: Pace and Barry (1997), via StatLib.
"""

from __future__ import annotations

import csv
import io
import math
import os

import numpy as np

from jeras.datasets.archives import read_members
from jeras.datasets.cache import (
    SAMPLE_DIR,
    DatasetNotFoundError,
    RemoteFile,
    ensure_files,
    get_data_dir,
    warn_sample_in_use,
)
from jeras.datasets.split import shuffle_split

# The canonical archive (as fetched by scikit-learn; checksum published there), then its origin.
ARCHIVE = RemoteFile(
    "cal_housing.tgz",
    ("https://ndownloader.figshare.com/files/5976036", "https://www.dcc.fc.up.pt/~ltorgo/Regression/cal_housing.tgz"),
    "aaa5c9a6afe2225cc2aed2723682ae403280c4a3695a2ddda4ffb5d8215ea681",
)
ARCHIVE_MEMBER = "CaliforniaHousing/cal_housing.data"
CSV_NAME = "housing.csv"
# The census columns, in the order of both cal_housing.data and housing.csv.
RAW_COLUMNS = (
    "longitude",
    "latitude",
    "housing_median_age",
    "total_rooms",
    "total_bedrooms",
    "population",
    "households",
    "median_income",
    "median_house_value",
)
FEATURE_NAMES = ("MedInc", "HouseAge", "AveRooms", "AveBedrms", "Population", "AveOccup", "Latitude", "Longitude")
SAMPLE_SIZE = "4,000 districts"


def load_data(
    test_split: float = 0.2,
    seed: int = 113,
    *,
    data_dir: str | os.PathLike | None = None,
    sample_fallback: bool = True,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads California housing with the 8 standard features and the target in units of $100,000.

    Reads `<data dir>/california_housing/cal_housing.tgz` (the canonical archive, 20,640 districts)
    or, when only that is there, `housing.csv` (the widely used CSV layout with a header row and an
    `ocean_proximity` column; its 207 districts without `total_bedrooms` are left out, as AveBedrms
    cannot be computed for them). When neither is there, the archive is downloaded; when that
    fails too, the real sample bundled with jeras (4,000 districts of housing.csv) is returned, with
    a `SampleDataWarning` that says so.

    Args:
        test_split: the fraction of districts held out for testing, in `[0, 1)`. Defaults to 0.2.
        seed: the seed of the shuffle before splitting (as tf.keras's Boston loader). Defaults to 113.
        data_dir: the data dir. Defaults to `None`: `$JERAS_DATA_DIR`, else `~/.jeras/datasets`.
        sample_fallback: return the bundled sample when the full set cannot be had, instead of
            raising `DatasetNotFoundError`. Defaults to `True`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: float32 features of shape `(n, 8)` in the order of
        `FEATURE_NAMES`, and float32 targets of shape `(n,)`.

    Raises:
        DatasetNotFoundError: nothing can be had and `sample_fallback` is `False`.
        ValueError: a file is truncated or garbled (the message names the file and line).

    Example:

    >>> (x_train, y_train), (x_test, y_test) = keras.datasets.california_housing.load_data()  # doctest: +SKIP
    """
    folder = get_data_dir(data_dir) / "california_housing"
    if not (folder / ARCHIVE.name).is_file() and (folder / CSV_NAME).is_file():
        raw = read_housing_csv(folder / CSV_NAME)
    else:
        try:
            (archive,) = ensure_files(
                "california_housing",
                [ARCHIVE],
                data_dir=data_dir,
                also_accepted=f"Also accepted instead of the archive: {folder / CSV_NAME} (with a header row naming "
                f"the columns {', '.join(RAW_COLUMNS)}).",
            )
            raw = read_cal_housing_archive(archive)
        except DatasetNotFoundError as err:
            if not sample_fallback:
                raise
            warn_sample_in_use(err, SAMPLE_SIZE, "20,640")
            raw = read_housing_csv(SAMPLE_DIR / "california_housing" / CSV_NAME)
    x, y = to_features(raw)
    return shuffle_split(x, y, test_split=test_split, seed=seed)


def to_features(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Derives the 8 standard features and the target (in $100,000) from the 9 census columns.

    Args:
        raw: float array of shape `(n, 9)`, columns in the order of `RAW_COLUMNS`.

    Returns:
        `(x, y)`: float32 arrays of shapes `(n, 8)` and `(n,)`.
    """
    col = {name: raw[:, i] for i, name in enumerate(RAW_COLUMNS)}
    households = col["households"]
    x = np.stack(
        [
            col["median_income"],
            col["housing_median_age"],
            col["total_rooms"] / households,
            col["total_bedrooms"] / households,
            col["population"],
            col["population"] / households,
            col["latitude"],
            col["longitude"],
        ],
        axis=1,
    )
    return x.astype(np.float32), (col["median_house_value"] / 100_000.0).astype(np.float32)


def read_housing_csv(path: str | os.PathLike) -> np.ndarray:
    """Reads `housing.csv` (header row required) into the 9 census columns; see `parse_rows`."""
    with open(path, "rb") as f:
        return parse_rows(f.read(), source=os.fspath(path), header=True)


def read_cal_housing_archive(path: str | os.PathLike) -> np.ndarray:
    """Reads `CaliforniaHousing/cal_housing.data` from the canonical `cal_housing.tgz`; see `parse_rows`."""
    (raw,) = read_members(path, [ARCHIVE_MEMBER])
    return parse_rows(raw, source=f"{os.fspath(path)}:{ARCHIVE_MEMBER}", header=False)


def parse_rows(raw: bytes, *, source: str, header: bool) -> np.ndarray:
    """Parses comma-separated census rows into a float64 array of shape `(n, 9)` (columns of `RAW_COLUMNS`).

    Args:
        raw: the file contents (UTF-8 text).
        source: the file name used in error messages.
        header: `True` for a CSV whose first row names the columns (any order, extra columns
            ignored); `False` for headerless rows of exactly the 9 columns in order.

    Returns:
        The rows. Rows whose `total_bedrooms` is empty are left out; every other value must be a
        finite number, and `households` positive.

    Raises:
        ValueError: naming the file, line and column of the first bad value, or the missing columns.
    """
    try:
        text = raw.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
    except (UnicodeDecodeError, csv.Error) as err:
        raise ValueError(f"{source} is not a readable CSV text file ({err}). Download it again or replace it.") from err
    first_line = 1
    if header:
        if not rows:
            raise ValueError(f"{source} is empty: it needs a header row naming {', '.join(RAW_COLUMNS)}.")
        names = [name.strip() for name in rows[0]]
        absent = [name for name in RAW_COLUMNS if name not in names]
        if absent:
            raise ValueError(
                f"{source} lacks the columns {absent}: its header must name {', '.join(RAW_COLUMNS)}. "
                f"Received header: {', '.join(names)}"
            )
        index = [names.index(name) for name in RAW_COLUMNS]
        width = len(names)
        rows = rows[1:]
        first_line = 2
    else:
        index = list(range(len(RAW_COLUMNS)))
        width = len(RAW_COLUMNS)
    bedrooms = RAW_COLUMNS.index("total_bedrooms")
    households = RAW_COLUMNS.index("households")
    out = []
    for line, row in enumerate(rows, start=first_line):
        if not row:
            continue
        if len(row) != width:
            raise ValueError(
                f"{source} line {line} has {len(row)} fields but {width} are expected. The file is truncated or "
                "garbled: download it again or replace it."
            )
        values = []
        for k, i in enumerate(index):
            cell = row[i].strip()
            if not cell and k == bedrooms:
                values = None
                break
            try:
                value = float(cell)
            except ValueError:
                value = math.nan
            if not math.isfinite(value):
                raise ValueError(
                    f"{source} line {line}: {RAW_COLUMNS[k]} must be a finite number. Received: {cell!r}. "
                    "The file is garbled: download it again or replace it."
                )
            values.append(value)
        if values is None:
            continue
        if values[households] <= 0:
            raise ValueError(f"{source} line {line}: households must be positive. Received: {values[households]!r}.")
        out.append(values)
    if not out:
        raise ValueError(f"{source} holds no complete district rows. Download it again or replace it.")
    return np.asarray(out, dtype=np.float64)
