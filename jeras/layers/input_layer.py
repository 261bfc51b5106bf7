"""`InputLayer` and `Input`: where a model's data enters."""

from __future__ import annotations

from typing import Any

from jeras import backend
from jeras.layers.layer import Layer, normalize_shape
from jeras.layers.symbolic import KerasTensor, Node


class InputLayer(Layer):
    """The layer that stands for a model input.

    Args:
        input_shape: shape of one example, without the batch axis.
        batch_size: optional fixed batch size.
        dtype: the input dtype; default `backend.floatx()`.
        name: the layer name; default `input_1`, `input_2`, ... as tf.keras names them.
        batch_input_shape: alternatively, the full shape with the batch axis first.
    """

    def __init__(
        self,
        input_shape=None,
        batch_size: int | None = None,
        dtype=None,
        name: str | None = None,
        *,
        batch_input_shape=None,
        **kwargs: Any,
    ):
        if input_shape is None and batch_input_shape is None:
            raise ValueError("InputLayer needs input_shape or batch_input_shape. Received: input_shape=None")
        if name is None:
            name = backend.unique_name("input", zero_based=False)
        super().__init__(name=name, dtype=dtype, **kwargs)
        if batch_input_shape is not None:
            self._batch_input_shape = normalize_shape(batch_input_shape, argument="batch_input_shape")
        else:
            self._batch_input_shape = (batch_size,) + normalize_shape(input_shape, argument="shape")
        self.built = True
        node = Node(layer=self, inputs=(), outputs=None)
        node.outputs = KerasTensor(self._batch_input_shape, self.dtype, name=self.name, node=node)
        self._inbound_nodes.append(node)
        self.output = node.outputs

    def get_config(self) -> dict[str, Any]:
        return {"batch_input_shape": list(self._batch_input_shape), "dtype": self.dtype, "name": self.name}


def Input(  # noqa: N802
    shape=None, batch_size: int | None = None, name: str | None = None, dtype=None, *, batch_shape=None
) -> KerasTensor:
    """Returns a symbolic tensor standing for a model input (`keras.Input`).

    Args:
        shape: shape of one example, without the batch axis (`shape=[28, 28]`).
        batch_size: optional fixed batch size.
        name: optional name of the input layer.
        dtype: the input dtype; default `backend.floatx()`.
        batch_shape: alternatively, the full shape with the batch axis first.

    Returns:
        A `KerasTensor`.
    """
    if shape is None and batch_shape is None:
        raise ValueError("Input needs a shape (or a batch_shape). Received: shape=None")
    layer = InputLayer(input_shape=shape, batch_size=batch_size, dtype=dtype, name=name, batch_input_shape=batch_shape)
    return layer.output
