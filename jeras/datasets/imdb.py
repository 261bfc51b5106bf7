"""IMDB movie reviews: 25,000 training and 25,000 test reviews as word-index sequences, label 1 = positive."""

from __future__ import annotations

import os

import numpy as np

from jeras.datasets import sequences as _seq
from jeras.datasets.cache import RemoteFile, ensure_files
from jeras.datasets.npz import read_npz, require_arrays
from jeras.datasets.word_index import read_word_index

_BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
ARCHIVE = RemoteFile(
    "imdb.npz",
    (_BASE + "imdb.npz",),
    "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
    17_464_789,
)
WORD_INDEX = RemoteFile(
    "imdb_word_index.json", (_BASE + "imdb_word_index.json",), "bfafd718b763782e994055a2d397834f", 1_641_221
)


def load_data(
    path: str = "imdb.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
    *,
    data_dir: str | os.PathLike | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the IMDB sentiment data set, as `tf.keras.datasets.imdb.load_data` does.

    Each review is a list of word indices; index `i` stands for the `i`-th most frequent word
    (see `get_word_index`), shifted by `index_from`. The training and the test reviews are each
    shuffled with `seed`.

    Args:
        path: the file name under `<data dir>/imdb/` (or an absolute path). Defaults to `"imdb.npz"`.
        num_words: keep only the `num_words` most frequent words (indices below `num_words` after
            shifting); others become `oov_char`. Defaults to `None` (all words).
        skip_top: also treat the `skip_top` most frequent indices as out of vocabulary. Defaults to 0.
        maxlen: keep only reviews shorter than `maxlen` (counting `start_char`). Defaults to `None`.
        seed: the shuffling seed. Defaults to 113.
        start_char: index put at the start of every review, or `None`. Defaults to 1.
        oov_char: index that replaces out-of-vocabulary words, or `None` to drop them. Defaults to 2.
        index_from: added to every word index. Defaults to 3.
        data_dir: the data dir. Defaults to `None`: `$JERAS_DATA_DIR`, else `~/.jeras/datasets`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: 1-D object arrays of lists of ints, and int labels.

    Raises:
        DatasetNotFoundError: `imdb.npz` is neither on disk nor downloadable.
        ValueError: the file is malformed, an option is invalid, or `maxlen` leaves no review.

    Example:

    >>> (x_train, y_train), (x_test, y_test) = keras.datasets.imdb.load_data(num_words=10000)  # doctest: +SKIP
    """
    _seq.check_options(
        num_words=num_words,
        skip_top=skip_top,
        maxlen=maxlen,
        seed=seed,
        start_char=start_char,
        oov_char=oov_char,
        index_from=index_from,
    )
    (file,) = ensure_files("imdb", [ARCHIVE.renamed(path)], data_dir=data_dir)
    source = str(file)
    arrays = read_npz(file)
    require_arrays(arrays, ("x_train", "y_train", "x_test", "y_test"), source=source)
    rng = np.random.RandomState(seed)
    parts = []
    for split in ("train", "test"):
        x = _seq.check_sequences(arrays[f"x_{split}"], source=f"{source}:x_{split}")
        y = arrays[f"y_{split}"]
        _seq.check_labels(y, len(x), source=f"{source}:y_{split}")
        order = np.arange(len(x))
        rng.shuffle(order)
        flat, lengths = _seq.flatten([x[i] for i in order], start_char=start_char, index_from=index_from)
        flat, lengths, y = _seq.drop_long(flat, lengths, y[order], maxlen)
        if maxlen and not len(lengths):
            raise ValueError(
                f"No {split} review is shorter than maxlen={maxlen}, so none would be kept. Increase maxlen."
            )
        parts.append((flat, lengths, y))
    n_train = len(parts[0][1])
    flat, lengths = _seq.cap_vocabulary(
        np.concatenate([parts[0][0], parts[1][0]]),
        np.concatenate([parts[0][1], parts[1][1]]),
        num_words=num_words,
        skip_top=skip_top,
        oov_char=oov_char,
    )
    xs = _seq.to_object_array(flat, lengths)
    labels = np.concatenate([parts[0][2], parts[1][2]])
    return (xs[:n_train], labels[:n_train]), (xs[n_train:], labels[n_train:])


def get_word_index(path: str = "imdb_word_index.json", *, data_dir: str | os.PathLike | None = None) -> dict[str, int]:
    """Returns the dict from word to index (1 = most frequent) used by `load_data`, before `index_from`.

    Args:
        path: the file name under `<data dir>/imdb/` (or an absolute path). Defaults to `"imdb_word_index.json"`.
        data_dir: the data dir. Defaults to `None`: `$JERAS_DATA_DIR`, else `~/.jeras/datasets`.

    Returns:
        The word index.
    """
    (file,) = ensure_files("imdb", [WORD_INDEX.renamed(path)], data_dir=data_dir)
    return read_word_index(file)
