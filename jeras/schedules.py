"""Learning-rate schedules with the names, arguments and configs of `keras.optimizers.schedules`.

A schedule maps the optimizer step (the number of updates applied before the current one, as
in Keras) to a learning rate. `__call__` uses only `jax.numpy`, so an optimizer evaluates the
schedule inside a compiled training step and the rate changes from step to step without any
recompilation. Where optax has the same curve, the schedule wraps the optax function.

Example:

    >>> from jeras import optimizers, schedules
    >>> lr = schedules.ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.96)
    >>> float(lr(1000))
    0.096...
    >>> opt = optimizers.SGD(learning_rate=lr)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import optax

from jeras.serialization import custom_object_scope, registry_of, resolve
from jeras.serialization import serialize as _serialize


def _check_number(argument: str, value: Any, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TypeError(f"`{argument}` must be a finite number. Received: {argument}={value!r}")
    if positive and value <= 0:
        raise ValueError(f"`{argument}` must be > 0. Received: {argument}={value!r}")
    if value < 0:
        raise ValueError(f"`{argument}` must be >= 0. Received: {argument}={value!r}")
    return value


class LearningRateSchedule:
    """Base class of learning-rate schedules.

    Subclasses implement `__call__(step)` with `jax.numpy` operations (it is traced inside
    compiled steps) and `get_config()`, whose keys are the constructor's arguments.

    Example:

        >>> class InverseSqrt(LearningRateSchedule):
        ...     def __init__(self, scale):
        ...         self.scale = scale
        ...     def __call__(self, step):
        ...         return self.scale * jax.lax.rsqrt(jnp.asarray(step, "float32") + 1.0)
        ...     def get_config(self):
        ...         return {"scale": self.scale}
    """

    def __call__(self, step: jax.typing.ArrayLike) -> jax.Array:
        """Returns the learning rate for the update that follows `step` completed updates."""
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must override `__call__(step)`.")

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments as a JSON-ready dict."""
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must override `get_config()`.")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LearningRateSchedule:
        """Rebuilds a schedule from `get_config()`'s output."""
        return cls(**config)


class ExponentialDecay(LearningRateSchedule):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)`.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the number of steps over which the rate is multiplied by `decay_rate`; > 0.
        decay_rate: the decay factor; > 0.
        staircase: when True (default False), `step / decay_steps` is floored, so the rate
            drops in steps.
        name: the schedule's name, default `"ExponentialDecay"`.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "ExponentialDecay",
    ):
        self.initial_learning_rate = _check_number("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _check_number("decay_steps", decay_steps, positive=True)
        self.decay_rate = _check_number("decay_rate", decay_rate, positive=True)
        self.staircase = bool(staircase)
        self.name = name
        self._schedule = optax.exponential_decay(
            initial_learning_rate, decay_steps, decay_rate, staircase=self.staircase
        )

    def __call__(self, step: jax.typing.ArrayLike) -> jax.Array:
        return jnp.asarray(self._schedule(step), jnp.result_type(float))

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant rate on each interval between boundaries.

    The rate is `values[0]` while `step <= boundaries[0]`, `values[1]` while
    `boundaries[0] < step <= boundaries[1]`, ..., and `values[-1]` after `boundaries[-1]`.

    Args:
        boundaries: strictly increasing step numbers.
        values: the rates, one more than `boundaries`.
        name: the schedule's name, default `"PiecewiseConstant"`.
    """

    def __init__(self, boundaries: Sequence[float], values: Sequence[float], name: str = "PiecewiseConstant"):
        boundaries = [_check_number("boundaries", b) for b in boundaries]
        values = [_check_number("values", v) for v in values]
        if len(values) != len(boundaries) + 1:
            raise ValueError(
                "`values` must have one more element than `boundaries`. "
                f"Received: boundaries={boundaries}, values={values}"
            )
        if any(low >= high for low, high in zip(boundaries, boundaries[1:])):
            raise ValueError(f"`boundaries` must be strictly increasing. Received: boundaries={boundaries}")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step: jax.typing.ArrayLike) -> jax.Array:
        # searchsorted(side="left") counts the boundaries strictly below `step`: the interval index.
        index = jnp.searchsorted(jnp.asarray(self.boundaries), step, side="left")
        return jnp.asarray(self.values, jnp.result_type(float))[index]

    def get_config(self) -> dict[str, Any]:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)`.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the step scale of the decay; > 0.
        decay_rate: the decay factor; >= 0.
        staircase: when True (default False), `step / decay_steps` is floored.
        name: the schedule's name, default `"InverseTimeDecay"`.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "InverseTimeDecay",
    ):
        self.initial_learning_rate = _check_number("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _check_number("decay_steps", decay_steps, positive=True)
        self.decay_rate = _check_number("decay_rate", decay_rate)
        self.staircase = bool(staircase)
        self.name = name

    def __call__(self, step: jax.typing.ArrayLike) -> jax.Array:
        progress = jnp.asarray(step, jnp.result_type(float)) / self.decay_steps
        if self.staircase:
            progress = jnp.floor(progress)
        return self.initial_learning_rate / (1.0 + self.decay_rate * progress)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class PolynomialDecay(LearningRateSchedule):
    """`(initial - end) * (1 - step / decay_steps) ** power + end`, then `end` from `decay_steps` on.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the number of steps to reach `end_learning_rate`; > 0.
        end_learning_rate: the final rate, default 0.0001.
        power: the polynomial's power, default 1.0 (linear).
        cycle: when True (default False), the decay restarts with `decay_steps` stretched to
            the next multiple of `decay_steps` above `step`, instead of staying at the end rate.
        name: the schedule's name, default `"PolynomialDecay"`.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ):
        self.initial_learning_rate = _check_number("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _check_number("decay_steps", decay_steps, positive=True)
        self.end_learning_rate = _check_number("end_learning_rate", end_learning_rate)
        self.power = _check_number("power", power)
        self.cycle = bool(cycle)
        self.name = name

    def __call__(self, step: jax.typing.ArrayLike) -> jax.Array:
        # optax's polynomial_schedule has no `cycle`, so this curve is written out.
        step = jnp.asarray(step, jnp.result_type(float))
        if self.cycle:
            horizon = self.decay_steps * jnp.maximum(jnp.ceil(step / self.decay_steps), 1.0)
        else:
            horizon, step = self.decay_steps, jnp.minimum(step, self.decay_steps)
        # Compiled, `step / horizon` may round to just above 1; a negative base would give NaN powers.
        fraction_left = jnp.maximum(1.0 - step / horizon, 0.0)
        return (
            self.initial_learning_rate - self.end_learning_rate
        ) * fraction_left**self.power + self.end_learning_rate

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class CosineDecay(LearningRateSchedule):
    """Cosine decay, optionally after a linear warmup.

    Without `warmup_target`, the rate falls from `initial_learning_rate` to
    `alpha * initial_learning_rate` along a half cosine over `decay_steps`. With it, the rate
    first rises linearly from `initial_learning_rate` to `warmup_target` over `warmup_steps`,
    then falls from `warmup_target` to `alpha * warmup_target` over the next `decay_steps`.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the length of the cosine part; > 0.
        alpha: the final rate as a fraction of the decay's starting rate, default 0.0.
        name: the schedule's name, default `"CosineDecay"`.
        warmup_target: the rate reached at the end of the warmup, default None (no warmup).
        warmup_steps: the length of the warmup, default 0.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ):
        self.initial_learning_rate = _check_number("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _check_number("decay_steps", decay_steps, positive=True)
        self.alpha = _check_number("alpha", alpha)
        self.name = name
        self.warmup_target = None if warmup_target is None else _check_number("warmup_target", warmup_target)
        self.warmup_steps = _check_number("warmup_steps", warmup_steps)
        if warmup_target is None:
            self._schedule = optax.cosine_decay_schedule(initial_learning_rate, decay_steps, alpha)
        else:
            self._schedule = optax.warmup_cosine_decay_schedule(
                init_value=initial_learning_rate,
                peak_value=warmup_target,
                warmup_steps=warmup_steps,
                decay_steps=warmup_steps + decay_steps,
                end_value=alpha * warmup_target,
            )

    def __call__(self, step: jax.typing.ArrayLike) -> jax.Array:
        return jnp.asarray(self._schedule(step), jnp.result_type(float))

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter, 2017).

    The first period lasts `first_decay_steps` and each later one `t_mul` times the one before;
    within a period the rate falls along a half cosine from its start to `alpha` times
    `initial_learning_rate`, and each restart starts `m_mul` times lower than the one before.

    Args:
        initial_learning_rate: the rate at step 0.
        first_decay_steps: the length of the first period; > 0.
        t_mul: the factor of each period's length over the previous one's, default 2.0.
        m_mul: the factor of each restart's rate over the previous one's, default 1.0.
        alpha: the lowest rate as a fraction of `initial_learning_rate`, default 0.0.
        name: the schedule's name, default `"SGDRDecay"`.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: int,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ):
        self.initial_learning_rate = _check_number("initial_learning_rate", initial_learning_rate)
        self.first_decay_steps = _check_number("first_decay_steps", first_decay_steps, positive=True)
        self.t_mul = _check_number("t_mul", t_mul, positive=True)
        self.m_mul = _check_number("m_mul", m_mul)
        self.alpha = _check_number("alpha", alpha)
        self.name = name

    def __call__(self, step: jax.typing.ArrayLike) -> jax.Array:
        dtype = jnp.result_type(float)
        fraction = jnp.asarray(step, dtype) / self.first_decay_steps
        if self.t_mul == 1.0:
            restart = jnp.floor(fraction)
            fraction = fraction - restart
        else:
            # Periods 1, t, t**2, ... (in units of the first): the restart is where their sum passes `fraction`.
            restart = jnp.floor(jnp.log1p(-fraction * (1.0 - self.t_mul)) / math.log(self.t_mul))
            done = (1.0 - self.t_mul**restart) / (1.0 - self.t_mul)
            fraction = (fraction - done) / self.t_mul**restart
        cosine = 0.5 * self.m_mul**restart * (1.0 + jnp.cos(math.pi * fraction))
        return self.initial_learning_rate * ((1.0 - self.alpha) * cosine + self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self.t_mul,
            "m_mul": self.m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


_REGISTRY = registry_of(
    ExponentialDecay,
    PiecewiseConstantDecay,
    InverseTimeDecay,
    PolynomialDecay,
    CosineDecay,
    CosineDecayRestarts,
    LearningRateSchedule,
)


def serialize(schedule: LearningRateSchedule) -> dict[str, Any]:
    """Returns `{"class_name": ..., "config": ...}` for a schedule."""
    return _serialize(schedule)


def deserialize(config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None) -> LearningRateSchedule:
    """Rebuilds a schedule from `serialize`'s output.

    Args:
        config: a `{"class_name": ..., "config": ...}` dict.
        custom_objects: extra names -> classes for user-defined schedules, default None.

    Returns:
        A `LearningRateSchedule`.
    """
    with custom_object_scope(custom_objects):
        schedule = resolve(
            config, _REGISTRY, kind="learning rate schedule", argument="config", instantiate=False, allow_callable=False
        )
    if not isinstance(schedule, LearningRateSchedule):
        raise TypeError(f"Expected a learning rate schedule config. Received: config={config!r}")
    return schedule


__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LearningRateSchedule",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "deserialize",
    "serialize",
]
