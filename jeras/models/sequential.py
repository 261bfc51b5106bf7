"""`Sequential`: a linear stack of layers."""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from jeras.layers.input_layer import InputLayer
from jeras.layers.layer import Layer
from jeras.layers.symbolic import KerasTensor
from jeras.models.legacy import LegacySequentialMethods
from jeras.models.model import Model


class Sequential(LegacySequentialMethods, Model):
    """A model whose layers each take the previous layer's output.

    Args:
        layers: optional list of layers (an `Input(...)` tensor or `InputLayer` may come first).
        name: the model's name; default `sequential`, `sequential_1`, ...

    Example:
        >>> model = Sequential([Flatten(input_shape=[28, 28]), Dense(10, activation="softmax")])
        >>> model.count_params()
        7850
    """

    def __init__(self, layers: list | None = None, name: str | None = None, **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self._stack: list[Layer] = []
        self._input_layer: InputLayer | None = None
        self._outputs: list[KerasTensor] = []
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self) -> list[Layer]:
        """The layers, without the input layer (as tf.keras 2.x lists them)."""
        return list(self._stack)

    def add(self, layer: Layer | KerasTensor) -> None:
        """Appends a layer (or sets the input with an `Input(...)` tensor or an `InputLayer`)."""
        if isinstance(layer, KerasTensor):
            if layer.node is None or not isinstance(layer.node.layer, InputLayer):
                raise TypeError(
                    f"Sequential.add accepts Input(...) tensors only as the first item. Received: {layer!r}"
                )
            layer = layer.node.layer
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential.add expects a Layer instance. Received: layer={layer!r} of type {type(layer).__name__}"
            )
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer is not None:
                raise ValueError(
                    f"An InputLayer can only be the first layer of a Sequential model. Received: layer={layer.name}"
                )
            self._input_layer = layer
            self._outputs = [layer.output]
            return
        if any(layer.name == other.name for other in self._stack):
            raise ValueError(
                f"All layers added to a Sequential model should have unique names. Name '{layer.name}' is already "
                f"the name of a layer in this model. Update the `name` argument to pass a unique name. Received: layer={layer.name}"
            )
        if not self._stack and self._input_layer is None and layer._batch_input_shape is not None:
            self._input_layer = InputLayer(batch_input_shape=layer._batch_input_shape)
            self._outputs = [self._input_layer.output]
        self._stack.append(layer)
        self._sublayers.append(layer)
        if self._outputs:
            self._outputs.append(layer(self._outputs[-1]))
            self.built = True
        self._engine = None

    def pop(self) -> Layer:
        """Removes and returns the last layer."""
        if not self._stack:
            raise TypeError("There are no layers in the model to pop.")
        layer = self._stack.pop()
        self._sublayers.remove(layer)
        if len(self._outputs) > 1:
            self._outputs.pop()
        self._engine = None
        return layer

    def call(self, inputs, training: bool | None = None):
        x = inputs
        for layer in self._stack:
            x = layer(x, training=training)
        return x

    # ------------------------------------------------------------------ building
    def _ensure_built(self, xs: list[np.ndarray]) -> None:
        if self._input_layer is None:
            if len(xs) != 1:
                raise ValueError(f"A Sequential model takes one input array. Received: {len(xs)} arrays in x")
            self.build((None,) + tuple(xs[0].shape[1:]))

    def build(self, input_shape=None) -> None:
        """Builds the model for inputs of `input_shape` (batch axis first)."""
        if self._input_layer is None:
            if input_shape is None:
                raise ValueError("Sequential.build needs an input_shape. Received: input_shape=None")
            self._input_layer = InputLayer(batch_input_shape=tuple(input_shape))
            self._outputs = [self._input_layer.output]
            for layer in self._stack:
                self._outputs.append(layer(self._outputs[-1]))
        self.built = True

    def _input_specs(self) -> list[tuple[tuple | None, str | None]]:
        return [(self._input_layer._batch_input_shape, self._input_layer.dtype)]

    def _output_shapes(self) -> list[tuple]:
        return [
            tuple(t.shape)
            for t in jax.tree_util.tree_leaves(self._outputs[-1], is_leaf=lambda t: isinstance(t, KerasTensor))
        ]

    def _outputs_known(self) -> bool:
        return len(self._outputs) > 1

    @property
    def output_names(self) -> list[str]:
        """The name of the last layer, as tf.keras names a Sequential model's output."""
        return [self._stack[-1].name] if self._stack else ["output"]

    @property
    def input_shape(self) -> tuple:
        return tuple(self._input_layer._batch_input_shape)

    @property
    def output_shape(self) -> tuple:
        return self._output_shapes()[0]

    def _summary_rows(self) -> list[tuple[str, Any, int]]:
        return [
            (f"{layer.name} ({type(layer).__name__})", tuple(out.shape), layer.count_params())
            for layer, out in zip(self._stack, self._outputs[1:])
        ]

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        from jeras.layers import serialize

        layers = []
        if self._input_layer is not None:
            layers.append(serialize(self._input_layer))
        layers += [serialize(layer) for layer in self._stack]
        return {"name": self.name, "layers": layers}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict | None = None) -> Sequential:
        from jeras.layers import deserialize

        model = cls(name=config.get("name"))
        for item in config.get("layers", []):
            model.add(deserialize(item, custom_objects=custom_objects))
        return model
