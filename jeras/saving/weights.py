"""Which arrays a model's weight files hold, in which order, and how they are matched on loading.

Two layouts exist, both read and written here:

* **Per-layer groups** (tf.keras 2.x HDF5, used by `.h5` files and checkpoints): one group per
  entry of `model.layers`, named after the layer, with a `weight_names` attribute listing its
  datasets (`dense/kernel:0`, ...) in the order of the layer's weights, trainable ones first.
  The group's `layer_names` attribute lists the layers. Weights of the model object itself
  go in `top_level_model_weights`, as Keras 3 writes them. Loading matches layers that have
  weights by position (or by name with `by_name=True`).
* **Object paths** (Keras 3, used by `.weights.h5` files and `.keras` archives): each layer's
  own variables go in `<path>/vars/0`, `<path>/vars/1`, ... where the path follows the
  attributes that lead to the layer, visited in sorted order: the attribute name for a
  layer held directly, and for a layer in a list (such as `model.layers`, which comes first
  for `Sequential` and functional models) the list's name and the layer's class in snake
  case, `_1`, `_2`, ... for repeats (`layers/dense`, `layers/dense_1`). Layer names do not
  enter the paths, so two separately built copies of a model match. The `vars` group has a
  `name` attribute with the layer's name, used by `by_name=True`.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import h5py
import jax
import numpy as np

from jeras import backend
from jeras.saving import h5_store, notices

TOP_LEVEL = "top_level_model_weights"
# The tf.keras version whose HDF5 layout these files follow (readers check it for old formats).
KERAS_LAYOUT_VERSION = "2.15.0"


# ---------------------------------------------------------------------- what a layer holds
def own_variables(layer) -> list:
    """A layer's own variables (not its sublayers'), trainable ones first, as Keras stores them."""
    weights = layer._own_weights
    return [v for v in weights if v.trainable] + [v for v in weights if not v.trainable]


def group_variables(layer) -> list:
    """A layer's variables with those of its sublayers, in the order of its per-layer group.

    Trainable-flagged variables come first, then the others, whether or not the layer is
    frozen at the moment, so freezing a layer does not change how its file is read.
    """
    layers = [sub for sub, _ in layer._all_layers()]
    return [v for sub in layers for v in own_variables(sub) if v.trainable] + [
        v for sub in layers for v in own_variables(sub) if not v.trainable
    ]


def _is_layer_graph(model) -> bool:
    """Sequential and functional models, whose `layers` list comes first in Keras 3 paths."""
    import jeras.models

    graph_classes = tuple(
        cls for cls in (jeras.models.Sequential, getattr(jeras.models, "Functional", None)) if isinstance(cls, type)
    )
    return isinstance(model, graph_classes) or bool(getattr(model, "_is_graph_network", False))


def check_built(model, filepath: Any, action: str) -> None:
    """Raises a ValueError when the model has not created its weights yet (a subclassed model
    called on data has weights even though `built` may still be False)."""
    if not model.built and not model.weights:
        raise ValueError(
            f"Cannot {action} '{h5_store.describe(filepath)}': model '{model.name}' has not created its weights yet. "
            "Build it first: give the first layer an input_shape, call model.build(input_shape), or call the "
            f"model on a batch of data. Received: an unbuilt {type(model).__name__}"
        )


def _check_has_variables(model, filepath: Any) -> None:
    """Raises a clear ValueError when a file with weights meets a model that has created none,
    typically a subclassed model rebuilt from its config without a recorded input shape."""
    if model.built or model.weights:
        return
    raise ValueError(
        f"The file '{h5_store.describe(filepath)}' holds weights, but model '{model.name}' "
        f"({type(model).__name__}) has not created its weights, so they cannot be loaded. A subclassed model "
        "creates them when first built; the saved config records its input shape only when the model was built "
        "with fit() or build(). Call model.build(input_shape) before saving, or rebuild the model, build it, and "
        f"use load_weights(). Received: an unbuilt {type(model).__name__}"
    )


# ---------------------------------------------------------------------- object paths
def object_paths(model) -> list[tuple[str, Any]]:
    """`(path, layer)` for the model and every layer reachable from it, in Keras 3's order."""
    from jeras.layers import Layer
    from jeras.models import Model

    out: list[tuple[str, Any]] = []
    visited: set[int] = set()

    def join(path: str, name: str) -> str:
        return f"{path}/{name}" if path else name

    def children(obj) -> Iterable[tuple[str, Any]]:
        if _is_layer_graph(obj):
            yield "layers", obj.layers
        names = {name for name in vars(obj) if not name.startswith("_")}
        if isinstance(obj, Model):
            names.add("layers")
        for name in sorted(names):
            yield name, obj.layers if name == "layers" else getattr(obj, name)

    def visit(obj, path: str) -> None:
        if id(obj) in visited:
            return
        visited.add(id(obj))
        out.append((path, obj))
        for name, child in children(obj):
            if isinstance(child, Layer):
                visit(child, join(path, name))
            elif isinstance(child, (list, tuple, dict)):
                visit_container(child, join(path, name), set())

    def visit_container(items, path: str, seen: set[int]) -> None:
        if id(items) in seen:
            return
        seen.add(id(items))
        used: dict[str, int] = {}
        for item in items.values() if isinstance(items, dict) else items:
            if isinstance(item, Layer):
                visit(item, join(path, _unique(backend.to_snake_case(type(item).__name__), used)))
            elif isinstance(item, (list, tuple, dict)):
                visit_container(item, join(path, _unique("container", used)), seen)

    visit(model, "")
    return out


def _unique(name: str, used: dict[str, int]) -> str:
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def _vars_path(path: str) -> str:
    return f"{path}/vars" if path else "vars"


def write_object_paths(root: h5py.Group, model) -> None:
    """Writes each layer's own variables under `<path>/vars/<i>`."""
    for path, layer in object_paths(model):
        group = root.require_group(_vars_path(path))
        group.attrs["name"] = layer.name
        for i, variable in enumerate(own_variables(layer)):
            h5_store.write_array(group, str(i), variable.numpy())


def _vars_groups(root: h5py.Group) -> dict[str, h5py.Group]:
    """Every `vars` group in the file (outside the optimizer's), by path."""
    found: dict[str, h5py.Group] = {}

    def visit(name: str, obj) -> None:
        if isinstance(obj, h5py.Group) and name.split("/")[-1] == "vars" and not name.startswith("optimizer/"):
            found[name] = obj

    if "vars" in root and isinstance(root["vars"], h5py.Group):
        found["vars"] = root["vars"]
    root.visititems(visit)
    return found


def _read_vars(group: h5py.Group) -> list[np.ndarray]:
    count = len(group)
    missing = [str(i) for i in range(count) if str(i) not in group]
    if missing:
        raise KeyError(f"the variables of '{group.name}' are not numbered 0..{count - 1}")
    return [h5_store.read_array(group[str(i)]) for i in range(count)]


def load_object_paths(root: h5py.Group, model, *, filepath: Any, by_name: bool, skip_mismatch: bool) -> None:
    """Loads weights written in the Keras 3 layout into `model` (see the module docstring)."""
    with h5_store.reading(filepath, "weights"):
        groups = _vars_groups(root)
        saved = {path: _read_vars(group) for path, group in groups.items() if len(group)}
        saved_names: dict[str, list[str]] = {}
        for path, group in groups.items():
            if len(group):
                saved_names.setdefault(h5_store.read_text(group.attrs, "name") or "", []).append(path)
    if saved:
        _check_has_variables(model, filepath)
    pairs: list[tuple[Any, list[np.ndarray], str]] = []
    used: set[str] = set()
    for path, layer in object_paths(model):
        variables = own_variables(layer)
        if by_name:
            paths = saved_names.get(layer.name, [])
            if len(paths) > 1:
                raise ValueError(
                    f"The file '{h5_store.describe(filepath)}' holds {len(paths)} weight groups named "
                    f"'{layer.name}' ({paths}), so by_name=True cannot choose. Received: by_name=True"
                )
            if not paths:
                continue
            key = paths[0]
        else:
            key = _vars_path(path)
            if key not in saved:
                if variables:
                    _mismatch(
                        skip_mismatch,
                        f"The file '{h5_store.describe(filepath)}' has no weights for layer '{layer.name}' "
                        f"(expected at '{key}'). Saved weight groups: {sorted(saved)}. The model's architecture "
                        "differs from the saved one",
                    )
                continue
        used.add(key)
        pairs.append((layer, saved[key], key))
    unused = sorted(set(saved) - used)
    if unused and not by_name:
        _mismatch(
            skip_mismatch,
            f"The file '{h5_store.describe(filepath)}' holds weights that match no layer of model '{model.name}': "
            f"{unused}. The model's architecture differs from the saved one",
        )
    assign_checked(
        [(own_variables(layer), values, f"layer '{layer.name}' ({key})") for layer, values, key in pairs],
        filepath=filepath,
        skip_mismatch=skip_mismatch,
    )


# ---------------------------------------------------------------------- per-layer groups
def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if name in seen:
            seen[name] += 1
            stem, colon, index = name.rpartition(":")
            name = f"{stem}_{seen[name]}:{index}" if colon else f"{name}_{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


def _write_group(group: h5py.Group, variables: list) -> None:
    names = _unique_names([f"{v.path}:0" for v in variables])
    h5_store.write_names(group, "weight_names", names)
    for name, variable in zip(names, variables):
        h5_store.write_array(group, name, variable.numpy())


def write_layer_groups(root: h5py.Group, model) -> None:
    """Writes one group per layer of `model.layers` (tf.keras 2.x layout) into `root`."""
    from jeras import __version__

    layers = model.layers
    names = [layer.name for layer in layers]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(
            f"Model '{model.name}' has several layers named {duplicates}; the HDF5 weight layout keys layers by name. "
            f"Give them unique names. Received: layer names {names}"
        )
    h5_store.write_names(root, "layer_names", names)
    root.attrs["backend"] = "jax"
    root.attrs["keras_version"] = KERAS_LAYOUT_VERSION
    root.attrs["jeras_version"] = __version__
    for layer in layers:
        _write_group(root.create_group(layer.name), group_variables(layer))
    _write_group(root.create_group(TOP_LEVEL), own_variables(model))


def _read_group(group: h5py.Group) -> list[np.ndarray]:
    names = h5_store.read_names(group, "weight_names") or []
    return [h5_store.read_array(group[name]) for name in names]


def load_layer_groups(root: h5py.Group, model, *, filepath: Any, by_name: bool, skip_mismatch: bool) -> None:
    """Loads weights written in the per-layer layout (by jeras, tf.keras or Keras 3) into `model`."""
    with h5_store.reading(filepath, "weights"):
        layer_names = h5_store.read_names(root, "layer_names")
        if layer_names is None:
            raise KeyError("no 'layer_names' attribute, so this is not a Keras HDF5 weights group")
        saved = {name: _read_group(root[name]) for name in layer_names}
        top = _read_group(root[TOP_LEVEL]) if TOP_LEVEL in root else []
    if top or any(saved.values()):
        _check_has_variables(model, filepath)
    triples: list[tuple[list, list[np.ndarray], str]] = []
    if by_name:
        for layer in model.layers:
            if layer.name in saved and (saved[layer.name] or group_variables(layer)):
                triples.append((group_variables(layer), saved[layer.name], f"layer '{layer.name}'"))
    else:
        layers = [layer for layer in model.layers if group_variables(layer)]
        stored = [name for name in layer_names if saved[name]]
        if len(layers) != len(stored):
            raise ValueError(
                f"Layer count mismatch when loading weights from '{h5_store.describe(filepath)}': model "
                f"'{model.name}' has {len(layers)} layers with weights ({[la.name for la in layers]}), the file "
                f"holds weights for {len(stored)} ({stored}). Received: a file of another architecture"
            )
        for layer, name in zip(layers, stored):
            triples.append((group_variables(layer), saved[name], f"layer '{layer.name}' (saved as '{name}')"))
    if top or own_variables(model):
        triples.append((own_variables(model), top, f"the weights of model '{model.name}' itself"))
    assign_checked(triples, filepath=filepath, skip_mismatch=skip_mismatch)


# ---------------------------------------------------------------------- assignment
def _mismatch(skip: bool, message: str) -> None:
    if skip:
        notices.warn(f"Skipping: {message}.")
        return
    raise ValueError(f"{message}. Pass skip_mismatch=True to skip such weights. Received: skip_mismatch=False")


def assign_checked(triples: list[tuple[list, list[np.ndarray], str]], *, filepath: Any, skip_mismatch: bool) -> None:
    """Assigns saved arrays to variables after checking every count and shape first.

    Nothing is assigned when a check fails (unless `skip_mismatch`, which skips the
    mismatching entries with a warning), so a failed load leaves the model as it was; Ctrl-C
    while the values are assigned is raised once all are (docs/architecture.md, "Interruptions").
    """
    accepted = []
    for variables, values, what in triples:
        shapes = [tuple(v.shape) for v in variables]
        saved = [tuple(a.shape) for a in values]
        if len(variables) != len(values) or shapes != saved:
            _mismatch(
                skip_mismatch,
                f"The weights of {what} in '{h5_store.describe(filepath)}' do not fit: the model expects "
                f"{len(variables)} arrays of shapes {shapes}, the file holds {len(values)} of shapes {saved}",
            )
            continue
        accepted.append((variables, values))
    with deferred_interrupts():
        for variables, values in accepted:
            for variable, value in zip(variables, values):
                variable.assign(value)


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Holds back Ctrl-C (SIGINT) until the block ends, so a load assigns all its values or none.

    Only in the main thread, and only while Python's own SIGINT handler is installed; the
    `KeyboardInterrupt` is raised as the block ends.
    """
    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return
    received: list[int] = []
    signal.signal(signal.SIGINT, lambda number, frame: received.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if received:
        raise KeyboardInterrupt


# ---------------------------------------------------------------------- optimizer state
def optimizer_state(model) -> list[np.ndarray] | None:
    """The optimizer state's leaves when it belongs to the model's current trainable variables."""
    optimizer = model.optimizer
    if optimizer is None or optimizer.state is None:
        return None
    if optimizer.state_belongs_to(model.trainable_variables):
        return optimizer.get_weights()
    notices.warn(
        f"The state of optimizer '{optimizer.name}' was built for other variables than the current trainable "
        f"variables of model '{model.name}' (a layer was frozen or unfrozen since); it is not saved."
    )
    return None


def state_names(model) -> list[str]:
    """Readable names of the optimizer state's leaves (`Adam/count`, `Adam/1/mu/0`, ...)."""
    optimizer = model.optimizer
    paths = jax.tree_util.tree_flatten_with_path(optimizer.state)[0]
    names = []
    for path, _ in paths:
        parts = [str(getattr(k, "name", getattr(k, "key", getattr(k, "idx", k)))) for k in path]
        names.append("/".join([optimizer.name, *parts]))
    return _unique_names(names)


def restore_optimizer_state(model, arrays: list[np.ndarray], filepath: Any) -> bool:
    """Rebuilds the optimizer state for the model's trainable variables and fills it with `arrays`.

    The next `fit` (or `apply_gradients`) then continues from this state exactly. A state of
    another structure (another optimizer class or settings) is not loaded: a warning says
    so and the optimizer starts fresh, as tf.keras does.

    Returns:
        Whether the state was restored.
    """
    optimizer = model.optimizer
    variables = list(model.trainable_variables)
    optimizer.state = optimizer.init([v.value for v in variables])
    try:
        optimizer.set_weights(arrays)
    except ValueError as err:
        optimizer.state = None
        notices.warn(
            f"The optimizer state saved in '{h5_store.describe(filepath)}' does not fit optimizer "
            f"'{optimizer.name}' ({err}); the model is compiled with a freshly initialized optimizer."
        )
        return False
    optimizer.adopt_state(optimizer.state, variables)
    optimizer._built_variables = variables
    return True


def write_optimizer_group(root: h5py.Group, model, arrays: list[np.ndarray]) -> None:
    """Writes the optimizer state as tf.keras 2.x does: datasets named in a `weight_names` attribute."""
    names = state_names(model)
    h5_store.write_names(root, "weight_names", names)
    for name, value in zip(names, arrays):
        h5_store.write_array(root, name, value)


def read_optimizer_group(root: h5py.Group, filepath: Any) -> list[np.ndarray]:
    with h5_store.reading(filepath, "the optimizer state"):
        return _read_group(root)


def stored_values(root: Any, *, skip: str | None = None) -> int:
    """How many numbers the datasets under `root` hold (those under the group `skip` left out).

    Rebuilding a model from a file's config may create no more weight values than this
    (`jeras.backend.allocation`), so a damaged config cannot allocate more than the file holds.
    """
    if not isinstance(root, h5py.Group):
        return 0
    total = 0

    def count(name: str, obj) -> None:
        nonlocal total
        if isinstance(obj, h5py.Dataset) and not (skip and (name == skip or name.startswith(skip + "/"))):
            total += int(obj.size)

    root.visititems(count)
    return total


def is_jeras_file(attrs: h5py.AttributeManager) -> bool:
    """Whether an HDF5 file (or group) was written by jeras, whose optimizer state it can restore."""
    return "jeras_version" in attrs
