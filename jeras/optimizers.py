"""Optimizers with the names, arguments, defaults and configs of `keras.optimizers`.

Each optimizer is a thin adapter over optax. It offers two faces:

* the pure one the training engine compiles: `init(params) -> state` and
  `update(grads, state, params) -> (new_params, new_state)`, for any pytree of arrays;
* the eager Keras one: `apply_gradients(zip(grads, variables))`, `learning_rate`,
  `iterations`, `get_config()`.

The learning rate lives inside the state (through `optax.inject_hyperparams`), so setting
`optimizer.learning_rate` between epochs never recompiles a function that takes the state as
an argument: the host-side value is written into the state by `with_current_hyperparams`.
A `LearningRateSchedule` is evaluated inside the compiled step at the number of updates
already applied, as Keras does.

Each update follows Keras 3 (and tf.keras 2): clip the gradients (`clipnorm` per tensor,
`global_clipnorm`, or `clipvalue`), apply the rule, then decoupled weight decay
`w -= learning_rate * weight_decay * w` (never through momentum buffers). Where optax's
default form of a rule differs from Keras', the optax transforms are configured or chained to
give Keras' numbers; see each class for the details and the one residual difference (Adamax).

Example:

    >>> import jax.numpy as jnp
    >>> from jeras import optimizers
    >>> opt = optimizers.get("adam")
    >>> params = {"w": jnp.ones(3)}
    >>> state = opt.init(params)
    >>> params, state = opt.update({"w": jnp.ones(3)}, state, params)
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jeras import schedules
from jeras.backend.hyperparameters import hyperparameter
from jeras.backend.step_context import current_step_context
from jeras.backend.variables import Variable
from jeras.schedules import LearningRateSchedule
from jeras.serialization import custom_object_scope, registry_of, resolve
from jeras.serialization import serialize as _serialize

LearningRate = float | LearningRateSchedule | Callable[[], float]

# Keras 3 and tf.keras >= 2.11 configs carry these settings; jeras has no counterpart, so it
# accepts them only at the value that means "off".
_KERAS_ONLY_DEFAULTS = {
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
    "is_legacy_optimizer": False,
}

_POSITIVE = (lambda x: x > 0, "> 0")
_NON_NEGATIVE = (lambda x: x >= 0, ">= 0")
_DECAY_RATE = (lambda x: 0 <= x < 1, "in [0, 1)")
_FRACTION = (lambda x: 0 <= x <= 1, "in [0, 1]")


def _check(argument: str, value: Any, valid: Callable[[float], bool], expected: str) -> float:
    """Returns `value` as a float, or raises naming `argument` when it is not a finite number meeting `expected`."""
    if isinstance(value, (bool, str)) or value is None:
        raise TypeError(f"`{argument}` must be a number. Received: {argument}={value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"`{argument}` must be a number. Received: {argument}={value!r}") from err
    if not math.isfinite(number) or not valid(number):
        raise ValueError(f"`{argument}` must be a finite number {expected}. Received: {argument}={value!r}")
    return number


def _optional(argument: str, value: Any, valid: Callable[[float], bool], expected: str) -> float | None:
    return None if value is None else _check(argument, value, valid, expected)


def _take_legacy_arguments(learning_rate: LearningRate, kwargs: dict[str, Any]) -> LearningRate:
    """Applies tf.keras 2 arguments (`lr`, `decay`) and Keras-only config keys; rejects the rest."""
    if "lr" in kwargs:
        warnings.warn(
            "The `lr` argument is deprecated (removed from Keras): use `learning_rate` instead, "
            f"for example `learning_rate={kwargs['lr']!r}`.",
            DeprecationWarning,
            stacklevel=4,
        )
        learning_rate = kwargs.pop("lr")
    decay = kwargs.pop("decay", None)
    if decay:
        if callable(learning_rate):
            raise ValueError(
                f"The legacy `decay` argument needs a constant `learning_rate`. Received: learning_rate={learning_rate!r}"
            )
        # tf.keras 2 scaled the rate by 1 / (1 + decay * iterations): an inverse-time schedule.
        warnings.warn(
            "The `decay` argument is deprecated (removed from Keras): use "
            "`learning_rate=keras.optimizers.schedules.InverseTimeDecay(learning_rate, decay_steps=1, decay_rate=decay)`.",
            DeprecationWarning,
            stacklevel=4,
        )
        rate = _check("decay", decay, *_NON_NEGATIVE)
        learning_rate = schedules.InverseTimeDecay(_check("learning_rate", learning_rate, *_POSITIVE), 1, rate)
    kwargs.pop("jit_compile", None)  # jeras always compiles its training steps.
    for key, default in _KERAS_ONLY_DEFAULTS.items():
        value = kwargs.pop(key, default)
        if value != default:
            raise ValueError(f"jeras optimizers do not support `{key}`. Received: {key}={value!r}")
    if kwargs:
        raise TypeError(f"Unrecognized optimizer argument(s): {sorted(kwargs)}. Received: {kwargs!r}")
    return learning_rate


class OptimizerValue(float):
    """A numeric optimizer setting as read from the optimizer (`optimizer.learning_rate`, `.momentum`).

    It is a float, and it remembers which optimizer setting it came from, so the tf.keras 2.x
    idioms that treat the setting as a variable work: `keras.backend.set_value(optimizer.learning_rate,
    0.01)`, `optimizer.learning_rate.assign(0.01)`, `keras.backend.get_value(optimizer.lr)` and
    `optimizer.lr.numpy()`. Copies and pickles are plain floats.
    """

    def __new__(cls, value: float, owner: Any, name: str):
        obj = super().__new__(cls, value)
        obj._owner = owner
        obj._name = name
        return obj

    def assign(self, value: Any) -> None:
        """Sets the optimizer setting this value was read from (as `tf.Variable.assign`)."""
        setattr(self._owner, self._name, float(np.asarray(value)))

    def numpy(self) -> np.float32:
        """The value as a NumPy float32 (what tf.keras' variable returns)."""
        return np.float32(self)

    def __reduce__(self):
        return (float, (float(self),))

    def __copy__(self) -> float:
        return float(self)

    def __deepcopy__(self, memo) -> float:
        return float(self)


class _Setting:
    """A traced numeric hyperparameter of an optimizer: stored as a float, read as an `OptimizerValue`."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __init__(self, name: str | None = None):
        self.name = name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        value = obj.__dict__.get(self.name)
        return OptimizerValue(value, obj, self.name) if isinstance(value, float) else value

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.name] = value


def _with_plain_floats(get_config: Callable) -> Callable:
    """`get_config` returning plain floats where it read `OptimizerValue`s (configs are data)."""

    @functools.wraps(get_config)
    def wrapped(self) -> dict[str, Any]:
        return {k: float(v) if isinstance(v, OptimizerValue) else v for k, v in get_config(self).items()}

    return wrapped


def _clip_each_by_norm(max_norm: float) -> optax.GradientTransformation:
    """Keras' `clipnorm`: rescales each gradient tensor separately to an L2 norm of at most `max_norm`."""
    clip_one = optax.clip_by_global_norm(max_norm)

    def update(updates, state, params=None):
        del params
        return jax.tree.map(lambda g: clip_one.update(g, state)[0], updates), state

    return optax.GradientTransformation(optax.init_empty_state, update)


class Optimizer:
    """Base class of jeras optimizers: Keras' arguments and API over an optax transformation.

    Subclasses implement `_rule(learning_rate)`, the optax transformation of their update rule
    scaled by `-learning_rate`; the base class adds clipping, weight decay and the state
    handling.

    Args:
        learning_rate: a positive float, a `LearningRateSchedule` (evaluated at each step
            inside compiled code), or a callable taking no arguments that returns the rate
            (evaluated on the host whenever the rate is written into the state). Each
            subclass states its default.
        name: the optimizer's name, default the class name (`"Adam"`).
        weight_decay: decoupled weight decay, `w -= learning_rate * weight_decay * w` at each
            step; default None (no decay).
        clipnorm: clip each gradient tensor to this L2 norm, default None.
        clipvalue: clip each gradient element to `[-clipvalue, clipvalue]`, default None.
        global_clipnorm: clip all gradients together to this global L2 norm, default None.
            At most one of `clipnorm`, `clipvalue` and `global_clipnorm` may be set.
        **kwargs: tf.keras 2 arguments `lr` (the learning rate; deprecated) and `decay`
            (`learning_rate / (1 + decay * iterations)`; deprecated), and Keras config keys
            without a jeras counterpart (`use_ema`, ...) when they hold their "off" value.

    Attributes:
        state: the optimizer state pytree, None until `build` or until the training engine
            assigns it.

    Example:

        >>> opt = SGD(learning_rate=0.1, momentum=0.9)
        >>> w = Variable(jnp.ones(2), name="w")
        >>> opt.apply_gradients([(jnp.ones(2), w)])
        >>> w.numpy()
        array([0.9, 0.9], dtype=float32)
    """

    # Numeric settings read through `hyperparameter` in `_rule`: compiled training steps take
    # them as arguments, so optimizers differing only in them share programs.
    traced_hyperparameters: tuple[str, ...] = ("weight_decay",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in cls.traced_hyperparameters:
            if not isinstance(getattr(cls, name, None), _Setting):
                setattr(cls, name, _Setting(name))
        if "get_config" in cls.__dict__:
            cls.get_config = _with_plain_floats(cls.__dict__["get_config"])

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        *,
        name: str | None = None,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        **kwargs: Any,
    ):
        learning_rate = _take_legacy_arguments(learning_rate, kwargs)
        if not callable(learning_rate):
            learning_rate = _check("learning_rate", learning_rate, *_NON_NEGATIVE)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"`name` must be a string. Received: name={name!r}")
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        self.name = type(self).__name__ if name is None else name
        self.weight_decay = _optional("weight_decay", weight_decay, *_NON_NEGATIVE)
        self.clipnorm = _optional("clipnorm", clipnorm, *_POSITIVE)
        self.clipvalue = _optional("clipvalue", clipvalue, *_POSITIVE)
        self.global_clipnorm = _optional("global_clipnorm", global_clipnorm, *_POSITIVE)
        self._learning_rate = learning_rate
        self.state: Any = None
        self._state_owner: tuple[int, ...] | None = None
        self._built_variables: list[Variable] = []

    def _rule(self, learning_rate: jax.Array) -> optax.GradientTransformation:
        """Returns the update rule as an optax transformation whose output is added to the parameters."""
        raise NotImplementedError(f"{type(self).__name__} must implement `_rule(learning_rate)`.")

    @functools.cached_property
    def _transformation(self) -> optax.GradientTransformation:
        def with_clipping_and_decay(learning_rate):
            if self.clipnorm is not None:
                clipping = _clip_each_by_norm(self.clipnorm)
            elif self.global_clipnorm is not None:
                clipping = optax.clip_by_global_norm(self.global_clipnorm)
            elif self.clipvalue is not None:
                clipping = optax.clip(self.clipvalue)
            else:
                clipping = optax.identity()
            # Added after the rule, the decay term never enters momentum buffers, as in Keras.
            decay = (
                optax.add_decayed_weights(-learning_rate * hyperparameter(self, "weight_decay"))
                if self.weight_decay
                else optax.identity()
            )
            return optax.chain(clipping, self._rule(learning_rate), decay)

        # A schedule is evaluated from the state's step count; any other rate is written into the
        # state by `with_current_hyperparams`, so 0.0 here only creates the leaf.
        learning_rate = self._learning_rate if isinstance(self._learning_rate, LearningRateSchedule) else 0.0
        return optax.inject_hyperparams(with_clipping_and_decay)(learning_rate=learning_rate)

    # -- pure API (compiled by the training engine) -------------------------------------------

    def init(self, params: Any) -> Any:
        """Returns the initial state for a pytree of parameters.

        Args:
            params: any pytree of JAX arrays.

        Returns:
            A pytree of JAX arrays holding the moments, the step count and the learning rate.
        """
        return self.with_current_hyperparams(self._transformation.init(params))

    def update(self, grads: Any, state: Any, params: Any) -> tuple[Any, Any]:
        """Applies one step: clipping, the rule scaled by the learning rate, weight decay.

        Pure and jittable; `grads` and `params` share one pytree structure.

        Args:
            grads: the gradients of the loss with respect to `params`.
            state: the state from `init` or from the previous `update`.
            params: the current parameters.

        Returns:
            `(new_params, new_state)`.
        """
        updates, new_state = self._transformation.update(grads, state, params)
        return optax.apply_updates(params, updates), new_state

    def with_current_hyperparams(self, state: Any) -> Any:
        """Returns `state` with the host-side learning rate written into it.

        The written leaf keeps its shape and dtype, so a compiled function that takes the
        state is not traced again. With a schedule, the state already computes the rate and is
        returned unchanged.
        """
        if isinstance(self._learning_rate, LearningRateSchedule):
            return state
        return self.with_learning_rate(state, self.learning_rate)

    def with_learning_rate(self, state: Any, rate: Any) -> Any:
        """Returns `state` with `rate` (a number or a traced scalar) as its learning rate.

        Pure, so a compiled fit can change the rate between epochs (ReduceLROnPlateau on the
        device). With a schedule, the state computes the rate itself and is returned unchanged.
        """
        if isinstance(self._learning_rate, LearningRateSchedule):
            return state
        current = state.hyperparams["learning_rate"]
        rate = jnp.broadcast_to(jnp.asarray(rate, current.dtype), current.shape)
        return state._replace(hyperparams={**state.hyperparams, "learning_rate": rate})

    def state_belongs_to(self, variables: Sequence[Variable]) -> bool:
        """Whether the current state was made for exactly these variables (in this order)."""
        return self.state is not None and self._state_owner == tuple(id(v) for v in variables)

    def adopt_state(self, state: Any, variables: Sequence[Variable]) -> None:
        """Makes `state` the optimizer's state for `variables` (the training engine's sync point)."""
        self.state = state
        self._state_owner = tuple(id(v) for v in variables)

    # -- Keras properties ---------------------------------------------------------------------

    @property
    def iterations(self) -> int:
        """The number of updates applied so far (0 before the state exists)."""
        return 0 if self.state is None else int(self.state.count)

    @property
    def learning_rate(self) -> float:
        """The learning rate of the next update; for a schedule, its value at `iterations`.

        Setting it takes a number >= 0 (0 pauses training, as a scheduler callback may ask);
        an optimizer built with a schedule raises `TypeError`. The value read is an
        `OptimizerValue`, so `keras.backend.set_value(optimizer.learning_rate, rate)` sets it too.
        """
        if isinstance(self._learning_rate, LearningRateSchedule):
            return float(self._learning_rate(self.iterations))
        if callable(self._learning_rate):
            return _check("learning_rate", self._learning_rate(), *_NON_NEGATIVE)
        return OptimizerValue(self._learning_rate, self, "learning_rate")

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        if isinstance(self._learning_rate, LearningRateSchedule):
            raise TypeError(
                f"This optimizer was created with a learning rate schedule ({type(self._learning_rate).__name__}), "
                f"so its learning rate cannot be set. Received: learning_rate={value!r}"
            )
        self._learning_rate = _check("learning_rate", value, *_NON_NEGATIVE)

    @property
    def lr(self) -> float:
        """tf.keras 2 alias of `learning_rate`."""
        return self.learning_rate

    @lr.setter
    def lr(self, value: float) -> None:
        self.learning_rate = value

    # -- eager Keras API on Variables ---------------------------------------------------------

    @property
    def built(self) -> bool:
        """Whether the state exists."""
        return self.state is not None

    def build(self, variables: Sequence[Variable]) -> None:
        """Creates the state for `variables`; does nothing if already built for the same variables.

        Args:
            variables: the trainable `Variable`s this optimizer will update.
        """
        variables = list(variables)
        same = len(variables) == len(self._built_variables) and all(
            a is b for a, b in zip(variables, self._built_variables)
        )
        if self.built and same:
            return
        self._built_variables = variables
        self.adopt_state(self.init([v.value for v in variables]), variables)

    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Variable] | None = None) -> None:
        """Updates variables in place with one step; builds the state on first use.

        Args:
            grads: one gradient per variable.
            trainable_variables: the variables, default the ones the optimizer was built with.
                Every call must pass the same set of variables (in any order).
        """
        context = current_step_context()
        if context is not None and context.optimizer is self:
            self._apply_in_step(context, list(grads), trainable_variables)
            return
        variables = self._built_variables if trainable_variables is None else list(trainable_variables)
        grads = list(grads)
        if len(grads) != len(variables) or not variables:
            raise ValueError(
                f"Expected one gradient per variable. Received: {len(grads)} gradients for {len(variables)} variables"
            )
        missing = [v.path for g, v in zip(grads, variables) if g is None]
        if missing:
            raise ValueError(f"Gradients are missing for some variables. Received: None gradients for {missing}")
        if not self._built_variables:
            self.build(variables)
        position = {id(v): i for i, v in enumerate(self._built_variables)}
        if sorted(position.get(id(v), -1) for v in variables) != list(range(len(position))):
            raise ValueError(
                f"Optimizer '{self.name}' was built for {len(position)} other variables; it must be given "
                f"gradients for exactly those. Received: variables={[v.path for v in variables]}"
            )
        ordered = [None] * len(variables)
        for g, v in zip(grads, variables):
            ordered[position[id(v)]] = jnp.asarray(g, v.dtype)
        params = [v.value for v in self._built_variables]
        new_params, self.state = self._compiled_update(ordered, self.with_current_hyperparams(self.state), params)
        for v, p in zip(self._built_variables, new_params):
            v.assign(p if v.constraint is None else v.constraint(p))

    def _apply_in_step(self, context, grads: list, variables) -> None:
        """`apply` inside a model's own `train_step`: a pure update of the step's optimizer state,
        whose new weights go into the step's variable scope (`jeras.training.train_step`)."""
        owned = context.fns.trainable_vars
        variables = owned if variables is None else list(variables)
        position = {id(v): i for i, v in enumerate(owned)}
        if len(grads) != len(variables) or sorted(position.get(id(v), -1) for v in variables) != list(
            range(len(owned))
        ):
            raise ValueError(
                "Inside train_step, apply_gradients needs one gradient for each of model.trainable_variables: "
                f"zip(grads, self.trainable_variables). Received: {len(grads)} gradients for {len(variables)} variables"
            )
        ordered = [None] * len(owned)
        for g, v in zip(grads, variables):
            if g is None:
                raise ValueError(f"Gradients are missing for some variables. Received: None gradient for {v.path}")
            ordered[position[id(v)]] = jnp.asarray(g, v.dtype)
        new_params, context.opt_state = self.update(ordered, context.opt_state, [v.value for v in owned])
        for v, p in zip(owned, new_params):
            v.assign(p if v.constraint is None else v.constraint(p))

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Variable]]) -> None:
        """Updates each variable with its gradient, as `keras.optimizers.Optimizer.apply_gradients`.

        Args:
            grads_and_vars: `(gradient, variable)` pairs, e.g. `zip(grads, model.trainable_variables)`.
        """
        pairs = list(grads_and_vars)
        self.apply([g for g, _ in pairs], [v for _, v in pairs])

    @functools.cached_property
    def _compiled_update(self) -> Callable[[Any, Any, Any], tuple[Any, Any]]:
        return jax.jit(self.update)

    # -- state as a list of arrays (for saving) -----------------------------------------------

    @property
    def variables(self) -> list[jax.Array]:
        """The state's leaves (step counts, learning rate, moments); empty before the state exists."""
        return [] if self.state is None else jax.tree.leaves(self.state)

    def get_weights(self) -> list[np.ndarray]:
        """Returns the state's leaves as NumPy arrays."""
        return [np.asarray(leaf) for leaf in self.variables]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Replaces the state's leaves with `weights`, in the order `get_weights` returns them.

        Raises:
            ValueError: before the state exists, or when the count or a shape differs.
        """
        if self.state is None:
            raise ValueError(
                f"Optimizer '{self.name}' has no state yet: call `build(variables)` before `set_weights`. "
                f"Received: {len(weights)} weights"
            )
        leaves, treedef = jax.tree.flatten(self.state)
        if len(weights) != len(leaves):
            raise ValueError(f"Expected {len(leaves)} weights. Received: {len(weights)} weights")
        new_leaves = []
        for i, (old, new) in enumerate(zip(leaves, weights)):
            new = np.asarray(new)
            if new.shape != old.shape:
                raise ValueError(f"Expected weight {i} of shape {old.shape}. Received: shape={new.shape}")
            new_leaves.append(jnp.asarray(new, old.dtype))
        self.state = jax.tree.unflatten(treedef, new_leaves)

    # -- configuration ------------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments as a JSON-ready dict.

        A schedule is stored as its `{"class_name", "config"}` dict; a callable learning rate
        is stored as its current value.
        """
        if isinstance(self._learning_rate, LearningRateSchedule):
            learning_rate: Any = schedules.serialize(self._learning_rate)
        else:
            learning_rate = float(self.learning_rate)
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
        }

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Optimizer:
        """Rebuilds an optimizer (without its state) from `get_config()`'s output."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), Mapping):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"])
        return cls(**config)


class SGD(Optimizer):
    """Gradient descent, with optional (Nesterov) momentum.

    Keras folds the learning rate into the velocity (`v = momentum * v - lr * g; w += v`),
    so the rate is applied before `optax.trace`; `optax.sgd` applies it after, which differs
    as soon as the rate changes between steps.

    Args:
        learning_rate: float, schedule or callable; default 0.01.
        momentum: the velocity's decay, in [0, 1]; default 0.0 (plain gradient descent).
        nesterov: use Nesterov momentum; default False.
        **kwargs: `name`, `weight_decay`, `clipnorm`, `clipvalue`, `global_clipnorm`
            (see `Optimizer`).
    """

    def __init__(self, learning_rate: LearningRate = 0.01, momentum: float = 0.0, nesterov: bool = False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.momentum = _check("momentum", momentum, *_FRACTION)
        self.nesterov = bool(nesterov)

    traced_hyperparameters = ("weight_decay", "momentum")

    def _rule(self, learning_rate: jax.Array) -> optax.GradientTransformation:
        if self.momentum == 0:
            return optax.scale_by_learning_rate(learning_rate)
        momentum = hyperparameter(self, "momentum")
        return optax.chain(optax.scale_by_learning_rate(learning_rate), optax.trace(momentum, self.nesterov))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


def _keras_adam(learning_rate: jax.Array, beta_1: float, beta_2: float, epsilon: float, amsgrad: bool):
    """Adam in Keras' form, built from optax's.

    Keras divides by `sqrt(v) + epsilon` with `v` left uncorrected and puts the correction
    `sqrt(1 - beta_2**t)` in the step size (the "epsilon hat" form of Kingma & Ba, Sec. 2).
    optax corrects `v` first; the two agree when optax's epsilon at step `t` is
    `epsilon / sqrt(1 - beta_2**t)`. For AMSGrad, Keras takes the maximum of the uncorrected
    `v`, which is optax's `bias_correction_nu=False` followed by the same step-size correction.
    """

    def correction(count):  # `count` updates done before step t = count + 1.
        return jnp.sqrt(1.0 - beta_2 ** (count + 1))

    if amsgrad:
        return optax.chain(
            optax.amsgrad(learning_rate, beta_1, beta_2, epsilon, bias_correction_nu=False),
            optax.scale_by_schedule(correction),
        )
    adam_with_eps = optax.inject_hyperparams(lambda eps: optax.adam(learning_rate, beta_1, beta_2, eps))
    return adam_with_eps(eps=lambda count: epsilon / correction(count))


class Adam(Optimizer):
    """Adam: steps scaled by running estimates of the gradient's first and second moments.

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        beta_1: decay of the first-moment estimate, in [0, 1); default 0.9.
        beta_2: decay of the second-moment estimate, in [0, 1); default 0.999.
        epsilon: stability constant ("epsilon hat" of Kingma & Ba, as in Keras); default 1e-7.
        amsgrad: use the AMSGrad variant (the running maximum of the second moment);
            default False.
        **kwargs: `name`, `weight_decay`, `clipnorm`, `clipvalue`, `global_clipnorm`
            (see `Optimizer`).
    """

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs,
    ):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = _check("beta_1", beta_1, *_DECAY_RATE)
        self.beta_2 = _check("beta_2", beta_2, *_DECAY_RATE)
        self.epsilon = _check("epsilon", epsilon, *_NON_NEGATIVE)
        self.amsgrad = bool(amsgrad)

    traced_hyperparameters = ("weight_decay", "beta_1", "beta_2", "epsilon")

    def _rule(self, learning_rate: jax.Array) -> optax.GradientTransformation:
        b1, b2, eps = (hyperparameter(self, name) for name in ("beta_1", "beta_2", "epsilon"))
        return _keras_adam(learning_rate, b1, b2, eps, self.amsgrad)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): `w -= lr * weight_decay * w` each step.

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        weight_decay: the decay factor, >= 0; default 0.004.
        beta_1: decay of the first-moment estimate; default 0.9.
        beta_2: decay of the second-moment estimate; default 0.999.
        epsilon: stability constant; default 1e-7.
        amsgrad: use the AMSGrad variant; default False.
        **kwargs: `name`, `clipnorm`, `clipvalue`, `global_clipnorm` (see `Optimizer`).
    """

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs,
    ):
        weight_decay = _check("weight_decay", weight_decay, *_NON_NEGATIVE)
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay=weight_decay, **kwargs)


class RMSprop(Optimizer):
    """RMSprop: steps divided by a running root mean square of the gradients.

    `optax.rmsprop` with epsilon inside the square root and the rate applied before the
    momentum trace is exactly Keras' rule.

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        rho: decay of the mean square, in [0, 1); default 0.9.
        momentum: momentum on the scaled steps, in [0, 1]; default 0.0 (none).
        epsilon: stability constant added under the square root; default 1e-7.
        centered: divide by an estimate of the gradient's variance instead of its mean
            square; default False.
        **kwargs: `name`, `weight_decay`, `clipnorm`, `clipvalue`, `global_clipnorm`
            (see `Optimizer`).
    """

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        **kwargs,
    ):
        super().__init__(learning_rate, **kwargs)
        self.rho = _check("rho", rho, *_DECAY_RATE)
        self.momentum = _check("momentum", momentum, *_FRACTION)
        self.epsilon = _check("epsilon", epsilon, *_NON_NEGATIVE)
        self.centered = bool(centered)

    traced_hyperparameters = ("weight_decay", "rho", "momentum", "epsilon")

    def _rule(self, learning_rate: jax.Array) -> optax.GradientTransformation:
        return optax.rmsprop(
            learning_rate,
            decay=hyperparameter(self, "rho"),
            eps=hyperparameter(self, "epsilon"),
            eps_in_sqrt=True,
            centered=self.centered,
            momentum=hyperparameter(self, "momentum") if self.momentum else None,
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }


class Adagrad(Optimizer):
    """Adagrad: steps divided by the root of the sum of all squared gradients so far.

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        initial_accumulator_value: starting value of the sums, >= 0; default 0.1.
        epsilon: stability constant added under the square root; default 1e-7.
        **kwargs: `name`, `weight_decay`, `clipnorm`, `clipvalue`, `global_clipnorm`
            (see `Optimizer`).
    """

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        **kwargs,
    ):
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value = _check("initial_accumulator_value", initial_accumulator_value, *_NON_NEGATIVE)
        self.epsilon = _check("epsilon", epsilon, *_NON_NEGATIVE)

    traced_hyperparameters = ("weight_decay", "initial_accumulator_value", "epsilon")

    def _rule(self, learning_rate: jax.Array) -> optax.GradientTransformation:
        # The accumulator's start value is used by `init` only, on the host.
        return optax.adagrad(learning_rate, self.initial_accumulator_value, hyperparameter(self, "epsilon"))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }


class Adadelta(Optimizer):
    """Adadelta: steps scaled by the ratio of running RMS of past updates to that of gradients.

    Args:
        learning_rate: float, schedule or callable; default 0.001 (Keras' default; the
            paper's method corresponds to 1.0).
        rho: decay of both running averages, in [0, 1); default 0.95.
        epsilon: stability constant; default 1e-7.
        **kwargs: `name`, `weight_decay`, `clipnorm`, `clipvalue`, `global_clipnorm`
            (see `Optimizer`).
    """

    def __init__(self, learning_rate: LearningRate = 0.001, rho: float = 0.95, epsilon: float = 1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho = _check("rho", rho, *_DECAY_RATE)
        self.epsilon = _check("epsilon", epsilon, *_NON_NEGATIVE)

    traced_hyperparameters = ("weight_decay", "rho", "epsilon")

    def _rule(self, learning_rate: jax.Array) -> optax.GradientTransformation:
        return optax.adadelta(learning_rate, hyperparameter(self, "rho"), hyperparameter(self, "epsilon"))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm in place of the second moment.

    Residual difference from Keras: Keras keeps `u = max(beta_2 * u, |g|)` and divides by
    `u + epsilon`; optax keeps `u = max(beta_2 * u, |g| + epsilon)` and divides by `u`. When
    the decayed term wins, the denominators differ by `(1 - beta_2) * epsilon` (1e-10 with the
    defaults), a relative difference below 1e-6 unless gradients are smaller than about 1e-4.
    optax offers no option to move epsilon, and dropping it would divide by zero.

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        beta_1: decay of the first-moment estimate, in [0, 1); default 0.9.
        beta_2: decay of the infinity norm, in [0, 1); default 0.999.
        epsilon: stability constant; default 1e-7.
        **kwargs: `name`, `weight_decay`, `clipnorm`, `clipvalue`, `global_clipnorm`
            (see `Optimizer`).
    """

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        **kwargs,
    ):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = _check("beta_1", beta_1, *_DECAY_RATE)
        self.beta_2 = _check("beta_2", beta_2, *_DECAY_RATE)
        self.epsilon = _check("epsilon", epsilon, *_NON_NEGATIVE)

    traced_hyperparameters = ("weight_decay", "beta_1", "beta_2", "epsilon")

    def _rule(self, learning_rate: jax.Array) -> optax.GradientTransformation:
        b1, b2, eps = (hyperparameter(self, name) for name in ("beta_1", "beta_2", "epsilon"))
        return optax.adamax(learning_rate, b1, b2, eps)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class _KerasNadamState(NamedTuple):
    count: jax.Array  # int32 scalar: updates done
    mu: optax.Updates
    nu: optax.Updates
    momentum_product: jax.Array  # product of the momentum schedule's values so far


def _scale_by_keras_nadam(beta_1: float, beta_2: float, epsilon: float) -> optax.GradientTransformation:
    """Nadam as Keras (and Dozat, 2016) define it, on optax's moment helpers.

    Keras' Nadam uses the momentum schedule `m_t = beta_1 * (1 - 0.5 * 0.96**t)` in the
    Nesterov look-ahead and its bias correction; `optax.nadam` keeps `m_t = beta_1` (at step 1
    that is 0.9 against Keras' 0.468), and optax has no option for the schedule, so this
    transformation supplies it.
    """

    def schedule(step):
        return beta_1 * (1.0 - 0.5 * 0.96**step)

    def init(params):
        dtype = optax.tree.dtype(params, "highest")
        return _KerasNadamState(
            count=jnp.zeros([], jnp.int32),
            mu=optax.tree.zeros_like(params),
            nu=optax.tree.zeros_like(params),
            momentum_product=jnp.ones([], dtype),
        )

    def update(updates, state, params=None):
        del params
        count = optax.safe_increment(state.count)
        dtype = state.momentum_product.dtype
        step = count.astype(dtype)
        momentum, next_momentum = schedule(step), schedule(step + 1)
        product = state.momentum_product * momentum
        next_product = product * next_momentum
        # As in Keras, `1 - beta` is rounded from the same low-precision beta in the moment and
        # in its bias correction, so the rounding cancels (1 - 0.999 loses 5 digits in float32).
        b1, b2 = jnp.asarray(beta_1, dtype), jnp.asarray(beta_2, dtype)
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        nu = optax.tree.update_moment_per_elem_norm(updates, state.nu, b2, 2)
        nu_hat = optax.tree.bias_correction(nu, b2, count)

        def direction(m, g, v):
            m_hat = next_momentum * m / (1.0 - next_product) + (1.0 - momentum) * g / (1.0 - product)
            return m_hat / (jnp.sqrt(v) + epsilon)

        new_updates = jax.tree.map(direction, mu, updates, nu_hat)
        return new_updates, _KerasNadamState(count=count, mu=mu, nu=nu, momentum_product=product)

    return optax.GradientTransformation(init, update)


class Nadam(Optimizer):
    """Nadam: Adam with Nesterov momentum, following Keras' momentum schedule.

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        beta_1: decay of the first-moment estimate, in [0, 1); default 0.9.
        beta_2: decay of the second-moment estimate, in [0, 1); default 0.999.
        epsilon: stability constant; default 1e-7.
        **kwargs: `name`, `weight_decay`, `clipnorm`, `clipvalue`, `global_clipnorm`
            (see `Optimizer`).
    """

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        **kwargs,
    ):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = _check("beta_1", beta_1, *_DECAY_RATE)
        self.beta_2 = _check("beta_2", beta_2, *_DECAY_RATE)
        self.epsilon = _check("epsilon", epsilon, *_NON_NEGATIVE)

    traced_hyperparameters = ("weight_decay", "beta_1", "beta_2", "epsilon")

    def _rule(self, learning_rate: jax.Array) -> optax.GradientTransformation:
        b1, b2, eps = (hyperparameter(self, name) for name in ("beta_1", "beta_2", "epsilon"))
        return optax.chain(
            _scale_by_keras_nadam(b1, b2, eps),
            optax.scale_by_learning_rate(learning_rate),
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class Lion(Optimizer):
    """Lion (Chen et al., 2023): steps of the sign of an interpolated momentum.

    Each weight moves by `learning_rate * sign(beta_1 * m + (1 - beta_1) * g)`, then the momentum
    becomes `m = beta_2 * m + (1 - beta_2) * g` (`optax.lion`, with jeras' own weight decay). As
    every step has the size of the learning rate, Lion wants a rate 3-10 times smaller than Adam's.

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        beta_1: the interpolation factor of the update, in [0, 1]; default 0.9.
        beta_2: decay of the momentum, in [0, 1]; default 0.99.
        **kwargs: `name`, `weight_decay`, `clipnorm`, `clipvalue`, `global_clipnorm`
            (see `Optimizer`).
    """

    def __init__(self, learning_rate: LearningRate = 0.001, beta_1: float = 0.9, beta_2: float = 0.99, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = _check("beta_1", beta_1, *_FRACTION)
        self.beta_2 = _check("beta_2", beta_2, *_FRACTION)

    traced_hyperparameters = ("weight_decay", "beta_1", "beta_2")

    def _rule(self, learning_rate: jax.Array) -> optax.GradientTransformation:
        b1, b2 = (hyperparameter(self, name) for name in ("beta_1", "beta_2"))
        # optax.lion decays weights by 1e-3 by default; the base class applies `weight_decay`.
        return optax.lion(learning_rate, b1, b2, weight_decay=0.0)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}


_CLASSES = (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Lion)
_REGISTRY = registry_of(*_CLASSES, aliases={cls.__name__.lower(): cls for cls in _CLASSES})


def get(identifier: Any) -> Optimizer:
    """Returns the optimizer an identifier names.

    Args:
        identifier: an `Optimizer` (returned as is), a name (`"adam"`, `"RMSprop"`; case
            does not matter; built with its defaults), or a `{"class_name", "config"}` dict.

    Returns:
        An `Optimizer`.

    Raises:
        ValueError: for an unknown name.
        TypeError: for any other kind of identifier.
    """
    if isinstance(identifier, Optimizer):
        return identifier
    return resolve(identifier, _REGISTRY, kind="optimizer", argument="optimizer", allow_callable=False)


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """Returns `{"class_name": ..., "config": ...}` for an optimizer."""
    return _serialize(optimizer)


def deserialize(config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None) -> Optimizer:
    """Rebuilds an optimizer from `serialize`'s output; `custom_objects` (default None) adds classes."""
    with custom_object_scope(custom_objects):
        return get(config)


__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Lion",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "deserialize",
    "get",
    "schedules",
    "serialize",
]
