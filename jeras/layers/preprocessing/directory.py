"""`image_dataset_from_directory` and `text_dataset_from_directory`: labelled files to batches (host-side).

A folder with one subfolder per class (`main_directory/class_a/*.jpg`, ...) becomes an iterable
of `(inputs, labels)` NumPy batches. Files are indexed and split as tf.keras 2 does (class
folders and files in alphanumeric order; a seeded shuffle before the validation split, which
takes the last `validation_split` fraction), and reading and decoding happen on the host, batch
by batch, before anything is sent to the device.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_LABEL_MODES = ("int", "categorical", "binary", None)
_COLOR_MODES = {"grayscale": ("L", 1), "rgb": ("RGB", 3), "rgba": ("RGBA", 4)}


def _check_positive(value, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{argument} must be a positive integer. Received: {argument}={value!r}")
    return int(value)


def index_directory(
    directory: str | os.PathLike,
    labels: Any,
    formats: tuple[str, ...],
    class_names: Sequence[str] | None,
    follow_links: bool,
) -> tuple[list[str], np.ndarray | None, list[str]]:
    """Returns (file paths, labels or None, class names) for a directory, files in alphanumeric order."""
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise ValueError(f"directory must be an existing folder. Received: directory={directory!r}")
    if labels == "inferred":
        found = sorted(d for d in os.listdir(directory) if os.path.isdir(os.path.join(directory, d)))
        if class_names is not None:
            if set(class_names) != set(found):
                raise ValueError(
                    f"class_names must name the subfolders of the directory, {found}. Received: class_names={list(class_names)}"
                )
            found = list(class_names)
        roots = [(os.path.join(directory, name), index) for index, name in enumerate(found)]
        names = found
    else:
        roots, names = [(directory, None)], list(class_names or [])
    paths: list[str] = []
    label_list: list[int] = []
    for root, label in roots:
        files = []
        for folder, subfolders, filenames in os.walk(root, followlinks=follow_links):
            subfolders.sort()
            files.extend(os.path.join(folder, f) for f in filenames if f.lower().endswith(formats))
        files.sort()
        paths.extend(files)
        label_list.extend([label] * len(files) if label is not None else [])
    if labels == "inferred":
        return paths, np.asarray(label_list, np.int64), names
    if labels is None:
        return paths, None, names
    given = np.asarray(list(labels))
    if len(given) != len(paths):
        raise ValueError(
            f"labels must have one entry per file: {len(paths)} files were found in {directory!r}. "
            f"Received: {len(given)} labels"
        )
    return paths, given, names


def _check_split(validation_split, subset, shuffle: bool, seed) -> None:
    if validation_split is not None:
        ok = isinstance(validation_split, (int, float)) and not isinstance(validation_split, bool)
        if not ok or not 0 < validation_split < 1:
            raise ValueError(
                f"validation_split must be a number between 0 and 1. Received: validation_split={validation_split!r}"
            )
        if subset not in ("training", "validation", "both"):
            raise ValueError(
                f"With validation_split, subset must be 'training', 'validation' or 'both'. Received: subset={subset!r}"
            )
        if shuffle and seed is None:
            raise ValueError(
                "When shuffling with a validation_split, give a seed so that the training and validation "
                "subsets do not overlap. Received: seed=None"
            )
    elif subset is not None:
        raise ValueError(f"subset needs a validation_split. Received: subset={subset!r}, validation_split=None")


def _split(paths: list[str], labels, validation_split, subset) -> list[tuple[list[str], Any]]:
    if validation_split is None:
        return [(paths, labels)]
    n_val = int(validation_split * len(paths))
    cut = len(paths) - n_val
    parts = {
        "training": (paths[:cut], None if labels is None else labels[:cut]),
        "validation": (paths[cut:], None if labels is None else labels[cut:]),
    }
    return [parts["training"], parts["validation"]] if subset == "both" else [parts[subset]]


def _encode_labels(labels: np.ndarray, label_mode: str | None, num_classes: int):
    if label_mode == "int":
        return labels.astype(np.int32)
    if label_mode == "binary":
        return labels.astype(np.float32).reshape(-1, 1)
    return np.eye(num_classes, dtype=np.float32)[labels.astype(np.int64)]


class DirectoryDataset:
    """Batches of `(inputs, labels)` (or inputs alone) read from files, as NumPy arrays.

    Iterating gives one pass over the files; with `shuffle`, each pass takes a new order (seeded
    by `seed` and the pass number). `class_names` and `file_paths` describe the files.
    """

    def __init__(self, paths: list[str], labels, load, *, batch_size: int | None, shuffle: bool, seed, class_names):
        self.file_paths = list(paths)
        self._labels = labels
        self._load = load
        self._batch_size = batch_size
        self._shuffle = shuffle
        self._seed = seed
        self._passes = 0
        self.class_names = list(class_names)

    def __len__(self) -> int:
        if self._batch_size is None:
            return len(self.file_paths)
        return -(-len(self.file_paths) // self._batch_size)

    def __iter__(self) -> Iterator:
        order = np.arange(len(self.file_paths))
        if self._shuffle:
            seed = None if self._seed is None else (int(self._seed), self._passes)
            np.random.default_rng(seed).shuffle(order)
        self._passes += 1
        size = self._batch_size or 1
        for start in range(0, len(order), size):
            rows = order[start : start + size]
            inputs = np.stack([self._load(self.file_paths[i]) for i in rows])
            labels = None if self._labels is None else self._labels[rows]
            if self._batch_size is None:
                inputs, labels = inputs[0], None if labels is None else labels[0]
            yield inputs if labels is None else (inputs, labels)

    def __repr__(self) -> str:
        return f"<DirectoryDataset files={len(self.file_paths)}, batches={len(self)}, classes={self.class_names}>"


def _datasets(
    directory, labels, label_mode, class_names, formats, load, *, batch_size, shuffle, seed, split, subset, follow_links
):
    if labels not in ("inferred", None) and isinstance(labels, str):
        raise ValueError(f"labels must be 'inferred', None, or a list of labels. Received: labels={labels!r}")
    if label_mode not in _LABEL_MODES:
        raise ValueError(f"label_mode must be one of {list(_LABEL_MODES)}. Received: label_mode={label_mode!r}")
    if batch_size is not None:
        batch_size = _check_positive(batch_size, "batch_size")
    _check_split(split, subset, shuffle, seed)
    paths, raw_labels, names = index_directory(directory, labels, formats, class_names, follow_links)
    if not paths:
        raise ValueError(f"No files of the formats {list(formats)} were found in directory {os.fspath(directory)!r}.")
    if labels is None or label_mode is None:
        encoded = None
    else:
        num_classes = len(names) if labels == "inferred" else int(np.max(raw_labels)) + 1
        if label_mode == "binary" and num_classes != 2:
            raise ValueError(f"label_mode='binary' needs exactly 2 classes. Received: {num_classes} classes {names}")
        encoded = _encode_labels(raw_labels, label_mode, num_classes)
    if shuffle:
        # As tf.keras 2: the files are shuffled once with the seed before splitting.
        order = np.random.RandomState(np.random.randint(1_000_000) if seed is None else seed).permutation(len(paths))
        paths = [paths[i] for i in order]
        encoded = None if encoded is None else encoded[order]
    out = [
        DirectoryDataset(p, lab, load, batch_size=batch_size, shuffle=shuffle, seed=seed, class_names=names)
        for p, lab in _split(paths, encoded, split, subset)
    ]
    return out if subset == "both" else out[0]


def image_dataset_from_directory(
    directory: str | os.PathLike,
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: Sequence[str] | None = None,
    color_mode: str = "rgb",
    batch_size: int | None = 32,
    image_size: tuple[int, int] = (256, 256),
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    interpolation: str = "bilinear",
    follow_links: bool = False,
    crop_to_aspect_ratio: bool = False,
    **kwargs: Any,
):
    """Reads a folder of images (one subfolder per class) as batches, as tf.keras 2's function of that name.

    Args:
        directory: the folder. With `labels="inferred"`, its subfolders are the classes.
        labels: `"inferred"` (from the subfolders), None (no labels), or a list of labels, one per
            image file in alphanumeric order of the paths. Default `"inferred"`.
        label_mode: `"int"` (int32 class indices), `"categorical"` (one-hot float32), `"binary"`
            (float32 0/1, shape `(batch, 1)`, for 2 classes), or None (images only). Default `"int"`.
        class_names: the subfolders to use, in label order. Default None (all, alphanumeric order).
        color_mode: `"grayscale"`, `"rgb"` or `"rgba"` (1, 3 or 4 channels). Default `"rgb"`.
        batch_size: images per batch, or None for single images. Default 32.
        image_size: `(height, width)` every image is resized to. Default `(256, 256)`.
        shuffle: shuffle the files (again at each pass). Default True.
        seed: the shuffling seed; needed with `validation_split` when shuffling. Default None.
        validation_split: the fraction (the last one) kept for validation. Default None.
        subset: `"training"`, `"validation"` or `"both"` (returns both) with `validation_split`. Default None.
        interpolation: `"bilinear"`, `"nearest"`, `"bicubic"`, `"lanczos3"` or `"area"`. Default `"bilinear"`.
        follow_links: follow symbolic links to subfolders. Default False.
        crop_to_aspect_ratio: crop the largest centred window of the target aspect ratio before
            resizing, instead of distorting. Default False.

    Returns:
        A `DirectoryDataset` of `(images, labels)` batches: float32 images `(batch, height, width,
        channels)` with values 0-255. With `subset="both"`, a list of two.
    """
    from PIL import Image  # Pillow: decoding images is its job (it comes with matplotlib).

    if kwargs:
        raise TypeError(f"Unknown keyword argument(s): {sorted(kwargs)}. Received: {kwargs!r}")
    if color_mode not in _COLOR_MODES:
        raise ValueError(f"color_mode must be one of {list(_COLOR_MODES)}. Received: color_mode={color_mode!r}")
    filters = {
        "bilinear": Image.Resampling.BILINEAR,
        "nearest": Image.Resampling.NEAREST,
        "bicubic": Image.Resampling.BICUBIC,
        "lanczos3": Image.Resampling.LANCZOS,
        "area": Image.Resampling.BOX,
    }
    if interpolation not in filters:
        raise ValueError(f"interpolation must be one of {list(filters)}. Received: interpolation={interpolation!r}")
    try:
        height, width = (_check_positive(v, "image_size") for v in image_size)
    except TypeError as err:
        raise ValueError(f"image_size must be (height, width). Received: image_size={image_size!r}") from err
    mode, _ = _COLOR_MODES[color_mode]

    def load(path: str) -> np.ndarray:
        with Image.open(path) as img:
            img = img.convert(mode)
            box = None
            if crop_to_aspect_ratio:
                w, h = img.size
                crop_w, crop_h = min(w, round(h * width / height)), min(h, round(w * height / width))
                left, top = (w - crop_w) // 2, (h - crop_h) // 2
                box = (left, top, left + crop_w, top + crop_h)
            img = img.resize((width, height), filters[interpolation], box=box)
            arr = np.asarray(img, np.float32)
        return arr[..., None] if arr.ndim == 2 else arr

    return _datasets(
        directory,
        labels,
        label_mode,
        class_names,
        IMAGE_FORMATS,
        load,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        split=validation_split,
        subset=subset,
        follow_links=follow_links,
    )


def text_dataset_from_directory(
    directory: str | os.PathLike,
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: Sequence[str] | None = None,
    batch_size: int | None = 32,
    max_length: int | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    follow_links: bool = False,
):
    """Reads a folder of `.txt` files (one subfolder per class) as batches of strings, as tf.keras 2.

    Args:
        directory: the folder. With `labels="inferred"`, its subfolders are the classes.
        labels, label_mode, class_names, batch_size, shuffle, seed, validation_split, subset,
            follow_links: as for `image_dataset_from_directory` (same defaults).
        max_length: keep at most this many characters of each text. Default None (all).

    Returns:
        A `DirectoryDataset` of `(texts, labels)` batches, texts a NumPy array of Python strings
        (dtype object). With `subset="both"`, a list of two.
    """
    if max_length is not None:
        max_length = _check_positive(max_length, "max_length")

    def load(path: str) -> np.ndarray:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        return np.asarray(text if max_length is None else text[:max_length], dtype=object)

    return _datasets(
        directory,
        labels,
        label_mode,
        class_names,
        (".txt",),
        load,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        split=validation_split,
        subset=subset,
        follow_links=follow_links,
    )
