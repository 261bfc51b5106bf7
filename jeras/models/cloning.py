"""`keras.models.clone_model`: the same architecture with new layers and freshly initialized weights.

As in tf.keras 2.x, a `Sequential` model is rebuilt from clones of its layers, a functional model
by replaying its graph of layer calls on clones (a layer called twice is cloned once, so weights
stay shared), and a subclassed model cannot be cloned (its architecture is code). The clone has
new weights: copy them with `clone.set_weights(model.get_weights())`. Nothing is compiled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax

from jeras.layers.input_layer import Input, InputLayer
from jeras.layers.layer import Layer
from jeras.layers.symbolic import KerasTensor
from jeras.models.functional import Functional
from jeras.models.model import Model
from jeras.models.sequential import Sequential


def _clone_layer(layer: Layer) -> Layer:
    """The default `clone_function`: a new layer of the same class and config (new weights)."""
    return type(layer).from_config(layer.get_config())


def clone_model(model: Model, input_tensors: Any = None, clone_function: Callable[[Layer], Layer] | None = None):
    """Returns a model with the architecture of `model`, made of new layers with new weights.

    Args:
        model: a `Sequential` or functional model.
        input_tensors: optional `keras.Input` tensors (a tensor, or a list matching the model's
            inputs) for the clone to start from; default None (new inputs like the model's).
        clone_function: called on each layer of the model (input layers excepted) to make the
            clone's layer; it may return the layer itself, to share it, or a modified copy.
            Default None: `type(layer).from_config(layer.get_config())`.

    Returns:
        The new model (uncompiled).

    Raises:
        ValueError: for a subclassed model, or input tensors that do not match the model's inputs.
        TypeError: when `model` is not a model or `clone_function` is not callable.

    Example:
        >>> clone = keras.models.clone_model(model)
        >>> clone.set_weights(model.get_weights())
    """
    if not isinstance(model, Model):
        raise TypeError(f"clone_model expects a keras Model. Received: model of type {type(model).__name__}")
    if clone_function is not None and not callable(clone_function):
        raise TypeError(f"clone_function must be callable. Received: clone_function={clone_function!r}")
    clone_function = clone_function or _clone_layer
    if isinstance(model, Sequential):
        return _clone_sequential(model, input_tensors, clone_function)
    if isinstance(model, Functional):
        return _clone_functional(model, input_tensors, clone_function)
    raise ValueError(
        "clone_model can clone Sequential and functional models only: a subclassed model's architecture is its "
        f"code. Create a new instance of {type(model).__name__} instead. Received: model of type {type(model).__name__}"
    )


def _checked(layer: Any, original: Layer) -> Layer:
    if not isinstance(layer, Layer):
        raise TypeError(
            f"clone_function must return a Layer. Received: {type(layer).__name__} for layer '{original.name}'"
        )
    return layer


def _clone_sequential(model: Sequential, input_tensors, clone_function) -> Sequential:
    layers: list[Any] = []
    if input_tensors is not None:
        tensors = input_tensors if isinstance(input_tensors, (list, tuple)) else [input_tensors]
        if len(tensors) != 1 or not isinstance(tensors[0], KerasTensor):
            raise ValueError(
                f"A Sequential model takes one input tensor from keras.Input(...). Received: input_tensors={input_tensors!r}"
            )
        layers.append(tensors[0])
    elif model._input_layer is not None:
        source = model._input_layer
        layers.append(InputLayer(batch_input_shape=source._batch_input_shape, dtype=source.dtype))
    layers += [_checked(clone_function(layer), layer) for layer in model.layers]
    return Sequential(layers, name=model.name)


def _clone_functional(model: Functional, input_tensors, clone_function) -> Functional:
    if input_tensors is None:
        new_inputs = [
            Input(batch_shape=t.shape, dtype=t.node.layer.dtype, name=t.node.layer.name) for t in model.inputs
        ]
    else:
        new_inputs = list(input_tensors) if isinstance(input_tensors, (list, tuple)) else [input_tensors]
        if len(new_inputs) != len(model.inputs) or not all(isinstance(t, KerasTensor) for t in new_inputs):
            raise ValueError(
                f"input_tensors must be {len(model.inputs)} tensor(s) from keras.Input(...), one per model input. "
                f"Received: input_tensors={input_tensors!r}"
            )
    values: dict[int, KerasTensor] = {id(old): new for old, new in zip(model.inputs, new_inputs)}
    clones: dict[int, Layer] = {}

    def substitute(tree):
        return jax.tree_util.tree_map(
            lambda t: values[id(t)] if isinstance(t, KerasTensor) else t,
            tree,
            is_leaf=lambda t: isinstance(t, KerasTensor),
        )

    for node in model._nodes:
        layer = node.layer
        if id(layer) not in clones:
            clones[id(layer)] = _checked(clone_function(layer), layer)
        kwargs = {k: v for k, v in substitute(node.kwargs).items() if k != "training"}
        outputs = clones[id(layer)](substitute(node.inputs), *substitute(node.args), **kwargs)
        old_leaves = jax.tree_util.tree_leaves(node.outputs, is_leaf=lambda t: isinstance(t, KerasTensor))
        new_leaves = jax.tree_util.tree_leaves(outputs, is_leaf=lambda t: isinstance(t, KerasTensor))
        for old, new in zip(old_leaves, new_leaves):
            values[id(old)] = new
    inputs = jax.tree_util.tree_unflatten(
        jax.tree_util.tree_structure(model._input_struct, is_leaf=lambda t: isinstance(t, KerasTensor)), new_inputs
    )
    return Functional(inputs, substitute(model._output_struct), name=model.name)
