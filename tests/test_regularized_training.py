"""Regularization penalties join the training loss and `model.losses`, as in Keras."""

import keras as k3
import numpy as np
import pytest

from jeras import keras


def _pair(**dense_kwargs):
    def build(lib, **extra):
        return lib.Sequential(
            [
                lib.Input((5,)),
                lib.layers.Dense(4, activation="relu", **extra),
                lib.layers.Dense(1, **extra),
            ]
        )

    k_model = build(k3, kernel_regularizer=k3.regularizers.L2(0.01), bias_regularizer=k3.regularizers.L1(0.02))
    j_model = build(keras, kernel_regularizer=keras.regularizers.l2(0.01), bias_regularizer=keras.regularizers.l1(0.02))
    j_model.set_weights(k_model.get_weights())
    return k_model, j_model


def test_weight_penalties_match_keras_in_losses_evaluate_and_fit():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 5)).astype("float32")
    y = rng.normal(size=(40, 1)).astype("float32")
    k_model, j_model = _pair()
    k_model.layers[0].bias.assign(np.full(4, 0.5, "float32"))
    j_model.layers[0].set_weights(k_model.layers[0].get_weights())
    np.testing.assert_allclose(sum(float(v) for v in j_model.losses), sum(float(v) for v in k_model.losses), rtol=1e-5)
    for m, lib in ((k_model, k3), (j_model, keras)):
        m.compile(optimizer=lib.optimizers.SGD(learning_rate=0.05), loss="mse")
    assert j_model.evaluate(x, y, verbose=0) == pytest.approx(k_model.evaluate(x, y, verbose=0), rel=1e-5)
    kh = k_model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    jh = j_model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_allclose(jh.history["loss"], kh.history["loss"], rtol=1e-5)
    for a, b in zip(j_model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_penalty_is_part_of_the_training_loss_by_hand():
    x = np.ones((4, 2), "float32")
    y = np.zeros((4, 1), "float32")
    model = keras.Sequential(
        [
            keras.layers.Dense(
                1, input_shape=[2], kernel_initializer="ones", kernel_regularizer=keras.regularizers.l2(0.1)
            )
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    # Prediction 2 for every row: mse 4, plus 0.1 * (1 + 1).
    assert model.evaluate(x, y, verbose=0) == pytest.approx(4.2, rel=1e-6)
    assert model.fit(x, y, epochs=1, verbose=0).history["loss"][0] == pytest.approx(4.2, rel=1e-6)


def test_activity_penalty_is_averaged_over_the_batch_as_tf_keras_2():
    # tf.keras 2.x divides activity penalties by the batch size (Keras 3 does not); jeras follows tf.keras 2.
    x = np.ones((4, 2), "float32")
    y = np.zeros((4, 1), "float32")
    model = keras.Sequential(
        [
            keras.layers.Dense(
                1, input_shape=[2], kernel_initializer="ones", activity_regularizer=keras.regularizers.l1(0.1)
            )
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    # Outputs are 2 on each of 4 rows: l1 penalty 0.1 * 8 = 0.8, divided by batch size 4 -> 0.2.
    assert model.evaluate(x, y, batch_size=4, verbose=0) == pytest.approx(4.2, rel=1e-6)
