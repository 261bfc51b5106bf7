"""CIFAR-100: 50,000 training and 10,000 test colour images, 32x32, in 100 classes grouped in 20 superclasses."""

from __future__ import annotations

import os

import numpy as np

from jeras.datasets.archives import read_members
from jeras.datasets.cache import RemoteFile
from jeras.datasets.cifar import channels_last, locate, parse_batch

ARCHIVE = RemoteFile(
    "cifar-100-python.tar.gz",
    ("https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",),
    "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7",
    169_001_437,
)
FOLDER = "cifar-100-python"
MEMBERS = (f"{FOLDER}/train", f"{FOLDER}/test")
_NUM_CLASSES = {"fine": 100, "coarse": 20}


def load_data(
    label_mode: str = "fine", *, data_dir: str | os.PathLike | None = None
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads CIFAR-100, as `tf.keras.datasets.cifar100.load_data` does.

    Reads `<data dir>/cifar100/cifar-100-python.tar.gz` (downloaded there if missing), or, when only
    that archive's extracted folder `cifar-100-python/` is there, the folder.

    Args:
        label_mode: `"fine"` for the 100 classes or `"coarse"` for the 20 superclasses. Defaults to `"fine"`.
        data_dir: the data dir. Defaults to `None`: `$JERAS_DATA_DIR`, else `~/.jeras/datasets`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images of shape `(n, 32, 32, 3)` (channels
        last) and int64 labels of shape `(n, 1)`; n is 50,000 and 10,000 for the official archive.

    Raises:
        DatasetNotFoundError: the archive is neither on disk nor downloadable.
        CorruptFileError: the archive has the official size but not the official checksum.
        ValueError: `label_mode` is unknown, or the archive is truncated or garbled.
    """
    if label_mode not in _NUM_CLASSES:
        raise ValueError(f"label_mode must be one of 'fine', 'coarse'. Received: label_mode={label_mode!r}")
    source = locate("cifar100", ARCHIVE, FOLDER, data_dir=data_dir)
    key = f"{label_mode}_labels"
    out = []
    for member, raw in zip(MEMBERS, read_members(source, MEMBERS)):
        images, labels = parse_batch(raw, source=f"{source}:{member}", label_keys={key: _NUM_CLASSES[label_mode]})
        out.append((channels_last(images), labels[key].reshape(-1, 1)))
    return out[0], out[1]
