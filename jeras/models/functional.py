"""Functional models: `Model(inputs, outputs)` built from a graph of layer calls.

Calling layers on `keras.Input` tensors records `Node`s (see `jeras.layers.symbolic`). A
`Functional` model walks back from its outputs to its inputs, checks that the graph is
connected and that layer names are unique, orders the nodes, and replays them on real arrays
in `call`. Its config is the tf.keras one (`layers` with `inbound_nodes`, `input_layers`,
`output_layers`), so architectures round-trip through JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax

from jeras.layers.input_layer import InputLayer
from jeras.layers.layer import Layer
from jeras.layers.symbolic import KerasTensor, Node
from jeras.models.model import Model


def _is_symbolic(x) -> bool:
    return isinstance(x, KerasTensor)


def _symbolic_leaves(tree) -> list[KerasTensor]:
    return [t for t in jax.tree_util.tree_leaves(tree, is_leaf=_is_symbolic) if _is_symbolic(t)]


def _check_structure(tree, *, argument: str) -> None:
    leaves = jax.tree_util.tree_leaves(tree, is_leaf=_is_symbolic)
    bad = [leaf for leaf in leaves if not _is_symbolic(leaf)]
    if bad or not leaves:
        raise TypeError(
            f"Model {argument} must be symbolic tensors from keras.Input(...) or from calling layers on them "
            f"(a single tensor, a list or a dict). Received: {argument}={tree!r}"
        )


class Functional(Model):
    """A model defined by its input and output tensors.

    Args:
        inputs: a `keras.Input` tensor, or a list or dict of them.
        outputs: the output tensor(s) computed from `inputs`: a tensor, a list or a dict.
        name: the model's name; default `model`, `model_1`, ...

    Example:
        >>> inputs = keras.Input(shape=[8])
        >>> outputs = keras.layers.Dense(1)(keras.layers.Dense(30, activation="relu")(inputs))
        >>> model = keras.Model(inputs=inputs, outputs=outputs)
    """

    def __init__(self, inputs, outputs, name: str | None = None, trainable: bool = True, **kwargs: Any):
        if name is None:
            from jeras import backend

            name = backend.unique_name("model")
        super().__init__(name=name, trainable=trainable, **kwargs)
        _check_structure(inputs, argument="inputs")
        _check_structure(outputs, argument="outputs")
        if isinstance(inputs, (list, tuple)) and len(inputs) == 1:
            inputs = inputs[0]
        self._input_struct = inputs
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            # As tf.keras 2 and Keras 3: `outputs=[out]` makes a single-output model whose
            # predictions are one array, not a list of one (a saved and reloaded model agrees).
            outputs = outputs[0]
        self._output_struct = list(outputs) if isinstance(outputs, tuple) else outputs
        self._input_tensors = _symbolic_leaves(inputs)
        self._output_tensors = _symbolic_leaves(self._output_struct)
        for t in self._input_tensors:
            if t.node is None or not isinstance(t.node.layer, InputLayer):
                raise ValueError(
                    f"Model inputs must come from keras.Input(...) (an InputLayer). Received: inputs containing {t!r}"
                )
        self._nodes = self._order_nodes()
        self._check_names()
        for layer in self._graph_layers():
            if not isinstance(layer, InputLayer) and all(layer is not s for s in self._sublayers):
                self._sublayers.append(layer)
        self._input_shapes = [tuple(t.shape) for t in self._input_tensors]
        self._output_specs = [tuple(t.shape) for t in self._output_tensors]
        self._input_count = len(self._input_tensors)
        self.built = True

    # ------------------------------------------------------------------ graph
    def _order_nodes(self) -> list[Node]:
        """Nodes between inputs and outputs, each after the nodes it reads from."""
        input_ids = {id(t) for t in self._input_tensors}
        ordered: list[Node] = []
        done: set[int] = set()
        visiting: set[int] = set()

        def visit(tensor: KerasTensor, path: str) -> None:
            if id(tensor) in input_ids:
                return
            node = tensor.node
            if node is None or isinstance(node.layer, InputLayer):
                raise ValueError(
                    f"Graph disconnected: the output depends on the input '{getattr(node.layer, 'name', tensor)}', "
                    f"which is not among the model inputs {[t.node.layer.name for t in self._input_tensors]}. "
                    f"Pass every input the outputs depend on. Received: inputs={self._input_tensors}"
                )
            if id(node) in done:
                return
            if id(node) in visiting:
                raise ValueError(f"The layer graph has a cycle through layer '{node.layer.name}'.")
            visiting.add(id(node))
            for parent in node.input_tensors:
                visit(parent, path)
            visiting.discard(id(node))
            done.add(id(node))
            ordered.append(node)

        for out in self._output_tensors:
            visit(out, "outputs")
        return ordered

    def _graph_layers(self) -> list[Layer]:
        """Layers in graph order: the input layers first, then each layer at its first call."""
        layers: list[Layer] = [t.node.layer for t in self._input_tensors]
        for node in self._nodes:
            if all(node.layer is not known for known in layers):
                layers.append(node.layer)
        return layers

    def _check_names(self) -> None:
        seen: dict[str, Layer] = {}
        for layer in self._graph_layers():
            other = seen.get(layer.name)
            if other is not None and other is not layer:
                raise ValueError(
                    f"The name '{layer.name}' is used by {2} different layers in the model. All layer names "
                    f"should be unique: pass a distinct `name=`. Received: duplicate layer name {layer.name!r}"
                )
            seen[layer.name] = layer

    @property
    def layers(self) -> list[Layer]:
        """All layers, input layers included, in graph order (as tf.keras 2.x lists them)."""
        return self._graph_layers()

    @property
    def inputs(self) -> list[KerasTensor]:
        return list(self._input_tensors)

    @property
    def outputs(self) -> list[KerasTensor]:
        return list(self._output_tensors)

    @property
    def input_names(self) -> list[str]:
        if isinstance(self._input_struct, Mapping):
            return sorted(self._input_struct)
        return [t.node.layer.name for t in self._input_tensors]

    @property
    def output_names(self) -> list[str]:
        if isinstance(self._output_struct, Mapping):
            return sorted(self._output_struct)
        return [t.node.layer.name for t in self._output_tensors]

    @property
    def input_shape(self):
        shapes = [tuple(t.shape) for t in self._input_tensors]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [tuple(t.shape) for t in self._output_tensors]
        return shapes[0] if len(shapes) == 1 else shapes

    # ------------------------------------------------------------------ data plumbing
    def _ensure_built(self, xs) -> None:
        return None

    def _input_specs(self) -> list[tuple[tuple | None, str | None]]:
        return [(tuple(t.shape), t.node.layer.dtype) for t in self._input_tensors]

    def _flatten_inputs(self, x, *, argument: str = "x") -> list:
        """Orders user inputs like the model's inputs (dicts by input name)."""
        if isinstance(x, Mapping):
            names = self.input_names
            unknown = [k for k in x if k not in names]
            missing = [k for k in names if k not in x]
            if unknown or missing:
                raise ValueError(
                    f"{argument} is a dict whose keys must be the model's input names {names}. "
                    f"Missing: {missing}; unknown: {unknown}. Received: {argument} keys {list(x)}"
                )
            return [x[name] for name in names]
        return None

    def _structure_inputs(self, arrays: list):
        if isinstance(self._input_struct, Mapping):
            return dict(zip(self.input_names, arrays))
        return arrays[0] if len(arrays) == 1 and _is_symbolic(self._input_struct) else list(arrays)

    def _output_shapes(self) -> list[tuple]:
        if isinstance(self._output_struct, Mapping):
            return [tuple(self._output_struct[k].shape) for k in sorted(self._output_struct)]
        return [tuple(t.shape) for t in self._output_tensors]

    # ------------------------------------------------------------------ computation
    def call(self, inputs, training: bool | None = None):
        if isinstance(inputs, Mapping):
            flat = self._flatten_inputs(inputs, argument="inputs")
        elif isinstance(inputs, (list, tuple)):
            flat = list(inputs)
        else:
            flat = [inputs]
        if len(flat) != len(self._input_tensors):
            raise ValueError(
                f"Model '{self.name}' expects {len(self._input_tensors)} input(s) but was called on {len(flat)}. "
                f"Received: inputs with {len(flat)} item(s)"
            )
        values: dict[int, Any] = {id(t): v for t, v in zip(self._input_tensors, flat)}

        def substitute(tree):
            return jax.tree_util.tree_map(lambda t: values[id(t)] if _is_symbolic(t) else t, tree, is_leaf=_is_symbolic)

        for node in self._nodes:
            kwargs = {k: v for k, v in substitute(node.kwargs).items() if k != "training"}
            out = node.layer(substitute(node.inputs), *substitute(node.args), training=training, **kwargs)
            for tensor, value in zip(_symbolic_leaves(node.outputs), jax.tree_util.tree_leaves(out)):
                values[id(tensor)] = value
        return jax.tree_util.tree_map(lambda t: values[id(t)], self._output_struct, is_leaf=_is_symbolic)

    # ------------------------------------------------------------------ summary
    _summary_header = ("Layer (type)", "Output Shape", "Param #", "Connected to")
    _summary_width = 98
    _summary_positions = (0.33, 0.55, 0.67, 1.0)

    def _node_index(self, node: Node) -> int:
        own = [n for n in node.layer._inbound_nodes if n in self._model_nodes()]
        return own.index(node) if node in own else 0

    def _model_nodes(self) -> list[Node]:
        return [t.node for t in self._input_tensors] + self._nodes

    def _tensor_ref(self, tensor: KerasTensor) -> tuple[str, int, int]:
        node = tensor.node
        return node.layer.name, self._node_index(node), _symbolic_leaves(node.outputs).index(tensor)

    def _summary_rows(self) -> list[tuple]:
        rows = []
        for layer in self.layers:
            nodes = [n for n in self._model_nodes() if n.layer is layer]
            shapes = [tuple(t.shape) for n in nodes[:1] for t in _symbolic_leaves(n.outputs)]
            shape = [shapes[0]] if isinstance(layer, InputLayer) else (shapes[0] if len(shapes) == 1 else shapes)
            inbound = [f"{name}[{ni}][{ti}]" for n in nodes for name, ni, ti in map(self._tensor_ref, n.input_tensors)]
            params = layer.count_params() if layer.built else 0
            rows.append((f"{layer.name} ({type(layer).__name__})", shape, params, [f"'{r}'" for r in inbound]))
        return rows

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        from jeras.layers import serialize

        layers = []
        for layer in self.layers:
            inbound = []
            for node in (n for n in self._model_nodes() if n.layer is layer and not isinstance(layer, InputLayer)):
                call_kwargs = {k: v for k, v in node.kwargs.items() if k != "training" and not _symbolic_leaves(v)}
                inbound.append([[*self._tensor_ref(t), call_kwargs] for t in node.input_tensors])
            entry = serialize(layer)
            entry["name"] = layer.name
            entry["inbound_nodes"] = inbound
            layers.append(entry)
        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": layers,
            "input_layers": _refs(self._input_struct, self._tensor_ref),
            "output_layers": _refs(self._output_struct, self._tensor_ref),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict | None = None) -> Functional:
        from jeras.layers import deserialize

        try:
            layer_items = list(config["layers"])
            input_refs, output_refs = config["input_layers"], config["output_layers"]
        except (KeyError, TypeError) as err:
            raise ValueError(
                f"A functional model config needs 'layers', 'input_layers' and 'output_layers'. Received: keys {sorted(config) if isinstance(config, dict) else config!r}"
            ) from err
        created: dict[str, Layer] = {}
        outputs: dict[tuple[str, int], list[KerasTensor]] = {}
        pending = []
        for item in layer_items:
            layer = deserialize(
                {"class_name": item["class_name"], "config": item["config"]}, custom_objects=custom_objects
            )
            created[item["name"]] = layer
            if isinstance(layer, InputLayer):
                outputs[(item["name"], 0)] = [layer.output]
            pending.extend((layer, item["name"], i, node) for i, node in enumerate(item.get("inbound_nodes", [])))
        while pending:
            progressed = False
            for entry in list(pending):
                layer, name, index, node_refs = entry
                keys = [(ref[0], ref[1]) for ref in node_refs]
                if not all(k in outputs for k in keys):
                    continue
                tensors = [outputs[(ref[0], ref[1])][ref[2]] for ref in node_refs]
                kwargs = node_refs[0][3] if node_refs and len(node_refs[0]) > 3 else {}
                result = layer(tensors[0] if len(tensors) == 1 else tensors, **kwargs)
                outputs[(name, index)] = _symbolic_leaves(result)
                pending.remove(entry)
                progressed = True
            if not progressed:
                raise ValueError(
                    f"The model config's layer graph cannot be rebuilt: unresolved inbound nodes of {[e[1] for e in pending]}."
                )
        resolve = lambda ref: outputs[(ref[0], ref[1])][ref[2]]  # noqa: E731
        return cls(
            _unrefs(input_refs, resolve),
            _unrefs(output_refs, resolve),
            name=config.get("name"),
            trainable=config.get("trainable", True),
        )


def _refs(struct, to_ref):
    if isinstance(struct, Mapping):
        return {k: list(to_ref(v)) for k, v in struct.items()}
    if _is_symbolic(struct):
        return [list(to_ref(struct))]
    return [list(to_ref(t)) for t in struct]


def _unrefs(refs, resolve):
    if isinstance(refs, Mapping):
        return {k: resolve(v) for k, v in refs.items()}
    tensors = [resolve(r) for r in refs]
    return tensors[0] if len(tensors) == 1 else tensors
