"""Core layers (Dense, Activation, Flatten, Reshape, InputLayer/Input): shapes and configs,
outputs against Keras 3 with the same weights, argument errors, and gradients under jit."""

import functools

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from jax.test_util import check_grads

from jeras import activations, initializers, layers, regularizers
from jeras.backend import StatelessScope


def _dense_pair(rng, units, in_dim, **kwargs):
    """A Keras 3 Dense with random (nonzero-bias) weights, and a jeras Dense given the same weights."""
    theirs = keras.layers.Dense(units, **kwargs)
    theirs.build((None, in_dim))
    theirs.set_weights([rng.standard_normal(w.shape).astype(np.float32) for w in theirs.get_weights()])
    ours = layers.Dense(units, **kwargs)
    ours.build((None, in_dim))
    ours.set_weights(theirs.get_weights())
    return theirs, ours


# ---------------------------------------------------------------------------- shape and dtype
@pytest.mark.parametrize(
    ("make", "in_shape", "out_shape"),
    [
        (lambda: layers.Dense(3), (2, 4), (2, 3)),
        (lambda: layers.Dense(3), (2, 5, 4), (2, 5, 3)),
        (lambda: layers.Dense(1, use_bias=False), (6, 2), (6, 1)),
        (lambda: layers.Activation("relu"), (2, 3, 4), (2, 3, 4)),
        (lambda: layers.Flatten(), (2, 3, 4), (2, 12)),
        (lambda: layers.Flatten(), (5,), (5, 1)),
        (lambda: layers.Flatten(), (0, 3, 4), (0, 12)),
        (lambda: layers.Reshape((2, 6)), (3, 12), (3, 2, 6)),
        (lambda: layers.Reshape((-1, 3)), (3, 2, 6), (3, 4, 3)),
        (lambda: layers.Reshape((-1, 2)), (0, 3, 4), (0, 6, 2)),
        (lambda: layers.Reshape(6), (2, 3, 2), (2, 6)),
    ],
)
def test_output_shape_and_dtype(make, in_shape, out_shape, rng):
    layer = make()
    # float64 inputs are cast to the layer's float32, as tf.keras does.
    out = layer(rng.standard_normal(in_shape))
    assert out.shape == out_shape
    assert out.dtype == jnp.float32
    assert layer.compute_output_shape(in_shape) == out_shape


def test_dense_casts_integer_inputs():
    layer = layers.Dense(2, kernel_initializer="ones")
    out = layer(np.array([[1, 2, 3]], dtype=np.int32))
    assert out.dtype == jnp.float32
    np.testing.assert_array_equal(out, [[6.0, 6.0]])


def test_dense_weight_shapes_and_names():
    layer = layers.Dense(3, name="fc")
    layer(np.zeros((2, 5, 4), np.float32))
    assert [w.path for w in layer.weights] == ["fc/kernel", "fc/bias"]
    assert [w.shape for w in layer.weights] == [(4, 3), (3,)]
    assert layer.count_params() == 15


def test_dense_without_bias_has_one_weight():
    layer = layers.Dense(3, use_bias=False)
    layer.build((None, 4))
    assert layer.bias is None
    assert [w.name for w in layer.weights] == ["kernel"]


def test_input_shapes_and_dtypes():
    x = layers.Input(shape=(28, 28))
    assert x.shape == (None, 28, 28) and x.dtype == "float32"
    assert layers.Input(shape=[3], batch_size=8, dtype="int32").shape == (8, 3)
    assert layers.Input(shape=(3,), dtype="int32").dtype == "int32"
    assert layers.Input(batch_shape=(None, None, 5)).shape == (None, None, 5)
    assert layers.Input(shape=7).shape == (None, 7)
    layer = layers.InputLayer(input_shape=(4,))
    assert layer.output.shape == (None, 4)
    assert layer.output.node.layer is layer


# ---------------------------------------------------------------------------- configs
ROUND_TRIP = [
    lambda: layers.Dense(
        5,
        activation="tanh",
        use_bias=False,
        kernel_initializer=initializers.HeNormal(seed=3),
        kernel_regularizer=regularizers.L2(0.05),
        activity_regularizer="l1",
        kernel_constraint="max_norm",
        name="hidden",
        input_shape=(7,),
    ),
    lambda: layers.Dense(2, bias_initializer="ones", bias_regularizer=regularizers.L1L2(0.1, 0.2), trainable=False),
    lambda: layers.Activation("softmax"),
    lambda: layers.Flatten(input_shape=(2, 3)),
    lambda: layers.Reshape((2, -1), name="rs"),
    lambda: layers.InputLayer(input_shape=(3, 4), dtype="int32", name="pixels"),
    lambda: layers.InputLayer(batch_input_shape=(16, 3)),
]


@pytest.mark.parametrize("make", ROUND_TRIP)
def test_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert type(clone) is type(layer)
    assert clone.get_config() == config
    via_registry = layers.deserialize(layers.serialize(layer))
    assert type(via_registry) is type(layer)
    assert via_registry.get_config() == config
    assert layers.serialize(layer) == {"class_name": type(layer).__name__, "config": config}


def test_round_trip_keeps_behaviour(rng):
    layer = layers.Dense(3, activation="relu", kernel_initializer=initializers.GlorotUniform(seed=1))
    x = rng.standard_normal((4, 6)).astype(np.float32)
    clone = layers.deserialize(layers.serialize(layer))
    np.testing.assert_array_equal(layer(x), clone(x))  # the seeded initializer draws the same kernel
    assert clone.activation is activations.relu


def test_deserialize_custom_layer():
    class Doubler(layers.Layer):
        def call(self, inputs):
            return 2 * inputs

    config = layers.serialize(Doubler(name="twice"))
    with pytest.raises(ValueError, match="Received: config='Doubler'"):
        layers.deserialize(config)
    clone = layers.deserialize(config, custom_objects={"Doubler": Doubler})
    assert isinstance(clone, Doubler) and clone.name == "twice"


def _keras3_dtype(config):
    # Keras 3 stores a DTypePolicy config where tf.keras 2 stored the dtype name (jeras does too).
    return config["dtype"]["config"]["name"]


def test_dense_config_matches_keras3():
    kwargs = {
        "units": 4,
        "activation": "relu",
        "use_bias": True,
        "kernel_regularizer": "l2",
        "kernel_constraint": "non_neg",
        "name": "d",
    }
    ours = layers.Dense(bias_initializer=initializers.Constant(0.5), **kwargs).get_config()
    theirs = keras.layers.Dense(bias_initializer=keras.initializers.Constant(0.5), **kwargs).get_config()
    # Keras 3 adds `quantization_config` and drops `activity_regularizer`; tf.keras 2 (and jeras)
    # has `activity_regularizer`. Every other key is shared.
    assert set(ours) - set(theirs) == {"activity_regularizer"}
    assert set(theirs) - set(ours) == {"quantization_config"}
    for key in ("name", "trainable", "units", "activation", "use_bias", "bias_regularizer", "bias_constraint"):
        assert ours[key] == theirs[key], key
    assert ours["dtype"] == _keras3_dtype(theirs)
    # Keras 3's serialized objects carry extra "module"/"registered_name" keys, and its
    # GlorotUniform config extra axis arguments; the class and shared arguments agree.
    for key in ("kernel_initializer", "bias_initializer", "kernel_regularizer", "kernel_constraint"):
        assert ours[key]["class_name"] == theirs[key]["class_name"], key
        for arg, value in ours[key]["config"].items():
            expected = theirs[key]["config"][arg]
            assert expected == (value if value is None else pytest.approx(value)), (key, arg)


def test_dense_default_activation_serializes_as_linear():
    assert layers.Dense(2).get_config()["activation"] == keras.layers.Dense(2).get_config()["activation"] == "linear"


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda: layers.Activation("sigmoid", name="a"), lambda: keras.layers.Activation("sigmoid", name="a")),
        (lambda: layers.Flatten(name="f"), lambda: keras.layers.Flatten(name="f")),
        # tf.keras 2 returned target_shape as a tuple too; jeras gives a list (what JSON gives back).
        (lambda: layers.Reshape((2, 3), name="r"), lambda: keras.layers.Reshape((2, 3), name="r")),
    ],
)
def test_config_matches_keras3(ours, theirs):
    ours, theirs = ours().get_config(), theirs().get_config()
    assert set(ours) == set(theirs)
    for key in ours:
        expected = _keras3_dtype(theirs) if key == "dtype" else theirs[key]
        assert ours[key] == (list(expected) if isinstance(expected, tuple) else expected), key


def test_input_layer_config_follows_tf_keras2():
    # tf.keras 2 writes `batch_input_shape`; Keras 3 renamed it `batch_shape` and added
    # `optional`. The shape, dtype and name agree.
    ours = layers.InputLayer(batch_input_shape=(8, 4), dtype="int32", name="x").get_config()
    theirs = keras.layers.InputLayer(batch_shape=(8, 4), dtype="int32", name="x").get_config()
    assert ours == {"batch_input_shape": [8, 4], "dtype": "int32", "name": "x"}
    assert list(theirs["batch_shape"]) == ours["batch_input_shape"]
    assert (theirs["dtype"], theirs["name"]) == (ours["dtype"], ours["name"])


def test_input_shape_kwarg_is_in_config():
    # tf.keras 2 keeps `input_shape=` of a first layer as `batch_input_shape` in the config.
    config = layers.Dense(3, input_shape=(4,)).get_config()
    assert config["batch_input_shape"] == [None, 4]
    assert layers.Dense(3, batch_size=2, input_dim=5).get_config()["batch_input_shape"] == [2, 5]
    assert "batch_input_shape" not in layers.Dense(3).get_config()


# ---------------------------------------------------------------------------- against Keras 3
ACTIVATION_NAMES = sorted(set(activations._REGISTRY) - {"hard_sigmoid"})


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_dense_matches_keras3(activation, rng):
    theirs, ours = _dense_pair(rng, 5, 4, activation=activation)
    x = rng.standard_normal((6, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-5, atol=1e-6)


def test_dense_hard_sigmoid_follows_tf_keras2(rng):
    # Keras 3's hard_sigmoid has slope 1/6; tf.keras 2 (and jeras) has 0.2.
    theirs, ours = _dense_pair(rng, 5, 4)
    ours.activation = activations.get("hard_sigmoid")
    x = rng.standard_normal((6, 4)).astype(np.float32)
    expected = np.clip(0.2 * np.asarray(theirs(x)) + 0.5, 0.0, 1.0)
    np.testing.assert_allclose(ours(x), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("in_shape", [(6, 4), (2, 3, 4), (2, 2, 3, 4)])
@pytest.mark.parametrize("use_bias", [True, False])
def test_dense_kernel_on_any_rank_matches_keras3(in_shape, use_bias, rng):
    theirs, ours = _dense_pair(rng, 3, 4, use_bias=use_bias, activation="tanh")
    x = rng.standard_normal(in_shape).astype(np.float32)
    got = ours(x)
    assert got.shape == in_shape[:-1] + (3,)
    np.testing.assert_allclose(got, theirs(x), rtol=1e-5, atol=1e-6)


def test_dense_by_hand(rng):
    layer = layers.Dense(2, activation="relu")
    kernel = np.array([[1.0, -1.0], [2.0, 0.5], [0.0, -3.0]], np.float32)
    bias = np.array([0.5, -0.5], np.float32)
    layer.build((None, 3))
    layer.set_weights([kernel, bias])
    x = rng.standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(layer(x), np.maximum(x @ kernel + bias, 0), rtol=1e-6)
    for got, expected in zip(layer.get_weights(), [kernel, bias]):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    ("ours", "theirs", "in_shape"),
    [
        (lambda: layers.Activation("softmax"), lambda: keras.layers.Activation("softmax"), (3, 5)),
        (lambda: layers.Activation("elu"), lambda: keras.layers.Activation("elu"), (2, 3, 4)),
        (lambda: layers.Activation(None), lambda: keras.layers.Activation(None), (2, 3)),
        (lambda: layers.Flatten(), lambda: keras.layers.Flatten(), (2, 3, 4, 5)),
        (lambda: layers.Reshape((4, -1)), lambda: keras.layers.Reshape((4, -1)), (2, 3, 8)),
        (lambda: layers.Reshape((2, 3, 4)), lambda: keras.layers.Reshape((2, 3, 4)), (5, 24)),
    ],
)
def test_weightless_layers_match_keras3(ours, theirs, in_shape, rng):
    x = rng.standard_normal(in_shape).astype(np.float32)
    np.testing.assert_allclose(ours()(x), theirs()(x), rtol=1e-5, atol=1e-7)


def test_symbolic_shapes_match_keras3():
    for ours, theirs, shape in [
        (layers.Dense(3), keras.layers.Dense(3), (None, 4)),
        (layers.Dense(3), keras.layers.Dense(3), (None, None, 4)),
        (layers.Flatten(), keras.layers.Flatten(), (None, 2, 3)),
        (layers.Flatten(), keras.layers.Flatten(), (None, None, 3)),
        (layers.Reshape((-1, 2)), keras.layers.Reshape((-1, 2)), (None, 4, 3)),
    ]:
        got = ours(layers.Input(batch_shape=shape)).shape
        assert got == tuple(theirs(keras.Input(batch_shape=shape)).shape), (type(ours).__name__, shape)


# ---------------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize("units", [0, -3, "a", 2.5, True, None])
def test_dense_rejects_bad_units(units):
    with pytest.raises(ValueError, match=f"Received: units={units!r}"):
        layers.Dense(units)


@pytest.mark.parametrize("target_shape", [(2, -1, -1), (0, 3), (2, -2), (2.5,), ("a", 2), (True, 2)])
def test_reshape_rejects_bad_target_shape(target_shape):
    with pytest.raises(ValueError, match=r"Received: target_shape="):
        layers.Reshape(target_shape)


def test_reshape_rejects_non_sequence_target_shape():
    with pytest.raises(TypeError, match="Received: target_shape=None"):
        layers.Reshape(None)


@pytest.mark.parametrize(("target_shape", "in_shape"), [((4,), (2, 3)), ((5, -1), (2, 3, 4)), ((2, 2), (1, 5))])
def test_reshape_rejects_incompatible_input(target_shape, in_shape):
    with pytest.raises(ValueError, match=r"Received: target_shape=\("):
        layers.Reshape(target_shape)(np.zeros(in_shape, np.float32))
    with pytest.raises(ValueError, match=r"Received: target_shape=\("):
        layers.Reshape(target_shape)(layers.Input(shape=in_shape[1:]))


@pytest.mark.parametrize("make", [lambda: layers.Dense(3, activation="nope"), lambda: layers.Activation("nope")])
def test_unknown_activation_name(make):
    with pytest.raises(ValueError, match="Received: activation='nope'"):
        make()


def test_bad_initializer_regularizer_constraint_names():
    with pytest.raises(ValueError, match="Received: initializer='nope'"):
        layers.Dense(3, kernel_initializer="nope")
    with pytest.raises(ValueError, match="Received: regularizer='nope'"):
        layers.Dense(3, kernel_regularizer="nope")
    with pytest.raises(ValueError, match="Received: constraint='nope'"):
        layers.Dense(3, bias_constraint="nope")


def test_flatten_rejects_channels_first():
    with pytest.raises(ValueError, match="Received: data_format='channels_first'"):
        layers.Flatten(data_format="channels_first")


def test_unknown_keyword_argument():
    with pytest.raises(TypeError, match=r"Received: \{'unit': 3\}"):
        layers.Dense(3, unit=3)


def test_set_weights_checks_count_and_shapes():
    layer = layers.Dense(3)
    layer.build((None, 4))
    with pytest.raises(ValueError, match="expects 2 weight arrays.*Received: weights of length 1"):
        layer.set_weights([np.zeros((4, 3))])
    with pytest.raises(ValueError, match=r"Received: weights with shapes \[\(3, 4\), \(3,\)\]"):
        layer.set_weights([np.zeros((3, 4)), np.zeros(3)])
    before = layer.get_weights()
    with pytest.raises(ValueError, match=r"Received: weights with shapes \[\(4, 3\), \(4,\)\]"):
        layer.set_weights([np.ones((4, 3)), np.ones(4)])
    for got, expected in zip(layer.get_weights(), before):  # nothing was written before the check failed
        np.testing.assert_array_equal(got, expected)


def test_dense_rejects_wrong_input_dim_at_call_time():
    layer = layers.Dense(3)
    layer(np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"last dimension 4.*Received: inputs with shape \(2, 5\)"):
        layer(np.zeros((2, 5), np.float32))
    with pytest.raises(ValueError, match=r"Received: inputs with shape \(4,\)"):
        layer(np.zeros((4,), np.float32))


@pytest.mark.parametrize("in_shape", [(4,), ()])
def test_dense_rejects_inputs_without_feature_axis(in_shape):
    with pytest.raises(ValueError, match="rank 2 or more.*Received: input_shape="):
        layers.Dense(3)(np.zeros(in_shape, np.float32))


def test_dense_rejects_unknown_feature_dim():
    with pytest.raises(ValueError, match=r"must be known.*Received: input_shape=\(None, None\)"):
        layers.Dense(3)(layers.Input(shape=(None,)))


@pytest.mark.parametrize("shape", [(-1, 3), (0,), ("a",), (2.5,), (True,)])
def test_input_rejects_bad_shape(shape):
    with pytest.raises(ValueError, match=r"Received: shape="):
        layers.Input(shape=shape)


def test_input_rejects_missing_or_non_sequence_shape():
    with pytest.raises(ValueError, match="Received: shape=None"):
        layers.Input()
    with pytest.raises(TypeError, match="Received: shape=2.5"):
        layers.Input(shape=2.5)
    with pytest.raises(ValueError, match=r"Received: batch_input_shape=\(None, -2\)"):
        layers.InputLayer(batch_input_shape=(None, -2))
    with pytest.raises(ValueError, match="Received: input_shape=None"):
        layers.InputLayer()


def test_bad_layer_name():
    with pytest.raises(ValueError, match="Received: name=''"):
        layers.Dense(3, name="")


# ---------------------------------------------------------------------------- jit and gradients
def _apply(layer, params, x):
    """The layer's call as a pure function of its trainable weights."""
    with StatelessScope(zip(layer.trainable_weights, params)):
        return layer(x)


@pytest.mark.parametrize(("activation", "use_bias"), [(None, True), ("tanh", True), ("softmax", False)])
def test_dense_grads_under_jit(activation, use_bias, rng):
    with jax.enable_x64(True):
        layer = layers.Dense(3, activation=activation, use_bias=use_bias, dtype="float64")
        x = jnp.asarray(rng.standard_normal((5, 4)))
        layer.build(x.shape)
        stored = layer.get_weights()
        params = [jnp.asarray(rng.standard_normal(w.shape)) for w in stored]
        f = jax.jit(functools.partial(_apply, layer))
        np.testing.assert_allclose(f(params, x), _eager_with(layer, params, x), rtol=1e-12)
        target = jnp.asarray(rng.standard_normal((5, 3)))
        check_grads(lambda *p: jnp.sum((f(list(p), x) - target) ** 2), tuple(params), order=2, modes=["rev"], eps=1e-6)
    for got, expected in zip(layer.get_weights(), stored):  # binding never writes to the layer
        np.testing.assert_array_equal(got, expected)


def _eager_with(layer, params, x):
    saved = layer.get_weights()
    layer.set_weights(params)
    try:
        return np.asarray(layer(x))
    finally:
        layer.set_weights(saved)


def test_dense_kernel_gradient_by_hand(rng):
    layer = layers.Dense(2)
    x = rng.standard_normal((3, 4)).astype(np.float32)
    layer.build(x.shape)
    grads = jax.jit(jax.grad(lambda p: jnp.sum(_apply(layer, p, x))))([w.value for w in layer.trainable_weights])
    # d/dK sum(xK + b) = column sums of x, for every unit; d/db = batch size.
    np.testing.assert_allclose(grads[0], np.repeat(x.sum(0)[:, None], 2, axis=1), rtol=1e-5)
    np.testing.assert_allclose(grads[1], [3.0, 3.0])


def test_dense_one_training_step_reduces_loss(rng):
    layer = layers.Dense(1)
    x = rng.standard_normal((16, 3)).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5]], np.float32)
    layer.build(x.shape)

    @jax.jit
    def step(params):
        loss, grads = jax.value_and_grad(lambda p: jnp.mean((_apply(layer, p, x) - y) ** 2))(params)
        return [p - 0.1 * g for p, g in zip(params, grads)], loss

    params = [w.value for w in layer.trainable_weights]
    new_params, loss = step(params)
    _, new_loss = step(new_params)
    assert new_loss < loss
    layer.set_weights(new_params)
    np.testing.assert_allclose(np.mean((np.asarray(layer(x)) - y) ** 2), new_loss, rtol=1e-5)


@pytest.mark.parametrize(
    "make",
    [
        functools.partial(layers.Flatten),
        functools.partial(layers.Reshape, (-1, 2)),
        functools.partial(layers.Activation, "tanh"),
    ],
)
def test_weightless_layers_grads_under_jit(make, rng):
    with jax.enable_x64(True):
        layer = make(dtype="float64")
        x = jnp.asarray(rng.standard_normal((2, 3, 4)))
        f = jax.jit(lambda v: jnp.sum(jnp.sin(layer(v)) * jnp.arange(24.0).reshape(layer(v).shape)))
        check_grads(f, (x,), order=2, modes=["rev"], eps=1e-6)
