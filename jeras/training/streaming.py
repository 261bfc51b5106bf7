"""Streaming input: `fit`, `evaluate` and `predict` over data that is not one in-memory array.

Accepted (docs/architecture.md, "Streaming input"):

- a `jeras.data.Dataset` (also `tf.data.Dataset` from `from jeras import tf`) yielding batches;
- a `keras.utils.Sequence` (indexable batches with a length; `on_epoch_end` is called after
  each epoch, and with `shuffle=True` the batch order is shuffled each epoch, as tf.keras does);
- a Python generator or any iterator of batches (`steps_per_epoch` says how many make an epoch;
  without it an epoch runs until the generator ends);
- memory-mapped NumPy arrays (`np.memmap`, `np.load(..., mmap_mode="r")`): read batch by batch,
  so the data never has to fit in memory.

A batch is `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`, as tf.keras unpacks it. Each batch
is checked like an in-memory array (shapes, dtypes, label ranges, NaN), converted and sent to
the device by a background thread `prefetch` batches ahead of the step that needs it, so
reading, checking and the host-to-device copy overlap with training. The steps are the compiled
one-batch programs of the model's structure (one per batch shape: a partial last batch adds
one), so memory stays near `prefetch` batches whatever the data size. Streaming fits always
take the epoch-by-epoch path; callbacks see every batch.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import mmap
import os
import queue
import threading
from collections.abc import Iterator
from typing import Any

import jax
import numpy as np

from jeras import data as data_module
from jeras.training import data as data_mod
from jeras.training.inputs import device_batch

PREFETCH = 2
"""Batches prepared ahead of the training step (on the host and on the device)."""


def is_memmap(x: Any) -> bool:
    """Whether `x` (or, for a list/tuple/dict, its first array) is a memory-mapped NumPy array."""
    if isinstance(x, dict):
        x = next(iter(x.values()), None)
    elif isinstance(x, (list, tuple)) and x:
        x = x[0]
    return isinstance(x, np.memmap) or (isinstance(x, np.ndarray) and isinstance(x.base, np.memmap))


def kind_of(x: Any) -> str | None:
    """`"dataset"`, `"sequence"`, `"generator"`, `"memmap"`, or None for in-memory data."""
    if isinstance(x, data_module.Dataset):
        return "dataset"
    if isinstance(x, (np.ndarray, list, tuple, dict)) or hasattr(x, "shape"):
        return "memmap" if is_memmap(x) else None
    if inspect.isgenerator(x) or isinstance(x, Iterator):
        return "generator"
    if isinstance(x, (str, bytes)):
        return None
    if hasattr(x, "__getitem__") and hasattr(x, "__len__"):
        return "sequence"
    if hasattr(x, "__iter__"):
        # Any other re-iterable of batches (image_dataset_from_directory's, a tf.data.Dataset
        # whose tensors NumPy can read): iterated anew each epoch, like a jeras.data.Dataset.
        return "dataset"
    return None


def _cardinality(x) -> int:
    """A dataset's number of batches: `cardinality()` (jeras.data and tf.data), `len`, or UNKNOWN."""
    if callable(getattr(x, "cardinality", None)):
        with contextlib.suppress(Exception):
            return int(np.asarray(x.cardinality()))
    with contextlib.suppress(TypeError):
        return len(x)
    return data_module.UNKNOWN


def unpack(element: Any, *, argument: str) -> tuple[Any, Any, Any]:
    """`(x, y, sample_weight)` of one batch, as tf.keras unpacks a dataset or generator element."""
    if isinstance(element, tuple):
        if not 1 <= len(element) <= 3:
            raise ValueError(
                f"Each batch of {argument} must be x, (x,), (x, y) or (x, y, sample_weight). "
                f"Received: a tuple of {len(element)} items"
            )
        return tuple(element) + (None,) * (3 - len(element))
    return element, None, None


def read_rows(a: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Rows `rows` (sorted) of `a`. For a whole memory-mapped file they are read with `os.pread`,
    one call per run of consecutive rows, so the file's pages stay in the page cache instead of
    being mapped into (and counted in) this process's memory; any other array is indexed."""
    if not (
        isinstance(a, np.memmap)
        and isinstance(a.base, mmap.mmap)
        and a.flags.c_contiguous
        and getattr(a, "filename", None)
        and a.ndim >= 1
    ):
        return np.asarray(a[rows])
    row_bytes = a.itemsize * int(np.prod(a.shape[1:], dtype=np.int64))
    out = np.empty((len(rows),) + a.shape[1:], a.dtype)
    view = out.reshape(len(rows), -1).view(np.uint8)
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    fd = os.open(a.filename, os.O_RDONLY)
    try:
        for start, stop in zip(np.r_[0, breaks], np.r_[breaks, len(rows)]):
            want = (stop - start) * row_bytes
            got = os.preadv(fd, [memoryview(view[start:stop]).cast("B")], a.offset + int(rows[start]) * row_bytes)
            if got != want:
                raise OSError(
                    f"'{a.filename}' is shorter than its array: read {got} of {want} bytes at row {rows[start]}"
                )
    finally:
        os.close(fd)
    return out


class Stream:
    """The batches of one streaming input, epoch by epoch (see the module docstring)."""

    def __init__(self, x, y, sample_weight, *, kind: str, batch_size: int, steps: int | None, shuffle, argument: str):
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.kind, self.batch_size, self.argument = kind, batch_size, argument
        self.shuffle = bool(shuffle)
        self._iterator: Iterator | None = None
        self._stash: list = []
        self.exhausted = False
        if kind == "memmap":
            self.n = data_mod.check_lengths([("x", a) for a in jax.tree_util.tree_leaves(x)])
            self.known_steps = math.ceil(self.n / batch_size)
        elif kind == "sequence":
            self.known_steps = len(x)
        elif kind == "dataset":
            self.known_steps = _cardinality(x)
            self.known_steps = self.known_steps if self.known_steps >= 0 else None
        else:
            self.known_steps = None
        self.fixed_steps = steps is not None  # a dataset then continues one iterator across epochs
        self.steps = steps if steps is not None else self.known_steps
        if self.steps is not None and self.known_steps is not None:
            self.steps = min(self.steps, self.known_steps) if kind in ("memmap", "sequence") else self.steps
        if kind == "dataset" and _cardinality(x) == data_module.INFINITE and steps is None:
            raise ValueError(
                f"{argument} is a dataset that repeats forever: pass steps_per_epoch (or steps) to say how many "
                f"batches make an epoch. Received: {argument}={x!r}, steps=None"
            )

    def peek(self):
        """The first batch, read before any step (to build the model and check the data); for an
        iterator that cannot be read twice it is kept and given again as the first batch."""
        empty = ValueError(f"{self.argument} gave no batch. Received: {self.argument}={self.x!r}")
        if self.kind in ("memmap", "sequence") or (self.kind == "dataset" and not self.fixed_steps):
            if self.steps == 0:
                raise empty
            saved, self.shuffle = self.shuffle, False
            try:
                return next(iter(self.batches(0, 0)), None) or _raise(empty)
            finally:
                self.shuffle = saved
        if self._iterator is None:
            self._iterator = iter(self.x) if self.kind == "dataset" else self.x
        try:
            first = unpack(next(self._iterator), argument=self.argument)
        except StopIteration:
            raise empty from None
        self._stash.append(first)
        return first

    def batches(self, epoch: int, seed: int) -> Iterator:
        """The raw batches of one epoch (as `(x, y, sample_weight)`)."""
        limit = self.steps
        if self.kind == "memmap":
            order = np.arange(self.n)
            if self.shuffle:
                order = np.random.default_rng([seed, epoch]).permutation(self.n)
            for step in range(limit):
                rows = np.sort(order[step * self.batch_size : (step + 1) * self.batch_size])
                pick = lambda a, rows=rows: read_rows(a, rows)  # noqa: E731 - reads only these rows
                yield (
                    jax.tree_util.tree_map(pick, self.x),
                    None if self.y is None else jax.tree_util.tree_map(pick, self.y),
                    None if self.sample_weight is None else pick(self.sample_weight),
                )
            return
        if self.kind == "sequence":
            order = np.arange(len(self.x))
            if self.shuffle:
                order = np.random.default_rng([seed, epoch]).permutation(len(self.x))
            for step in range(limit):
                yield unpack(self.x[int(order[step])], argument=self.argument)
            return
        # A dataset restarts each epoch unless the epoch is a fixed number of steps (then one
        # iterator continues across epochs, restarted when it ends); a generator always continues.
        if self.kind == "dataset" and (not self.fixed_steps or self._iterator is None):
            self._iterator = iter(self.x)
        elif self.kind == "generator" and self._iterator is None:
            self._iterator = self.x
        step = 0
        while self._stash and (limit is None or step < limit):
            yield self._stash.pop(0)
            step += 1
        while limit is None or step < limit:
            try:
                element = next(self._iterator)
            except StopIteration:
                if self.kind == "dataset" and self.fixed_steps and step > 0:
                    self._iterator = iter(self.x)
                    continue
                self.exhausted = step == 0 or self.kind == "generator"
                return
            yield unpack(element, argument=self.argument)
            step += 1

    def end_epoch(self) -> None:
        """`Sequence.on_epoch_end`, as tf.keras calls it after each epoch."""
        if self.kind == "sequence" and callable(getattr(self.x, "on_epoch_end", None)):
            self.x.on_epoch_end()


def make_stream(x, y, sample_weight, *, batch_size, steps, shuffle, argument: str, what: str) -> Stream:
    """A `Stream` of `x`, refusing arguments that streams cannot take (as tf.keras refuses them)."""
    kind = kind_of(x)
    if kind is None and isinstance(x, np.ndarray):
        kind = "memmap"  # in-memory arrays beside streamed validation data: read batch by batch too
    if kind is None:
        raise TypeError(
            f"{argument} must be arrays, a dataset, a keras.utils.Sequence or a generator when another input is "
            f"streamed. Received: {argument} of type {type(x).__name__}"
        )
    if kind != "memmap":
        if y is not None:
            raise ValueError(
                f"`y` must not be given when {argument} is a {kind}: its batches carry the targets. "
                f"Received: y of type {type(y).__name__}"
            )
        if sample_weight is not None:
            raise ValueError(
                f"`sample_weight` must not be given when {argument} is a {kind}: yield (x, y, sample_weight) "
                f"batches instead. Received: sample_weight of type {type(sample_weight).__name__}"
            )
    return Stream(
        x, y, sample_weight, kind=kind, batch_size=batch_size, steps=steps, shuffle=shuffle, argument=argument
    )


def _set_steps(cbs, steps) -> None:
    """Tells the callbacks of an evaluate or predict call how many batches it has (None: unknown)."""
    for cb in cbs.callbacks:
        if isinstance(getattr(cb, "params", None), dict):
            cb.params["steps"] = steps


def _raise(error: Exception):
    raise error


class Prefetched:
    """Prepares the batches of `source` (checks, conversion, device copy) in a background thread.

    `prepare(raw) -> device batch` runs in the thread; errors are raised in the reader, at the
    batch that caused them. Iterating yields `(index, device_batch)`.
    """

    _END = object()

    def __init__(self, source: Iterator, prepare, size: int = PREFETCH):
        self._queue: queue.Queue = queue.Queue(maxsize=size)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(source, prepare), daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, source, prepare) -> None:
        try:
            for i, raw in enumerate(source):
                if not self._put((i, prepare(raw), None)):
                    return
            self._put((self._END, None, None))
        except BaseException as err:  # noqa: BLE001 - raised in the reader
            self._put((self._END, None, err))

    def __iter__(self):
        return self

    def __next__(self):
        index, batch, error = self._queue.get()
        if index is self._END:
            self._stop.set()
            if error is not None:
                raise error
            raise StopIteration
        return index, batch

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(queue.Empty):
            while True:
                self._queue.get_nowait()
        self._thread.join(timeout=5)


def batch_preparer(trainer, *, need_y: bool, what: str, class_weight=None):
    """A function turning one raw batch into a device `Batch`, checked as `what` checks arrays."""

    def prepare(raw):
        x, y, sample_weight = raw
        if need_y and y is None:
            raise ValueError(
                f"Each batch must yield (x, y) or (x, y, sample_weight) for {what}: it needs targets. "
                f"Received: a batch of x alone ({type(x).__name__})"
            )
        prepared = trainer.inputs.prepare(x, y, sample_weight, need_y=need_y, what=what)
        if class_weight is not None:
            trainer.inputs.apply_class_weight(prepared, class_weight)
        return device_batch(prepared)

    return prepare


class StreamingPhases:
    """The phases of `fit`, `evaluate` and `predict` over streaming input (mixed into `Trainer`)."""

    def _fit_stream(self, args, x, y, sample_weight, class_weight, validation_split, validation_data, callbacks):
        from jeras import backend
        from jeras.backend.compilation import compile_totals
        from jeras.callbacks import CallbackList, History, ProgbarLogger
        from jeras.training import loop
        from jeras.training.run import FitRun

        model = self.model
        if validation_split:
            raise ValueError(
                f"validation_split needs in-memory arrays; x is a {kind_of(x)}. Pass validation_data instead. "
                f"Received: validation_split={validation_split!r}"
            )
        stream = make_stream(
            x, y, sample_weight, batch_size=args.batch_size, steps=args.steps_per_epoch, shuffle=args.shuffle,
            argument="x", what="fit",
        )  # fmt: skip
        prepare = batch_preparer(self, need_y=True, what="fit", class_weight=class_weight)
        prepare(stream.peek())  # builds the model and checks the first batch before any step
        val = self._stream_validation(validation_data, args) if validation_data is not None else None
        engine = self.engine()
        history = History()
        callback_list = ([ProgbarLogger()] if args.verbose else []) + loop._callback_items(callbacks) + [history]
        state = self.make_state(engine)
        run = FitRun(
            seed=backend.next_seed(), initial_epoch=args.initial_epoch, steps_per_epoch=stream.steps or 0, path=""
        )
        params = {"verbose": args.verbose, "epochs": args.epochs, "steps": stream.steps}
        cbs = CallbackList(callback_list, model=model, params=params, run=run)
        params["metrics"] = list(self._device_context(state, val is not None).log_names)
        params["_logs_complete"] = all(type(cb).__module__.startswith("jeras.") for cb in callback_list)
        run.path = "epochs"
        model.fit_run, model.stop_training = run, False
        compile_before = compile_totals()
        eager = jax.disable_jit() if model.run_eagerly else contextlib.nullcontext()
        self._state = state
        try:
            with eager:
                self._stream_epochs(engine, cbs, run, args, stream, prepare, val)
        finally:
            self._finish_fit(compile_before, "epochs", f"x is a {stream.kind}, streamed batch by batch")
        return history

    def _stream_validation(self, validation_data, args):
        """Validation data for a fit: a `Stream` when streamed, else the usual `EvalData`."""
        from jeras.training import loop

        if kind_of(validation_data) is not None:
            stream = make_stream(
                validation_data, None, None, batch_size=args.validation_batch_size, steps=args.validation_steps,
                shuffle=False, argument="validation_data", what="fit",
            )  # fmt: skip
            return stream, batch_preparer(self, need_y=True, what="fit")
        return loop.validation_batches(self.inputs.validation(validation_data), args, wants_test_batches=True)

    def _stream_epochs(self, engine, cbs, run, args, stream: Stream, prepare, val) -> None:
        from jeras.training import loop

        model = self.model
        cbs.on_train_begin()
        self._state = self._refresh_from_model(self._state)
        logs: dict[str, float] = {}
        for epoch in range(run.start_epoch, args.epochs):
            epoch_logs = self._stream_epoch(engine, cbs, stream, prepare, epoch, run.seed)
            if epoch_logs is None:
                import warnings

                warnings.warn(
                    f"x ran out of data at epoch {epoch + 1}: training stops. Make sure it can give "
                    "steps_per_epoch * epochs batches (for a dataset, use .repeat()).",
                    UserWarning,
                    stacklevel=5,
                )
                break
            logs = epoch_logs
            if val is not None and (epoch + 1) % args.validation_freq == 0:
                logs.update(loop._with_prefix(self._validate_any(engine, cbs, val), "val_"))
            loop._warn_non_finite(logs, epoch)
            cbs.on_epoch_end(epoch, logs)
            stream.end_epoch()
            self._state = self._refresh_from_model(self._state)
            if model.stop_training:
                break
        self.sync()
        cbs.on_train_end(logs)
        self._state = self._refresh_from_model(self._state)

    def _stream_epoch(self, engine, cbs, stream: Stream, prepare, epoch: int, seed: int):
        """One epoch of training steps over the stream; its logs, or None when the stream gave no batch."""
        model = self.model
        objectives = model._objectives
        state = self._state._replace(metrics=objectives.init_state())
        cbs.on_epoch_begin(epoch)
        self._state = self._with_current_settings(state)
        step_level = cbs.needs_step_logs("train")
        out = None
        batches = Prefetched(stream.batches(epoch, seed), prepare)
        try:
            for i, batch in batches:
                if step_level:
                    # Batch hooks run around each step; what they set (a learning rate, weights)
                    # applies to the next step, as in tf.keras.
                    cbs.begin_batch("train", i)
                    self._state = self._take_batch_hook_changes(self._state)
                self._state, out = engine.train_batch(self._state, batch)
                if step_level:
                    logs = objectives.named(jax.device_get(out))
                    self.sync()
                    cbs.replay_batches("train", i, [logs], i, logs, begun=True)
                    self._state = self._take_batch_hook_changes(self._state)
                if model.stop_training:
                    break
        finally:
            batches.close()
        if out is None:
            return None
        self.sync()
        return dict(objectives.named(jax.device_get(out)))

    def _validate_any(self, engine, cbs, val) -> dict[str, float]:
        if isinstance(val, tuple):
            cbs.on_test_begin()
            logs = self._evaluate_stream(engine, self._state, *val, callbacks=cbs)
            cbs.on_test_end(logs)
            return logs
        return self._validate(engine, cbs, val)

    def _evaluate_stream(self, engine, state, stream: Stream, prepare, *, callbacks) -> dict[str, float]:
        objectives = self.model._objectives
        state = state._replace(metrics=objectives.init_state())
        step_level = callbacks is not None and callbacks.needs_step_logs("test")
        seen = False
        batches = Prefetched(stream.batches(0, 0), prepare)
        try:
            for i, batch in batches:
                state = engine.test_batch(state, batch)
                seen = True
                if step_level:
                    logs = objectives.named(jax.device_get(objectives.results(state.metrics)))
                    callbacks.replay_batches("test", i, [logs], i, logs)
        finally:
            batches.close()
        if not seen:
            raise ValueError(f"{stream.argument} gave no batch to evaluate. Received: {stream.argument}={stream.x!r}")
        return dict(objectives.named(jax.device_get(objectives.results(state.metrics))))

    def _evaluate_streamed(self, x, y, sample_weight, batch_size, steps, cbs):
        stream = make_stream(
            x, y, sample_weight, batch_size=batch_size, steps=steps, shuffle=False, argument="x", what="evaluate"
        )
        prepare = batch_preparer(self, need_y=True, what="evaluate")
        prepare(stream.peek())
        engine = self.engine()
        state = self.make_state(engine)
        _set_steps(cbs, stream.steps)
        cbs.on_test_begin()
        logs = self._evaluate_stream(
            engine, state, stream, batch_preparer(self, need_y=True, what="evaluate"), callbacks=cbs
        )
        cbs.on_test_end(logs)
        return logs

    def _predict_streamed(self, x, batch_size, steps, cbs):
        stream = make_stream(
            x, None, None, batch_size=batch_size, steps=steps, shuffle=False, argument="x", what="predict"
        )

        def prepare(raw):
            return device_batch(self.inputs.prepare(raw[0], need_y=False, what="predict")).x

        prepare(stream.peek())
        engine = self.engine()
        state = self.make_state(engine, training=False)
        _set_steps(cbs, stream.steps)

        outputs = []
        cbs.on_predict_begin()
        batches = Prefetched(stream.batches(0, 0), prepare)
        try:
            for i, x_dev in batches:
                outputs.append(engine.predict_batch(state, x_dev))
                if cbs.needs_step_logs("predict"):
                    cbs.replay_batches("predict", i, [{}], i, {})
        finally:
            batches.close()
        cbs.on_predict_end()
        if not outputs:
            raise ValueError(f"x gave no batch to predict on. Received: x={x!r}")
        return jax.tree_util.tree_map(lambda *parts: np.concatenate([np.asarray(p) for p in parts]), *outputs)
