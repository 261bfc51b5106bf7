"""Pure train, test and predict steps over a `TrainState`, and the scans that run many of them.

Nothing here mutates Python objects: each function takes arrays and returns arrays, so it
can be jitted, scanned over a whole epoch or a whole fit, and vmapped over several models
(DESIGN.md, principles 1, 2 and 6; docs/architecture.md). Layer code runs inside a
`StatelessScope` that binds the model's variables to the values carried in the state, and a
`HyperparameterScope` that binds the numeric hyperparameters (rates, factors, momentum) to
the values in `TrainState.hyper`, so one compiled program serves every model of a structure.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from jeras import activations, backend
from jeras.backend.hyperparameters import HyperparameterScope
from jeras.backend.variables import StatelessScope
from jeras.training.shuffle import shuffled_range
from jeras.training.structure import hyperparameter_slots
from jeras.training.train_step import overrides_train_step, run_train_step_override


class TrainState(NamedTuple):
    """Everything a training step reads and writes, as one pytree."""

    trainable: list
    non_trainable: list
    opt_state: Any
    metrics: Any
    rng: jax.Array
    step: jax.Array
    hyper: list


class Forward(NamedTuple):
    """One forward pass inside a step: the outputs, the new non-trainable values (BatchNorm
    statistics), the penalties to add to the loss (weight regularization, activity
    regularization, `add_loss`), and the values layers reported with `add_metric` (name -> list)."""

    outputs: Any
    non_trainable: list
    penalties: list
    reported: dict


class Batch(NamedTuple):
    """One batch: inputs, targets (list per output), optional sample weights and row mask."""

    x: Any
    y: list
    sample_weight: jax.Array | None
    mask: jax.Array | None


def epoch_keys(base_key: jax.Array, epoch) -> tuple[jax.Array, jax.Array]:
    """The shuffling key and the first step key of an epoch, from the fit's base key.

    Both paths of `fit` (whole-fit and epoch by epoch) derive them the same way, so they
    draw the same batches and the same dropout masks, and an epoch can be resumed on its own.
    """
    keys = jax.random.split(jax.random.fold_in(base_key, epoch))
    return keys[0], keys[1]


def epoch_order(order_key: jax.Array, *, n: int, batch_size: int, shuffle: bool | str, rows: int):
    """Row order of one epoch: `[rows, batch]` full batches (padded by repeating the first when
    `rows` exceeds their number) and the rows of the last, partial batch."""
    full = n // batch_size
    if shuffle == "batch":
        order = shuffled_range(order_key, full)
        perm = jnp.concatenate(
            [(order[:, None] * batch_size + jnp.arange(batch_size)).reshape(-1), jnp.arange(full * batch_size, n)]
        )
    elif shuffle:
        perm = shuffled_range(order_key, n)
    else:
        perm = jnp.arange(n)
    perm = perm.astype(jnp.int32)
    blocks = perm[: full * batch_size].reshape(full, batch_size)
    if rows > full:
        blocks = jnp.concatenate([blocks, jnp.broadcast_to(blocks[:1], (rows - full, batch_size))])
    return blocks, perm[full * batch_size :]


def take_rows(data: Batch, idx) -> Batch:
    """The batch of the given rows (the mask is dropped: training batches hold only real rows)."""
    return Batch(
        jax.tree_util.tree_map(lambda a: a[idx], data.x),
        [y[idx] for y in data.y],
        None if data.sample_weight is None else data.sample_weight[idx],
        None,
    )


def slice_rows(data: Batch, offset, size: int) -> Batch:
    """`size` consecutive rows from `offset` of a padded data set (mask included)."""
    take = lambda a: jax.lax.dynamic_slice_in_dim(a, offset, size)  # noqa: E731
    return Batch(
        jax.tree_util.tree_map(take, data.x),
        [take(y) for y in data.y],
        None if data.sample_weight is None else take(data.sample_weight),
        None if data.mask is None else take(data.mask),
    )


class StepFunctions:
    """Builds the pure step functions of one compiled model.

    The functions are traced with this model's layers, but only read values from the state
    they are given: the programs serve every model of the same structure
    (`jeras.training.structure`).

    Args:
        model: the model (its variables are bound, never mutated, inside the steps).
        objectives: the resolved `Objectives` of `compile`.
        optimizer: the jeras optimizer (its `update` is pure).
    """

    def __init__(self, model, objectives, optimizer):
        self.model = model
        self.objectives = objectives
        self.optimizer = optimizer
        self.trainable_vars = list(model.trainable_variables)
        self.non_trainable_vars = list(model.non_trainable_variables)
        self.constraints = [v.constraint for v in self.trainable_vars]
        self.hyper_slots = hyperparameter_slots(model, optimizer)
        self.input_dtypes = [dtype or backend.floatx() for _, dtype in model._input_specs()]
        self.trace_counts: dict[str, int] = {}
        # Data parallel (jeras.distribution): batches are sharded over the model's mesh, the rest replicated.
        self.distribution = getattr(model, "_distribution", None)
        # A model class that overrides `train_step` runs it inside the compiled step (jeras.training.train_step).
        self.custom_train_step = overrides_train_step(model)
        self.layer_metric_names = self._find_layer_metrics()

    def _find_layer_metrics(self) -> list[str]:
        """The names the model's layers give `add_metric`: those of the calls made so far and, when
        the model has layer classes of its own (whose `call` may report metrics only while
        training), those of one abstract training-mode forward pass (nothing is computed)."""
        model = self.model
        if all(type(layer).__module__.startswith("jeras.") for layer, _ in model._all_layers()):
            return model.layer_metric_names()
        specs = model._input_specs()
        if all(shape is not None for shape, _ in specs):
            structs = [
                jax.ShapeDtypeStruct((2,) + tuple(2 if d is None else d for d in shape[1:]), dtype)
                for (shape, _), dtype in zip(specs, self.input_dtypes)
            ]
            trainable = [jax.ShapeDtypeStruct(v.shape, v.dtype) for v in self.trainable_vars]
            non_trainable = [jax.ShapeDtypeStruct(v.shape, v.dtype) for v in self.non_trainable_vars]
            key = jax.ShapeDtypeStruct((2,), jnp.uint32)

            def probe(trainable, non_trainable, x, key):
                with self.hyper_scope([]):
                    return self.forward(
                        trainable, non_trainable, model._structure_inputs(x), training=True, rng=key
                    ).outputs

            try:
                jax.eval_shape(probe, trainable, non_trainable, structs, key)
            except Exception:  # a probe only: the real trace reports any error
                pass
        return model.layer_metric_names()

    def _count_trace(self, name: str) -> None:
        self.trace_counts[name] = self.trace_counts.get(name, 0) + 1

    def _cast_inputs(self, x):
        """Small integer data (uint8 images) travel as they are and become the model's input
        dtype here, inside the compiled step, instead of as a float copy on the host."""
        dtypes = self.model._structure_inputs(self.input_dtypes)

        def cast(a, dtype):
            return a.astype(dtype) if a.dtype != jnp.dtype(dtype) else a

        return jax.tree_util.tree_map(cast, x, dtypes)

    def forward(self, trainable, non_trainable, x, *, training: bool, rng=None) -> Forward:
        """Runs the model on x with the given variable values (see `Forward`)."""
        bindings = list(zip(self.trainable_vars, trainable)) + list(zip(self.non_trainable_vars, non_trainable))
        with StatelessScope(bindings, rng=rng) as scope:
            outputs = self.model(self._cast_inputs(x), training=training)
            penalties = self.model.weight_penalties() + scope.losses
            new_non_trainable = [scope.new_value(v) for v in self.non_trainable_vars]
        reported: dict[str, list] = {}
        for _, name, value in scope.metric_entries:
            reported.setdefault(name, []).append(value)
        return Forward(outputs, new_non_trainable, penalties, reported)

    def hyper_scope(self, hyper) -> HyperparameterScope:
        return HyperparameterScope(zip(self.hyper_slots, hyper))

    def shard(self, batch):
        """The batch sharded along its rows over the distribution's devices (unchanged on one device)."""
        return batch if self.distribution is None else self.distribution.shard_batch(batch)

    def rows(self, data: Batch, idx) -> Batch:
        """`take_rows`, with the indices kept whole on every device when data parallel."""
        if self.distribution is not None:
            idx = self.distribution.keep_whole(idx)
        return take_rows(data, idx)

    def train_step(self, state: TrainState, batch: Batch) -> TrainState:
        batch = self.shard(batch)
        if self.custom_train_step:
            return run_train_step_override(self, state, batch)
        rng, key = jax.random.split(state.rng)
        restore_logits = []
        # float16 training: the loss is scaled before differentiation (jeras.loss_scale).
        scale_loss = getattr(self.optimizer, "scale_loss", None)

        def loss_fn(trainable):
            out = self.forward(trainable, state.non_trainable, batch.x, training=True, rng=key)
            preds = jax.tree_util.tree_leaves(out.outputs)
            total, per_output = self.objectives.compute_loss(
                batch.y, preds, batch.sample_weight, batch.mask, out.penalties
            )
            logits, restore = activations.logits_across(preds)
            restore_logits.append(restore)
            objective = total if scale_loss is None else scale_loss(total, state.opt_state)
            return objective, (total, preds, out.non_trainable, per_output, logits, out.reported)

        with self.hyper_scope(state.hyper):
            (_, (total, preds, new_nt, per_output, logits, reported)), grads = jax.value_and_grad(
                loss_fn, has_aux=True
            )(state.trainable)
            params, opt_state = self.optimizer.update(grads, state.opt_state, state.trainable)
        restore_logits[0](preds, logits)  # the metrics see the logits the loss saw (tf.keras 2.x)
        params = [p if c is None else c(p) for p, c in zip(params, self.constraints)]
        metrics = self.objectives.update_state(
            state.metrics, total, per_output, batch.y, preds, batch.sample_weight, batch.mask, reported
        )
        return TrainState(params, new_nt, opt_state, metrics, rng, state.step + 1, state.hyper)

    def test_step(self, state: TrainState, batch: Batch, key=None) -> TrainState:
        """Accumulates the loss and metrics of one batch. Layers that draw noise at inference
        (MC dropout) draw it from `key`, default the state's key."""
        key = state.rng if key is None else key
        batch = self.shard(batch)
        with self.hyper_scope(state.hyper):
            out = self.forward(state.trainable, state.non_trainable, batch.x, training=False, rng=key)
            preds = jax.tree_util.tree_leaves(out.outputs)
            total, per_output = self.objectives.compute_loss(
                batch.y, preds, batch.sample_weight, batch.mask, out.penalties
            )
        metrics = self.objectives.update_state(
            state.metrics, total, per_output, batch.y, preds, batch.sample_weight, batch.mask, out.reported
        )
        return state._replace(metrics=metrics)

    def predict_step(self, state: TrainState, x):
        """The outputs for one batch; noise drawn at inference (MC dropout) comes from the state's
        key, an argument of the program, so each `predict` call draws anew."""
        x = self.shard(x)
        with self.hyper_scope(state.hyper):
            return self.forward(state.trainable, state.non_trainable, x, training=False, rng=state.rng).outputs

    def loss_is_finite(self, state: TrainState) -> jax.Array:
        """Whether the running mean loss of the epoch so far is finite (what TerminateOnNaN watches)."""
        return jnp.isfinite(self.objectives.results(state.metrics)[0])

    # ------------------------------------------------------------------ scans
    def train_steps(self, state: TrainState, data: Batch, blocks, *, n_valid: int, collect: bool, halt: bool):
        """Runs one training step per row of `blocks` (`[K, batch]` row indices into data).

        Rows past `n_valid` are padding and leave the state unchanged. With `halt`, the steps
        after a non-finite loss are skipped too (TerminateOnNaN stops at that batch). Returns
        the state, the position of the batch that halted (-1 if none) and, with `collect`, the
        logs after every step (stacked).
        """

        def body(carry, idx):
            state, position, halted_at = carry
            skip = position >= n_valid
            if halt:
                skip = skip | (halted_at >= 0)
            if n_valid == blocks.shape[0] and not halt:
                new_state = self.train_step(state, self.rows(data, idx))
            else:
                new_state = jax.lax.cond(skip, lambda s: s, lambda s: self.train_step(s, self.rows(data, idx)), state)
            if halt:
                halted_at = jnp.where((halted_at < 0) & ~self.loss_is_finite(new_state), position, halted_at)
            logs = self.objectives.results(new_state.metrics) if collect else None
            return (new_state, position + 1, halted_at), logs

        start = (state, jnp.zeros((), jnp.int32), jnp.full((), -1, jnp.int32))
        (state, _, halted_at), logs = jax.lax.scan(body, start, blocks)
        return state, halted_at, logs

    def train_chunk(
        self, state: TrainState, data: Batch, blocks, start, *, k: int, n_valid: int, collect: bool, halt: bool
    ):
        """`k` training steps on the batches `start..start+k` of an epoch's `blocks` (epoch-by-epoch path).

        Returns the state, the position in the chunk of a batch that halted (-1 if none), and
        the logs (stacked per step with `collect`).
        """
        self._count_trace("train_chunk")
        chunk = jax.lax.dynamic_slice_in_dim(blocks, start, k)
        state, halted_at, logs = self.train_steps(state, data, chunk, n_valid=n_valid, collect=collect, halt=halt)
        if not collect:
            logs = self.objectives.results(state.metrics)
        return state, halted_at, logs

    def train_rows(self, state: TrainState, data: Batch, rows: jax.Array):
        """One training step on the given rows of the data (the epoch's last, partial batch)."""
        self._count_trace("train_rows")
        state = self.train_step(state, self.rows(data, rows))
        return state, self.objectives.results(state.metrics)

    def train_batch(self, state: TrainState, batch: Batch):
        self._count_trace("train_batch")
        state = self.train_step(state, batch)
        return state, self.objectives.results(state.metrics)

    def evaluate_steps(self, state: TrainState, data: Batch, start, *, steps: int, batch_size: int) -> TrainState:
        """Accumulates the metrics of `steps` consecutive batches of a padded data set, from batch `start`."""

        def body(state, i):
            key = None if state.rng is None else jax.random.fold_in(state.rng, start + i)
            return self.test_step(state, slice_rows(data, (start + i) * batch_size, batch_size), key), None

        state, _ = jax.lax.scan(body, state, jnp.arange(steps))
        return state

    def test_chunk(self, state: TrainState, data: Batch, *, steps: int, batch_size: int):
        """Evaluates the `steps` batches of `data` (which holds exactly `steps * batch_size` rows, masked)."""
        self._count_trace("test_chunk")
        state = self.evaluate_steps(state, data, 0, steps=steps, batch_size=batch_size)
        return state, self.objectives.results(state.metrics)

    def predict_chunk(self, state: TrainState, x, *, steps: int, batch_size: int):
        """Predicts `steps` batches of `x` (which holds exactly `steps * batch_size` rows)."""
        self._count_trace("predict_chunk")

        def body(_, i):
            xb = jax.tree_util.tree_map(lambda a: jax.lax.dynamic_slice_in_dim(a, i * batch_size, batch_size), x)
            batch_state = state if state.rng is None else state._replace(rng=jax.random.fold_in(state.rng, i))
            return None, self.predict_step(batch_state, xb)

        _, outs = jax.lax.scan(body, None, jnp.arange(steps))
        return jax.tree_util.tree_map(lambda o: o.reshape((-1,) + o.shape[2:]), outs)
