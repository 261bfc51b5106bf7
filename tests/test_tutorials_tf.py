"""Tutorial code written with `tf.` calls: custom losses, metrics, activations and initializers in tf math.

Each model is trained by jeras and, with identical initial weights and the same functions
written in `keras.ops`, by Keras 3 (the parity oracle); losses, metrics and weights must agree.
"""

import keras
import numpy as np
from keras import ops

from jeras import keras as jk
from jeras import tf


def _copy_weights(source, target):
    target.set_weights([np.asarray(w) for w in source.get_weights()])


def _assert_same_training(j_history, k_history, j_model, k_model, keys):
    for key in keys:
        np.testing.assert_allclose(j_history.history[key], k_history.history[key], rtol=1e-5, err_msg=key)
    for jw, kw in zip(j_model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(jw, kw, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- classification, custom loss


def focal_loss(y_true, y_pred):
    """Categorical focal loss (gamma 2), as tutorials write it with tf math."""
    y_pred = tf.clip_by_value(y_pred, 1e-7, 1.0 - 1e-7)
    cross_entropy = -y_true * tf.math.log(y_pred)
    return tf.reduce_sum(tf.pow(1.0 - y_pred, 2.0) * cross_entropy, axis=-1)


def focal_loss_ops(y_true, y_pred):
    y_pred = ops.clip(y_pred, 1e-7, 1.0 - 1e-7)
    return ops.sum(ops.power(1.0 - y_pred, 2.0) * -y_true * ops.log(y_pred), axis=-1)


def hit_rate(y_true, y_pred):
    return tf.cast(tf.equal(tf.argmax(y_true, axis=-1), tf.argmax(y_pred, axis=-1)), tf.float32)


def hit_rate_ops(y_true, y_pred):
    return ops.cast(ops.equal(ops.argmax(y_true, axis=-1), ops.argmax(y_pred, axis=-1)), "float32")


def test_classifier_with_focal_loss_in_tf_math_matches_keras():
    tf.random.set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6)).astype("float32")
    y = jk.utils.to_categorical(rng.integers(0, 3, 64), 3)
    j_model = tf.keras.Sequential(
        [tf.keras.layers.Dense(16, activation="relu", input_shape=[6]), tf.keras.layers.Dense(3, activation="softmax")]
    )
    k_model = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(3, activation="softmax")]
    )
    _copy_weights(j_model, k_model)
    j_model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=0.01), loss=focal_loss, metrics=[hit_rate])
    k_model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss=focal_loss_ops, metrics=[hit_rate_ops])
    jh = j_model.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0)
    kh = k_model.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0)
    kh.history["hit_rate"] = kh.history.pop("hit_rate_ops")
    _assert_same_training(jh, kh, j_model, k_model, ["loss", "hit_rate"])
    assert jh.history["loss"][-1] < jh.history["loss"][0]


# --------------------------------------------------------------------------- regression, Huber loss + metric


def huber_fn(y_true, y_pred):
    error = y_true - y_pred
    is_small_error = tf.abs(error) < 1
    squared_loss = tf.square(error) / 2
    linear_loss = tf.abs(error) - 0.5
    return tf.where(is_small_error, squared_loss, linear_loss)


def huber_ops(y_true, y_pred):
    error = y_true - y_pred
    return ops.where(ops.abs(error) < 1, ops.square(error) / 2, ops.abs(error) - 0.5)


def relative_error(y_true, y_pred):
    return tf.reduce_mean(tf.abs(y_true - y_pred) / (tf.abs(y_true) + 1.0), axis=-1)


def relative_error_ops(y_true, y_pred):
    return ops.mean(ops.abs(y_true - y_pred) / (ops.abs(y_true) + 1.0), axis=-1)


def test_regression_with_huber_loss_and_tf_metric_matches_keras():
    tf.random.set_seed(1)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(96, 5)).astype("float32")
    y = (x @ rng.normal(size=5) * 2.0 + 0.5).astype("float32")  # errors both below and above 1
    x_val, y_val = x[:32] + 0.1, y[:32]
    j_model = tf.keras.Sequential(
        [tf.keras.layers.Dense(8, activation="tanh", input_shape=[5]), tf.keras.layers.Dense(1)]
    )
    k_model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)])
    _copy_weights(j_model, k_model)
    j_model.compile(loss=huber_fn, optimizer=tf.keras.optimizers.SGD(0.02, momentum=0.9), metrics=[relative_error])
    k_model.compile(loss=huber_ops, optimizer=keras.optimizers.SGD(0.02, momentum=0.9), metrics=[relative_error_ops])
    jh = j_model.fit(x, y, epochs=4, batch_size=16, shuffle=False, validation_data=(x_val, y_val), verbose=0)
    # Targets of shape (n,) against outputs (n, 1): tf.keras 2 (and jeras) reshape them to (n, 1) before
    # calling a metric function; Keras 3 does not (it would broadcast to (n, n)), so it gets them as (n, 1).
    kh = k_model.fit(
        x, y[:, None], epochs=4, batch_size=16, shuffle=False, validation_data=(x_val, y_val[:, None]), verbose=0
    )
    for prefix in ("", "val_"):
        kh.history[f"{prefix}relative_error"] = kh.history.pop(f"{prefix}relative_error_ops")
    _assert_same_training(jh, kh, j_model, k_model, ["loss", "relative_error", "val_loss", "val_relative_error"])

    # The last epoch's validation numbers use the final weights: the per-sample means over all
    # validation rows, computed here by hand from the predictions.
    pred = j_model.predict(x_val, verbose=0)[:, 0]
    expected_metric = np.mean(np.abs(y_val - pred) / (np.abs(y_val) + 1.0))
    np.testing.assert_allclose(jh.history["val_relative_error"][-1], expected_metric, rtol=1e-5)
    error = y_val - pred
    expected_loss = np.mean(np.where(np.abs(error) < 1, error**2 / 2, np.abs(error) - 0.5))
    np.testing.assert_allclose(jh.history["val_loss"][-1], expected_loss, rtol=1e-5)


# --------------------------------------------------------------------------- activation, initializer, ...


def my_softplus(z):
    return tf.math.log(tf.exp(z) + 1.0)


def my_glorot_initializer(shape, dtype=tf.float32):
    stddev = tf.sqrt(2.0 / (shape[0] + shape[1]))
    return tf.random.normal(shape, stddev=stddev, dtype=dtype)


def my_l1_regularizer(weights):
    return tf.reduce_sum(tf.abs(0.01 * weights))


def my_positive_weights(weights):
    return tf.where(weights < 0.0, tf.zeros_like(weights), weights)


def test_custom_activation_initializer_regularizer_constraint_in_tf_math_match_keras():
    tf.random.set_seed(7)
    rng = np.random.default_rng(7)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (np.sin(x).sum(axis=1, keepdims=True)).astype("float32")
    j_model = tf.keras.Sequential(
        [
            tf.keras.layers.Dense(
                8,
                activation=my_softplus,
                kernel_initializer=my_glorot_initializer,
                kernel_regularizer=my_l1_regularizer,
                kernel_constraint=my_positive_weights,
                input_shape=[4],
            ),
            tf.keras.layers.Dense(1),
        ]
    )
    kernel = np.asarray(j_model.layers[0].kernel)
    tf.random.set_seed(7)  # the initializer draws from the global seed: the same seed, the same kernel
    np.testing.assert_array_equal(kernel, np.asarray(my_glorot_initializer((4, 8))))
    assert (kernel < 0).any()  # the constraint has something to do

    k_model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(
                8,
                activation=lambda z: ops.log(ops.exp(z) + 1.0),
                kernel_regularizer=lambda w: ops.sum(ops.abs(0.01 * w)),
                kernel_constraint=lambda w: ops.maximum(ops.convert_to_tensor(w), 0.0),
            ),
            keras.layers.Dense(1),
        ]
    )
    _copy_weights(j_model, k_model)
    for model, lib in ((j_model, tf.keras), (k_model, keras)):
        model.compile(loss="mse", optimizer=lib.optimizers.SGD(learning_rate=0.05))
    jh = j_model.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0)
    kh = k_model.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0)
    _assert_same_training(jh, kh, j_model, k_model, ["loss"])
    assert (np.asarray(j_model.layers[0].kernel) >= 0).all()
    np.testing.assert_allclose(
        np.asarray(my_softplus(np.float32([-2.0, 0.0, 3.0]))), np.log1p(np.exp([-2, 0, 3])), 1e-6
    )


def test_glorot_initializer_in_tf_math_has_the_glorot_spread():
    tf.random.set_seed(3)
    draws = np.asarray(my_glorot_initializer((200, 300)))
    assert draws.dtype == np.float32
    np.testing.assert_allclose(draws.std(), np.sqrt(2.0 / 500), rtol=0.02)
    assert abs(draws.mean()) < 0.002


# --------------------------------------------------------------------------- seeding


def _seeded_run(seed_with, seed=42):
    seed_with(seed)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 6)).astype("float32")
    y = jk.utils.to_categorical(rng.integers(0, 3, 48), 3)
    model = tf.keras.Sequential(
        [
            tf.keras.layers.Dense(16, activation="relu", input_shape=[6]),
            tf.keras.layers.Dropout(0.3),
            tf.keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)  # shuffled, with dropout: both use the seed
    return model.get_weights(), history.history["loss"]


def test_tf_random_set_seed_makes_keras_code_reproducible_as_keras_utils_set_random_seed():
    weights, losses = _seeded_run(tf.random.set_seed)
    same_weights, same_losses = _seeded_run(jk.utils.set_random_seed)
    assert losses == same_losses
    for a, b in zip(weights, same_weights):
        np.testing.assert_array_equal(a, b)
    tf.random.set_seed(43)
    other = tf.keras.Sequential([tf.keras.layers.Dense(16, input_shape=[6])])
    assert not np.array_equal(weights[0], np.asarray(other.layers[0].kernel))


class Sampling(tf.keras.layers.Layer):
    """The variational autoencoder tutorial's layer: z = mean + exp(log_var / 2) * epsilon."""

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = tf.shape(z_mean)[0]
        dim = tf.shape(z_mean)[1]
        epsilon = tf.random.normal(shape=(batch, dim))
        return z_mean + tf.exp(0.5 * z_log_var) * epsilon


def _sampling_run(seed):
    tf.random.set_seed(seed)
    inputs = tf.keras.Input(shape=(4,))
    z_mean = tf.keras.layers.Dense(2)(inputs)
    z_log_var = tf.keras.layers.Dense(2)(inputs)
    outputs = tf.keras.layers.Dense(1)(Sampling()([z_mean, z_log_var]))
    model = tf.keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    history = model.fit(x, x[:, :1], epochs=2, batch_size=8, verbose=0)
    return history.history["loss"]


def test_tf_random_inside_a_layer_draws_new_noise_each_step_reproducibly():
    losses = _sampling_run(5)
    assert all(np.isfinite(losses))
    assert _sampling_run(5) == losses
