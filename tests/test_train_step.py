"""A model's own `train_step` (the tf.keras 2.x way of customizing fit, in jeras' JAX form), and layers
that report losses and metrics with `add_loss`/`add_metric`."""

import numpy as np
import pytest

from jeras import keras


def _data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 5)).astype("float32"), rng.integers(0, 3, n)


def _compiled(cls, weighted=False):
    keras.utils.set_random_seed(1)
    inputs = keras.Input(shape=[5])
    hidden = keras.layers.Dense(8, activation="relu", kernel_regularizer="l2")(inputs)
    hidden = keras.layers.BatchNormalization()(keras.layers.Dropout(0.2)(hidden))
    outputs = keras.layers.Dense(3, activation="softmax")(hidden)
    model = cls(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        weighted_metrics=["accuracy"] if weighted else None,
    )
    return model


class Documented(keras.Model):
    """The form jeras documents (Keras 3 names)."""

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)

        def forward():
            y_pred = self(x, training=True)
            return self.compute_loss(x, y, y_pred, sample_weight), y_pred

        (_, y_pred), grads = self.value_and_gradients(forward)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return self.compute_metrics(x, y, y_pred, sample_weight)


class TFKeras2Names(keras.Model):
    """tf.keras 2.x's names (compiled_loss, compiled_metrics, self.metrics), the tape replaced by a function."""

    def train_step(self, data):
        x, y = data

        def forward():
            y_pred = self(x, training=True)
            return self.compiled_loss(y, y_pred, regularization_losses=self.losses), y_pred

        (loss, y_pred), grads = self.value_and_gradients(forward)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.compiled_metrics.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


class CallsSuper(keras.Model):
    def train_step(self, data):
        return super().train_step(data)


@pytest.mark.parametrize("cls", [Documented, TFKeras2Names, CallsSuper])
def test_override_re_implementing_the_default_matches_the_built_in_step(cls):
    x, y = _data()
    reference = _compiled(keras.Model)
    expected = reference.fit(x, y, epochs=3, batch_size=16, verbose=0, validation_split=0.25).history
    model = _compiled(cls)
    got = model.fit(x, y, epochs=3, batch_size=16, verbose=0, validation_split=0.25).history
    assert set(got) == set(expected)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-6, atol=1e-7)
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert model.compile_stats["path"] == "whole-fit"


def test_override_with_sample_weights_on_the_epoch_path():
    x, y = _data()
    weights = np.linspace(0.5, 1.5, len(x)).astype("float32")
    callbacks = [keras.callbacks.Callback()]  # a host callback: the epoch-by-epoch path
    reference = _compiled(keras.Model, weighted=True)
    expected = reference.fit(x, y, sample_weight=weights, epochs=2, batch_size=16, verbose=0, callbacks=callbacks)
    model = _compiled(Documented, weighted=True)
    got = model.fit(x, y, sample_weight=weights, epochs=2, batch_size=16, verbose=0, callbacks=callbacks)
    assert model.compile_stats["path"] != "whole-fit"
    for key in expected.history:
        np.testing.assert_allclose(got.history[key], expected.history[key], rtol=1e-6, atol=1e-7)


def test_a_custom_step_changes_training():
    class DoubleStep(Documented):
        def train_step(self, data):
            super().train_step(data)
            return super().train_step(data)  # two updates per batch

    x, y = _data()
    once = _compiled(Documented)
    once.fit(x, y, epochs=1, batch_size=16, verbose=0)
    twice = _compiled(DoubleStep)
    twice.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert once.optimizer.iterations == 3 and twice.optimizer.iterations == 6


def test_logs_that_are_not_metric_results_and_calls_outside_fit_are_explained():
    class BatchLoss(keras.Model):
        def train_step(self, data):
            x, y = data
            (loss, _), grads = self.value_and_gradients(lambda: (self.compute_loss(x, y, self(x)), None))
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            return {"loss": loss}

    x, y = _data()
    model = _compiled(BatchLoss)
    with pytest.raises(ValueError, match="not the result of a compiled loss or metric"):
        model.fit(x, y, epochs=1, verbose=0)
    with pytest.raises(RuntimeError, match="compute_loss works inside the model's own train_step"):
        model.compute_loss(x, y, model(x))


def test_value_and_gradients_in_a_custom_training_loop():
    # Outside fit it differentiates eagerly: a hand-written loop (Géron, chapter 12) without GradientTape.
    x, y = _data(n=16)
    model = keras.Sequential([keras.layers.Dense(3, input_shape=[5])])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = keras.optimizers.SGD(learning_rate=0.1)
    losses = []
    for _ in range(5):
        loss, grads = model.value_and_gradients(lambda: loss_fn(y, model(x, training=True)))
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        losses.append(float(loss))
    assert losses[-1] < losses[0]


class ActivityPenalty(keras.layers.Layer):
    def __init__(self, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs, training=None):
        self.add_loss(self.rate * (inputs**2).mean())
        self.add_metric((inputs**2).mean(axis=-1), name="energy")
        if training:
            self.add_metric(inputs.max(), name="peak")
        return inputs


def test_add_loss_and_add_metric_join_the_loss_and_the_logs():
    x, y = _data()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Dense(4, input_shape=[5]), ActivityPenalty(), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, y.astype("float32"), epochs=2, batch_size=48, verbose=0, validation_split=0.25)
    assert list(history.history) == ["loss", "energy", "peak", "val_loss", "val_energy", "val_peak"]
    # Evaluated by hand from the weights: the loss is the MSE plus the penalty, `energy` its input's mean square.
    hidden = x @ model.layers[0].get_weights()[0] + model.layers[0].get_weights()[1]
    out = hidden @ model.layers[2].get_weights()[0] + model.layers[2].get_weights()[1]
    result = model.evaluate(x, y.astype("float32"), batch_size=48, verbose=0, return_dict=True)
    mse = np.mean((out[:, 0] - y) ** 2)
    assert result["loss"] == pytest.approx(mse + 0.1 * np.mean(hidden**2), rel=1e-5)
    assert result["energy"] == pytest.approx(np.mean(hidden**2), rel=1e-5)
    # Eagerly, `losses` holds the last call's.
    model.layers[1](np.ones((2, 4), "float32"))
    assert float(model.layers[1].losses[0]) == pytest.approx(0.1)


def test_add_loss_callable_and_bad_arguments():
    layer = keras.layers.Dense(2)
    layer.build((None, 3))
    layer.add_loss(lambda: 0.5 * (layer.kernel.value**2).sum())
    assert float(layer.losses[0]) == pytest.approx(0.5 * float((layer.get_weights()[0] ** 2).sum()), rel=1e-6)
    with pytest.raises(ValueError, match="add_metric needs a name"):
        layer.add_metric(1.0)
    with pytest.raises(TypeError, match="symbolic tensor"):
        layer.add_loss(keras.Input(shape=[2]))
