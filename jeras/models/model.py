"""`Model`: a layer with training, evaluation and prediction built in.

Subclass it and define `call` (the subclassing API), or use `Sequential`. `compile`
resolves the optimizer, loss and metrics; `fit`, `evaluate` and `predict` run compiled JAX
programs through `jeras.training.loop` and sync weights back at defined points.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras import distribution as distribution_module
from jeras import mixed_precision, optimizers
from jeras.layers.layer import Layer
from jeras.layers.symbolic import KerasTensor
from jeras.models.legacy import LegacyModelMethods, deprecated
from jeras.models.summary import print_summary
from jeras.training.loop import Trainer
from jeras.training.objectives import Objectives


class NotCompiledError(ValueError, RuntimeError):
    """Raised by fit/evaluate/train_on_batch before `compile()` (a RuntimeError in tf.keras)."""


class Model(LegacyModelMethods, Layer):
    """A trainable model. Subclass it and override `call(inputs, training=None)`.

    Args:
        name: the model's name; default a unique snake-case name of the class.
        trainable: whether its weights are trained. Default True.
    """

    def __new__(cls, *args: Any, **kwargs: Any):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            from jeras.models.functional import Functional

            if cls is Model:
                return super().__new__(Functional)
            if not issubclass(cls, Functional) and cls.call is Layer.call:
                # `class MyModel(keras.Model)` without a `call`, built from tensors (the tf.keras idiom for
                # a functional model with its own train_step): a functional model of that class.
                return super().__new__(_functional_variant(cls))
        return super().__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            raise TypeError(
                f"{type(self).__name__} is a subclassed model: define layers in __init__ and the computation in call(). "
                "To build a model from input and output tensors, call keras.Model(inputs, outputs) directly. "
                "Received: inputs/outputs arguments"
            )
        super().__init__(**kwargs)
        self.optimizer = None
        self._objectives: Objectives | None = None
        self._engine = None
        self._batch_metrics = None
        self._input_count = 1
        self.run_eagerly = False
        self.stop_training = False
        self.history = None
        # The compile time, compile count and path of the last fit (docs/architecture.md).
        self.compile_stats: dict[str, Any] = {}
        # The `FitRun` of the current or last fit (its seed and start; jeras.training.run).
        self.fit_run = None

    # ------------------------------------------------------------------ structure
    @property
    def layers(self) -> list[Layer]:
        return list(self._sublayers)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """Returns a layer by name or by index in `layers`."""
        if index is not None:
            if not isinstance(index, int) or not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"index must be an integer in [0, {len(self.layers)}). Received: index={index!r}")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No layer named {name!r} in model '{self.name}'. Layers: {[la.name for la in self.layers]}. Received: name={name!r}"
        )

    @property
    def output_names(self) -> list[str]:
        n = len(self._output_shapes())
        return ["output"] if n == 1 else [f"output_{i + 1}" for i in range(n)]

    def _ensure_built(self, xs: list[np.ndarray]) -> None:
        """Builds a subclassed model by calling it once on a one-row batch of zeros."""
        if self.built:
            return
        self._input_count = len(xs)
        sample = [jnp.zeros((1,) + a.shape[1:], dtype=jnp.float32 if a.dtype.kind == "f" else a.dtype) for a in xs]
        outputs = self(self._structure_inputs(sample), training=False)
        self._output_specs = [(None,) + tuple(o.shape[1:]) for o in jax.tree_util.tree_leaves(outputs)]
        self._input_shapes = [(None,) + tuple(a.shape[1:]) for a in xs]
        self.built = True

    def _maybe_build(self, inputs) -> None:
        """Subclassed models build their layers lazily, as `call` reaches them."""

    def __call__(self, inputs, *args, **kwargs):
        outputs = super().__call__(inputs, *args, **kwargs)
        if not self.built and type(self)._ensure_built is Model._ensure_built:
            # A subclassed model is built by its first call, as in tf.keras (`summary()` works after it).
            is_tensor = lambda t: isinstance(t, KerasTensor)  # noqa: E731
            ins = jax.tree_util.tree_leaves(inputs, is_leaf=is_tensor)
            outs = jax.tree_util.tree_leaves(outputs, is_leaf=is_tensor)
            if all(hasattr(a, "shape") and len(a.shape) > 0 for a in ins + outs):
                self._input_count = len(ins)
                self._input_shapes = [(None,) + tuple(a.shape[1:]) for a in ins]
                self._output_specs = [(None,) + tuple(o.shape[1:]) for o in outs]
                self.built = True
        return outputs

    def build(self, input_shape) -> None:
        """Builds the model for inputs of `input_shape` (batch axis first; a list for several inputs)."""
        shapes = (
            input_shape
            if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (tuple, list))
            else [input_shape]
        )
        self._ensure_built([np.zeros((1,) + tuple(1 if d is None else d for d in s[1:]), np.float32) for s in shapes])

    def _input_specs(self) -> list[tuple[tuple | None, str | None]]:
        return [(shape, None) for shape in getattr(self, "_input_shapes", [None] * self._input_count)]

    def _flatten_inputs(self, x, *, argument: str = "x") -> list | None:
        """Orders a dict of inputs as the model expects, or None when x is not a dict."""
        return None

    def _structure_inputs(self, arrays: list):
        return arrays[0] if len(arrays) == 1 else list(arrays)

    def _output_shapes(self) -> list[tuple]:
        return list(self._output_specs)

    def _outputs_known(self) -> bool:
        """Whether the output structure is known (before the first call it is not, for subclassed models)."""
        return self.built and hasattr(self, "_output_specs")

    # ------------------------------------------------------------------ compile
    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        metrics: Any = None,
        loss_weights: Any = None,
        weighted_metrics: Any = None,
        run_eagerly: bool | None = None,
        steps_per_execution: int | None = None,
        jit_compile: bool | None = None,
        **kwargs: Any,
    ) -> None:
        """Configures the model for training.

        Args:
            optimizer: name or optimizer instance. Default `"rmsprop"`.
            loss: name, function or `Loss` instance (a list or dict for several outputs).
            metrics: list of names, functions or `Metric` instances (`"accuracy"` resolves
                to the right variant from the target and output shapes, as tf.keras does).
            loss_weights: optional scalar weights of each output's loss.
            weighted_metrics: metrics that take `sample_weight`/`class_weight` into account.
            run_eagerly: run steps as plain Python (no compilation), for debugging. Default False.
            steps_per_execution: accepted for compatibility; jeras compiles whole chunks of steps.
            jit_compile: accepted for compatibility; jeras always compiles with XLA.
        """
        if kwargs:
            raise TypeError(f"Unknown keyword argument(s) for compile: {sorted(kwargs)}. Received: {kwargs!r}")
        self.optimizer = optimizers.get(optimizer)
        policy = self.dtype_policy or mixed_precision.policy_of(None)
        if policy is not None and policy.name == "mixed_float16" and not hasattr(self.optimizer, "scale_loss"):
            # As tf.keras 2.x: float16 training gets dynamic loss scaling (jeras.loss_scale).
            from jeras.loss_scale import LossScaleOptimizer

            self.optimizer = LossScaleOptimizer(self.optimizer)
        self._objectives = Objectives(loss, metrics, loss_weights, weighted_metrics)
        if self._outputs_known():
            self._objectives.check_outputs(self.output_names)
        self.loss = loss
        self.run_eagerly = bool(run_eagerly)
        # The devices it trains on: the distribution active when it is compiled (a strategy's
        # `scope()` or `set_distribution`), as tf.keras ties a model to the strategy of its scope.
        self._distribution = distribution_module.distribution()
        self._engine = None
        self._batch_metrics = None

    def _trainer(self, what: str) -> Trainer:
        if self._objectives is None:
            raise NotCompiledError(
                f"You must compile your model before {what}: call model.compile(optimizer=..., loss=...) first. "
                f"Received: a model that was never compiled ({self.name})"
            )
        return Trainer(self)

    @property
    def metrics_names(self) -> list[str]:
        """Deprecated (tf.keras 2.x): the names of `evaluate`'s results, `["loss", ...]`; empty before the
        first fit or evaluate. Keras 3 changed its meaning; read the keys of
        `model.evaluate(..., return_dict=True)` instead."""
        deprecated(
            "Model.metrics_names",
            "Keras 3 lists metric objects there. Use the keys of `model.evaluate(x, y, return_dict=True)` "
            "(or of `history.history`) for the names of the results.",
        )
        return self._result_names()

    def _result_names(self) -> list[str]:
        """The names of `evaluate`'s results (what tf.keras 2.x's `metrics_names` gave)."""
        if self._objectives is None or not self._objectives.built:
            return []
        return list(self._objectives.metric_names)

    # ------------------------------------------------------------------ a model's own train_step
    def train_step(self, data):
        """One training step; override it to customize `fit` (see `jeras.training.train_step`).

        This is the built-in step written with the public API: an override in the same form
        runs inside the compiled step and, when it does the same, gives the same numbers.
        `tf.GradientTape` has no JAX counterpart: put the forward pass in a function and call
        `self.value_and_gradients(function)`.

        Args:
            data: the batch, `(x, y)` or `(x, y, sample_weight)`.

        Returns:
            The logs: results of the compiled loss and metrics, by name.
        """
        from jeras.training.train_step import unpack_x_y_sample_weight

        x, y, sample_weight = unpack_x_y_sample_weight(data)

        def forward():
            y_pred = self(x, training=True)
            return self.compute_loss(x, y, y_pred, sample_weight), y_pred

        (_, y_pred), grads = self.value_and_gradients(forward)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def value_and_gradients(self, fn, variables=None):
        """Calls `fn()` and returns `(its result, the gradients of its loss)`: jeras' `tf.GradientTape`.

        Args:
            fn: a function of no arguments returning the loss, or a tuple whose first item is the
                loss (the rest, such as the predictions, is returned as computed).
            variables: the variables to differentiate. Default None: `self.trainable_variables`.

        Returns:
            `(fn's result, grads)`, `grads` a list in the order of `variables`.
        """
        from jeras.training.train_step import value_and_gradients

        if not callable(fn):
            raise TypeError(f"value_and_gradients needs a function of no arguments. Received: fn={fn!r}")
        return value_and_gradients(fn, list(self.trainable_variables if variables is None else variables))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
        """The compiled loss of a batch plus the model's `losses` (regularization, `add_loss`); in
        `train_step`, it also updates the loss trackers (tf.keras 2.x). Returns a scalar."""
        return self._step_context("compute_loss").compute_loss(y, y_pred, sample_weight, self.losses)

    def compute_metrics(self, x, y, y_pred, sample_weight=None) -> dict:
        """Updates the compiled metrics with a batch and returns every result, by name (in `train_step`)."""
        context = self._step_context("compute_metrics")
        context.update_metrics(y, y_pred, sample_weight)
        return context.results()

    def get_metrics_result(self) -> dict:
        """The current result of the loss trackers and metrics, by name (in `train_step`)."""
        return self._step_context("get_metrics_result").results()

    @property
    def compiled_loss(self):
        """tf.keras 2.x's `self.compiled_loss(y, y_pred, sample_weight, regularization_losses=self.losses)`."""
        return _CompiledLoss(self)

    @property
    def compiled_metrics(self):
        """tf.keras 2.x's `self.compiled_metrics.update_state(y, y_pred, sample_weight)`."""
        return _CompiledMetrics(self)

    @property
    def metrics(self) -> list:
        """The loss trackers and compiled metrics, in log order: in `train_step`,
        `{m.name: m.result() for m in self.metrics}` gives the logs."""
        if self._objectives is None or not self._objectives.built:
            return []
        return [_MetricResult(self, name) for name in self._objectives.metric_names]

    def _step_context(self, what: str):
        from jeras.backend.step_context import current_step_context

        context = current_step_context()
        if context is None or context.fns.model is not self:
            raise RuntimeError(
                f"{what} works inside the model's own train_step while fit runs it (see Model.train_step). "
                f"Received: a call of {what} outside a training step"
            )
        return context

    # ------------------------------------------------------------------ training API
    def fit(
        self,
        x=None,
        y=None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: int | str = "auto",
        callbacks=None,
        validation_split: float = 0.0,
        validation_data=None,
        shuffle: bool | str = True,
        class_weight=None,
        sample_weight=None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
        validation_batch_size: int | None = None,
        validation_freq: int = 1,
        max_queue_size: int = 10,
        workers: int = 1,
        use_multiprocessing: bool = False,
    ):
        """Trains the model for `epochs` epochs; returns a `History`.

        Args:
            x, y: input and target arrays (NumPy or JAX; lists/dicts for several inputs/outputs).
            batch_size: samples per step. Default 32.
            epochs: the epoch to stop after. Default 1.
            verbose: 0 silent, 1 progress bar, 2 one line per epoch; "auto" is 1.
            callbacks: list of `Callback` instances.
            validation_split: fraction of the data, taken from the END before shuffling, used for validation.
            validation_data: `(x_val, y_val)` or `(x_val, y_val, sample_weight_val)`; overrides validation_split.
            shuffle: reshuffle the training data every epoch (True), only the batch order ("batch"), or not.
            class_weight: dict class index -> weight, applied to the loss.
            sample_weight: per-sample weights of the loss.
            initial_epoch: the epoch to start from (for resuming).
            steps_per_epoch: optional number of batches per epoch (at most the number available).
            validation_steps: optional number of validation batches.
            validation_batch_size: batch size of validation; default `batch_size`.
            validation_freq: validate every this many epochs. Default 1.
            max_queue_size, workers, use_multiprocessing: tf.keras 2.x's loader settings for
                generators and Sequences, checked and accepted; jeras prepares streamed batches
                in one background thread (docs/architecture.md, "Streaming input").

        Returns:
            A `History` whose `.history` maps each log name to its per-epoch values.
        """
        _check_loader_settings(max_queue_size, workers, use_multiprocessing)
        return self._trainer("training").fit(
            x,
            y,
            batch_size=batch_size,
            epochs=epochs,
            verbose=verbose,
            callbacks=callbacks,
            validation_split=validation_split,
            validation_data=validation_data,
            shuffle=shuffle,
            class_weight=class_weight,
            sample_weight=sample_weight,
            initial_epoch=initial_epoch,
            steps_per_epoch=steps_per_epoch,
            validation_steps=validation_steps,
            validation_batch_size=validation_batch_size,
            validation_freq=validation_freq,
        )

    def evaluate(
        self,
        x=None,
        y=None,
        batch_size: int | None = None,
        verbose: int | str = "auto",
        sample_weight=None,
        steps: int | None = None,
        callbacks=None,
        return_dict: bool = False,
        max_queue_size: int = 10,
        workers: int = 1,
        use_multiprocessing: bool = False,
    ):
        """Returns the loss (a scalar) or `[loss, *metrics]`, or a dict with `return_dict=True`.
        The loader settings are those of `fit`."""
        _check_loader_settings(max_queue_size, workers, use_multiprocessing)
        return self._trainer("evaluating").evaluate(
            x,
            y,
            batch_size=batch_size,
            verbose=verbose,
            sample_weight=sample_weight,
            steps=steps,
            callbacks=callbacks,
            return_dict=return_dict,
        )

    def predict(
        self,
        x,
        batch_size: int | None = None,
        verbose: int | str = "auto",
        steps: int | None = None,
        callbacks=None,
        max_queue_size: int = 10,
        workers: int = 1,
        use_multiprocessing: bool = False,
    ):
        """Returns the model's outputs for x as NumPy arrays (batches of 32 by default). The
        loader settings are those of `fit`."""
        _check_loader_settings(max_queue_size, workers, use_multiprocessing)
        return Trainer(self).predict(x, batch_size=batch_size, verbose=verbose, steps=steps, callbacks=callbacks)

    def train_on_batch(
        self, x, y=None, sample_weight=None, class_weight=None, reset_metrics: bool = True, return_dict: bool = False
    ):
        """Runs one training step on exactly this batch; returns the loss or `[loss, *metrics]`."""
        return self._trainer("training").train_on_batch(
            x,
            y,
            sample_weight=sample_weight,
            class_weight=class_weight,
            reset_metrics=reset_metrics,
            return_dict=return_dict,
        )

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics: bool = True, return_dict: bool = False):
        """Evaluates one batch; returns the loss or `[loss, *metrics]`."""
        return self._trainer("evaluating").test_on_batch(
            x, y, sample_weight=sample_weight, reset_metrics=reset_metrics, return_dict=return_dict
        )

    def predict_on_batch(self, x):
        """Returns the outputs for one batch as NumPy arrays."""
        return Trainer(self).predict_on_batch(x)

    # ------------------------------------------------------------------ inspection
    def summary(
        self, line_length: int | None = None, positions: list[float] | None = None, print_fn=None, **kwargs: Any
    ) -> None:
        """Prints the layer table and parameter totals in the tf.keras format.

        Args:
            line_length: total width. Default 65.
            positions: column end positions, as fractions of the width or absolute. Default `[.45, .85, 1.]`.
            print_fn: the function that prints each line. Default `print`.
        """
        if not self.built:
            raise ValueError(
                f"This model has not yet been built. Build the model first by calling `build()` or by calling the model on a "
                f"batch of data, or give the first layer an input_shape. Received: unbuilt model '{self.name}'"
            )
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)

    def _summary_rows(self) -> list[tuple[str, str, int]]:
        return [
            (f"{la.name} ({type(la).__name__})", "multiple", la.count_params() if la.built else 0) for la in self.layers
        ]

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "trainable": self.trainable}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict | None = None) -> Model:
        """Rebuilds a model; a functional config (`layers`, `input_layers`, `output_layers`) gives a functional model."""
        if cls is Model and isinstance(config, dict) and "input_layers" in config and "layers" in config:
            from jeras.models.functional import Functional

            return Functional.from_config(config, custom_objects=custom_objects)
        return cls(**config)

    # ------------------------------------------------------------------ saving (see jeras.saving)
    def save(
        self, filepath, overwrite: bool = True, save_format: str | None = None, include_optimizer: bool = True
    ) -> None:
        """Saves architecture, weights, optimizer state and compile settings (`.h5` or `.keras`).

        `save_format` ("h5", "tf", "keras") is deprecated: the file name's extension picks the format.
        """
        from jeras.saving import save_model

        if save_format is not None:
            _warn_save_format(save_format, "model.save")

        save_model(self, filepath, overwrite=overwrite, save_format=save_format, include_optimizer=include_optimizer)

    def save_weights(self, filepath, overwrite: bool = True, save_format: str | None = None) -> None:
        """Saves the weights (`.h5`, `.weights.h5`, or an extension-less checkpoint prefix).

        `save_format` ("h5", "tf") is deprecated: the file name's extension picks the format.
        """
        from jeras.saving import save_weights

        if save_format is not None:
            _warn_save_format(save_format, "model.save_weights")

        save_weights(self, filepath, overwrite=overwrite, save_format=save_format)

    def load_weights(self, filepath, skip_mismatch: bool = False, by_name: bool = False):
        """Loads weights saved by `save_weights` (or by the `keras` package)."""
        from jeras.saving import load_weights

        return load_weights(self, filepath, skip_mismatch=skip_mismatch, by_name=by_name)

    def to_json(self, **kwargs: Any) -> str:
        """Returns the architecture as a JSON string (`keras.models.model_from_json` reads it)."""
        from jeras.saving import model_to_json

        return model_to_json(self, **kwargs)


def _warn_save_format(save_format: Any, method: str) -> None:
    deprecated(
        f"{method}(save_format=...)",
        f"the file name picks the format, as in Keras 3: {method}('model.keras') (or 'model.h5', "
        f"'model.weights.h5'). Received: save_format={save_format!r}",
        stacklevel=4,
    )


class _CompiledLoss:
    """`model.compiled_loss(y_true, y_pred, sample_weight=None, regularization_losses=None)` (tf.keras 2.x)."""

    def __init__(self, model: Model):
        self.model = model

    def __call__(self, y_true, y_pred, sample_weight=None, regularization_losses=None):
        context = self.model._step_context("compiled_loss")
        return context.compute_loss(y_true, y_pred, sample_weight, list(regularization_losses or []))


class _CompiledMetrics:
    """`model.compiled_metrics.update_state(y_true, y_pred, sample_weight=None)` (tf.keras 2.x)."""

    def __init__(self, model: Model):
        self.model = model

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        self.model._step_context("compiled_metrics.update_state").update_metrics(y_true, y_pred, sample_weight)


class _MetricResult:
    """One entry of `model.metrics`: a name and, in `train_step`, its current `result()`."""

    def __init__(self, model: Model, name: str):
        self.model = model
        self.name = name

    def result(self):
        return self.model._step_context(f"metrics[{self.name!r}].result")._result(self.name)

    def __repr__(self) -> str:
        return f"<metric name={self.name}>"


_FUNCTIONAL_VARIANTS: dict[type, type] = {}


def _functional_variant(cls: type) -> type:
    """`cls` with `Functional` mixed in (made once per class), for `cls(inputs, outputs)`."""
    from jeras.models.functional import Functional

    variant = _FUNCTIONAL_VARIANTS.get(cls)
    if variant is None:
        variant = type(
            cls.__name__, (cls, Functional), {"__module__": cls.__module__, "__qualname__": cls.__qualname__}
        )
        _FUNCTIONAL_VARIANTS[cls] = variant
    return variant


def _check_loader_settings(max_queue_size, workers, use_multiprocessing) -> None:
    """tf.keras 2.x's loader arguments: checked, then left to jeras' one prefetching thread."""
    for name, value, least in (("max_queue_size", max_queue_size, 0), ("workers", workers, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
            raise ValueError(f"{name} must be an integer >= {least}. Received: {name}={value!r}")
    if not isinstance(use_multiprocessing, (bool, np.bool_)):
        raise TypeError(
            f"use_multiprocessing must be True or False. Received: use_multiprocessing={use_multiprocessing!r}"
        )
