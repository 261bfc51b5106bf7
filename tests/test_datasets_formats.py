"""The loaders whose real files are not on this machine (MNIST, CIFAR-10/100, IMDB, Reuters, Boston),
tested on small files written here in the official formats, against Keras 3 reading the same files.

Also holds the fixture writers and the network guard the other `test_datasets*` modules import.
"""

import gzip
import importlib
import io
import json
import pickle
import socket
import struct
import tarfile

import numpy as np
import pytest

from jeras import keras
from jeras.datasets import DatasetNotFoundError

LOOPBACK = ("127.0.0.1", "::1", "localhost")


@pytest.fixture(autouse=True)
def sandbox(monkeypatch, tmp_path):
    """No test reaches the internet or the user's data dir: downloads are off unless a test turns
    them back on for a server on 127.0.0.1, and any other connection attempt fails loudly."""
    monkeypatch.setenv("JERAS_OFFLINE", "1")
    monkeypatch.setenv("JERAS_DATA_DIR", str(tmp_path / "data_home"))
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in LOOPBACK:
            raise AssertionError(f"a test tried to reach {address}")
        return real_connect(sock, address)

    def getaddrinfo(host, *args, **kwargs):
        if host not in LOOPBACK:
            raise AssertionError(f"a test tried to resolve {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


# ---------------------------------------------------------------------------------------------
# Writers of the official formats
# ---------------------------------------------------------------------------------------------


def idx_bytes(array: np.ndarray) -> bytes:
    """An uncompressed IDX file of uint8 values (magic 0x0801 for labels, 0x0803 for images)."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_idx_gz(path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(idx_bytes(array), mtime=0))


class _Python2Pickler(pickle._Pickler):
    """Writes bytes as Python 2 `str` opcodes, as the official CIFAR pickles (made with Python 2) hold them."""

    dispatch = pickle._Pickler.dispatch.copy()

    def _save_py2_str(self, obj):
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = _save_py2_str


def python2_style_pickle(obj) -> bytes:
    """Protocol 2, Python 2 strings and NumPy's pre-2.0 module name, like the official CIFAR pickles."""
    buffer = io.BytesIO()
    _Python2Pickler(buffer, protocol=2).dump(obj)
    raw = buffer.getvalue().replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")
    assert b"_codecs" not in raw
    return raw


def add_member(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def tar_gz_bytes(members: dict) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            add_member(archive, name, data)
    return buffer.getvalue()


def cifar10_archive(rng, per_batch: int = 4, test: int = 5):
    """Bytes of a cifar-10-python.tar.gz, and the arrays tf.keras would return from it."""
    members, xs, ys = {}, [], []
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        n = test if name == "test_batch" else per_batch
        data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, size=n)]
        batch = {
            b"batch_label": f"batch {i}".encode(),
            b"labels": labels,
            b"data": data,
            b"filenames": [f"img_{i}_{j}.png".encode() for j in range(n)],
        }
        members[f"cifar-10-batches-py/{name}"] = python2_style_pickle(batch)
        xs.append(data.reshape(n, 3, 32, 32).transpose(0, 2, 3, 1))
        ys.append(np.array(labels, dtype=np.uint8).reshape(-1, 1))
    members["cifar-10-batches-py/batches.meta"] = python2_style_pickle({b"label_names": [b"airplane"] * 10})
    expected = ((np.concatenate(xs[:5]), np.concatenate(ys[:5])), (xs[5], ys[5]))
    return tar_gz_bytes(members), expected


def cifar100_archive(rng, train: int = 7, test: int = 4):
    members, out = {}, {}
    for name, n in (("train", train), ("test", test)):
        data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        fine = [int(v) for v in rng.integers(0, 100, size=n)]
        coarse = [int(v) for v in rng.integers(0, 20, size=n)]
        batch = {b"filenames": [b"x.png"] * n, b"batch_label": b"b", b"fine_labels": fine, b"coarse_labels": coarse}
        batch[b"data"] = data
        members[f"cifar-100-python/{name}"] = python2_style_pickle(batch)
        out[name] = (data.reshape(n, 3, 32, 32).transpose(0, 2, 3, 1), np.array(fine), np.array(coarse))
    members["cifar-100-python/meta"] = python2_style_pickle({b"fine_label_names": [b"apple"] * 100})
    return tar_gz_bytes(members), out


def object_array(seqs) -> np.ndarray:
    out = np.empty(len(seqs), dtype=object)
    for i, seq in enumerate(seqs):
        out[i] = list(seq)
    return out


def random_sequences(rng, count: int, vocab: int = 120, min_len: int = 2, max_len: int = 25):
    return object_array(
        [[int(w) for w in rng.integers(1, vocab, size=rng.integers(min_len, max_len))] for _ in range(count)]
    )


def npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def imdb_npz(rng, train: int = 30, test: int = 26) -> bytes:
    return npz_bytes(
        x_train=random_sequences(rng, train),
        y_train=rng.integers(0, 2, size=train),
        x_test=random_sequences(rng, test),
        y_test=rng.integers(0, 2, size=test),
    )


def reuters_npz(rng, count: int = 41) -> bytes:
    return npz_bytes(x=random_sequences(rng, count), y=rng.integers(0, 46, size=count))


def boston_npz(rng, count: int = 37) -> bytes:
    return npz_bytes(x=rng.normal(size=(count, 13)) * 10, y=rng.uniform(5, 50, size=count))


def mnist_npz(rng, train: int = 12, test: int = 5) -> bytes:
    return npz_bytes(
        x_train=rng.integers(0, 256, size=(train, 28, 28), dtype=np.uint8),
        y_train=rng.integers(0, 10, size=train).astype(np.uint8),
        x_test=rng.integers(0, 256, size=(test, 28, 28), dtype=np.uint8),
        y_test=rng.integers(0, 10, size=test).astype(np.uint8),
    )


def place(data_dir, dataset: str, name: str, data: bytes):
    path = data_dir / dataset / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------------------------------------
# Keras 3 as the oracle: its loaders read the same fixture file (its download step replaced)
# ---------------------------------------------------------------------------------------------


def keras3_loader(monkeypatch, module: str, path):
    pytest.importorskip("keras")
    mod = importlib.import_module(f"keras.src.datasets.{module}")
    monkeypatch.setattr(mod, "get_file", lambda *args, **kwargs: str(path))
    return mod


def assert_same_split(ours, theirs):
    (x1, y1), (x2, y2) = ours
    (k1, l1), (k2, l2) = theirs
    for mine, ref in ((x1, k1), (x2, k2), (y1, l1), (y2, l2)):
        assert mine.shape == np.asarray(ref).shape
        if mine.dtype == object:
            assert [list(s) for s in mine] == [list(s) for s in ref]
        else:
            assert mine.dtype == ref.dtype
            np.testing.assert_array_equal(mine, ref)


def test_mnist_matches_keras3_on_an_npz_in_the_official_layout(monkeypatch, tmp_path, rng):
    path = place(tmp_path, "mnist", "mnist.npz", mnist_npz(rng))
    ours = keras.datasets.mnist.load_data(data_dir=tmp_path)
    assert ours[0][0].shape == (12, 28, 28) and ours[0][0].dtype == np.uint8 and ours[1][1].shape == (5,)
    assert_same_split(ours, keras3_loader(monkeypatch, "mnist", path).load_data())


def test_mnist_path_argument_names_the_file_in_the_data_dir_or_an_absolute_path(tmp_path, rng):
    data = mnist_npz(rng)
    place(tmp_path, "mnist", "my_mnist.npz", data)
    elsewhere = place(tmp_path, "elsewhere", "digits.npz", data)
    a = keras.datasets.mnist.load_data(path="my_mnist.npz", data_dir=tmp_path)
    b = keras.datasets.mnist.load_data(path=str(elsewhere))
    np.testing.assert_array_equal(a[0][0], b[0][0])


def test_mnist_rejects_wrong_image_size_and_label_range(tmp_path, rng):
    good = dict(np.load(io.BytesIO(mnist_npz(rng))))
    place(tmp_path, "mnist", "mnist.npz", npz_bytes(**{**good, "x_train": good["x_train"][:, :27]}))
    with pytest.raises(ValueError, match=r"mnist\.npz:x_train must hold 28x28 images"):
        keras.datasets.mnist.load_data(data_dir=tmp_path)
    place(tmp_path, "mnist", "mnist.npz", npz_bytes(**{**good, "y_test": good["y_test"] + 10}))
    with pytest.raises(ValueError, match=r"y_test holds labels up to .* 10 classes"):
        keras.datasets.mnist.load_data(data_dir=tmp_path)
    place(tmp_path, "mnist", "mnist.npz", npz_bytes(**{**good, "y_train": good["y_train"][:-1]}))
    with pytest.raises(ValueError, match="do not belong together"):
        keras.datasets.mnist.load_data(data_dir=tmp_path)
    place(tmp_path, "mnist", "mnist.npz", npz_bytes(x_train=good["x_train"]))
    with pytest.raises(ValueError, match=r"lacks the arrays \['y_train', 'x_test', 'y_test'\]"):
        keras.datasets.mnist.load_data(data_dir=tmp_path)


def test_cifar10_matches_keras3_and_the_values_written(tmp_path, rng):
    data, expected = cifar10_archive(rng)
    archive = place(tmp_path, "cifar10", "cifar-10-python.tar.gz", data)
    ours = keras.datasets.cifar10.load_data(data_dir=tmp_path)
    (x_train, y_train), (x_test, y_test) = ours
    assert x_train.shape == (20, 32, 32, 3) and y_train.shape == (20, 1) and y_train.dtype == np.uint8
    assert x_test.shape == (5, 32, 32, 3) and x_test.dtype == np.uint8
    assert_same_split(ours, expected)
    # Keras 3's cifar10.load_data insists on 10,000 images per batch, so compare batch by batch.
    keras3_cifar = pytest.importorskip("keras.src.datasets.cifar")
    extracted = tmp_path / "keras3"
    with tarfile.open(archive) as tar:
        tar.extractall(extracted, filter="data")
    batches = [keras3_cifar.load_batch(extracted / "cifar-10-batches-py" / f"data_batch_{i}") for i in range(1, 6)]
    np.testing.assert_array_equal(x_train, np.concatenate([b[0] for b in batches]).transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(y_train[:, 0], np.concatenate([b[1] for b in batches]))


def test_cifar10_reads_the_extracted_folder_when_the_archive_is_absent(tmp_path, rng):
    data, expected = cifar10_archive(rng)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(tmp_path / "cifar10", filter="data")
    assert_same_split(keras.datasets.cifar10.load_data(data_dir=tmp_path), expected)
    (tmp_path / "cifar10" / "cifar-10-batches-py" / "data_batch_3").unlink()
    with pytest.raises(ValueError, match="data_batch_3 is missing"):
        keras.datasets.cifar10.load_data(data_dir=tmp_path)


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100_label_modes_match_keras3(monkeypatch, tmp_path, rng, label_mode):
    data, expected = cifar100_archive(rng)
    archive = place(tmp_path, "cifar100", "cifar-100-python.tar.gz", data)
    ours = keras.datasets.cifar100.load_data(label_mode, data_dir=tmp_path)
    column = 1 if label_mode == "fine" else 2
    np.testing.assert_array_equal(ours[0][0], expected["train"][0])
    np.testing.assert_array_equal(ours[1][1][:, 0], expected["test"][column])
    assert ours[0][1].shape == (7, 1) and ours[0][1].dtype == np.int64
    extracted = tmp_path / "keras3"
    with tarfile.open(archive) as tar:
        tar.extractall(extracted, filter="data")
    theirs = keras3_loader(monkeypatch, "cifar100", extracted).load_data(label_mode=label_mode)
    assert_same_split(ours, theirs)


def test_cifar100_rejects_an_unknown_label_mode():
    with pytest.raises(ValueError, match=r"label_mode must be one of 'fine', 'coarse'. Received: label_mode='medium'"):
        keras.datasets.cifar100.load_data("medium")


def test_cifar_archive_without_a_batch_names_the_member(tmp_path, rng):
    data, _ = cifar10_archive(rng)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        kept = {m.name: tar.extractfile(m).read() for m in tar if not m.name.endswith("test_batch")}
    place(tmp_path, "cifar10", "cifar-10-python.tar.gz", tar_gz_bytes(kept))
    with pytest.raises(ValueError, match=r"cifar-10-python\.tar\.gz lacks the member cifar-10-batches-py/test_batch"):
        keras.datasets.cifar10.load_data(data_dir=tmp_path)


def test_cifar_batch_with_out_of_range_labels_is_garbled(tmp_path, rng):
    data = rng.integers(0, 256, size=(3, 3072), dtype=np.uint8)
    bad = python2_style_pickle({b"data": data, b"labels": [1, 2, 10]})
    good = python2_style_pickle({b"data": data, b"labels": [1, 2, 3]})
    members = {f"cifar-10-batches-py/data_batch_{i}": good for i in range(1, 6)}
    members["cifar-10-batches-py/test_batch"] = bad
    place(tmp_path, "cifar10", "cifar-10-python.tar.gz", tar_gz_bytes(members))
    with pytest.raises(ValueError, match=r"test_batch: 'labels' holds labels outside 0\.\.9"):
        keras.datasets.cifar10.load_data(data_dir=tmp_path)


def test_a_pickle_that_names_other_code_is_refused_not_run(capsys):
    from jeras.datasets.npz import load_pickle

    class Boom:
        def __reduce__(self):
            return (print, ("this must never be printed",))

    with pytest.raises(ValueError, match=r"evil\.bin is not a readable data pickle .* builtins\.print"):
        load_pickle(pickle.dumps({b"data": Boom()}, protocol=3), source="evil.bin")
    assert "never" not in capsys.readouterr().out


IMDB_OPTIONS = [
    {},
    {"num_words": 40},
    {"num_words": 60, "skip_top": 5, "seed": 7},
    {"maxlen": 15},
    {"num_words": 50, "oov_char": None, "maxlen": 20},
    {"start_char": None, "index_from": 0},
    {"start_char": None, "oov_char": None, "num_words": 30, "skip_top": 3, "index_from": 1},
    {"start_char": 9, "oov_char": 7, "index_from": 10, "num_words": 70},
]


@pytest.mark.parametrize(
    "options", IMDB_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "defaults"
)
def test_imdb_options_match_keras3(monkeypatch, tmp_path, options):
    path = place(tmp_path, "imdb", "imdb.npz", imdb_npz(np.random.default_rng(3)))
    ours = keras.datasets.imdb.load_data(data_dir=tmp_path, **options)
    assert ours[0][0].dtype == object and ours[0][0].ndim == 1
    assert all(type(w) is int for seq in ours[0][0] for w in seq)
    assert_same_split(ours, keras3_loader(monkeypatch, "imdb", path).load_data(**options))


@pytest.mark.parametrize(
    "options",
    [{}, {"num_words": 40, "test_split": 0.3}, {"maxlen": 12, "seed": 1}, {"start_char": None, "oov_char": None}],
    ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "defaults",
)
def test_reuters_options_match_keras3(monkeypatch, tmp_path, options):
    path = place(tmp_path, "reuters", "reuters.npz", reuters_npz(np.random.default_rng(4)))
    ours = keras.datasets.reuters.load_data(data_dir=tmp_path, **options)
    assert_same_split(ours, keras3_loader(monkeypatch, "reuters", path).load_data(**options))


def test_imdb_option_semantics_by_hand(tmp_path):
    x = object_array([[1, 2, 3], [4, 5, 6, 7, 8]])
    place(
        tmp_path, "imdb", "imdb.npz", npz_bytes(x_train=x, y_train=np.array([0, 1]), x_test=x, y_test=np.array([1, 0]))
    )
    (x_train, y_train), _ = keras.datasets.imdb.load_data(data_dir=tmp_path, seed=0)
    by_label = {int(y): seq for seq, y in zip(x_train, y_train)}
    # start_char 1, words shifted by index_from 3, and the largest index (11) is out of vocabulary: tf.keras's rule.
    assert by_label[0] == [1, 4, 5, 6] and by_label[1] == [1, 7, 8, 9, 10, 2]
    (x_train, y_train), (x_test, _) = keras.datasets.imdb.load_data(data_dir=tmp_path, seed=0, maxlen=5, num_words=6)
    assert [list(s) for s in x_train] == [[1, 4, 5, 2]] and list(y_train) == [0] and len(x_test) == 1
    with pytest.raises(ValueError, match=r"No train review is shorter than maxlen=3"):
        keras.datasets.imdb.load_data(data_dir=tmp_path, maxlen=3)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"num_words": 0}, ValueError, r"num_words must be at least 1. Received: num_words=0"),
        ({"num_words": 2.5}, TypeError, r"num_words must be an integer or None. Received: num_words=2.5"),
        ({"skip_top": -1}, ValueError, r"skip_top must be at least 0. Received: skip_top=-1"),
        ({"maxlen": "10"}, TypeError, r"maxlen must be an integer or None. Received: maxlen='10'"),
        ({"index_from": None}, TypeError, r"index_from must be an integer. Received: index_from=None"),
        ({"test_split": 1.0}, ValueError, r"test_split must be in \[0, 1\). Received: test_split=1.0"),
    ],
)
def test_sequence_options_are_checked_before_any_file_is_read(options, error, message):
    loader = keras.datasets.reuters if "test_split" in options else keras.datasets.imdb
    with pytest.raises(error, match=message):
        loader.load_data(**options)


def test_word_indices_are_read_from_the_official_json(tmp_path):
    place(tmp_path, "imdb", "imdb_word_index.json", json.dumps({"the": 1, "movie": 17}).encode())
    place(tmp_path, "reuters", "reuters_word_index.json", json.dumps({"said": 2}).encode())
    assert keras.datasets.imdb.get_word_index(data_dir=tmp_path) == {"the": 1, "movie": 17}
    assert keras.datasets.reuters.get_word_index(data_dir=tmp_path) == {"said": 2}
    place(tmp_path, "imdb", "imdb_word_index.json", b'["the", "movie"]')
    with pytest.raises(ValueError, match=r"imdb_word_index\.json must hold a JSON object"):
        keras.datasets.imdb.get_word_index(data_dir=tmp_path)


def test_imdb_with_garbled_sequences_names_the_array(tmp_path):
    good = np.load(io.BytesIO(imdb_npz(np.random.default_rng(0))), allow_pickle=True)
    arrays = {key: good[key] for key in good.files}
    place(tmp_path, "imdb", "imdb.npz", npz_bytes(**{**arrays, "x_test": np.arange(26)}))
    with pytest.raises(ValueError, match=r"imdb\.npz:x_test item 0 must be a list of integer word indices"):
        keras.datasets.imdb.load_data(data_dir=tmp_path)
    place(tmp_path, "imdb", "imdb.npz", npz_bytes(**{**arrays, "y_train": arrays["y_train"][:3]}))
    with pytest.raises(ValueError, match=r"y_train holds 3 labels for 30 sequences"):
        keras.datasets.imdb.load_data(data_dir=tmp_path)


@pytest.mark.parametrize(("test_split", "seed"), [(0.2, 113), (0.5, 0), (0.0, 9)])
def test_boston_housing_matches_keras3(monkeypatch, tmp_path, rng, test_split, seed):
    path = place(tmp_path, "boston_housing", "boston_housing.npz", boston_npz(rng))
    ours = keras.datasets.boston_housing.load_data(test_split=test_split, seed=seed, data_dir=tmp_path)
    assert ours[0][0].shape[1] == 13 and ours[0][0].dtype == np.float64
    theirs = keras3_loader(monkeypatch, "boston_housing", path).load_data(test_split=test_split, seed=seed)
    assert_same_split(ours, theirs)


def test_boston_housing_rejects_a_file_with_other_columns(tmp_path, rng):
    place(tmp_path, "boston_housing", "boston_housing.npz", npz_bytes(x=rng.normal(size=(5, 12)), y=np.zeros(5)))
    with pytest.raises(ValueError, match=r"boston_housing\.npz:x must be a numeric array of shape \(n, 13\)"):
        keras.datasets.boston_housing.load_data(data_dir=tmp_path)


@pytest.mark.parametrize(
    ("loader", "dataset", "file"),
    [
        (lambda d: keras.datasets.mnist.load_data(data_dir=d), "mnist", "mnist.npz"),
        (lambda d: keras.datasets.cifar10.load_data(data_dir=d), "cifar10", "cifar-10-python.tar.gz"),
        (lambda d: keras.datasets.cifar100.load_data(data_dir=d), "cifar100", "cifar-100-python.tar.gz"),
        (lambda d: keras.datasets.imdb.load_data(data_dir=d), "imdb", "imdb.npz"),
        (lambda d: keras.datasets.imdb.get_word_index(data_dir=d), "imdb", "imdb_word_index.json"),
        (lambda d: keras.datasets.reuters.load_data(data_dir=d), "reuters", "reuters.npz"),
        (lambda d: keras.datasets.reuters.get_word_index(data_dir=d), "reuters", "reuters_word_index.json"),
        (lambda d: keras.datasets.boston_housing.load_data(data_dir=d), "boston_housing", "boston_housing.npz"),
    ],
)
def test_offline_without_files_the_error_says_which_file_goes_where(tmp_path, loader, dataset, file):
    with pytest.raises(DatasetNotFoundError) as info:
        loader(tmp_path)
    message = str(info.value)
    assert f"{tmp_path / dataset}" in message and f"  {file}  (missing" in message
    assert "JERAS_OFFLINE is set" in message and "https://" in message


def test_imdb_accepts_equal_length_sequences_saved_as_an_integer_matrix(tmp_path):
    x = np.array([[5, 6, 7], [8, 9, 10]])
    place(
        tmp_path, "imdb", "imdb.npz", npz_bytes(x_train=x, y_train=np.array([0, 1]), x_test=x, y_test=np.array([1, 0]))
    )
    (x_train, _), (x_test, _) = keras.datasets.imdb.load_data(data_dir=tmp_path, num_words=100)
    assert sorted(map(list, x_train)) == [[1, 8, 9, 10], [1, 11, 12, 13]] and x_test.shape == (2,)
