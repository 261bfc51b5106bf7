"""Training parity with Keras 3 (JAX backend): same weights in, same losses, metrics and weights out."""

import keras
import numpy as np
import pytest

from jeras import keras as jk


def _pair(units=(16, 3), activation="softmax", input_dim=6):
    """The same MLP in Keras 3 and jeras, with identical weights."""
    k_model = keras.Sequential(
        [keras.Input((input_dim,))]
        + [
            keras.layers.Dense(u, activation=("relu" if i < len(units) - 1 else activation))
            for i, u in enumerate(units)
        ]
    )
    j_model = jk.models.Sequential(
        [jk.layers.Dense(units[0], activation="relu", input_shape=[input_dim])]
        + [
            jk.layers.Dense(u, activation=("relu" if i < len(units) - 1 else activation))
            for i, u in enumerate(units)
            if i > 0
        ]
    )
    j_model.set_weights(k_model.get_weights())
    return k_model, j_model


def _data(n=70, dim=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim)).astype("float32")
    y = rng.integers(0, classes, n)
    return x, y


def test_forward_outputs_match(rng):
    k_model, j_model = _pair()
    x = rng.normal(size=(9, 6)).astype("float32")
    np.testing.assert_allclose(j_model.predict(x, verbose=0), k_model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(j_model(x)), np.asarray(k_model(x)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "optimizer",
    [
        lambda m: m.optimizers.SGD(learning_rate=0.05),
        lambda m: m.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
        lambda m: m.optimizers.Adam(learning_rate=0.01),
        lambda m: m.optimizers.RMSprop(learning_rate=0.01),
    ],
)
def test_fit_matches_keras_without_shuffle(optimizer):
    # 70 samples, batch 32: two full batches and a partial one of 6, trained on as Keras does.
    x, y = _data()
    k_model, j_model = _pair()
    k_model.compile(optimizer=optimizer(keras), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    j_model.compile(optimizer=optimizer(jk), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    kh = k_model.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0)
    jh = j_model.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0)
    np.testing.assert_allclose(jh.history["loss"], kh.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(jh.history["accuracy"], kh.history["accuracy"], rtol=1e-6)
    for jw, kw in zip(j_model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(jw, kw, rtol=1e-4, atol=1e-6)
    assert j_model.optimizer.iterations == 9
    k_eval = k_model.evaluate(x, y, batch_size=16, verbose=0)
    j_eval = j_model.evaluate(x, y, batch_size=16, verbose=0)
    np.testing.assert_allclose(j_eval, k_eval, rtol=1e-5)


def test_regression_with_sample_weight_and_validation_matches_keras():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(50, 6)).astype("float32")
    y = rng.normal(size=(50,)).astype("float32")
    sw = rng.uniform(0.1, 2.0, size=50).astype("float32")
    k_model, j_model = _pair(units=(8, 1), activation=None)
    for m, lib in ((k_model, keras), (j_model, jk)):
        m.compile(
            optimizer=lib.optimizers.SGD(learning_rate=1e-2), loss="mse", metrics=["mae"], weighted_metrics=["mse"]
        )
    kw = dict(epochs=2, batch_size=8, shuffle=False, verbose=0, sample_weight=sw, validation_split=0.2)
    kh, jh = k_model.fit(x, y, **kw), j_model.fit(x, y, **kw)
    assert list(jh.history) == ["loss", "mae", "mse", "val_loss", "val_mae", "val_mse"]
    for key in jh.history:
        np.testing.assert_allclose(jh.history[key], kh.history[key], rtol=2e-5, err_msg=key)


def test_class_weight_matches_keras():
    x, y = _data(n=64)
    k_model, j_model = _pair()
    cw = {0: 1.0, 1: 3.0, 2: 0.5}
    for m, lib in ((k_model, keras), (j_model, jk)):
        m.compile(optimizer=lib.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy")
    kh = k_model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0, class_weight=cw)
    jh = j_model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0, class_weight=cw)
    np.testing.assert_allclose(jh.history["loss"], kh.history["loss"], rtol=1e-5)


def test_one_hot_targets_and_accuracy_resolution_match_keras():
    x, y = _data(n=40)
    y1h = np.eye(3, dtype="float32")[y]
    k_model, j_model = _pair()
    for m in (k_model, j_model):
        m.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    kh = k_model.fit(x, y1h, epochs=1, batch_size=10, shuffle=False, verbose=0)
    jh = j_model.fit(x, y1h, epochs=1, batch_size=10, shuffle=False, verbose=0)
    np.testing.assert_allclose(jh.history["accuracy"], kh.history["accuracy"], rtol=1e-6)
    np.testing.assert_allclose(jh.history["loss"], kh.history["loss"], rtol=1e-5)


def test_train_test_predict_on_batch_match_keras():
    x, y = _data(n=20)
    k_model, j_model = _pair()
    for m in (k_model, j_model):
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    np.testing.assert_allclose(j_model.train_on_batch(x, y), k_model.train_on_batch(x, y), rtol=1e-5)
    np.testing.assert_allclose(j_model.train_on_batch(x, y), k_model.train_on_batch(x, y), rtol=1e-5)
    np.testing.assert_allclose(j_model.test_on_batch(x, y), k_model.test_on_batch(x, y), rtol=1e-5)
    np.testing.assert_allclose(j_model.predict_on_batch(x), k_model.predict_on_batch(x), rtol=1e-5, atol=1e-6)


def test_summary_counts_match_keras():
    k_model = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(300, activation="relu"),
            keras.layers.Dense(100, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    j_model = jk.models.Sequential(
        [
            jk.layers.Flatten(input_shape=[28, 28]),
            jk.layers.Dense(300, activation="relu"),
            jk.layers.Dense(100, activation="relu"),
            jk.layers.Dense(10, activation="softmax"),
        ]
    )
    assert j_model.count_params() == k_model.count_params() == 266_610
    assert [la.count_params() for la in j_model.layers] == [la.count_params() for la in k_model.layers]
    lines = []
    j_model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert 'Model: "sequential"' in text
    assert "flatten (Flatten)            (None, 784)               0" in text
    assert "dense (Dense)                (None, 300)               235500" in text
    assert "dense_2 (Dense)              (None, 10)                1010" in text
    assert "Total params: 266,610" in text and "Trainable params: 266,610" in text and "Non-trainable params: 0" in text


def test_weights_are_ordered_layer_by_layer_as_keras_orders_them():
    # Keras (tf.keras 2.x and Keras 3) lists each layer's weights in turn, trainable first,
    # so a BatchNormalization model takes the other library's get_weights() list directly.
    def build(lib):
        return lib.Sequential(
            [
                lib.Input((4,)),
                lib.layers.Dense(3),
                lib.layers.BatchNormalization(),
                lib.layers.Dense(2),
            ]
        )

    k_model, j_model = build(keras), build(jk)
    j_model.set_weights(k_model.get_weights())
    assert [w.shape for w in j_model.get_weights()] == [(4, 3), (3,), (3,), (3,), (3,), (3,), (3, 2), (2,)]
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    np.testing.assert_allclose(j_model.predict(x, verbose=0), k_model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
