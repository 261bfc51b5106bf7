"""Deep nets from the tutorials on the real California housing data (../shared/datasets)."""

import numpy as np
import pytest
from conftest import DATASETS

from jeras import keras
from jeras.datasets import california_housing


@pytest.fixture(scope="module")
def housing():
    (x_full, y_full), (x_test, y_test) = california_housing.load_data(data_dir=str(DATASETS), sample_fallback=False)
    x_train, y_train = x_full[:-3000], y_full[:-3000]
    x_valid, y_valid = x_full[-3000:], y_full[-3000:]
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    scale = lambda x: ((x - mean) / std).astype("float32")  # noqa: E731
    return scale(x_train), y_train, scale(x_valid), y_valid


def _linear_valid_mse(x_train, y_train, x_valid, y_valid) -> float:
    design = lambda x: np.hstack([x, np.ones((len(x), 1), x.dtype)])  # noqa: E731
    coef, *_ = np.linalg.lstsq(design(x_train), y_train, rcond=None)
    return float(np.mean((design(x_valid) @ coef - y_valid) ** 2))


# The validation MSE of these nets jumps between epochs on this data (a few districts have
# features over 50 standard deviations out), so, as the tutorials do with EarlyStopping, the
# nets are judged by their best epoch.


def test_data_are_the_real_districts(housing):
    x_train, y_train, x_valid, _ = housing
    assert x_train.shape[1] == 8 and len(x_train) + len(x_valid) > 15000
    assert 0.1 < float(np.median(y_train)) < 5.0  # median house value in units of $100,000


def test_deep_selu_net_with_alpha_dropout_beats_linear(housing):
    x_train, y_train, x_valid, y_valid = housing
    keras.utils.set_random_seed(42)
    model = keras.models.Sequential([keras.layers.Input(shape=[8])])
    for _ in range(20):
        model.add(keras.layers.Dense(30, activation="selu", kernel_initializer="lecun_normal"))
    model.add(keras.layers.AlphaDropout(rate=0.1))
    model.add(keras.layers.Dense(1))
    model.compile(loss="mse", optimizer=keras.optimizers.Nadam(learning_rate=1e-3))
    history = model.fit(x_train, y_train, epochs=12, validation_data=(x_valid, y_valid), verbose=0)
    assert all(np.isfinite(history.history["loss"])) and all(np.isfinite(history.history["val_loss"]))
    assert min(history.history["val_loss"]) < _linear_valid_mse(x_train, y_train, x_valid, y_valid)


def test_batch_normalization_net_beats_linear(housing):
    x_train, y_train, x_valid, y_valid = housing
    keras.utils.set_random_seed(0)
    model = keras.models.Sequential([keras.layers.Input(shape=[8]), keras.layers.BatchNormalization()])
    for _ in range(3):
        model.add(keras.layers.Dense(50, kernel_initializer="he_normal", use_bias=False))
        model.add(keras.layers.BatchNormalization())
        model.add(keras.layers.Activation("relu"))
    model.add(keras.layers.Dense(1))
    model.compile(loss="mse", optimizer=keras.optimizers.Adam(learning_rate=1e-3))
    history = model.fit(x_train, y_train, epochs=12, validation_data=(x_valid, y_valid), verbose=0)
    assert all(np.isfinite(history.history["loss"])) and all(np.isfinite(history.history["val_loss"]))
    assert min(history.history["val_loss"]) < _linear_valid_mse(x_train, y_train, x_valid, y_valid)
    moving = [w for w in model.non_trainable_weights if "moving_mean" in w.path]
    assert len(moving) == 4 and not np.allclose(moving[0].numpy(), 0.0)
