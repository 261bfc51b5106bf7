"""Fashion-MNIST: 60,000 training and 10,000 test images of clothing, 28x28 grayscale, 10 classes.

Class names, by label: T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag,
Ankle boot. Copyright Zalando SE, MIT licence.
"""

from __future__ import annotations

import os

import numpy as np

from jeras.datasets.cache import SAMPLE_DIR, DatasetNotFoundError, RemoteFile, ensure_files, warn_sample_in_use
from jeras.datasets.idx import read_image_label_pair

_ORIGINS = (
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
)
# Published by Zalando Research (md5, with the sizes of the released files); the label files'
# sha256 digests are the ones given in ../shared/datasets/README.md.
FILES = tuple(
    RemoteFile(name, tuple(base + name for base in _ORIGINS), file_hash, size)
    for name, file_hash, size in (
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", 26_421_880),
        (
            "train-labels-idx1-ubyte.gz",
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            29_515,
        ),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79", 4_422_102),
        (
            "t10k-labels-idx1-ubyte.gz",
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            5_148,
        ),
    )
)
CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
SAMPLE_SIZE = "2,000 training and 500 test images"


def load_data(
    *, data_dir: str | os.PathLike | None = None, sample_fallback: bool = True
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads Fashion-MNIST, as `tf.keras.datasets.fashion_mnist.load_data` does.

    The four official IDX files are read from `<data dir>/fashion_mnist/`, downloaded there if
    missing. Local files need not be the official ones: any structurally valid IDX files with
    matching image and label counts are used (a file with the official size must have the
    official checksum). When the files can be neither found nor downloaded, the real sample
    bundled with jeras (the first 2,000 training and 500 test images) is returned, with a
    `SampleDataWarning` that says so.

    Args:
        data_dir: the data dir. Defaults to `None`: `$JERAS_DATA_DIR`, else `~/.jeras/datasets`.
        sample_fallback: return the bundled sample when the full set cannot be had, instead of
            raising `DatasetNotFoundError`. Defaults to `True`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images of shape `(n, 28, 28)` with values
        0..255 and uint8 labels 0..9 of shape `(n,)`; n is 60,000 and 10,000 for the full set.

    Raises:
        DatasetNotFoundError: the files are missing and `sample_fallback` is `False`.
        CorruptFileError: a file has the official size but not the official checksum.
        ValueError: a file is truncated or garbled, or the image and label files do not match.

    Example:

    >>> (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()  # doctest: +SKIP
    >>> x_train.shape, y_train.dtype  # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'))
    """
    try:
        paths = ensure_files("fashion_mnist", FILES, data_dir=data_dir)
    except DatasetNotFoundError as err:
        if not sample_fallback:
            raise
        warn_sample_in_use(err, SAMPLE_SIZE, "60,000 and 10,000")
        paths = [SAMPLE_DIR / "fashion_mnist" / spec.name for spec in FILES]
    return read_files(*paths)


def read_files(
    train_images: str | os.PathLike,
    train_labels: str | os.PathLike,
    test_images: str | os.PathLike,
    test_labels: str | os.PathLike,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Reads and checks the four Fashion-MNIST IDX files (28x28 uint8 images, labels 0..9, equal counts)."""
    train = read_image_label_pair(train_images, train_labels, image_size=(28, 28), num_classes=10)
    test = read_image_label_pair(test_images, test_labels, image_size=(28, 28), num_classes=10)
    return train, test
