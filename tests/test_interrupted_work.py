"""Interrupted work leaves a usable model (issue 12, point 4).

An exception or Ctrl-C in `fit` (on both paths, with buffer donation forced on), `evaluate`,
`predict`, `save` or `load_weights` leaves readable, consistent weights; and a `fit` killed with
SIGKILL at random points resumes through BackupAndRestore to the weights of an uninterrupted run,
bit for bit. The killed runs are forked from a zygote process that imported jeras but started no
XLA backend (see `tests/test_write_failures.py`); `JERAS_RESUME_KILLS` sets how many (default 20).
"""

import json
import os
import random
import signal
import subprocess
import sys

import numpy as np
import pytest

from jeras import keras
from jeras.backend.variables import Variable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KILLS = int(os.environ.get("JERAS_RESUME_KILLS", "20"))


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    return x, (x.sum(axis=1) > 0).astype("int64")


@pytest.fixture
def donating(monkeypatch):
    monkeypatch.setenv("JERAS_DONATE", "1")  # the CPU does not donate by default; accelerators do


def _model():
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(2, activation="softmax")]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _usable(model, x, y, tmp_path):
    weights = model.get_weights()
    assert all(np.isfinite(w).all() for w in weights)
    model.evaluate(x, y, verbose=0)
    model.predict(x[:3], verbose=0)
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "after.keras")
    restored = keras.models.load_model(tmp_path / "after.keras")
    for a, b in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


class _InterruptAtBatch(keras.callbacks.Callback):
    def __init__(self, batch):
        super().__init__()
        self.batch, self.seen = batch, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.batch:
            raise KeyboardInterrupt


class _InterruptAtEpoch(keras.callbacks.Callback):
    replays_epoch_logs = True  # keeps fit on the whole-fit path: its hooks run after the program

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt


@pytest.mark.parametrize(("path", "callback"), [("epochs", _InterruptAtBatch(5)), ("whole-fit", _InterruptAtEpoch())])
def test_ctrl_c_in_fit_leaves_usable_weights(donating, data, tmp_path, path, callback):
    x, y = data
    model = _model()
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[callback])
    assert model.compile_stats["path"] == path
    _usable(model, x, y, tmp_path)


def test_ctrl_c_in_evaluate_and_predict_leaves_the_weights_as_they_were(donating, data, tmp_path):
    x, y = data
    model = _model()
    model.fit(x, y, epochs=1, verbose=0)
    before = model.get_weights()

    class Interrupt(keras.callbacks.Callback):
        def on_test_batch_end(self, batch, logs=None):
            raise KeyboardInterrupt

        on_predict_batch_end = on_test_batch_end

    for run in (
        lambda: model.evaluate(x, y, batch_size=8, verbose=0, callbacks=[Interrupt()]),
        lambda: model.predict(x, batch_size=8, verbose=0, callbacks=[Interrupt()]),
    ):
        with pytest.raises(KeyboardInterrupt):
            run()
        for a, b in zip(model.get_weights(), before):
            np.testing.assert_array_equal(a, b)
    _usable(model, x, y, tmp_path)


def test_ctrl_c_in_save_keeps_the_previous_file_and_the_weights(data, tmp_path, monkeypatch):
    x, y = data
    model = _model()
    model.save(tmp_path / "m.h5")
    before_file, before = (tmp_path / "m.h5").read_bytes(), model.get_weights()
    model.fit(x, y, epochs=1, verbose=0)

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    for name in ("m.h5", "m.keras"):
        if name == "m.keras":
            monkeypatch.undo()
            model.save(tmp_path / name)
            before_file = (tmp_path / name).read_bytes()
            monkeypatch.setattr(os, "fsync", interrupted)
        with pytest.raises(KeyboardInterrupt):
            model.save(tmp_path / name)
        assert (tmp_path / name).read_bytes() == before_file
        assert [p for p in os.listdir(tmp_path) if ".jeras-tmp-" in p] == []
    monkeypatch.undo()
    assert not all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))
    _usable(model, x, y, tmp_path)


@pytest.mark.skipif(not hasattr(signal, "raise_signal"), reason="needs signal.raise_signal")
def test_ctrl_c_in_load_weights_is_raised_after_every_weight_is_assigned(data, tmp_path, monkeypatch):
    x, y = data
    source = _model()
    source.fit(x, y, epochs=1, verbose=0)
    source.save_weights(tmp_path / "w.weights.h5")
    model = _model()
    real = Variable.assign
    calls = []

    def assign_and_press_ctrl_c(self, value):
        calls.append(1)
        if len(calls) == 1:
            signal.raise_signal(signal.SIGINT)
        return real(self, value)

    monkeypatch.setattr(Variable, "assign", assign_and_press_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        model.load_weights(tmp_path / "w.weights.h5")
    monkeypatch.undo()
    for a, b in zip(model.get_weights(), source.get_weights()):
        np.testing.assert_array_equal(a, b)  # all of the file, not half of it


# ---------------------------------------------------------------------- SIGKILL, then resume
_TRAIN = r'''
import os, signal, threading, time
import numpy as np
from jeras import keras


def train(backup_dir, kill_at=None, wait=0.0):
    """Dropout, shuffling, a learning-rate schedule and Adam; kill_at: SIGKILL `wait` s after that batch."""
    keras.utils.set_random_seed(7)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(47, 6)).astype("float32")
    y = rng.integers(0, 3, 47)
    model = keras.models.Sequential(
        [
            keras.layers.Dense(16, activation="relu", input_shape=[6]),
            keras.layers.Dropout(0.25),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    class Kill(keras.callbacks.Callback):
        batches = 0

        def on_train_batch_end(self, batch, logs=None):
            self.batches += 1
            if self.batches == kill_at:
                def kill():
                    time.sleep(wait)
                    os.kill(os.getpid(), signal.SIGKILL)
                threading.Thread(target=kill, daemon=True).start()

    callbacks = [keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.9)]
    if backup_dir:
        callbacks.append(keras.callbacks.BackupAndRestore(backup_dir, save_freq=2))
    if kill_at is not None:
        callbacks.append(Kill())
    model.fit(x, y, epochs=6, batch_size=10, verbose=0, callbacks=callbacks)
    return model.get_weights() + model.optimizer.get_weights()
'''

_ZYGOTE = r"""
import json, os, sys, time
exec(compile(open(sys.argv[1]).read(), sys.argv[1], "exec"))
for line in sys.stdin:
    command = json.loads(line)
    pid = os.fork()
    if pid == 0:
        try:
            train(command["backup_dir"], command["kill_at"], command["wait"])
            time.sleep(5)  # a kill after the last batch may still be on its way
            code = 0
        except BaseException:
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    print(json.dumps({"killed": os.WIFSIGNALED(status) and os.WTERMSIG(status) == 9, "status": status}), flush=True)
"""


@pytest.mark.skipif(os.name != "posix" or not hasattr(os, "fork"), reason="SIGKILL and fork are POSIX")
def test_resume_after_sigkill_at_random_points_is_bit_identical(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(_TRAIN)
    namespace = {}
    exec(compile(_TRAIN, str(script), "exec"), namespace)
    expected = namespace["train"](None)
    # The killed runs share compiled programs through the persistent cache (each is a new process).
    env = dict(
        os.environ,
        JAX_PLATFORMS="cpu",
        PYTHONPATH=ROOT,
        JERAS_COMPILATION_CACHE="1",
        JERAS_CACHE_DIR=str(tmp_path / "xla"),
    )
    zygote = subprocess.Popen(
        [sys.executable, "-c", _ZYGOTE, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True
    )
    chance = random.Random(KILLS)
    steps = 6 * 5
    restored = 0  # kills that left a backup to resume from (the others resume from the first epoch)
    try:
        for kill in range(KILLS):
            backup = tmp_path / f"backup{kill}"
            command = {"backup_dir": str(backup), "kill_at": chance.randint(1, steps), "wait": chance.uniform(0, 0.004)}
            zygote.stdin.write(json.dumps(command) + "\n")
            zygote.stdin.flush()
            answer = json.loads(zygote.stdout.readline())
            assert answer["killed"], f"the run was not killed: {answer}"
            restored += (backup / "backup.npz").exists()
            resumed = namespace["train"](str(backup))
            assert not backup.exists()  # the resumed fit finished and removed its backup
            assert len(resumed) == len(expected)
            for a, b in zip(resumed, expected):
                assert a.dtype == b.dtype and np.array_equal(a, b), f"kill {kill} ({command}) changed the result"
    finally:
        zygote.stdin.close()
        zygote.wait(timeout=60)
    assert restored >= KILLS // 2, f"only {restored} of {KILLS} kills left a backup"
