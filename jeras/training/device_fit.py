"""The whole fit as one compiled program: every epoch, its validation pass and the callbacks' rules.

`whole_fit` is a `lax.while_loop` over epochs. Its body draws the epoch's keys from the fit's
base key, shuffles on the device, scans the full batches, trains the last partial batch,
evaluates the validation data, and applies each callback's `DeviceRule` (jeras.callbacks.device)
to the epoch logs; a rule may stop the loop, change the learning rate or replace the weights.
The logs of every epoch are written into a history buffer that the host reads once, at the
end (docs/architecture.md, "The whole fit on the device").

The epoch-by-epoch path in `jeras.training.loop` runs the same functions from
`jeras.training.steps` in the same order, so both paths give the same numbers.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from jeras.callbacks.device import FitControl
from jeras.training.steps import Batch, StepFunctions, TrainState, epoch_keys, epoch_order


class WholeFitPlan(NamedTuple):
    """The static settings of one whole-fit program (part of its compile key)."""

    n: int
    batch_size: int
    shuffle: bool | str
    full: int
    tail: int
    val_steps: int
    val_batch_size: int
    history_rows: int
    log_names: tuple[str, ...]
    rules: tuple  # each rule's `key`: (static, epoch_end, train_end, adds_logs, halts_on_nan)
    set_learning_rate: bool


class WholeFitResult(NamedTuple):
    """What the program returns: the final state (after the rules' `train_end`, such as
    EarlyStopping restoring the best weights), the state before those rules (from which more
    epochs continue exactly), the control, the rules' states, and the history buffer."""

    state: TrainState
    control: FitControl
    rule_states: list
    epochs_run: jax.Array
    history: jax.Array
    running_state: TrainState


def train_epoch(
    fns: StepFunctions, state: TrainState, data: Batch, order_key, *, plan: WholeFitPlan, halt: bool, rows=None
):
    """One epoch's training steps (full batches, then the partial one). Returns (state, halted_at).

    With `rows`, the epoch trains on those rows of `data` only (a cross-validation fold of a
    vectorized search): the batches are exactly those a fit on `data[rows]` would draw.
    """
    blocks, tail_rows = epoch_order(
        order_key, n=plan.n, batch_size=plan.batch_size, shuffle=plan.shuffle, rows=plan.full
    )
    blocks = blocks[: plan.full]  # steps_per_epoch may ask for fewer batches than the data hold
    if rows is not None:
        blocks, tail_rows = rows[blocks], rows[tail_rows]
    halted_at = jnp.full((), -1, jnp.int32)
    if plan.full:
        state, halted_at, _ = fns.train_steps(state, data, blocks, n_valid=plan.full, collect=False, halt=halt)
    if plan.tail:
        tail = fns.rows(data, tail_rows[: plan.tail])
        if halt:
            state = jax.lax.cond(halted_at >= 0, lambda s: s, lambda s: fns.train_step(s, tail), state)
            halted_at = jnp.where((halted_at < 0) & ~fns.loss_is_finite(state), plan.full, halted_at)
        else:
            state = fns.train_step(state, tail)
    return state, halted_at


def whole_fit(
    fns: StepFunctions,
    state: TrainState,
    data: Batch,
    val_data: Batch | None,
    base_key: jax.Array,
    start_epoch: jax.Array,
    end_epoch: jax.Array,
    learning_rate: jax.Array,
    rule_params: list,
    rule_states: list,
    rows: jax.Array | None = None,
    active: jax.Array | None = None,
    *,
    plan: WholeFitPlan,
) -> WholeFitResult:
    """Runs epochs `start_epoch..end_epoch` (fewer when a rule stops training) on the device.

    `rows` (optional) restricts training to those rows of `data`; `plan.n` is then their number.
    `active` (optional, a bool scalar) False trains nothing: a vectorized search keeps the
    members it eliminated in the batch this way, so the survivors' program stays the same.
    """
    fns._count_trace("whole_fit")
    objectives = fns.objectives
    halt = any(rule[4] for rule in plan.rules)
    names = list(plan.log_names) + [name for rule in plan.rules for name in rule[3]]
    history = jnp.full((plan.history_rows, len(names)), jnp.nan, jnp.float32)
    control = FitControl(
        stop=jnp.zeros((), bool) if active is None else ~jnp.asarray(active, bool),
        learning_rate=jnp.asarray(learning_rate, jnp.float32),
        trainable=state.trainable,
        non_trainable=state.non_trainable,
        halted_step=jnp.full((), -1, jnp.int32),
    )

    def epoch_body(carry):
        state, control, rule_states, epoch, history = carry
        order_key, step_key = epoch_keys(base_key, epoch)
        opt_state = state.opt_state
        if plan.set_learning_rate:
            opt_state = fns.optimizer.with_learning_rate(opt_state, control.learning_rate)
        state = state._replace(metrics=objectives.init_state(), rng=step_key, opt_state=opt_state)
        state, halted_at = train_epoch(fns, state, data, order_key, plan=plan, halt=halt, rows=rows)
        values = list(objectives.results(state.metrics))
        if val_data is not None:
            evaluated = fns.evaluate_steps(
                state._replace(metrics=objectives.init_state()),
                val_data,
                0,
                steps=plan.val_steps,
                batch_size=plan.val_batch_size,
            )
            values += list(objectives.results(evaluated.metrics))
        logs: dict[str, Any] = dict(zip(plan.log_names, values))
        control = control._replace(trainable=state.trainable, non_trainable=state.non_trainable, halted_step=halted_at)
        new_states = []
        for (static, epoch_end, _, _, _), params, rule_state in zip(plan.rules, rule_params, rule_states):
            rule_state, logs, control = epoch_end(static, params, rule_state, epoch, logs, control)
            new_states.append(rule_state)
        state = state._replace(trainable=list(control.trainable), non_trainable=list(control.non_trainable))
        row = jnp.stack([jnp.asarray(logs[name], jnp.float32) for name in names])
        history = history.at[epoch - start_epoch].set(row)
        return state, control, new_states, epoch + 1, history

    def keep_going(carry):
        _, control, _, epoch, _ = carry
        return (epoch < end_epoch) & ~control.stop

    carry = (state, control, list(rule_states), jnp.asarray(start_epoch, jnp.int32), history)
    state, control, rule_states, epoch, history = jax.lax.while_loop(keep_going, epoch_body, carry)
    running_state = state
    control = control._replace(trainable=state.trainable, non_trainable=state.non_trainable)
    for (static, _, train_end, _, _), params, rule_state in zip(plan.rules, rule_params, rule_states):
        if train_end is not None:
            control = train_end(static, params, rule_state, control)
    state = state._replace(trainable=list(control.trainable), non_trainable=list(control.non_trainable))
    return WholeFitResult(state, control, rule_states, epoch - start_epoch, history, running_state)


def history_rows(epochs: int) -> int:
    """Rows of the history buffer: a power of two, so more epochs rarely compile a new program."""
    rows = 8
    while rows < epochs:
        rows *= 2
    return rows
