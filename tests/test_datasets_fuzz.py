"""Hypothesis fuzzing of every data set parser and loader with corrupted bytes: truncated, flipped,
spliced and inserted, both in the container (gzip, zip, tar) and inside it (IDX, .npy, pickle, CSV).

The contract: a loader returns consistent arrays or raises `ValueError` naming the file; no other
exception type escapes. Set JERAS_FUZZ_EXAMPLES to run longer.
"""

import gzip
import io
import json
import os
import tarfile
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_datasets_formats import (  # noqa: F401 - sandbox is autouse
    boston_npz,
    cifar10_archive,
    cifar100_archive,
    idx_bytes,
    imdb_npz,
    mnist_npz,
    reuters_npz,
    sandbox,
    tar_gz_bytes,
)

from jeras.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    decode_idx,
    extract_archive,
    fashion_mnist,
    imdb,
    mnist,
    read_npz,
    reuters,
)
from jeras.datasets.cifar import parse_batch
from jeras.datasets.word_index import parse_word_index

FUZZ = settings(
    max_examples=int(os.environ.get("JERAS_FUZZ_EXAMPLES", "60")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def corrupted(draw, data: bytes) -> bytes:
    """`data` truncated, with bytes flipped, a span overwritten, or bytes inserted."""
    kind = draw(st.sampled_from(["truncate", "flip", "splice", "insert"]))
    at = draw(st.integers(0, len(data) - 1))
    if kind == "truncate":
        return data[:at]
    if kind == "flip":
        out = bytearray(data)
        for position in draw(st.lists(st.integers(0, len(data) - 1), min_size=1, max_size=8)):
            out[position] ^= draw(st.integers(1, 255))
        return bytes(out)
    junk = draw(st.binary(min_size=1, max_size=32))
    if kind == "splice":
        return data[:at] + junk + data[at + len(junk) :]
    return data[:at] + junk + data[at:]


def header_heavy(data: bytes, span: int):
    """Corruption aimed at the first `span` bytes (headers, magic numbers, pickle opcodes) half the time."""
    return st.one_of(corrupted(data), corrupted(data[:span]).map(lambda head: head + data[span:]))


def rezip(npz: bytes, replace: dict) -> bytes:
    """The same .npz with the members named in `replace` swapped for new bytes, written as an intact zip."""
    with zipfile.ZipFile(io.BytesIO(npz)) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    members.update(replace)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, raw in members.items():
            archive.writestr(member, raw)
    return buffer.getvalue()


def retar(archive: bytes, replace: dict) -> bytes:
    """The same tar.gz with the members named in `replace` swapped for new bytes."""
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar}
    members.update(replace)
    return tar_gz_bytes(members)


def load_or_value_error(load):
    try:
        return load()
    except ValueError as err:
        assert str(err), "a ValueError without a message"
        return None


def check_split(result):
    if result is None:
        return
    (x_train, y_train), (x_test, y_test) = result
    assert len(x_train) == len(y_train) and len(x_test) == len(y_test)


RNG = np.random.default_rng(11)
IMAGES = idx_bytes(RNG.integers(0, 256, size=(3, 28, 28), dtype=np.uint8))
LABELS = idx_bytes(RNG.integers(0, 10, size=3, dtype=np.uint8))
MNIST = mnist_npz(RNG, train=3, test=2)
IMDB = imdb_npz(RNG, train=6, test=5)
REUTERS = reuters_npz(RNG, count=9)
BOSTON = boston_npz(RNG, count=6)
CIFAR10, _ = cifar10_archive(RNG, per_batch=1, test=2)
CIFAR100, _ = cifar100_archive(RNG, train=2, test=1)
CSV = (
    b"longitude,latitude,housing_median_age,total_rooms,total_bedrooms,population,households,median_income,"
    b"median_house_value,ocean_proximity\n"
    b"-122.23,37.88,41.0,880.0,129.0,322.0,126.0,8.3252,452600.0,NEAR BAY\n"
    b"-122.22,37.86,21.0,7099.0,,2401.0,1138.0,8.3014,358500.0,NEAR BAY\n"
    b"-122.24,37.85,52.0,1467.0,190.0,496.0,177.0,7.2574,352100.0,NEAR BAY\n"
)
CAL_DATA = b"-122.230000,37.880000,41.000000,880.000000,129.000000,322.000000,126.000000,8.325200,452600.000000\n" * 3
CAL_TGZ = tar_gz_bytes({"CaliforniaHousing/cal_housing.data": CAL_DATA})


def write(data_dir, dataset, name, data):
    folder = data_dir / dataset
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz_data")


# --- the parsers, on bytes ---------------------------------------------------------------------


@FUZZ
@given(raw=header_heavy(IMAGES, 24), compress=st.booleans())
def test_idx_parser_raises_only_value_errors(raw, compress):
    data = gzip.compress(raw, mtime=0) if compress else raw
    array = load_or_value_error(lambda: decode_idx(data, source="fuzz.gz"))
    if array is not None:
        assert array.size * array.itemsize == len(raw) - 4 - 4 * array.ndim


@FUZZ
@given(raw=corrupted(gzip.compress(LABELS, mtime=0)))
def test_idx_parser_on_a_damaged_gzip_stream(raw):
    load_or_value_error(lambda: decode_idx(raw, source="fuzz.gz", compressed=True))


@FUZZ
@given(data=st.data())
def test_npz_reader_raises_only_value_errors(data):
    if data.draw(st.booleans()):
        raw = data.draw(corrupted(IMDB))
    else:
        with zipfile.ZipFile(io.BytesIO(IMDB)) as archive:
            member = data.draw(st.sampled_from(sorted(archive.namelist())))
            raw = rezip(IMDB, {member: data.draw(header_heavy(archive.read(member), 160))})
    load_or_value_error(lambda: read_npz(io.BytesIO(raw), source="fuzz.npz"))


@FUZZ
@given(data=st.data())
def test_pickle_batch_parser_raises_only_value_errors(data):
    with tarfile.open(fileobj=io.BytesIO(CIFAR10)) as tar:
        raw = tar.extractfile("cifar-10-batches-py/test_batch").read()
    broken = data.draw(header_heavy(raw, 200))
    load_or_value_error(lambda: parse_batch(broken, source="fuzz", label_keys={"labels": 10}))


@FUZZ
@given(raw=header_heavy(json.dumps({"the": 1, "and": 2, "movie": 17}).encode(), 40))
def test_word_index_parser_raises_only_value_errors(raw):
    load_or_value_error(lambda: parse_word_index(raw, source="fuzz.json"))


# --- the loaders, on files in a data dir ------------------------------------------------------


@FUZZ
@given(name=st.sampled_from([spec.name for spec in fashion_mnist.FILES]), data=st.data())
def test_fashion_mnist_loader(data_dir, name, data):
    for spec in fashion_mnist.FILES:
        write(data_dir, "fashion_mnist", spec.name, gzip.compress(IMAGES if "images" in spec.name else LABELS))
    good = IMAGES if "images" in name else LABELS
    inner = data.draw(st.booleans())
    broken = gzip.compress(data.draw(header_heavy(good, 20))) if inner else data.draw(corrupted(gzip.compress(good)))
    write(data_dir, "fashion_mnist", name, broken)
    check_split(load_or_value_error(lambda: fashion_mnist.load_data(data_dir=data_dir, sample_fallback=False)))


@pytest.mark.parametrize(
    ("module", "dataset", "name", "payload", "kwargs"),
    [
        (mnist, "mnist", "mnist.npz", MNIST, {}),
        (imdb, "imdb", "imdb.npz", IMDB, {"num_words": 50, "maxlen": 20}),
        (reuters, "reuters", "reuters.npz", REUTERS, {"skip_top": 2}),
        (boston_housing, "boston_housing", "boston_housing.npz", BOSTON, {}),
    ],
    ids=["mnist", "imdb", "reuters", "boston_housing"],
)
def test_npz_loaders(data_dir, module, dataset, name, payload, kwargs):
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        members = sorted(archive.namelist())

    @FUZZ
    @given(data=st.data())
    def run(data):
        if data.draw(st.booleans()):
            broken = data.draw(corrupted(payload))
        else:
            member = data.draw(st.sampled_from(members))
            with zipfile.ZipFile(io.BytesIO(payload)) as archive:
                mutated = data.draw(header_heavy(archive.read(member), 160))
            broken = rezip(payload, {member: mutated})
        write(data_dir, dataset, name, broken)
        check_split(load_or_value_error(lambda: module.load_data(data_dir=data_dir, **kwargs)))

    run()


@pytest.mark.parametrize(
    ("module", "dataset", "name", "archive"),
    [
        (cifar10, "cifar10", "cifar-10-python.tar.gz", CIFAR10),
        (cifar100, "cifar100", "cifar-100-python.tar.gz", CIFAR100),
    ],
    ids=["cifar10", "cifar100"],
)
def test_cifar_loaders(data_dir, module, dataset, name, archive):
    @FUZZ
    @given(data=st.data())
    def run(data):
        if data.draw(st.booleans()):
            broken = data.draw(corrupted(archive))
        else:
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                member = data.draw(st.sampled_from(sorted(tar.getnames())))
                raw = tar.extractfile(member).read()
            broken = retar(archive, {member: data.draw(header_heavy(raw, 200))})
        write(data_dir, dataset, name, broken)
        check_split(load_or_value_error(lambda: module.load_data(data_dir=data_dir)))

    run()


@FUZZ
@given(data=st.data())
def test_california_housing_loader(data_dir, data):
    folder = data_dir / "california_housing"
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    if data.draw(st.booleans()):
        write(data_dir, "california_housing", "housing.csv", data.draw(corrupted(CSV)))
    elif data.draw(st.booleans()):
        write(data_dir, "california_housing", "cal_housing.tgz", data.draw(corrupted(CAL_TGZ)))
    else:
        mutated = data.draw(corrupted(CAL_DATA))
        write(
            data_dir,
            "california_housing",
            "cal_housing.tgz",
            retar(CAL_TGZ, {"CaliforniaHousing/cal_housing.data": mutated}),
        )
    check_split(
        load_or_value_error(
            lambda: california_housing.load_data(test_split=0.3, data_dir=data_dir, sample_fallback=False)
        )
    )


@FUZZ
@given(data=st.data())
def test_archive_extraction(data_dir, data):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("pkg/a.txt", "alpha")
        archive.writestr("pkg/b/c.txt", "gamma")
    source = data.draw(st.sampled_from([CAL_TGZ, buffer.getvalue()]))
    path = data_dir / "fuzz_archive"
    path.write_bytes(data.draw(corrupted(source)))
    target = data_dir / "extracted"
    load_or_value_error(lambda: extract_archive(path, target))
    if target.exists():
        assert not [p for p in target.iterdir() if p.name.startswith(".extracting-")]
