"""How a callback runs inside a compiled fit: the `DeviceRule` protocol.

When every callback of a `fit` gives a rule (and nothing prints a progress bar), the whole
fit — every epoch, the validation passes and the callbacks' rules — is one compiled program
(docs/architecture.md, "The whole fit on the device"). A callback opts in by returning a
`DeviceRule` from `Callback.device_rule(context)`; returning None (the default) makes `fit`
run epoch by epoch on the host, where the callback's ordinary hooks run.

A rule is plain data plus pure functions:

- `static`: a hashable value with every setting that changes the traced computation (the
  monitored log's name, the mode, flags). It is part of the compile key.
- `params`: a pytree of numbers the rule reads (patience, min_delta, factor...). They are
  arguments of the program, so other values compile nothing.
- `state`: the initial pytree the rule carries from epoch to epoch (best value, counters).
- `epoch_end(static, params, state, epoch, logs, control) -> (state, logs, control)`: runs
  after each epoch's training and validation. `logs` maps each log name to a scalar; the rule
  may add the names it lists in `adds_logs`. `control` (a `FitControl`) lets it stop training,
  change the learning rate, or replace the weights.
- `train_end(static, params, state, control) -> control`: optional; runs once after the last epoch.
- `finish(state, control)`: optional; runs on the host after the program with NumPy values,
  to set the callback's attributes (`stopped_epoch`, `best`...) as its host hooks would have.
- `halts_on_nan`: stop inside the epoch at the first batch whose running loss is not finite.

`epoch_end` and `train_end` must depend only on `static`, never on the callback instance
(use module-level functions): the compiled program is shared by every fit with equal rules.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp


class FitControl(NamedTuple):
    """What device rules may read and change at the end of an epoch.

    Attributes:
        stop: bool scalar; set it to stop training after this epoch.
        learning_rate: float32 scalar; the rate of the next epoch's updates.
        trainable: the trainable weights (a list of arrays, model order).
        non_trainable: the non-trainable weights.
        halted_step: int32 scalar; the batch at which a non-finite loss halted the epoch, or -1.
    """

    stop: jax.Array
    learning_rate: jax.Array
    trainable: list
    non_trainable: list
    halted_step: jax.Array


@dataclass(frozen=True, eq=False)
class DeviceContext:
    """What a callback knows when it is asked for its rule.

    Attributes:
        log_names: the names of the epoch logs, in order (training, then `val_` ones).
        epochs: the `epochs` argument of `fit`.
        schedule: whether the optimizer's learning rate is a schedule (it cannot be set then).
        trainable: the trainable weights at the start (arrays; for shaping a rule's state).
        non_trainable: the non-trainable weights at the start.
        weights_list: maps `(trainable, non_trainable)` to the order of `model.get_weights()`.
    """

    log_names: tuple[str, ...]
    epochs: int
    schedule: bool
    trainable: list
    non_trainable: list
    weights_list: Callable[[list, list], list]


@dataclass(eq=False)
class DeviceRule:
    """A callback's rule inside the compiled fit (see the module docstring)."""

    static: Hashable
    epoch_end: Callable[..., tuple[Any, dict, FitControl]]
    params: Any = ()
    state: Any = ()
    train_end: Callable[..., FitControl] | None = None
    finish: Callable[[Any, FitControl], None] | None = None
    adds_logs: tuple[str, ...] = ()
    halts_on_nan: bool = False
    key: tuple = field(init=False)

    def __post_init__(self):
        self.key = (self.static, self.epoch_end, self.train_end, self.adds_logs, self.halts_on_nan)


def as_float32(value) -> jax.Array:
    return jnp.asarray(value, jnp.float32)
