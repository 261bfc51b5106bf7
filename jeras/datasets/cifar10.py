"""CIFAR-10: 50,000 training and 10,000 test colour images, 32x32, in 10 classes.

Class names, by label: airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck.
"""

from __future__ import annotations

import os

import numpy as np

from jeras.datasets.archives import read_members
from jeras.datasets.cache import RemoteFile
from jeras.datasets.cifar import channels_last, locate, parse_batch

ARCHIVE = RemoteFile(
    "cifar-10-python.tar.gz",
    ("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",),
    "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    170_498_071,
)
FOLDER = "cifar-10-batches-py"
MEMBERS = tuple(f"{FOLDER}/data_batch_{i}" for i in range(1, 6)) + (f"{FOLDER}/test_batch",)
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def load_data(
    *, data_dir: str | os.PathLike | None = None
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads CIFAR-10, as `tf.keras.datasets.cifar10.load_data` does.

    Reads `<data dir>/cifar10/cifar-10-python.tar.gz` (downloaded there if missing), or, when only
    that archive's extracted folder `cifar-10-batches-py/` is there, the folder.

    Args:
        data_dir: the data dir. Defaults to `None`: `$JERAS_DATA_DIR`, else `~/.jeras/datasets`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images of shape `(n, 32, 32, 3)` (channels
        last, the only layout jeras uses) and uint8 labels 0..9 of shape `(n, 1)`; n is 50,000 and
        10,000 for the official archive.

    Raises:
        DatasetNotFoundError: the archive is neither on disk nor downloadable.
        CorruptFileError: the archive has the official size but not the official checksum.
        ValueError: the archive or a batch in it is truncated or garbled.

    Example:

    >>> (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()  # doctest: +SKIP
    """
    source = locate("cifar10", ARCHIVE, FOLDER, data_dir=data_dir)
    batches = []
    for member, raw in zip(MEMBERS, read_members(source, MEMBERS)):
        batches.append(parse_batch(raw, source=f"{source}:{member}", label_keys={"labels": 10}))
    x_train = np.concatenate([images for images, _ in batches[:-1]])
    y_train = np.concatenate([labels["labels"] for _, labels in batches[:-1]])
    x_test, test_labels = batches[-1]
    # tf.keras returns uint8 labels for CIFAR-10 but int64 for CIFAR-100; kept, so dtype checks behave the same.
    return (
        (channels_last(x_train), y_train.astype(np.uint8).reshape(-1, 1)),
        (channels_last(x_test), test_labels["labels"].astype(np.uint8).reshape(-1, 1)),
    )
