"""Tutorial workflows written the way tf.keras 2.x tutorials write them (issue 10, point 6): transfer
learning with `clone_model` + `set_weights` + frozen layers, a learning-rate schedule set with
`keras.backend.set_value` from a callback, and an old tutorial's legacy APIs with their warnings.
Each checks the numbers against Keras 3 running the same workflow with its own API."""

import warnings

import keras as keras3
import numpy as np
import pytest

from jeras import keras


def _task(seed, n=64):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype("float32")
    return x, (x @ rng.normal(size=5) > 0).astype("float32"), rng.integers(0, 3, n)


def _assert_histories(ours, theirs, rtol=2e-5):
    assert set(ours) == set(theirs)
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=rtol, atol=1e-6, err_msg=key)


def test_transfer_learning_with_clone_model_set_weights_and_frozen_layers():
    x_a, _, y_a = _task(0)
    x_b, y_b, _ = _task(1, n=32)
    model_a = keras.models.Sequential(
        [
            keras.layers.Dense(6, activation="relu", input_shape=[5]),
            keras.layers.Dense(4, activation="relu"),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    theirs_a = keras3.Sequential(
        [
            keras3.Input((5,)),
            keras3.layers.Dense(6, "relu"),
            keras3.layers.Dense(4, "relu"),
            keras3.layers.Dense(3, "softmax"),
        ]
    )
    theirs_a.set_weights(model_a.get_weights())
    for model in (model_a, theirs_a):
        model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    _assert_histories(
        model_a.fit(x_a, y_a, epochs=2, batch_size=16, shuffle=False, verbose=0).history,
        theirs_a.fit(x_a, y_a, epochs=2, batch_size=16, shuffle=False, verbose=0).history,
    )
    weights_a = model_a.get_weights()

    # The tutorial: clone A (so that training B leaves A alone), reuse all but its output layer.
    model_a_clone = keras.models.clone_model(model_a)
    model_a_clone.set_weights(model_a.get_weights())
    model_b_on_a = keras.models.Sequential(model_a_clone.layers[:-1])
    model_b_on_a.add(keras.layers.Dense(1, activation="sigmoid"))
    theirs_clone = keras3.models.clone_model(theirs_a)
    theirs_clone.set_weights(theirs_a.get_weights())
    # jeras computes the crossentropy of a sigmoid output from its logits, as tf.keras 2.x does;
    # Keras 3 clips probabilities (float32 `1 - p` loses digits on confident rows), so the oracle
    # is Keras 3 given the logits: a linear output with `from_logits=True`.
    theirs_b = keras3.Sequential([keras3.Input((5,)), *theirs_clone.layers[:-1], keras3.layers.Dense(1)])
    theirs_b.set_weights(model_b_on_a.get_weights())

    def logit_objectives():
        return {
            "loss": keras3.losses.BinaryCrossentropy(from_logits=True),
            "metrics": [keras3.metrics.BinaryAccuracy(name="accuracy", threshold=0.0)],
        }

    for model in (model_b_on_a, theirs_b):
        for layer in model.layers[:-1]:
            layer.trainable = False
    model_b_on_a.compile(loss="binary_crossentropy", optimizer="sgd", metrics=["accuracy"])
    theirs_b.compile(optimizer="sgd", **logit_objectives())
    assert len(model_b_on_a.trainable_weights) == 2
    _assert_histories(
        model_b_on_a.fit(
            x_b, y_b, epochs=3, batch_size=8, shuffle=False, validation_data=(x_a[:16], y_b[:16]), verbose=0
        ).history,
        theirs_b.fit(
            x_b, y_b, epochs=3, batch_size=8, shuffle=False, validation_data=(x_a[:16], y_b[:16]), verbose=0
        ).history,
    )
    for layer in model_b_on_a.layers[:-1]:
        layer.trainable = True
    with pytest.warns(DeprecationWarning, match="`lr` argument"):
        optimizer = keras.optimizers.SGD(lr=1e-2)
    model_b_on_a.compile(loss="binary_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    for layer in theirs_b.layers[:-1]:
        layer.trainable = True
    theirs_b.compile(optimizer=keras3.optimizers.SGD(learning_rate=1e-2), **logit_objectives())
    _assert_histories(
        model_b_on_a.fit(x_b, y_b, epochs=2, batch_size=8, shuffle=False, verbose=0).history,
        theirs_b.fit(x_b, y_b, epochs=2, batch_size=8, shuffle=False, verbose=0).history,
    )
    assert model_b_on_a.evaluate(x_b, y_b, verbose=0) == pytest.approx(theirs_b.evaluate(x_b, y_b, verbose=0), rel=2e-5)
    # The clone was trained, not model A.
    for before, after in zip(weights_a, model_a.get_weights()):
        np.testing.assert_array_equal(before, after)


def test_clone_model_of_a_functional_model_with_a_clone_function():
    inputs = keras.Input(shape=[5])
    shared = keras.layers.Dense(5, activation="tanh")
    outputs = keras.layers.Dense(2)(keras.layers.Add()([shared(inputs), shared(shared(inputs))]))
    model = keras.Model(inputs, outputs)
    seen = []

    def clone_function(layer):
        seen.append(layer.name)
        config = layer.get_config()
        if isinstance(layer, keras.layers.Dense) and layer.units == 2:
            config["activation"] = "sigmoid"
        return type(layer).from_config(config)

    clone = keras.models.clone_model(model, clone_function=clone_function)
    assert len(seen) == 3 and len(clone.weights) == len(model.weights)  # the shared layer is cloned once
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
    np.testing.assert_allclose(clone.predict(x, verbose=0), 1 / (1 + np.exp(-model.predict(x, verbose=0))), rtol=1e-5)
    with pytest.raises(ValueError, match="subclassed model"):

        class Sub(keras.Model):
            def call(self, inputs):
                return inputs

        keras.models.clone_model(Sub())


def test_learning_rate_schedule_set_with_backend_set_value_from_a_callback():
    x, y, _ = _task(2)

    class HalveEachEpoch(keras.callbacks.Callback):  # the tutorial's custom scheduler
        def on_epoch_begin(self, epoch, logs=None):
            lr = float(keras.backend.get_value(self.model.optimizer.lr))
            keras.backend.set_value(self.model.optimizer.lr, lr * 0.5 if epoch else lr)

        def on_epoch_end(self, epoch, logs=None):
            logs["lr"] = keras.backend.get_value(self.model.optimizer.learning_rate)

    class Theirs(keras3.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch:
                self.model.optimizer.learning_rate.assign(self.model.optimizer.learning_rate * 0.5)

    ours = keras.Sequential([keras.layers.Dense(4, activation="relu", input_shape=[5]), keras.layers.Dense(1)])
    theirs = keras3.Sequential([keras3.Input((5,)), keras3.layers.Dense(4, "relu"), keras3.layers.Dense(1)])
    theirs.set_weights(ours.get_weights())
    ours.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=0.1, momentum=0.9))
    theirs.compile(loss="mse", optimizer=keras3.optimizers.SGD(learning_rate=0.1, momentum=0.9))
    history = ours.fit(x, y, epochs=4, batch_size=16, shuffle=False, verbose=0, callbacks=[HalveEachEpoch()])
    expected = theirs.fit(x, y, epochs=4, batch_size=16, shuffle=False, verbose=0, callbacks=[Theirs()])
    np.testing.assert_allclose(history.history["lr"], [0.1, 0.05, 0.025, 0.0125], rtol=1e-6)
    np.testing.assert_allclose(history.history["loss"], expected.history["loss"], rtol=2e-5)
    assert float(ours.optimizer.learning_rate) == pytest.approx(0.0125)


def test_per_batch_learning_rate_callbacks_apply_to_the_next_batch_as_in_keras3():
    # The learning-rate finder (multiply the rate after each batch, record rate and loss) and the
    # 1cycle scheduler (set the rate before each batch) of the deep-net chapters.
    x, y, _ = _task(4, n=40)

    class ExponentialLearningRate(keras.callbacks.Callback):
        def __init__(self, factor):
            super().__init__()
            self.factor, self.rates, self.losses = factor, [], []

        def on_batch_end(self, batch, logs):
            self.rates.append(keras.backend.get_value(self.model.optimizer.learning_rate))
            self.losses.append(logs["loss"])
            keras.backend.set_value(
                self.model.optimizer.learning_rate, self.model.optimizer.learning_rate * self.factor
            )

    class OneCycle(keras.callbacks.Callback):
        def __init__(self, rates):
            super().__init__()
            self.rates, self.iteration = rates, 0

        def on_batch_begin(self, batch, logs):
            keras.backend.set_value(self.model.optimizer.learning_rate, self.rates[self.iteration])
            self.iteration += 1

    class Theirs(keras3.callbacks.Callback):
        def __init__(self, factor=None, rates=None):
            super().__init__()
            self.factor, self.schedule, self.rates, self.losses = factor, rates, [], []

        def on_train_batch_begin(self, batch, logs=None):
            if self.schedule is not None:
                self.model.optimizer.learning_rate.assign(self.schedule.pop(0))

        def on_train_batch_end(self, batch, logs=None):
            self.rates.append(float(self.model.optimizer.learning_rate))
            self.losses.append(logs["loss"])
            if self.factor is not None:
                self.model.optimizer.learning_rate.assign(self.model.optimizer.learning_rate * self.factor)

    rates = [0.01, 0.05, 0.1, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.001]  # 2 epochs of 5 batches (8 rows each)
    for ours_cb, theirs_cb in (
        (ExponentialLearningRate(1.6), Theirs(factor=1.6)),
        (OneCycle(rates), Theirs(rates=list(rates))),
    ):
        ours = keras.Sequential([keras.layers.Dense(4, activation="relu", input_shape=[5]), keras.layers.Dense(1)])
        theirs = keras3.Sequential([keras3.Input((5,)), keras3.layers.Dense(4, "relu"), keras3.layers.Dense(1)])
        theirs.set_weights(ours.get_weights())
        ours.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=1e-3))
        theirs.compile(loss="mse", optimizer=keras3.optimizers.SGD(learning_rate=1e-3))
        history = ours.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0, callbacks=[ours_cb])
        expected = theirs.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0, callbacks=[theirs_cb])
        np.testing.assert_allclose(history.history["loss"], expected.history["loss"], rtol=2e-5)
        for a, b in zip(ours.get_weights(), theirs.get_weights()):
            np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-6)
        if isinstance(ours_cb, ExponentialLearningRate):  # the finder's curve: rate and loss per batch
            np.testing.assert_allclose(ours_cb.rates, theirs_cb.rates, rtol=1e-6)
            np.testing.assert_allclose(ours_cb.losses, theirs_cb.losses, rtol=2e-5)
    np.testing.assert_allclose(theirs_cb.rates, rates, rtol=1e-6)  # each batch trained at its own rate


class Batches:
    """A keras.utils.Sequence as old tutorials write one (indexable batches with a length)."""

    def __init__(self, x, y, batch_size):
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return int(np.ceil(len(self.x) / self.batch_size))

    def __getitem__(self, i):
        rows = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.x[rows], self.y[rows]


def test_an_old_tutorial_with_its_legacy_apis_warns_and_gives_keras3_numbers(tmp_path):
    x, _, y = _task(3, n=60)
    ours = keras.models.Sequential(
        [keras.layers.Dense(8, activation="relu", input_shape=[5]), keras.layers.Dense(3, activation="softmax")]
    )
    theirs = keras3.Sequential([keras3.Input((5,)), keras3.layers.Dense(8, "relu"), keras3.layers.Dense(3, "softmax")])
    theirs.set_weights(ours.get_weights())
    with pytest.warns(DeprecationWarning, match="`lr` argument"):
        ours.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.SGD(lr=0.05), metrics=["acc"])
    theirs.compile(
        loss="sparse_categorical_crossentropy", optimizer=keras3.optimizers.SGD(learning_rate=0.05), metrics=["acc"]
    )
    with pytest.warns(DeprecationWarning, match="fit_generator.*use `Model.fit`"):
        history = ours.fit_generator(Batches(x, y, 16), epochs=3, shuffle=False, verbose=0)
    expected = theirs.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    assert list(history.history) == ["loss", "acc"]  # named as compiled, as in tf.keras 2.x
    _assert_histories(history.history, expected.history)
    with pytest.warns(DeprecationWarning, match=r"has no key 'accuracy'.*history.history\['acc'\]"):
        assert history.history["accuracy"] == history.history["acc"]
    with pytest.raises(KeyError, match="Available keys"):
        history.history["val_loss"]

    with pytest.warns(DeprecationWarning, match="evaluate_generator"):
        loss, acc = ours.evaluate_generator(Batches(x, y, 16))
    assert [loss, acc] == pytest.approx(theirs.evaluate(x, y, verbose=0), rel=2e-5)
    probabilities = theirs.predict(x, verbose=0)
    with pytest.warns(DeprecationWarning, match=r"np.argmax\(model.predict\(x\), axis=-1\)"):
        np.testing.assert_array_equal(ours.predict_classes(x), probabilities.argmax(axis=-1))
    with pytest.warns(DeprecationWarning, match="predict_proba"):
        np.testing.assert_allclose(ours.predict_proba(x), probabilities, rtol=1e-5, atol=1e-7)
    with pytest.warns(DeprecationWarning, match="predict_generator"):
        np.testing.assert_allclose(
            ours.predict_generator(Batches(x, y, 16), steps=2), probabilities[:32], rtol=1e-5, atol=1e-7
        )
    with pytest.warns(DeprecationWarning, match="metrics_names"):
        assert ours.metrics_names == ["loss", "acc"]

    def generator():
        while True:
            for i in range(0, 60, 20):
                yield x[i : i + 20], y[i : i + 20]

    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match="steps_per_epoch is required"):
        ours.fit_generator(generator(), epochs=1, verbose=0)

    with pytest.warns(DeprecationWarning, match=r"save_format=.*'model.keras'"):
        ours.save(tmp_path / "model.h5", save_format="h5")
    assert (tmp_path / "model.h5").exists()
    with pytest.warns(DeprecationWarning, match="SKLearnClassifier"):
        keras.wrappers.scikit_learn.KerasClassifier(build_fn=lambda: ours)


def test_legacy_generators_reject_bad_steps_and_batches():
    model = keras.Sequential([keras.layers.Dense(1, input_shape=[2])])
    model.compile(loss="mse", optimizer="sgd")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(ValueError, match="steps_per_epoch must be a positive integer"):
            model.fit_generator(Batches(np.zeros((4, 2)), np.zeros(4), 2), steps_per_epoch=0)
        with pytest.raises(ValueError, match=r"must yield \(x, y\)"):
            model.evaluate_generator(iter([np.zeros((2, 2))] * 2), steps=2)
        with pytest.raises(TypeError, match="generator or a keras.utils.Sequence"):
            model.predict_generator(42)
