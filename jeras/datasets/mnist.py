"""MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28 grayscale, 10 classes."""

from __future__ import annotations

import os

import numpy as np

from jeras.datasets.cache import RemoteFile, ensure_files
from jeras.datasets.idx import check_image_label_pair
from jeras.datasets.npz import read_npz, require_arrays

ARCHIVE = RemoteFile(
    "mnist.npz",
    ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",),
    "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    11_490_434,
)


def load_data(
    path: str = "mnist.npz", *, data_dir: str | os.PathLike | None = None
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads MNIST, as `tf.keras.datasets.mnist.load_data` does.

    Args:
        path: the file name under `<data dir>/mnist/` (or an absolute path). Defaults to `"mnist.npz"`.
        data_dir: the data dir. Defaults to `None`: `$JERAS_DATA_DIR`, else `~/.jeras/datasets`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images of shape `(n, 28, 28)` with values
        0..255 and uint8 labels 0..9 of shape `(n,)`; n is 60,000 and 10,000 for the official file.

    Raises:
        DatasetNotFoundError: the file is neither on disk nor downloadable.
        ValueError: the file is malformed.

    Example:

    >>> (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()  # doctest: +SKIP
    """
    (file,) = ensure_files("mnist", [ARCHIVE.renamed(path)], data_dir=data_dir)
    source = str(file)
    arrays = read_npz(file)
    require_arrays(arrays, ("x_train", "y_train", "x_test", "y_test"), source=source)
    for split in ("train", "test"):
        check_image_label_pair(
            arrays[f"x_{split}"],
            arrays[f"y_{split}"],
            images_source=f"{source}:x_{split}",
            labels_source=f"{source}:y_{split}",
            image_size=(28, 28),
            num_classes=10,
        )
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
