"""`tf.saved_model.save/load`, over jeras' `.keras` format: they do not write a TensorFlow SavedModel.

`save(model, export_dir)` makes the directory `export_dir` holding the archive
`export_dir/model.keras`, exactly what `model.save(export_dir)` writes for a path without a
suffix (where tf.keras wrote a SavedModel directory). `load(export_dir)` reads it back as a
Keras model, ready to call or `predict`. TensorFlow's serving signatures do not exist here;
a directory written by TensorFlow (`saved_model.pb`) cannot be read without TensorFlow.
See docs/architecture.md, "The tf namespace".
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from jeras.saving import load_model, save_model
from jeras.saving.api import SAVED_MODEL_FILE
from jeras.tf._unsupported import unsupported_getattr


def _no_tf_only(argument: str, value: Any) -> None:
    if value is not None:
        raise ValueError(
            f"{argument} is a TensorFlow SavedModel feature; jeras writes a .keras archive, which has none. "
            f"Received: {argument}={value!r}"
        )


def save(obj: Any, export_dir: str | os.PathLike, signatures: Any = None, options: Any = None) -> None:
    """Saves a Keras model as the directory `export_dir` holding `model.keras` (a `.keras` archive, not a SavedModel).

    Args:
        obj: a jeras Keras model (Sequential, functional, or subclassed with `get_config`).
        export_dir: the directory to create (or replace the archive in).
        signatures: must be None: serving signatures are a SavedModel feature. Default None.
        options: must be None. Default None.

    Raises:
        TypeError: when `obj` is not a Keras model.
        ValueError: for `signatures` or `options`, or when `export_dir` is an existing file.
    """
    from jeras.models import Model

    if not isinstance(obj, Model):
        raise TypeError(
            f"jeras' tf.saved_model.save saves Keras models only. Received: obj of type {type(obj).__name__}"
        )
    _no_tf_only("signatures", signatures)
    _no_tf_only("options", options)
    save_model(obj, export_dir, save_format="tf")


def load(
    export_dir: str | os.PathLike,
    tags: Any = None,
    options: Any = None,
    *,
    custom_objects: Mapping[str, Any] | None = None,
    compile: bool = False,
):
    """Loads a model saved by `save` (or by `model.save(directory)`) as a Keras model.

    Args:
        export_dir: the directory `save` wrote.
        tags: ignored (SavedModel meta-graph tags). Default None.
        options: must be None. Default None.
        custom_objects: the user functions and classes the model names (custom activations,
            layers), as for `keras.models.load_model`. Default None.
        compile: also restore the loss, metrics and optimizer state. Default False: like
            TensorFlow's `load`, the result is for inference; `keras.models.load_model` compiles.

    Returns:
        The Keras model.
    """
    _no_tf_only("options", options)
    path = os.fspath(export_dir)
    if not os.path.isfile(os.path.join(path, SAVED_MODEL_FILE)) and os.path.isfile(path):
        raise ValueError(
            f"'{path}' is a file; tf.saved_model.load reads the directory tf.saved_model.save wrote. Use "
            f"tf.keras.models.load_model for single files. Received: export_dir={path!r}"
        )
    return load_model(path, custom_objects=custom_objects, compile=compile)


__getattr__ = unsupported_getattr("saved_model")

__all__ = ["load", "save"]
