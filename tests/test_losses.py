"""Losses: parity with Keras 3, hand-computed values, gradients, lookup and serialization."""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from jax.test_util import check_grads

from jeras import losses

N, C = 6, 4


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


def _data(kind, rng):
    """Returns (y_true, y_pred) of a kind of problem, as float32 NumPy arrays."""
    f = np.float32
    if kind == "regression":
        return rng.normal(size=(N, C)).astype(f), rng.normal(size=(N, C)).astype(f)
    if kind == "positive":
        return rng.uniform(0.1, 3.0, (N, C)).astype(f), rng.uniform(0.1, 3.0, (N, C)).astype(f)
    if kind == "binary":
        return rng.integers(0, 2, (N, C)).astype(f), rng.uniform(0.05, 0.95, (N, C)).astype(f)
    if kind == "soft_binary":
        return rng.uniform(0, 1, (N, C)).astype(f), rng.uniform(0.05, 0.95, (N, C)).astype(f)
    if kind == "binary_logits":
        return rng.integers(0, 2, (N, C)).astype(f), rng.normal(scale=3.0, size=(N, C)).astype(f)
    if kind == "signed":
        return rng.choice([-1.0, 1.0], (N, C)).astype(f), rng.normal(size=(N, C)).astype(f)
    if kind == "distribution":
        return _softmax(rng.normal(size=(N, C))), _softmax(rng.normal(size=(N, C)))
    if kind == "onehot":
        return np.eye(C, dtype=f)[rng.integers(0, C, N)], _softmax(rng.normal(size=(N, C)))
    if kind == "onehot_logits":
        return np.eye(C, dtype=f)[rng.integers(0, C, N)], rng.normal(scale=2.0, size=(N, C)).astype(f)
    if kind == "sparse":
        return rng.integers(0, C, N).astype(np.int32), _softmax(rng.normal(size=(N, C)))
    if kind == "sparse_column":
        return rng.integers(0, C, (N, 1)).astype(f), _softmax(rng.normal(size=(N, C)))
    if kind == "sparse_logits":
        return rng.integers(0, C, N).astype(np.int32), rng.normal(scale=2.0, size=(N, C)).astype(f)
    raise AssertionError(kind)


# tf.keras 2.x adds epsilon inside the logarithms of binary crossentropy; Keras 3 does not.
# For predictions in [0.05, 0.95] the two differ by less than 2 * 1e-7 / 0.05 per element.
BCE_ATOL = 5e-6

# (jeras function, Keras function, keyword arguments, data kind, absolute tolerance)
FUNCTION_CASES = [
    (losses.mean_squared_error, keras.losses.mean_squared_error, {}, "regression", 0),
    (losses.mean_absolute_error, keras.losses.mean_absolute_error, {}, "regression", 0),
    (losses.mean_absolute_percentage_error, keras.losses.mean_absolute_percentage_error, {}, "positive", 0),
    (losses.mean_squared_logarithmic_error, keras.losses.mean_squared_logarithmic_error, {}, "regression", 0),
    (losses.huber, keras.losses.huber, {}, "regression", 0),
    (losses.huber, keras.losses.huber, {"delta": 0.5}, "regression", 0),
    (losses.kl_divergence, keras.losses.kl_divergence, {}, "distribution", 0),
    (losses.hinge, keras.losses.hinge, {}, "binary", 0),
    (losses.hinge, keras.losses.hinge, {}, "signed", 0),
    (losses.poisson, keras.losses.poisson, {}, "positive", 0),
    (losses.binary_crossentropy, keras.losses.binary_crossentropy, {}, "binary", BCE_ATOL),
    (losses.binary_crossentropy, keras.losses.binary_crossentropy, {}, "soft_binary", BCE_ATOL),
    (losses.binary_crossentropy, keras.losses.binary_crossentropy, {"label_smoothing": 0.2}, "binary", BCE_ATOL),
    (losses.binary_crossentropy, keras.losses.binary_crossentropy, {"from_logits": True}, "binary_logits", 0),
    (
        losses.binary_crossentropy,
        keras.losses.binary_crossentropy,
        {"from_logits": True, "label_smoothing": 0.1},
        "binary_logits",
        0,
    ),
    (losses.categorical_crossentropy, keras.losses.categorical_crossentropy, {}, "onehot", 0),
    (losses.categorical_crossentropy, keras.losses.categorical_crossentropy, {"label_smoothing": 0.1}, "onehot", 0),
    (
        losses.categorical_crossentropy,
        keras.losses.categorical_crossentropy,
        {"from_logits": True},
        "onehot_logits",
        0,
    ),
    (
        losses.categorical_crossentropy,
        keras.losses.categorical_crossentropy,
        {"from_logits": True, "label_smoothing": 0.2},
        "onehot_logits",
        0,
    ),
    (losses.sparse_categorical_crossentropy, keras.losses.sparse_categorical_crossentropy, {}, "sparse", 0),
    (losses.sparse_categorical_crossentropy, keras.losses.sparse_categorical_crossentropy, {}, "sparse_column", 0),
    (
        losses.sparse_categorical_crossentropy,
        keras.losses.sparse_categorical_crossentropy,
        {"from_logits": True},
        "sparse_logits",
        0,
    ),
]


@pytest.mark.parametrize("fn, keras_fn, kwargs, kind, atol", FUNCTION_CASES)
def test_function_matches_keras(fn, keras_fn, kwargs, kind, atol, rng):
    y_true, y_pred = _data(kind, rng)
    got = fn(y_true, y_pred, **kwargs)
    assert got.shape == (N,)
    np.testing.assert_allclose(got, keras_fn(y_true, y_pred, **kwargs), rtol=1e-5, atol=atol)


# (jeras class, Keras class, constructor arguments, data kind, absolute tolerance)
CLASS_CASES = [
    (losses.MeanSquaredError, keras.losses.MeanSquaredError, {}, "regression", 0),
    (losses.MeanAbsoluteError, keras.losses.MeanAbsoluteError, {}, "regression", 0),
    (losses.MeanAbsolutePercentageError, keras.losses.MeanAbsolutePercentageError, {}, "positive", 0),
    (losses.MeanSquaredLogarithmicError, keras.losses.MeanSquaredLogarithmicError, {}, "positive", 0),
    (losses.Huber, keras.losses.Huber, {"delta": 0.7}, "regression", 0),
    (losses.KLDivergence, keras.losses.KLDivergence, {}, "distribution", 0),
    (losses.Hinge, keras.losses.Hinge, {}, "binary", 0),
    (losses.Poisson, keras.losses.Poisson, {}, "positive", 0),
    (losses.BinaryCrossentropy, keras.losses.BinaryCrossentropy, {"label_smoothing": 0.1}, "binary", BCE_ATOL),
    (losses.BinaryCrossentropy, keras.losses.BinaryCrossentropy, {"from_logits": True}, "binary_logits", 0),
    (losses.CategoricalCrossentropy, keras.losses.CategoricalCrossentropy, {"label_smoothing": 0.1}, "onehot", 0),
    (losses.CategoricalCrossentropy, keras.losses.CategoricalCrossentropy, {"from_logits": True}, "onehot_logits", 0),
    (losses.SparseCategoricalCrossentropy, keras.losses.SparseCategoricalCrossentropy, {}, "sparse", 0),
    (
        losses.SparseCategoricalCrossentropy,
        keras.losses.SparseCategoricalCrossentropy,
        {"from_logits": True},
        "sparse_logits",
        0,
    ),
]


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
@pytest.mark.parametrize("weights", [None, "vector", "column"])
@pytest.mark.parametrize("cls, keras_cls, kwargs, kind, atol", CLASS_CASES)
def test_class_matches_keras(cls, keras_cls, kwargs, kind, atol, reduction, weights, rng):
    y_true, y_pred = _data(kind, rng)
    sample_weight = None if weights is None else rng.uniform(0, 2, N).astype(np.float32)
    if weights == "column":
        sample_weight = sample_weight[:, None]
    got = cls(reduction=reduction, **kwargs)(y_true, y_pred, sample_weight=sample_weight)
    want = keras_cls(reduction=reduction, **kwargs)(y_true, y_pred, sample_weight=sample_weight)
    # With (n, 1) weights and reduction="none", Keras 3 returns (n, 1); tf.keras 2.x gives (n,).
    np.testing.assert_allclose(np.ravel(got), np.ravel(want), rtol=1e-5, atol=atol)
    if reduction == "none":
        assert got.shape == (N,)


def test_class_default_names():
    expected = {
        losses.MeanSquaredError: "mean_squared_error",
        losses.MeanAbsoluteError: "mean_absolute_error",
        losses.MeanAbsolutePercentageError: "mean_absolute_percentage_error",
        losses.MeanSquaredLogarithmicError: "mean_squared_logarithmic_error",
        losses.Huber: "huber_loss",
        losses.KLDivergence: "kl_divergence",
        losses.Hinge: "hinge",
        losses.Poisson: "poisson",
        losses.BinaryCrossentropy: "binary_crossentropy",
        losses.CategoricalCrossentropy: "categorical_crossentropy",
        losses.SparseCategoricalCrossentropy: "sparse_categorical_crossentropy",
    }
    for cls, name in expected.items():
        assert cls().name == name
        assert cls().name == keras.losses.get(cls.__name__).name


# ---------------------------------------------------------------------------- hand-computed
def test_hand_computed_values():
    np.testing.assert_allclose(losses.mse([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]]), [0.5, 0.5])
    np.testing.assert_allclose(losses.mae([[0.0, 2.0]], [[1.0, 0.0]]), [1.5])
    np.testing.assert_allclose(losses.mape([[2.0, 4.0]], [[1.0, 5.0]]), [37.5])
    # Errors 0.5 (quadratic: 0.125) and 2.0 (linear: 2 - 0.5 = 1.5).
    np.testing.assert_allclose(losses.huber([[0.0, 0.0]], [[0.5, 2.0]]), [0.8125])
    # 0/1 labels are mapped to -1/1: max(1 + 0.3, 0) and max(1 - 0.2, 0).
    np.testing.assert_allclose(losses.hinge([[0.0, 1.0]], [[0.3, 0.2]]), [1.05], rtol=1e-6)
    y_pred = [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]
    want = [-np.log(0.95), -np.log(0.1)]
    np.testing.assert_allclose(losses.categorical_crossentropy([[0, 1, 0], [0, 0, 1]], y_pred), want, rtol=1e-5)
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy([1, 2], y_pred), want, rtol=1e-5)
    np.testing.assert_allclose(losses.binary_crossentropy([[1.0, 0.0]], [[0.5, 0.5]]), [np.log(2.0)], rtol=1e-6)
    np.testing.assert_allclose(losses.poisson([[2.0]], [[1.0]]), [1.0 - 2.0 * np.log(1.0 + 1e-7)], rtol=1e-6)


def test_binary_crossentropy_follows_tf_keras_2_at_saturation():
    # tf.keras 2.x: -log(clip(p) + eps) with p clipped to [eps, 1 - eps]: -log(2e-7) for a
    # wrong prediction of exactly 0 (Keras 3 gives -log(1e-7) = 16.118).
    got = losses.binary_crossentropy([[1.0, 0.0]], [[0.0, 0.0]])
    np.testing.assert_allclose(got, [(-np.log(2e-7) - np.log(1.0 - 1e-7 + 1e-7)) / 2], rtol=1e-5)


def test_compute_weighted_loss_reductions():
    values = jnp.array([1.0, 2.0, 3.0])
    weights = jnp.array([1.0, 0.0, 2.0])
    np.testing.assert_allclose(losses.compute_weighted_loss(values, weights), 7.0 / 3.0, rtol=1e-6)
    np.testing.assert_allclose(losses.compute_weighted_loss(values, weights, "auto"), 7.0 / 3.0, rtol=1e-6)
    np.testing.assert_allclose(losses.compute_weighted_loss(values, weights, "sum"), 7.0)
    np.testing.assert_allclose(losses.compute_weighted_loss(values, weights, "none"), [1.0, 0.0, 6.0])
    assert float(losses.compute_weighted_loss(jnp.zeros((0,)))) == 0.0


def test_weights_of_lower_rank_apply_per_row():
    # Per-sample losses of shape (2, 3) (sequence outputs) with per-sample weights (2,).
    y_true = np.zeros((2, 3, 1), np.float32)
    y_pred = np.ones((2, 3, 1), np.float32)
    got = losses.MeanSquaredError(reduction="sum")(y_true, y_pred, sample_weight=np.array([1.0, 3.0]))
    np.testing.assert_allclose(got, 3 * 1.0 + 3 * 3.0)


def test_rank_one_targets_against_column_outputs_give_per_sample_values(rng):
    y_true = rng.normal(size=N).astype(np.float32)
    y_pred = rng.normal(size=(N, 1)).astype(np.float32)
    for fn in (losses.mse, losses.mae, losses.huber, losses.binary_crossentropy, losses.poisson):
        values = fn(y_true, np.abs(y_pred) / 10 if fn is not losses.mse else y_pred)
        assert values.shape == (N,)
    np.testing.assert_allclose(losses.mse(y_true, y_pred), (y_true - y_pred[:, 0]) ** 2, rtol=1e-6)
    np.testing.assert_allclose(losses.mse(y_true[:, None], y_pred[:, 0]), (y_true - y_pred[:, 0]) ** 2, rtol=1e-6)


def test_sparse_labels_out_of_range_give_nan():
    values = losses.sparse_categorical_crossentropy([0, 3, -1], np.full((3, 3), 1 / 3, np.float32))
    assert np.isfinite(values[0]) and np.isnan(values[1]) and np.isnan(values[2])


def test_sparse_crossentropy_float_labels_and_axis(rng):
    labels = rng.integers(0, C, N)
    probs = _softmax(rng.normal(size=(N, C)))
    want = losses.sparse_categorical_crossentropy(labels, probs)
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy(labels.astype(np.float32), probs), want)
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy(labels, probs.T, axis=0), want, rtol=1e-6)
    one_hot = np.eye(C, dtype=np.float32)[labels]
    np.testing.assert_allclose(losses.categorical_crossentropy(one_hot.T, probs.T, axis=0), want, rtol=1e-6)


# ---------------------------------------------------------------------------- gradients
GRAD_CASES = [
    (losses.mean_squared_error, {}, "regression"),
    (losses.mean_absolute_percentage_error, {}, "positive"),
    (losses.mean_squared_logarithmic_error, {}, "positive"),
    (losses.huber, {"delta": 10.0}, "regression"),
    (losses.kl_divergence, {}, "distribution"),
    (losses.poisson, {}, "positive"),
    (losses.binary_crossentropy, {}, "binary"),
    (losses.binary_crossentropy, {"from_logits": True, "label_smoothing": 0.1}, "binary_logits"),
    (losses.categorical_crossentropy, {}, "onehot"),
    (losses.categorical_crossentropy, {"from_logits": True}, "onehot_logits"),
    (losses.sparse_categorical_crossentropy, {}, "sparse"),
    (losses.sparse_categorical_crossentropy, {"from_logits": True}, "sparse_logits"),
]


@pytest.mark.parametrize("fn, kwargs, kind", GRAD_CASES)
def test_gradients_match_finite_differences(fn, kwargs, kind, rng):
    y_true, y_pred = _data(kind, rng)
    with jax.enable_x64(True):
        y_true = jnp.asarray(y_true, jnp.int32 if "sparse" in kind else jnp.float64)
        check_grads(
            lambda p: jnp.sum(fn(y_true, p, **kwargs)),
            (jnp.asarray(y_pred, jnp.float64),),
            order=2,
            modes=["rev"],
            eps=1e-6,
        )


# ---------------------------------------------------------------------------- compiled use
def test_loss_objects_run_under_jit(rng):
    y_true, y_pred = _data("sparse_logits", rng)
    weights = rng.uniform(size=N).astype(np.float32)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    eager = loss(y_true, y_pred, sample_weight=weights)
    compiled = jax.jit(lambda t, p, w: loss(t, p, sample_weight=w))(y_true, y_pred, weights)
    np.testing.assert_allclose(compiled, eager, rtol=1e-6)
    np.testing.assert_allclose(jax.jit(loss.call)(y_true, y_pred), loss.call(y_true, y_pred), rtol=1e-6)


def test_hinge_label_conversion_is_traceable():
    got = jax.jit(losses.hinge)(jnp.array([[0.0, 1.0]]), jnp.array([[0.3, 0.2]]))
    np.testing.assert_allclose(got, [1.05], rtol=1e-6)


def test_custom_loss_subclass():
    class Squared(losses.Loss):
        def call(self, y_true, y_pred):
            return jnp.mean(jnp.square(y_pred - y_true), axis=-1)

    loss = Squared(reduction="sum")
    assert loss.name == "squared"
    np.testing.assert_allclose(loss([[0.0], [0.0]], [[1.0], [2.0]]), 5.0)
    with pytest.raises(NotImplementedError):
        losses.Loss()([[0.0]], [[1.0]])


# ---------------------------------------------------------------------------- lookup
def test_get_resolves_names_like_keras():
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("MSE") is losses.mean_squared_error
    assert losses.get("kld") is losses.kl_divergence
    assert losses.get("kullback_leibler_divergence") is losses.kl_divergence
    assert losses.get("huber_loss") is losses.huber
    assert losses.get("sparse_categorical_crossentropy") is losses.sparse_categorical_crossentropy
    assert isinstance(losses.get("CategoricalCrossentropy"), losses.CategoricalCrossentropy)
    assert losses.get(None) is None
    fn = lambda y_true, y_pred: y_pred  # noqa: E731
    assert losses.get(fn) is fn
    loss = losses.get({"class_name": "BinaryCrossentropy", "config": {"from_logits": True, "name": "bce"}})
    assert isinstance(loss, losses.BinaryCrossentropy) and loss.name == "bce" and loss.fn_kwargs["from_logits"]


def test_bad_identifiers():
    with pytest.raises(ValueError, match="loss='nope'"):
        losses.get("nope")
    with pytest.raises(ValueError, match="loss='nope'"):
        losses.to_loss_object("nope")
    with pytest.raises(TypeError, match="loss=3"):
        losses.get(3)
    with pytest.raises(ValueError, match="loss=None"):
        losses.to_loss_object(None)
    with pytest.raises(ValueError, match="reduction='mean_of_everything'"):
        losses.MeanSquaredError(reduction="mean_of_everything")
    with pytest.raises(TypeError, match="fn=3"):
        losses.LossFunctionWrapper(3)


def test_shape_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy.*y_true.shape=\(2, 1\)"):
        losses.categorical_crossentropy(np.zeros((2, 1)), np.full((2, 3), 1 / 3))
    with pytest.raises(ValueError, match=r"categorical_crossentropy.*y_true.shape=\(2, 3\)"):
        losses.sparse_categorical_crossentropy(np.eye(3)[:2], np.full((2, 3), 1 / 3))
    with pytest.raises(ValueError, match="binary_crossentropy"):
        losses.binary_crossentropy(np.zeros((2, 3)), np.zeros((2, 2)))


def test_to_loss_object():
    loss = losses.to_loss_object("sparse_categorical_crossentropy")
    assert isinstance(loss, losses.LossFunctionWrapper) and loss.name == "sparse_categorical_crossentropy"
    assert loss.call(np.array([0, 1]), np.array([[0.9, 0.1], [0.2, 0.8]])).shape == (2,)
    assert losses.to_loss_object("mse").name == "mean_squared_error"
    instance = losses.Huber()
    assert losses.to_loss_object(instance) is instance
    assert isinstance(losses.to_loss_object("Huber"), losses.Huber)
    assert isinstance(losses.to_loss_object(losses.Poisson), losses.Poisson)

    def my_loss(y_true, y_pred):
        return jnp.sum(y_pred - y_true, axis=-1)

    wrapped = losses.to_loss_object(my_loss)
    assert wrapped.name == "my_loss"
    np.testing.assert_allclose(wrapped([[0.0, 1.0]], [[1.0, 3.0]]), 3.0)


# ---------------------------------------------------------------------------- serialization
ROUND_TRIP = [
    losses.MeanSquaredError(reduction="sum", name="m"),
    losses.MeanAbsoluteError(),
    losses.MeanAbsolutePercentageError(),
    losses.MeanSquaredLogarithmicError(),
    losses.Huber(delta=0.3, reduction="none"),
    losses.KLDivergence(),
    losses.Hinge(),
    losses.Poisson(),
    losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2, reduction="auto"),
    losses.CategoricalCrossentropy(label_smoothing=0.1, axis=-1),
    losses.SparseCategoricalCrossentropy(from_logits=True, name="scce"),
    losses.LossFunctionWrapper(losses.huber, name="wrapped", delta=2.0),
]


@pytest.mark.parametrize("loss", ROUND_TRIP, ids=lambda loss: type(loss).__name__)
def test_serialization_round_trip(loss, rng):
    config = losses.serialize(loss)
    assert config["class_name"] == type(loss).__name__
    restored = losses.deserialize(config)
    assert type(restored) is type(loss)
    assert restored.get_config() == loss.get_config()
    assert type(loss).from_config(loss.get_config()).get_config() == loss.get_config()
    y_true, y_pred = _data("sparse" if "Sparse" in type(loss).__name__ else "binary", rng)
    np.testing.assert_allclose(restored(y_true, y_pred), loss(y_true, y_pred))


def test_function_serialization_and_custom_objects():
    assert losses.serialize(losses.mean_squared_error) == "mean_squared_error"
    assert losses.deserialize("mean_squared_error") is losses.mean_squared_error

    def my_loss(y_true, y_pred):
        return jnp.mean(y_pred, axis=-1)

    wrapper = losses.LossFunctionWrapper(my_loss)
    config = losses.serialize(wrapper)
    assert config["config"]["fn"] == "my_loss"
    with pytest.raises(ValueError, match="my_loss"):
        losses.deserialize(config)
    restored = losses.deserialize(config, custom_objects={"my_loss": my_loss})
    assert restored.fn is my_loss and restored.name == "my_loss"


def test_binary_crossentropy_from_logits_has_the_right_gradient_at_zero():
    # d/dz [softplus(z) - z*y] = sigmoid(z) - y, also at z == 0 (a dead ReLU stack gives exactly 0).
    from jeras import losses as jeras_losses

    z = jnp.array([[0.0], [0.0], [2.0]])
    y = jnp.array([[0.0], [1.0], [1.0]])
    grad = jax.grad(lambda z: jnp.sum(jeras_losses.binary_crossentropy(y, z, from_logits=True)))(z)
    np.testing.assert_allclose(np.asarray(grad).ravel(), [0.5, -0.5, 1 / (1 + np.exp(-2.0)) - 1], rtol=1e-6)
