"""Checkpoint prefixes: `save_weights("ckpt/cp.ckpt")`, the paths tf.keras saves in TensorFlow's format.

jeras has no TensorFlow, so it writes its own files at the names TensorFlow uses, which keeps
tutorial code (`os.listdir(checkpoint_dir)`, `latest_checkpoint`, `load_weights(prefix)`)
working:

* `<prefix>.data-00000-of-00001`: an HDF5 file holding everything: the weights in tf.keras'
  per-layer groups at its root (see `jeras.saving.weights`) and, when the model is compiled,
  its optimizer state in the group `optimizer_weights` (with the optimizer's config as the
  JSON attribute `optimizer_config`), as TensorFlow checkpoints include optimizer slots;
* `<prefix>.index`: a small JSON file naming the format and the data file;
* `checkpoint` in the same directory: TensorFlow's text record of the latest prefix
  (`model_checkpoint_path: "cp.ckpt"`), read by `latest_checkpoint`.

Each file is replaced atomically and the data file, written first, is self-contained, so a
crash between two of the writes leaves a loadable checkpoint. Loading restores the optimizer
state when the model is compiled with an optimizer of the same class; otherwise the state is
ignored.
"""

from __future__ import annotations

import os
import re

import h5py

from jeras import __version__
from jeras.saving import h5_image, h5_store, json_config, weights
from jeras.saving.atomic import write_bytes

DATA_SUFFIX = ".data-00000-of-00001"
INDEX_SUFFIX = ".index"
FORMAT = "jeras-checkpoint"
RECORD = "checkpoint"


def exists(prefix: str) -> bool:
    return os.path.isfile(prefix + DATA_SUFFIX) or os.path.isfile(prefix + INDEX_SUFFIX)


def save(model, prefix: str) -> None:
    """Writes the checkpoint files of `prefix` (see the module docstring)."""
    from jeras import optimizers

    prefix = os.path.abspath(prefix)
    compiled = model._objectives is not None and model.optimizer is not None
    state = weights.optimizer_state(model) if compiled else None

    def fill(handle: h5py.File) -> None:
        weights.write_layer_groups(handle, model)
        handle.attrs["format"] = FORMAT
        if state is not None:
            group = handle.create_group("optimizer_weights")
            group.attrs["optimizer_config"] = json_config.dumps(optimizers.serialize(model.optimizer))
            weights.write_optimizer_group(group, model, state)

    write_bytes(prefix + DATA_SUFFIX, h5_image.build(fill))
    base = os.path.basename(prefix)
    index = {"format": FORMAT, "jeras_version": __version__, "data": [base + DATA_SUFFIX]}
    write_bytes(prefix + INDEX_SUFFIX, json_config.dumps(index).encode())
    _record(os.path.dirname(prefix), base)


def _read_record(directory: str) -> list[str]:
    path = os.path.join(directory, RECORD)
    try:
        with open(path, encoding="utf8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return []
    latest = re.findall(r'^model_checkpoint_path:\s*"(.*)"\s*$', text, flags=re.M)
    every = re.findall(r'^all_model_checkpoint_paths:\s*"(.*)"\s*$', text, flags=re.M)
    return [p for p in every if p not in latest] + latest


def _record(directory: str, base: str) -> None:
    paths = [p for p in _read_record(directory) if p != base and exists(os.path.join(directory, p))] + [base]
    lines = [f'model_checkpoint_path: "{base}"'] + [f'all_model_checkpoint_paths: "{p}"' for p in paths]
    write_bytes(os.path.join(directory, RECORD), ("\n".join(lines) + "\n").encode())


def latest_checkpoint(checkpoint_dir: str | os.PathLike) -> str | None:
    """Returns the prefix of the newest checkpoint saved in `checkpoint_dir`, or None.

    The counterpart of `tf.train.latest_checkpoint`: pass the result to `load_weights`.

    Args:
        checkpoint_dir: the directory the checkpoints were saved in.

    Returns:
        The prefix path (`"training_1/cp.ckpt"`), or None when there is no checkpoint.
    """
    directory = os.fspath(checkpoint_dir)
    record = _read_record(directory)
    if not record:
        return None
    prefix = os.path.join(directory, record[-1])
    return prefix if exists(prefix) else None


def load(model, prefix: str, *, by_name: bool, skip_mismatch: bool) -> None:
    """Loads the weights (and, for a compiled model, the optimizer state) saved at `prefix`."""
    from jeras.saving.h5 import load_weights_from

    data = prefix + DATA_SUFFIX
    if not os.path.isfile(data):
        raise ValueError(
            f"The checkpoint '{prefix}' is incomplete: its index exists but its data file '{data}' does not. "
            f"Received: filepath={prefix!r}"
        )
    with h5_image.open_checked(h5_image.read_file(data, "the checkpoint"), data, "the checkpoint") as handle:
        load_weights_from(handle, model, source=data, by_name=by_name, skip_mismatch=skip_mismatch)
        if "optimizer_weights" not in handle or model._objectives is None or model.optimizer is None:
            return
        group = handle["optimizer_weights"]
        with h5_store.reading(data, "the optimizer state"):
            text = h5_store.read_text(group.attrs, "optimizer_config")
        saved = json_config.loads(text or "{}", source=data, what="optimizer_config attribute")
        if isinstance(saved, dict) and saved.get("class_name") == type(model.optimizer).__name__:
            weights.restore_optimizer_state(model, weights.read_optimizer_group(group, data), data)
