"""Checks of a model config's structure before anything is built from it.

A config read from a file or a JSON string may be damaged or tampered with. Before any layer
is constructed, `check_model_config` walks it (in jeras's form, after
`jeras.saving.keras3_config`) and raises a `ConfigError` naming the place and the field for:
an object that is not `{"class_name": <string>, "config": <dict>}`, a `layers` entry that is
not a list, a functional layer without a name, inbound nodes or tensor references of the wrong
shape, references to layers the config does not define, and a `build_config` input shape that
is not a shape or whose one-row batch exceeds the weight limit. The sizes the layers' settings
ask for are capped while the model is built (`jeras.backend.allocation`).

See docs/architecture.md, "Files that cannot hang or crash a load".
"""

from __future__ import annotations

import math
from typing import Any

from jeras.serialization import ConfigError


def _fail(path: str, expected: str, value: Any) -> None:
    raise ConfigError(f"{path} {expected}. Received: {path.rsplit('[', 1)[-1].strip(']')}={str(value)[:200]}")


def _is_index(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_ref(ref: Any, path: str, names: set[str]) -> None:
    """One tensor reference: `[layer name, node index, tensor index]` (tf.keras 2.x form)."""
    if not isinstance(ref, list) or len(ref) < 3 or not isinstance(ref[0], str):
        _fail(path, "must be a reference [layer name, node index, tensor index]", ref)
    if not (_is_index(ref[1]) and _is_index(ref[2])):
        _fail(path, "must hold non-negative integer node and tensor indices", ref)
    if ref[0] not in names:
        _fail(path, f"refers to the layer {ref[0]!r}, which the config does not define", ref)
    if len(ref) > 3 and not isinstance(ref[3], dict):
        _fail(path, "must hold the call's keyword arguments as a dict", ref)


def _check_refs(refs: Any, path: str, names: set[str]) -> None:
    if isinstance(refs, dict):
        for key, ref in refs.items():
            _check_ref(ref, f"{path}[{key!r}]", names)
    elif isinstance(refs, list) and refs:
        for i, ref in enumerate(refs):
            _check_ref(ref, f"{path}[{i}]", names)
    else:
        _fail(path, "must be a non-empty list (or dict) of layer references", refs)


def _check_functional(inner: dict, path: str) -> None:
    layers = inner["layers"]
    names: set[str] = set()
    for i, item in enumerate(layers):
        name = item.get("name")
        if not isinstance(name, str) or not name:
            _fail(f"{path}['layers'][{i}]['name']", "must be the layer's name (a string)", name)
        names.add(name)
    for i, item in enumerate(layers):
        nodes = item.get("inbound_nodes", [])
        where = f"{path}['layers'][{i}]['inbound_nodes']"
        if not isinstance(nodes, list):
            _fail(where, "must be a list of nodes", nodes)
        for j, node in enumerate(nodes):
            if not isinstance(node, list) or not node:
                _fail(f"{where}[{j}]", "must be a non-empty list of tensor references", node)
            for k, ref in enumerate(node):
                _check_ref(ref, f"{where}[{j}][{k}]", names)
    for key in ("input_layers", "output_layers"):
        if key not in inner:
            _fail(f"{path}[{key!r}]", "is missing: a functional model config names its inputs and outputs", None)
        _check_refs(inner[key], f"{path}[{key!r}]", names)


def _check_object(obj: Any, path: str, depth: int = 0) -> None:
    if depth > 100:
        _fail(path, "nests models more than 100 levels deep", "...")
    if not isinstance(obj, dict):
        _fail(path, "must be a dict with 'class_name' and 'config'", obj)
    class_name = obj.get("class_name")
    if not isinstance(class_name, str) or not class_name:
        _fail(f"{path}['class_name']", "must be a class name (a string)", class_name)
    inner = obj.get("config", {})
    if not isinstance(inner, dict):
        _fail(f"{path}['config']", f"must be a dict of the settings of {class_name}", inner)
    if "layers" not in inner:
        return
    layers = inner["layers"]
    if not isinstance(layers, list):
        _fail(f"{path}['config']['layers']", "must be a list of layer configs", layers)
    for i, item in enumerate(layers):
        _check_object(item, f"{path}['config']['layers'][{i}]", depth + 1)
    if "input_layers" in inner or "output_layers" in inner or any("inbound_nodes" in item for item in layers):
        _check_functional(inner, f"{path}['config']")


def check_model_config(config: Any) -> None:
    """Raises `ConfigError` when a model config's structure is damaged (see the module docstring)."""
    _check_object(config, "config")


def check_input_shape(shape: Any, *, limit: int) -> None:
    """Checks a `build_config` input shape: a shape (or a list of shapes) whose one-row batch fits `limit` values."""
    shapes = shape if isinstance(shape, list) and shape and isinstance(shape[0], list) else [shape]
    for one in shapes:
        if not isinstance(one, list) or not all(d is None or _is_index(d) for d in one):
            _fail("build_config['input_shape']", "must be a shape: a list of non-negative integers or None", shape)
        row = math.prod(1 if d is None else d for d in one[1:])
        if row > limit:
            _fail(
                "build_config['input_shape']",
                f"asks for a batch of {row:,} values per row, beyond the limit of {limit:,} values",
                shape,
            )
