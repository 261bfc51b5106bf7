"""A small tf.data-style input pipeline over NumPy: `jeras.data.Dataset` (and `tf.data.Dataset`).

Tutorials build their input with tf.data::

    ds = Dataset.from_tensor_slices((x, y)).shuffle(10_000, seed=42).batch(32).prefetch(1)
    model.fit(ds, epochs=5, validation_data=valid_ds)

A `Dataset` is a recipe: each iteration runs it again from the start (so each epoch of `fit`
sees a new shuffle, as tf.data reshuffles each iteration by default). Elements are NumPy arrays
or tuples/dicts of them; `map` functions receive and return such structures. Nothing here is
traced or compiled: the pipeline runs on the host, and `fit` streams its batches to the device
(jeras.training.streaming, docs/architecture.md, "Streaming input").
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

AUTOTUNE = -1
"""`prefetch(AUTOTUNE)` and `map(..., num_parallel_calls=AUTOTUNE)` as in tf.data (a buffer of 2)."""

INFINITE = -1
"""What `cardinality()` returns for a dataset that repeats forever."""

UNKNOWN = -2
"""What `cardinality()` returns when the length cannot be known without iterating."""


def _structure_map(fn, element):
    if isinstance(element, tuple):
        return tuple(_structure_map(fn, e) for e in element)
    if isinstance(element, list):
        return [_structure_map(fn, e) for e in element]
    if isinstance(element, dict):
        return {k: _structure_map(fn, v) for k, v in element.items()}
    return fn(element)


def _leaves(element) -> list:
    if isinstance(element, (tuple, list)):
        return [leaf for e in element for leaf in _leaves(e)]
    if isinstance(element, dict):
        return [leaf for v in element.values() for leaf in _leaves(v)]
    return [element]


def _stack(elements: list):
    first = elements[0]
    if isinstance(first, tuple):
        return tuple(_stack([e[i] for e in elements]) for i in range(len(first)))
    if isinstance(first, list):
        return [_stack([e[i] for e in elements]) for i in range(len(first))]
    if isinstance(first, dict):
        return {k: _stack([e[k] for e in elements]) for k in first}
    return np.stack([np.asarray(e) for e in elements])


def _check_count(value, argument: str, *, allow_minus_one: bool = False, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{argument} must be an integer. Received: {argument}={value!r}")
    value = int(value)
    if value < 0 and not (allow_minus_one and value == -1):
        raise ValueError(f"{argument} must be non-negative. Received: {argument}={value}")
    return value


class Dataset:
    """A re-iterable pipeline of elements (see the module docstring).

    Build one with `from_tensor_slices`, `from_tensors`, `from_generator` or `range`, then chain
    `map`, `filter`, `shuffle`, `batch`, `repeat`, `take`, `skip`, `prefetch`, `cache`.
    """

    def __init__(self, make_iterator: Callable[[], Iterator], cardinality: int = UNKNOWN):
        self._make = make_iterator
        self._cardinality = cardinality

    # ------------------------------------------------------------------ sources
    @staticmethod
    def from_tensor_slices(tensors: Any) -> Dataset:
        """One element per row of `tensors` (an array, or a tuple/list/dict of arrays with one row count)."""
        arrays = _structure_map(np.asarray, tensors)
        leaves = _leaves(arrays)
        if not leaves or any(a.ndim == 0 for a in leaves):
            raise ValueError(
                "from_tensor_slices needs arrays with at least one dimension to slice along. "
                f"Received: {[a.shape for a in leaves]}"
            )
        n = leaves[0].shape[0]
        if any(a.shape[0] != n for a in leaves):
            raise ValueError(
                "from_tensor_slices needs every array to have the same number of rows. "
                f"Received shapes: {[a.shape for a in leaves]}"
            )

        def iterate():
            for i in range(n):
                yield _structure_map(lambda a, i=i: a[i], arrays)

        dataset = Dataset(iterate, n)
        dataset._arrays = arrays  # batch() slices these directly instead of stacking rows
        return dataset

    @staticmethod
    def from_tensors(tensors: Any) -> Dataset:
        """A dataset of one element: `tensors` as they are."""
        element = _structure_map(np.asarray, tensors)
        return Dataset(lambda: iter([element]), 1)

    @staticmethod
    def from_generator(generator: Callable[[], Iterable], output_signature: Any = None, **kwargs) -> Dataset:
        """Elements from calling `generator()` anew at each iteration (`output_signature` is accepted and unused)."""
        if not callable(generator):
            raise TypeError(
                "from_generator takes a callable that returns an iterable (the generator function, not a generator). "
                f"Received: {type(generator).__name__}"
            )
        return Dataset(lambda: iter(generator()), UNKNOWN)

    @staticmethod
    def range(*args: int) -> Dataset:
        """Like Python's `range`, as int64 scalars."""
        values = range(*args)
        return Dataset(lambda: (np.int64(v) for v in values), len(values))

    # ------------------------------------------------------------------ transformations
    def map(self, map_func: Callable, num_parallel_calls: int | None = None, deterministic: bool | None = None):
        """`map_func(*element)` for tuple elements (as tf.data unpacks them), else `map_func(element)`."""
        if not callable(map_func):
            raise TypeError(f"map takes a callable. Received: {type(map_func).__name__}")

        def iterate():
            for element in self._make():
                out = map_func(*element) if isinstance(element, tuple) else map_func(element)
                yield _structure_map(np.asarray, out)

        return self._derived(iterate, self._cardinality)

    def filter(self, predicate: Callable) -> Dataset:
        """The elements for which `predicate` is true."""

        def iterate():
            for element in self._make():
                keep = predicate(*element) if isinstance(element, tuple) else predicate(element)
                if bool(np.asarray(keep)):
                    yield element

        return self._derived(iterate, UNKNOWN)

    def shuffle(self, buffer_size: int, seed: int | None = None, reshuffle_each_iteration: bool = True) -> Dataset:
        """Elements drawn at random from a buffer of `buffer_size` (the whole data when it is at least as large).

        With `seed`, the order is reproducible; with `reshuffle_each_iteration` (default), each
        iteration (each epoch) draws another order.
        """
        buffer_size = _check_count(buffer_size, "buffer_size")
        if buffer_size == 0:
            raise ValueError("shuffle needs buffer_size >= 1. Received: buffer_size=0")
        iteration = [0]
        base = np.random.SeedSequence(seed).entropy if seed is not None else None

        def iterate():
            if base is None:
                rng = np.random.default_rng()
            else:
                rng = np.random.default_rng([base, iteration[0] if reshuffle_each_iteration else 0])
            iteration[0] += 1
            buffer: list = []
            for element in self._make():
                if len(buffer) < buffer_size:
                    buffer.append(element)
                    continue
                i = int(rng.integers(len(buffer)))
                yield buffer[i]
                buffer[i] = element
            while buffer:
                yield buffer.pop(int(rng.integers(len(buffer))))

        return self._derived(iterate, self._cardinality)

    def batch(self, batch_size: int, drop_remainder: bool = False, **kwargs) -> Dataset:
        """Consecutive elements stacked into batches of `batch_size` (the last one smaller unless `drop_remainder`)."""
        batch_size = _check_count(batch_size, "batch_size")
        if batch_size == 0:
            raise ValueError("batch needs batch_size >= 1. Received: batch_size=0")
        arrays = getattr(self, "_arrays", None)

        def iterate():
            if arrays is not None:  # slices of the source arrays: no per-row Python work
                n = self._cardinality
                stop = n - n % batch_size if drop_remainder else n
                for start in range(0, stop, batch_size):
                    yield _structure_map(lambda a, s=start: a[s : s + batch_size], arrays)
                return
            pending: list = []
            for element in self._make():
                pending.append(element)
                if len(pending) == batch_size:
                    yield _stack(pending)
                    pending = []
            if pending and not drop_remainder:
                yield _stack(pending)

        n = self._cardinality
        if n >= 0:
            n = n // batch_size if drop_remainder else -(-n // batch_size)
        return self._derived(iterate, n)

    def repeat(self, count: int | None = None) -> Dataset:
        """The dataset `count` times over (forever when None or -1)."""
        count = _check_count(count, "count", allow_minus_one=True, allow_none=True)
        forever = count is None or count == -1

        def iterate():
            done = 0
            while forever or done < count:
                yield from self._make()
                done += 1

        n = self._cardinality
        if forever:
            n = INFINITE if n != 0 else 0
        elif n >= 0:
            n = n * count
        return self._derived(iterate, n)

    def take(self, count: int) -> Dataset:
        """The first `count` elements (all when -1)."""
        count = _check_count(count, "count", allow_minus_one=True)
        if count == -1:
            return self

        def iterate():
            for i, element in enumerate(self._make()):
                if i >= count:
                    return
                yield element

        n = self._cardinality
        n = count if n in (INFINITE,) else (min(n, count) if n >= 0 else UNKNOWN)
        return self._derived(iterate, n)

    def skip(self, count: int) -> Dataset:
        """All but the first `count` elements."""
        count = _check_count(count, "count")

        def iterate():
            for i, element in enumerate(self._make()):
                if i >= count:
                    yield element

        n = self._cardinality
        n = max(n - count, 0) if n >= 0 else n
        return self._derived(iterate, n)

    def prefetch(self, buffer_size: int = AUTOTUNE) -> Dataset:
        """Prepares up to `buffer_size` elements ahead in a background thread (AUTOTUNE: 2)."""
        buffer_size = 2 if buffer_size == AUTOTUNE else _check_count(buffer_size, "buffer_size")
        if buffer_size == 0:
            return self
        source = self._make

        def iterate():
            return _Prefetcher(source(), buffer_size)

        return self._derived(iterate, self._cardinality)

    def cache(self, filename: str = "") -> Dataset:
        """Keeps the elements of the first full iteration in memory (`filename` is not supported)."""
        if filename:
            raise ValueError(
                "cache(filename) writes a cache file in tf.data; jeras caches in memory only. Received: "
                f"filename={filename!r}"
            )
        store: list = []
        complete = [False]

        def iterate():
            if complete[0]:
                yield from store
                return
            store.clear()
            for element in self._make():
                store.append(element)
                yield element
            complete[0] = True

        return self._derived(iterate, self._cardinality)

    def _derived(self, make_iterator, cardinality) -> Dataset:
        return Dataset(make_iterator, cardinality)

    # ------------------------------------------------------------------ reading
    def __iter__(self) -> Iterator:
        return iter(self._make())

    def as_numpy_iterator(self) -> Iterator:
        return iter(self._make())

    def cardinality(self) -> int:
        """The number of elements, `INFINITE` (-1) or `UNKNOWN` (-2)."""
        return self._cardinality

    def __len__(self) -> int:
        if self._cardinality < 0:
            raise TypeError("The length of this dataset is infinite or unknown; use cardinality()")
        return self._cardinality

    def __repr__(self) -> str:
        n = {INFINITE: "infinite", UNKNOWN: "unknown"}.get(self._cardinality, self._cardinality)
        return f"<Dataset cardinality={n}>"


class Sequence:
    """Base class of indexable batches (`keras.utils.Sequence`): define `__len__` (batches per
    epoch) and `__getitem__(index)` (one batch: x, (x, y) or (x, y, sample_weight)), and
    optionally `on_epoch_end`, which `fit` calls after each epoch. `fit` shuffles the order of
    the batches each epoch when `shuffle=True`, as tf.keras does.

    Args:
        workers, use_multiprocessing, max_queue_size: accepted (Keras 3 takes them here, tf.keras
            2.x in `fit`); jeras reads the batches in one background thread, ahead of the step.
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10):
        self.workers, self.use_multiprocessing, self.max_queue_size = workers, use_multiprocessing, max_queue_size

    def __len__(self) -> int:
        raise NotImplementedError("A keras.utils.Sequence subclass must define __len__ (the number of batches)")

    def __getitem__(self, index: int):
        raise NotImplementedError("A keras.utils.Sequence subclass must define __getitem__ (one batch)")

    def on_epoch_end(self) -> None:
        """Called by `fit` after each epoch (shuffle or augment anew here)."""

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


class _Prefetcher:
    """Iterates `source` in a daemon thread, `size` elements ahead; re-raises its errors in the reader."""

    _END = object()

    def __init__(self, source: Iterator, size: int):
        self._queue: queue.Queue = queue.Queue(maxsize=size)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(source,), daemon=True)
        self._thread.start()

    def _run(self, source) -> None:
        try:
            for element in source:
                while not self._stop.is_set():
                    try:
                        self._queue.put((element, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if self._stop.is_set():
                    return
            self._put_final((self._END, None))
        except BaseException as err:  # noqa: BLE001 - handed to the reader, raised there
            self._put_final((self._END, err))

    def _put_final(self, item) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def __iter__(self):
        return self

    def __next__(self):
        element, error = self._queue.get()
        if element is self._END:
            self._stop.set()
            if error is not None:
                raise error
            raise StopIteration
        return element

    def close(self) -> None:
        self._stop.set()

    def __del__(self):
        self._stop.set()


__all__ = ["AUTOTUNE", "Dataset", "INFINITE", "Sequence", "UNKNOWN"]
