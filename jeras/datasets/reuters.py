"""Reuters newswire topics: 11,228 newswires as word-index sequences, labelled with one of 46 topics."""

from __future__ import annotations

import os

import numpy as np

from jeras.datasets import sequences as _seq
from jeras.datasets.cache import RemoteFile, ensure_files
from jeras.datasets.npz import read_npz, require_arrays
from jeras.datasets.split import check_test_split
from jeras.datasets.word_index import read_word_index

_BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
ARCHIVE = RemoteFile(
    "reuters.npz",
    (_BASE + "reuters.npz",),
    "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916",
    2_110_848,
)
WORD_INDEX = RemoteFile(
    "reuters_word_index.json", (_BASE + "reuters_word_index.json",), "4d44cc38712099c9e383dc6e5f11a921", 550_378
)


def load_data(
    path: str = "reuters.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    test_split: float = 0.2,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
    *,
    data_dir: str | os.PathLike | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the Reuters topic-classification data set, as `tf.keras.datasets.reuters.load_data` does.

    All newswires are shuffled with `seed`, then the last `test_split` of them form the test set.

    Args:
        path: the file name under `<data dir>/reuters/` (or an absolute path). Defaults to `"reuters.npz"`.
        num_words: keep only the `num_words` most frequent words (indices below `num_words` after
            shifting); others become `oov_char`. Defaults to `None` (all words).
        skip_top: also treat the `skip_top` most frequent indices as out of vocabulary. Defaults to 0.
        maxlen: keep only newswires shorter than `maxlen` (counting `start_char`). Defaults to `None`.
        test_split: the fraction of newswires held out for testing, in `[0, 1)`. Defaults to 0.2.
        seed: the shuffling seed. Defaults to 113.
        start_char: index put at the start of every newswire, or `None`. Defaults to 1.
        oov_char: index that replaces out-of-vocabulary words, or `None` to drop them. Defaults to 2.
        index_from: added to every word index. Defaults to 3.
        data_dir: the data dir. Defaults to `None`: `$JERAS_DATA_DIR`, else `~/.jeras/datasets`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: 1-D object arrays of lists of ints, and int topic labels.

    Raises:
        DatasetNotFoundError: `reuters.npz` is neither on disk nor downloadable.
        ValueError: the file is malformed, an option is invalid, or `maxlen` leaves no newswire.

    Example:

    >>> (x_train, y_train), (x_test, y_test) = keras.datasets.reuters.load_data(num_words=10000)  # doctest: +SKIP
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
    check_test_split(test_split)
    (file,) = ensure_files("reuters", [ARCHIVE.renamed(path)], data_dir=data_dir)
    source = str(file)
    arrays = read_npz(file)
    require_arrays(arrays, ("x", "y"), source=source)
    x = _seq.check_sequences(arrays["x"], source=f"{source}:x")
    y = arrays["y"]
    _seq.check_labels(y, len(x), source=f"{source}:y")
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    flat, lengths = _seq.flatten([x[i] for i in order], start_char=start_char, index_from=index_from)
    flat, lengths, y = _seq.drop_long(flat, lengths, y[order], maxlen)
    if maxlen and not len(lengths):
        raise ValueError(f"No newswire is shorter than maxlen={maxlen}, so none would be kept. Increase maxlen.")
    flat, lengths = _seq.cap_vocabulary(flat, lengths, num_words=num_words, skip_top=skip_top, oov_char=oov_char)
    xs = _seq.to_object_array(flat, lengths)
    n_train = int(len(xs) * (1 - test_split))
    return (xs[:n_train], y[:n_train]), (xs[n_train:], y[n_train:])


def get_word_index(
    path: str = "reuters_word_index.json", *, data_dir: str | os.PathLike | None = None
) -> dict[str, int]:
    """Returns the dict from word to index (1 = most frequent) used by `load_data`, before `index_from`.

    Args:
        path: the file name under `<data dir>/reuters/` (or an absolute path).
            Defaults to `"reuters_word_index.json"`.
        data_dir: the data dir. Defaults to `None`: `$JERAS_DATA_DIR`, else `~/.jeras/datasets`.

    Returns:
        The word index.
    """
    (file,) = ensure_files("reuters", [WORD_INDEX.renamed(path)], data_dir=data_dir)
    return read_word_index(file)
