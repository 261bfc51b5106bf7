"""Bad input gets a clear ValueError/TypeError naming the argument, before any step runs."""

import numpy as np
import pytest

from jeras import keras


def _compiled(loss="sparse_categorical_crossentropy", units=10):
    model = keras.models.Sequential(
        [
            keras.layers.Flatten(input_shape=[4, 4]),
            keras.layers.Dense(units, activation="softmax" if units > 1 else None),
        ]
    )
    model.compile(loss=loss, optimizer="sgd", metrics=["accuracy"] if units > 1 else None)
    return model


def _ok(n=8):
    rng = np.random.default_rng(0)
    return rng.random((n, 4, 4)).astype("float32"), rng.integers(0, 10, n)


class NoStepRuns:
    """Asserts the weights did not change: the error came before any step."""

    def __init__(self, model):
        self.model = model
        self.before = model.get_weights()

    def check(self):
        for a, b in zip(self.before, self.model.get_weights()):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda x, y: (x[:7], y), ValueError, r"x has 7 samples but y has 8.*Received"),
        (
            lambda x, y: (x[:, :3], y),
            ValueError,
            r"expected x with shape \(None, 4, 4\), found shape \(None, 3, 4\).*Received: x.shape",
        ),
        (lambda x, y: (x, y + 10), ValueError, r"outside \[0, 10\).*Received: y with min=1\d"),
        (lambda x, y: (x, -y - 1), ValueError, r"Received: y with min=-"),
        (
            lambda x, y: (np.where(np.arange(x.size).reshape(x.shape) == 3, np.nan, x), y),
            ValueError,
            r"x contains 1 NaN.*Received: x",
        ),
        (lambda x, y: (np.full(x.shape, "a"), y), TypeError, r"x must hold numbers.*Received: x with dtype"),
        (lambda x, y: (x, y.astype(str)), TypeError, r"y must hold numbers.*Received: y with dtype"),
        (lambda x, y: (x[:0], y[:0]), ValueError, r"x is empty.*Received: x.shape=\(0, 4, 4\)"),
        (lambda x, y: (x, y + 0.5), ValueError, r"integer class indices.*Received: y"),
        (lambda x, y: (x, np.eye(10)[y]), ValueError, r"not one-hot.*Received: y.shape=\(8, 10\)"),
        (lambda x, y: (None, y), ValueError, r"Received: x=None"),
    ],
)
def test_fit_rejects_bad_data_before_training(make, error, match):
    model = _compiled()
    guard = NoStepRuns(model)
    x, y = make(*_ok())
    with pytest.raises(error, match=match):
        model.fit(x, y, epochs=1, verbose=0)
    guard.check()


def test_fit_requires_targets_and_compile():
    x, y = _ok()
    model = keras.models.Sequential([keras.layers.Dense(2, input_shape=[3])])
    with pytest.raises(ValueError, match="compile your model before training"):
        model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    with pytest.raises(RuntimeError):  # also a RuntimeError, as tf.keras raises
        model.evaluate(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    model = _compiled()
    with pytest.raises(ValueError, match="Received: y=None"):
        model.fit(x, verbose=0)


def test_categorical_loss_needs_one_hot_targets():
    x, y = _ok()
    model = _compiled(loss="categorical_crossentropy")
    with pytest.raises(ValueError, match=r"one-hot.*Received: y.shape=\(8,\)"):
        model.fit(x, y, verbose=0)


def test_regression_target_shape_must_match_outputs():
    x, _ = _ok()
    model = _compiled(loss="mse", units=1)
    with pytest.raises(ValueError, match=r"Received: y.shape=\(8, 3\)"):
        model.fit(x, np.ones((8, 3)), verbose=0)
    model.fit(x, np.ones((8,)), verbose=0)  # (n,) targets for (n, 1) outputs are fine, as in tf.keras


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"batch_size": 0}, "Received: batch_size=0"),
        ({"batch_size": 2.5}, "Received: batch_size=2.5"),
        ({"epochs": -1}, "Received: epochs=-1"),
        ({"validation_split": 1.5}, "Received: validation_split=1.5"),
        ({"validation_data": (np.ones((2, 4, 4)),)}, "validation_data must be a tuple"),
        ({"verbose": 3}, "Received: verbose=3"),
        ({"shuffle": "yes"}, "Received: shuffle='yes'"),
        ({"sample_weight": np.ones(7)}, r"Received: sample_weight.shape=\(7,\)"),
        ({"sample_weight": -np.ones(8)}, "sample_weight must be non-negative"),
        ({"class_weight": [1, 2]}, "class_weight must be a non-empty dict"),
        ({"steps_per_epoch": 0}, "Received: steps_per_epoch=0"),
    ],
)
def test_fit_rejects_bad_arguments(kwargs, match):
    model = _compiled()
    guard = NoStepRuns(model)
    x, y = _ok()
    with pytest.raises((ValueError, TypeError), match=match):
        model.fit(x, y, **{"verbose": 0, **kwargs})
    guard.check()


def test_validation_data_errors_say_so():
    model = _compiled()
    x, y = _ok()
    with pytest.raises(ValueError, match=r"Invalid validation_data.*outside \[0, 10\)"):
        model.fit(x, y, validation_data=(x, y + 20), verbose=0)


@pytest.mark.parametrize(
    "compile_kwargs, error, match",
    [
        ({"loss": "not_a_loss", "optimizer": "sgd"}, ValueError, r"Unknown loss.*Received: loss='not_a_loss'"),
        ({"loss": "mse", "optimizer": "sgdd"}, ValueError, r"Received: optimizer='sgdd'"),
        ({"loss": "mse", "optimizer": "sgd", "metrics": ["accuracyy"]}, ValueError, "accuracyy"),
        ({"loss": "mse", "optimizer": "sgd", "foo": 1}, TypeError, "Unknown keyword argument"),
        ({"loss": 3, "optimizer": "sgd"}, TypeError, r"Received: loss=3"),
    ],
)
def test_compile_rejects_unknown_names(compile_kwargs, error, match):
    model = keras.models.Sequential([keras.layers.Dense(2, input_shape=[3])])
    with pytest.raises(error, match=match):
        model.compile(**compile_kwargs)
        model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)


def test_unknown_activation_name():
    with pytest.raises(ValueError, match=r"Received: activation='relux'"):
        keras.layers.Dense(3, activation="relux")


def test_predict_rejects_wrong_shape_and_empty_input():
    model = _compiled()
    with pytest.raises(ValueError, match=r"expected x with shape \(None, 4, 4\)"):
        model.predict(np.ones((2, 5, 4)), verbose=0)
    with pytest.raises(ValueError, match="x is empty"):
        model.predict(np.ones((0, 4, 4)), verbose=0)
