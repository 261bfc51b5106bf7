"""Dropout, AlphaDropout, GaussianNoise and GaussianDropout: identity at inference, the noise
statistics and scaling in training, keys from the training step, seeded reproducibility,
configs against Keras 3, argument errors, and gradients under jit."""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

from jeras import keras as jk
from jeras import layers
from jeras.backend import StatelessScope, key_from_seed

NOISE_LAYERS = [
    lambda **kw: layers.Dropout(0.3, **kw),
    lambda **kw: layers.AlphaDropout(0.2, **kw),
    lambda **kw: layers.GaussianNoise(0.5, **kw),
    lambda **kw: layers.GaussianDropout(0.4, **kw),
]


@pytest.mark.parametrize("make", NOISE_LAYERS)
def test_identity_at_inference_noisy_in_training_and_seeded(make, rng):
    layer, twin = make(seed=7), make(seed=7)
    x = rng.standard_normal((8, 16)).astype(np.float32)
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer(x, training=False), x)
    first, second = layer(x, training=True), layer(x, training=True)
    assert first.shape == x.shape and first.dtype == jnp.float32
    assert not np.allclose(first, x)
    assert not np.allclose(first, second)  # successive calls draw new noise...
    np.testing.assert_array_equal(first, twin(x, training=True))  # ...in the sequence the seed fixes
    np.testing.assert_array_equal(second, twin(x, training=True))
    assert not np.allclose(first, make(seed=8)(x, training=True))
    assert layer.compute_output_shape((8, 16)) == (8, 16)
    assert layer.weights == []


@pytest.mark.parametrize("make", NOISE_LAYERS)
def test_noise_comes_from_the_step_key_inside_a_training_step(make, rng):
    layer = make(seed=3)
    x = rng.standard_normal((8, 16)).astype(np.float32)

    @jax.jit
    def step(key):
        with StatelessScope(rng=key):
            return layer(x, training=True)

    a, b = step(key_from_seed(1)), step(key_from_seed(2))
    np.testing.assert_array_equal(a, step(key_from_seed(1)))
    assert not np.allclose(a, b)


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_dropout_zeroes_a_fraction_rate_and_keeps_the_mean(rate):
    layer = layers.Dropout(rate, seed=0)
    x = np.ones((200, 500), np.float32)
    out = np.asarray(layer(x, training=True))
    zeroed = np.mean(out == 0)
    assert abs(zeroed - rate) < 0.01
    kept = out[out != 0]
    np.testing.assert_allclose(kept, 1.0 / (1.0 - rate), rtol=1e-6)
    assert abs(out.mean() - 1.0) < 0.03


def test_dropout_noise_shape_broadcasts_the_mask(rng):
    x = np.ones((4, 10, 6), np.float32)
    out = np.asarray(layers.Dropout(0.5, noise_shape=(None, 1, 6), seed=0)(x, training=True))
    # The same features are dropped at every timestep of an example.
    np.testing.assert_array_equal(out, np.broadcast_to(out[:, :1, :], out.shape))
    assert 0 < np.mean(out == 0) < 1


def test_dropout_edge_rates():
    x = np.arange(1.0, 7.0, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(layers.Dropout(0.0)(x, training=True), x)
    np.testing.assert_array_equal(layers.Dropout(1.0)(x, training=True), np.zeros_like(x))
    np.testing.assert_array_equal(layers.GaussianDropout(1.0)(x, training=True), x)  # as tf.keras 2
    np.testing.assert_array_equal(layers.GaussianNoise(0.0)(x, training=True), x)


def test_alpha_dropout_keeps_zero_mean_and_unit_variance():
    x = np.asarray(jax.random.normal(key_from_seed(0), (400, 500)))
    out = np.asarray(layers.AlphaDropout(0.2, seed=0)(x, training=True))
    assert abs(out.mean()) < 0.02 and abs(out.std() - 1.0) < 0.02
    # Dropped units all take one value: the affine image of SELU's saturation value.
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    saturation = -alpha * scale
    a = ((1 - 0.2) * (1 + 0.2 * saturation**2)) ** -0.5
    dropped = a * saturation - a * saturation * 0.2
    assert abs(np.mean(np.isclose(out, dropped, atol=1e-6)) - 0.2) < 0.01


def test_gaussian_noise_and_dropout_statistics():
    x = np.full((400, 500), 2.0, np.float32)
    noise = np.asarray(layers.GaussianNoise(0.5, seed=0)(x, training=True)) - 2.0
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.5) < 0.01
    factor = np.asarray(layers.GaussianDropout(0.2, seed=0)(x, training=True)) / 2.0
    assert abs(factor.mean() - 1.0) < 0.01 and abs(factor.std() - np.sqrt(0.2 / 0.8)) < 0.01


def test_integer_inputs_become_floats_in_training():
    out = layers.GaussianNoise(0.1, seed=0)(np.ones((2, 3), np.int32), training=True)
    assert out.dtype == jnp.float32


def test_dropout_in_fit_trains_and_predicts_deterministically(rng):
    x = rng.normal(size=(64, 5)).astype(np.float32)
    y = (x.sum(1) > 0).astype(np.int32)
    model = jk.Sequential(
        [
            jk.layers.Dense(16, activation="relu", input_shape=[5]),
            jk.layers.Dropout(0.5),
            jk.layers.GaussianNoise(0.1),
            jk.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer=jk.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    predicted = model.predict(x, verbose=0)
    np.testing.assert_array_equal(predicted, model.predict(x, verbose=0))
    np.testing.assert_allclose(predicted, model(x), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------- configs
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda: layers.Dropout(0.25, noise_shape=(None, 1, 4), seed=3, name="d"), None),
        (lambda: layers.Dropout(0.5), lambda: keras.layers.Dropout(0.5)),
        (lambda: layers.AlphaDropout(0.1, seed=2), lambda: keras.layers.AlphaDropout(0.1, seed=2)),
        (lambda: layers.GaussianNoise(0.3, name="g"), lambda: keras.layers.GaussianNoise(0.3, name="g")),
        (lambda: layers.GaussianDropout(0.2, seed=5), lambda: keras.layers.GaussianDropout(0.2, seed=5)),
    ],
)
def test_configs_round_trip_and_match_keras3(ours, theirs):
    layer = ours()
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
    assert layers.deserialize(layers.serialize(layer)).get_config() == config
    if theirs is not None:
        expected = theirs().get_config()
        expected["dtype"] = expected["dtype"]["config"]["name"]
        expected["name"] = config["name"]
        assert config == expected


# ---------------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize("rate", [-0.1, 1.5, "a", None, True, float("nan")])
@pytest.mark.parametrize("cls", [layers.Dropout, layers.AlphaDropout, layers.GaussianDropout])
def test_rejects_bad_rate(cls, rate):
    with pytest.raises(ValueError, match=f"Received: rate={rate!r}"):
        cls(rate)


@pytest.mark.parametrize("stddev", [-1.0, "a", float("inf")])
def test_gaussian_noise_rejects_bad_stddev(stddev):
    with pytest.raises(ValueError, match=f"Received: stddev={stddev!r}"):
        layers.GaussianNoise(stddev)


@pytest.mark.parametrize("seed", [-1, 1.5, "a"])
def test_rejects_bad_seed(seed):
    with pytest.raises(ValueError, match=f"Received: seed={seed!r}"):
        layers.Dropout(0.5, seed=seed)


def test_dropout_rejects_bad_noise_shape():
    with pytest.raises(ValueError, match=r"Received: noise_shape=\(0, 2\)"):
        layers.Dropout(0.5, noise_shape=(0, 2))
    with pytest.raises(TypeError, match="Received: noise_shape=3"):
        layers.Dropout(0.5, noise_shape=3)
    with pytest.raises(ValueError, match=r"rank of the inputs, 2. Received: noise_shape=\(1, 2, 3\)"):
        layers.Dropout(0.5, noise_shape=(1, 2, 3))(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"broadcast to the input shape \(2, 3\). Received: noise_shape=\(2, 2\)"):
        layers.Dropout(0.5, noise_shape=(2, 2))(np.ones((2, 3), np.float32))


# ---------------------------------------------------------------------------- jit and gradients
@pytest.mark.parametrize("make", NOISE_LAYERS)
def test_gradient_is_the_noise_under_jit(make, rng):
    # Each layer is affine in its input for a fixed key: out = a * x + b, with d(out)/dx = a.
    layer = make()
    x = jnp.asarray(rng.standard_normal((6, 8)).astype(np.float32))

    def f(v, key):
        with StatelessScope(rng=key):
            return layer(v, training=True)

    g = jax.jit(f)
    key = key_from_seed(4)
    grad = jax.jit(jax.grad(lambda v: jnp.sum(f(v, key))))(x)
    slope = g(jnp.ones_like(x) * 2.0, key) - g(jnp.ones_like(x), key)
    np.testing.assert_allclose(grad, slope, rtol=1e-4, atol=1e-5)
    inference = jax.jit(jax.grad(lambda v: jnp.sum(layer(v) ** 2)))(x)
    np.testing.assert_allclose(inference, 2 * x, rtol=1e-6)
