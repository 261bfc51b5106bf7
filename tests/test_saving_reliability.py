"""Saving survives crashes and SIGKILL, damaged files raise clear errors, and loading runs no stored code."""

import json
import os
import random
import signal
import subprocess
import sys
import time
import zipfile

import h5py
import numpy as np
import pytest

from jeras import keras
from jeras.layers import Layer
from jeras.saving import CorruptFileError, in_safe_mode, load_model, model_from_json, weights

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A child process that saves a model in three formats over and over; each round fills every
# weight with the round's number, so a file mixing two rounds would show two numbers.
_SAVE_LOOP = """
import sys
import numpy as np
from jeras import keras
folder = sys.argv[1]
model = keras.Sequential([keras.Input((256,)), keras.layers.Dense(256), keras.layers.Dense(64)])
model.compile(optimizer="adam", loss="mse")
step = 0
while True:
    for variable in model.weights:
        variable.assign(np.full(variable.shape, step, "float32"))
    model.save(folder + "/model.h5")
    model.save(folder + "/model.keras")
    model.save_weights(folder + "/ckpt/weights")
    print(step, flush=True)
    step += 1
"""

# A child process that saves once, then stalls inside the second save, with the temporary file
# written but not yet renamed over the target.
_STALLED_SAVE = """
import os, sys, time
import numpy as np
from jeras import keras
path = sys.argv[1]
model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(64)])
for variable in model.weights:
    variable.assign(np.ones(variable.shape, "float32"))
model.save(path)
fsync = os.fsync
def stall(fd):
    fsync(fd)
    print("writing", flush=True)
    time.sleep(120)
os.fsync = stall
for variable in model.weights:
    variable.assign(np.zeros(variable.shape, "float32"))
model.save(path)
"""


def _child(script, *args):
    env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONPATH=ROOT)
    return subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )


def _wait_for_line(process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line:
            return line.strip()
        if process.poll() is not None:
            break
    process.kill()
    raise AssertionError(f"child printed nothing; stderr: {process.stderr.read()[-2000:]}")


def _kill(process):
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    process.stdout.close()
    process.stderr.close()


def _temporaries(folder):
    return [name for name in os.listdir(folder) if ".jeras-tmp-" in name]


def _single_value(model_weights):
    values = np.unique(np.concatenate([np.ravel(w) for w in model_weights]))
    assert values.size == 1, f"a file mixes rounds: {values[:10]}"
    return values[0]


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
def test_killed_while_writing_leaves_previous_file_loadable(tmp_path):
    process = _child(_STALLED_SAVE, tmp_path / "model.h5")
    assert _wait_for_line(process) == "writing"
    _kill(process)
    assert len(_temporaries(tmp_path)) == 1  # the half-written file is beside, never at, the target
    restored = load_model(tmp_path / "model.h5", compile=False)
    assert _single_value(restored.get_weights()) == 1.0
    restored.save(tmp_path / "model.h5")  # the next save removes what the dead process left
    assert _temporaries(tmp_path) == []


def _load_all(folder):
    for path in ("model.h5", "model.keras"):
        restored = load_model(folder / path)
        _single_value(restored.get_weights())
        assert type(restored.optimizer) is keras.optimizers.Adam
    twin = keras.Sequential([keras.Input((256,)), keras.layers.Dense(256), keras.layers.Dense(64)])
    twin.load_weights(folder / "ckpt" / "weights")
    _single_value(twin.get_weights())


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
@pytest.mark.parametrize("run", [1, 2])
def test_killed_at_random_times_every_file_stays_loadable(tmp_path, run):
    (tmp_path / "ckpt").mkdir()
    process = _child(_SAVE_LOOP, tmp_path)
    _wait_for_line(process)  # one complete round exists
    delay = random.SystemRandom().uniform(0.05, 0.6)
    time.sleep(delay)
    _kill(process)
    try:
        _load_all(tmp_path)
    except Exception as err:
        raise AssertionError(f"run {run}: after SIGKILL at {delay:.3f} s into the save loop: {err}") from err


def test_failed_save_keeps_previous_file(tmp_path, monkeypatch):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.save(tmp_path / "m.h5")
    before = (tmp_path / "m.h5").read_bytes()

    def broken(root, model):
        root.create_group("partial")
        raise RuntimeError("disk full")

    monkeypatch.setattr(weights, "write_layer_groups", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        model.save(tmp_path / "m.h5")
    assert (tmp_path / "m.h5").read_bytes() == before
    assert _temporaries(tmp_path) == []


def _write_all_formats(folder):
    model = keras.Sequential([keras.Input((16,)), keras.layers.Dense(32), keras.layers.Dense(4)])
    model.compile(optimizer="adam", loss="mse")
    model.save(folder / "m.h5")
    model.save(folder / "m.keras")
    model.save_weights(folder / "w.h5")
    model.save_weights(folder / "w.weights.h5")
    model.save_weights(folder / "ck")
    return model


def _loaders(model):
    return {
        "m.h5": lambda p: load_model(p),
        "m.keras": lambda p: load_model(p),
        "w.h5": model.load_weights,
        "w.weights.h5": model.load_weights,
        "ck.data-00000-of-00001": lambda p: model.load_weights(str(p)[: -len(".data-00000-of-00001")]),
    }


@pytest.mark.parametrize("fraction", [0.0, 0.05, 0.5, 0.95])
def test_truncated_files_raise_value_error_naming_the_file(tmp_path, fraction):
    model = _write_all_formats(tmp_path)
    for name, load in _loaders(model).items():
        path = tmp_path / name
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * fraction)])
        with pytest.raises(ValueError, match=name.replace(".", r"\.")):
            load(path)


def _unseal(path):
    """Blanks jeras' seal (the HDF5 user block), as if another program had written the file."""
    data = path.read_bytes()
    path.write_bytes(bytes(512) + data[512:])


def _flip_first_chunk_byte(path, dataset_path):
    with h5py.File(path, "r") as f:
        offset = f[dataset_path].id.get_chunk_info(0).byte_offset
    with open(path, "r+b") as handle:
        handle.seek(offset + 5)
        byte = handle.read(1)
        handle.seek(offset + 5)
        handle.write(bytes([byte[0] ^ 0x10]))


def test_damaged_weights_and_configs_raise_value_error(tmp_path):
    model = _write_all_formats(tmp_path)
    _flip_first_chunk_byte(tmp_path / "w.h5", "dense/dense/kernel:0")
    with pytest.raises(CorruptFileError, match=r"w\.h5.*corrupted"):
        model.load_weights(tmp_path / "w.h5")
    _flip_first_chunk_byte(tmp_path / "w.weights.h5", "layers/dense/vars/0")
    with pytest.raises(CorruptFileError, match=r"w\.weights\.h5"):
        model.load_weights(tmp_path / "w.weights.h5")

    data = bytearray((tmp_path / "m.keras").read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside the stored weights member: its CRC no longer matches
    (tmp_path / "m.keras").write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"m\.keras"):
        load_model(tmp_path / "m.keras")

    with h5py.File(tmp_path / "m.h5", "r+") as f:
        f.attrs["model_config"] = '{"class_name": "Sequential", "config": {"layers": [{"class_'
    with pytest.raises(CorruptFileError, match=r"m\.h5.*corrupted or truncated"):
        load_model(tmp_path / "m.h5")
    _unseal(tmp_path / "m.h5")
    with pytest.raises(ValueError, match=r"model_config.*m\.h5.*not valid JSON"):
        load_model(tmp_path / "m.h5")

    (tmp_path / "junk.keras").write_bytes(b"this is not a model at all")
    with pytest.raises(ValueError, match=r"junk\.keras.*neither"):
        load_model(tmp_path / "junk.keras")


def _rewrite(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


class SpyLambda(Layer):
    """Stands in for a Lambda layer; records whether it was rebuilt and in which mode."""

    rebuilt_in_safe_mode: list = []

    @classmethod
    def from_config(cls, config):
        cls.rebuilt_in_safe_mode.append(in_safe_mode())
        return cls(name=config["name"])


def _config_with_lambda():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, name="d")])
    config = json.loads(model.to_json())
    inner = {"class_name": "Sequential", "config": {"name": "inner", "layers": []}}
    inner["config"]["layers"].append(
        {
            "class_name": "Lambda",
            "config": {"name": "code", "function": ["4wAAAAA=", None, None], "function_type": "lambda"},
        }
    )
    config["config"]["layers"].append(inner)
    return config


def test_lambda_layers_are_refused_unless_safe_mode_is_off(tmp_path):
    SpyLambda.rebuilt_in_safe_mode.clear()
    config = _config_with_lambda()
    objects = {"Lambda": SpyLambda}
    with pytest.raises(ValueError, match=r"JSON string.*\['layers'\]\[2\].*Lambda 'code'.*safe_mode=False"):
        model_from_json(json.dumps(config), custom_objects=objects)

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, name="d")])
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r+") as f:
        f.attrs["model_config"] = json.dumps(config)
    _unseal(tmp_path / "m.h5")
    with pytest.raises(ValueError, match=r"m\.h5.*Lambda"):
        load_model(tmp_path / "m.h5", custom_objects=objects)

    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["config.json"] = json.dumps(config).encode()
    with pytest.raises(ValueError, match=r"m\.keras.*SHA-256 of its member config\.json does not match"):
        _rewrite(tmp_path / "m.keras", members)
        load_model(tmp_path / "m.keras", custom_objects=objects)
    metadata = json.loads(members["metadata.json"])
    del metadata["sha256"]  # as if another program had written the archive
    members["metadata.json"] = json.dumps(metadata).encode()
    _rewrite(tmp_path / "m.keras", members)
    with pytest.raises(ValueError, match=r"m\.keras.*Lambda"):
        load_model(tmp_path / "m.keras", custom_objects=objects)
    assert SpyLambda.rebuilt_in_safe_mode == []  # refused before anything was rebuilt

    rebuilt = model_from_json(json.dumps(config), custom_objects=objects, safe_mode=False)
    assert SpyLambda.rebuilt_in_safe_mode == [False]
    assert isinstance(rebuilt.layers[-1].layers[0], SpyLambda)
    assert in_safe_mode()


def test_lambda_layer_round_trip_needs_safe_mode_off(tmp_path, rng):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda t: t * 2.0 + 1.0, name="affine")])
    model.save(tmp_path / "lambda.keras")
    model.save(tmp_path / "lambda.h5")
    x = rng.normal(size=(2, 3)).astype("float32")
    for path in ("lambda.keras", "lambda.h5"):
        with pytest.raises(ValueError, match="Lambda 'affine'.*safe_mode=False"):
            load_model(tmp_path / path)
        restored = load_model(tmp_path / path, compile=False, safe_mode=False)
        np.testing.assert_allclose(restored(x), x * 2.0 + 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="Lambda"):
        model_from_json(model.to_json())


def test_the_hdf5_probe_turns_a_hang_or_a_crash_into_a_clear_error(tmp_path, monkeypatch):
    from jeras.saving import hdf5_probe

    hang = hdf5_probe.Prober([sys.executable, "-c", "import sys, time; sys.stdin.buffer.read(8); time.sleep(60)"])
    start = time.monotonic()
    with pytest.raises(hdf5_probe.ProbeFailed, match="did not finish within 1 s"):
        hang.parse(b"x", 1.0)
    assert time.monotonic() - start < 10
    crash = hdf5_probe.Prober([sys.executable, "-c", "import os; os.abort()"])
    with pytest.raises(hdf5_probe.ProbeFailed, match=r"crashed on it \(signal 6\)"):
        crash.parse(b"x", 10.0)

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.save(tmp_path / "m.h5")
    _unseal(tmp_path / "m.h5")  # as another program writes it: parsed by the probe first
    monkeypatch.setattr(hdf5_probe, "_prober", hang)
    monkeypatch.setenv("JERAS_HDF5_PARSE_TIMEOUT", "1")
    with pytest.raises(CorruptFileError, match=r"m\.h5.*did not finish within 1 s.*JERAS_HDF5_PARSE_TIMEOUT"):
        load_model(tmp_path / "m.h5", compile=False)
    monkeypatch.undo()
    # The shared probe is replaced when it dies, and serves again.
    load_model(tmp_path / "m.h5", compile=False)
    os.kill(hdf5_probe._prober._process.pid, signal.SIGKILL)
    hdf5_probe._prober._process.wait()
    restored = load_model(tmp_path / "m.h5", compile=False)
    np.testing.assert_array_equal(restored.get_weights()[0], model.get_weights()[0])


def test_an_hdf5_file_linking_to_another_file_is_refused(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.save_weights(tmp_path / "w.h5")
    _unseal(tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5", "r+") as f:
        f["elsewhere"] = h5py.ExternalLink("/etc/passwd", "/")
    with pytest.raises(CorruptFileError, match=r"w\.h5.*link to another file"):
        model.load_weights(tmp_path / "w.h5")
