"""Embedding: lookups against Keras 3 with the same matrix, integer and float index inputs, the
input_length shortcut, masks, configs, index and argument errors, and gradients under jit."""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

from jeras import initializers, layers, regularizers
from jeras import keras as jk
from jeras.backend import StatelessScope


def _pair(rng, input_dim=10, output_dim=4):
    theirs = keras.layers.Embedding(input_dim, output_dim)
    theirs.build((None, None))
    theirs.set_weights([rng.standard_normal((input_dim, output_dim)).astype(np.float32)])
    ours = layers.Embedding(input_dim, output_dim)
    ours.build((None, None))
    ours.set_weights(theirs.get_weights())
    return theirs, ours


@pytest.mark.parametrize("shape", [(5,), (3, 7), (2, 3, 4)])
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32])
def test_lookup_matches_keras3(shape, dtype, rng):
    theirs, ours = _pair(rng)
    idx = rng.integers(0, 10, shape).astype(dtype)
    out = ours(idx)
    assert out.shape == shape + (4,) and out.dtype == jnp.float32
    np.testing.assert_array_equal(out, theirs(idx))
    np.testing.assert_array_equal(out, ours.embeddings.numpy()[idx.astype(np.int64)])


def test_weights_and_default_initializer():
    layer = layers.Embedding(1000, 8, name="emb")
    layer.build((None, 5))
    assert [w.path for w in layer.weights] == ["emb/embeddings"] and layer.embeddings.shape == (1000, 8)
    values = layer.embeddings.numpy()
    assert values.min() >= -0.05 and values.max() <= 0.05 and values.std() > 0.02  # "uniform": U(-0.05, 0.05)
    assert layer.count_params() == 8000


def test_input_length_sets_the_input_shape_as_tf_keras2():
    model = jk.Sequential([jk.layers.Embedding(50, 3, input_length=6), jk.layers.Flatten(), jk.layers.Dense(1)])
    assert model.input_shape == (None, 6) and model.output_shape == (None, 1)
    assert layers.Embedding(5, 2, input_length=4).get_config()["batch_input_shape"] == [None, 4]


def test_embedding_fit_matches_keras3(rng):
    # The jeras model's default float32 input carries the indices: the layer truncates them back.
    x = rng.integers(1, 12, (40, 6))
    y = rng.standard_normal((40, 1)).astype(np.float32)
    k_model = keras.Sequential(
        [keras.Input((6,), dtype="int32"), keras.layers.Embedding(12, 3), keras.layers.Flatten(), keras.layers.Dense(1)]
    )
    j_model = jk.Sequential(
        [jk.layers.InputLayer(input_shape=(6,)), jk.layers.Embedding(12, 3), jk.layers.Flatten(), jk.layers.Dense(1)]
    )
    j_model.set_weights(k_model.get_weights())
    for model, lib in ((k_model, keras), (j_model, jk)):
        model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.1), loss="mse")
    kh = k_model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    jh = j_model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_allclose(jh.history["loss"], kh.history["loss"], rtol=1e-5)
    for got, expected in zip(j_model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_mask_zero():
    idx = np.array([[3, 1, 0, 0]])
    np.testing.assert_array_equal(
        layers.Embedding(5, 2, mask_zero=True).compute_mask(idx), [[True, True, False, False]]
    )
    assert layers.Embedding(5, 2).compute_mask(idx) is None


def test_symbolic_call():
    tokens = layers.Input(shape=(None,), dtype="int32")
    out = layers.Embedding(100, 16)(tokens)
    assert out.shape == (None, None, 16) and out.dtype == "float32"


# ---------------------------------------------------------------------------- configs
@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.Embedding(
            100,
            8,
            embeddings_initializer=initializers.RandomNormal(seed=3),
            embeddings_regularizer=regularizers.L2(1e-3),
            activity_regularizer="l1",
            embeddings_constraint="unit_norm",
            mask_zero=True,
            input_length=12,
            name="words",
        ),
        lambda: layers.Embedding(5, 2, input_length=[3, 4]),
        lambda: layers.Embedding(7, 3, trainable=False),
    ],
)
def test_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
    assert layers.deserialize(layers.serialize(layer)).get_config() == config


def test_config_follows_tf_keras2():
    ours = layers.Embedding(10, 3, mask_zero=True, name="e").get_config()
    theirs = keras.layers.Embedding(10, 3, mask_zero=True, name="e").get_config()
    # tf.keras 2 has input_length; Keras 3 dropped it and added quantization_config.
    assert set(ours) - set(theirs) == {"input_length"} and set(theirs) - set(ours) == {"quantization_config"}
    for key in ("name", "trainable", "input_dim", "output_dim", "mask_zero", "embeddings_regularizer"):
        assert ours[key] == theirs[key], key
    assert ours["embeddings_initializer"]["class_name"] == theirs["embeddings_initializer"]["class_name"]
    assert ours["embeddings_initializer"]["config"]["maxval"] == pytest.approx(0.05)


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"input_dim": 0, "output_dim": 2}, "Received: input_dim=0"),
        ({"input_dim": 3.5, "output_dim": 2}, "Received: input_dim=3.5"),
        ({"input_dim": 3, "output_dim": -1}, "Received: output_dim=-1"),
        ({"input_dim": 3, "output_dim": None}, "Received: output_dim=None"),
        ({"input_dim": 3, "output_dim": 2, "input_length": 0}, "Received: input_length=0"),
        ({"input_dim": 3, "output_dim": 2, "embeddings_initializer": "nope"}, "Received: initializer='nope'"),
    ],
)
def test_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.Embedding(**kwargs)


@pytest.mark.parametrize(("idx", "bad"), [([[0, 5]], 5), ([[-1, 2]], -1), ([[4.0, 9.0]], 9)])
def test_rejects_out_of_range_indices(idx, bad):
    with pytest.raises(ValueError, match=rf"\[0, 5\).*Received: an index of {bad}"):
        layers.Embedding(5, 2)(np.array(idx))


def test_out_of_range_indices_give_nan_under_jit():
    layer = layers.Embedding(5, 2)
    layer.build((None, 3))
    out = np.asarray(jax.jit(layer)(jnp.array([[1, 5, -1]])))
    assert np.isfinite(out[0, 0]).all() and np.isnan(out[0, 1:]).all()


# ---------------------------------------------------------------------------- jit and gradients
def _lookup(layer, table, idx):
    with StatelessScope([(layer.embeddings, table)]):
        return layer(idx)


def test_gradient_counts_lookups_under_jit(rng):
    layer = layers.Embedding(6, 3)
    layer.build((None, 4))
    idx = jnp.array([[1, 1, 4, 0], [4, 1, 2, 2]])

    grad = jax.jit(jax.grad(lambda t: jnp.sum(_lookup(layer, t, idx))))(layer.embeddings.value)
    counts = np.bincount(np.asarray(idx).ravel(), minlength=6)
    np.testing.assert_array_equal(grad, np.repeat(counts[:, None], 3, axis=1))
    weights = jnp.asarray(rng.standard_normal((2, 4, 3)).astype(np.float32))
    weighted = jax.jit(jax.grad(lambda t: jnp.sum(_lookup(layer, t, idx) * weights)))(layer.embeddings.value)
    expected = np.zeros((6, 3), np.float32)
    np.add.at(expected, np.asarray(idx), np.asarray(weights))
    np.testing.assert_allclose(weighted, expected, rtol=1e-6)
