"""Convolution and pooling layers: outputs against Keras 3 with the same weights (strides,
padding, dilation, groups), shapes (symbolic too), configs, argument errors, a small CNN fitted
like Keras 3, and gradients under jit."""

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

CONV = {1: "Conv1D", 2: "Conv2D", 3: "Conv3D"}
SPATIAL = {1: (9,), 2: (7, 8), 3: (5, 6, 4)}


def _conv_pair(rng, rank, channels, *args, **kwargs):
    theirs = getattr(keras.layers, CONV[rank])(*args, **kwargs)
    theirs.build((None,) + SPATIAL[rank] + (channels,))
    theirs.set_weights([rng.standard_normal(w.shape).astype(np.float32) for w in theirs.get_weights()])
    ours = getattr(layers, CONV[rank])(*args, **kwargs)
    ours.build((None,) + SPATIAL[rank] + (channels,))
    ours.set_weights(theirs.get_weights())
    return theirs, ours


# ---------------------------------------------------------------------------- convolutions against Keras 3
CONV_CASES = [
    {},
    {"strides": 2, "padding": "same"},
    {"strides": 2},
    {"dilation_rate": 2, "padding": "same", "activation": "relu"},
    {"groups": 2, "use_bias": False},
]


@pytest.mark.parametrize(
    ("rank", "kwargs"),
    [(2, kwargs) for kwargs in CONV_CASES] + [(1, CONV_CASES[1]), (1, CONV_CASES[4]), (3, CONV_CASES[1])],
)
def test_conv_matches_keras3(rank, kwargs, rng):
    theirs, ours = _conv_pair(rng, rank, 4, 6, 3, **kwargs)
    x = rng.standard_normal((2,) + SPATIAL[rank] + (4,)).astype(np.float32)
    expected = theirs(x)
    got = ours(x)
    assert got.shape == tuple(expected.shape)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    assert ours.compute_output_shape(x.shape) == tuple(expected.shape)


def test_conv2d_rectangular_windows_match_keras3(rng):
    theirs, ours = _conv_pair(rng, 2, 3, 5, kernel_size=(2, 4), strides=(1, 3), padding="same")
    x = rng.standard_normal((2, 7, 8, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-4, atol=1e-4)


def test_conv1d_causal_padding_matches_keras3_and_looks_back_only(rng):
    theirs, ours = _conv_pair(rng, 1, 2, 3, 3, padding="causal", dilation_rate=2)
    x = rng.standard_normal((2, 9, 2)).astype(np.float32)
    np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-4, atol=1e-4)
    changed = x.copy()
    changed[:, 5:] += 10.0
    np.testing.assert_allclose(ours(changed)[:, :5], ours(x)[:, :5], rtol=1e-6)


def test_conv2d_by_hand():
    layer = layers.Conv2D(1, 2, kernel_initializer="ones", bias_initializer=initializers.Constant(0.5))
    x = np.arange(9.0, dtype=np.float32).reshape(1, 3, 3, 1)
    out = np.asarray(layer(x))[0, :, :, 0]
    np.testing.assert_array_equal(
        out, [[0 + 1 + 3 + 4 + 0.5, 1 + 2 + 4 + 5 + 0.5], [3 + 4 + 6 + 7 + 0.5, 4 + 5 + 7 + 8 + 0.5]]
    )
    assert [w.shape for w in layer.weights] == [(2, 2, 1, 1), (1,)]


def test_conv_casts_integer_inputs(rng):
    layer = layers.Conv2D(2, 3)
    out = layer(np.ones((1, 5, 5, 1), np.int32))
    assert out.dtype == jnp.float32 and out.shape == (1, 3, 3, 2)


# ---------------------------------------------------------------------------- pooling against Keras 3
POOLS = [
    ("MaxPooling", {}),
    ("MaxPooling", {"padding": "same"}),
    ("MaxPooling", {"pool_size": 3, "strides": 2, "padding": "same"}),
    ("AveragePooling", {"pool_size": 2}),
    ("AveragePooling", {"pool_size": 2, "padding": "same"}),
    ("AveragePooling", {"pool_size": 3, "strides": 2, "padding": "same"}),
    ("AveragePooling", {"pool_size": 3, "strides": 1}),
]


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize(("kind", "kwargs"), POOLS)
def test_pooling_matches_keras3(rank, kind, kwargs, rng):
    name = f"{kind}{rank}D"
    x = rng.standard_normal((2,) + SPATIAL[rank] + (3,)).astype(np.float32)
    theirs = getattr(keras.layers, name)(**({"pool_size": 2} | kwargs))
    expected = theirs(x)
    ours = getattr(layers, name)(**kwargs)
    got = ours(x)
    assert got.shape == tuple(expected.shape)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert ours.compute_output_shape(x.shape) == tuple(expected.shape)


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("kind", ["GlobalAveragePooling", "GlobalMaxPooling"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling_matches_keras3(rank, kind, keepdims, rng):
    name = f"{kind}{rank}D"
    x = rng.standard_normal((2,) + SPATIAL[rank] + (3,)).astype(np.float32)
    expected = getattr(keras.layers, name)(keepdims=keepdims)(x)
    np.testing.assert_allclose(getattr(layers, name)(keepdims=keepdims)(x), expected, rtol=1e-5, atol=1e-6)


def test_average_pooling_same_padding_excludes_padded_cells():
    x = np.arange(1.0, 10.0, dtype=np.float32).reshape(1, 3, 3, 1)
    out = np.asarray(layers.AveragePooling2D(padding="same")(x))[0, :, :, 0]
    # Windows at the border hold 2 or 1 real cells; padding does not count as zeros.
    np.testing.assert_allclose(out, [[(1 + 2 + 4 + 5) / 4, (3 + 6) / 2], [(7 + 8) / 2, 9.0]])
    np.testing.assert_array_equal(np.asarray(layers.MaxPooling2D(padding="same")(-x))[0, :, :, 0], [[-1, -3], [-7, -9]])


def test_pooling_defaults_follow_tf_keras2(rng):
    # tf.keras 2 defaults pool_size to 2 (2x2 in 2-D); Keras 3 requires it for AveragePooling.
    x = rng.standard_normal((1, 6, 6, 2)).astype(np.float32)
    assert layers.AveragePooling2D()(x).shape == (1, 3, 3, 2)
    assert layers.MaxPooling2D()(x).shape == (1, 3, 3, 2)
    assert layers.MaxPooling1D()(x[:, 0]).shape == (1, 3, 2)
    assert layers.AveragePooling3D().pool_size == (2, 2, 2)
    assert layers.MaxPooling2D(strides=1).get_config()["strides"] == [1, 1]


@pytest.mark.parametrize(
    ("make", "shape", "expected"),
    [
        (lambda m: m.Conv2D(4, 3, strides=2, padding="same"), (None, 28, 28, 1), (None, 14, 14, 4)),
        (lambda m: m.Conv2D(4, 3), (None, None, None, 3), (None, None, None, 4)),
        (lambda m: m.Conv1D(4, 5, padding="causal"), (None, None, 2), (None, None, 4)),
        (lambda m: m.MaxPooling2D(3, strides=2), (None, 13, 13, 2), (None, 6, 6, 2)),
        (lambda m: m.AveragePooling1D(2, padding="same"), (None, 7, 2), (None, 4, 2)),
        (lambda m: m.GlobalAveragePooling2D(), (None, None, None, 5), (None, 5)),
        (lambda m: m.GlobalMaxPooling1D(keepdims=True), (None, 6, 5), (None, 1, 5)),
    ],
)
def test_symbolic_shapes(make, shape, expected):
    assert make(layers)(layers.Input(batch_shape=shape)).shape == expected


def test_symbolic_shapes_match_keras3():
    for make, shape in [
        (lambda m: m.Conv2D(4, 3, strides=2, padding="same"), (None, 28, 28, 1)),
        (lambda m: m.MaxPooling2D(3, strides=2), (None, 13, 13, 2)),
    ]:
        theirs = make(keras.layers)(keras.Input(batch_shape=shape)).shape
        assert make(layers)(layers.Input(batch_shape=shape)).shape == tuple(theirs)


# ---------------------------------------------------------------------------- configs
ROUND_TRIP = [
    lambda: layers.Conv2D(
        8,
        (3, 2),
        strides=(2, 1),
        padding="same",
        activation="relu",
        kernel_initializer=initializers.HeNormal(seed=1),
        kernel_regularizer=regularizers.L2(1e-4),
        bias_constraint="non_neg",
        input_shape=(28, 28, 1),
    ),
    lambda: layers.Conv1D(4, 5, padding="causal", dilation_rate=2, use_bias=False, name="c1"),
    lambda: layers.Conv3D(2, 3, groups=2),
    lambda: layers.MaxPooling2D(3, strides=2, padding="same"),
    lambda: layers.AveragePooling1D(),
    lambda: layers.GlobalAveragePooling2D(keepdims=True),
    lambda: layers.GlobalMaxPooling3D(),
]


@pytest.mark.parametrize("make", ROUND_TRIP)
def test_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
    assert layers.deserialize(layers.serialize(layer)).get_config() == config


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="c"),
        lambda m: m.Conv1D(4, 5, dilation_rate=2, groups=2, name="c"),
        lambda m: m.MaxPooling2D(name="p"),
        lambda m: m.AveragePooling2D(pool_size=(2, 2), strides=1, name="p"),
        lambda m: m.GlobalAveragePooling2D(name="g"),
    ],
)
def test_configs_match_keras3(make):
    ours, theirs = make(layers).get_config(), make(keras.layers).get_config()
    theirs["dtype"] = theirs["dtype"]["config"]["name"]
    # Keras 3's conv configs drop tf.keras 2's activity_regularizer (jeras keeps it).
    assert set(ours) - set(theirs) <= {"activity_regularizer"} and set(theirs) <= set(ours)
    for key, value in theirs.items():
        if isinstance(value, dict):
            assert ours[key]["class_name"] == value["class_name"], key
        else:
            assert ours[key] == (list(value) if isinstance(value, tuple) else value), key


def test_keras_namespace_aliases():
    assert jk.layers.MaxPool2D is layers.MaxPooling2D and jk.layers.Convolution2D is layers.Conv2D
    assert jk.layers.AvgPool1D is layers.AveragePooling1D and jk.layers.GlobalAvgPool2D is layers.GlobalAveragePooling2D
    clone = layers.deserialize({"class_name": "MaxPool2D", "config": {"pool_size": [3, 3]}})
    assert isinstance(clone, layers.MaxPooling2D) and clone.pool_size == (3, 3)


# ---------------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"filters": 0, "kernel_size": 3}, "Received: filters=0"),
        ({"filters": 2.5, "kernel_size": 3}, "Received: filters=2.5"),
        ({"filters": 4, "kernel_size": 0}, "Received: kernel_size=0"),
        ({"filters": 4, "kernel_size": (3, 3, 3)}, r"tuple of 2 positive integers. Received: kernel_size=\(3, 3, 3\)"),
        ({"filters": 4, "kernel_size": 3, "strides": -1}, "Received: strides=-1"),
        ({"filters": 4, "kernel_size": 3, "padding": "full"}, "Received: padding='full'"),
        ({"filters": 4, "kernel_size": 3, "padding": "causal"}, "Received: padding='causal'"),
        ({"filters": 4, "kernel_size": 3, "data_format": "channels_first"}, "Received: data_format='channels_first'"),
        ({"filters": 4, "kernel_size": 3, "groups": 3}, "Received: filters=4, groups=3"),
        (
            {"filters": 4, "kernel_size": 3, "strides": 2, "dilation_rate": 2},
            r"Received: strides=\(2, 2\), dilation_rate",
        ),
        ({"filters": 4, "kernel_size": 3, "activation": "nope"}, "Received: activation='nope'"),
    ],
)
def test_conv2d_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.Conv2D(**kwargs)


def test_conv_rejects_bad_inputs():
    with pytest.raises(ValueError, match=r"rank 4, \(batch, H, W, channels\). Received: input_shape=\(2, 5, 3\)"):
        layers.Conv2D(2, 3)(np.ones((2, 5, 3), np.float32))
    with pytest.raises(ValueError, match=r"divisible by groups=2. Received: input_shape=\(None, 5, 5, 3\)"):
        layers.Conv2D(2, 3, groups=2)(layers.Input(shape=(5, 5, 3)))
    with pytest.raises(ValueError, match=r"channel axis to be known. Received: input_shape=\(None, 5, 5, None\)"):
        layers.Conv2D(2, 3)(layers.Input(shape=(5, 5, None)))
    with pytest.raises(ValueError, match=r"empty output.*Received: input_shape=\(None, 2, 5, 1\)"):
        layers.Conv2D(2, 3)(layers.Input(shape=(2, 5, 1)))
    layer = layers.Conv2D(2, 3)
    layer(np.ones((1, 5, 5, 3), np.float32))
    with pytest.raises(ValueError, match=r"3 channels. Received: inputs with shape \(1, 5, 5, 4\)"):
        layer(np.ones((1, 5, 5, 4), np.float32))


def test_pooling_rejects_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match=r"Received: pool_size=\(2, 0\)"):
        layers.MaxPooling2D((2, 0))
    with pytest.raises(ValueError, match="Received: strides=0"):
        layers.AveragePooling2D(strides=0)
    with pytest.raises(ValueError, match="Received: padding='causal'"):
        layers.MaxPooling1D(padding="causal")
    with pytest.raises(ValueError, match="Received: data_format='channels_first'"):
        layers.GlobalAveragePooling2D(data_format="channels_first")
    with pytest.raises(ValueError, match=r"rank 4.*Received: input_shape=\(2, 6, 3\)"):
        layers.MaxPooling2D()(np.ones((2, 6, 3), np.float32))
    with pytest.raises(ValueError, match=r"empty output.*Received: input_shape=\(None, 1, 6, 3\)"):
        layers.MaxPooling2D()(layers.Input(shape=(1, 6, 3)))
    with pytest.raises(ValueError, match=r"rank 3.*Received: input_shape=\(2, 3\)"):
        layers.GlobalMaxPooling1D()(np.ones((2, 3), np.float32))


# ---------------------------------------------------------------------------- training
def test_small_cnn_trains():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((48, 8, 8, 1)).astype(np.float32)
    y = (x[:, :4].mean((1, 2, 3)) > x[:, 4:].mean((1, 2, 3))).astype(np.int32)
    model = jk.Sequential(
        [
            jk.layers.Conv2D(4, 3, padding="same", activation="relu", input_shape=(8, 8, 1)),
            jk.layers.MaxPooling2D(),
            jk.layers.Conv2D(4, 3, activation="relu"),
            jk.layers.GlobalAveragePooling2D(),
            jk.layers.Dense(2, activation="softmax"),
        ]
    )
    assert model.output_shape == (None, 2)
    model.compile(optimizer=jk.optimizers.Adam(learning_rate=0.02), loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=6, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


# ---------------------------------------------------------------------------- jit and gradients
def _apply(layer, params, x):
    with StatelessScope(zip(layer.trainable_weights, params)):
        return layer(x)


@pytest.mark.parametrize(
    ("make", "shape"),
    [
        (lambda: layers.Conv2D(2, 2, strides=2, padding="same", activation="tanh", dtype="float64"), (2, 5, 5, 3)),
        (lambda: layers.Conv1D(2, 3, padding="causal", dilation_rate=2, dtype="float64"), (2, 7, 2)),
    ],
)
def test_conv_grads_under_jit(make, shape, rng):
    with jax.enable_x64(True):
        layer = make()
        x = jnp.asarray(rng.standard_normal(shape))
        layer.build(x.shape)
        params = [jnp.asarray(rng.standard_normal(w.shape)) for w in layer.trainable_weights]
        f = jax.jit(functools.partial(_apply, layer))
        out = f(params, x)
        target = jnp.asarray(rng.standard_normal(out.shape))
        check_grads(lambda p, v: jnp.sum((f(p, v) - target) ** 2), (params, x), order=1, modes=["rev"], eps=1e-6)


@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.MaxPooling2D(padding="same", dtype="float64"),
        lambda: layers.AveragePooling2D(3, strides=2, padding="same", dtype="float64"),
        lambda: layers.GlobalAveragePooling2D(dtype="float64"),
        lambda: layers.GlobalMaxPooling2D(dtype="float64"),
    ],
)
def test_pooling_grads_under_jit(make, rng):
    with jax.enable_x64(True):
        layer = make()
        x = jnp.asarray(rng.standard_normal((2, 5, 5, 2)))
        f = jax.jit(lambda v: jnp.sum(jnp.sin(layer(v)) * jnp.cos(layer(v))))
        check_grads(f, (x,), order=1, modes=["rev"], eps=1e-6)


def test_max_pooling_gradient_by_hand():
    x = jnp.asarray(np.array([1.0, 3.0, 2.0, 0.0], np.float32).reshape(1, 2, 2, 1))
    grad = jax.jit(jax.grad(lambda v: jnp.sum(layers.MaxPooling2D()(v))))(x)
    np.testing.assert_array_equal(np.asarray(grad).ravel(), [0.0, 1.0, 0.0, 0.0])


# ------------------------------------------------------------- the ops' own gradients (convolution_ops)
_SPEC = {1: "W", 2: "HW", 3: "DHW"}


@pytest.mark.parametrize(
    "shape, window, strides, dilation, padding, groups",
    [
        ((3, 9, 8, 4), (3, 3), (1, 1), (1, 1), "VALID", 1),
        ((3, 9, 8, 4), (3, 2), (2, 1), (1, 1), "SAME", 1),
        ((2, 10, 11, 6), (3, 3), (2, 2), (1, 1), "SAME", 2),
        ((2, 10, 11, 6), (3, 3), (1, 1), (2, 2), "VALID", 3),
        ((2, 7, 7, 4), (3, 3), (1, 1), (1, 1), "SAME", 4),
        ((2, 12, 4), (5,), (2,), (1,), "SAME", 1),
        ((2, 6, 5, 7, 2), (2, 3, 2), (1, 2, 1), (1, 1, 2), "SAME", 1),
    ],
)
def test_convolve_gradients_equal_jax_own(shape, window, strides, dilation, padding, groups, rng):
    """The kernel gradient as per-offset matrix products equals the one JAX derives from conv_general_dilated."""
    from jeras.layers.convolution_ops import convolve

    rank = len(window)
    x = jnp.asarray(rng.normal(size=shape), jnp.float32)
    kernel = jnp.asarray(rng.normal(size=(*window, shape[-1] // groups, 2 * groups)), jnp.float32)
    spec = (f"N{_SPEC[rank]}C", f"{_SPEC[rank]}IO", f"N{_SPEC[rank]}C")

    def reference(v, k):
        return jax.lax.conv_general_dilated(
            v, k, strides, padding, rhs_dilation=dilation, dimension_numbers=spec, feature_group_count=groups
        )

    ours = jax.grad(lambda v, k: jnp.sum(convolve(v, k, strides, padding, dilation, groups) ** 2), (0, 1))(x, kernel)
    theirs = jax.grad(lambda v, k: jnp.sum(reference(v, k) ** 2), (0, 1))(x, kernel)
    np.testing.assert_allclose(convolve(x, kernel, strides, padding, dilation, groups), reference(x, kernel), atol=1e-5)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4 * float(jnp.abs(b).max()))


@pytest.mark.parametrize("kind", ["max", "average"])
@pytest.mark.parametrize(
    "shape, window, padding",
    [
        ((2, 9, 8, 3), (2, 2), "VALID"),
        ((2, 9, 8, 3), (2, 2), "SAME"),
        ((2, 11, 3), (3,), "SAME"),
        ((1, 5, 6, 7, 2), (2, 2, 3), "VALID"),
        ((1, 5, 6, 7, 2), (2, 2, 3), "SAME"),
    ],
)
def test_tiled_pooling_equals_reduce_window_with_ties(shape, window, padding, kind, rng):
    """Non-overlapping windows are reshaped, not windowed; values and gradients (ties: the first maximum) agree."""
    from jeras.layers.convolution_ops import _reduce_window, pool

    x = jnp.asarray(rng.normal(size=shape), jnp.float32).at[0, 0].set(1.0).at[0, 1].set(1.0)
    ours, theirs = pool(x, window, window, padding, kind), _reduce_window(x, window, window, padding, kind)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)
    weights = jnp.arange(ours.size, dtype=jnp.float32).reshape(ours.shape)
    grad = [
        jax.grad(lambda v, f=f: jnp.sum(f(v, window, window, padding, kind) * weights))(x)
        for f in (pool, _reduce_window)
    ]
    np.testing.assert_allclose(grad[0], grad[1], rtol=1e-6, atol=1e-7)  # sums of differently ordered terms
