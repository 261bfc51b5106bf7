"""The saving functions behind `model.save`, `save_weights`, `load_weights`, `to_json` and
`keras.models.load_model`, and how a path selects its format.

Whole models (`save_model` / `load_model`):

* `*.keras` (or `save_format="keras"`): the Keras 3 zip archive (`jeras.saving.keras_zip`);
* `*.h5`, `*.hdf5` (or `save_format="h5"`): the tf.keras HDF5 file (`jeras.saving.h5`);
* any other path (or `save_format="tf"`), where tf.keras 2 wrote a TensorFlow SavedModel
  directory: a directory holding the archive `model.keras`.

Weights (`save_weights` / `load_weights`):

* `*.weights.h5`: Keras 3's layout, which the `keras` package loads too;
* other `*.h5`, `*.hdf5`: tf.keras' per-layer HDF5 layout;
* any other path (or `save_format="tf"`), where tf.keras wrote a TensorFlow checkpoint: a
  jeras checkpoint at that prefix (`jeras.saving.checkpoint`), which also keeps the
  optimizer state.

Loading looks at a file's content, not its name, so each loader accepts every format that
holds what it needs (weights can be loaded from a whole-model file or a `.keras` archive).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from typing import Any

import h5py

from jeras.saving import checkpoint, h5, h5_image, h5_store, json_config, keras_zip, weights

SAVED_MODEL_FILE = "model.keras"
_H5_SUFFIXES = (".h5", ".hdf5")
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")


class MissingFileError(FileNotFoundError, ValueError):
    """Nothing to load at the given path (a FileNotFoundError, and a ValueError as Keras 3 raises)."""


def _path(filepath: Any) -> str:
    if isinstance(filepath, (str, os.PathLike)):
        return os.fspath(filepath)
    raise TypeError(
        f"filepath must be a string or a path-like object. Received: filepath={filepath!r} of type "
        f"{type(filepath).__name__}"
    )


def _flag(value: Any, argument: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{argument} must be True or False. Received: {argument}={value!r}")
    return value


def _confirm_overwrite(path: str, overwrite: bool) -> bool:
    """tf.keras asks before replacing a file when `overwrite=False`; without a terminal, jeras raises."""
    if _flag(overwrite, "overwrite") or not os.path.exists(path):
        return True
    if sys.stdin is not None and sys.stdin.isatty():
        answer = ""
        while answer not in ("y", "n"):
            answer = input(f"[WARNING] {path} already exists - overwrite? [y/n] ").strip().lower()
        return answer == "y"
    raise FileExistsError(
        f"The file '{path}' already exists and overwrite=False. Pass overwrite=True to replace it. "
        "Received: overwrite=False"
    )


def _model_format(path: str, save_format: str | None) -> str:
    if save_format is not None:
        chosen = {"h5": "h5", "hdf5": "h5", "keras": "keras", "tf": "dir", "tensorflow": "dir"}.get(
            str(save_format).lower()
        )
        if chosen is None:
            raise ValueError(f"save_format must be 'h5', 'keras' or 'tf'. Received: save_format={save_format!r}")
        return chosen
    if path.endswith(".keras"):
        return "keras"
    if path.lower().endswith(_H5_SUFFIXES):
        return "h5"
    return "dir"


def save_model(
    model, filepath: Any, overwrite: bool = True, save_format: str | None = None, include_optimizer: bool = True
) -> None:
    """Saves a model's architecture, weights, compile settings and optimizer state.

    Args:
        model: the model (Sequential, functional, or a subclassed model defining `get_config`).
        filepath: the path (see the module docstring for how it selects the format), or an
            open `h5py.File` to write the HDF5 format into.
        overwrite: replace an existing file. Default True; with False, ask on a terminal
            (as tf.keras does) and raise `FileExistsError` elsewhere.
        save_format: `"keras"`, `"h5"` or `"tf"`; default None (from the path).
        include_optimizer: also save the compile settings and the optimizer state. Default True.

    Raises:
        UnsavableModelError: (a TypeError) for a subclassed model without `get_config`.
    """
    _flag(include_optimizer, "include_optimizer")
    if isinstance(filepath, h5py.Group):
        h5.save_model(model, filepath, include_optimizer=include_optimizer)
        return
    path = _path(filepath)
    kind = _model_format(path, save_format)
    json_config.check_savable(model)
    if kind == "dir":
        if os.path.isfile(path):
            raise ValueError(
                f"Cannot save a model directory at '{path}': a file of that name exists. Use a path ending in "
                f"'.keras' or '.h5' to save a single file. Received: filepath={path!r}"
            )
        path = os.path.join(path, SAVED_MODEL_FILE)
    if not _confirm_overwrite(path, overwrite):
        return
    if kind == "h5":
        h5.save_model(model, path, include_optimizer=include_optimizer)
    else:
        keras_zip.save_model(model, path, include_optimizer=include_optimizer)


def _kind_of_file(path: str, data: bytes) -> str:
    """ "zip" or "h5", from the content `data` of the file at `path` (never from its name)."""
    if data.startswith(_ZIP_SIGNATURES):
        return "zip"
    if h5_image.find_signature(data) is not None:
        return "h5"
    raise h5_store.CorruptFileError(
        f"The file '{path}' is neither a .keras archive nor an HDF5 file (it starts with {data[:8]!r}, "
        f"{len(data)} bytes); it is truncated, corrupted or in a format jeras cannot read. Received: filepath={path!r}"
    )


def load_model(
    filepath: Any, custom_objects: Mapping[str, Any] | None = None, compile: bool = True, safe_mode: bool = True
):
    """Loads a model saved by `save_model` (jeras) or by tf.keras / Keras 3 (`.keras` and `.h5`).

    Args:
        filepath: a `.keras` archive, an HDF5 model file, a directory saved with
            `save_format="tf"`, or an open `h5py.File`.
        custom_objects: dict mapping the names of user classes and functions (layers, models,
            losses, metrics, activations) to the objects. Default None.
        compile: compile the model with its saved settings and restore the optimizer state, so
            training continues exactly where it stopped. Default True.
        safe_mode: refuse files holding Python code (`Lambda` layers), which loading would
            execute. Pass False only for files you trust. Default True.

    Returns:
        The model, with its weights.

    Raises:
        ValueError: for a missing, truncated or corrupted file, naming it.
    """
    _flag(compile, "compile")
    if isinstance(filepath, h5py.Group):
        return h5.load_model(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)
    path = _path(filepath)
    if os.path.isdir(path):
        inner = os.path.join(path, SAVED_MODEL_FILE)
        if os.path.isfile(inner):
            return load_model(inner, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)
        if os.path.isfile(os.path.join(path, "saved_model.pb")):
            raise ValueError(
                f"'{path}' is a TensorFlow SavedModel directory, which jeras cannot read (it needs TensorFlow). "
                "Re-save the model from tf.keras with model.save('model.h5') or model.save('model.keras'). "
                f"Received: filepath={path!r}"
            )
        raise MissingFileError(f"No saved model in the directory '{path}'. Received: filepath={path!r}")
    if not os.path.isfile(path):
        raise MissingFileError(
            f"File not found: '{path}'. Expected a .keras archive, an .h5 file or a model directory. "
            f"Received: filepath={path!r}"
        )
    data = h5_image.read_file(path, "the model")
    if _kind_of_file(path, data) == "zip":
        return keras_zip.load_model(path, data, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)
    return h5.load_model(path, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode, data=data)


def save_weights(model, filepath: Any, overwrite: bool = True, save_format: str | None = None) -> None:
    """Saves the model's weights (see the module docstring for the formats).

    Args:
        model: a built model.
        filepath: `*.weights.h5`, `*.h5`, or a checkpoint prefix (`"training_1/cp.ckpt"`).
        overwrite: replace existing files. Default True.
        save_format: `"h5"` or `"tf"` (a checkpoint prefix); default None (from the path).
    """
    path = _path(filepath)
    if save_format is not None and str(save_format).lower() not in ("h5", "hdf5", "tf", "tensorflow"):
        raise ValueError(f"save_format must be 'h5' or 'tf'. Received: save_format={save_format!r}")
    if path.endswith(".keras") and save_format is None:
        raise ValueError(
            "save_weights writes weights only; a '.keras' file holds a whole model. Use model.save(filepath) for "
            f"'.keras', or a path ending in '.weights.h5' for weights. Received: filepath={path!r}"
        )
    weights.check_built(model, path, "save weights to")
    as_h5 = (
        str(save_format).lower() in ("h5", "hdf5") if save_format is not None else path.lower().endswith(_H5_SUFFIXES)
    )
    if not as_h5:
        if _confirm_overwrite(path + checkpoint.DATA_SUFFIX, overwrite):
            checkpoint.save(model, path)
        return
    if _confirm_overwrite(path, overwrite):
        h5.save_weights(model, path, layout="paths" if path.endswith(".weights.h5") else "groups")


def load_weights(model, filepath: Any, skip_mismatch: bool = False, by_name: bool = False) -> None:
    """Loads weights into a built model from any file that holds them.

    Args:
        model: the model, built with the saved architecture.
        filepath: an HDF5 weights or model file, a `.keras` archive, or a checkpoint prefix,
            written by jeras, tf.keras or Keras 3; or an open `h5py.File`.
        skip_mismatch: skip (with a warning) layers whose saved weights do not fit instead of
            raising. Default False.
        by_name: match layers by name instead of by position; layers absent from the file
            keep their weights. Default False.

    Raises:
        ValueError: for a missing, truncated or corrupted file, or weights that do not fit.
    """
    _flag(skip_mismatch, "skip_mismatch")
    _flag(by_name, "by_name")
    if isinstance(filepath, h5py.Group):
        weights.check_built(model, filepath, "load weights from")
        h5.load_weights_from(filepath, model, source=filepath, by_name=by_name, skip_mismatch=skip_mismatch)
        return
    path = _path(filepath)
    weights.check_built(model, path, "load weights from")
    if os.path.isdir(path) and os.path.isfile(os.path.join(path, SAVED_MODEL_FILE)):
        path = os.path.join(path, SAVED_MODEL_FILE)
    if os.path.isfile(path):
        data = h5_image.read_file(path, "weights")
        if _kind_of_file(path, data) == "zip":
            keras_zip.load_weights(model, path, data, by_name=by_name, skip_mismatch=skip_mismatch)
        else:
            h5.load_weights(model, path, by_name=by_name, skip_mismatch=skip_mismatch, data=data)
    elif checkpoint.exists(path):
        checkpoint.load(model, path, by_name=by_name, skip_mismatch=skip_mismatch)
    else:
        raise MissingFileError(
            f"No weights found at '{path}': it is neither a file nor a checkpoint prefix (no "
            f"'{path}{checkpoint.DATA_SUFFIX}'). Received: filepath={path!r}"
        )


def model_to_json(model, **kwargs: Any) -> str:
    """Returns the architecture as JSON text; `kwargs` go to `json.dumps` (e.g. `indent=2`)."""
    from jeras import __version__

    config = json_config.serialize_model(model)
    config.update(keras_version=weights.KERAS_LAYOUT_VERSION, backend="jax", jeras_version=__version__)
    return json_config.dumps(config, **kwargs)


def model_from_config(
    config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None, safe_mode: bool = True
):
    """Rebuilds a model (without weights) from `{"class_name": ..., "config": ...}`."""
    if not isinstance(config, Mapping):
        raise TypeError(
            f"config must be a dict with 'class_name' and 'config'. Received: config={config!r} of type "
            f"{type(config).__name__}"
        )
    return json_config.deserialize_model(
        dict(config), custom_objects=custom_objects, safe_mode=safe_mode, source="the given config"
    )


def model_from_json(json_string: str | bytes, custom_objects: Mapping[str, Any] | None = None, safe_mode: bool = True):
    """Rebuilds a model (without weights) from `model.to_json()` text (jeras, tf.keras or Keras 3)."""
    if not isinstance(json_string, (str, bytes, bytearray)):
        raise TypeError(f"json_string must be a string. Received: json_string of type {type(json_string).__name__}")
    try:
        config = json.loads(json_string)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as err:
        raise ValueError(
            f"json_string is not valid JSON ({err}). Received: json_string={str(json_string)[:100]!r}"
        ) from err
    return json_config.deserialize_model(
        config, custom_objects=custom_objects, safe_mode=safe_mode, source="the JSON string"
    )
