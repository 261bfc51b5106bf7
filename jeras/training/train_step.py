"""A model's own `train_step`, run inside the compiled training step.

tf.keras 2.x tutorials customize `fit` by overriding `Model.train_step(self, data)`, written
with `tf.GradientTape`. A tape records operations as they run eagerly; JAX differentiates
functions instead, so jeras' form of the override puts the forward pass in a function and asks
the model for its value and gradients (docs/architecture.md, "A model's own train_step"):

    class MyModel(keras.Model):
        def train_step(self, data):
            x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)

            def forward():
                y_pred = self(x, training=True)
                return self.compute_loss(x, y, y_pred, sample_weight), y_pred

            (loss, y_pred), grads = self.value_and_gradients(forward)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            return self.compute_metrics(x, y, y_pred, sample_weight)

The method is traced once inside the compiled step, so it is as fast as the built-in one and
the two give the same numbers when it does what the built-in does (`Model.train_step` is that
code). While it is traced, a `StepContext` holds the step's optimizer and metric states:
`optimizer.apply_gradients` updates the step's optimizer state and writes the new weights into
the step's variable scope, `compute_loss` (or tf.keras 2.x's `compiled_loss`) adds to the loss
trackers, and `compute_metrics` (or `compiled_metrics.update_state`) to the compiled metrics.
The returned logs must be results of those metrics (`compute_metrics(...)`,
`{m.name: m.result() for m in self.metrics}`): `fit` logs the running results of the compiled
loss and metrics, and a value that is not one of them raises a ValueError that says so.
"""

from __future__ import annotations

from typing import Any

import jax

from jeras import activations
from jeras.backend import step_context
from jeras.backend.variables import StatelessScope, current_scope


def unpack_x_y_sample_weight(data: Any) -> tuple[Any, Any, Any]:
    """Splits a batch into `(x, y, sample_weight)` (y and sample_weight None when absent), as tf.keras does.

    Args:
        data: `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`.

    Returns:
        The triple `(x, y, sample_weight)`.
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(f"Data must be x, (x,), (x, y) or (x, y, sample_weight). Received: a tuple of length {len(data)}")


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """The batch `x`, `(x, y)` or `(x, y, sample_weight)` (the inverse of `unpack_x_y_sample_weight`)."""
    if y is None:
        return x if not isinstance(x, (tuple, list)) else (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def overrides_train_step(model) -> bool:
    """Whether the model's class defines its own `train_step`."""
    from jeras.models.model import Model

    return getattr(type(model), "train_step", Model.train_step) is not Model.train_step


class StepContext:
    """The step's optimizer and metric states while a model's `train_step` is traced.

    Args:
        fns: the `StepFunctions` of the model.
        opt_state: the optimizer state the step starts from.
        metrics: the metric state the step starts from.
    """

    def __init__(self, fns, opt_state, metrics):
        self.fns = fns
        self.objectives = fns.objectives
        self.optimizer = fns.optimizer
        self.opt_state = opt_state
        self.metrics = metrics
        self._given: set[int] = set()

    def __enter__(self) -> StepContext:
        step_context.push(self)
        return self

    def __exit__(self, *exc) -> None:
        step_context.pop()

    # ------------------------------------------------------------------ loss and metrics
    def _targets(self, y, y_pred) -> tuple[list, list]:
        preds = jax.tree_util.tree_leaves(y_pred)
        ys = list(y) if isinstance(y, (list, tuple)) and len(preds) > 1 else [y]
        if isinstance(y, dict):
            ys = [y[name] for name in self.objectives.output_names]
        if len(ys) != len(preds):
            raise ValueError(
                f"The model has {len(preds)} output(s) but y holds {len(ys)} target(s). Received: y of type {type(y).__name__}"
            )
        return ys, preds

    def compute_loss(self, y, y_pred, sample_weight, penalties: list):
        """The compiled loss of a batch plus `penalties`; adds it to the loss trackers."""
        if y is None:
            raise ValueError("compute_loss needs the targets y of the batch. Received: y=None")
        ys, preds = self._targets(y, y_pred)
        total, per_output = self.objectives.compute_loss(ys, preds, sample_weight, None, list(penalties))
        self.metrics = self.objectives.update_losses(self.metrics, total, per_output, preds[0], None)
        return total

    def update_metrics(self, y, y_pred, sample_weight) -> None:
        """Updates the compiled metrics with a batch."""
        ys, preds = self._targets(y, y_pred)
        self.metrics = self.objectives.update_metrics(self.metrics, ys, preds, sample_weight, None)

    def results(self) -> dict[str, Any]:
        """The current result of every loss tracker and metric, by log name."""
        values = self.objectives.results(self.metrics)
        self._given.update(id(v) for v in values)
        return dict(zip(self.objectives.metric_names, values))

    def _result(self, name: str):
        return self.results()[name]

    def check_logs(self, logs: Any) -> None:
        """Checks that `train_step` returned results of the compiled loss and metrics."""
        if not isinstance(logs, dict):
            raise TypeError(
                "train_step must return a dict of logs, such as self.compute_metrics(x, y, y_pred, sample_weight). "
                f"Received: {type(logs).__name__}"
            )
        names = self.objectives.metric_names
        for name, value in logs.items():
            if name not in names or id(value) not in self._given:
                raise ValueError(
                    f"train_step returned {name!r}, which is not the result of a compiled loss or metric. jeras logs the "
                    "running results of the loss and metrics given to compile() (and layers' add_metric): return "
                    "self.compute_metrics(x, y, y_pred, sample_weight) or {m.name: m.result() for m in self.metrics}. "
                    f"Logged names: {names}. Received: logs with keys {list(logs)}"
                )


def run_train_step_override(fns, state, batch):
    """One training step that runs the model's own `train_step` (see the module docstring)."""
    from jeras.training.steps import TrainState

    rng, key = jax.random.split(state.rng)
    model = fns.model
    bindings = list(zip(fns.trainable_vars, state.trainable)) + list(zip(fns.non_trainable_vars, state.non_trainable))
    context = StepContext(fns, state.opt_state, state.metrics)
    x = fns._cast_inputs(batch.x)
    y = batch.y[0] if len(batch.y) == 1 else list(batch.y)
    data = (x, y) if batch.sample_weight is None else (x, y, batch.sample_weight)
    with fns.hyper_scope(state.hyper), StatelessScope(bindings, rng=key) as scope, context:
        logs = model.train_step(data)
        context.check_logs(logs)
        trainable = [scope.new_value(v) for v in fns.trainable_vars]
        non_trainable = [scope.new_value(v) for v in fns.non_trainable_vars]
    reported: dict[str, list] = {}
    for _, name, value in scope.metric_entries:
        reported.setdefault(name, []).append(value)
    like = jax.tree_util.tree_leaves(x)[0]
    metrics = fns.objectives.update_reported(context.metrics, reported, like, None)
    return TrainState(trainable, non_trainable, context.opt_state, metrics, rng, state.step + 1, state.hyper)


def value_and_gradients(fn, variables: list) -> tuple[Any, list]:
    """Calls `fn()` and returns `(its result, the gradients of its loss with respect to variables)`.

    `fn` returns the loss (a scalar) or a tuple whose first item is the loss. Inside it the
    variables read the values being differentiated; what it assigns to other variables
    (BatchNorm statistics), the losses and metrics its layers report, and the loss trackers it
    updates reach the enclosing step (or, outside a step, the variables themselves).
    """
    outer = current_scope()
    context = step_context.current_step_context()
    carried: dict[str, Any] = {}

    def inner(values):
        metrics_before = None if context is None else context.metrics
        with StatelessScope(list(zip(variables, values)), parent=outer) as scope:
            out = fn()
            loss = out[0] if isinstance(out, tuple) else out
            written = scope.assignments()
        leaves, treedef = jax.tree_util.tree_flatten(out)
        logits, restore = activations.logits_across(leaves)
        carried.update(
            treedef=treedef,
            restore=restore,
            written=[v for v, _ in written],
            losses=[layer for layer, _ in scope.loss_entries],
            metrics=[(layer, name) for layer, name, _ in scope.metric_entries],
        )
        aux = {
            "leaves": leaves,
            "logits": logits,
            "written": [value for _, value in written],
            "losses": [value for _, value in scope.loss_entries],
            "metrics": [value for _, _, value in scope.metric_entries],
            "state": None if context is None or context.metrics is metrics_before else context.metrics,
        }
        if context is not None:
            context.metrics = metrics_before
        return jax.numpy.asarray(loss), aux

    values = [v.value for v in variables]
    (_, aux), grads = jax.value_and_grad(inner, has_aux=True)(values)
    carried["restore"](aux["leaves"], aux["logits"])
    for variable, value in zip(carried["written"], aux["written"]):
        variable.assign(value)
    if outer is not None:
        for layer, value in zip(carried["losses"], aux["losses"]):
            outer.add_loss(layer, value)
        for (layer, name), value in zip(carried["metrics"], aux["metrics"]):
            outer.add_metric(layer, name, value)
    if context is not None and aux["state"] is not None:
        context.metrics = aux["state"]
    return jax.tree_util.tree_unflatten(carried["treedef"], aux["leaves"]), list(grads)
