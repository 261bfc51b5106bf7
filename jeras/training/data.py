"""Checking and preparing in-memory data before any step runs.

Every check here raises a `ValueError`/`TypeError` that names the argument, what was
expected and what was received (DESIGN.md, principle 8). Arrays are converted once to the
dtypes the compiled steps expect and kept as NumPy until they are sent to the device.
"""

from __future__ import annotations

import collections
import inspect
import math
import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from jeras import tabular


def _describe(x) -> str:
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return f"array of shape {tuple(x.shape)} and dtype {x.dtype}"
    return f"{type(x).__name__}"


def streaming_kind(x: Any) -> str | None:
    """What kind of streaming input `x` is (a tf.data.Dataset, a generator, a Sequence), or None."""
    cls = type(x)
    if hasattr(x, "element_spec") or (cls.__name__.endswith("Dataset") and hasattr(x, "__iter__")):
        return "a tf.data.Dataset"
    if inspect.isgenerator(x) or isinstance(x, Iterator):
        return "a Python generator"
    if any(base.__name__ in ("Sequence", "PyDataset") for base in cls.__mro__[:-1]) and not isinstance(
        x, (list, tuple)
    ):
        return "a keras.utils.Sequence"
    return None


def reject_streaming(x: Any, *, argument: str) -> None:
    """Raises a TypeError naming `argument` when `x` is streaming input (a dataset, generator or Sequence)."""
    kind = streaming_kind(x)
    if kind is not None:
        raise TypeError(
            f"{argument} is {kind} that jeras cannot read: fit, evaluate and predict stream a jeras.data.Dataset "
            "(`tf.data.Dataset` under `from jeras import tf`), a keras.utils.Sequence, a Python generator or a "
            "memory-mapped array. For a TensorFlow dataset pass `dataset.as_numpy_iterator()` (with "
            f"steps_per_epoch), or NumPy arrays. Received: {argument} of type {type(x).__name__}"
        )


def to_numpy(x: Any, *, argument: str) -> np.ndarray:
    """Converts an array-like (pandas DataFrames and Series included) to a NumPy array, rejecting
    non-numeric data, None and streaming input."""
    if x is None:
        raise ValueError(f"{argument} must be an array. Received: {argument}=None")
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{argument} must be a numeric array. Received: {argument}={x!r}")
    if tabular.is_pandas(x):
        return tabular.to_numpy(x, argument=argument)
    reject_streaming(x, argument=argument)
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as err:
        raise TypeError(
            f"{argument} must be a numeric array (ragged nested lists cannot be converted). Received: {argument} of type {type(x).__name__}"
        ) from err
    if arr.dtype == object or arr.dtype.kind in "USVM":
        raise TypeError(
            f"{argument} must hold numbers (int, float or bool). Received: {argument} with dtype {arr.dtype}"
        )
    if arr.dtype.kind == "c":
        raise TypeError(
            f"{argument} must hold real numbers: a complex array would lose its imaginary part. Pass the real and "
            f"imaginary parts as separate features (np.real, np.imag). Received: {argument} with dtype {arr.dtype}"
        )
    return arr


def flatten_arrays(x: Any, *, argument: str) -> list[np.ndarray]:
    """Returns the arrays of a single array, a list/tuple of arrays, or a dict of arrays."""
    if isinstance(x, Mapping):
        return [to_numpy(v, argument=f"{argument}[{k!r}]") for k, v in x.items()]
    if isinstance(x, (list, tuple)) and len(x) > 0 and all(hasattr(v, "shape") and np.ndim(v) >= 1 for v in x):
        return [to_numpy(v, argument=f"{argument}[{i}]") for i, v in enumerate(x)]
    return [to_numpy(x, argument=argument)]


def check_lengths(named: Sequence[tuple[str, np.ndarray]]) -> int:
    """Checks that all arrays have one common, non-zero number of rows, and returns it."""
    length = None
    first_name = None
    for name, arr in named:
        if arr.ndim == 0:
            raise ValueError(f"{name} must have a batch axis. Received: {name} with shape {arr.shape}")
        if length is None:
            length, first_name = arr.shape[0], name
        elif arr.shape[0] != length:
            raise ValueError(
                f"Data cardinality is ambiguous: {first_name} has {length} samples but {name} has {arr.shape[0]}. "
                f"Make sure all arrays contain the same number of samples. Received: {first_name}.shape={named[0][1].shape}, "
                f"{name}.shape={arr.shape}"
            )
    if not length:
        raise ValueError(
            f"{first_name} is empty: expected at least one sample. Received: {first_name}.shape={named[0][1].shape}"
        )
    return int(length)


def _sums_are_finite(arr: np.ndarray) -> bool:
    """A fast sufficient test that every value of a large float32/float64 array is finite.

    The row sums (one BLAS matrix-vector product, several times faster than `np.isfinite` over
    the array) are NaN or infinite whenever a value is: NaN and inf propagate through sums. A
    non-finite sum may also come from finite values overflowing, so False only means "look
    closely" (the caller then checks every value).
    """
    if arr.size < 1 << 16 or arr.dtype not in (np.float32, np.float64) or not arr.flags.c_contiguous:
        return False
    rows = arr.reshape(1, -1) if arr.ndim < 2 else arr.reshape(-1, arr.shape[-1])
    return bool(np.isfinite(rows @ np.ones(rows.shape[1], arr.dtype)).all())


def _immutable_owner(arr: np.ndarray) -> Any:
    """The object that owns `arr`'s memory when nothing can write to it, else None.

    That holds for a NumPy array read-only all the way down its chain of bases, and for the
    read-only view NumPy makes of a jax.Array (whose buffer is immutable). A writeable array,
    or a read-only view of a writeable one, may change between two calls: None.
    """
    obj = arr
    while isinstance(obj, np.ndarray):
        if obj.flags.writeable:
            return None
        if obj.base is None:
            return obj
        obj = obj.base
    if isinstance(obj, memoryview) and obj.readonly and type(obj.obj).__module__.startswith("jax"):
        return obj.obj
    return None


class _PassedChecks:
    """Which checks immutable arrays have already passed, so a repeated `fit`/`evaluate`/`predict`
    on the same read-only or JAX data does not scan it again (docs/architecture.md, "Data").

    An entry names the owner of the memory (held weakly: a freed owner's entry is never
    matched, even if another array reuses its id), the view's address, shape, strides and
    dtype, and the check. Bounded: the oldest entries are forgotten.
    """

    _SIZE = 256

    def __init__(self):
        self._entries: collections.OrderedDict = collections.OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(arr: np.ndarray, owner: Any, check: tuple) -> tuple:
        return (id(owner), arr.ctypes.data, arr.shape, arr.strides, arr.dtype.str) + check

    def passed(self, arr: np.ndarray, check: tuple) -> bool:
        owner = _immutable_owner(arr)
        if owner is None:
            return False
        with self._lock:
            ref = self._entries.get(self._key(arr, owner, check))
            return ref is not None and ref() is owner

    def record(self, arr: np.ndarray, check: tuple) -> None:
        owner = _immutable_owner(arr)
        if owner is None:
            return
        try:
            ref = weakref.ref(owner)
        except TypeError:
            return
        with self._lock:
            key = self._key(arr, owner, check)
            self._entries[key] = ref
            self._entries.move_to_end(key)
            while len(self._entries) > self._SIZE:
                self._entries.popitem(last=False)


passed_checks = _PassedChecks()


def check_finite(arr: np.ndarray, *, argument: str) -> None:
    """Rejects NaN or infinite values in a floating array."""
    if arr.dtype.kind != "f" or not arr.size or passed_checks.passed(arr, ("finite",)):
        return
    if not _sums_are_finite(arr):
        finite = np.isfinite(arr)
        if not finite.all():
            bad = int(arr.size - np.count_nonzero(finite))
            raise ValueError(
                f"{argument} contains {bad} NaN or infinite value(s); clean or impute them before training. "
                f"Received: {argument} with shape {arr.shape}"
            )
    passed_checks.record(arr, ("finite",))


def check_range(arr: np.ndarray, dtype: Any, *, argument: str) -> None:
    """Rejects floating values too large for `dtype`, into which they are cast (they would become inf)."""
    target = np.dtype(dtype)
    if arr.dtype.kind != "f" or target.kind != "f" or not arr.size or np.finfo(arr.dtype).max <= np.finfo(target).max:
        return
    if passed_checks.passed(arr, ("range", target.str)):
        return
    largest = float(np.max(np.abs(arr)))
    if largest > np.finfo(target).max:
        raise ValueError(
            f"{argument} holds values up to {largest:.3g}, beyond the range of {target.name} (the model's dtype, at "
            f"most {float(np.finfo(target).max):.3g}), where they would become infinite. Scale or clip the data. "
            f"Received: {argument} with dtype {arr.dtype}"
        )
    passed_checks.record(arr, ("range", target.str))


def check_input_shape(arr: np.ndarray, expected: tuple | None, *, argument: str, model_name: str) -> None:
    """Checks an input array against the model's declared input shape (batch axis excluded)."""
    if expected is None:
        return
    want = tuple(expected[1:])
    got = tuple(arr.shape[1:])
    if len(want) != len(got) or any(w is not None and w != g for w, g in zip(want, got)):
        raise ValueError(
            f"Input of model '{model_name}' is incompatible: expected {argument} with shape "
            f"{(None,) + want}, found shape {(None,) + got}. Received: {argument}.shape={arr.shape}"
        )


def split_validation(arrays: Sequence[np.ndarray | None], validation_split: float) -> tuple[list, list]:
    """Splits off the LAST `validation_split` fraction of the rows, before shuffling, as tf.keras does."""
    if (
        isinstance(validation_split, bool)
        or not isinstance(validation_split, (int, float))
        or not 0 <= validation_split < 1
    ):
        raise ValueError(f"validation_split must be a float in [0, 1). Received: validation_split={validation_split!r}")
    n = next(a.shape[0] for a in arrays if a is not None)
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"validation_split={validation_split} leaves no training or no validation samples for {n} samples. "
            f"Received: validation_split={validation_split}"
        )
    train = [None if a is None else a[:split_at] for a in arrays]
    val = [None if a is None else a[split_at:] for a in arrays]
    return train, val


def class_weights_to_sample_weights(
    y: np.ndarray, class_weight: Mapping[int, float], num_classes: int | None = None
) -> np.ndarray:
    """Maps each sample's class (sparse label or one-hot/probability row) to its class weight.

    Keys must be class indices (below `num_classes` when given) and weights finite, non-negative
    numbers; classes without a key weigh 1.
    """
    if not isinstance(class_weight, Mapping) or not class_weight:
        raise ValueError(
            f"class_weight must be a non-empty dict of class index -> weight. Received: class_weight={class_weight!r}"
        )
    if y.ndim >= 2 and y.shape[-1] > 1:
        classes = np.argmax(y.reshape(y.shape[0], -1), axis=-1)
    else:
        classes = y.reshape(y.shape[0]).astype(np.int64)
    for key, weight in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, (int, np.integer)) or key < 0:
            raise ValueError(
                f"class_weight keys must be non-negative class indices. Received: class_weight key {key!r}"
            )
        if num_classes is not None and key >= num_classes:
            raise ValueError(
                f"class_weight names class {key}, but the model has {num_classes} classes (0 to {num_classes - 1}). "
                f"Received: class_weight={dict(class_weight)!r}"
            )
        number = isinstance(weight, (int, float, np.integer, np.floating)) and not isinstance(weight, bool)
        if not number or not math.isfinite(weight) or weight < 0:
            raise ValueError(
                f"class_weight values must be finite, non-negative numbers. Received: class_weight[{key!r}]={weight!r}"
            )
    table = np.ones(max(int(max(class_weight)), int(classes.max())) + 1, dtype=np.float32)
    for k, w in class_weight.items():
        table[int(k)] = float(w)
    return table[classes]


def check_sample_weight(sample_weight: Any, n: int, *, argument: str = "sample_weight") -> np.ndarray:
    """Checks per-sample weights: a 1-D array of n finite, non-negative numbers."""
    sw = to_numpy(sample_weight, argument=argument).astype(np.float32)
    if sw.ndim == 2 and sw.shape[1] == 1:
        sw = sw[:, 0]
    if sw.shape != (n,):
        raise ValueError(
            f"{argument} must have shape ({n},), one weight per sample. Received: {argument}.shape={sw.shape}"
        )
    check_finite(sw, argument=argument)
    if (sw < 0).any():
        raise ValueError(f"{argument} must be non-negative. Received: {argument} with minimum {sw.min()}")
    return sw


def check_positive_int(value: Any, *, argument: str, allow_none: bool = False, allow_zero: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    ok = (
        isinstance(value, (int, np.integer))
        and not isinstance(value, bool)
        and (value > 0 or (allow_zero and value == 0))
    )
    if not ok:
        kind = "a non-negative" if allow_zero else "a positive"
        raise ValueError(f"{argument} must be {kind} integer. Received: {argument}={value!r}")
    return int(value)
