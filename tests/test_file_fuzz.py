"""Every file format jeras reads, mutated: each load ends within seconds, with the original result or a
clear error (a ValueError or OSError whose message names the file).

Issue 12, point 1. The originals are written once per module; each case mutates one of them (bit
flips, overwritten runs, insertions, deletions, truncations, wrong magic numbers, huge declared
sizes, and, for zip archives, one member mutated inside an intact archive), writes it, loads it in
this process through jeras' own reader, and sorts the outcome:

* `same`: the load returned what the original gives;
* `clear`: a ValueError or OSError (or subclass) naming the file;
* `different`: the load returned something else without an error. Zero for the files jeras
  writes (their checksums cover every byte); possible for formats without checksums (data set
  files, JSON text, HDF5 files written by other programs), whose damaged values may still be valid;
* `unclear`: any other exception, or a message that does not name the file. Must be zero;
* `slow`: a load that took longer than `SECONDS`. Must be zero.

HDF5 files without jeras' seal are parsed by the probe process (`jeras.saving.hdf5_probe`); its
hangs and crashes become clear errors and are counted as `probe_hangs` and `probe_crashes`. A crash
or a hang of this process would end the test (a watchdog dumps the stacks and exits). Set
`JERAS_FILE_FUZZ_CASES` to run more cases per format (default 500), and `JERAS_FILE_FUZZ_REPORT`
to a path to get the counts as JSON.
"""

import faulthandler
import io
import json
import os
import tarfile
import time
import traceback
import zipfile
import zlib

import h5py
import numpy as np
import pytest
from test_datasets_formats import cifar10_archive, idx_bytes, mnist_npz

from jeras import keras
from jeras.callbacks.backup_and_restore import BackupAndRestore
from jeras.datasets import decode_idx, read_npz
from jeras.datasets.california_housing import parse_rows
from jeras.datasets.cifar import parse_batch
from jeras.saving import load_model, model_from_json

CASES = int(os.environ.get("JERAS_FILE_FUZZ_CASES", "500"))
SECONDS = 5.0
KINDS = ("flip", "overwrite", "insert", "delete", "truncate", "magic", "huge", "inner")
MAGICS = (b"PK\x03\x04", b"\x89HDF\r\n\x1a\n", b"\x93NUMPY", b"\x80\x02", b"\x00\x00\x08\x03", b"{", b"\x1f\x8b")
REPORT: dict = {}


# ---------------------------------------------------------------------- mutations
def _flip(data, rng, span):
    out = bytearray(data)
    for _ in range(int(rng.integers(1, 5))):
        at = int(rng.integers(0, span))
        out[at] ^= 1 << int(rng.integers(0, 8))
    return bytes(out)


def _huge(data, rng, sizes):
    """A size field (or, without known ones, an aligned 4- or 8-byte word) set to a huge value."""
    if sizes and rng.random() < 0.75:
        at, width, order = sizes[int(rng.integers(0, len(sizes)))]
    else:
        width = 8 if rng.random() < 0.5 else 4
        at, order = int(rng.integers(0, max(1, len(data) // width))) * width, "little"
    if at + width > len(data):
        return data[:at]
    choices = [2 ** (8 * width) - 1, 2 ** (8 * width - 1) - 1, 2 ** (8 * width - 2), 10**9 % 2 ** (8 * width)]
    value = choices[int(rng.integers(0, len(choices)))]
    return data[:at] + value.to_bytes(width, order) + data[at + width :]


def _zip_sizes(data):
    """(offset, 4, little) of every size and offset field of a zip's local and central headers."""
    out = []
    for signature, fields in (
        (b"PK\x03\x04", (18, 22, 26)),
        (b"PK\x01\x02", (20, 24, 28, 42)),
        (b"PK\x05\x06", (12, 16)),
    ):
        at = data.find(signature)
        while at >= 0:
            out += [(at + field, 4 if field not in (26, 28) else 2, "little") for field in fields]
            at = data.find(signature, at + 1)
    return out


def _rezip(data, rng, inner_mutate):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    pick = int(rng.integers(0, len(members)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i, (info, raw) in enumerate(members):
            archive.writestr(info.filename, inner_mutate(raw) if i == pick else raw, compress_type=info.compress_type)
    return buffer.getvalue()


def mutate(data, rng, kind, spec):
    """`data` damaged in the way `kind` names; `spec` gives the format's header span, magic and size fields."""
    header = min(len(data), spec.get("header", 64))
    span = header if rng.random() < 0.5 else len(data)
    if kind == "inner" and data.startswith(b"PK"):
        return _rezip(data, rng, lambda raw: mutate(raw, rng, KINDS[int(rng.integers(0, 7))], {"header": 128}))
    if kind in ("flip", "inner"):
        return _flip(data, rng, span)
    if kind == "overwrite":
        at, size = int(rng.integers(0, span)), int(rng.integers(1, 17))
        return data[:at] + rng.bytes(size) + data[at + size :]
    if kind == "insert":
        at = int(rng.integers(0, span + 1))
        return data[:at] + rng.bytes(int(rng.integers(1, 33))) + data[at:]
    if kind == "delete":
        at = int(rng.integers(0, span))
        return data[:at] + data[at + int(rng.integers(1, 33)) :]
    if kind == "truncate":
        return data[: int(rng.integers(0, len(data)))]
    if kind == "magic":
        at, size = spec.get("magic", (0, 4))
        other = MAGICS[int(rng.integers(0, len(MAGICS)))] if rng.random() < 0.5 else rng.bytes(size)
        return data[:at] + other[:size].ljust(size, b"\0") + data[at + size :]
    return _huge(data, rng, spec.get("sizes") or [])


# ---------------------------------------------------------------------- the originals
def _model():
    model = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(6, activation="relu"), keras.layers.Dense(3, activation="softmax")]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    model.fit(rng.normal(size=(16, 8)).astype("float32"), rng.integers(0, 3, 16), epochs=1, verbose=0)
    return model


def _plain_hdf5(data):
    """The same HDF5 content written by plain h5py (no seal, no checksum filter), as other programs write it."""
    at = data.find(b"\x89HDF\r\n\x1a\n")
    buffer = io.BytesIO()
    with h5py.File(io.BytesIO(data[at:]), "r") as source, h5py.File(buffer, "w") as target:

        def copy(name, obj):
            if isinstance(obj, h5py.Dataset):
                made = target.create_dataset(name, data=obj[()])
            else:
                made = target.require_group(name)
            for key, value in obj.attrs.items():
                made.attrs[key] = value

        for key, value in source.attrs.items():
            target.attrs[key] = value
        source.visititems(copy)
    return buffer.getvalue()


def _foreign_archive(data):
    """The same .keras archive without jeras' checksums (metadata of Keras 3, weights in plain HDF5)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["metadata.json"] = json.dumps({"keras_version": "3.3.3", "date_saved": "2024-05-01@10:00:00"}).encode()
    members["model.weights.h5"] = _plain_hdf5(members["model.weights.h5"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, raw in members.items():
            archive.writestr(
                name, raw, compress_type=zipfile.ZIP_STORED if name.endswith(".h5") else zipfile.ZIP_DEFLATED
            )
    return buffer.getvalue()


def _hdf5_spec(data):
    at = data.find(b"\x89HDF\r\n\x1a\n")
    words = [(i, 8, "little") for i in range(at + 24, min(len(data), at + 600), 8)]
    return {"header": at + 128, "magic": (at, 8), "sizes": words}


def _weights(model):
    return [np.asarray(w) for w in model.get_weights()]


def _same_arrays(first, second):
    return len(first) == len(second) and all(
        a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
        for a, b in zip(first, second)
    )


def _model_state(model):
    slots = model.optimizer.get_weights() if model.optimizer is not None else None  # None: left uncompiled
    return model.to_json(), _weights(model), slots


def _same_model(first, second):
    slots = first[2] is second[2] is None or (
        first[2] is not None and second[2] is not None and _same_arrays(first[2], second[2])
    )
    return first[0] == second[0] and _same_arrays(first[1], second[1]) and slots


@pytest.fixture(scope="module")
def formats(tmp_path_factory):
    """name -> (files {name: bytes}, the file to mutate (or a list to pick from), spec, load(folder), same(a, b))."""
    folder = tmp_path_factory.mktemp("originals")
    model = _model()
    model.save(folder / "m.h5")
    model.save(folder / "m.keras")
    model.save_weights(folder / "w.h5")
    model.save_weights(folder / "w.weights.h5")
    model.save_weights(folder / "ck")
    backup = BackupAndRestore(folder / "backup", delete_checkpoint=False)
    model.fit(np.ones((4, 8), "float32"), np.zeros(4, "int64"), epochs=1, verbose=0, callbacks=[backup])
    read = {name: (folder / name).read_bytes() for name in ("m.h5", "m.keras", "w.h5", "w.weights.h5")}
    checkpoint = {name: (folder / name).read_bytes() for name in ("ck.data-00000-of-00001", "ck.index")}
    twin = keras.models.clone_model(model)

    def load_weights(path):
        for variable in twin.weights:
            variable.assign(np.full(variable.shape, 7, variable.dtype))
        twin.load_weights(path)
        return _weights(twin)

    def read_backup(path):
        meta, weights, slots = BackupAndRestore(path.parent)._read()
        return json.dumps(meta, sort_keys=True), weights, slots

    rng = np.random.default_rng(1)
    images = idx_bytes(rng.integers(0, 256, size=(4, 28, 28), dtype=np.uint8))
    archive, _ = cifar10_archive(rng, per_batch=1, test=3)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        batch = tar.extractfile("cifar-10-batches-py/test_batch").read()
    csv = (
        b"longitude,latitude,housing_median_age,total_rooms,total_bedrooms,population,households,median_income,"
        b"median_house_value,ocean_proximity\n"
        b"-122.23,37.88,41.0,880.0,129.0,322.0,126.0,8.3252,452600.0,NEAR BAY\n"
        b"-122.22,37.86,21.0,7099.0,,2401.0,1138.0,8.3014,358500.0,NEAR BAY\n"
        b"-122.24,37.85,52.0,1467.0,190.0,496.0,177.0,7.2574,352100.0,NEAR BAY\n"
    )
    npz = mnist_npz(rng, train=3, test=2)
    config = model.to_json().encode()
    plain_model, plain_weights = _plain_hdf5(read["m.h5"]), _plain_hdf5(read["w.weights.h5"])
    plain_archive = _foreign_archive(read["m.keras"])
    backup_bytes = (folder / "backup" / "backup.npz").read_bytes()

    def digits(text):
        return [(i, 1, "big") for i in range(len(text)) if text[i : i + 1].isdigit()]

    def text_huge(text):
        return {"header": 200, "magic": (0, 1), "sizes": digits(text)}

    zip_spec = {"header": 128, "magic": (0, 4)}
    return {
        "h5 model": (
            {"f.h5": read["m.h5"]},
            "f.h5",
            _hdf5_spec(read["m.h5"]),
            lambda p: _model_state(load_model(p / "f.h5")),
            _same_model,
        ),
        "h5 model (plain HDF5)": (
            {"f.h5": plain_model},
            "f.h5",
            _hdf5_spec(plain_model),
            lambda p: _model_state(load_model(p / "f.h5")),
            _same_model,
        ),
        "h5 weights": (
            {"f.h5": read["w.h5"]},
            "f.h5",
            _hdf5_spec(read["w.h5"]),
            lambda p: load_weights(p / "f.h5"),
            _same_arrays,
        ),
        ".weights.h5": (
            {"f.weights.h5": read["w.weights.h5"]},
            "f.weights.h5",
            _hdf5_spec(read["w.weights.h5"]),
            lambda p: load_weights(p / "f.weights.h5"),
            _same_arrays,
        ),
        ".weights.h5 (plain HDF5)": (
            {"f.weights.h5": plain_weights},
            "f.weights.h5",
            _hdf5_spec(plain_weights),
            lambda p: load_weights(p / "f.weights.h5"),
            _same_arrays,
        ),
        ".keras": (
            {"f.keras": read["m.keras"]},
            "f.keras",
            {**zip_spec, "sizes": _zip_sizes(read["m.keras"])},
            lambda p: _model_state(load_model(p / "f.keras")),
            _same_model,
        ),
        ".keras (as Keras writes it)": (
            {"f.keras": plain_archive},
            "f.keras",
            {**zip_spec, "sizes": _zip_sizes(plain_archive)},
            lambda p: _model_state(load_model(p / "f.keras")),
            _same_model,
        ),
        "checkpoint prefix": (
            checkpoint,
            list(checkpoint),
            _hdf5_spec(checkpoint["ck.data-00000-of-00001"]),
            lambda p: load_weights(p / "ck"),
            _same_arrays,
        ),
        "BackupAndRestore": (
            {"backup.npz": backup_bytes},
            "backup.npz",
            {**zip_spec, "sizes": _zip_sizes(backup_bytes)},
            lambda p: read_backup(p / "backup.npz"),
            lambda a, b: a[0] == b[0] and _same_arrays(a[1], b[1]) and _same_arrays(a[2], b[2]),
        ),
        "JSON config": (
            {"f.json": config},
            "f.json",
            text_huge(config),
            lambda p: model_from_json((p / "f.json").read_bytes()).to_json(),
            str.__eq__,
        ),
        "IDX": (
            {"f.idx": images},
            "f.idx",
            {"header": 16, "magic": (0, 4), "sizes": [(4, 4, "big"), (8, 4, "big"), (12, 4, "big")]},
            lambda p: decode_idx((p / "f.idx").read_bytes(), source=str(p / "f.idx")),
            _same_arrays_one,
        ),
        "npz": (
            {"f.npz": npz},
            "f.npz",
            {**zip_spec, "sizes": _zip_sizes(npz)},
            lambda p: read_npz(p / "f.npz"),
            _same_dicts,
        ),
        "CIFAR batch": (
            {"f.pkl": batch},
            "f.pkl",
            {"header": 200, "magic": (0, 2)},
            lambda p: parse_batch((p / "f.pkl").read_bytes(), source=str(p / "f.pkl"), label_keys={"labels": 10}),
            lambda a, b: _same_arrays([a[0]], [b[0]]) and _same_dicts(a[1], b[1]),
        ),
        "housing CSV": (
            {"f.csv": csv},
            "f.csv",
            text_huge(csv),
            lambda p: parse_rows((p / "f.csv").read_bytes(), source=str(p / "f.csv"), header=True),
            _same_arrays_one,
        ),
    }


def _same_arrays_one(a, b):
    return _same_arrays([a], [b])


def _same_dicts(a, b):
    return sorted(a) == sorted(b) and _same_arrays([a[k] for k in sorted(a)], [b[k] for k in sorted(b)])


# ---------------------------------------------------------------------- the test
def _where(err):
    """The last jeras frames an error passed through, for the failure report."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if "/jeras/" in f.filename]
    return " < ".join(f"{os.path.basename(f.filename)}:{f.lineno}" for f in reversed(frames[-3:]))


def _names_file(message, folder, name):
    return str(folder / name) in message or (
        name == "f.json" and ("JSON string" in message or "json_string" in message)
    )


@pytest.mark.parametrize(
    "name",
    [
        "h5 model",
        "h5 model (plain HDF5)",
        "h5 weights",
        ".weights.h5",
        ".weights.h5 (plain HDF5)",
        ".keras",
        ".keras (as Keras writes it)",
        "checkpoint prefix",
        "BackupAndRestore",
        "JSON config",
        "IDX",
        "npz",
        "CIFAR batch",
        "housing CSV",
    ],
)
def test_mutated_files_load_or_raise_a_clear_error(formats, name, tmp_path, monkeypatch):
    monkeypatch.setenv("JERAS_HDF5_PARSE_TIMEOUT", "2")
    files, target, spec, load, same = formats[name]
    for file, data in files.items():
        (tmp_path / file).write_bytes(data)
    original = load(tmp_path)
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    counts = dict.fromkeys(("same", "clear", "different", "unclear", "slow", "probe_hangs", "probe_crashes"), 0)
    problems = []
    for case in range(CASES):
        kind = KINDS[case % len(KINDS)]
        file = target[case % len(target)] if isinstance(target, list) else target
        broken = mutate(files[file], rng, kind, spec)
        for other, data in files.items():
            (tmp_path / other).write_bytes(broken if other == file else data)
        faulthandler.dump_traceback_later(120, exit=True)  # a hang in this process ends the run with its stack
        start = time.monotonic()
        try:
            result = load(tmp_path)
        except (ValueError, OSError) as err:
            outcome = "clear" if _names_file(str(err), tmp_path, file) else "unclear"
            counts["probe_hangs"] += "did not finish within" in str(err)
            counts["probe_crashes"] += "crashed on it" in str(err)
            detail = f"{type(err).__name__}: {err} ({_where(err)})"
        except Exception as err:  # anything else is what the issue calls an unclear error
            outcome, detail = "unclear", f"{type(err).__name__}: {err} ({_where(err)})"
        else:
            outcome, detail = ("same" if same(result, original) else "different"), "loaded"
        finally:
            faulthandler.cancel_dump_traceback_later()
        elapsed = time.monotonic() - start
        counts[outcome] += 1
        if elapsed > SECONDS:
            counts["slow"] += 1
        if outcome == "unclear" or elapsed > SECONDS or (outcome == "different" and name in _SEALED):
            problems.append(f"case {case} ({kind} of {file}, {elapsed:.1f} s): {detail[:300]}")
    REPORT[name] = {"cases": CASES, **counts}
    report = os.environ.get("JERAS_FILE_FUZZ_REPORT")
    if report:
        with open(report, "w") as handle:
            json.dump(REPORT, handle, indent=1)
    print(f"{name}: {counts}")
    assert not problems, f"{name}: {counts}\n" + "\n".join(problems[:20])


# Files jeras writes: their checksums cover every byte, so a damaged copy never loads as something else.
_SEALED = {"h5 model", "h5 weights", ".weights.h5", ".keras", "checkpoint prefix", "BackupAndRestore"}


# ---------------------------------------------------------------------- cases the fuzzing found
def test_a_pickle_with_a_huge_memo_index_is_refused_at_once(formats, tmp_path):
    files, *_ = formats["CIFAR batch"]
    damaged = b"\x88r" + files["f.pkl"][2:]  # LONG_BINPUT 671,117,693: a 5 GB memo table in the C unpickler
    start = time.monotonic()
    with pytest.raises(ValueError, match=r"f\.pkl is garbled: at byte 1 it stores an object under memo index"):
        parse_batch(damaged, source="f.pkl", label_keys={"labels": 10})
    assert time.monotonic() - start < 1


def test_a_keras_archive_whose_directory_points_past_its_start_names_the_file(formats, tmp_path):
    files, *_ = formats[".keras"]
    data = bytearray(files["f.keras"])
    end = data.rfind(b"PK\x05\x06")
    data[end + 16 : end + 20] = (len(data) + 4096).to_bytes(4, "little")  # zipfile seeks before the start
    (tmp_path / "f.keras").write_bytes(bytes(data))
    with pytest.raises(ValueError, match=rf"{tmp_path / 'f.keras'}"):
        load_model(tmp_path / "f.keras")
