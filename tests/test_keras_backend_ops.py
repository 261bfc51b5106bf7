"""`keras.backend` tensor functions (`K.mean`, `K.clip`, ...) with tf.keras 2.x's signatures and defaults.

Values are checked against NumPy, the places where tf.keras 2.x's backend differs from TensorFlow's
own functions against numbers worked out by hand, and a tutorial's custom metrics written with
`K` against Keras 3 running the same metrics written in `keras.ops`."""

import jax
import jax.numpy as jnp
import keras as keras3
import numpy as np
import pytest
from keras import ops

from jeras import keras
from jeras.keras import backend as K

X = np.array([[1.5, -2.0, 0.25], [3.0, 0.5, -1.0]], "float32")


@pytest.mark.parametrize(
    ("ours", "expected"),
    [
        (lambda: K.sum(X, axis=1), X.sum(axis=1)),
        (lambda: K.mean(X), X.mean()),
        (lambda: K.mean(X, axis=0, keepdims=True), X.mean(axis=0, keepdims=True)),
        (lambda: K.max(X, axis=-1), X.max(axis=-1)),
        (lambda: K.min(X, axis=[0, 1]), X.min()),
        (lambda: K.prod(X, axis=0), X.prod(axis=0)),
        (lambda: K.std(X, axis=1), X.std(axis=1)),
        (lambda: K.var(X), X.var()),
        (lambda: K.any(X > 2, axis=1), (X > 2).any(axis=1)),
        (lambda: K.all(X > -3), True),
        (lambda: K.cumsum(X), X.cumsum(axis=0)),
        (lambda: K.cumprod(X, axis=1), X.cumprod(axis=1)),
        (lambda: K.abs(X), np.abs(X)),
        (lambda: K.square(X), X**2),
        (lambda: K.exp(X), np.exp(X)),
        (lambda: K.log(np.abs(X)), np.log(np.abs(X))),
        (lambda: K.pow(X, 3), X**3),
        (lambda: K.sign(X), np.sign(X)),
        (lambda: K.sin(X), np.sin(X)),
        (lambda: K.cos(X), np.cos(X)),
        (lambda: K.tanh(X), np.tanh(X)),
        (lambda: K.maximum(X, 0.5), np.maximum(X, 0.5)),
        (lambda: K.minimum(X, 0.5), np.minimum(X, 0.5)),
        (lambda: K.equal(X, 0.5), X == 0.5),
        (lambda: K.not_equal(X, 0.5), X != 0.5),
        (lambda: K.greater(X, 0.5), X > 0.5),
        (lambda: K.greater_equal(X, 0.5), X >= 0.5),
        (lambda: K.less(X, 0.5), X < 0.5),
        (lambda: K.less_equal(X, 0.5), X <= 0.5),
        (lambda: K.softplus(X), np.log1p(np.exp(X))),
        (lambda: K.softsign(X), X / (1 + np.abs(X))),
        (lambda: K.sigmoid(X), 1 / (1 + np.exp(-X))),
        (lambda: K.softmax(X), np.exp(X) / np.exp(X).sum(axis=-1, keepdims=True)),
        (lambda: K.elu(X, 0.5), np.where(X > 0, X, 0.5 * (np.exp(X) - 1))),
        (lambda: K.relu(X, alpha=0.1, max_value=2.0), np.where(X > 0, np.minimum(X, 2.0), 0.1 * X)),
        (lambda: K.l2_normalize(X, axis=1), X / np.linalg.norm(X, axis=1, keepdims=True)),
        (lambda: K.dot(X, X.T), X @ X.T),
        (lambda: K.dot(np.ones((2, 3, 4)), np.ones((5, 4, 6))), np.full((2, 3, 5, 6), 4.0)),
        (lambda: K.reshape(X, (3, -1)), X.reshape(3, 2)),
        (lambda: K.flatten(X), X.ravel()),
        (lambda: K.batch_flatten(np.ones((2, 3, 4))), np.ones((2, 12))),
        (lambda: K.expand_dims(X), X[..., None]),
        (lambda: K.squeeze(X[:, :1], 1), X[:, 0]),
        (lambda: K.concatenate([X, X]), np.concatenate([X, X], axis=-1)),
        (lambda: K.stack([X, X], axis=1), np.stack([X, X], axis=1)),
        (lambda: K.transpose(X), X.T),
        (lambda: K.permute_dimensions(np.ones((2, 3, 4)), (2, 0, 1)), np.ones((4, 2, 3))),
        (lambda: K.tile(X, [1, 2]), np.tile(X, [1, 2])),
        (lambda: K.repeat_elements(X, 2, axis=0), np.repeat(X, 2, axis=0)),
        (lambda: K.reverse(X, 1), X[:, ::-1]),
        (lambda: K.gather(X, [1, 1, 0]), X[[1, 1, 0]]),
        (lambda: K.switch(X > 0, X, -X), np.abs(X)),
        (lambda: K.one_hot([0, 2, 5], 3), [[1, 0, 0], [0, 0, 1], [0, 0, 0]]),
        (lambda: K.arange(2, 7, 2), [2, 4, 6]),
        (lambda: K.zeros_like(X), np.zeros_like(X)),
        (lambda: K.ones_like(X), np.ones_like(X)),
        (lambda: K.stop_gradient(X), X),
    ],
)
def test_tensor_functions_match_numpy(ours, expected):
    np.testing.assert_allclose(np.asarray(ours()), expected, rtol=1e-6, atol=1e-7)


def test_where_tf_keras_backend_differs_from_tensorflow_functions():
    # K.argmax reduces the last axis (tf.argmax the first).
    np.testing.assert_array_equal(K.argmax(X), [0, 0])
    np.testing.assert_array_equal(K.argmin(X, axis=0), [0, 0, 1])
    # K.sqrt clips negative inputs to 0 instead of returning NaN.
    np.testing.assert_array_equal(K.sqrt(np.array([-4.0, 0.0, 9.0])), [0.0, 0.0, 3.0])
    # K.clip raises a max_value below min_value to it; None is no bound.
    np.testing.assert_array_equal(K.clip(X, 1.0, 0.0), np.full_like(X, 1.0))
    np.testing.assert_array_equal(K.clip(X, None, 1.0), np.minimum(X, 1.0))
    # Creation defaults to floatx; round goes half to even; integer means truncate.
    assert K.constant(3).dtype == "float32" and K.constant([1, 2], dtype="int32").dtype == "int32"
    assert K.ones((2,)).dtype == K.zeros((2,)).dtype == K.eye(2).dtype == "float32"
    np.testing.assert_array_equal(K.constant(7.0, shape=(2, 2)), np.full((2, 2), 7.0))
    np.testing.assert_array_equal(K.eye((2, 3)), np.eye(2, 3))
    np.testing.assert_array_equal(K.round(np.array([0.5, 1.5, 2.5, -0.5])), [0.0, 2.0, 2.0, -0.0])
    assert int(K.mean(np.array([1, 2]))) == 1 and int(K.mean(np.array([-1, -2]))) == -1
    assert float(K.mean(np.array([True, False, True, True]))) == 0.75
    assert K.hard_sigmoid(np.array([-3.0, 0.0, 1.0, 3.0])).tolist() == pytest.approx([0.0, 0.5, 0.7, 1.0])
    # Shapes are static; dtype is a name; cast_to_floatx returns NumPy.
    assert K.int_shape(X) == (2, 3) and K.ndim(X) == 2 and K.dtype(X) == "float32" and K.count_params(X) == 6
    assert K.shape(X).dtype == np.int32 and K.shape(X).tolist() == [2, 3]
    assert isinstance(K.cast_to_floatx([1, 2]), np.ndarray) and K.cast_to_floatx([1, 2]).dtype == np.float32
    assert K.cast(X, "int32").dtype == "int32"


def test_crossentropies_are_elementwise_and_use_the_logits_of_an_activation():
    target = np.array([[0.0, 1.0], [1.0, 1.0]], "float32")
    p = np.array([[0.2, 0.7], [0.9, 0.4]], "float32")
    eps = 1e-7  # tf.keras 2.x adds epsilon inside both logarithms
    expected = -(target * np.log(p + eps) + (1 - target) * np.log(1 - p + eps))
    np.testing.assert_allclose(K.binary_crossentropy(target, p), expected, rtol=1e-6)
    # A confidently wrong sigmoid output: from its logit 40, not from the clipped probability.
    logits = np.array([[40.0]], "float32")
    assert float(K.binary_crossentropy(np.zeros((1, 1)), K.sigmoid(logits))[0, 0]) == pytest.approx(40.0)
    assert float(K.categorical_crossentropy([[1.0, 0.0]], K.softmax(np.array([[0.0, 40.0]])))[0]) == pytest.approx(40.0)
    # The focal forms: binary element-wise, categorical per sample (tf.keras 2.x's backend).
    focal = (1 - np.where(target == 1, p, 1 - p)) ** 2 * expected
    np.testing.assert_allclose(K.binary_focal_crossentropy(target, p), focal, rtol=1e-5)
    one_hot = np.array([[0.0, 1.0], [1.0, 0.0]], "float32")
    q = p / p.sum(-1, keepdims=True)
    np.testing.assert_allclose(
        K.categorical_focal_crossentropy(one_hot, q), (0.25 * (1 - q) ** 2 * -one_hot * np.log(q)).sum(-1), rtol=1e-5
    )
    np.testing.assert_allclose(
        K.sparse_categorical_crossentropy(np.array([1, 0]), p / p.sum(-1, keepdims=True)),
        -np.log([0.7 / 0.9, 0.9 / 1.3]),
        rtol=1e-6,
    )


def test_functions_trace_and_differentiate_and_read_layer_weights():
    def loss(w):
        return K.mean(K.square(K.clip(w, -1.0, 1.0))) + K.sum(K.sqrt(K.abs(w)))

    w = jnp.array([0.25, -4.0, 2.25])
    grad = jax.jit(jax.grad(loss))(w)
    np.testing.assert_allclose(grad, [2 * 0.25 / 3 + 1.0, -0.25, 1 / 3.0], rtol=1e-6)
    layer = keras.layers.Dense(2)
    layer.build((None, 3))
    np.testing.assert_allclose(K.sum(layer.kernel), np.asarray(layer.kernel).sum(), rtol=1e-6)


def test_tutorial_metrics_written_with_k_match_keras3_in_a_fit():
    # The "recall / precision / F1 with K" and "coefficient of determination" metrics of old tutorials.
    def recall_m(y_true, y_pred):
        true_positives = K.sum(K.round(K.clip(y_true * y_pred, 0, 1)))
        possible_positives = K.sum(K.round(K.clip(y_true, 0, 1)))
        return true_positives / (possible_positives + K.epsilon())

    def r_square(y_true, y_pred):
        residual = K.sum(K.square(y_true - y_pred))
        total = K.sum(K.square(y_true - K.mean(y_true)))
        return 1 - residual / (total + K.epsilon())

    def recall_ops(y_true, y_pred):
        true_positives = ops.sum(ops.round(ops.clip(y_true * y_pred, 0, 1)))
        return true_positives / (ops.sum(ops.round(ops.clip(y_true, 0, 1))) + 1e-7)

    def r_square_ops(y_true, y_pred):
        residual = ops.sum(ops.square(y_true - y_pred))
        return 1 - residual / (ops.sum(ops.square(y_true - ops.mean(y_true))) + 1e-7)

    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 4)).astype("float32")
    y = (x[:, :1] + 0.5 * x[:, 1:2] > 0).astype("float32")
    ours = keras.Sequential([keras.layers.Dense(4, activation="relu", input_shape=[4]), keras.layers.Dense(1)])
    theirs = keras3.Sequential([keras3.Input((4,)), keras3.layers.Dense(4, "relu"), keras3.layers.Dense(1)])
    theirs.set_weights(ours.get_weights())
    ours.compile(optimizer="sgd", loss="mse", metrics=[recall_m, r_square])
    theirs.compile(optimizer="sgd", loss="mse", metrics=[recall_ops, r_square_ops])
    h_ours = ours.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0).history
    h_theirs = theirs.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0).history
    np.testing.assert_allclose(h_ours["loss"], h_theirs["loss"], rtol=1e-5)
    np.testing.assert_allclose(h_ours["recall_m"], h_theirs["recall_ops"], rtol=1e-5)
    np.testing.assert_allclose(h_ours["r_square"], h_theirs["r_square_ops"], rtol=1e-5)


def test_backend_names_jeras_lacks_still_explain_themselves():
    with pytest.raises(AttributeError, match="keras.backend.map_fn is a tf.keras 2.x name"):
        K.map_fn  # noqa: B018
    with pytest.raises(AttributeError, match="keras.backend.placeholder is a tf.keras 2.x name.*TensorFlow 1"):
        K.placeholder  # noqa: B018
