"""Fashion-MNIST and California housing on the real files in ../shared/datasets: offline-first lookup,
structural checks, corrupt-file detection, the bundled sample, and the published checksums."""

import gzip
import io
import shutil
import tarfile
import warnings

import numpy as np
import pytest
from conftest import DATASETS
from test_datasets_formats import idx_bytes, sandbox, tar_gz_bytes, write_idx_gz  # noqa: F401 - sandbox is autouse

from jeras import keras
from jeras.datasets import (
    CorruptFileError,
    DatasetNotFoundError,
    SampleDataWarning,
    california_housing,
    fashion_mnist,
    file_digest,
    read_idx,
    validate_file,
)
from jeras.datasets.cache import SAMPLE_DIR, check_local_file, get_data_dir

FASHION = DATASETS / "fashion_mnist"
OFFICIAL_LABELS = DATASETS / "fashion_mnist_official_labels"
HOUSING_CSV = DATASETS / "california_housing" / "housing.csv"
FASHION_NAMES = [spec.name for spec in fashion_mnist.FILES]
# Published checksums, from ../shared/datasets/README.md (and Zalando Research for the md5s).
PUBLISHED = {
    "train-labels-idx1-ubyte.gz": (
        "25c81989df183df01b3e8a0aad5dffbe",
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        60_000,
    ),
    "t10k-labels-idx1-ubyte.gz": (
        "bb300cfdad3c16e7a12a480ee83cd310",
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        10_000,
    ),
}


def copy_fashion(data_dir, source=FASHION, names=FASHION_NAMES):
    folder = data_dir / "fashion_mnist"
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(source / name, folder / name)
    return folder


# --- 1, 3: loaders on the real files, offline first -------------------------------------------


def test_fashion_mnist_loads_the_shared_partial_files_through_the_keras_namespace(monkeypatch):
    monkeypatch.setenv("JERAS_DATA_DIR", str(DATASETS))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    assert x_train.shape == (7000, 28, 28) and x_test.shape == (1226, 28, 28)
    assert y_train.shape == (7000,) and y_test.shape == (1226,)
    assert x_train.dtype == y_train.dtype == np.uint8
    assert set(np.unique(y_train)) == set(range(10)) and x_train.max() == 255


def test_fashion_mnist_matches_keras3_reading_the_same_files(monkeypatch):
    mod = pytest.importorskip("keras.src.datasets.fashion_mnist")
    monkeypatch.setattr(mod, "get_file", lambda fname, **kwargs: str(FASHION / fname))
    theirs = mod.load_data()
    ours = fashion_mnist.load_data(data_dir=DATASETS)
    for mine, ref in zip((*ours[0], *ours[1]), (*theirs[0], *theirs[1])):
        assert mine.dtype == ref.dtype
        np.testing.assert_array_equal(mine, ref)


def test_the_data_dir_argument_beats_the_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("JERAS_DATA_DIR", str(tmp_path / "nothing_here"))
    (x_train, _), _ = fashion_mnist.load_data(data_dir=DATASETS, sample_fallback=False)
    assert len(x_train) == 7000
    assert get_data_dir() == tmp_path / "nothing_here"
    monkeypatch.delenv("JERAS_DATA_DIR")
    assert str(get_data_dir()).endswith(".jeras/datasets") and "~" not in str(get_data_dir())


def test_california_housing_derives_the_standard_features_from_housing_csv():
    (x_train, y_train), (x_test, y_test) = california_housing.load_data(data_dir=DATASETS, sample_fallback=False)
    assert x_train.shape == (16_346, 8) and x_test.shape == (4_087, 8)
    assert x_train.dtype == y_train.dtype == np.float32 and y_test.shape == (4_087,)
    x = np.concatenate([x_train, x_test])
    y = np.concatenate([y_train, y_test])
    # First district of housing.csv: -122.23,37.88,41,880,129,322,126,8.3252,452600,NEAR BAY
    row = np.flatnonzero((x[:, 0] == np.float32(8.3252)) & (x[:, 1] == 41) & (x[:, 7] == np.float32(-122.23)))
    assert len(row) == 1
    expected = [8.3252, 41, 880 / 126, 129 / 126, 322, 322 / 126, 37.88, -122.23]
    np.testing.assert_allclose(x[row[0]], expected, rtol=1e-6)
    assert y[row[0]] == pytest.approx(4.526)
    assert 0.14 < y.min() and y.max() < 5.01


def test_california_housing_split_follows_test_split_and_seed():
    a = california_housing.load_data(test_split=0.5, seed=1, data_dir=DATASETS)
    b = california_housing.load_data(test_split=0.5, seed=1, data_dir=DATASETS)
    c = california_housing.load_data(test_split=0.5, seed=2, data_dir=DATASETS)
    assert len(a[0][0]) == 10_216 and len(a[1][0]) == 10_217
    np.testing.assert_array_equal(a[0][0], b[0][0])
    assert not np.array_equal(a[0][0], c[0][0])
    with pytest.raises(ValueError, match=r"test_split must be in \[0, 1\). Received: test_split=-0.1"):
        california_housing.load_data(test_split=-0.1, data_dir=DATASETS)
    with pytest.raises(TypeError, match=r"seed must be an integer. Received: seed='1'"):
        california_housing.load_data(seed="1", data_dir=DATASETS)


def test_california_housing_reads_the_canonical_archive_the_same_way(tmp_path):
    lines = HOUSING_CSV.read_text().splitlines()[1:301]
    complete = [ln.split(",")[:9] for ln in lines if ln.split(",")[4]]
    data = "".join(",".join(f"{float(v):f}" for v in row) + "\n" for row in complete).encode()
    members = {
        "CaliforniaHousing/cal_housing.data": data,
        "CaliforniaHousing/cal_housing.domain": b"longitude: continuous.\n",
    }
    folder = tmp_path / "california_housing"
    folder.mkdir()
    (folder / "cal_housing.tgz").write_bytes(tar_gz_bytes(members))
    from_archive = california_housing.load_data(test_split=0.25, seed=5, data_dir=tmp_path)
    (folder / "cal_housing.tgz").unlink()
    (folder / "housing.csv").write_text("\n".join(HOUSING_CSV.read_text().splitlines()[:301]) + "\n")
    from_csv = california_housing.load_data(test_split=0.25, seed=5, data_dir=tmp_path)
    assert from_archive[0][0].shape == (len(complete) * 3 // 4, 8)
    for a, b in zip((*from_archive[0], *from_archive[1]), (*from_csv[0], *from_csv[1])):
        np.testing.assert_array_equal(a, b)
    # With both there, the canonical archive (complete rows) wins over a CSV.
    (folder / "cal_housing.tgz").write_bytes(tar_gz_bytes(members))
    (folder / "housing.csv").write_text("\n".join(HOUSING_CSV.read_text().splitlines()[:11]) + "\n")
    both = california_housing.load_data(test_split=0.25, seed=5, data_dir=tmp_path)
    np.testing.assert_array_equal(both[0][0], from_archive[0][0])


# --- 3: official name and size but wrong checksum is corrupt ----------------------------------


def test_a_file_with_the_official_size_but_another_checksum_is_reported_corrupt(tmp_path):
    folder = copy_fashion(tmp_path, names=["train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz"])
    shutil.copy(FASHION / "t10k-labels-idx1-ubyte.gz", folder)
    damaged = bytearray((OFFICIAL_LABELS / "train-labels-idx1-ubyte.gz").read_bytes())
    damaged[1000] ^= 0xFF
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(bytes(damaged))
    with pytest.raises(
        CorruptFileError, match=r"train-labels-idx1-ubyte\.gz is corrupt: it has the official size"
    ) as info:
        fashion_mnist.load_data(data_dir=tmp_path)
    assert "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845" in str(info.value)
    assert "Delete it" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_the_intact_official_labels_pass_but_do_not_match_the_partial_images(tmp_path):
    folder = copy_fashion(tmp_path, names=["train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz"])
    for name in PUBLISHED:
        shutil.copy(OFFICIAL_LABELS / name, folder / name)
    with pytest.raises(ValueError, match=r"holds 7000 images but .*train-labels-idx1-ubyte\.gz holds 60000 labels"):
        fashion_mnist.load_data(data_dir=tmp_path)


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_official_label_files_match_their_published_checksums(name):
    md5, sha256, count = PUBLISHED[name]
    path = OFFICIAL_LABELS / name
    assert file_digest(path, "md5") == md5
    assert file_digest(path, "sha256") == sha256
    assert validate_file(path, md5) and validate_file(path, sha256)
    spec = next(s for s in fashion_mnist.FILES if s.name == name)
    assert path.stat().st_size == spec.size
    check_local_file(path, spec)
    labels = read_idx(path)
    assert labels.shape == (count,) and labels.max() == 9
    np.testing.assert_array_equal(np.bincount(labels), np.full(10, count // 10))


def test_the_shared_partial_files_are_not_the_official_ones_and_still_load():
    for spec in fashion_mnist.FILES:
        assert (FASHION / spec.name).stat().st_size != spec.size
        check_local_file(FASHION / spec.name, spec)


# --- 4: the bundled sample --------------------------------------------------------------------


def test_offline_with_no_files_fashion_mnist_falls_back_to_the_sample_with_one_line(tmp_path):
    with pytest.warns(SampleDataWarning) as record:
        (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data(data_dir=tmp_path)
    assert len(record) == 1
    message = str(record[0].message)
    assert "\n" not in message
    assert "2,000 training and 500 test images instead of 60,000 and 10,000" in message
    assert str(tmp_path / "fashion_mnist") in message and "train-images-idx3-ubyte.gz" in message
    assert x_train.shape == (2000, 28, 28) and x_test.shape == (500, 28, 28) and y_test.dtype == np.uint8


def test_the_sample_is_used_only_when_the_full_set_cannot_be_had(tmp_path):
    copy_fashion(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x_train, _), _ = fashion_mnist.load_data(data_dir=tmp_path)
    assert len(x_train) == 7000


def test_california_housing_falls_back_to_its_sample(tmp_path):
    with pytest.warns(SampleDataWarning, match=r"4,000 districts instead of 20,640.*cal_housing\.tgz") as record:
        (x_train, _), (x_test, _) = keras.datasets.california_housing.load_data(data_dir=tmp_path)
    assert len(record) == 1 and "\n" not in str(record[0].message)
    assert x_train.shape == (3200, 8) and x_test.shape == (800, 8)


def test_without_the_fallback_the_error_lists_every_file_and_the_folder(tmp_path):
    (tmp_path / "fashion_mnist").mkdir()
    shutil.copy(FASHION / "t10k-labels-idx1-ubyte.gz", tmp_path / "fashion_mnist")
    with pytest.raises(DatasetNotFoundError) as info:
        fashion_mnist.load_data(data_dir=tmp_path, sample_fallback=False)
    message = str(info.value)
    assert f"Put these files, under exactly these names, in {tmp_path / 'fashion_mnist'}/" in message
    for name in FASHION_NAMES:
        state = "present" if name.startswith("t10k-labels") else "missing"
        assert f"  {name}  ({state}" in message
    assert isinstance(info.value, FileNotFoundError)


def test_california_error_names_both_accepted_layouts(tmp_path):
    with pytest.raises(DatasetNotFoundError, match=r"cal_housing\.tgz[\s\S]*housing\.csv"):
        california_housing.load_data(data_dir=tmp_path, sample_fallback=False)


def test_the_sample_is_real_data_from_the_shared_files():
    for name in FASHION_NAMES:
        sample, full = read_idx(SAMPLE_DIR / "fashion_mnist" / name), read_idx(FASHION / name)
        np.testing.assert_array_equal(sample, full[: len(sample)])
        assert len(sample) == (2000 if name.startswith("train") else 500)
    full_rows = set(HOUSING_CSV.read_text().splitlines()[1:])
    sample_lines = (SAMPLE_DIR / "california_housing" / "housing.csv").read_text().splitlines()
    assert sample_lines[0] == HOUSING_CSV.read_text().splitlines()[0]
    assert len(sample_lines) == 4001 and set(sample_lines[1:]) <= full_rows


def test_the_sample_fits_the_size_budget_and_is_declared_as_package_data():
    files = [p for p in SAMPLE_DIR.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) <= 4 * 1024 * 1024
    toml = pytest.importorskip("tomllib")  # Python 3.11+
    root = SAMPLE_DIR.parents[2]
    config = toml.loads((root / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["jeras.datasets"]
    package = SAMPLE_DIR.parent
    declared = {p for pattern in patterns for p in package.glob(pattern) if p.is_file()}
    assert declared == set(files)


# --- 5: bad input -----------------------------------------------------------------------------


def test_a_truncated_gzip_names_the_file_and_what_to_do(tmp_path):
    folder = copy_fashion(tmp_path)
    raw = (folder / "train-images-idx3-ubyte.gz").read_bytes()
    (folder / "train-images-idx3-ubyte.gz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz is not a valid gzip file .* Download it again"):
        fashion_mnist.load_data(data_dir=tmp_path)


def test_an_idx_file_cut_short_inside_its_data_is_truncated_not_partial(tmp_path):
    folder = copy_fashion(tmp_path)
    raw = gzip.decompress((folder / "t10k-images-idx3-ubyte.gz").read_bytes())
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(raw[: -784 * 3 - 5]))
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte\.gz is truncated: dimensions \(1226, 28, 28\)"):
        fashion_mnist.load_data(data_dir=tmp_path)


def test_images_and_labels_from_different_splits_do_not_belong_together(tmp_path):
    folder = copy_fashion(tmp_path)
    shutil.copy(FASHION / "t10k-labels-idx1-ubyte.gz", folder / "train-labels-idx1-ubyte.gz")
    with pytest.raises(ValueError, match=r"holds 7000 images but .* holds 1226 labels; the two files do not belong"):
        fashion_mnist.load_data(data_dir=tmp_path)


@pytest.mark.parametrize(
    ("name", "array", "message"),
    [
        (
            "train-labels-idx1-ubyte.gz",
            np.full(7000, 10, np.uint8),
            r"labels up to 10 but this data set has 10 classes",
        ),
        ("train-images-idx3-ubyte.gz", np.zeros((7000, 28, 27), np.uint8), r"must hold 28x28 images"),
        ("train-labels-idx1-ubyte.gz", np.zeros((7000, 1), np.uint8), r"must hold uint8 labels of shape \(count,\)"),
    ],
)
def test_garbled_idx_content_is_reported(tmp_path, name, array, message):
    folder = copy_fashion(tmp_path)
    write_idx_gz(folder / name, array)
    with pytest.raises(ValueError, match=message):
        fashion_mnist.load_data(data_dir=tmp_path)


def test_an_idx_header_with_a_wrong_magic_is_not_idx(tmp_path):
    folder = copy_fashion(tmp_path)
    raw = bytearray(idx_bytes(np.zeros(7000, np.uint8)))
    raw[2] = 0x42
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte\.gz has an unknown IDX type code 0x42"):
        fashion_mnist.load_data(data_dir=tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("longitude,latitude\n1,2\n", r"housing\.csv lacks the columns \['housing_median_age'"),
        (None, r"housing\.csv line 4 has 3 fields but 10 are expected"),
        ("HEAD\n-122.23,37.88,41.0,880.0,129.0,322.0,126.0,8.3252,abc,NEAR BAY\n", r"line 2: median_house_value must"),
        ("HEAD\n-122.23,37.88,41.0,880.0,129.0,322.0,0,8.3252,452600.0,NEAR BAY\n", r"line 2: households must be"),
        ("HEAD\n", r"housing\.csv holds no complete district rows"),
        (b"\xff\xfe\x00garbage", r"housing\.csv is not a readable CSV text file"),
    ],
)
def test_bad_housing_csv_names_the_file_and_line(tmp_path, text, message):
    header = HOUSING_CSV.read_text().splitlines()[0]
    if text is None:
        text = "\n".join(HOUSING_CSV.read_text().splitlines()[:3]) + "\n-122.2,37.8,41\n"
    folder = tmp_path / "california_housing"
    folder.mkdir()
    data = text if isinstance(text, bytes) else text.replace("HEAD", header).encode()
    (folder / "housing.csv").write_bytes(data)
    with pytest.raises(ValueError, match=message):
        california_housing.load_data(data_dir=tmp_path)


def test_an_archive_without_the_data_member_names_it(tmp_path):
    folder = tmp_path / "california_housing"
    folder.mkdir()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz"):
        pass
    (folder / "cal_housing.tgz").write_bytes(buffer.getvalue())
    with pytest.raises(ValueError, match=r"cal_housing\.tgz lacks the member CaliforniaHousing/cal_housing\.data"):
        california_housing.load_data(data_dir=tmp_path)


# --- the keras namespace and the test sandbox ------------------------------------------------


def test_every_tf_keras_loader_is_at_its_keras_path():
    import jeras.datasets

    for name in (
        "boston_housing",
        "california_housing",
        "cifar10",
        "cifar100",
        "fashion_mnist",
        "imdb",
        "mnist",
        "reuters",
    ):
        assert getattr(keras.datasets, name) is getattr(jeras.datasets, name)
        assert callable(getattr(keras.datasets, name).load_data)
    assert callable(keras.datasets.imdb.get_word_index) and callable(keras.datasets.reuters.get_word_index)
    assert keras.utils.get_file is jeras.datasets.get_file


def test_the_sandbox_refuses_any_host_but_loopback(monkeypatch):
    from jeras.datasets.download import download

    monkeypatch.delenv("JERAS_OFFLINE")
    with pytest.raises(AssertionError, match="a test tried to resolve example.org"):
        download("http://example.org/x.bin", "unused.bin", progress=False)
