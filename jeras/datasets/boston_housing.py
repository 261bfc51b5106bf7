"""Boston housing prices: 506 suburbs, 13 features, median home value in thousands of dollars."""

from __future__ import annotations

import os

import numpy as np

from jeras.datasets.cache import RemoteFile, ensure_files
from jeras.datasets.npz import read_npz, require_arrays
from jeras.datasets.split import shuffle_split

ARCHIVE = RemoteFile(
    "boston_housing.npz",
    ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/boston_housing.npz",),
    "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5",
    57_026,
)
NUM_FEATURES = 13


def load_data(
    path: str = "boston_housing.npz",
    test_split: float = 0.2,
    seed: int = 113,
    *,
    data_dir: str | os.PathLike | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the Boston housing data set, as `tf.keras.datasets.boston_housing.load_data` does.

    Args:
        path: the file name under `<data dir>/boston_housing/` (or an absolute path).
            Defaults to `"boston_housing.npz"`.
        test_split: the fraction of suburbs held out for testing, in `[0, 1)`. Defaults to 0.2.
        seed: the seed of the shuffle before splitting. Defaults to 113.
        data_dir: the data dir. Defaults to `None`: `$JERAS_DATA_DIR`, else `~/.jeras/datasets`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: float64 features of shape `(n, 13)` and targets of
        shape `(n,)` (404 and 102 suburbs with the defaults).

    Raises:
        DatasetNotFoundError: the file is neither on disk nor downloadable.
        ValueError: the file is malformed or an option is invalid.
    """
    (file,) = ensure_files("boston_housing", [ARCHIVE.renamed(path)], data_dir=data_dir)
    source = str(file)
    arrays = read_npz(file)
    require_arrays(arrays, ("x", "y"), source=source)
    x, y = arrays["x"], arrays["y"]
    if x.ndim != 2 or x.shape[1] != NUM_FEATURES or x.dtype.kind not in "fiu":
        raise ValueError(
            f"{source}:x must be a numeric array of shape (n, {NUM_FEATURES}). "
            f"Received: {x.dtype} array of shape {x.shape}. Download the file again or replace it."
        )
    if y.ndim != 1 or y.dtype.kind not in "fiu" or len(y) != len(x):
        raise ValueError(
            f"{source}:y must be a numeric array of shape ({len(x)},), one target per row of x. "
            f"Received: {y.dtype} array of shape {y.shape}. Download the file again or replace it."
        )
    return shuffle_split(x, y, test_split=test_split, seed=seed)
