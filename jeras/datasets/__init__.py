"""Data sets: the `keras.datasets` loaders, offline first, with verified downloads and a bundled sample.

Each loader reads its official files from `<data dir>/<data set name>/`, where the data dir is the
loader's `data_dir=` argument, else `$JERAS_DATA_DIR`, else `~/.jeras/datasets`; missing files
are downloaded from their canonical locations and checked against published checksums (set
`JERAS_OFFLINE=1` to forbid downloads). The file-format readers are public too.
"""

from jeras.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)
from jeras.datasets.archives import extract_archive
from jeras.datasets.cache import DatasetNotFoundError, SampleDataWarning, get_data_dir
from jeras.datasets.checksums import CorruptFileError, file_digest, validate_file
from jeras.datasets.download import DownloadError
from jeras.datasets.fetch import get_file
from jeras.datasets.idx import decode_idx, parse_idx, read_idx, read_image_label_pair
from jeras.datasets.npz import read_npz

__all__ = [
    "CorruptFileError",
    "DatasetNotFoundError",
    "DownloadError",
    "SampleDataWarning",
    "boston_housing",
    "california_housing",
    "cifar10",
    "cifar100",
    "decode_idx",
    "extract_archive",
    "fashion_mnist",
    "file_digest",
    "get_data_dir",
    "get_file",
    "imdb",
    "mnist",
    "parse_idx",
    "read_idx",
    "read_image_label_pair",
    "read_npz",
    "reuters",
    "validate_file",
]
