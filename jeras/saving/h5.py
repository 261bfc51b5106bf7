"""The HDF5 formats of tf.keras 2.x: whole models (`model.save("m.h5")`) and weights (`.h5`).

A model file holds, at its root:

* attribute `model_config`: JSON `{"class_name", "config"}` of the architecture;
* attribute `training_config`: JSON compile settings (`optimizer_config`, `loss`, `metrics`,
  `loss_weights`, `weighted_metrics`), when the model was compiled and `include_optimizer`;
* attributes `keras_version` (the tf.keras layout followed), `backend` and `jeras_version`;
* group `model_weights`: the weights in per-layer groups (see `jeras.saving.weights`);
* group `optimizer_weights`: the optimizer state, datasets listed in `weight_names`.

A weights file (`save_weights("w.h5")`) holds the per-layer groups at its root. Files written
by tf.keras and by Keras 3's legacy HDF5 saving have the same layout and load here too (their
optimizer state, which has another structure, is not restored).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import h5py

from jeras import __version__
from jeras.saving import h5_image, h5_store, json_config, notices, weights
from jeras.saving.atomic import write_bytes


def write_model(root: h5py.Group, model, *, include_optimizer: bool) -> None:
    """Writes the whole model into an open HDF5 file or group."""
    root.attrs["model_config"] = json_config.dumps(json_config.serialize_model(model))
    root.attrs["backend"] = "jax"
    root.attrs["keras_version"] = weights.KERAS_LAYOUT_VERSION
    root.attrs["jeras_version"] = __version__
    weights.write_layer_groups(root.create_group("model_weights"), model)
    compiled = json_config.compile_config(model) if include_optimizer else None
    if compiled is None:
        return
    training = {"optimizer_config": compiled.pop("optimizer"), **compiled}
    root.attrs["training_config"] = json_config.dumps(training)
    state = weights.optimizer_state(model)
    if state is not None:
        weights.write_optimizer_group(root.create_group("optimizer_weights"), model, state)


def save_model(model, filepath: Any, *, include_optimizer: bool) -> None:
    """Saves `model` as a sealed HDF5 file at `filepath` (atomically), or into an open `h5py.File`/`Group`."""
    json_config.check_savable(model)
    if isinstance(filepath, h5py.Group):
        write_model(filepath, model, include_optimizer=include_optimizer)
        return
    write_bytes(
        filepath, h5_image.build(lambda handle: write_model(handle, model, include_optimizer=include_optimizer))
    )


def read_model(
    root: h5py.Group, *, source: Any, custom_objects: Mapping[str, Any] | None, compile: bool, safe_mode: bool
):
    """Rebuilds, fills and (optionally) compiles the model stored in an open HDF5 file or group."""
    name = h5_store.describe(source)
    with h5_store.reading(source, "the model"):
        text = h5_store.read_text(root.attrs, "model_config")
        training_text = h5_store.read_text(root.attrs, "training_config")
        own = weights.is_jeras_file(root.attrs)
        has_weights = "model_weights" in root
        weights_only = "layer_names" in root.attrs or "layer_names0" in root.attrs or "vars" in root
        stored = weights.stored_values(root["model_weights"]) if has_weights else None
    if text is None:
        kind = "weights only (written by save_weights)" if weights_only else "no Keras model"
        raise ValueError(
            f"No model found in config of the file '{name}': it holds {kind}. Load weights into a model you build "
            f"with model.load_weights(filepath). Received: filepath={name!r}"
        )
    config = json_config.loads(text, source=name, what="model_config attribute")
    model = json_config.deserialize_model(
        config, custom_objects=custom_objects, safe_mode=safe_mode, source=f"the file '{name}'", stored_values=stored
    )
    if has_weights:
        weights.load_layer_groups(root["model_weights"], model, filepath=source, by_name=False, skip_mismatch=False)
    if not compile:
        return model
    training = (
        json_config.loads(training_text, source=name, what="training_config attribute") if training_text else None
    )
    if not training:
        notices.warn(
            f"No training configuration found in '{name}', so the model was *not* compiled. Compile it manually."
        )
        return model
    if not compile_saved(model, training, custom_objects=custom_objects, own=own, source=name):
        return model
    if "optimizer_weights" in root:
        if own:
            state = weights.read_optimizer_group(root["optimizer_weights"], source)
            weights.restore_optimizer_state(model, state, source)
        else:
            warn_foreign_optimizer(model, name)
    return model


def compile_saved(model, config: Mapping[str, Any], *, custom_objects, own: bool, source: str) -> bool:
    """Compiles a loaded model with its saved settings; returns whether it is compiled.

    Settings from jeras files must compile (a missing custom object is an error). Settings
    written by Keras may name things jeras lacks: the model is then left uncompiled with a
    warning, as Keras does when it cannot compile a loaded model.
    """
    try:
        json_config.compile_from_config(model, config, custom_objects)
    except (ValueError, TypeError) as err:
        if own:
            kind = ValueError if isinstance(err, ValueError) else TypeError
            raise kind(
                f"Could not compile the model loaded from '{source}' with its saved compile settings: {err} "
                "Pass the missing classes or functions in custom_objects, or load with compile=False."
            ) from err
        notices.warn(
            f"The model loaded from '{source}' was not compiled: its compile settings, written by Keras, could not "
            f"be restored ({err}). Compile it manually."
        )
        return False
    return True


def warn_foreign_optimizer(model, source: str) -> None:
    notices.warn(
        f"The optimizer state in '{source}' was written by Keras, whose optimizer variables jeras does not map; "
        f"the model is compiled with a freshly initialized optimizer '{model.optimizer.name}'."
    )


def load_model(path: Any, *, custom_objects, compile: bool, safe_mode: bool, data: bytes | None = None):
    """Loads a whole model from an HDF5 file path (whose bytes `data` may be given) or an open `h5py.File`/`Group`."""
    if isinstance(path, h5py.Group):
        return read_model(path, source=path, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)
    name = h5_store.describe(path)
    data = h5_image.read_file(path, "the model") if data is None else data
    with h5_image.open_checked(data, name, "the model") as handle:
        return read_model(handle, source=name, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def save_weights(model, path: str, *, layout: str) -> None:
    """Saves the model's weights atomically: `layout` is `"groups"` (tf.keras) or `"paths"` (Keras 3)."""

    def fill(handle: h5py.File) -> None:
        if layout == "paths":
            handle.attrs["jeras_version"] = __version__
            weights.write_object_paths(handle, model)
        else:
            weights.write_layer_groups(handle, model)

    write_bytes(path, h5_image.build(fill))


def load_weights_from(root: h5py.Group, model, *, source: Any, by_name: bool, skip_mismatch: bool) -> None:
    """Loads weights from an open HDF5 file of any supported layout into `model`."""
    if "layer_names" in root.attrs or "layer_names0" in root.attrs:
        weights.load_layer_groups(root, model, filepath=source, by_name=by_name, skip_mismatch=skip_mismatch)
    elif "model_weights" in root:
        weights.load_layer_groups(
            root["model_weights"], model, filepath=source, by_name=by_name, skip_mismatch=skip_mismatch
        )
    else:
        weights.load_object_paths(root, model, filepath=source, by_name=by_name, skip_mismatch=skip_mismatch)


def load_weights(model, path: str, *, by_name: bool, skip_mismatch: bool, data: bytes | None = None) -> None:
    """Loads weights from the HDF5 file at `path` (whose bytes `data` may be given)."""
    data = h5_image.read_file(path, "weights") if data is None else data
    with h5_image.open_checked(data, path, "weights") as handle:
        load_weights_from(handle, model, source=path, by_name=by_name, skip_mismatch=skip_mismatch)
