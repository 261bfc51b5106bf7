"""Symbolic tensors: what `keras.Input` returns and what layers return when called on one.

A `KerasTensor` carries a shape (batch axis first, possibly None), a dtype, and the node that
produced it. Calling a layer on symbolic tensors builds the layer, infers the output shapes
abstractly with `jax.eval_shape` (no computation), and records a `Node` so that models can be
assembled from the graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp

from jeras.backend.variables import StatelessScope


class KerasTensor:
    """A placeholder for a tensor in a model being defined."""

    def __init__(self, shape: tuple, dtype: str, *, name: str | None = None, node: Node | None = None, index: int = 0):
        self.shape = tuple(shape)
        self.dtype = str(dtype)
        self.name = name
        self.node = node
        self.index = index

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        origin = self.node.layer.name if self.node is not None else "?"
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name or origin}>"

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other) -> bool:
        return self is other


@dataclass(eq=False)
class Node:
    """One call of a layer on symbolic inputs."""

    layer: Any
    inputs: Any
    outputs: Any
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)

    @property
    def input_tensors(self) -> list[KerasTensor]:
        leaves = jax.tree_util.tree_leaves((self.inputs, self.args, self.kwargs), is_leaf=_is_symbolic)
        return [t for t in leaves if isinstance(t, KerasTensor)]


def _is_symbolic(x) -> bool:
    return isinstance(x, KerasTensor)


# Unknown dimensions (None) are traced at two different sizes; an output dimension that
# follows the size is unknown too. The sizes are far apart, so that an axis divided by a
# pooling factor still differs between the two traces.
_PROBE_SIZES = (97, 199)


def _probe(t: KerasTensor, size: int) -> jax.ShapeDtypeStruct:
    return jax.ShapeDtypeStruct(tuple(size if d is None else d for d in t.shape), jnp.dtype(t.dtype))


def call_symbolic(layer, inputs, args: tuple, kwargs: dict):
    """Calls `layer` on symbolic inputs: builds it, infers output specs, records a Node."""
    kwargs = {k: v for k, v in kwargs.items() if not (k == "training" and v is None)}
    layer._maybe_build(inputs)

    leaves, treedef = jax.tree_util.tree_flatten((inputs, args, kwargs), is_leaf=_is_symbolic)
    positions = [i for i, leaf in enumerate(leaves) if _is_symbolic(leaf)]
    tensors = [leaves[i] for i in positions]

    def abstract(*values):
        # Only the tensors are abstract; other arguments (training=True, axis=...) stay Python
        # values. The throwaway scope drops any assign() made while inferring shapes.
        filled = list(leaves)
        for i, value in zip(positions, values):
            filled[i] = value
        inputs_, args_, kwargs_ = jax.tree_util.tree_unflatten(treedef, filled)
        with StatelessScope():
            return layer.call(inputs_, *args_, **_with_training(layer, kwargs_))

    sizes = _PROBE_SIZES if any(None in t.shape for t in tensors) else _PROBE_SIZES[:1]
    traces = []
    for size in sizes:
        try:
            traces.append(jax.eval_shape(abstract, *[_probe(t, size) for t in tensors]))
        except (TypeError, ValueError) as err:
            shapes = jax.tree_util.tree_map(lambda t: t.shape, inputs, is_leaf=_is_symbolic)
            raise ValueError(
                f"Layer '{layer.name}' ({type(layer).__name__}) cannot be called on inputs of shape {shapes}: {err}"
            ) from err
    node = Node(layer=layer, inputs=inputs, outputs=None, args=args, kwargs=kwargs)
    layer._inbound_nodes.append(node)
    leaves, treedef = jax.tree_util.tree_flatten(traces[0])
    other = jax.tree_util.tree_leaves(traces[-1])
    outs = [
        KerasTensor(
            tuple(d if d == e else None for d, e in zip(s.shape, o.shape)),
            s.dtype.name,
            node=node,
            index=i,
        )
        for i, (s, o) in enumerate(zip(leaves, other))
    ]
    node.outputs = jax.tree_util.tree_unflatten(treedef, outs)
    return node.outputs


def _with_training(layer, kwargs: dict) -> dict:
    if layer._call_accepts_training:
        kwargs = dict(kwargs)
        kwargs["training"] = bool(kwargs.get("training") or False)
    else:
        kwargs = {k: v for k, v in kwargs.items() if k != "training"}
    return kwargs
