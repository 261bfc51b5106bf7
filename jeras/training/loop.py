"""Epochs, chunks and callbacks: the host side of `fit`, `evaluate` and `predict`.

The data go to the device once per call. Each epoch is a few calls of one compiled program
that scans K training steps (DESIGN.md, principle 2); batch-level callbacks and the progress
bar are served from the logs each chunk returns. Compiled programs are cached per model
structure and static settings; shapes are cached by `jax.jit` itself, so new epochs, new
`fit` calls and learning-rate changes reuse them (principle 3).
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras import backend
from jeras.backend.compilation import compile_totals
from jeras.callbacks import CallbackList, History, ProgbarLogger
from jeras.training import data as data_mod
from jeras.training.objectives import standardize_targets
from jeras.training.steps import Batch, StepFunctions, TrainState

_UPDATES_PER_EPOCH = 30


def choose_chunk(steps: int, updates: int | None) -> int:
    """Steps per compiled chunk: all of them, or about `steps / updates`, preferring an exact divisor."""
    if not updates or steps <= updates:
        return max(steps, 1) if not updates else 1
    target = math.ceil(steps / updates)
    for k in list(range(target, min(steps, 2 * target) + 1)) + list(range(target - 1, max(target // 2, 1) - 1, -1)):
        if steps % k == 0:
            return k
    return target


@dataclass
class Prepared:
    """Validated host data for one call."""

    x: Any
    y: list | None
    sample_weight: np.ndarray | None
    n: int


class Engine:
    """Compiled functions of one compiled model, reused across fit/evaluate/predict calls."""

    def __init__(self, model):
        self.model = model
        self.fns = StepFunctions(model, model._objectives, model.optimizer)
        self.signature = engine_signature(model)
        donate = (0,) if jax.default_backend() != "cpu" else ()
        self.train_chunk = jax.jit(self.fns.train_chunk, static_argnames=("n_valid", "collect"), donate_argnums=donate)
        self.train_batch = jax.jit(self.fns.train_batch)
        self.test_chunk = jax.jit(self.fns.test_chunk, static_argnames=("steps", "batch_size"))
        self.predict_chunk = jax.jit(self.fns.predict_chunk, static_argnames=("steps", "batch_size"))
        self.test_batch = jax.jit(self.fns.test_step)
        self.predict_batch = jax.jit(self.fns.predict_step)
        self.train_rows = jax.jit(self.fns.train_rows)


def engine_signature(model) -> tuple:
    return (
        tuple(id(v) for v in model.trainable_variables),
        tuple(id(v) for v in model.non_trainable_variables),
        id(model._objectives),
        id(model.optimizer),
    )


def epoch_order(rng: np.random.Generator, *, n: int, batch_size: int, rows: int, shuffle: bool | str):
    """Row order of one epoch, drawn on the host: `[rows, batch]` full batches (padded by
    repeating the first when `rows` exceeds them) and the rows of the last, partial batch."""
    full = n // batch_size
    if shuffle == "batch":
        order = rng.permutation(full)
        perm = np.concatenate(
            [(order[:, None] * batch_size + np.arange(batch_size)).reshape(-1), np.arange(full * batch_size, n)]
        )
    elif shuffle:
        perm = rng.permutation(n)
    else:
        perm = np.arange(n)
    perm = perm.astype(np.int32)
    blocks = perm[: full * batch_size].reshape(full, batch_size)
    if rows > full:
        blocks = np.concatenate([blocks, np.broadcast_to(blocks[:1], (rows - full, batch_size))])
    return blocks, perm[full * batch_size :]


def aligned_chunk(k: int, align: int, steps: int) -> int:
    """The largest chunk size up to `k` dividing both `align` and `steps`.

    Counting batches from the start of `fit` (or from a resume point on such a boundary),
    every multiple of `align` then ends a chunk, so the weights synced after that chunk are
    the weights after exactly that batch.
    """
    g = math.gcd(align, steps)
    return max(d for d in range(1, min(k, g) + 1) if g % d == 0)


# ---------------------------------------------------------------------- helpers
def _epoch_seed(fit_seed: int, epoch: int) -> int:
    return int(np.random.SeedSequence([fit_seed, epoch, 1]).generate_state(1)[0])


@jax.jit
def _advance_key(key: jax.Array, steps: jax.Array) -> jax.Array:
    """The step key after `steps` training steps, each of which splits it once (mid-epoch resume)."""
    return jax.lax.fori_loop(0, steps, lambda _, k: jax.random.split(k)[0], key)


def _check_resume_step(step, steps: int) -> int:
    if step is None:
        return 0
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or not 0 <= step < max(steps, 1):
        raise ValueError(
            f"model._resume_step must be a batch index in [0, {steps}) of the resumed epoch. Received: _resume_step={step!r}"
        )
    return int(step)


def _unstack(objectives, stacked: list[np.ndarray], count: int) -> list[dict[str, float]]:
    return [objectives.named([v[i] for v in stacked]) for i in range(count)]


def _with_prefix(logs: dict[str, float], prefix: str) -> dict[str, float]:
    return {prefix + k: v for k, v in logs.items()}


def _pad_rows(a: np.ndarray, rows: int) -> np.ndarray:
    if a.shape[0] == rows:
        return a
    pad = np.zeros((rows - a.shape[0],) + a.shape[1:], dtype=a.dtype)
    return np.concatenate([a, pad])


def _check_batch_size(batch_size, default: int = 32) -> int:
    if batch_size is None:
        return default
    return data_mod.check_positive_int(batch_size, argument="batch_size")


def _resolve_verbose(verbose) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2) or isinstance(verbose, bool):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto'. Received: verbose={verbose!r}")
    return int(verbose)


class Trainer:
    """Runs fit/evaluate/predict for a model (created per call; cheap)."""

    def __init__(self, model):
        self.model = model

    # ------------------------------------------------------------------ data
    def prepare(self, x, y=None, sample_weight=None, *, need_y: bool, what: str) -> Prepared:
        model = self.model
        if need_y and y is None:
            raise ValueError(f"{what} needs targets: pass y with one target per sample. Received: y=None")
        ordered = model._flatten_inputs(x) if isinstance(x, Mapping) else None
        xs = data_mod.flatten_arrays(x if ordered is None else ordered, argument="x")
        named = [("x", a) for a in xs]
        ys = None
        if y is not None:
            ys = data_mod.flatten_arrays(_order_targets(model, y), argument="y")
            named += [("y", a) for a in ys]
        n = data_mod.check_lengths(named)
        model._ensure_built(xs)
        specs = model._input_specs()
        if len(specs) != len(xs):
            raise ValueError(
                f"Model '{model.name}' expects {len(specs)} input(s) but received {len(xs)} array(s) in x."
            )
        cast = []
        for i, (arr, (shape, dtype)) in enumerate(zip(xs, specs)):
            name = "x" if len(xs) == 1 else f"x[{i}]"
            data_mod.check_input_shape(arr, shape, argument=name, model_name=model.name)
            data_mod.check_finite(arr, argument=name)
            cast.append(data_mod.cast_inputs(arr, dtype))
        x_tree = model._structure_inputs(cast)
        sw = None if sample_weight is None else data_mod.check_sample_weight(sample_weight, n)
        if ys is not None:
            ys = self._prepare_targets(ys)
        return Prepared(x_tree, ys, sw, n)

    def _prepare_targets(self, ys: list[np.ndarray]) -> list[np.ndarray]:
        model = self.model
        objectives = model._objectives
        pred_shapes = model._output_shapes()
        if len(ys) != len(pred_shapes):
            raise ValueError(
                f"Model '{model.name}' has {len(pred_shapes)} output(s) but y holds {len(ys)} array(s). "
                f"Received: y with {len(ys)} array(s)"
            )
        objectives.build(model.output_names, [tuple(a.shape) for a in ys], pred_shapes)
        out = []
        for i, (arr, loss, p_shape) in enumerate(zip(ys, objectives.losses, pred_shapes)):
            name = "y" if len(ys) == 1 else f"y[{i}]"
            data_mod.check_finite(arr, argument=name)
            out.append(_check_targets(arr, loss, p_shape, name))
        return standardize_targets(out, pred_shapes, objectives.losses)

    # ------------------------------------------------------------------ state
    def engine(self) -> Engine:
        model = self.model
        sig = engine_signature(model)
        engine = model._engine
        if engine is None or engine.signature != sig:
            engine = model._engine = Engine(model)
        return engine

    def make_state(self, *, training: bool = True) -> TrainState:
        """The state of the model's current weights; with `training`, also optimizer and metric state."""
        model = self.model
        trainable = [v.value for v in model.trainable_variables]
        non_trainable = [v.value for v in model.non_trainable_variables]
        if not training:
            return TrainState(trainable, non_trainable, None, None, None, None)
        optimizer = model.optimizer
        param_sig = tuple(id(v) for v in model.trainable_variables)
        if optimizer.state is None or getattr(optimizer, "_jeras_params", None) != param_sig:
            optimizer.state = optimizer.init(trainable)
            optimizer._jeras_params = param_sig
        opt_state = optimizer.with_current_hyperparams(optimizer.state)
        rng = backend.next_global_key()
        return TrainState(
            trainable, non_trainable, opt_state, model._objectives.init_state(), rng, jnp.zeros((), jnp.int32)
        )

    def sync(self, state: TrainState) -> None:
        """Writes the state back into the model's variables and the optimizer (a defined sync point)."""
        model = self.model
        for var, value in zip(model.trainable_variables, state.trainable):
            var._value = value
        for var, value in zip(model.non_trainable_variables, state.non_trainable):
            var._value = value
        model.optimizer.state = state.opt_state

    def _device(self, prepared: Prepared, rows: int | None = None, with_mask: bool = False) -> Batch:
        """Sends the data to the device once, optionally padded to `rows` rows with a 0/1 mask."""
        pad = (lambda a: _pad_rows(a, rows)) if rows else (lambda a: a)
        x = jax.tree_util.tree_map(lambda a: jnp.asarray(pad(a)), prepared.x)
        ys = [jnp.asarray(pad(y)) for y in prepared.y] if prepared.y is not None else []
        sw = None if prepared.sample_weight is None else jnp.asarray(pad(prepared.sample_weight))
        mask = None
        if with_mask:
            mask = jnp.asarray(pad(np.ones((prepared.n,), np.float32)))
        return Batch(x, ys, sw, mask)

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        epochs: int = 1,
        verbose="auto",
        callbacks=None,
        validation_split: float = 0.0,
        validation_data=None,
        shuffle: bool | str = True,
        class_weight=None,
        sample_weight=None,
        initial_epoch: int = 0,
        steps_per_epoch=None,
        validation_steps=None,
        validation_batch_size=None,
        validation_freq: int = 1,
    ) -> History:
        model = self.model
        batch_size = _check_batch_size(batch_size)
        epochs = data_mod.check_positive_int(epochs, argument="epochs", allow_zero=True)
        initial_epoch = data_mod.check_positive_int(initial_epoch, argument="initial_epoch", allow_zero=True)
        steps_per_epoch = data_mod.check_positive_int(steps_per_epoch, argument="steps_per_epoch", allow_none=True)
        validation_freq = data_mod.check_positive_int(validation_freq, argument="validation_freq")
        verbose = _resolve_verbose(verbose)
        if shuffle not in (True, False, "batch"):
            raise ValueError(f"shuffle must be True, False or 'batch'. Received: shuffle={shuffle!r}")

        train = self.prepare(x, y, sample_weight, need_y=True, what="fit")
        if class_weight is not None:
            if len(train.y) != 1:
                raise ValueError(
                    "class_weight is only supported for models with a single output. Received: class_weight for several outputs"
                )
            cw = data_mod.class_weights_to_sample_weights(train.y[0], class_weight)
            train.sample_weight = cw if train.sample_weight is None else train.sample_weight * cw
        val = None
        if validation_data is not None:
            val = self._validation_from_data(validation_data)
        elif validation_split:
            train, val = self._split(train, validation_split)

        n = train.n
        full, tail = divmod(n, batch_size)
        steps = full + (1 if tail else 0)
        if steps_per_epoch is not None:
            if steps_per_epoch > steps:
                raise ValueError(
                    f"steps_per_epoch={steps_per_epoch} asks for more batches than the data hold "
                    f"({n} samples make {steps} batches of {batch_size}). Received: steps_per_epoch={steps_per_epoch}"
                )
            full, tail = min(full, steps_per_epoch), (tail if steps_per_epoch > full else 0)
            steps = steps_per_epoch

        history = History()
        # tf.keras order: the progress bar first, History last, so that History records the
        # keys other callbacks add to the epoch logs (`lr` from the learning-rate callbacks).
        callback_list = ([ProgbarLogger()] if verbose else []) + list(callbacks or []) + [history]
        params = {"verbose": verbose, "epochs": epochs, "steps": steps, "batch_size": batch_size}
        cbs = CallbackList(callback_list, model=model, params=params)
        collect = cbs.needs_step_logs("train")
        updates = _UPDATES_PER_EPOCH if (verbose == 1 or cbs.wants_batches("train")) else None
        k = choose_chunk(full, updates) if full else 1
        align = cbs.step_alignment()
        if align and full:
            k = aligned_chunk(k, align, steps)

        engine = self.engine()
        data = self._device(train)
        val_data = self._eval_device(val, validation_batch_size or batch_size) if val is not None else None
        state = self.make_state()
        # Every epoch's randomness derives from (fit seed, epoch), so an epoch can be rerun or
        # resumed (BackupAndRestore) without replaying the epochs before it. A callback may
        # restore `model._fit_seed` in on_train_begin.
        model._fit_seed = backend.next_seed()
        objectives = model._objectives
        model.stop_training = False
        compile_before = compile_totals()
        eager = jax.disable_jit() if model.run_eagerly else contextlib.nullcontext()
        epoch_logs: dict[str, float] = {}
        with eager:
            model._resume_epoch = None
            model._resume_step = None
            cbs.on_train_begin()
            # A callback may have restored weights, optimizer state and the epoch (and step) to resume at.
            state = self._refresh_from_model(state)
            start = initial_epoch if model._resume_epoch is None else int(model._resume_epoch)
            resume_step = _check_resume_step(model._resume_step, steps)
            for epoch in range(start, epochs):
                first = resume_step if epoch == start else 0
                n_chunks = math.ceil((full - first) / k) if full > first else 0
                state = state._replace(metrics=model._objectives.init_state())
                cbs.on_epoch_begin(epoch)
                state = state._replace(opt_state=model.optimizer.with_current_hyperparams(state.opt_state))
                order_rng = np.random.default_rng([model._fit_seed, epoch])
                rng = backend.key_from_seed(_epoch_seed(model._fit_seed, epoch))
                state = state._replace(rng=_advance_key(rng, first) if first else rng)
                blocks, tail_idx = epoch_order(
                    order_rng, n=n, batch_size=batch_size, rows=first + n_chunks * k, shuffle=shuffle
                )
                blocks = jnp.asarray(blocks)
                logs: dict[str, float] = {}
                for c in range(n_chunks):
                    lo = first + c * k
                    block = blocks if blocks.shape[0] == k else blocks[lo : lo + k]
                    valid = min(k, full - lo)
                    state, chunk_logs = engine.train_chunk(state, data, block, n_valid=valid, collect=collect)
                    host = jax.device_get(chunk_logs)
                    if collect:
                        step_logs = _unstack(objectives, host, valid)
                        logs = step_logs[-1]
                    else:
                        step_logs, logs = None, objectives.named(host)
                    # Batch hooks read the weights at the end of this chunk (exact for the
                    # steps that `step_alignment` asked for).
                    self.sync(state)
                    cbs.replay_batches("train", lo, step_logs, lo + valid - 1, logs)
                    if model.stop_training:
                        break
                if tail and first <= full and not model.stop_training:
                    state, last = engine.train_rows(state, data, jnp.asarray(tail_idx[:tail]))
                    logs = objectives.named(jax.device_get(last))
                    self.sync(state)
                    cbs.replay_batches("train", full, [logs] if collect else None, full, logs)
                epoch_logs = dict(logs)
                self.sync(state)
                if val_data is not None and (epoch + 1) % validation_freq == 0:
                    cbs.on_test_begin()
                    val_logs = self._evaluate_device(
                        engine,
                        state,
                        val_data,
                        callbacks=cbs if cbs.needs_step_logs("test") else None,
                        steps_limit=validation_steps,
                    )
                    cbs.on_test_end(val_logs)
                    epoch_logs.update(_with_prefix(val_logs, "val_"))
                _warn_non_finite(epoch_logs, epoch)
                cbs.on_epoch_end(epoch, epoch_logs)
                # Weights a callback set (EarlyStopping restoring the best ones) must survive the stop.
                state = self._refresh_from_model(state)
                if model.stop_training:
                    break
            self.sync(state)
            cbs.on_train_end(epoch_logs)
        seconds, compiles = compile_totals()
        model.compile_stats = {"compile_seconds": seconds - compile_before[0], "compiles": compiles - compile_before[1]}
        return history

    def _refresh_from_model(self, state: TrainState) -> TrainState:
        """Picks up weights a callback set on the model between epochs (cheap: reference reads)."""
        model = self.model
        return state._replace(
            trainable=[v._value for v in model.trainable_variables],
            non_trainable=[v._value for v in model.non_trainable_variables],
            opt_state=model.optimizer.state,
        )

    def _split(self, train: Prepared, validation_split: float) -> tuple[Prepared, Prepared]:
        leaves, treedef = jax.tree_util.tree_flatten(train.x)
        arrays = leaves + list(train.y) + [train.sample_weight]
        tr, va = data_mod.split_validation(arrays, validation_split)
        nx, ny = len(leaves), len(train.y)

        def build(parts):
            return Prepared(
                jax.tree_util.tree_unflatten(treedef, parts[:nx]), parts[nx : nx + ny], parts[-1], parts[0].shape[0]
            )

        return build(tr), build(va)

    def _validation_from_data(self, validation_data) -> Prepared:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError(
                "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, val_sample_weight). "
                f"Received: validation_data of type {type(validation_data).__name__}"
                + (f" with {len(validation_data)} items" if isinstance(validation_data, (tuple, list)) else "")
            )
        sw = validation_data[2] if len(validation_data) == 3 else None
        try:
            return self.prepare(validation_data[0], validation_data[1], sw, need_y=True, what="validation_data")
        except (ValueError, TypeError) as err:
            raise type(err)(f"Invalid validation_data: {err}") from err

    # ------------------------------------------------------------------ evaluate
    def _eval_device(self, prepared: Prepared, batch_size: int) -> tuple[Batch, int, int, int]:
        steps = math.ceil(prepared.n / batch_size)
        return self._device(prepared, rows=steps * batch_size, with_mask=True), steps, batch_size, prepared.n

    def _evaluate_device(self, engine: Engine, state: TrainState, packed, *, callbacks, steps_limit=None, verbose=0):
        data, steps, batch_size, _ = packed
        if steps_limit is not None:
            steps = min(steps, data_mod.check_positive_int(steps_limit, argument="steps"))
        updates = (
            _UPDATES_PER_EPOCH
            if (verbose == 1 or (callbacks is not None and callbacks.wants_batches("test")))
            else None
        )
        k = choose_chunk(steps, updates)
        state = state._replace(metrics=self.model._objectives.init_state())
        logs: dict[str, float] = {}
        done = 0
        while done < steps:
            count = min(k, steps - done)
            state, out = engine.test_chunk(
                state, data, jnp.asarray(done, jnp.int32), steps=count, batch_size=batch_size
            )
            logs = self.model._objectives.named(jax.device_get(out))
            done += count
            if callbacks is not None:
                callbacks.replay_batches(
                    "test", done - count, [logs] * count if callbacks.needs_step_logs("test") else None, done - 1, logs
                )
        return logs

    def evaluate(
        self,
        x=None,
        y=None,
        batch_size=None,
        verbose="auto",
        sample_weight=None,
        steps=None,
        callbacks=None,
        return_dict=False,
    ):
        model = self.model
        batch_size = _check_batch_size(batch_size)
        verbose = _resolve_verbose(verbose)
        prepared = self.prepare(x, y, sample_weight, need_y=True, what="evaluate")
        engine = self.engine()
        packed = self._eval_device(prepared, batch_size)
        total_steps = (
            packed[1] if steps is None else min(packed[1], data_mod.check_positive_int(steps, argument="steps"))
        )
        cb_list = list(callbacks or [])
        if verbose:
            cb_list.append(ProgbarLogger())
        cbs = CallbackList(
            cb_list, model=model, params={"verbose": verbose, "epochs": 1, "steps": total_steps, "standalone": True}
        )
        state = self.make_state()
        eager = jax.disable_jit() if model.run_eagerly else contextlib.nullcontext()
        with eager:
            cbs.on_test_begin()
            logs = self._evaluate_device(engine, state, packed, callbacks=cbs, steps_limit=steps, verbose=verbose)
            cbs.on_test_end(logs)
        return _format_results(model, logs, return_dict)

    # ------------------------------------------------------------------ predict
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        model = self.model
        batch_size = _check_batch_size(batch_size)
        verbose = _resolve_verbose(verbose)
        prepared = self.prepare(x, need_y=False, what="predict")
        n_steps = math.ceil(prepared.n / batch_size)
        if steps is not None:
            n_steps = min(n_steps, data_mod.check_positive_int(steps, argument="steps"))
        engine = self.engine()
        rows = math.ceil(prepared.n / batch_size) * batch_size
        x_dev = jax.tree_util.tree_map(lambda a: jnp.asarray(_pad_rows(a, rows)), prepared.x)
        cb_list = list(callbacks or [])
        if verbose:
            cb_list.append(ProgbarLogger())
        cbs = CallbackList(
            cb_list, model=model, params={"verbose": verbose, "epochs": 1, "steps": n_steps, "standalone": True}
        )
        k = choose_chunk(n_steps, _UPDATES_PER_EPOCH if (verbose == 1 or cbs.wants_batches("predict")) else None)
        state = self.make_state(training=False)
        outputs = []
        eager = jax.disable_jit() if model.run_eagerly else contextlib.nullcontext()
        with eager:
            cbs.on_predict_begin()
            done = 0
            while done < n_steps:
                count = min(k, n_steps - done)
                outputs.append(
                    engine.predict_chunk(state, x_dev, jnp.asarray(done, jnp.int32), steps=count, batch_size=batch_size)
                )
                done += count
                cbs.replay_batches(
                    "predict", done - count, [{}] * count if cbs.needs_step_logs("predict") else None, done - 1, {}
                )
            cbs.on_predict_end()
        n_rows = min(prepared.n, n_steps * batch_size)
        joined = jax.tree_util.tree_map(
            lambda *parts: np.concatenate([np.asarray(p) for p in parts])[:n_rows], *outputs
        )
        return joined

    # ------------------------------------------------------------------ single batches
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, reset_metrics=True, return_dict=False):
        model = self.model
        prepared = self.prepare(x, y, sample_weight, need_y=True, what="train_on_batch")
        if class_weight is not None:
            cw = data_mod.class_weights_to_sample_weights(prepared.y[0], class_weight)
            prepared.sample_weight = cw if prepared.sample_weight is None else prepared.sample_weight * cw
        engine = self.engine()
        state = self.make_state()
        if not reset_metrics and model._batch_metrics is not None:
            state = state._replace(metrics=model._batch_metrics)
        state, logs = engine.train_batch(state, self._device(prepared))
        model._batch_metrics = state.metrics
        self.sync(state)
        return _format_results(model, model._objectives.named(jax.device_get(logs)), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True, return_dict=False):
        model = self.model
        prepared = self.prepare(x, y, sample_weight, need_y=True, what="test_on_batch")
        engine = self.engine()
        state = self.make_state()
        batch = self._device(prepared)
        state = engine.test_batch(state, batch)
        return _format_results(
            model, model._objectives.named(jax.device_get(model._objectives.results(state.metrics))), return_dict
        )

    def predict_on_batch(self, x):
        prepared = self.prepare(x, need_y=False, what="predict_on_batch")
        engine = self.engine()
        state = self.make_state(training=False)
        x_dev = jax.tree_util.tree_map(jnp.asarray, prepared.x)
        return jax.tree_util.tree_map(np.asarray, engine.predict_batch(state, x_dev))


def _order_targets(model, y):
    """Orders a dict of targets by the model's output names."""
    if not isinstance(y, Mapping):
        return y
    names = model.output_names
    unknown = [k for k in y if k not in names]
    if unknown:
        raise ValueError(
            f"y has keys that name no model output: {unknown}. Output names: {names}. Received: y keys {list(y)}"
        )
    missing = [k for k in names if k not in y]
    if missing:
        raise ValueError(f"y lacks targets for outputs {missing}. Output names: {names}. Received: y keys {list(y)}")
    return [y[name] for name in names]


def _format_results(model, logs: dict[str, float], return_dict: bool):
    if return_dict:
        return dict(logs)
    values = [logs[name] for name in model._objectives.metric_names]
    return values[0] if len(values) == 1 else values


def _warn_non_finite(logs: dict[str, float], epoch: int) -> None:
    bad = [k for k, v in logs.items() if not np.isfinite(v)]
    if bad:
        warnings.warn(
            f"Non-finite values in epoch {epoch + 1} logs: {', '.join(f'{k}={logs[k]}' for k in bad)}. "
            "Training diverged: lower the learning rate, scale the inputs, or add TerminateOnNaN.",
            RuntimeWarning,
            stacklevel=3,
        )


def _check_targets(arr: np.ndarray, loss, pred_shape: tuple, name: str) -> np.ndarray:
    """Checks targets against the loss and output shape; returns them in the dtype the loss expects."""
    loss_name = "" if loss is None else (getattr(loss, "name", "") or "") + type(loss).__name__.lower()
    units = pred_shape[-1] if pred_shape else 1
    if "sparse" in loss_name:
        if arr.dtype.kind == "f" and not np.all(np.equal(np.mod(arr, 1), 0)):
            raise ValueError(
                f"{name} must hold integer class indices for {loss.name}. Received: {name} with non-integer values"
            )
        if arr.ndim == len(pred_shape) and arr.shape[-1] != 1:
            raise ValueError(
                f"{name} for {loss.name} must hold one class index per sample (shape {(None,) + tuple(pred_shape[1:-1])}), "
                f"not one-hot rows; use categorical_crossentropy for one-hot targets. Received: {name}.shape={arr.shape}"
            )
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi >= units:
            raise ValueError(
                f"{name} holds class indices outside [0, {units}) for a model with {units} output units. "
                f"Received: {name} with min={lo}, max={hi}"
            )
        return arr.astype(np.int32)
    if "categorical" in loss_name and tuple(arr.shape[1:]) != tuple(pred_shape[1:]):
        raise ValueError(
            f"{name} must have shape {(None,) + tuple(pred_shape[1:])} (one-hot) to match the model output "
            f"for {loss.name}; for integer labels use sparse_categorical_crossentropy. Received: {name}.shape={arr.shape}"
        )
    if "binary" in loss_name and arr.size and (arr.min() < 0 or arr.max() > 1):
        raise ValueError(
            f"{name} must hold values in [0, 1] for {loss.name}. Received: {name} with min={arr.min()}, max={arr.max()}"
        )
    expected = tuple(pred_shape[1:])
    got = tuple(arr.shape[1:])
    if got != expected and not (got == () and expected == (1,)) and not (got == (1,) and expected == ()):
        raise ValueError(
            f"{name} has shape {(None,) + got} but the model output has shape {(None,) + expected}. "
            f"Received: {name}.shape={arr.shape}"
        )
    return arr.astype(backend.floatx())
