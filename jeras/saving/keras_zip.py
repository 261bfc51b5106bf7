"""The `.keras` format of Keras 3: a zip archive of `config.json`, `model.weights.h5` and `metadata.json`.

* `config.json`: `{"class_name", "config", "build_config", "compile_config"}`; the compile
  settings use Keras 3's keys (`optimizer`, `loss`, `metrics`, `loss_weights`,
  `weighted_metrics`, `run_eagerly`) and are present when the model was compiled and saved
  with `include_optimizer=True`.
* `model.weights.h5`: the weights in Keras 3's object-path layout (`layers/dense/vars/0`, see
  `jeras.saving.weights`), and the optimizer state under `optimizer/vars/<i>`: jeras writes
  the leaves of its optax state there, marked with the attribute `layout="jeras-optax"`.
* `metadata.json`: `jeras_version` and `date_saved`.

Archives written by Keras 3 load here too (their architecture through
`jeras.saving.keras3_config`; their optimizer variables, laid out differently, are not
restored). Members are read into memory, never extracted to disk.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Mapping
from typing import Any

import h5py

from jeras import __version__
from jeras.saving import h5, h5_store, json_config, notices, weights
from jeras.saving.atomic import atomic_path

CONFIG = "config.json"
WEIGHTS = "model.weights.h5"
METADATA = "metadata.json"
_OPTIMIZER_LAYOUT = "jeras-optax"


def _weights_bytes(model, state: list | None) -> bytes:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as handle:
        handle.attrs["jeras_version"] = __version__
        weights.write_object_paths(handle, model)
        if state is not None:
            group = handle.create_group("optimizer/vars")
            group.attrs["name"] = model.optimizer.name
            group.attrs["layout"] = _OPTIMIZER_LAYOUT
            for i, value in enumerate(state):
                h5_store.write_array(group, str(i), value)
    return buffer.getvalue()


def save_model(model, filepath: Any, *, include_optimizer: bool) -> None:
    """Writes `model` as a `.keras` archive at `filepath`, atomically."""
    config = json_config.serialize_model(model)
    compiled = json_config.compile_config(model) if include_optimizer else None
    state = weights.optimizer_state(model) if compiled is not None else None
    if compiled is not None:
        config["compile_config"] = compiled
    metadata = {"jeras_version": __version__, "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    members = [
        (METADATA, json_config.dumps(metadata).encode(), zipfile.ZIP_DEFLATED),
        (CONFIG, json_config.dumps(config).encode(), zipfile.ZIP_DEFLATED),
        (WEIGHTS, _weights_bytes(model, state), zipfile.ZIP_STORED),
    ]
    with atomic_path(filepath) as temporary, zipfile.ZipFile(temporary, "w") as archive:
        for name, data, compression in members:
            archive.writestr(name, data, compress_type=compression)


def _read_members(path: Any) -> dict[str, bytes]:
    with h5_store.reading(path, "the .keras archive"), zipfile.ZipFile(path, "r") as archive:
        names = set(archive.namelist())
        missing = [name for name in (CONFIG, WEIGHTS) if name not in names]
        if missing:
            found = sorted(names)[:10]
            raise ValueError(
                f"The archive '{h5_store.describe(path)}' lacks {missing}; a .keras file holds {CONFIG}, {WEIGHTS} "
                f"and {METADATA}. Found: {found}. Received: filepath={h5_store.describe(path)!r}"
            )
        return {name: archive.read(name) for name in (CONFIG, WEIGHTS, METADATA) if name in names}


def _open_weights(data: bytes, path: Any) -> h5py.File:
    return h5_store.open_h5(io.BytesIO(data), f"{WEIGHTS} of the archive '{h5_store.describe(path)}'")


def load_model(path: Any, *, custom_objects: Mapping[str, Any] | None, compile: bool, safe_mode: bool):
    """Loads a model from a `.keras` archive written by jeras or Keras 3."""
    name = h5_store.describe(path)
    members = _read_members(path)
    config = json_config.loads(members[CONFIG], source=name, what=CONFIG)
    metadata = json_config.loads(members.get(METADATA, b"{}"), source=name, what=METADATA)
    own = isinstance(metadata, dict) and "jeras_version" in metadata
    if not isinstance(config, dict):
        raise ValueError(f"The {CONFIG} of '{name}' must hold a JSON object. Received: {str(config)[:200]}")
    compiled = config.pop("compile_config", None)
    model = json_config.deserialize_model(
        config, custom_objects=custom_objects, safe_mode=safe_mode, source=f"the file '{name}'"
    )
    with _open_weights(members[WEIGHTS], path) as handle:
        weights.load_object_paths(handle, model, filepath=path, by_name=False, skip_mismatch=False)
        if not compile:
            return model
        if not compiled:
            notices.warn(
                f"No compile settings found in '{name}', so the model was *not* compiled. Compile it manually."
            )
            return model
        if not h5.compile_saved(model, compiled, custom_objects=custom_objects, own=own, source=name):
            return model
        with h5_store.reading(path, "the optimizer state"):
            group = handle.get("optimizer/vars")
            ours = group is not None and h5_store.read_text(group.attrs, "layout") == _OPTIMIZER_LAYOUT
            state = [h5_store.read_array(group[str(i)]) for i in range(len(group))] if ours else None
        if state is not None:
            weights.restore_optimizer_state(model, state, path)
        elif group is not None and len(group):
            h5.warn_foreign_optimizer(model, name)
    return model


def load_weights(model, path: Any, *, by_name: bool, skip_mismatch: bool) -> None:
    """Loads the weights of a `.keras` archive into `model`."""
    members = _read_members(path)
    with _open_weights(members[WEIGHTS], path) as handle:
        weights.load_object_paths(handle, model, filepath=path, by_name=by_name, skip_mismatch=skip_mismatch)
