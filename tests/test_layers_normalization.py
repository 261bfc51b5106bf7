"""BatchNormalization, LayerNormalization and Normalization: shapes and configs, outputs and
moving statistics against Keras 3 with the same weights (training steps run the way the engine
runs them, inside a StatelessScope under jit), the fit/predict/evaluate contract of the moving
statistics, argument errors, and gradients under jit."""

import functools

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from jax.test_util import check_grads

from jeras import initializers, layers, regularizers
from jeras import keras as jk
from jeras.backend import StatelessScope


def _bn_pair(rng, shape, **kwargs):
    """A Keras 3 BatchNormalization with random weights and moving statistics, and ours with the same."""
    theirs = keras.layers.BatchNormalization(**kwargs)
    theirs.build(shape)
    weights = [rng.standard_normal(w.shape).astype(np.float32) for w in theirs.get_weights()]
    weights[-1] = np.abs(weights[-1]) + 0.5  # a moving variance is positive
    theirs.set_weights(weights)
    ours = layers.BatchNormalization(**kwargs)
    ours.build(shape)
    ours.set_weights(theirs.get_weights())
    return theirs, ours


def _training_step(layer, values, x):
    """One training-mode call as the engine makes it: every variable bound, new values read from the scope."""
    with StatelessScope(zip(layer.weights, values)) as scope:
        out = layer(x, training=True)
        return out, [scope.new_value(v) for v in layer.weights]


# ---------------------------------------------------------------------------- shapes and configs
@pytest.mark.parametrize(
    ("make", "in_shape", "weight_shapes"),
    [
        (lambda: layers.BatchNormalization(), (4, 3), [(3,), (3,), (3,), (3,)]),
        (lambda: layers.BatchNormalization(axis=1), (4, 3, 5, 5), [(3,), (3,), (3,), (3,)]),
        (lambda: layers.BatchNormalization(axis=[1, 3]), (4, 3, 5, 2), [(1, 3, 1, 2)] * 4),
        (lambda: layers.BatchNormalization(center=False), (4, 3), [(3,), (3,), (3,)]),
        (lambda: layers.BatchNormalization(center=False, scale=False), (4, 3), [(3,), (3,)]),
        (lambda: layers.LayerNormalization(), (4, 3), [(3,), (3,)]),
        (lambda: layers.LayerNormalization(axis=[1, 2]), (4, 2, 3, 5), [(2, 3), (2, 3)]),
        (lambda: layers.LayerNormalization(scale=False), (4, 6, 3), [(3,)]),
        (lambda: layers.Normalization(), (4, 3), [(3,), (3,), ()]),
        (lambda: layers.Normalization(axis=None), (4, 3), [(), (), ()]),
        (lambda: layers.Normalization(axis=(1, 2)), (4, 2, 3, 5), [(2, 3), (2, 3), ()]),
        (lambda: layers.Normalization(mean=1.0, variance=4.0), (4, 3), []),
    ],
)
def test_shapes_and_weights(make, in_shape, weight_shapes, rng):
    layer = make()
    for training in (False, True):
        out = layer(rng.standard_normal(in_shape), training=training)
        assert out.shape == in_shape and out.dtype == jnp.float32
    assert [w.shape for w in layer.weights] == weight_shapes
    assert layer.compute_output_shape(in_shape) == in_shape


def test_batch_norm_weight_names_and_trainability():
    layer = layers.BatchNormalization(name="bn")
    layer.build((None, 3))
    assert [w.path for w in layer.weights] == ["bn/gamma", "bn/beta", "bn/moving_mean", "bn/moving_variance"]
    assert [w.name for w in layer.trainable_weights] == ["gamma", "beta"]
    assert [w.name for w in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]
    norm = layers.Normalization()
    norm.build((None, 3))
    assert [w.name for w in norm.weights] == ["mean", "variance", "count"] and not norm.trainable_weights


ROUND_TRIP = [
    lambda: layers.BatchNormalization(
        axis=1,
        momentum=0.9,
        epsilon=1e-5,
        center=False,
        gamma_initializer=initializers.RandomNormal(seed=2),
        moving_variance_initializer="ones",
        gamma_regularizer=regularizers.L2(0.01),
        beta_constraint="non_neg",
        name="bn",
    ),
    lambda: layers.BatchNormalization(axis=[1, 2], trainable=False, input_shape=(3, 4)),
    lambda: layers.LayerNormalization(axis=[-2, -1], epsilon=1e-6, scale=False, beta_regularizer="l2"),
    lambda: layers.Normalization(axis=None, invert=True),
    lambda: layers.Normalization(axis=(1, 2), mean=[1.0, 2.0], variance=[3.0, 4.0], name="std"),
]


@pytest.mark.parametrize("make", ROUND_TRIP)
def test_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
    clone = layers.deserialize(layers.serialize(layer))
    assert type(clone) is type(layer) and clone.get_config() == config


def _keras3_config(layer):
    config = layer.get_config()
    config["dtype"] = config["dtype"]["config"]["name"]
    return config


def test_batch_norm_config_follows_tf_keras2():
    ours = layers.BatchNormalization(momentum=0.9, name="bn").get_config()
    theirs = _keras3_config(keras.layers.BatchNormalization(momentum=0.9, name="bn"))
    # Keras 3 adds synchronized and renormalization keys; tf.keras 2 writes renorm keys only when
    # renorm is on, which jeras does not provide.
    assert set(theirs) - set(ours) == {"synchronized", "renorm", "renorm_clipping", "renorm_momentum"}
    assert set(ours) <= set(theirs)
    for key in ("name", "trainable", "dtype", "axis", "momentum", "epsilon", "center", "scale"):
        assert ours[key] == theirs[key], key
    for key in ("beta_initializer", "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer"):
        assert ours[key]["class_name"] == theirs[key]["class_name"], key


def test_layer_norm_and_normalization_configs_match_keras3():
    ours = layers.LayerNormalization(epsilon=1e-5, name="ln").get_config()
    theirs = _keras3_config(keras.layers.LayerNormalization(epsilon=1e-5, name="ln"))
    assert set(theirs) - set(ours) == {"rms_scaling"}  # Keras 3 only
    for key in ("name", "axis", "epsilon", "center", "scale", "beta_regularizer"):
        assert ours[key] == theirs[key], key
    ours = layers.Normalization(mean=2.0, variance=4.0, name="n").get_config()
    theirs = _keras3_config(keras.layers.Normalization(mean=2.0, variance=4.0, name="n"))
    assert set(ours) == set(theirs)
    assert (ours["mean"], ours["variance"], ours["invert"]) == (theirs["mean"], theirs["variance"], theirs["invert"])


# ---------------------------------------------------------------------------- BatchNormalization against Keras 3
@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [
        ((16, 5), {}),
        ((8, 4, 4, 3), {"momentum": 0.8}),
        ((6, 3, 4, 5), {"axis": 1, "epsilon": 1e-5}),
        ((10, 7, 3), {"center": False, "scale": False, "momentum": 0.5}),
    ],
)
def test_batch_norm_training_steps_match_keras3(shape, kwargs, rng):
    theirs, ours = _bn_pair(rng, shape, **kwargs)
    stored = ours.get_weights()
    step = jax.jit(functools.partial(_training_step, ours))
    values = [w.value for w in ours.weights]
    for i in range(3):
        x = (rng.standard_normal(shape) * (i + 1) + i).astype(np.float32)
        out, values = step(values, x)
        np.testing.assert_allclose(out, theirs(x, training=True), rtol=1e-5, atol=1e-5)
        for got, expected in zip(values, theirs.get_weights()):
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    for got, expected in zip(ours.get_weights(), stored):  # the step recorded, never wrote
        np.testing.assert_array_equal(got, expected)
    ours.set_weights(values)
    x = rng.standard_normal(shape).astype(np.float32)
    np.testing.assert_allclose(ours(x), theirs(x, training=False), rtol=1e-5, atol=1e-5)


def test_batch_norm_training_by_hand(rng):
    layer = layers.BatchNormalization(momentum=0.75, epsilon=1e-3)
    x = rng.standard_normal((32, 4)).astype(np.float32) * 3 + 1
    layer.build(x.shape)
    out, (gamma, beta, mean, var) = _training_step(layer, [w.value for w in layer.weights], x)
    expected = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(mean, 0.25 * x.mean(0), rtol=1e-5)
    # The biased batch variance feeds the moving variance (tf.keras 2 for rank-2 inputs, Keras 3).
    np.testing.assert_allclose(var, 0.75 + 0.25 * x.var(0), rtol=1e-5)


def test_half_precision_statistics_are_computed_in_float32(rng):
    x = (rng.standard_normal((64, 3)) * 50 + 300).astype(np.float32)
    full, half = layers.BatchNormalization(), layers.BatchNormalization(dtype="float16")
    expected = full(x, training=True)
    got = half(x.astype(np.float16), training=True)
    assert got.dtype == jnp.float16 and half.moving_mean.dtype == jnp.float16
    np.testing.assert_allclose(np.asarray(got, np.float32), expected, atol=2e-2)
    np.testing.assert_allclose(np.asarray(half.moving_mean.numpy(), np.float32), full.moving_mean.numpy(), rtol=1e-2)


@pytest.mark.parametrize(("shape", "axis"), [((9, 5), -1), ((4, 3, 3, 2), -1), ((4, 2, 3, 3), 1)])
def test_batch_norm_inference_matches_keras3(shape, axis, rng):
    theirs, ours = _bn_pair(rng, shape, axis=axis)
    x = rng.standard_normal(shape).astype(np.float32)
    np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours(x, training=False), theirs(x, training=False), rtol=1e-5, atol=1e-5)


def test_batch_norm_eager_training_call_updates_moving_statistics_like_keras3(rng):
    theirs, ours = _bn_pair(rng, (12, 3))
    for _ in range(2):
        x = rng.standard_normal((12, 3)).astype(np.float32)
        np.testing.assert_allclose(ours(x, training=True), theirs(x, training=True), rtol=1e-5, atol=1e-5)
    for got, expected in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_frozen_batch_norm_runs_in_inference_mode(rng):
    # tf.keras 2 (and Keras 3): trainable=False makes training=True use and keep the moving statistics.
    theirs, ours = _bn_pair(rng, (10, 4))
    theirs.trainable = ours.trainable = False
    before = ours.get_weights()
    x = rng.standard_normal((10, 4)).astype(np.float32)
    out, values = _training_step(ours, [w.value for w in ours.weights], x)
    np.testing.assert_allclose(out, theirs(x, training=True), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out, ours(x, training=False), rtol=1e-6)
    for got, expected in zip(values, before):
        np.testing.assert_array_equal(got, expected)
    assert ours.trainable_weights == [] and len(ours.non_trainable_weights) == 4


def test_symbolic_training_call_leaves_statistics_alone():
    layer = layers.BatchNormalization()
    out = layer(layers.Input(shape=(3,)), training=True)
    assert out.shape == (None, 3)
    for w in layer.weights:  # concrete values, no leaked tracer
        assert isinstance(np.asarray(w.numpy()), np.ndarray)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(3))
    np.testing.assert_array_equal(layer.moving_variance.numpy(), np.ones(3))


# ---------------------------------------------------------------------------- fit, predict, evaluate
def _bn_models(input_dim=6):
    k_model = keras.Sequential(
        [
            keras.Input((input_dim,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.BatchNormalization(momentum=0.9),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    j_model = jk.Sequential(
        [
            jk.layers.Dense(8, activation="relu", input_shape=[input_dim]),
            jk.layers.BatchNormalization(momentum=0.9),
            jk.layers.Dense(3, activation="softmax"),
        ]
    )
    # Set layer by layer: a model's weight list orders its weights per layer in Keras.
    for k_layer, j_layer in zip(k_model.layers, j_model.layers):
        j_layer.set_weights(k_layer.get_weights())
    return k_model, j_model


def test_fit_with_batch_norm_matches_keras3():
    rng = np.random.default_rng(1)
    x = (rng.normal(size=(70, 6)) * 3 + 2).astype("float32")
    y = rng.integers(0, 3, 70)
    k_model, j_model = _bn_models()
    for model, lib in ((k_model, keras), (j_model, jk)):
        model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.05), loss="sparse_categorical_crossentropy")
    # 70 samples in batches of 32: the partial last batch has its own statistics too.
    kh = k_model.fit(x, y, epochs=2, batch_size=32, shuffle=False, verbose=0)
    jh = j_model.fit(x, y, epochs=2, batch_size=32, shuffle=False, verbose=0)
    np.testing.assert_allclose(jh.history["loss"], kh.history["loss"], rtol=1e-5)
    for k_layer, j_layer in zip(k_model.layers, j_model.layers):
        for got, expected in zip(j_layer.get_weights(), k_layer.get_weights()):
            np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(j_model.predict(x, verbose=0), k_model(x), rtol=1e-5, atol=1e-6)


def test_moving_statistics_change_only_during_fit():
    rng = np.random.default_rng(2)
    x = (rng.normal(size=(96, 6)) * 2 + 3).astype("float32")
    y = (x[:, 0] + x[:, 1] > 6).astype("int32")
    _, model = _bn_models()
    model.compile(optimizer=jk.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy")
    bn = model.layers[1]

    def stats():
        return [bn.moving_mean.numpy(), bn.moving_variance.numpy()]

    initial = stats()
    model.predict(x, verbose=0)
    model.evaluate(x, y, verbose=0)
    model(x, training=False)
    for got, expected in zip(stats(), initial):
        np.testing.assert_array_equal(got, expected)
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    trained = stats()
    assert not np.allclose(trained[0], initial[0]) and not np.allclose(trained[1], initial[1])
    # Moving means head towards the batch means of the first layer's (ReLU) activations.
    hidden = np.maximum(x @ model.layers[0].kernel.numpy() + model.layers[0].bias.numpy(), 0)
    assert np.abs(trained[0] - hidden.mean(0)).mean() < np.abs(initial[0] - hidden.mean(0)).mean()
    model.predict(x, verbose=0)
    model.evaluate(x, y, verbose=0)
    for got, expected in zip(stats(), trained):
        np.testing.assert_array_equal(got, expected)


def test_frozen_batch_norm_keeps_statistics_through_fit():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 6)).astype("float32")
    y = rng.integers(0, 3, 40)
    _, model = _bn_models()
    bn = model.layers[1]
    bn.trainable = False
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    before = bn.get_weights()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    for got, expected in zip(bn.get_weights(), before):
        np.testing.assert_array_equal(got, expected)


# ---------------------------------------------------------------------------- LayerNormalization
@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [((4, 3, 5), {"epsilon": 1e-5}), ((3, 4, 2, 5), {"axis": [1, 2]}), ((4, 6), {"center": False})],
)
def test_layer_norm_matches_keras3(shape, kwargs, rng):
    theirs = keras.layers.LayerNormalization(**kwargs)
    theirs.build(shape)
    theirs.set_weights([rng.standard_normal(w.shape).astype(np.float32) for w in theirs.get_weights()])
    ours = layers.LayerNormalization(**kwargs)
    ours.build(shape)
    ours.set_weights(theirs.get_weights())
    x = (rng.standard_normal(shape) * 4 - 1).astype(np.float32)
    np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours(x, training=True), ours(x), rtol=0)


def test_layer_norm_by_hand(rng):
    x = rng.standard_normal((3, 4)).astype(np.float32) * 5
    out = layers.LayerNormalization(epsilon=1e-3)(x)
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------- Normalization
@pytest.mark.parametrize(
    ("shape", "axis"), [((50, 4), -1), ((30, 3, 4), -1), ((30, 3, 4), None), ((20, 3, 2, 2), (1, 3)), ((40, 3), 1)]
)
def test_normalization_adapt_matches_keras3(shape, axis, rng):
    data = (rng.standard_normal(shape) * 3 + 5).astype(np.float32)
    theirs = keras.layers.Normalization(axis=axis)
    theirs.adapt(data)
    ours = layers.Normalization(axis=axis)
    ours.adapt(data)
    np.testing.assert_allclose(ours(data), theirs(data), rtol=1e-4, atol=1e-5)
    for got, expected in zip(ours.get_weights()[:2], theirs.get_weights()[:2]):
        np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_normalization_adapt_in_batches_and_from_a_generator(rng):
    data = rng.standard_normal((103, 3)) * [1.0, 10.0, 100.0] + [0.0, 5.0, -50.0]
    whole = layers.Normalization()
    whole.adapt(data)
    np.testing.assert_allclose(whole.mean.numpy(), data.mean(0), rtol=1e-6)
    np.testing.assert_allclose(whole.variance.numpy(), data.var(0), rtol=1e-5)
    assert int(whole.count.numpy()) == 103
    batched = layers.Normalization()
    batched.adapt(data, batch_size=10)
    np.testing.assert_allclose(batched.mean.numpy(), whole.mean.numpy(), rtol=1e-6)
    np.testing.assert_allclose(batched.variance.numpy(), whole.variance.numpy(), rtol=1e-6)
    first = layers.Normalization()
    first.adapt(data, batch_size=10, steps=2)
    np.testing.assert_allclose(first.mean.numpy(), data[:20].mean(0), rtol=1e-5)
    assert int(first.count.numpy()) == 20
    streamed = layers.Normalization()
    streamed.adapt(data[i : i + 25] for i in range(0, 103, 25))
    np.testing.assert_allclose(streamed.variance.numpy(), data.var(0), rtol=1e-5)


def test_normalization_outputs_by_hand(rng):
    data = rng.standard_normal((20, 2)) * [2.0, 0.5] + [1.0, -3.0]
    norm = layers.Normalization()
    norm.adapt(data)
    out = np.asarray(norm(data))
    np.testing.assert_allclose(out.mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(out.std(0), 1.0, rtol=1e-4)
    inverse = layers.Normalization(mean=norm.mean.numpy(), variance=norm.variance.numpy(), invert=True)
    np.testing.assert_allclose(inverse(out), data, rtol=1e-4, atol=1e-5)
    given = layers.Normalization(mean=[1.0, -3.0], variance=[4.0, 0.25])
    np.testing.assert_allclose(given(data), (data - [1.0, -3.0]) / [2.0, 0.5], rtol=1e-5)
    constant = layers.Normalization(mean=2.0, variance=0.0)  # the divisor is at least backend.epsilon()
    np.testing.assert_allclose(constant(np.full((1, 2), 2.0)), 0.0)
    np.testing.assert_allclose(layers.Normalization(mean=0.0, variance=1.0)(np.array([[3, 4]])), [[3.0, 4.0]])


# ---------------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize("momentum", [-0.1, 1.5, "a", None, True])
def test_batch_norm_rejects_bad_momentum(momentum):
    with pytest.raises(ValueError, match=f"Received: momentum={momentum!r}"):
        layers.BatchNormalization(momentum=momentum)


@pytest.mark.parametrize("make", [layers.BatchNormalization, layers.LayerNormalization])
def test_rejects_bad_epsilon_and_axis(make):
    for epsilon in (0, -1e-3, "a"):
        with pytest.raises(ValueError, match=f"Received: epsilon={epsilon!r}"):
            make(epsilon=epsilon)
    for axis in ("a", 1.5, [1, "b"], [], None):
        with pytest.raises(TypeError, match=r"Received: axis="):
            make(axis=axis)
    with pytest.raises(ValueError, match=r"Received: axis=\[1, 1\]"):
        make(axis=[1, 1])
    with pytest.raises(ValueError, match="Received: axis=3"):
        make(axis=3)(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"to be known. Received: input_shape=\(None, None\)"):
        make()(layers.Input(shape=(None,)))


def test_normalization_layers_reject_inputs_of_another_rank(rng):
    for layer in (layers.BatchNormalization(), layers.LayerNormalization(), layers.Normalization(mean=0, variance=1)):
        layer(np.zeros((2, 3), np.float32))
        with pytest.raises(ValueError, match=r"rank 2.*Received: inputs with shape \(2, 3, 3\)"):
            layer(np.zeros((2, 3, 3), np.float32))


def test_normalization_rejects_bad_arguments(rng):
    with pytest.raises(ValueError, match="Received: mean=1.0, variance=None"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="Received: variance=-1.0"):
        layers.Normalization(mean=0.0, variance=-1.0)
    with pytest.raises(ValueError, match=r"Received: mean with shape \(3,\)"):
        layers.Normalization(mean=[1.0, 2.0, 3.0], variance=1.0)(np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match="batch axis 0. Received: axis=0"):
        layers.Normalization(axis=0)(np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match=r"Received: mean=\[1.0\]"):
        layers.Normalization(mean=[1.0], variance=[1.0]).adapt(np.zeros((3, 1)))
    norm = layers.Normalization()
    with pytest.raises(ValueError, match=r"Received: batch_size=0"):
        norm.adapt(np.zeros((3, 2)), batch_size=0)
    with pytest.raises(ValueError, match=r"at least one example. Received: data=array of shape \(0, 2\)"):
        norm.adapt(np.zeros((0, 2)))
    with pytest.raises(TypeError, match="numeric data. Received: data=array of shape"):
        norm.adapt(np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="Received: data=int"):
        norm.adapt(3)
    norm.adapt(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"Received: a batch of shape \(3, 4\)"):
        norm.adapt(np.ones((3, 4)))


# ---------------------------------------------------------------------------- jit and gradients
def test_batch_norm_grads_under_jit(rng):
    with jax.enable_x64(True):
        layer = layers.BatchNormalization(dtype="float64")
        x = jnp.asarray(rng.standard_normal((6, 3)))
        layer.build(x.shape)
        fixed = [w.value for w in layer.non_trainable_weights]
        target = jnp.asarray(rng.standard_normal((6, 3)))

        def loss(gamma, beta, inputs, training):
            with StatelessScope(zip(layer.weights, [gamma, beta, *fixed])):
                return jnp.sum((layer(inputs, training=training) - target) ** 2)

        for training in (True, False):
            f = jax.jit(functools.partial(loss, training=training))
            params = (jnp.asarray(rng.standard_normal(3)), jnp.asarray(rng.standard_normal(3)), x)
            check_grads(f, params, order=1, modes=["rev"], eps=1e-6)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(3))


def test_batch_norm_input_gradient_by_hand(rng):
    # With gamma=1, beta=0 in training mode, the outputs of a feature sum to zero for any input,
    # so the gradient of their sum vanishes.
    layer = layers.BatchNormalization()
    x = rng.standard_normal((8, 2)).astype(np.float32)
    layer.build(x.shape)
    values = [w.value for w in layer.weights]
    grad = jax.jit(jax.grad(lambda v: jnp.sum(_training_step(layer, values, v)[0])))(x)
    np.testing.assert_allclose(grad, 0.0, atol=1e-5)


@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.LayerNormalization(dtype="float64"),
        lambda: layers.LayerNormalization(axis=[1, 2], dtype="float64"),
        lambda: layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 9.0], dtype="float64"),
    ],
)
def test_normalizations_grads_under_jit(make, rng):
    with jax.enable_x64(True):
        layer = make()
        x = jnp.asarray(rng.standard_normal((2, 4, 3)))
        layer.build(x.shape)
        params = [jnp.asarray(rng.standard_normal(w.shape)) for w in layer.trainable_weights]

        def f(params, inputs):
            with StatelessScope(zip(layer.trainable_weights, params)):
                return jnp.sum(jnp.sin(layer(inputs)) * jnp.arange(24.0).reshape(2, 4, 3))

        check_grads(jax.jit(f), (params, x), order=1, modes=["rev"], eps=1e-6)
