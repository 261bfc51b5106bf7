"""The compiled engine: caching, partial batches, splits, seeds, callbacks replay, eager mode."""

import warnings

import numpy as np
import pytest

from jeras import keras


def _model(units=4, input_dim=5, activation="softmax"):
    return keras.models.Sequential(
        [
            keras.layers.Dense(8, activation="relu", input_shape=[input_dim]),
            keras.layers.Dense(units, activation=activation),
        ]
    )


def _data(n=100, dim=5, classes=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, dim)).astype("float32"), rng.integers(0, classes, n)


def _traces(model):
    return dict(model._engine.fns.trace_counts)


def test_no_recompile_across_epochs_fits_and_learning_rate_changes(fresh_compiles):
    x, y = _data()
    model = _model()
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )

    class HalveLR(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.optimizer.learning_rate = self.model.optimizer.learning_rate / 2

    model.fit(x, y, epochs=3, verbose=0, callbacks=[HalveLR()])
    first = _traces(model)
    assert first["train_chunk"] == 1 and first["train_rows"] == 1
    assert model.optimizer.learning_rate == pytest.approx(0.1 / 8)
    model.fit(x, y, epochs=2, verbose=0)
    model.optimizer.learning_rate = 0.5
    model.fit(x, y, epochs=1, verbose=0, validation_data=(x[:10], y[:10]))
    model.fit(x, y, epochs=1, verbose=0, validation_data=(x[:10], y[:10]))
    after = _traces(model)
    # The fits without a host callback run whole on the device: one program with, one without validation.
    assert after["train_chunk"] == 1 and after["train_rows"] == 1 and after["whole_fit"] == 2
    assert model.compile_stats["compiles"] == 0


def test_learning_rate_change_takes_effect_without_recompiling():
    x, y = _data()
    model = _model()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    model.optimizer.learning_rate = 0.0
    before = model.get_weights()
    model.fit(x, y, epochs=1, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_last_partial_batch_is_trained_on():
    x, y = _data(n=33)
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    assert model.optimizer.iterations == 4


def test_steps_per_epoch_limits_batches_and_rejects_too_many():
    x, y = _data(n=100)
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=10, steps_per_epoch=3, verbose=0)
    assert model.optimizer.iterations == 6
    with pytest.raises(ValueError, match="steps_per_epoch=11"):
        model.fit(x, y, batch_size=10, steps_per_epoch=11, verbose=0)


def test_validation_split_takes_the_last_fraction():
    x, y = _data(n=100)
    model = _model()
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    history = model.fit(x, y, epochs=1, validation_split=0.2, verbose=0)
    loss, acc = model.evaluate(x[80:], y[80:], verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(loss, rel=1e-6)
    assert history.history["val_accuracy"][0] == pytest.approx(acc, rel=1e-6)


def test_set_random_seed_gives_bit_identical_runs():
    x, y = _data()

    def run(seed):
        keras.utils.set_random_seed(seed)
        model = _model()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        history = model.fit(x, y, epochs=2, verbose=0)
        return history.history["loss"], model.get_weights()

    loss_a, w_a = run(7)
    loss_b, w_b = run(7)
    loss_c, _ = run(8)
    assert loss_a == loss_b
    for a, b in zip(w_a, w_b):
        np.testing.assert_array_equal(a, b)
    assert loss_a != loss_c


def test_shuffle_changes_order_but_not_the_data_seen():
    x, y = _data(n=64)
    keras.utils.set_random_seed(1)
    shuffled = _model()
    keras.utils.set_random_seed(1)
    ordered = _model()
    for m in (shuffled, ordered):
        m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy")
    h1 = shuffled.fit(x, y, epochs=1, batch_size=64, shuffle=True, verbose=0)
    h2 = ordered.fit(x, y, epochs=1, batch_size=64, shuffle=False, verbose=0)
    # One full batch: the order inside it does not change the mean loss or the update.
    assert h1.history["loss"][0] == pytest.approx(h2.history["loss"][0], rel=1e-5)


def test_batch_callbacks_see_every_step_in_order():
    x, y = _data(n=100)
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    seen = []

    class Recorder(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append((batch, sorted(logs)))

    model.fit(x, y, epochs=2, batch_size=10, verbose=0, callbacks=[Recorder()])
    assert [b for b, _ in seen] == list(range(10)) * 2
    assert all(keys == ["accuracy", "loss"] for _, keys in seen)


def test_batch_logs_are_running_means_of_the_epoch():
    x, y = _data(n=40)
    model = _model()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="sparse_categorical_crossentropy")

    class R(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            per_batch.append(logs["loss"])

    per_batch = []
    history = model.fit(x, y, epochs=1, batch_size=10, shuffle=False, verbose=0, callbacks=[R()])
    losses = [model.test_on_batch(x[i : i + 10], y[i : i + 10]) for i in range(0, 40, 10)]
    np.testing.assert_allclose(per_batch, np.cumsum(losses) / np.arange(1, 5), rtol=1e-5)
    assert history.history["loss"][0] == pytest.approx(np.mean(losses), rel=1e-5)


def test_stop_training_from_a_callback_stops_after_the_epoch():
    x, y = _data()
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")

    class StopAtOne(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    history = model.fit(x, y, epochs=10, verbose=0, callbacks=[StopAtOne()])
    assert history.epoch == [0, 1]


def test_run_eagerly_matches_compiled():
    x, y = _data(n=30)
    keras.utils.set_random_seed(3)
    a = _model()
    b = _model()
    b.set_weights(a.get_weights())
    a.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    b.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"], run_eagerly=True)
    ha = a.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    hb = b.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-5)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-7)


def test_evaluate_returns_scalar_list_or_dict():
    x, y = _data(n=20)
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    assert isinstance(model.evaluate(x, y, verbose=0), float)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["acc"])
    result = model.evaluate(x, y, verbose=0)
    assert isinstance(result, list) and len(result) == 2
    assert set(model.evaluate(x, y, verbose=0, return_dict=True)) == {"loss", "acc"}
    with pytest.warns(DeprecationWarning, match="metrics_names"):
        assert model.metrics_names == ["loss", "acc"]


def test_predict_handles_partial_batches_and_unbuilt_models():
    model = keras.models.Sequential([keras.layers.Dense(3), keras.layers.Dense(2)])
    x = np.arange(35 * 4, dtype="float32").reshape(35, 4) / 100
    out = model.predict(x, batch_size=8, verbose=0)
    assert out.shape == (35, 2)
    np.testing.assert_allclose(out, np.asarray(model(x)), rtol=1e-5, atol=1e-6)


def test_nan_loss_is_reported_in_logs_and_warned():
    x, y = _data()
    x[0, 0] = 1e30
    model = _model()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e10), loss="sparse_categorical_crossentropy")
    with pytest.warns(RuntimeWarning, match="Non-finite"):
        history = model.fit(x, y, epochs=2, verbose=0)
    assert not np.isfinite(history.history["loss"][-1])


def test_verbose_progress_bar_prints_keras_lines(capsys):
    x, y = _data()
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "4/4 [==============================]" in out and "loss: " in out and "accuracy: " in out
    model.fit(x, y, epochs=1, verbose=2)
    line = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("4/4")][0]
    assert "/epoch" in line and "/step" in line and "[" not in line


def test_real_fashion_mnist_tutorial_reaches_reference_accuracy():
    from conftest import DATASETS

    from jeras.datasets import read_image_label_pair

    folder = DATASETS / "fashion_mnist"
    x_full, y_full = read_image_label_pair(folder / "train-images-idx3-ubyte.gz", folder / "train-labels-idx1-ubyte.gz")
    x_test, y_test = read_image_label_pair(folder / "t10k-images-idx3-ubyte.gz", folder / "t10k-labels-idx1-ubyte.gz")
    x_valid, x_train = x_full[:1000] / 255.0, x_full[1000:] / 255.0
    y_valid, y_train = y_full[:1000], y_full[1000:]
    keras.utils.set_random_seed(0)
    model = keras.models.Sequential(
        [
            keras.layers.Flatten(input_shape=[28, 28]),
            keras.layers.Dense(300, activation="relu"),
            keras.layers.Dense(100, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=10, validation_data=(x_valid, y_valid), verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, accuracy = model.evaluate(x_test / 255.0, y_test, verbose=0)
    assert accuracy >= 0.76
    proba = model.predict(x_test[:3] / 255.0, verbose=0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


def test_no_warnings_in_a_plain_fit():
    x, y = _data()
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(x, y, epochs=1, verbose=0, validation_split=0.1)
        model.evaluate(x, y, verbose=0)
        model.predict(x, verbose=0)


def test_initial_epoch_resumes_numbering():
    x, y = _data()
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=3, initial_epoch=1, verbose=0)
    assert history.epoch == [1, 2] and len(history.history["loss"]) == 2


def test_subclassed_model_trains_and_predicts():
    class TwoLayer(keras.models.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = keras.layers.Dense(8, activation="relu")
            self.out = keras.layers.Dense(4, activation="softmax")

        def call(self, inputs, training=None):
            return self.out(self.hidden(inputs))

    x, y = _data()
    model = TwoLayer()
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    history = model.fit(x, y, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.count_params() == 5 * 8 + 8 + 8 * 4 + 4
    assert model.predict(x[:5], verbose=0).shape == (5, 4)
    lines = []
    model.summary(print_fn=lines.append)
    assert any(line.startswith("Total params: 84") for line in lines)


def test_sequential_config_round_trip_and_pop():
    model = _model()
    clone = keras.models.Sequential.from_config(model.get_config())
    assert [type(la).__name__ for la in clone.layers] == ["Dense", "Dense"]
    assert clone.count_params() == model.count_params()
    clone.set_weights(model.get_weights())
    x, _ = _data(n=6)
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    popped = clone.pop()
    assert popped.units == 4 and len(clone.layers) == 1 and clone.output_shape == (None, 8)


def test_model_called_directly_and_trainable_flag():
    model = _model()
    model.layers[0].trainable = False
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    x, y = _data()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy")
    frozen = [w.copy() for w in model.layers[0].get_weights()]
    model.fit(x, y, epochs=1, verbose=0)
    for a, b in zip(frozen, model.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)
    assert np.asarray(model(x[:2])).shape == (2, 4)
