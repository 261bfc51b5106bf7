"""The `.keras` format of Keras 3: a zip archive of `config.json`, `model.weights.h5` and `metadata.json`.

* `config.json`: `{"class_name", "config", "build_config", "compile_config"}`; the compile
  settings use Keras 3's keys (`optimizer`, `loss`, `metrics`, `loss_weights`,
  `weighted_metrics`, `run_eagerly`) and are present when the model was compiled and saved
  with `include_optimizer=True`.
* `model.weights.h5`: the weights in Keras 3's object-path layout (`layers/dense/vars/0`, see
  `jeras.saving.weights`), and the optimizer state under `optimizer/vars/<i>`: jeras writes
  the leaves of its optax state there, marked with the attribute `layout="jeras-optax"`.
* `metadata.json`: `jeras_version`, `date_saved`, and `sha256`: the SHA-256 of the other two
  members, checked before either is parsed (the weights file is sealed as well, see
  `jeras.saving.h5_image`).

Archives written by Keras 3 load here too (their architecture through
`jeras.saving.keras3_config`; their optimizer variables, laid out differently, are not
restored). Members are read into memory, never extracted to disk, and only after their declared
sizes were checked against the archive's (no member may expand beyond what deflate can give).
"""

from __future__ import annotations

import datetime
import hashlib
import io
import zipfile
from collections.abc import Mapping
from typing import Any

import h5py

from jeras import __version__
from jeras.saving import h5, h5_image, h5_store, json_config, notices, weights
from jeras.saving.atomic import write_bytes

CONFIG = "config.json"
WEIGHTS = "model.weights.h5"
METADATA = "metadata.json"
_OPTIMIZER_LAYOUT = "jeras-optax"
# Deflate expands at most about 1032 times; a member declaring more is damaged (or a zip bomb).
_MAX_RATIO = 1100


def _weights_bytes(model, state: list | None) -> bytes:
    def fill(handle: h5py.File) -> None:
        handle.attrs["jeras_version"] = __version__
        weights.write_object_paths(handle, model)
        if state is not None:
            group = handle.create_group("optimizer/vars")
            group.attrs["name"] = model.optimizer.name
            group.attrs["layout"] = _OPTIMIZER_LAYOUT
            for i, value in enumerate(state):
                h5_store.write_array(group, str(i), value)

    return h5_image.build(fill)


def save_model(model, filepath: Any, *, include_optimizer: bool) -> None:
    """Writes `model` as a `.keras` archive at `filepath`, atomically."""
    config = json_config.serialize_model(model)
    compiled = json_config.compile_config(model) if include_optimizer else None
    state = weights.optimizer_state(model) if compiled is not None else None
    if compiled is not None:
        config["compile_config"] = compiled
    config_bytes = json_config.dumps(config).encode()
    weights_bytes = _weights_bytes(model, state)
    metadata = {
        "jeras_version": __version__,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
        "sha256": {
            CONFIG: hashlib.sha256(config_bytes).hexdigest(),
            WEIGHTS: hashlib.sha256(weights_bytes).hexdigest(),
        },
    }
    members = [
        (METADATA, json_config.dumps(metadata).encode(), zipfile.ZIP_DEFLATED),
        (CONFIG, config_bytes, zipfile.ZIP_DEFLATED),
        (WEIGHTS, weights_bytes, zipfile.ZIP_STORED),
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, compression in members:
            archive.writestr(name, data, compress_type=compression)
    write_bytes(filepath, buffer.getbuffer())


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, size: int, name: str) -> bytes:
    """One member's bytes, after checking its declared sizes against the archive's `size`."""
    ratio = 1 if info.compress_type == zipfile.ZIP_STORED else _MAX_RATIO
    if info.compress_size > size or info.file_size > ratio * info.compress_size + 1024:
        raise h5_store.CorruptFileError(
            f"The archive '{name}' is corrupted: its member {info.filename} declares {info.file_size} bytes "
            f"({info.compress_size} stored) in an archive of {size} bytes. Received: filepath={name!r}"
        )
    with archive.open(info) as handle:
        data = handle.read(info.file_size + 1)
    if len(data) != info.file_size:
        raise zipfile.BadZipFile(f"member {info.filename} holds {len(data)} bytes, not the declared {info.file_size}")
    return data


def read_members(path: Any, data: bytes) -> dict[str, bytes]:
    """The members of a `.keras` archive whose bytes are `data`, checked (sizes, CRC-32, jeras' SHA-256)."""
    name = h5_store.describe(path)
    with h5_store.reading(path, "the .keras archive"), zipfile.ZipFile(io.BytesIO(data), "r") as archive:
        infos = {info.filename: info for info in archive.infolist()}
        missing = [member for member in (CONFIG, WEIGHTS) if member not in infos]
        if missing:
            raise h5_store.CorruptFileError(
                f"The archive '{name}' lacks {missing}; a .keras file holds {CONFIG}, {WEIGHTS} and {METADATA}. "
                f"Found: {sorted(infos)[:10]}. Received: filepath={name!r}"
            )
        members = {
            member: _member(archive, infos[member], len(data), name)
            for member in (CONFIG, WEIGHTS, METADATA)
            if member in infos
        }
    metadata = json_config.loads(members.get(METADATA, b"{}"), source=name, what=METADATA)
    digests = metadata.get("sha256") if isinstance(metadata, dict) else None
    if isinstance(metadata, dict) and "jeras_version" in metadata and isinstance(digests, dict):
        for member in (CONFIG, WEIGHTS):
            if digests.get(member) != hashlib.sha256(members[member]).hexdigest():
                raise h5_store.CorruptFileError(
                    f"The archive '{name}' is corrupted: the SHA-256 of its member {member} does not match the one "
                    f"recorded in {METADATA} when jeras wrote it. Restore it from a copy or save it again. "
                    f"Received: filepath={name!r}"
                )
    return members


def _open_weights(data: bytes, path: Any) -> h5py.File:
    return h5_image.open_checked(data, f"{h5_store.describe(path)}:{WEIGHTS}", f"{WEIGHTS} of the .keras archive")


def load_model(path: Any, data: bytes, *, custom_objects: Mapping[str, Any] | None, compile: bool, safe_mode: bool):
    """Loads a model from a `.keras` archive written by jeras or Keras 3, whose bytes are `data`."""
    name = h5_store.describe(path)
    members = read_members(path, data)
    config = json_config.loads(members[CONFIG], source=name, what=CONFIG)
    metadata = json_config.loads(members.get(METADATA, b"{}"), source=name, what=METADATA)
    own = isinstance(metadata, dict) and "jeras_version" in metadata
    if not isinstance(config, dict):
        raise h5_store.CorruptFileError(
            f"The {CONFIG} of '{name}' must hold a JSON object. Received: {str(config)[:200]}"
        )
    compiled = config.pop("compile_config", None)
    if compiled is not None and not isinstance(compiled, dict):
        raise h5_store.CorruptFileError(
            f"The compile_config in the {CONFIG} of '{name}' must be a JSON object. Received: {str(compiled)[:200]}"
        )
    with _open_weights(members[WEIGHTS], path) as handle:
        with h5_store.reading(path, "weights"):
            stored = weights.stored_values(handle, skip="optimizer")
        model = json_config.deserialize_model(
            config,
            custom_objects=custom_objects,
            safe_mode=safe_mode,
            source=f"the file '{name}'",
            stored_values=stored,
        )
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
            foreign = group is not None and len(group) and not ours
        if state is not None:
            weights.restore_optimizer_state(model, state, path)
        elif foreign:
            h5.warn_foreign_optimizer(model, name)
    return model


def load_weights(model, path: Any, data: bytes, *, by_name: bool, skip_mismatch: bool) -> None:
    """Loads the weights of a `.keras` archive (whose bytes are `data`) into `model`."""
    members = read_members(path, data)
    with _open_weights(members[WEIGHTS], path) as handle:
        weights.load_object_paths(handle, model, filepath=path, by_name=by_name, skip_mismatch=skip_mismatch)
