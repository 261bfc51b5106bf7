"""What `compile(loss=..., metrics=..., loss_weights=...)` asks for, as pure functions.

`Objectives` resolves the user's settings against the model's outputs once, then provides
pure functions used inside the compiled steps: the weighted total loss, the update of the
metric states, and the logs (`{"loss": ..., "accuracy": ...}`) computed from those states.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras import losses as losses_mod
from jeras import metrics as metrics_mod


def _per_output(value: Any, names: list[str], *, argument: str, allow_single: bool = True) -> list[Any]:
    """Spreads a compile argument (single value, list, or dict keyed by output name) over the outputs."""
    n = len(names)
    if isinstance(value, Mapping):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise ValueError(
                f"{argument} has keys that name no model output: {unknown}. Output names: {names}. Received: {argument}={dict(value)!r}"
            )
        return [value.get(name) for name in names]
    if isinstance(value, (list, tuple)) and not (argument == "metrics" and n == 1):
        if len(value) != n:
            raise ValueError(
                f"{argument} has {len(value)} entries but the model has {n} output(s) {names}. "
                f"Pass one entry per output, or a dict keyed by output name. Received: {argument}={value!r}"
            )
        return list(value)
    if allow_single:
        return [value] * n
    raise ValueError(
        f"{argument} must be a list or dict with one entry per output {names}. Received: {argument}={value!r}"
    )


class Objectives:
    """Resolved losses, loss weights and metrics of a compiled model.

    Args:
        loss: the `compile` loss argument.
        metrics: the `compile` metrics argument.
        loss_weights: the `compile` loss_weights argument.
        weighted_metrics: the `compile` weighted_metrics argument.
    """

    def __init__(self, loss: Any, metrics: Any, loss_weights: Any, weighted_metrics: Any):
        self.loss_arg = loss
        self.metrics_arg = metrics
        self.loss_weights_arg = loss_weights
        self.weighted_metrics_arg = weighted_metrics
        self.built = False
        # Metrics the model's layers report with `add_metric`, logged after the compiled ones.
        self.layer_metric_names: list[str] = []
        if loss is not None and not isinstance(loss, (Mapping, list, tuple)):
            losses_mod.to_loss_object(loss)  # fail fast on unknown names, before any data

    def check_outputs(self, output_names: list[str]) -> None:
        """Checks list/dict arguments against the outputs at compile time, before any data."""
        _per_output(self.loss_arg, output_names, argument="loss")
        if self.loss_weights_arg is not None:
            _per_output(self.loss_weights_arg, output_names, argument="loss_weights")
        for argument, value in (("metrics", self.metrics_arg), ("weighted_metrics", self.weighted_metrics_arg)):
            if isinstance(value, Mapping):
                _per_output(value, output_names, argument=argument)

    def build(self, output_names: list[str], y_true_shapes: list[tuple], y_pred_shapes: list[tuple]) -> None:
        """Resolves everything against the outputs' names and shapes (once, at the first fit/evaluate)."""
        if self.built:
            return
        self.output_names = list(output_names)
        n = len(output_names)
        if self.loss_arg is None:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`. Received: loss=None")
        self.losses = [
            None if item is None else losses_mod.to_loss_object(item)
            for item in _per_output(self.loss_arg, output_names, argument="loss")
        ]
        weights = self.loss_weights_arg
        if weights is None:
            weights = [1.0] * n
        self.loss_weights = [
            1.0 if w is None else float(w) for w in _per_output(weights, output_names, argument="loss_weights")
        ]
        self.metrics = self._resolve_metrics(self.metrics_arg, y_true_shapes, y_pred_shapes, "metrics")
        self.weighted_metrics = self._resolve_metrics(
            self.weighted_metrics_arg, y_true_shapes, y_pred_shapes, "weighted_metrics"
        )
        self.multi = n > 1
        self.built = True

    def _resolve_metrics(self, arg, y_true_shapes, y_pred_shapes, argument) -> list[list[Any]]:
        if arg is None:
            return [[] for _ in self.output_names]
        if isinstance(arg, Mapping):
            per = _per_output(arg, self.output_names, argument=argument)
        elif (
            isinstance(arg, (list, tuple))
            and len(self.output_names) > 1
            and any(isinstance(m, (list, tuple)) for m in arg)
        ):
            per = _per_output(list(arg), self.output_names, argument=argument)
        else:
            per = [arg] * len(self.output_names)
        out = []
        for items, t_shape, p_shape in zip(per, y_true_shapes, y_pred_shapes):
            if items is None:
                items = []
            if not isinstance(items, (list, tuple)):
                items = [items]
            out.append(
                [metrics_mod.resolve_compile_metric(m, y_true_shape=t_shape, y_pred_shape=p_shape) for m in items]
            )
        return out

    # ------------------------------------------------------------------ names
    def _metric_entries(self) -> list[tuple[str, Any, bool, int]]:
        entries = []
        for weighted, groups in ((False, self.metrics), (True, self.weighted_metrics)):
            for i, group in enumerate(groups):
                for metric in group:
                    name = metric.name
                    if weighted and any(m.name == metric.name for m in self.metrics[i]):
                        name = f"weighted_{name}"
                    if self.multi:
                        name = f"{self.output_names[i]}_{name}"
                    entries.append((name, metric, weighted, i))
        return entries

    def set_layer_metrics(self, names: list[str]) -> None:
        """Names the metrics the model's layers report with `add_metric` (found when the engine is built)."""
        self.layer_metric_names = list(names)

    @property
    def metric_names(self) -> list[str]:
        names = ["loss"]
        if self.multi:
            names += [f"{name}_loss" for name, loss in zip(self.output_names, self.losses) if loss is not None]
        return names + [name for name, _, _, _ in self._metric_entries()] + self.layer_metric_names

    # ------------------------------------------------------------------ pure functions
    def init_state(self) -> tuple:
        trackers = [(jnp.zeros((), jnp.float32), jnp.zeros((), jnp.float32)) for _ in range(self._n_trackers())]
        reported = [(jnp.zeros((), jnp.float32), jnp.zeros((), jnp.float32)) for _ in self.layer_metric_names]
        return (trackers, [metric.init_state() for _, metric, _, _ in self._metric_entries()], reported)

    def _n_trackers(self) -> int:
        return 1 + (sum(loss is not None for loss in self.losses) if self.multi else 0)

    def compute_loss(
        self, ys: list, preds: list, sample_weight, mask, regularization
    ) -> tuple[jax.Array, list[jax.Array]]:
        """The weighted total loss of a batch and the per-output losses.

        Losses follow tf.keras' "sum over batch size" rule: the sum of sample-weighted
        per-sample losses divided by the number of (unmasked) samples.
        """
        per_output = []
        total = jnp.zeros((), jnp.float32)
        for loss, weight, y, p in zip(self.losses, self.loss_weights, ys, preds):
            if loss is None:
                continue
            values = loss.call(y, _float32(p)).astype(jnp.float32)
            w = _row_weights(sample_weight, mask, values)
            denominator = _row_count(mask, values) * float(np.prod(values.shape[1:]))
            # A batch of padding only (the last chunk of an evaluation) has no rows: its loss is 0.
            value = jnp.sum(values * w) / jnp.maximum(denominator, 1e-30)
            per_output.append(value)
            total = total + weight * value
        for penalty in regularization:
            total = total + penalty
        return total, per_output

    def update_state(self, state, total, per_output, ys, preds, sample_weight, mask, reported=None) -> tuple:
        """The metric state after one batch: the loss trackers, the compiled metrics, and the
        values `reported` by the layers' `add_metric` (name -> list of arrays)."""
        state = self.update_losses(state, total, per_output, preds[0], mask)
        state = self.update_metrics(state, ys, preds, sample_weight, mask)
        return self.update_reported(state, reported or {}, preds[0], mask)

    def update_losses(self, state, total, per_output, like, mask) -> tuple:
        """Adds one batch's total (and per-output) loss to the running means, weighted by its rows."""
        trackers, metric_states, reported = state
        count = _row_count(mask, like)
        values = [total] + (per_output if self.multi else [])
        trackers = [(t + v * count, c + count) for (t, c), v in zip(trackers, values)]
        return (trackers, metric_states, reported)

    def update_metrics(self, state, ys, preds, sample_weight, mask) -> tuple:
        """Updates the compiled metrics with one batch."""
        trackers, metric_states, reported = state
        new_states = []
        for (_, metric, weighted, i), s in zip(self._metric_entries(), metric_states):
            sw = mask
            if weighted and sample_weight is not None:
                sw = sample_weight if mask is None else sample_weight * mask
            new_states.append(metric.update(s, ys[i], _float32(preds[i]), sw))
        return (trackers, new_states, reported)

    def update_reported(self, state, values: dict, like, mask) -> tuple:
        """Adds the `add_metric` values of one batch to their running means (each value counts
        its elements; rows of padding count for nothing)."""
        trackers, metric_states, reported = state
        unknown = [name for name in values if name not in self.layer_metric_names]
        if unknown:
            raise ValueError(
                f"add_metric names {unknown} were not seen when the model was prepared for training. "
                f"Known: {self.layer_metric_names}. Received: add_metric(..., name={unknown[0]!r})"
            )
        rows = like.shape[0]
        new = []
        for name, (t, c) in zip(self.layer_metric_names, reported):
            for value in values.get(name, []):
                value = jnp.asarray(value, jnp.float32)
                if mask is None:
                    weight = jnp.ones_like(value)
                elif value.ndim and value.shape[0] == rows:
                    weight = jnp.broadcast_to(mask.reshape((rows,) + (1,) * (value.ndim - 1)), value.shape)
                else:
                    weight = jnp.broadcast_to((jnp.sum(mask) > 0).astype(jnp.float32), value.shape)
                t, c = t + jnp.sum(value * weight), c + jnp.sum(weight)
            new.append((t, c))
        return (trackers, metric_states, new)

    def results(self, state) -> list[jax.Array]:
        """The current value of each log, in the order of `metric_names` (a list, so pytree
        flattening keeps that order; `named` turns it into the logs dict on the host)."""
        trackers, metric_states, reported = state
        values = [jnp.where(c > 0, t / jnp.maximum(c, 1e-30), 0.0) for t, c in trackers]
        values += [metric.compute(s) for (_, metric, _, _), s in zip(self._metric_entries(), metric_states)]
        values += [jnp.where(c > 0, t / jnp.maximum(c, 1e-30), 0.0) for t, c in reported]
        return values

    def named(self, values) -> dict[str, float]:
        """Host-side logs dict from `results` values (floats)."""
        return {name: float(v) for name, v in zip(self.metric_names, values)}


def _row_weights(sample_weight, mask, values):
    w = jnp.ones((values.shape[0],), jnp.float32)
    if sample_weight is not None:
        w = w * sample_weight
    if mask is not None:
        w = w * mask
    return w.reshape((values.shape[0],) + (1,) * (values.ndim - 1))


def _row_count(mask, like):
    if mask is None:
        return jnp.asarray(like.shape[0], jnp.float32)
    return jnp.sum(mask)


def standardize_targets(
    ys: Sequence[np.ndarray], pred_shapes: Sequence[tuple], losses: Sequence[Any]
) -> list[np.ndarray]:
    """Gives targets the rank the losses expect, as tf.keras does (`(n,)` targets for `(n, 1)` outputs)."""
    out = []
    for y, p_shape, loss in zip(ys, pred_shapes, losses):
        sparse = loss is not None and "sparse" in type(loss).__name__.lower() + getattr(loss, "name", "")
        if not sparse and y.ndim == len(p_shape) - 1 and p_shape[-1] == 1:
            y = y[..., None]
        out.append(y)
    return out


def _float32(p):
    """Predictions of a mixed-precision model as float32 (losses and metrics compute in float32),
    keeping the logits of a softmax or sigmoid output beside them."""
    if hasattr(p, "dtype") and jnp.issubdtype(p.dtype, jnp.floating) and jnp.finfo(p.dtype).bits < 32:
        from jeras import activations

        return activations.cast_keeping_logits(p, jnp.float32)
    return p
