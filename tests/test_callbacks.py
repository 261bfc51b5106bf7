"""Callback machinery and the callbacks that watch logs: EarlyStopping, the learning-rate
callbacks, TerminateOnNaN, LambdaCallback and CSVLogger."""

import csv
import warnings

import numpy as np
import pytest

from jeras import keras
from jeras.callbacks import CallbackList


def _model(units=3, dim=5):
    return keras.models.Sequential(
        [keras.layers.Dense(8, activation="relu", input_shape=[dim]), keras.layers.Dense(units, activation="softmax")]
    )


def _compiled(lr=0.1, metrics=("accuracy",)):
    model = _model()
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=lr), loss="sparse_categorical_crossentropy", metrics=list(metrics)
    )
    return model


def _data(n=60, dim=5, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, dim)).astype("float32"), rng.integers(0, classes, n)


@pytest.fixture(scope="module")
def _shared_model():
    return _compiled()


@pytest.fixture
def model(_shared_model):
    """One compiled model for the tests of callback logic, which fit it on `_data()` in batches of
    20 (compiling is most of a small test's time); each test starts at learning rate 0.1."""
    _shared_model.optimizer.learning_rate = 0.1
    return _shared_model


class Scripted(keras.callbacks.Callback):
    """Overwrites a log with a scripted value each epoch and records the weights at each epoch end.

    Placed before the callback under test, it controls the metric that callback sees.
    """

    def __init__(self, name, values):
        super().__init__()
        self.name, self.values, self.weights = name, list(values), []

    def on_epoch_end(self, epoch, logs=None):
        logs[self.name] = self.values[epoch]
        self.weights.append(self.model.get_weights())


def _assert_weights_equal(actual, expected):
    assert len(actual) == len(expected)
    for a, b in zip(actual, expected):
        np.testing.assert_array_equal(a, b)


def _weights_differ(a, b):
    return any(not np.array_equal(u, v) for u, v in zip(a, b))


# ---------------------------------------------------------------------- machinery
class Recorder(keras.callbacks.Callback):
    HOOKS = [
        "on_train_begin",
        "on_train_end",
        "on_epoch_begin",
        "on_epoch_end",
        "on_train_batch_begin",
        "on_train_batch_end",
        "on_test_begin",
        "on_test_end",
        "on_test_batch_begin",
        "on_test_batch_end",
        "on_predict_begin",
        "on_predict_end",
        "on_predict_batch_begin",
        "on_predict_batch_end",
    ]

    def __init__(self):
        super().__init__()
        self.calls = []
        for hook in self.HOOKS:
            setattr(self, hook, self._recorder(hook))

    def _recorder(self, hook):
        def record(*args):
            *index, logs = args
            assert isinstance(logs, dict), f"{hook} got logs={logs!r}"
            self.calls.append((hook, *index))
            self.logs = logs

        return record


def test_every_hook_is_called_in_tf_keras_order_with_model_and_params(model):
    x, y = _data()
    rec = Recorder()
    model.fit(x, y, epochs=2, batch_size=20, validation_data=(x, y), verbose=0, callbacks=[rec])
    assert rec.model is model
    assert rec.params["epochs"] == 2 and rec.params["steps"] == 3 and rec.params["verbose"] == 0
    expected = [("on_train_begin",)]
    for epoch in range(2):
        expected.append(("on_epoch_begin", epoch))
        for b in range(3):
            expected += [("on_train_batch_begin", b), ("on_train_batch_end", b)]
        expected.append(("on_test_begin",))
        for b in range(3):
            expected += [("on_test_batch_begin", b), ("on_test_batch_end", b)]
        expected += [("on_test_end",), ("on_epoch_end", epoch)]
    expected.append(("on_train_end",))
    assert rec.calls == expected

    rec.calls = []
    model.evaluate(x, y, batch_size=20, verbose=0, callbacks=[rec])
    assert rec.calls == [("on_test_begin",)] + [
        (hook, b) for b in range(3) for hook in ("on_test_batch_begin", "on_test_batch_end")
    ] + [("on_test_end",)]
    assert set(rec.logs) == {"loss", "accuracy"}
    rec.calls = []
    model.predict(x, batch_size=20, verbose=0, callbacks=[rec])
    assert rec.calls == [("on_predict_begin",)] + [
        (hook, b) for b in range(3) for hook in ("on_predict_batch_begin", "on_predict_batch_end")
    ] + [("on_predict_end",)]


def test_legacy_batch_hooks_and_train_batch_logs_of_every_step(model):
    x, y = _data()
    seen = []

    class Legacy(keras.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append((batch, logs["loss"]))

    history = model.fit(x, y, epochs=1, batch_size=20, verbose=0, callbacks=[Legacy()])
    assert [b for b, _ in seen] == [0, 1, 2]
    assert seen[-1][1] == history.history["loss"][0]
    assert len({loss for _, loss in seen}) > 1


def test_weights_read_at_aligned_batches_are_exact():
    """A callback with `sync_every_steps = 6` reads the weights after exactly every 6th batch.

    100 batches per epoch would run in chunks of 4 (one progress update per ~30th of an
    epoch); aligned to 6 they run in chunks of 2, so batch 6 ends a chunk.
    """
    x, y = _data(n=1000)

    class EverySix(keras.callbacks.Callback):
        sync_every_steps = 6

        def __init__(self):
            super().__init__()
            self.count, self.snapshots = 0, {}

        def on_train_batch_end(self, batch, logs=None):
            self.count += 1
            if self.count % 6 == 0:
                self.snapshots[self.count] = self.model.get_weights()

    keras.utils.set_random_seed(5)
    model = _compiled()
    watcher = EverySix()
    model.fit(x, y, epochs=2, batch_size=10, verbose=0, callbacks=[watcher])
    assert sorted(watcher.snapshots) == list(range(6, 201, 6))
    # The same seed and data with steps_per_epoch=6 train exactly the first 6 batches.
    keras.utils.set_random_seed(5)
    reference = _compiled()
    reference.fit(x, y, epochs=1, batch_size=10, steps_per_epoch=6, verbose=0)
    _assert_weights_equal(watcher.snapshots[6], reference.get_weights())


def test_callback_list_rejects_non_callbacks():
    with pytest.raises(TypeError, match="Callback instances"):
        CallbackList([lambda: None])


def test_get_config_round_trips():
    for callback in [
        keras.callbacks.EarlyStopping(monitor="loss", patience=3, min_delta=0.1, baseline=0.5, start_from_epoch=1),
        keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=1e-3),
        keras.callbacks.CSVLogger("log.csv", separator=";", append=True),
        keras.callbacks.ModelCheckpoint("m-{epoch}.h5", save_best_only=True, save_freq=7),
        keras.callbacks.BackupAndRestore("backup", save_freq=3, delete_checkpoint=False),
        keras.callbacks.TensorBoard("tb", histogram_freq=2, update_freq="batch", profile_batch=(2, 3)),
    ]:
        config = callback.get_config()
        assert type(callback).from_config(config).get_config() == config


def test_keras_namespace_exports_the_tf_keras_callbacks():
    names = [
        "BackupAndRestore",
        "CSVLogger",
        "Callback",
        "CallbackList",
        "EarlyStopping",
        "History",
        "LambdaCallback",
        "LearningRateScheduler",
        "ModelCheckpoint",
        "ProgbarLogger",
        "ReduceLROnPlateau",
        "TensorBoard",
        "TerminateOnNaN",
    ]
    assert sorted(keras.callbacks.__all__) == sorted(names)
    assert all(isinstance(getattr(keras.callbacks, name), type) for name in names)


# ---------------------------------------------------------------------- EarlyStopping
def _fit_scripted(model, callback, values, *, name="val_loss", epochs=None):
    x, y = _data()
    script = Scripted(name, values)
    history = model.fit(x, y, epochs=epochs or len(values), batch_size=20, verbose=0, callbacks=[script, callback])
    return model, script, history


def test_early_stopping_stops_after_patience_and_restores_the_best_epoch(model):
    stop = keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    model, script, history = _fit_scripted(model, stop, [1.0, 0.8, 0.9, 0.85, 0.95, 0.7])
    assert history.epoch == [0, 1, 2, 3]
    assert stop.stopped_epoch == 3 and stop.best == 0.8 and stop.best_epoch == 1
    assert _weights_differ(script.weights[1], script.weights[3])
    _assert_weights_equal(model.get_weights(), script.weights[1])


def test_early_stopping_without_restore_keeps_the_last_weights(model):
    stop = keras.callbacks.EarlyStopping(patience=1)
    model, script, history = _fit_scripted(model, stop, [1.0, 1.2, 0.5])
    assert history.epoch == [0, 1]
    _assert_weights_equal(model.get_weights(), script.weights[1])


def test_early_stopping_restores_best_weights_when_training_ends_without_a_stop(model):
    stop = keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)
    model, script, history = _fit_scripted(model, stop, [1.0, 0.5, 0.9])
    assert history.epoch == [0, 1, 2] and stop.stopped_epoch == 0
    _assert_weights_equal(model.get_weights(), script.weights[1])


@pytest.mark.parametrize(
    "kwargs, name, values, stopped",
    [
        ({"patience": 1, "min_delta": 0.1}, "val_loss", [1.0, 0.95, 0.92, 0.5], 1),
        ({"patience": 0}, "val_loss", [1.0, 0.9, 0.9, 0.5], 2),
        ({"patience": 1}, "val_accuracy", [0.5, 0.6, 0.55, 0.9], 2),  # "auto" maximizes accuracy
        ({"patience": 1, "mode": "max"}, "val_loss", [0.5, 0.6, 0.55, 0.9], 2),
        # Improvements that miss the baseline do not reset the wait (without it: no stop at 2).
        ({"patience": 2, "baseline": 0.5}, "val_loss", [0.9, 0.8, 0.85, 0.4], 2),
        ({"patience": 1, "start_from_epoch": 2}, "val_loss", [0.1, 0.2, 1.0, 1.1, 0.5], 3),
    ],
)
def test_early_stopping_rules(model, kwargs, name, values, stopped):
    stop = keras.callbacks.EarlyStopping(monitor=name, **kwargs)
    _, _, history = _fit_scripted(model, stop, values, name=name)
    assert stop.stopped_epoch == stopped and history.epoch[-1] == stopped


def test_early_stopping_resets_in_on_train_begin(model):
    stop = keras.callbacks.EarlyStopping(patience=1)
    _, _, first = _fit_scripted(model, stop, [1.0, 2.0, 0.5])
    _, _, second = _fit_scripted(model, stop, [3.0, 2.0, 1.0])
    assert first.epoch == [0, 1] and second.epoch == [0, 1, 2] and stop.stopped_epoch == 0 and stop.best == 1.0


def test_early_stopping_warns_listing_available_metrics(model):
    x, y = _data()
    stop = keras.callbacks.EarlyStopping(monitor="val_los")
    with pytest.warns(UserWarning, match=r"`val_los`.*Available metrics are: accuracy, loss"):
        history = model.fit(x, y, epochs=2, batch_size=20, verbose=0, callbacks=[stop])
    assert history.epoch == [0, 1]


def test_early_stopping_bad_arguments():
    with pytest.raises(ValueError, match="Received: mode='minimum'"):
        keras.callbacks.EarlyStopping(mode="minimum")
    with pytest.raises(ValueError, match="Received: patience=-1"):
        keras.callbacks.EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="Received: start_from_epoch=1.5"):
        keras.callbacks.EarlyStopping(start_from_epoch=1.5)


# ---------------------------------------------------------------------- learning rate
def test_reduce_lr_on_plateau_reduces_at_the_right_epochs_with_cooldown(model):
    reduce = keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1)
    model, _, history = _fit_scripted(model, reduce, [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5])
    # `lr` in the logs is the rate each epoch trained with; History (last) records it.
    assert history.history["lr"] == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05])
    assert model.optimizer.learning_rate == pytest.approx(0.025)


def test_reduce_lr_on_plateau_respects_min_lr_and_min_delta(model):
    reduce = keras.callbacks.ReduceLROnPlateau(factor=0.1, patience=1, min_lr=0.02, min_delta=0.1)
    model, _, history = _fit_scripted(model, reduce, [1.0, 0.95, 0.9, 0.85])
    assert history.history["lr"] == pytest.approx([0.1, 0.1, 0.02, 0.02])
    assert model.optimizer.learning_rate == pytest.approx(0.02)


def test_reduce_lr_on_plateau_changes_the_rate_training_uses(model):
    x, y = _data()
    reduce = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.0, patience=0)
    script = Scripted("val_loss", [1.0, 2.0, 2.0, 2.0])
    model.fit(x, y, epochs=4, batch_size=20, verbose=0, callbacks=[script, reduce])
    # Rate 0 from epoch 2 on: the weights stop changing.
    assert _weights_differ(script.weights[0], script.weights[1])
    _assert_weights_equal(script.weights[3], script.weights[1])


def test_reduce_lr_on_plateau_bad_arguments():
    with pytest.raises(ValueError, match="Received: factor=1.0"):
        keras.callbacks.ReduceLROnPlateau(factor=1.0)
    with pytest.raises(ValueError, match="Received: cooldown=-2"):
        keras.callbacks.ReduceLROnPlateau(cooldown=-2)
    with pytest.raises(TypeError, match="Received: {'patients': 3}"):
        keras.callbacks.ReduceLROnPlateau(patients=3)
    assert keras.callbacks.ReduceLROnPlateau(epsilon=0.5).min_delta == 0.5


def test_learning_rate_scheduler_of_the_epoch_and_of_the_rate(model, capsys):
    x, y = _data()
    by_epoch = keras.callbacks.LearningRateScheduler(lambda epoch: 0.2 * 0.5**epoch, verbose=1)
    history = model.fit(x, y, epochs=3, batch_size=20, verbose=0, callbacks=[by_epoch])
    assert history.history["lr"] == pytest.approx([0.2, 0.1, 0.05])
    assert "Epoch 00002: LearningRateScheduler setting learning rate to 0.1." in capsys.readouterr().out

    model.optimizer.learning_rate = 0.1
    by_rate = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr if epoch < 1 else lr * 0.9)
    history = model.fit(x, y, epochs=3, batch_size=20, verbose=0, callbacks=[by_rate])
    assert history.history["lr"] == pytest.approx([0.1, 0.09, 0.081])


def test_learning_rate_scheduler_rate_is_used_by_training(model):
    x, y = _data()
    script = Scripted("unused", [0, 0, 0])
    zero_after_first = keras.callbacks.LearningRateScheduler(lambda epoch: 0.1 if epoch == 0 else 0.0)
    model.fit(x, y, epochs=3, batch_size=20, verbose=0, callbacks=[zero_after_first, script])
    _assert_weights_equal(script.weights[2], script.weights[0])


def test_learning_rate_scheduler_bad_schedule(model):
    with pytest.raises(TypeError, match="Received: schedule=0.1"):
        keras.callbacks.LearningRateScheduler(0.1)
    x, y = _data()
    with pytest.raises(ValueError, match="Received: learning_rate='fast'"):
        model.fit(
            x, y, batch_size=20, verbose=0, callbacks=[keras.callbacks.LearningRateScheduler(lambda epoch: "fast")]
        )


# ---------------------------------------------------------------------- TerminateOnNaN
def test_terminate_on_nan_stops_at_the_end_of_the_chunk(capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4)).astype("float32") * 100
    y = rng.normal(size=(200, 1)).astype("float32")
    model = keras.models.Sequential([keras.layers.Dense(1, input_shape=[4])])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e6), loss="mse")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # fit's own warning about non-finite epoch logs
        history = model.fit(x, y, epochs=5, batch_size=2, verbose=0, callbacks=[keras.callbacks.TerminateOnNaN()])
    assert history.epoch == [0]
    assert not np.isfinite(history.history["loss"][0])
    assert model.optimizer.iterations < 100  # stopped within the first epoch
    assert "Invalid loss, terminating training" in capsys.readouterr().out

    # Finite losses train all epochs.
    model = keras.models.Sequential([keras.layers.Dense(1, input_shape=[4])])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-6), loss="mse")
    history = model.fit(x, y, epochs=2, batch_size=50, verbose=0, callbacks=[keras.callbacks.TerminateOnNaN()])
    assert history.epoch == [0, 1]


# ---------------------------------------------------------------------- LambdaCallback
def test_lambda_callback_calls_given_hooks_with_tf_keras_arguments(model):
    x, y = _data()
    calls = []
    callback = keras.callbacks.LambdaCallback(
        on_train_begin=lambda logs: calls.append(("train_begin", logs)),
        on_epoch_begin=lambda epoch, logs: calls.append(("epoch_begin", epoch)),
        on_batch_end=lambda batch, logs: calls.append(("batch_end", batch, sorted(logs))),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, sorted(logs))),
        on_train_end=lambda logs: calls.append(("train_end", sorted(logs))),
        on_test_end=lambda logs: calls.append(("test_end", sorted(logs))),
    )
    model.fit(x, y, epochs=1, batch_size=20, validation_data=(x, y), verbose=0, callbacks=[callback])
    assert calls == [
        ("train_begin", {}),
        ("epoch_begin", 0),
        ("batch_end", 0, ["accuracy", "loss"]),
        ("batch_end", 1, ["accuracy", "loss"]),
        ("batch_end", 2, ["accuracy", "loss"]),
        ("test_end", ["accuracy", "loss"]),
        ("epoch_end", 0, ["accuracy", "loss", "val_accuracy", "val_loss"]),
        ("train_end", ["accuracy", "loss", "val_accuracy", "val_loss"]),
    ]


def test_lambda_callback_only_given_batch_hooks_count_and_bad_arguments():
    from jeras.callbacks.callback import overrides_batch_hooks

    assert not overrides_batch_hooks(keras.callbacks.LambdaCallback(on_epoch_end=print), "train")
    assert overrides_batch_hooks(keras.callbacks.LambdaCallback(on_train_batch_end=print), "train")
    with pytest.raises(TypeError, match="Received: on_epoch_finish=..."):
        keras.callbacks.LambdaCallback(on_epoch_finish=print)
    with pytest.raises(TypeError, match="Received: on_epoch_end=3"):
        keras.callbacks.LambdaCallback(on_epoch_end=3)


# ---------------------------------------------------------------------- CSVLogger
def _read_csv(path, delimiter=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=delimiter))


def test_csv_logger_writes_header_and_rows_of_the_history(model, tmp_path):
    x, y = _data()
    path = tmp_path / "logs" / "training.csv"
    history = model.fit(
        x, y, epochs=3, batch_size=20, validation_data=(x, y), verbose=0, callbacks=[keras.callbacks.CSVLogger(path)]
    )
    rows = _read_csv(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [row[0] for row in rows[1:]] == ["0", "1", "2"]
    for column, name in enumerate(rows[0][1:], start=1):
        assert [float(row[column]) for row in rows[1:]] == history.history[name]


def test_csv_logger_append_and_separator(model, tmp_path):
    x, y = _data()
    path = tmp_path / "training.csv"
    logger = keras.callbacks.CSVLogger(path, separator=";", append=True)
    scheduler = keras.callbacks.LearningRateScheduler(lambda epoch: 0.05)
    model.fit(x, y, epochs=2, batch_size=20, verbose=0, callbacks=[scheduler, logger])
    model.fit(x, y, epochs=1, batch_size=20, verbose=0, callbacks=[scheduler, logger])
    rows = _read_csv(path, ";")
    assert rows[0] == ["epoch", "accuracy", "loss", "lr"]
    assert [row[0] for row in rows[1:]] == ["0", "1", "0"]
    assert all(float(row[3]) == 0.05 for row in rows[1:])
    keras.callbacks.CSVLogger(path).on_train_begin()  # append=False starts the file afresh
    assert path.read_text() == ""


def test_csv_logger_marks_missing_values_and_warns_about_new_columns(model, tmp_path):
    x, y = _data()
    path = tmp_path / "training.csv"
    with pytest.warns(UserWarning, match="leaves out val_accuracy, val_loss"):
        model.fit(
            x,
            y,
            epochs=2,
            batch_size=20,
            validation_data=(x, y),
            validation_freq=2,
            verbose=0,
            callbacks=[keras.callbacks.CSVLogger(path)],
        )
    assert [row[0] for row in _read_csv(path)] == ["epoch", "0", "1"]

    logger = keras.callbacks.CSVLogger(path)
    logger.set_model(model)
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 1.0, "acc": 0.5})
    logger.on_epoch_end(1, {"loss": 0.5})
    logger.on_train_end()
    assert _read_csv(path) == [["epoch", "acc", "loss"], ["0", "0.5", "1.0"], ["1", "NA", "0.5"]]


def test_csv_logger_bad_separator():
    with pytest.raises(ValueError, match="Received: separator=';;'"):
        keras.callbacks.CSVLogger("x.csv", separator=";;")
