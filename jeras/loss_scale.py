"""`LossScaleOptimizer`: dynamic loss scaling for float16 training (jeras.mixed_precision).

The training step multiplies the loss by the current scale before differentiating
(`scale_loss`), so that small float16 gradients do not flush to zero; `update` divides the
gradients by the scale again. When any gradient is not finite the step is skipped (weights and
the inner optimizer's state unchanged) and the scale halves; after `dynamic_growth_steps`
finite steps in a row it doubles. This follows tf.keras 2.x's `LossScaleOptimizer` (initial
scale 2**15, growth every 2000 steps). docs/architecture.md, "Mixed precision".
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from jeras import optimizers


class LossScaleState(NamedTuple):
    inner: Any
    scale: jax.Array
    good_steps: jax.Array


class LossScaleOptimizer(optimizers.Optimizer):
    """Wraps an optimizer with dynamic (or fixed) loss scaling.

    Args:
        inner_optimizer: the optimizer that applies the unscaled gradients (an instance or a name).
        dynamic: adapt the scale (default True); False keeps `initial_scale`.
        initial_scale: the first scale, default 2**15.
        dynamic_growth_steps: finite steps in a row after which the scale doubles, default 2000.

    Raises:
        ValueError: a scale that is not positive, or growth steps below 1.
    """

    traced_hyperparameters = ()

    def __init__(
        self,
        inner_optimizer: Any,
        dynamic: bool = True,
        initial_scale: float = 2.0**15,
        dynamic_growth_steps: int = 2000,
        **kwargs: Any,
    ):
        inner = optimizers.get(inner_optimizer)
        if isinstance(inner, LossScaleOptimizer):
            raise ValueError(
                "LossScaleOptimizer cannot wrap another LossScaleOptimizer. Received: a LossScaleOptimizer"
            )
        if not (isinstance(initial_scale, (int, float)) and initial_scale > 0):
            raise ValueError(f"initial_scale must be a positive number. Received: initial_scale={initial_scale!r}")
        if (
            isinstance(dynamic_growth_steps, bool)
            or not isinstance(dynamic_growth_steps, int)
            or dynamic_growth_steps < 1
        ):
            raise ValueError(
                f"dynamic_growth_steps must be an integer >= 1. Received: dynamic_growth_steps={dynamic_growth_steps!r}"
            )
        super().__init__(0.0, name=kwargs.pop("name", "LossScaleOptimizer"))
        self.inner_optimizer = inner
        self.dynamic = bool(dynamic)
        self.initial_scale = float(initial_scale)
        self.dynamic_growth_steps = int(dynamic_growth_steps)

    # The learning rate and its handling belong to the inner optimizer.
    @property
    def _learning_rate(self):
        return self.inner_optimizer._learning_rate

    @_learning_rate.setter
    def _learning_rate(self, value) -> None:
        if "inner_optimizer" in self.__dict__:
            self.inner_optimizer._learning_rate = value

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        self.inner_optimizer.learning_rate = value

    # -- pure API ---------------------------------------------------------------------------
    def init(self, params: Any) -> LossScaleState:
        return LossScaleState(
            self.inner_optimizer.init(params), jnp.asarray(self.initial_scale, jnp.float32), jnp.zeros((), jnp.int32)
        )

    def scale_loss(self, loss: jax.Array, state: LossScaleState) -> jax.Array:
        """The loss the step differentiates: `loss * scale`."""
        return loss * state.scale.astype(loss.dtype)

    def update(self, grads: Any, state: LossScaleState, params: Any) -> tuple[Any, LossScaleState]:
        grads = jax.tree_util.tree_map(lambda g: g / state.scale.astype(g.dtype), grads)
        finite = jnp.all(jnp.asarray([jnp.all(jnp.isfinite(g)) for g in jax.tree_util.tree_leaves(grads)]))
        safe = jax.tree_util.tree_map(lambda g: jnp.where(finite, g, jnp.zeros_like(g)), grads)
        new_params, new_inner = self.inner_optimizer.update(safe, state.inner, params)
        keep = lambda new, old: jnp.where(finite, new, old)  # noqa: E731 - a skipped step changes nothing
        new_params = jax.tree_util.tree_map(keep, new_params, params)
        new_inner = jax.tree_util.tree_map(keep, new_inner, state.inner)
        if not self.dynamic:
            return new_params, state._replace(inner=new_inner)
        good = jnp.where(finite, state.good_steps + 1, 0)
        grow = good >= self.dynamic_growth_steps
        scale = jnp.where(finite, jnp.where(grow, state.scale * 2.0, state.scale), jnp.maximum(state.scale / 2.0, 1.0))
        return new_params, LossScaleState(new_inner, scale, jnp.where(grow, 0, good))

    def with_current_hyperparams(self, state: LossScaleState) -> LossScaleState:
        return state._replace(inner=self.inner_optimizer.with_current_hyperparams(state.inner))

    def with_learning_rate(self, state: LossScaleState, rate: Any) -> LossScaleState:
        return state._replace(inner=self.inner_optimizer.with_learning_rate(state.inner, rate))

    # -- Keras properties -------------------------------------------------------------------
    @property
    def iterations(self) -> int:
        return 0 if self.state is None else int(self.state.inner.count)

    @property
    def loss_scale(self) -> float:
        """The current scale (tf.keras 2.x's `loss_scale`)."""
        return float(self.initial_scale if self.state is None else self.state.scale)

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "inner_optimizer": optimizers.serialize(self.inner_optimizer),
            "dynamic": self.dynamic,
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None) -> LossScaleOptimizer:
        config = dict(config)
        config["inner_optimizer"] = optimizers.deserialize(config["inner_optimizer"])
        return cls(**config)


optimizers._REGISTRY["LossScaleOptimizer"] = LossScaleOptimizer  # so saved models that use it load
