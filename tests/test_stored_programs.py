"""Compiled programs stored on disk under a stable structure key (jeras.backend.executables).

A second process of the same script loads every model program from the store: it traces and
compiles none of them and computes exactly what the first process computed. Keys that could
mean other code in another process (user classes, closures, object identities) are refused,
and a damaged store entry is replaced, never trusted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from jeras import keras
from jeras.backend import executables

_SCRIPT = """
import json, sys
import numpy as np
from jeras import keras
from jeras.backend import compilation
rng = np.random.default_rng(0)
x, y = rng.normal(size=(70, 4)).astype("float32"), rng.normal(size=(70, 1)).astype("float32")
keras.utils.set_random_seed(1)
layers = [keras.layers.Input(shape=(4,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(1)]
if sys.argv[1] == "custom":
    class Twice(keras.layers.Layer):
        def call(self, inputs):
            return 2.0 * inputs
    layers.insert(2, Twice())
model = keras.models.Sequential(layers)
model.compile(loss="mse", optimizer="sgd", metrics=["mae"])
stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2)
device = model.fit(x, y, epochs=4, batch_size=16, validation_split=0.2, verbose=0, callbacks=[stop])
path = model.compile_stats["path"]
epochs = model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[keras.callbacks.LambdaCallback()])
scores = model.evaluate(x, y, verbose=0)
pred = model.predict(x[:5], verbose=0)
seconds, compiles = compilation.compile_totals()
print("RESULT", json.dumps({"path": path, "device": device.history, "epochs": epochs.history, "scores": scores,
    "pred": pred.tolist(), "compiles": compiles}))
"""


def _run(tmp_path, variant="builtin", cache="1"):
    env = {**os.environ, "JERAS_COMPILATION_CACHE": cache, "JERAS_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    out = subprocess.run([sys.executable, "-c", _SCRIPT, variant], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT ") :])


def _entries(tmp_path):
    folder = tmp_path / "cache" / "jeras-programs"
    return sorted(folder.glob("*.jexe")) if folder.exists() else []


def test_a_second_process_loads_every_model_program_and_computes_the_same(tmp_path):
    first = _run(tmp_path)
    assert first["path"] == "whole-fit"
    stored = _entries(tmp_path)
    # whole fit, epoch plan, train chunk, last partial batch, test chunk, predict chunk
    assert len(stored) >= 5
    second = _run(tmp_path)
    # The model programs come from the store; what is left are a few tiny eager ops (argument
    # conversions), which JAX's own cache serves.
    assert second["compiles"] < first["compiles"]
    assert second["compiles"] <= 12, second["compiles"]
    for key in ("device", "epochs", "scores", "pred"):
        assert second[key] == first[key], key
    assert _entries(tmp_path) == stored  # nothing new was needed
    off = _run(tmp_path / "off", cache="0")
    assert not (tmp_path / "off" / "cache").exists()
    assert off["device"].keys() == first["device"].keys()
    for name, values in first["device"].items():
        assert off["device"][name] == pytest.approx(values, rel=1e-6, abs=1e-7), name
    assert off["scores"] == pytest.approx(first["scores"], rel=1e-6, abs=1e-7)
    assert sum(off["pred"], []) == pytest.approx(sum(first["pred"], []), rel=1e-6, abs=1e-7)


def test_a_damaged_entry_is_replaced_and_never_trusted(tmp_path):
    first = _run(tmp_path)
    stored = _entries(tmp_path)
    for entry in stored:
        data = bytearray(entry.read_bytes())
        if entry == stored[0]:
            data[len(data) // 2] ^= 0xFF  # one flipped byte inside the executable
            entry.write_bytes(bytes(data))
        else:
            entry.write_bytes(bytes(data[: len(data) // 3]))  # truncated
    second = _run(tmp_path)
    assert second["device"] == first["device"] and second["pred"] == first["pred"]
    third = _run(tmp_path)  # the damaged entries were written anew
    assert third["compiles"] <= 12 and third["pred"] == first["pred"]


def test_a_model_with_user_code_is_never_stored(tmp_path):
    first = _run(tmp_path, "custom")
    assert _entries(tmp_path) == [] or all("epoch_plan" not in p.name for p in _entries(tmp_path))
    second = _run(tmp_path, "custom")
    assert second["pred"] == first["pred"]
    assert second["compiles"] >= 4  # traced and compiled again (XLA's compile itself may be cached)


class _UserLayer(keras.layers.Layer):
    pass


def test_stable_tokens_refuse_user_code_closures_and_identities():
    assert executables.stable_token((keras.layers.Dense, "relu", 3, 0.5, None)) == executables.stable_token(
        (keras.layers.Dense, "relu", 3, 0.5, None)
    )
    assert executables.stable_token(0.1) != executables.stable_token(0.1000000000000001)
    with pytest.raises(executables.Unstable, match="class"):
        executables.stable_token((_UserLayer,))

    def closure(v):
        return v

    with pytest.raises(executables.Unstable, match="function"):
        executables.stable_token(closure)
    with pytest.raises(executables.Unstable, match="identity"):
        executables.stable_token(("config", ("object", 140000000)))
    with pytest.raises(executables.Unstable):
        executables.stable_token(object())
    with pytest.raises(executables.Unstable):
        executables.stable_token(lambda v: v)
