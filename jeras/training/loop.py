"""The host side of `fit`, `evaluate` and `predict`, as named phases.

`fit` checks its arguments, prepares the data (`jeras.training.inputs`), plans the call
(`jeras.training.plan`), and then runs one of two paths (docs/architecture.md):

- the whole fit on the device: one call of the program in `jeras.training.device_fit`, then
  the epoch logs are replayed into History and the callbacks' rules write back their results;
- epoch by epoch: each epoch is a few calls of a compiled chunk of steps, with batch hooks
  replayed from the per-step logs, validation, and the epoch hooks on the host.

Both paths draw the same batches and keys and run the same step functions, so they give the
same numbers. The weights are written back to the layer variables in a `finally`, so an
exception or Ctrl-C leaves the model with the weights of the last completed step.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from jeras import backend
from jeras.backend import hyperparameters
from jeras.backend.compilation import compile_totals
from jeras.callbacks import CallbackList, History, ProgbarLogger
from jeras.callbacks.device import DeviceContext
from jeras.schedules import LearningRateSchedule
from jeras.training import data as data_mod
from jeras.training import plan as planning
from jeras.training import programs
from jeras.training.device_fit import WholeFitPlan, history_rows
from jeras.training.inputs import InputPreparer, Prepared, device_batch, to_device
from jeras.training.run import FitRun
from jeras.training.steps import Batch, TrainState
from jeras.training.streaming import StreamingPhases, kind_of


@dataclass
class FitArguments:
    """The checked scalar arguments of one `fit` call."""

    batch_size: int
    epochs: int
    verbose: int
    shuffle: bool | str
    initial_epoch: int
    steps_per_epoch: int | None
    validation_steps: int | None
    validation_batch_size: int
    validation_freq: int
    validation_batch_size_given: bool = False


@dataclass
class EvalData:
    """Validation or evaluation data on the host, evaluated in power-of-two chunks of batches."""

    prepared: Prepared
    batch_size: int
    steps: int


# Rows per validation step when the caller did not set validation_batch_size (see below).
VALIDATION_ROWS = 1024


def validation_batches(val: Prepared, args: FitArguments, *, wants_test_batches: bool) -> EvalData:
    """How the validation data of a fit are batched.

    Validation metrics are sums over samples, so bigger batches give the same values (up to
    float rounding) in far fewer steps: unless the caller set `validation_batch_size` or
    `validation_steps`, or a callback watches test batches, a validation step takes up to
    `VALIDATION_ROWS` rows (tf.keras takes the training batch size; only the step count differs).
    """
    size = args.validation_batch_size
    if not (args.validation_batch_size_given or args.validation_steps is not None or wants_test_batches):
        size = max(size, min(VALIDATION_ROWS, val.n))
    steps = math.ceil(val.n / size)
    if args.validation_steps is not None:
        steps = min(steps, args.validation_steps)
    return EvalData(val, size, steps)


@jax.jit
def _advance_key(key: jax.Array, steps: jax.Array) -> jax.Array:
    """The step key after `steps` training steps, each of which splits it once (mid-epoch resume)."""
    return jax.lax.fori_loop(0, steps, lambda _, k: jax.random.split(k)[0], key)


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


def _with_prefix(logs: dict[str, float], prefix: str) -> dict[str, float]:
    return {prefix + k: v for k, v in logs.items()}


class Trainer(StreamingPhases):
    """Runs fit/evaluate/predict for a model (created per call; cheap)."""

    def __init__(self, model):
        self.model = model
        self.inputs = InputPreparer(model)
        self._state: TrainState | None = None

    # ------------------------------------------------------------------ state
    def engine(self) -> programs.Engine:
        engine = self.model._engine = programs.engine_for(self.model)
        if self.model._objectives is not None:
            self.model._objectives.set_layer_metrics(engine.fns.layer_metric_names)
        return engine

    def make_state(self, engine: programs.Engine, *, training: bool = True) -> TrainState:
        """The state of the model's current weights and hyperparameters; with `training`, also
        the optimizer and metric state."""
        model = self.model
        trainable = [v.value for v in model.trainable_variables]
        non_trainable = [v.value for v in model.non_trainable_variables]
        hyper = [np.float32(getattr(owner, name)) for owner, name in _own_slots(engine, model)]
        if not training:
            # The key is an argument, so programs stay shared and each predict call draws anew.
            return TrainState(trainable, non_trainable, None, None, backend.next_inference_key(), None, hyper)
        optimizer = model.optimizer
        if not optimizer.state_belongs_to(model.trainable_variables):
            optimizer.adopt_state(optimizer.init(trainable), model.trainable_variables)
        opt_state = optimizer.with_current_hyperparams(optimizer.state)
        rng = backend.next_global_key()
        return TrainState(
            trainable,
            non_trainable,
            opt_state,
            model._objectives.init_state(),
            rng,
            jnp.zeros((), jnp.int32),
            hyper,
        )

    def sync(self, state: TrainState | None = None) -> None:
        """Writes the state back into the model's variables and the optimizer (a defined sync point)."""
        state = self._state if state is None else state
        if state is None:
            return
        model = self.model
        for var, value in zip(model.trainable_variables, state.trainable):
            var.assign(value)
        for var, value in zip(model.non_trainable_variables, state.non_trainable):
            var.assign(value)
        if state.opt_state is not None:
            model.optimizer.adopt_state(state.opt_state, model.trainable_variables)

    def _refresh_from_model(self, state: TrainState) -> TrainState:
        """Picks up weights a callback set on the model (cheap: reference reads)."""
        model = self.model
        return state._replace(
            trainable=[v.value for v in model.trainable_variables],
            non_trainable=[v.value for v in model.non_trainable_variables],
            opt_state=model.optimizer.state,
        )

    def _take_batch_hook_changes(self, state: TrainState) -> TrainState:
        """Picks up what a live batch hook set: weights, optimizer state and the learning rate."""
        state = self._refresh_from_model(state)
        return self._with_current_settings(state)

    def _with_current_settings(self, state: TrainState) -> TrainState:
        """`state` with the learning rate and traced hyperparameters a callback set on the host
        (`keras.backend.set_value(model.optimizer.momentum, 0.9)`, as tf.keras 2.x applies them)."""
        model = self.model
        slots = _own_slots(model._engine, model)
        hyper = [np.float32(getattr(owner, name)) for owner, name in slots]
        for (owner, name), old, new in zip(slots, state.hyper, hyper):
            if hyperparameters.value_class(old) != hyperparameters.value_class(new):
                raise ValueError(
                    f"{type(owner).__name__}.{name} changed from {float(old):g} to {float(new):g} during fit. Whether "
                    "it is 0 or 1 is part of the compiled computation (a momentum of 0 has no velocity buffer), so "
                    f"it can change between other values only; set it before fit. Received: {name}={float(new):g}"
                )
        return state._replace(opt_state=model.optimizer.with_current_hyperparams(state.opt_state), hyper=hyper)

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
        args = self._check_fit_arguments(
            batch_size,
            epochs,
            verbose,
            shuffle,
            initial_epoch,
            steps_per_epoch,
            validation_steps,
            validation_batch_size,
            validation_freq,
        )
        if kind_of(x) is not None or (validation_data is not None and kind_of(validation_data) not in (None, "memmap")):
            return self._fit_stream(
                args, x, y, sample_weight, class_weight, validation_split, validation_data, callbacks
            )
        train, val = self._fit_data(x, y, sample_weight, class_weight, validation_split, validation_data)
        dist = getattr(model, "_distribution", None)
        if dist is not None and dist.per_process_data:
            if validation_split:
                raise ValueError(
                    "validation_split cannot split data that each process holds only part of "
                    "(per_process_data=True); pass validation_data, the same on every process. "
                    f"Received: validation_split={validation_split!r}"
                )
            train = dist.global_rows(train)
        engine = self.engine()
        history = History()
        # tf.keras order: the progress bar first, History last, so that History records the
        # keys other callbacks add to the epoch logs (`lr` from the learning-rate callbacks).
        callback_list = ([ProgbarLogger()] if args.verbose else []) + _callback_items(callbacks) + [history]
        state = self.make_state(engine)
        full, tail, steps = planning.batches(train.n, args.batch_size, args.steps_per_epoch)
        run = FitRun(seed=backend.next_seed(), initial_epoch=args.initial_epoch, steps_per_epoch=steps, path="")
        params = {"verbose": args.verbose, "epochs": args.epochs, "steps": steps}  # the keys tf.keras writes
        cbs = CallbackList(callback_list, model=model, params=params, run=run)
        context = self._device_context(state, val is not None)
        params["metrics"] = list(context.log_names)  # so callbacks can check log names before any step
        # Only jeras' own callbacks are known to add no other logs; a user's may add any.
        params["_logs_complete"] = all(type(cb).__module__.startswith("jeras.") for cb in callback_list)
        plan = planning.plan_fit(
            cbs,
            n=train.n,
            batch_size=args.batch_size,
            epochs=args.epochs,
            steps_per_epoch=args.steps_per_epoch,
            verbose=args.verbose,
            host_reason=self._host_reason(args, val is not None),
            context=context,
        )
        run.path = plan.path
        model.fit_run = run
        model.stop_training = False
        data = device_batch(train)
        val_data = validation_batches(val, args, wants_test_batches=cbs.wants_batches("test")) if val else None
        compile_before = compile_totals()
        eager = jax.disable_jit() if model.run_eagerly else contextlib.nullcontext()
        self._state = state
        try:
            with eager:
                if plan.path == planning.WHOLE_FIT:
                    self._whole_fit(engine, plan, cbs, run, args, data, val_data)
                else:
                    self._epochs(engine, plan, cbs, run, args, data, val_data)
        finally:
            self._finish_fit(compile_before, plan.path, plan.reason)
        if plan.path == planning.WHOLE_FIT:
            self._warm_predict(engine)
        return history

    def _finish_fit(self, compile_before: tuple, path: str, reason: str) -> None:
        """Writes the weights back and records `model.compile_stats` (in `fit`'s `finally`)."""
        self.sync()
        seconds, compiles = compile_totals()
        self.model.compile_stats = {
            "compile_seconds": seconds - compile_before[0],
            "compiles": compiles - compile_before[1],
            "path": path,
            "reason": reason,
        }

    def _check_fit_arguments(
        self,
        batch_size,
        epochs,
        verbose,
        shuffle,
        initial_epoch,
        steps_per_epoch,
        validation_steps,
        validation_batch_size,
        validation_freq,
    ) -> FitArguments:
        batch_size = _check_batch_size(batch_size)
        if shuffle not in (True, False, "batch"):
            raise ValueError(f"shuffle must be True, False or 'batch'. Received: shuffle={shuffle!r}")
        return FitArguments(
            batch_size=batch_size,
            epochs=data_mod.check_positive_int(epochs, argument="epochs", allow_zero=True),
            verbose=_resolve_verbose(verbose),
            shuffle=shuffle,
            initial_epoch=data_mod.check_positive_int(initial_epoch, argument="initial_epoch", allow_zero=True),
            steps_per_epoch=data_mod.check_positive_int(steps_per_epoch, argument="steps_per_epoch", allow_none=True),
            validation_steps=data_mod.check_positive_int(
                validation_steps, argument="validation_steps", allow_none=True
            ),
            validation_batch_size=_check_batch_size(validation_batch_size, default=batch_size),
            validation_freq=data_mod.check_positive_int(validation_freq, argument="validation_freq"),
            validation_batch_size_given=validation_batch_size is not None,
        )

    def _fit_data(self, x, y, sample_weight, class_weight, validation_split, validation_data):
        train = self.inputs.prepare(x, y, sample_weight, need_y=True, what="fit")
        self.inputs.apply_class_weight(train, class_weight)
        if validation_data is not None:
            return train, self.inputs.validation(validation_data)
        if validation_split:
            return self.inputs.split(train, validation_split)
        return train, None

    def _host_reason(self, args: FitArguments, has_val: bool) -> str | None:
        """Why this fit cannot be one compiled program whatever its callbacks, or None."""
        model = self.model
        if model.run_eagerly:
            return "run_eagerly=True"
        if has_val and args.validation_freq != 1:
            return "validation_freq is not 1"
        rate = model.optimizer._learning_rate
        if callable(rate) and not isinstance(rate, LearningRateSchedule):
            return "the learning rate is a function evaluated on the host"
        return None

    def _device_context(self, state: TrainState, has_val: bool) -> DeviceContext:
        model = self.model
        names = list(model._objectives.metric_names)
        names += ["val_" + name for name in names] if has_val else []
        return DeviceContext(
            log_names=tuple(names),
            epochs=0,
            schedule=isinstance(model.optimizer._learning_rate, LearningRateSchedule),
            trainable=state.trainable,
            non_trainable=state.non_trainable,
            weights_list=self._weights_list,
        )

    def _weights_list(self, trainable: list, non_trainable: list) -> list[np.ndarray]:
        """Arrays of the trainable and non-trainable lists, in the order of `model.get_weights()`."""
        model = self.model
        by_id = {id(v): a for v, a in zip(model.trainable_variables, trainable)}
        by_id.update({id(v): a for v, a in zip(model.non_trainable_variables, non_trainable)})
        return [np.asarray(by_id[id(v)]) for v in model.weights]

    # ------------------------------------------------------------------ the whole fit on the device
    def _whole_fit(self, engine, plan, cbs, run, args, data: Batch, val_data: EvalData | None) -> None:
        model = self.model
        cbs.on_train_begin()
        self._state = self._refresh_from_model(self._state)
        start, end = run.start_epoch, args.epochs
        epoch_logs: dict[str, float] = {}
        if end > start:
            rules = [rule for _, rule in plan.rules]
            names = tuple(self._device_context(self._state, val_data is not None).log_names)
            static = WholeFitPlan(
                n=plan.n,
                batch_size=plan.batch_size,
                shuffle=args.shuffle,
                full=plan.full,
                tail=plan.tail,
                val_steps=val_data.steps if val_data else 0,
                val_batch_size=val_data.batch_size if val_data else 0,
                history_rows=history_rows(end - start),
                log_names=names,
                rules=tuple(rule.key for rule in rules),
                set_learning_rate=not isinstance(model.optimizer._learning_rate, LearningRateSchedule),
            )
            val_batch = None
            if val_data is not None:
                rows = val_data.steps * val_data.batch_size
                val_batch = device_batch(val_data.prepared, rows, with_mask=True)
            rate = np.float32(model.optimizer.learning_rate)
            result = engine.whole_fit(
                self._state,
                data,
                val_batch,
                backend.key_from_seed(run.seed),
                np.int32(start),
                np.int32(end),
                rate,
                [rule.params for rule in rules],
                [rule.state for rule in rules],
                plan=static,
            )
            self._state = result.state
            epoch_logs = self._replay_whole_fit(plan, cbs, static, result, start, rate)
        self.sync()
        for cb in plan.replayed:
            cb.on_train_end(epoch_logs)
        self._state = self._refresh_from_model(self._state)

    def _replay_whole_fit(self, plan, cbs, static: WholeFitPlan, result, start: int, rate) -> dict[str, float]:
        """After the program: History and the other replayed callbacks get each epoch's logs, and
        the rules write their results back into their callbacks."""
        model = self.model
        host = jax.device_get((result.epochs_run, result.history, result.control, result.rule_states))
        epochs_run, history, control, rule_states = host
        names = list(static.log_names) + [name for key in static.rules for name in key[3]]
        logs: dict[str, float] = {}
        for i in range(int(epochs_run)):
            logs = {name: float(v) for name, v in zip(names, history[i])}
            _warn_non_finite(logs, start + i)
            for cb in plan.replayed:
                cb.on_epoch_begin(start + i, {})
                cb.on_epoch_end(start + i, logs)
        for (_, rule), rule_state in zip(plan.rules, rule_states):
            if rule.finish is not None:
                rule.finish(rule_state, control)
        if np.float32(control.learning_rate) != rate:
            model.optimizer.learning_rate = float(control.learning_rate)
        model.stop_training = bool(control.stop)
        return logs

    def _warm_predict(self, engine) -> None:
        """Compiles, in the background, the program `predict` needs for up to 32 rows."""
        specs = self.model._input_specs()
        if any(shape is None or any(d is None for d in shape[1:]) for shape, _ in specs):
            return
        structs = [jax.ShapeDtypeStruct((32,) + tuple(shape[1:]), dtype or backend.floatx()) for shape, dtype in specs]
        state = self.make_state(engine, training=False)
        engine.warm_predict(state, self.model._structure_inputs(structs), steps=1, batch_size=32)

    # ------------------------------------------------------------------ epoch by epoch
    def _epochs(self, engine, plan, cbs, run, args, data: Batch, val_data: EvalData | None) -> None:
        model = self.model
        cbs.on_train_begin()
        # A callback may have restored weights and optimizer state, and asked the run to resume.
        self._state = self._refresh_from_model(self._state)
        epoch_logs: dict[str, float] = {}
        for epoch in range(run.start_epoch, args.epochs):
            first = run.start_step if epoch == run.start_epoch else 0
            epoch_logs = self._train_epoch(engine, plan, cbs, run, args, data, epoch, first)
            if val_data is not None and (epoch + 1) % args.validation_freq == 0:
                epoch_logs.update(_with_prefix(self._validate(engine, cbs, val_data), "val_"))
            _warn_non_finite(epoch_logs, epoch)
            cbs.on_epoch_end(epoch, epoch_logs)
            # Weights a callback set (EarlyStopping restoring the best ones) must survive the stop.
            self._state = self._refresh_from_model(self._state)
            if model.stop_training:
                break
        self.sync()
        cbs.on_train_end(epoch_logs)
        self._state = self._refresh_from_model(self._state)  # EarlyStopping may restore weights here

    def _train_epoch(self, engine, plan, cbs, run, args, data: Batch, epoch: int, first: int) -> dict[str, float]:
        """One epoch's training steps, from batch `first`; returns the epoch's training logs."""
        model = self.model
        objectives = model._objectives
        k, full = plan.chunk, plan.full
        n_chunks = math.ceil((full - first) / k) if full > first else 0
        state = self._state._replace(metrics=objectives.init_state())
        cbs.on_epoch_begin(epoch)
        state = self._with_current_settings(state)
        step_key, blocks, tail_rows = programs.epoch_plan_program(
            backend.key_from_seed(run.seed),
            epoch,
            n=plan.n,
            batch_size=plan.batch_size,
            shuffle=args.shuffle,
            rows=max(first + n_chunks * k, full),
        )
        self._state = state._replace(rng=_advance_key(step_key, first) if first else step_key)
        logs: dict[str, float] = {}
        halted = False
        for c in range(n_chunks):
            lo = first + c * k
            valid = min(k, full - lo)
            if plan.live:
                cbs.begin_batch("train", lo)
                self._state = self._take_batch_hook_changes(self._state)
            self._state, halted_at, chunk_logs = engine.train_chunk(
                self._state, data, blocks, lo, k=k, n_valid=valid, collect=plan.collect, halt=plan.halt
            )
            halted_at, host = jax.device_get((halted_at, chunk_logs))
            if halted_at >= 0:
                valid, halted = int(halted_at) + 1, True
            if plan.collect:
                step_logs = [objectives.named([v[i] for v in host]) for i in range(valid)]
                logs = step_logs[-1]
            else:
                step_logs, logs = None, objectives.named(host)
            # Batch hooks read the weights at the end of this chunk (exact for the steps that
            # `step_alignment` asked for, and for every step when they run live).
            self.sync()
            cbs.replay_batches("train", lo, step_logs, lo + valid - 1, logs, begun=plan.live)
            if plan.live:
                self._state = self._take_batch_hook_changes(self._state)
            if model.stop_training or halted:
                break
        if plan.tail and first <= full and not (model.stop_training or halted):
            if plan.live:
                cbs.begin_batch("train", full)
                self._state = self._take_batch_hook_changes(self._state)
            self._state, last = engine.train_rows(self._state, data, tail_rows)  # exactly plan.tail rows
            logs = objectives.named(jax.device_get(last))
            self.sync()
            cbs.replay_batches("train", full, [logs] if plan.collect else None, full, logs, begun=plan.live)
            if plan.live:
                self._state = self._take_batch_hook_changes(self._state)
        self.sync()
        return dict(logs)

    def _validate(self, engine, cbs, val_data: EvalData) -> dict[str, float]:
        cbs.on_test_begin()
        test_cbs = cbs if cbs.needs_step_logs("test") else None
        logs = self._evaluate_chunks(engine, self._state, val_data, callbacks=test_cbs, verbose=0)
        cbs.on_test_end(logs)
        return logs

    # ------------------------------------------------------------------ evaluate
    def _evaluate_chunks(self, engine, state: TrainState, data: EvalData, *, callbacks, verbose: int) -> dict:
        """Evaluates `data.steps` batches in power-of-two chunks (a bounded set of programs)."""
        objectives = self.model._objectives
        updates = (
            planning.UPDATES_PER_EPOCH
            if (verbose == 1 or (callbacks is not None and callbacks.wants_batches("test")))
            else None
        )
        largest = planning.largest_chunk(data.steps, updates)
        state = state._replace(metrics=objectives.init_state())
        logs: dict[str, float] = {}
        done = 0
        for count in planning.power_of_two_chunks(data.steps, largest):
            rows = count * data.batch_size
            chunk = device_batch(
                data.prepared, rows, with_mask=True, start=done * data.batch_size, limit=data.steps * data.batch_size
            )
            state, out = engine.test_chunk(state, chunk, steps=count, batch_size=data.batch_size)
            logs = objectives.named(jax.device_get(out))
            real = min(count, data.steps - done)
            done += real
            if callbacks is not None:
                step_logs = [logs] * real if callbacks.needs_step_logs("test") else None
                callbacks.replay_batches("test", done - real, step_logs, done - 1, logs)
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
        if kind_of(x) is not None:
            cb_list = _callback_items(callbacks) + ([ProgbarLogger()] if verbose else [])
            params = {"verbose": verbose, "epochs": 1, "steps": None, "standalone": True}
            cbs = CallbackList(cb_list, model=model, params=params)
            with jax.disable_jit() if model.run_eagerly else contextlib.nullcontext():
                logs = self._evaluate_streamed(x, y, sample_weight, batch_size, steps, cbs)
            return _format_results(model, logs, return_dict)
        prepared = self.inputs.prepare(x, y, sample_weight, need_y=True, what="evaluate")
        engine = self.engine()
        total_steps = math.ceil(prepared.n / batch_size)
        if steps is not None:
            total_steps = min(total_steps, data_mod.check_positive_int(steps, argument="steps"))
        cb_list = _callback_items(callbacks)
        if verbose:
            cb_list.append(ProgbarLogger())
        cbs = CallbackList(
            cb_list, model=model, params={"verbose": verbose, "epochs": 1, "steps": total_steps, "standalone": True}
        )
        state = self.make_state(engine)
        eager = jax.disable_jit() if model.run_eagerly else contextlib.nullcontext()
        with eager:
            cbs.on_test_begin()
            logs = self._evaluate_chunks(
                engine, state, EvalData(prepared, batch_size, total_steps), callbacks=cbs, verbose=verbose
            )
            cbs.on_test_end(logs)
        return _format_results(model, logs, return_dict)

    # ------------------------------------------------------------------ predict
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        model = self.model
        batch_size = _check_batch_size(batch_size)
        verbose = _resolve_verbose(verbose)
        if kind_of(x) is not None:
            cb_list = _callback_items(callbacks) + ([ProgbarLogger()] if verbose else [])
            params = {"verbose": verbose, "epochs": 1, "steps": None, "standalone": True}
            cbs = CallbackList(cb_list, model=model, params=params)
            with jax.disable_jit() if model.run_eagerly else contextlib.nullcontext():
                return self._predict_streamed(x, batch_size, steps, cbs)
        prepared = self.inputs.prepare(x, need_y=False, what="predict")
        n_steps = math.ceil(prepared.n / batch_size)
        if steps is not None:
            n_steps = min(n_steps, data_mod.check_positive_int(steps, argument="steps"))
        engine = self.engine()
        cb_list = _callback_items(callbacks)
        if verbose:
            cb_list.append(ProgbarLogger())
        cbs = CallbackList(
            cb_list, model=model, params={"verbose": verbose, "epochs": 1, "steps": n_steps, "standalone": True}
        )
        updates = planning.UPDATES_PER_EPOCH if (verbose == 1 or cbs.wants_batches("predict")) else None
        largest = planning.largest_chunk(n_steps, updates)
        state = self.make_state(engine, training=False)
        outputs = []
        eager = jax.disable_jit() if model.run_eagerly else contextlib.nullcontext()
        with eager:
            cbs.on_predict_begin()
            done = 0
            for count in planning.power_of_two_chunks(n_steps, largest):
                rows = count * batch_size
                chunk = device_batch(prepared, rows, start=done * batch_size, limit=n_steps * batch_size).x
                if model.run_eagerly:
                    out = engine.fns.predict_chunk(state, chunk, steps=count, batch_size=batch_size)
                else:
                    out = engine.predict_chunk(state, chunk, steps=count, batch_size=batch_size)
                outputs.append(out)
                real = min(count, n_steps - done)
                done += real
                step_logs = [{}] * real if cbs.needs_step_logs("predict") else None
                cbs.replay_batches("predict", done - real, step_logs, done - 1, {})
            cbs.on_predict_end()
        n_rows = min(prepared.n, n_steps * batch_size)
        return jax.tree_util.tree_map(lambda *parts: np.concatenate([np.asarray(p) for p in parts])[:n_rows], *outputs)

    # ------------------------------------------------------------------ single batches
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, reset_metrics=True, return_dict=False):
        model = self.model
        prepared = self.inputs.prepare(x, y, sample_weight, need_y=True, what="train_on_batch")
        self.inputs.apply_class_weight(prepared, class_weight)
        engine = self.engine()
        state = self.make_state(engine)
        if not reset_metrics and model._batch_metrics is not None:
            state = state._replace(metrics=model._batch_metrics)
        state, logs = engine.train_batch(state, device_batch(prepared))
        model._batch_metrics = state.metrics
        self.sync(state)
        return _format_results(model, model._objectives.named(jax.device_get(logs)), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True, return_dict=False):
        model = self.model
        prepared = self.inputs.prepare(x, y, sample_weight, need_y=True, what="test_on_batch")
        engine = self.engine()
        state = engine.test_batch(self.make_state(engine), device_batch(prepared))
        logs = model._objectives.named(jax.device_get(model._objectives.results(state.metrics)))
        return _format_results(model, logs, return_dict)

    def predict_on_batch(self, x):
        prepared = self.inputs.prepare(x, need_y=False, what="predict_on_batch")
        engine = self.engine()
        state = self.make_state(engine, training=False)
        x_dev = jax.tree_util.tree_map(to_device, prepared.x)
        return jax.tree_util.tree_map(np.asarray, engine.predict_batch(state, x_dev))


def _own_slots(engine: programs.Engine, model) -> list:
    """This model's hyperparameter owners, in the engine's order (equal structure, equal order)."""
    from jeras.training.structure import hyperparameter_slots

    slots = hyperparameter_slots(model, model.optimizer)
    if len(slots) != len(engine.hyper_slots):
        raise RuntimeError(
            f"Model '{model.name}' lists {len(slots)} hyperparameters but its compiled structure has "
            f"{len(engine.hyper_slots)}; call keras.backend.clear_session() after changing a model in place."
        )
    return slots


def _callback_items(callbacks) -> list:
    if callbacks is None:
        return []
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(
            f"callbacks must be a list of Callback instances. Received: callbacks of type {type(callbacks).__name__}"
        )
    return list(callbacks)


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
            stacklevel=4,
        )
