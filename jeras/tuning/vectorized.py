"""Many models of one structure trained together: `jax.vmap` over the whole-fit program.

`fit_members` takes models of one structure (their own initial weights, learning rates,
momentum, regularization factors, dropout rates and seeds) and one training set with a row
subset per member (cross-validation folds as indices into one device copy of the data), and
runs the compiled whole fit of `jeras.training.device_fit` once for all of them, vmapped over
the stacked `TrainState`s. Each member keeps its own shuffling and dropout keys, its own
callback rules (its own early stopping and restored best weights) and its own history; a
member that diverges does not disturb the others. The batches a member draws are exactly
those a plain `fit` on `x[rows]` with the same seed draws, so it ends with the same weights
(docs/architecture.md, "Vectorized search").
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras import backend
from jeras.callbacks import History
from jeras.schedules import LearningRateSchedule
from jeras.training import programs
from jeras.training.device_fit import WholeFitPlan, history_rows, whole_fit
from jeras.training.inputs import device_batch
from jeras.training.loop import Trainer, validation_batches
from jeras.training.plan import batches

_UNSUPPORTED = {"validation_split": 0.0, "steps_per_epoch": None, "validation_freq": 1, "initial_epoch": 0}


class NotVectorizable(Exception):
    """The members cannot be trained as one program (a host-only callback, another structure...)."""


@dataclass
class Member:
    """One model to train: built under its own seed, with the keys `fit` would have drawn next."""

    model: Any
    rows: np.ndarray  # the training rows of the shared data
    run_seed: int
    narrow: Any = None  # the member's own model when `model` is its padded copy (jeras.tuning.padding)


@dataclass
class MemberResult:
    model: Any
    history: History
    epochs_run: int
    seconds: float


def prepare_member(build, seed: int, rows: np.ndarray) -> Member:
    """Builds one member as a plain `fit` after `set_random_seed(seed)` would: same initial
    weights, and the run seed `fit` would draw (after the key its state draws)."""
    backend.set_random_seed(seed)
    model = build()
    backend.next_global_key()  # the key `Trainer.make_state` draws
    return Member(model=model, rows=np.asarray(rows, np.int64), run_seed=backend.next_seed())


def fit_members(members: list[Member], x, y, fit_kwargs: dict[str, Any]) -> list[MemberResult]:
    """Trains every member in one vmapped whole-fit program (see the module docstring).

    Args:
        members: models of one structure, each with its training rows (all of one length).
        x, y: the whole training set (NumPy arrays or lists of them, as `fit` takes).
        fit_kwargs: `Model.fit` keyword arguments shared by all members (epochs, batch_size,
            validation_data, callbacks, shuffle, sample_weight, class_weight; verbose is ignored).

    Raises:
        NotVectorizable: when the fit cannot be one device program (a host-only callback,
            `validation_split`, a learning rate given as a function...) or the members differ.
    """
    group = VectorizedGroup(members, x, y, fit_kwargs)
    return group.run(group.epochs)


class VectorizedGroup:
    """Members of one structure trained together, possibly in several stretches of epochs.

    `run(end_epoch, active)` trains the active members from where the previous call left them
    up to `end_epoch`; each stretch continues exactly (the epoch keys depend only on the seed
    and the epoch), so training to 9 epochs in stretches of 3 equals training 9 at once.
    Every stretch runs the same compiled program: members left out are only masked.
    """

    def __init__(self, members: list[Member], x, y, fit_kwargs: dict[str, Any]):
        self.members = members
        first = members[0].model
        kwargs = dict(fit_kwargs)
        kwargs.pop("verbose", None)
        for name, default in _UNSUPPORTED.items():
            if kwargs.get(name, default) != default:
                raise NotVectorizable(f"{name}={kwargs[name]!r} is not supported by the vectorized search")
        trainer = Trainer(first)
        args = trainer._check_fit_arguments(
            kwargs.get("batch_size"),
            kwargs.get("epochs", 1),
            0,
            kwargs.get("shuffle", True),
            0,
            None,
            kwargs.get("validation_steps"),
            kwargs.get("validation_batch_size"),
            1,
        )
        self.epochs = args.epochs
        data_all = trainer.inputs.prepare(x, y, kwargs.get("sample_weight"), need_y=True, what="fit")
        trainer.inputs.apply_class_weight(data_all, kwargs.get("class_weight"))
        val = (
            trainer.inputs.validation(kwargs["validation_data"]) if kwargs.get("validation_data") is not None else None
        )
        n = len(members[0].rows)
        if any(len(m.rows) != n for m in members):
            raise NotVectorizable("the members train on row sets of different sizes")
        engine = self.engine = trainer.engine()
        for member in members[1:]:
            # Building the objectives needs the shapes only: two rows are enough.
            Trainer(member.model).inputs.prepare(_rows(x, 2), _rows(y, 2), need_y=True, what="fit")
            if programs.engine_for(member.model) is not engine:
                raise NotVectorizable("the members are not all of one structure")
        states, rules = self._states_and_rules(list(kwargs.get("callbacks") or []), val is not None)
        full, tail, _ = batches(n, args.batch_size, None)
        val_data = validation_batches(val, args, wants_test_batches=False) if val else None
        self.plan = WholeFitPlan(
            n=n,
            batch_size=args.batch_size,
            shuffle=args.shuffle,
            full=full,
            tail=tail,
            val_steps=val_data.steps if val else 0,
            val_batch_size=val_data.batch_size if val else 0,
            history_rows=history_rows(args.epochs),
            log_names=tuple(trainer._device_context(states[0], val is not None).log_names),
            rules=tuple(rule.key for rule in rules[0]),
            set_learning_rate=not isinstance(first.optimizer._learning_rate, LearningRateSchedule),
        )
        if any(tuple(rule.key for rule in member_rules) != self.plan.rules for member_rules in rules):
            raise NotVectorizable("the members' callbacks differ")
        self.data = device_batch(data_all)
        self.val = device_batch(val, self.plan.val_steps * self.plan.val_batch_size, with_mask=True) if val else None
        self.state = _stack(states)
        self.keys = _stack([backend.key_from_seed(m.run_seed) for m in members])
        self.rates = jnp.asarray([np.float32(m.model.optimizer.learning_rate) for m in members])
        self.start_rates = np.asarray(self.rates)
        self.params = _stack([[rule.params for rule in r] for r in rules])
        self.rule_states = _stack([[rule.state for rule in r] for r in rules])
        self.rows = jnp.asarray(np.stack([m.rows for m in members]).astype(np.int32))
        self.stopped = np.zeros(len(members), bool)
        self.epoch = 0
        self.histories = [History() for _ in members]
        self.epochs_run = np.zeros(len(members), np.int64)

    def _states_and_rules(self, callbacks, has_val: bool):
        states, rules = [], []
        for member in self.members:
            member_trainer = Trainer(member.model)
            state = member_trainer.make_state(self.engine)
            context = member_trainer._device_context(state, has_val)
            member_rules = []
            for cb in callbacks:
                cb.set_model(member.model)
                rule = cb.device_rule(context)
                if rule is None:
                    raise NotVectorizable(f"{type(cb).__name__} runs on the host")
                member_rules.append(rule)
            rate = member.model.optimizer._learning_rate
            if callable(rate) and not isinstance(rate, LearningRateSchedule):
                raise NotVectorizable("a learning rate given as a function is evaluated on the host")
            states.append(state)
            rules.append(member_rules)
        return states, rules

    def run(self, end_epoch: int, active: np.ndarray | None = None) -> list[MemberResult]:
        """Trains the active members (all by default) up to `end_epoch`; returns every member's
        model (weights synced, the rules' end-of-training weights) and history so far."""
        if end_epoch > self.plan.history_rows:
            raise ValueError(
                f"This group was planned for at most {self.plan.history_rows} epochs. Received: end_epoch={end_epoch}"
            )
        members = self.members
        active = np.ones(len(members), bool) if active is None else np.asarray(active, bool)
        active = active & ~self.stopped
        program = _vectorized_program(self.engine, self.plan)
        start = time.perf_counter()
        result = program(
            self.state,
            self.data,
            self.val,
            self.keys,
            np.int32(self.epoch),
            np.int32(end_epoch),
            self.rates,
            self.params,
            self.rule_states,
            self.rows,
            jnp.asarray(active),
        )
        epochs_run, history, rates, stopped = jax.device_get(
            (result.epochs_run, result.history, result.control.learning_rate, result.control.stop)
        )
        seconds = (time.perf_counter() - start) / max(int(active.sum()), 1)
        self.state, self.rule_states, self.rates = (
            result.running_state,
            result.rule_states,
            result.control.learning_rate,
        )
        self.stopped = np.asarray(stopped, bool)
        names = list(self.plan.log_names) + [name for key in self.plan.rules for name in key[3]]
        out = []
        # One transfer of the stacked weights, then host slicing: indexing device arrays member by
        # member would compile a slicing program per weight shape.
        trainable, non_trainable, opt_state = jax.device_get(
            (result.state.trainable, result.state.non_trainable, result.state.opt_state)
        )
        for i, member in enumerate(members):
            take = lambda a, i=i: jnp.asarray(a[i])  # noqa: E731
            own = result.state._replace(
                trainable=[take(a) for a in trainable],
                non_trainable=[take(a) for a in non_trainable],
                opt_state=jax.tree_util.tree_map(take, opt_state),
            )
            Trainer(member.model).sync(own)
            for row in range(int(epochs_run[i])):
                logs = {name: float(v) for name, v in zip(names, history[i][row])}
                self.histories[i].on_epoch_end(self.epoch + row, logs)
            self.epochs_run[i] += int(epochs_run[i])
            self.histories[i].set_model(member.model)
            member.model.history = self.histories[i]
            if np.float32(rates[i]) != self.start_rates[i]:
                member.model.optimizer.learning_rate = float(rates[i])
            member.model.compile_stats = {"path": "vectorized", "reason": f"{len(members)} members in one program"}
            out.append(MemberResult(member.model, self.histories[i], int(self.epochs_run[i]), seconds))
        self.epoch = end_epoch
        return out


def _vectorized_program(engine, plan: WholeFitPlan):
    """The jitted, vmapped whole fit of a plan, cached on the engine of the structure."""
    cache = engine.__dict__.setdefault("_vectorized", {})
    program = cache.get(plan)
    if program is None:

        def one(state, data, val, key, start, end, rate, params, rule_states, rows, active):
            return whole_fit(
                engine.fns, state, data, val, key, start, end, rate, params, rule_states, rows, active, plan=plan
            )

        program = cache[plan] = jax.jit(jax.vmap(one, in_axes=(0, None, None, 0, None, None, 0, 0, 0, 0, 0)))
    return program


def _stack(trees: list):
    """The trees' leaves stacked on a new leading axis, on the host (stacking on the device would
    compile a program per leaf shape), then moved to the device at once."""

    def stack(*leaves):
        first = leaves[0]
        if isinstance(first, jax.Array) and jnp.issubdtype(first.dtype, jax.dtypes.prng_key):
            data = np.stack([np.asarray(jax.random.key_data(leaf)) for leaf in leaves])
            return jax.random.wrap_key_data(data, impl=jax.random.key_impl(first))
        return jnp.asarray(np.stack([np.asarray(leaf) for leaf in leaves]))

    return jax.tree_util.tree_map(stack, *trees)


def _rows(data, count: int):
    if isinstance(data, dict):
        return {k: v[:count] for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [v[:count] for v in data]
    return data[:count]
