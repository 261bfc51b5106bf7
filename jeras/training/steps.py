"""Pure train, test and predict steps over a `TrainState`, and the scans that run many of them.

Nothing here mutates Python objects: each function takes arrays and returns arrays, so it
can be jitted, scanned over a whole epoch, and vmapped over several models (DESIGN.md,
principles 1, 2 and 6). Layer code runs inside a `StatelessScope` that binds the model's
variables to the values carried in the state.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from jeras.backend.variables import StatelessScope


class TrainState(NamedTuple):
    """Everything a training step reads and writes, as one pytree."""

    trainable: list
    non_trainable: list
    opt_state: Any
    metrics: Any
    rng: jax.Array
    step: jax.Array


class Batch(NamedTuple):
    """One batch: inputs, targets (list per output), optional sample weights and row mask."""

    x: Any
    y: list
    sample_weight: jax.Array | None
    mask: jax.Array | None


class StepFunctions:
    """Builds the pure step functions of one compiled model.

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
        self.trace_counts: dict[str, int] = {}

    def _count_trace(self, name: str) -> None:
        self.trace_counts[name] = self.trace_counts.get(name, 0) + 1

    def forward(self, trainable, non_trainable, x, *, training: bool, rng=None):
        """Runs the model on x with the given variable values; returns (outputs, new non-trainable, penalties)."""
        bindings = list(zip(self.trainable_vars, trainable)) + list(zip(self.non_trainable_vars, non_trainable))
        with StatelessScope(bindings, rng=rng) as scope:
            outputs = self.model(x, training=training)
            penalties = list(self.model.losses) + list(scope.losses)
            new_non_trainable = [scope.new_value(v) for v in self.non_trainable_vars]
        return outputs, new_non_trainable, penalties

    def train_step(self, state: TrainState, batch: Batch) -> TrainState:
        rng, key = jax.random.split(state.rng)

        def loss_fn(trainable):
            outputs, new_nt, penalties = self.forward(trainable, state.non_trainable, batch.x, training=True, rng=key)
            preds = jax.tree_util.tree_leaves(outputs)
            total, per_output = self.objectives.compute_loss(batch.y, preds, batch.sample_weight, batch.mask, penalties)
            return total, (preds, new_nt, per_output)

        (total, (preds, new_nt, per_output)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.trainable)
        params, opt_state = self.optimizer.update(grads, state.opt_state, state.trainable)
        params = [p if c is None else c(p) for p, c in zip(params, self.constraints)]
        metrics = self.objectives.update_state(
            state.metrics, total, per_output, batch.y, preds, batch.sample_weight, batch.mask
        )
        return TrainState(params, new_nt, opt_state, metrics, rng, state.step + 1)

    def test_step(self, state: TrainState, batch: Batch) -> TrainState:
        outputs, _, penalties = self.forward(state.trainable, state.non_trainable, batch.x, training=False)
        preds = jax.tree_util.tree_leaves(outputs)
        total, per_output = self.objectives.compute_loss(batch.y, preds, batch.sample_weight, batch.mask, penalties)
        metrics = self.objectives.update_state(
            state.metrics, total, per_output, batch.y, preds, batch.sample_weight, batch.mask
        )
        return state._replace(metrics=metrics)

    def predict_step(self, state: TrainState, x):
        outputs, _, _ = self.forward(state.trainable, state.non_trainable, x, training=False)
        return outputs

    # ------------------------------------------------------------------ scans
    def train_chunk(self, state: TrainState, data: Batch, index_block: jax.Array, n_valid: int, collect: bool):
        """Runs one training step per row of `index_block` (`[K, batch]` row indices into data).

        Rows past `n_valid` are padding and leave the state unchanged. With `collect`, returns
        the logs after every step (stacked); otherwise the logs after the last step.
        """
        self._count_trace("train_chunk")

        def gather(idx):
            return Batch(
                jax.tree_util.tree_map(lambda a: a[idx], data.x),
                [y[idx] for y in data.y],
                None if data.sample_weight is None else data.sample_weight[idx],
                None,
            )

        def body(carry, inputs):
            state, position = carry
            idx = inputs
            if n_valid == index_block.shape[0]:
                new_state = self.train_step(state, gather(idx))
            else:
                new_state = jax.lax.cond(
                    position < n_valid, lambda s: self.train_step(s, gather(idx)), lambda s: s, state
                )
            logs = self.objectives.results(new_state.metrics) if collect else None
            return (new_state, position + 1), logs

        (state, _), logs = jax.lax.scan(body, (state, jnp.zeros((), jnp.int32)), index_block)
        if not collect:
            logs = self.objectives.results(state.metrics)
        return state, logs

    def train_batch(self, state: TrainState, batch: Batch):
        self._count_trace("train_batch")
        state = self.train_step(state, batch)
        return state, self.objectives.results(state.metrics)

    def train_rows(self, state: TrainState, data: Batch, rows: jax.Array):
        """One training step on the given rows of the data (the epoch's last, partial batch)."""
        self._count_trace("train_rows")
        batch = Batch(
            jax.tree_util.tree_map(lambda a: a[rows], data.x),
            [y[rows] for y in data.y],
            None if data.sample_weight is None else data.sample_weight[rows],
            None,
        )
        state = self.train_step(state, batch)
        return state, self.objectives.results(state.metrics)

    def test_chunk(self, state: TrainState, data: Batch, start: jax.Array, steps: int, batch_size: int):
        """Evaluates `steps` consecutive batches of a padded data set, starting at batch `start`."""
        self._count_trace("test_chunk")

        def body(state, i):
            offset = (start + i) * batch_size
            take = lambda a: jax.lax.dynamic_slice_in_dim(a, offset, batch_size)  # noqa: E731
            batch = Batch(
                jax.tree_util.tree_map(take, data.x),
                [take(y) for y in data.y],
                None if data.sample_weight is None else take(data.sample_weight),
                take(data.mask),
            )
            return self.test_step(state, batch), None

        state, _ = jax.lax.scan(body, state, jnp.arange(steps))
        return state, self.objectives.results(state.metrics)

    def predict_chunk(self, state: TrainState, x, start: jax.Array, steps: int, batch_size: int):
        """Predicts `steps` consecutive batches of padded inputs, starting at batch `start`."""
        self._count_trace("predict_chunk")

        def body(_, i):
            offset = (start + i) * batch_size
            xb = jax.tree_util.tree_map(lambda a: jax.lax.dynamic_slice_in_dim(a, offset, batch_size), x)
            return None, self.predict_step(state, xb)

        _, outs = jax.lax.scan(body, None, jnp.arange(steps))
        return jax.tree_util.tree_map(lambda o: o.reshape((-1,) + o.shape[2:]), outs)
