"""ModelCheckpoint and BackupAndRestore: files written during training, and resuming after a kill."""

import json
import os
import pathlib
import runpy
import signal
import subprocess
import sys

import numpy as np
import pytest

from jeras import keras

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _data(n=60, dim=5, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, dim)).astype("float32"), rng.integers(0, classes, n)


def _compiled():
    model = keras.models.Sequential(
        [keras.layers.Dense(8, activation="relu", input_shape=[5]), keras.layers.Dense(3, activation="softmax")]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


@pytest.fixture(scope="module")
def _shared_model():
    return _compiled()


@pytest.fixture
def model(_shared_model):
    """One compiled model for the epoch-level tests, fit on `_data()` in batches of 20 (compiling
    is most of a small test's time)."""
    return _shared_model


class Scripted(keras.callbacks.Callback):
    """Sets `val_loss` from a script each epoch and records the weights at each epoch end."""

    def __init__(self, values):
        super().__init__()
        self.values, self.weights = list(values), []

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.values[epoch]
        self.weights.append(self.model.get_weights())


def _assert_weights_equal(actual, expected):
    assert len(actual) == len(expected)
    for a, b in zip(actual, expected):
        np.testing.assert_array_equal(a, b)


def _weights_in(path):
    model = _compiled()
    model.build((None, 5))
    model.load_weights(str(path))
    return model.get_weights()


# ---------------------------------------------------------------------- ModelCheckpoint
def test_save_best_only_keeps_the_best_weights(model, tmp_path, capsys):
    x, y = _data()
    script = Scripted([1.0, 0.5, 0.7, 0.4, 0.6])
    path = tmp_path / "best.weights.h5"
    checkpoint = keras.callbacks.ModelCheckpoint(path, save_best_only=True, save_weights_only=True, verbose=1)
    model.fit(x, y, epochs=5, batch_size=20, verbose=0, callbacks=[script, checkpoint])
    _assert_weights_equal(_weights_in(path), script.weights[3])
    out = capsys.readouterr().out
    assert f"Epoch 2: val_loss improved from 1.00000 to 0.50000, saving model to {path}" in out
    assert "Epoch 3: val_loss did not improve from 0.50000" in out
    assert checkpoint.best == 0.4
    assert [p.name for p in tmp_path.iterdir()] == ["best.weights.h5"]  # no temporary files left


def test_filepath_template_saves_every_epoch(model, tmp_path):
    x, y = _data()
    script = Scripted([1.0, 0.5, 0.75])
    template = str(tmp_path / "ckpt" / "w-{epoch:02d}-{val_loss:.2f}.weights.h5")
    model.fit(
        x,
        y,
        epochs=3,
        batch_size=20,
        verbose=0,
        callbacks=[script, keras.callbacks.ModelCheckpoint(template, save_weights_only=True)],
    )
    names = sorted(os.listdir(tmp_path / "ckpt"))
    assert names == ["w-01-1.00.weights.h5", "w-02-0.50.weights.h5", "w-03-0.75.weights.h5"]
    for epoch, name in enumerate(names):
        _assert_weights_equal(_weights_in(tmp_path / "ckpt" / name), script.weights[epoch])


def test_whole_model_checkpoint_loads_back(model, tmp_path):
    x, y = _data()
    path = tmp_path / "model.keras"
    model.fit(x, y, epochs=2, batch_size=20, verbose=0, callbacks=[keras.callbacks.ModelCheckpoint(path)])
    restored = keras.models.load_model(path)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_integer_save_freq_saves_exact_weights_every_n_batches(tmp_path):
    x, y = _data(n=1000)
    keras.utils.set_random_seed(3)
    model = _compiled()
    template = str(tmp_path / "b-{epoch}-{batch:03d}-{loss:.3f}.weights.h5")
    checkpoint = keras.callbacks.ModelCheckpoint(template, save_weights_only=True, save_freq=30)
    model.fit(x, y, epochs=2, batch_size=10, verbose=0, callbacks=[checkpoint])
    # 100 batches per epoch, counted across epochs: 30, 60, 90, then 120 = epoch 2 batch 20, ...
    names = sorted(os.listdir(tmp_path))
    assert [n.split("-")[1:3] for n in names] == [
        ["1", "030"],
        ["1", "060"],
        ["1", "090"],
        ["2", "020"],
        ["2", "050"],
        ["2", "080"],
    ]
    # fit ends a chunk at each save (chunks of 2, not 4), so the file holds the weights after batch 30.
    keras.utils.set_random_seed(3)
    reference = _compiled()
    reference.fit(x, y, epochs=1, batch_size=10, steps_per_epoch=30, verbose=0)
    _assert_weights_equal(_weights_in(tmp_path / names[0]), reference.get_weights())


def test_initial_value_threshold_and_max_mode(model, tmp_path):
    x, y = _data()
    path = tmp_path / "best.weights.h5"
    checkpoint = keras.callbacks.ModelCheckpoint(
        path, save_best_only=True, save_weights_only=True, initial_value_threshold=0.3
    )
    model.fit(x, y, epochs=2, batch_size=20, verbose=0, callbacks=[Scripted([1.0, 0.5]), checkpoint])
    assert not path.exists()
    checkpoint = keras.callbacks.ModelCheckpoint(
        path, monitor="val_loss", mode="max", save_best_only=True, save_weights_only=True
    )
    script = Scripted([1.0, 3.0, 2.0])
    model.fit(x, y, epochs=3, batch_size=20, verbose=0, callbacks=[script, checkpoint])
    _assert_weights_equal(_weights_in(path), script.weights[1])


def test_missing_monitor_warns_and_template_errors(model, tmp_path):
    x, y = _data()
    path = tmp_path / "best.weights.h5"
    checkpoint = keras.callbacks.ModelCheckpoint(path, save_best_only=True, save_weights_only=True)
    with pytest.warns(UserWarning, match="`val_loss`.*Available metrics are: accuracy, loss"):
        model.fit(x, y, epochs=1, batch_size=20, verbose=0, callbacks=[checkpoint])
    assert not path.exists()
    bad_template = keras.callbacks.ModelCheckpoint(str(tmp_path / "{val_acc:.2f}.h5"), save_weights_only=True)
    with pytest.raises(ValueError, match="filepath names val_acc, which this fit will not log"):
        model.fit(x, y, epochs=1, batch_size=20, verbose=0, callbacks=[bad_template])
    with pytest.raises(ValueError, match="Received: save_freq='batch'"):
        keras.callbacks.ModelCheckpoint("m.h5", save_freq="batch")
    with pytest.raises(ValueError, match="must be named"):
        keras.callbacks.ModelCheckpoint("m-{}.h5")
    with pytest.raises(ValueError, match="Received: mode='best'"):
        keras.callbacks.ModelCheckpoint("m.h5", mode="best")


# ---------------------------------------------------------------------- BackupAndRestore
_SCRIPT = '''
import os
import signal
import sys

import numpy as np

from jeras import keras


def train(backup_dir, save_freq, kill_epoch=-1, kill_batch=-1):
    """Trains with dropout, shuffling, a learning-rate schedule and Adam; returns weights and optimizer state."""
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
            if self.batches == kill_batch:
                os.kill(os.getpid(), signal.SIGKILL)

        def on_epoch_end(self, epoch, logs=None):
            if epoch == kill_epoch:
                os.kill(os.getpid(), signal.SIGKILL)

    callbacks = [keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.9)]
    if backup_dir:
        callbacks.append(keras.callbacks.BackupAndRestore(backup_dir, save_freq=save_freq))
    if kill_epoch >= 0 or kill_batch >= 0:
        callbacks.append(Kill())
    model.fit(x, y, epochs=5, batch_size=10, verbose=0, callbacks=callbacks)
    return model.get_weights() + model.optimizer.get_weights()


if __name__ == "__main__":
    backup_dir, save_freq, kill_epoch, kill_batch, out = sys.argv[1:]
    save_freq = save_freq if save_freq == "epoch" else int(save_freq)
    state = train(backup_dir, save_freq, int(kill_epoch), int(kill_batch))
    np.savez(out, *state)
'''


def _launch(script, *args):
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, str(script), *map(str, args)], env=env, stderr=subprocess.PIPE)


def _finish(process):
    _, err = process.communicate(timeout=120)
    return process.returncode, err.decode()


def test_backup_and_restore_resumes_bit_identically_after_sigkill(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(_SCRIPT)
    # Two interrupted jobs run side by side: killed after epoch 3's backup, and mid-epoch at
    # batch 8 (the last backup at batch 6: epoch 2, batch 1 of its 5).
    runs = {"epoch": ("epoch", 2, -1), "batch": (3, -1, 8)}
    killed = {
        name: _launch(script, tmp_path / name, freq, ke, kb, tmp_path / f"{name}.npz")
        for name, (freq, ke, kb) in runs.items()
    }
    for name, process in killed.items():
        code, err = _finish(process)
        assert code == -signal.SIGKILL, err
        assert not (tmp_path / f"{name}.npz").exists()
        assert os.listdir(tmp_path / name) == ["backup.npz"]  # no temporary file left behind
    with np.load(tmp_path / "epoch" / "backup.npz") as backup:
        meta = json.loads(str(backup["meta"]))
    assert (meta["epoch"], meta["step"]) == (3, 0)
    with np.load(tmp_path / "batch" / "backup.npz") as backup:
        meta = json.loads(str(backup["meta"]))
    assert (meta["epoch"], meta["step"], meta["steps_per_epoch"]) == (1, 1, 5)

    resumed = {
        name: _launch(script, tmp_path / name, freq, -1, -1, tmp_path / f"{name}.npz")
        for name, (freq, _, _) in runs.items()
    }
    for process in resumed.values():
        code, err = _finish(process)
        assert code == 0, err

    # The uninterrupted run, with the same seed and no backups at all.
    expected = runpy.run_path(str(script), run_name="reference")["train"](None, "epoch")
    for name in runs:
        assert not (tmp_path / name).exists()  # delete_checkpoint removed the backup at the end
        with np.load(tmp_path / f"{name}.npz") as out:
            final = [out[f"arr_{i}"] for i in range(len(out.files))]
        assert len(final) == len(expected)
        for a, b in zip(final, expected):
            assert a.dtype == b.dtype and np.array_equal(a, b), name


def test_restore_in_process_resumes_epoch_seed_and_learning_rate(tmp_path):
    x, y = _data()
    model = _compiled()
    backup = keras.callbacks.BackupAndRestore(tmp_path / "backup", delete_checkpoint=False)
    halve = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr / 2)
    model.fit(x, y, epochs=2, batch_size=20, verbose=0, callbacks=[halve, backup])
    seed, weights, state = model.fit_run.seed, model.get_weights(), model.optimizer.get_weights()
    assert os.path.exists(backup.backup_path)

    fresh = _compiled()
    log = []
    recorder = keras.callbacks.LambdaCallback(
        on_train_begin=lambda logs: log.append(("weights", fresh.get_weights(), fresh.optimizer.get_weights())),
        on_epoch_begin=lambda epoch, logs: log.append(("epoch", epoch, fresh.optimizer.learning_rate)),
    )
    history = fresh.fit(x, y, epochs=4, batch_size=20, verbose=0, callbacks=[backup, recorder, halve])
    assert history.epoch == [2, 3]
    assert fresh.fit_run.seed == seed
    _, restored_weights, restored_state = log[0]
    _assert_weights_equal(restored_weights, weights)
    _assert_weights_equal(restored_state, state)
    assert log[1] == ("epoch", 2, pytest.approx(0.1 / 4))  # the restored rate, before this epoch's halving


def test_backup_of_another_model_is_rejected(tmp_path):
    x, y = _data()
    model = _compiled()
    backup = keras.callbacks.BackupAndRestore(tmp_path, delete_checkpoint=False)
    model.fit(x, y, epochs=1, batch_size=20, verbose=0, callbacks=[backup])
    other = keras.models.Sequential([keras.layers.Dense(3, activation="softmax", input_shape=[5])])
    other.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="does not match this model"):
        other.fit(x, y, epochs=1, verbose=0, callbacks=[backup])


def test_backup_and_restore_bad_arguments():
    with pytest.raises(ValueError, match="Received: backup_dir=''"):
        keras.callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match="Received: save_freq=0"):
        keras.callbacks.BackupAndRestore("dir", save_freq=0)
