"""The base `Layer`: settings in `__init__`, weights in `build`, computation in `call`.

Layers are stateful objects for the user (`layer.kernel`, `layer.get_weights()`), but their
`call` is pure whenever a `StatelessScope` binds their variables: the training engine runs
every layer that way inside compiled steps (DESIGN.md, principle 1).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras import backend, mixed_precision
from jeras.backend import allocation
from jeras.backend.variables import Variable, current_scope
from jeras.layers import mask_table

_BASE_KWARGS = ("input_shape", "batch_input_shape", "batch_size", "input_dim")


def normalize_shape(shape, *, argument: str) -> tuple[int | None, ...]:
    """Returns a shape as a tuple of positive ints or None, or raises a ValueError naming `argument`."""
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError as err:
        raise TypeError(f"{argument} must be a tuple or list of integers. Received: {argument}={shape!r}") from err
    out = []
    for dim in dims:
        if dim is None:
            out.append(None)
        elif isinstance(dim, (int, np.integer)) and not isinstance(dim, bool) and dim > 0:
            out.append(int(dim))
        else:
            raise ValueError(f"{argument} must contain positive integers or None. Received: {argument}={shape!r}")
    return tuple(out)


class Layer:
    """Base class of all layers.

    Masks: a layer whose `call` takes a `mask` argument receives the timestep mask of its
    inputs (see `jeras.layers.mask_table`); `compute_mask` gives the mask of its outputs. By
    default a layer passes its input mask on when `supports_masking` is True and drops it
    otherwise (as Keras 3 does; tf.keras 2 raised a TypeError there).

    Args:
        trainable: whether the layer's weights are updated by training. Default True.
        name: the layer's name; defaults to a unique snake-case name of the class (`dense_1`).
        dtype: the dtype of weights and computation; defaults to `backend.floatx()`.
        input_shape: shape of one example (without the batch axis), as tf.keras accepts on the
            first layer of a `Sequential` model.
        batch_input_shape: the same, with the batch axis first.
        input_dim: for 2D inputs, `input_dim=n` means `input_shape=(n,)`.
    """

    def __init__(self, *, trainable: bool = True, name: str | None = None, dtype=None, **kwargs: Any):
        unknown = set(kwargs) - set(_BASE_KWARGS)
        if unknown:
            raise TypeError(
                f"Unknown keyword argument(s) for {type(self).__name__}: {sorted(unknown)}. Received: {kwargs!r}"
            )
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"name must be a non-empty string. Received: name={name!r}")
        object.__setattr__(self, "_sublayers", [])
        self.name = name or backend.unique_name(backend.to_snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        policy = mixed_precision.policy_of(dtype)
        # With a policy (a `mixed_*` name or a global policy), `dtype` is the weights' dtype and
        # `compute_dtype` what `call` computes in (jeras.mixed_precision).
        self.dtype_policy = policy
        self.dtype = backend.standardize_dtype(dtype if policy is None else policy.variable_dtype)
        self.compute_dtype = self.dtype if policy is None else policy.compute_dtype
        self.built = False
        self._own_weights: list[Variable] = []
        self._regularized: list[tuple[Variable, Any]] = []
        self.activity_regularizer = None
        self._build_shapes = None
        self._inbound_nodes: list = []
        self._call_losses: list = []
        self._loss_functions: list = []
        self._metric_names: list[str] = []
        self._batch_input_shape = self._read_input_shape_kwargs(kwargs)
        parameters = inspect.signature(self.call).parameters
        self._call_accepts_training = "training" in parameters
        self._call_accepts_mask = "mask" in parameters

    @staticmethod
    def _read_input_shape_kwargs(kwargs) -> tuple | None:
        if kwargs.get("batch_input_shape") is not None:
            return normalize_shape(kwargs["batch_input_shape"], argument="batch_input_shape")
        if kwargs.get("input_shape") is not None:
            shape = normalize_shape(kwargs["input_shape"], argument="input_shape")
            return (kwargs.get("batch_size"),) + shape
        if kwargs.get("input_dim") is not None:
            return (kwargs.get("batch_size"),) + normalize_shape(kwargs["input_dim"], argument="input_dim")
        return None

    # ------------------------------------------------------------------ tracking
    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("_") and "_sublayers" in self.__dict__:
            for layer in _layers_in(value):
                if layer is not self and all(layer is not known for known in self._sublayers):
                    self._sublayers.append(layer)
        object.__setattr__(self, name, value)

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for layer in self._children():
            layer.trainable = value

    # ------------------------------------------------------------------ weights
    def add_weight(
        self,
        name: str | None = None,
        shape: Sequence[int] | None = (),
        dtype=None,
        initializer: Any = None,
        regularizer: Any = None,
        trainable: bool = True,
        constraint: Any = None,
    ) -> Variable:
        """Creates a weight of this layer.

        Args:
            name: the weight's name (`"kernel"`).
            shape: its shape; `()` or None for a scalar. Default `()`.
            dtype: its dtype; default the layer's dtype.
            initializer: an initializer name, instance or callable `(shape, dtype)`;
                default `"glorot_uniform"` for floats, `"zeros"` otherwise.
            regularizer: an optional regularizer whose penalty joins the training loss.
            trainable: whether training updates it. Default True.
            constraint: an optional constraint applied after each optimizer update.

        Returns:
            The new `Variable`.
        """
        from jeras import constraints, initializers, regularizers

        dtype = backend.standardize_dtype(dtype or self.dtype)
        shape = () if shape is None else tuple(int(d) for d in shape)
        if initializer is None:
            initializer = "glorot_uniform" if jnp.issubdtype(jnp.dtype(dtype), jnp.floating) else "zeros"
        init = initializers.get(initializer)
        name = name or f"variable_{len(self._own_weights)}"
        allocation.reserve(self, name, shape)  # before allocating: a rebuilt config may be damaged
        variable = Variable(
            init(shape, dtype=dtype),
            name=name,
            trainable=trainable,
            dtype=dtype,
            path=f"{self.name}/{name}",
            constraint=constraints.get(constraint),
        )
        self._own_weights.append(variable)
        regularizer = regularizers.get(regularizer)
        if regularizer is not None:
            self._regularized.append((variable, regularizer))
        return variable

    def _children(self) -> list[Layer]:
        """Direct sublayers: those in public attributes now (lists and dicts included, so layers
        appended to a list after assignment count, as tf.keras tracks them), then tracked ones."""
        found = [layer for name, value in vars(self).items() if not name.startswith("_") for layer in _layers_in(value)]
        out: list[Layer] = []
        for layer in found + self._sublayers:
            if layer is not self and all(layer is not known for known in out):
                out.append(layer)
        return out

    def _all_layers(self) -> list[tuple[Layer, bool]]:
        """This layer and all nested sublayers, each with whether its weights train: a
        non-trainable layer freezes everything beneath it."""
        seen: list[tuple[Layer, bool]] = []
        stack = [(self, self.trainable)]
        while stack:
            layer, trainable = stack.pop()
            if any(layer is s for s, _ in seen):
                continue
            seen.append((layer, trainable))
            # Depth first, children in order: a nested model's weights come where it stands.
            stack.extend(reversed([(child, trainable and child.trainable) for child in layer._children()]))
        return seen

    @property
    def weights(self) -> list[Variable]:
        """All weights, layer by layer (depth first), each layer's trainable ones first, as
        tf.keras orders `model.weights` and `get_weights()`."""
        out = []
        for layer, _ in self._all_layers():
            out.extend(v for v in layer._own_weights if v.trainable)
            out.extend(v for v in layer._own_weights if not v.trainable)
        return out

    @property
    def trainable_weights(self) -> list[Variable]:
        out = []
        for layer, trainable in self._all_layers():
            if trainable:
                out.extend(v for v in layer._own_weights if v.trainable)
        return out

    @property
    def non_trainable_weights(self) -> list[Variable]:
        out = []
        for layer, trainable in self._all_layers():
            if trainable:
                out.extend(v for v in layer._own_weights if not v.trainable)
            else:
                out.extend(layer._own_weights)
        return out

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    def get_weights(self) -> list[np.ndarray]:
        """Returns the weights as NumPy arrays, in the order of `weights`."""
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Sets the weights from arrays in the order of `get_weights()`, checking count and shapes."""
        params = self.weights
        weights = list(weights)
        if len(weights) != len(params):
            raise ValueError(
                f"Layer '{self.name}' expects {len(params)} weight arrays, "
                f"but set_weights received {len(weights)}. Received: weights of length {len(weights)}"
            )
        for variable, value in zip(params, weights):
            value = np.asarray(value)
            if value.shape != variable.shape:
                raise ValueError(
                    f"Weight '{variable.path}' has shape {variable.shape}, but set_weights received an array "
                    f"of shape {value.shape}. Received: weights with shapes {[np.shape(w) for w in weights]}"
                )
        for variable, value in zip(params, weights):
            variable.assign(value)

    def count_params(self) -> int:
        """Returns the number of scalars in all weights of this layer; raises a ValueError before it is built."""
        if not self.built:
            raise ValueError(
                f"You tried to call count_params on layer '{self.name}', but the layer isn't built. "
                "Build it first, for example by calling it on data or giving the model an input_shape."
            )
        return int(sum(int(np.prod(v.shape)) for v in self.weights))

    @property
    def losses(self) -> list[jax.Array]:
        """The losses of this layer and its sublayers: the penalties of their regularized weights
        (on the current values), the zero-argument functions given to `add_loss`, and the losses
        their calls reported (`add_loss`, activity regularizers): inside a training step those of
        the step's call, outside one those of each layer's last call."""
        out = self.weight_penalties()
        members = {id(layer) for layer, _ in self._all_layers()}
        scope = current_scope()
        if scope is not None:
            out.extend(value for layer, value in scope.loss_entries if id(layer) in members)
        else:
            for layer, _ in self._all_layers():
                out.extend(layer._call_losses)
        return out

    def weight_penalties(self) -> list[jax.Array]:
        """The regularization penalties of the weights of this layer and its sublayers, and the values
        of the zero-argument loss functions given to `add_loss` (evaluated on the current values)."""
        out = []
        for layer, _ in self._all_layers():
            out.extend(reg(v.value) for v, reg in layer._regularized)
            out.extend(jnp.asarray(fn()) for fn in layer._loss_functions)
        return out

    def add_loss(self, losses) -> None:
        """Adds a loss (a scalar array, a list of them, or a zero-argument function) to the model's loss.

        Call it from `call` with a value computed from the inputs (an activity penalty): inside
        `fit` it joins that step's loss; outside, `layer.losses` holds the losses of the layer's last
        call. A zero-argument function (a penalty on a weight) is evaluated whenever the loss is.

        Args:
            losses: a scalar array, a list of them, or a callable taking no arguments.
        """
        from jeras.layers.symbolic import KerasTensor

        for value in losses if isinstance(losses, (list, tuple)) else [losses]:
            if isinstance(value, KerasTensor):
                raise TypeError(
                    "add_loss received a symbolic tensor: jeras adds losses from inside a layer's call. Write a "
                    "Layer whose call computes the loss and calls self.add_loss(...) on it, and put it in the model. "
                    f"Received: losses={value!r}"
                )
            if callable(value):
                self._loss_functions.append(value)
                continue
            value = jnp.sum(jnp.asarray(value))
            scope = current_scope()
            if scope is not None:
                scope.add_loss(self, value)
            else:
                self._call_losses.append(value)

    def add_metric(self, value, name: str | None = None, aggregation: str | None = None) -> None:
        """Reports a value from `call` as a metric of the model (tf.keras 2.x; removed from Keras 3).

        Its mean over the epoch's batches (each weighted by its number of values) is logged under
        `name` in `fit` and `evaluate`, after the compiled metrics (and as `val_<name>` for
        validation data).

        Args:
            value: an array computed in `call`.
            name: the log name; required.
            aggregation: `"mean"` or None (the mean). Default None.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"add_metric needs a name for the metric in the logs. Received: name={name!r}")
        if aggregation not in (None, "mean"):
            raise ValueError(f"add_metric supports aggregation='mean' only. Received: aggregation={aggregation!r}")
        if name not in self._metric_names:
            self._metric_names.append(name)
        scope = current_scope()
        if scope is not None:
            scope.add_metric(self, name, value)

    def layer_metric_names(self) -> list[str]:
        """The names given to `add_metric` by this layer and its sublayers in the calls made so far."""
        names: list[str] = []
        for layer, _ in self._all_layers():
            names.extend(n for n in layer._metric_names if n not in names)
        return names

    # ------------------------------------------------------------------ computation
    def build(self, input_shape) -> None:
        """Creates the layer's weights for inputs of `input_shape`. The base version creates none."""
        self.built = True

    def call(self, inputs, *args, **kwargs):
        """The layer's computation. Subclasses override it."""
        return inputs

    def _maybe_build(self, inputs) -> None:
        if self.built:
            return
        shapes = jax.tree_util.tree_map(lambda x: tuple(x.shape), inputs)
        self._build_shapes = shapes
        # Weights must be concrete arrays even when the first call happens while tracing
        # (inside `jax.jit`); otherwise a tracer would be stored in the layer and leak.
        with jax.ensure_compile_time_eval():
            self.build(shapes)
        self.built = True

    def __call__(self, inputs, *args, training: bool | None = None, **kwargs):
        from jeras.layers.symbolic import KerasTensor, call_symbolic

        if any(isinstance(x, KerasTensor) for x in jax.tree_util.tree_leaves(inputs)):
            return call_symbolic(self, inputs, args, dict(kwargs, training=training))
        # Looked up before conversion: a cast makes a new array, which has no mask filed.
        mask = kwargs["mask"] if "mask" in kwargs else mask_table.input_mask(inputs)
        inputs = jax.tree_util.tree_map(self._to_array, inputs, is_leaf=lambda x: isinstance(x, Variable))
        self._maybe_build(inputs)
        if current_scope() is None:
            self._call_losses = []  # `losses` outside a step: those of the last call
        if self._call_accepts_training:
            kwargs["training"] = bool(training) if training is not None else False
        if self._call_accepts_mask:
            kwargs["mask"] = mask
        else:
            kwargs.pop("mask", None)
        if self.compute_dtype != self.dtype:
            with mixed_precision.autocast(self.compute_dtype):
                outputs = self.call(inputs, *args, **kwargs)
        else:
            outputs = self.call(inputs, *args, **kwargs)
        output_mask = self.compute_mask(inputs, mask)
        if output_mask is not None:
            mask_table.attach_output_masks(outputs, output_mask)
        if self.activity_regularizer is not None:
            scope = current_scope()
            penalty = sum(self.activity_regularizer(x) / x.shape[0] for x in jax.tree_util.tree_leaves(outputs))
            if scope is not None:
                scope.add_loss(self, penalty)
        return outputs

    def _to_array(self, x):
        if isinstance(x, Variable):
            return x.value
        if isinstance(x, (jax.Array, jax.core.Tracer)):
            arr = x
        else:
            arr = jnp.asarray(np.asarray(x))
        if jnp.issubdtype(arr.dtype, jnp.floating) and arr.dtype != jnp.dtype(self.compute_dtype):
            arr = arr.astype(self.compute_dtype)
        return arr

    supports_masking = False

    def compute_mask(self, inputs, mask=None):
        """The mask of the outputs: `mask` when `supports_masking` is True, else None."""
        return mask if self.supports_masking else None

    def compute_output_shape(self, input_shape):
        """Output shape for inputs of `input_shape` (None marks unknown dimensions, batch or other)."""
        return _shapes_via_eval(self, input_shape)

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        dtype = self.dtype if self.dtype_policy is None or not self.dtype_policy.mixed else self.dtype_policy.name
        config: dict[str, Any] = {"name": self.name, "trainable": self.trainable, "dtype": dtype}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _layers_in(value) -> list[Layer]:
    if isinstance(value, Layer):
        return [value]
    if isinstance(value, (list, tuple)):
        return [x for item in value for x in _layers_in(item)]
    if isinstance(value, dict):
        return [x for item in value.values() for x in _layers_in(item)]
    return []


def _shapes_via_eval(layer: Layer, input_shape):
    """Infers output shapes by calling the layer on placeholders (no computation)."""
    from jeras.layers.symbolic import KerasTensor, call_symbolic

    is_shape = lambda s: isinstance(s, (tuple, list)) and all(d is None or isinstance(d, int) for d in s)  # noqa: E731
    placeholders = jax.tree_util.tree_map(lambda s: KerasTensor(s, layer.dtype), input_shape, is_leaf=is_shape)
    outputs = call_symbolic(layer, placeholders, (), {})
    return jax.tree_util.tree_map(lambda t: t.shape, outputs, is_leaf=lambda t: isinstance(t, KerasTensor))
