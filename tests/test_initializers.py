"""Initializers: shapes, dtypes, statistics, seeding, configs and argument errors."""

import json
import math

import jax.numpy as jnp
import keras
import numpy as np
import pytest

import jeras.backend
from jeras import initializers

RANDOM = [
    initializers.RandomNormal,
    initializers.RandomUniform,
    initializers.TruncatedNormal,
    initializers.VarianceScaling,
    initializers.GlorotUniform,
    initializers.GlorotNormal,
    initializers.HeUniform,
    initializers.HeNormal,
    initializers.LecunUniform,
    initializers.LecunNormal,
    initializers.Orthogonal,
]
ALL = [initializers.Zeros, initializers.Ones, initializers.Constant, initializers.Identity, *RANDOM]

TRUNCATION_STDDEV = 0.87962566103423978


@pytest.fixture
def floatx():
    previous = jeras.backend.floatx()
    yield jeras.backend.set_floatx
    jeras.backend.set_floatx(previous)


def draw(init, shape):
    return np.asarray(init(shape), dtype=np.float64)


@pytest.mark.parametrize("cls", ALL)
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_shape_and_dtype(cls, dtype):
    values = cls()((6, 4), dtype=dtype)
    assert values.shape == (6, 4)
    assert values.dtype == jnp.dtype(dtype)
    assert bool(jnp.all(jnp.isfinite(values)))


@pytest.mark.parametrize("cls", ALL)
def test_default_dtype_follows_floatx(cls, floatx):
    assert cls()((3, 3)).dtype == jnp.float32
    floatx("float16")
    assert cls()((3, 3)).dtype == jnp.float16


@pytest.mark.parametrize("cls", RANDOM)
def test_random_initializers_need_a_float_dtype(cls):
    with pytest.raises(ValueError, match=r"Received: dtype=int32"):
        cls()((3, 3), dtype="int32")


def test_constant_initializers_take_integer_dtypes():
    assert initializers.Zeros()((2,), dtype="int32").dtype == jnp.int32
    np.testing.assert_array_equal(initializers.Ones()((2, 2), dtype="int32"), np.ones((2, 2)))
    np.testing.assert_array_equal(initializers.Identity(gain=3)((2, 3), dtype="int32"), 3 * np.eye(2, 3))


def test_constant_broadcasts_scalars_and_arrays():
    np.testing.assert_array_equal(initializers.Constant(2.5)((2, 3)), np.full((2, 3), 2.5))
    np.testing.assert_array_equal(initializers.Constant([1.0, 2.0, 3.0])((2, 3)), [[1, 2, 3], [1, 2, 3]])
    assert initializers.Constant(np.array([1.0, 2.0])).get_config() == {"value": [1.0, 2.0]}
    with pytest.raises(ValueError, match=r"Received: shape=\(2, 4\)"):
        initializers.Constant([1.0, 2.0, 3.0])((2, 4))
    with pytest.raises(TypeError, match=r"Received: value='a'"):
        initializers.Constant("a")


# (initializer, shape, fan_in, fan_out)
DENSE = (784, 300)
CONV = (3, 3, 64, 128)


@pytest.mark.parametrize("shape", [DENSE, CONV])
@pytest.mark.parametrize(
    ("cls", "scale", "mode"),
    [
        (initializers.GlorotUniform, 1.0, "fan_avg"),
        (initializers.HeUniform, 2.0, "fan_in"),
        (initializers.LecunUniform, 1.0, "fan_in"),
    ],
)
def test_uniform_variance_scaling_limits(cls, scale, mode, shape):
    fan_in = shape[-2] * math.prod(shape[:-2])
    fan_out = shape[-1] * math.prod(shape[:-2])
    fan = {"fan_in": fan_in, "fan_avg": (fan_in + fan_out) / 2}[mode]
    limit = math.sqrt(3 * scale / fan)
    values = draw(cls(), shape)
    assert np.abs(values).max() <= np.float32(limit)  # the draws are float32: the limit rounded to float32 may be hit
    assert np.abs(values).max() > 0.99 * limit
    np.testing.assert_allclose(values.std(), limit / math.sqrt(3), rtol=0.02)
    assert abs(values.mean()) < 0.02 * limit


def test_glorot_uniform_limit_is_sqrt_6_over_fan_sum():
    limit = math.sqrt(6 / (784 + 300))
    values = draw(initializers.get("glorot_uniform"), DENSE)
    assert limit * 0.99 < np.abs(values).max() <= limit


@pytest.mark.parametrize("shape", [DENSE, CONV])
@pytest.mark.parametrize(
    ("cls", "scale", "mode"),
    [
        (initializers.GlorotNormal, 1.0, "fan_avg"),
        (initializers.HeNormal, 2.0, "fan_in"),
        (initializers.LecunNormal, 1.0, "fan_in"),
    ],
)
def test_truncated_variance_scaling_statistics(cls, scale, mode, shape):
    fan_in = shape[-2] * math.prod(shape[:-2])
    fan_out = shape[-1] * math.prod(shape[:-2])
    fan = {"fan_in": fan_in, "fan_avg": (fan_in + fan_out) / 2}[mode]
    target = math.sqrt(scale / fan)
    values = draw(cls(), shape)
    # The draw is rescaled so that its standard deviation, after truncation, is the target.
    np.testing.assert_allclose(values.std(), target, rtol=0.02)
    assert np.abs(values).max() <= 2 * target / TRUNCATION_STDDEV * (1 + 1e-6)
    assert abs(values.mean()) < 0.02 * target


def test_variance_scaling_untruncated_normal_and_fan_out():
    values = draw(initializers.VarianceScaling(scale=3.0, mode="fan_out", distribution="untruncated_normal"), DENSE)
    target = math.sqrt(3.0 / 300)
    np.testing.assert_allclose(values.std(), target, rtol=0.02)
    assert np.abs(values).max() > 3 * target


def test_variance_scaling_normal_means_truncated_normal():
    init = initializers.VarianceScaling(distribution="Normal")
    assert init.distribution == "truncated_normal"
    values = draw(init, DENSE)
    np.testing.assert_allclose(values.std(), math.sqrt(1 / 784), rtol=0.02)


@pytest.mark.parametrize(("shape", "fan"), [((4000,), 4000), ((), 1)])
def test_variance_scaling_fans_of_vectors_and_scalars(shape, fan):
    init = initializers.VarianceScaling(scale=2.0, mode="fan_avg", distribution="uniform", seed=0)
    values = draw(init, shape)
    assert values.shape == shape
    limit = math.sqrt(6.0 / fan)
    assert np.abs(values).max() <= limit
    if shape:
        assert np.abs(values).max() > 0.99 * limit


def test_random_normal_statistics():
    values = draw(initializers.RandomNormal(mean=1.5, stddev=0.3), DENSE)
    np.testing.assert_allclose(values.mean(), 1.5, atol=0.003)
    np.testing.assert_allclose(values.std(), 0.3, rtol=0.01)
    assert np.abs(values - 1.5).max() > 3 * 0.3


def test_random_uniform_statistics():
    values = draw(initializers.RandomUniform(minval=-1.0, maxval=3.0), DENSE)
    assert values.min() >= -1.0 and values.max() < 3.0
    assert values.min() < -0.99 and values.max() > 2.99
    np.testing.assert_allclose(values.mean(), 1.0, atol=0.01)
    np.testing.assert_allclose(values.std(), 4 / math.sqrt(12), rtol=0.01)


def test_truncated_normal_stays_within_two_stddev():
    values = draw(initializers.TruncatedNormal(mean=-0.5, stddev=0.2), DENSE)
    assert np.abs(values + 0.5).max() <= 0.4 * (1 + 1e-6)
    assert np.abs(values + 0.5).max() > 0.39
    np.testing.assert_allclose(values.mean(), -0.5, atol=0.002)
    np.testing.assert_allclose(values.std(), 0.2 * TRUNCATION_STDDEV, rtol=0.01)


@pytest.mark.parametrize("gain", [1.0, 2.5])
@pytest.mark.parametrize("shape", [(50, 20), (20, 50), (30, 30), (3, 3, 4, 16)])
def test_orthogonal(shape, gain):
    values = draw(initializers.Orthogonal(gain=gain), shape)
    assert values.shape == shape
    matrix = values.reshape(-1, shape[-1])
    gram = matrix.T @ matrix if matrix.shape[0] >= matrix.shape[1] else matrix @ matrix.T
    np.testing.assert_allclose(gram, gain**2 * np.eye(len(gram)), atol=1e-5 * gain**2)


def test_orthogonal_and_identity_reject_wrong_ranks():
    with pytest.raises(ValueError, match=r"Received: shape=\(5,\)"):
        initializers.Orthogonal()((5,))
    with pytest.raises(ValueError, match=r"Received: shape=\(2, 2, 2\)"):
        initializers.Identity()((2, 2, 2))


def test_identity_values():
    np.testing.assert_array_equal(initializers.Identity(gain=0.5)((3, 2)), 0.5 * np.eye(3, 2))


@pytest.mark.parametrize("cls", RANDOM)
def test_seeded_initializers_repeat(cls):
    init = cls(seed=7)
    first = init((20, 10))
    np.testing.assert_array_equal(first, init((20, 10)))
    np.testing.assert_array_equal(first, cls(seed=7)((20, 10)))
    assert not np.array_equal(first, cls(seed=8)((20, 10)))


@pytest.mark.parametrize("cls", RANDOM)
def test_unseeded_draws_follow_the_global_seed(cls):
    def run(seed):
        jeras.backend.set_random_seed(seed)
        init = cls()
        return np.asarray(init((20, 10))), np.asarray(init((20, 10)))

    first, second = run(11)
    assert not np.array_equal(first, second)
    again_first, again_second = run(11)
    np.testing.assert_array_equal(first, again_first)
    np.testing.assert_array_equal(second, again_second)
    other, _ = run(12)
    assert not np.array_equal(first, other)


CONFIGURED = [
    initializers.Zeros(),
    initializers.Ones(),
    initializers.Constant(value=0.25),
    initializers.Identity(gain=2.0),
    initializers.RandomNormal(mean=0.1, stddev=0.2, seed=1),
    initializers.RandomUniform(minval=-0.3, maxval=0.4, seed=2),
    initializers.TruncatedNormal(mean=-0.1, stddev=0.3, seed=3),
    initializers.VarianceScaling(scale=2.0, mode="fan_out", distribution="uniform", seed=4),
    initializers.GlorotUniform(seed=5),
    initializers.GlorotNormal(seed=6),
    initializers.HeUniform(seed=7),
    initializers.HeNormal(seed=8),
    initializers.LecunUniform(seed=9),
    initializers.LecunNormal(seed=10),
    initializers.Orthogonal(gain=0.5, seed=11),
]


@pytest.mark.parametrize("init", CONFIGURED, ids=lambda i: type(i).__name__)
def test_config_round_trip(init):
    config = init.get_config()
    rebuilt = type(init).from_config(config)
    assert type(rebuilt) is type(init) and rebuilt.get_config() == config
    np.testing.assert_array_equal(rebuilt((6, 6)), init((6, 6)))
    serialized = json.loads(json.dumps(initializers.serialize(init)))
    assert serialized == {"class_name": type(init).__name__, "config": config}
    restored = initializers.deserialize(serialized)
    assert type(restored) is type(init) and restored.get_config() == config


@pytest.mark.parametrize(
    "init", [i for i in CONFIGURED if type(i) is not initializers.Identity], ids=lambda i: type(i).__name__
)
def test_config_matches_keras3(init):
    # Keras 3 adds keys of its own (VarianceScaling's input_axes); every key we write must agree.
    # Identity is left out: Keras 3 drops `gain` from its config, tf.keras 2 (and jeras) keep it.
    reference = getattr(keras.initializers, type(init).__name__)(**init.get_config()).get_config()
    assert {key: reference[key] for key in init.get_config()} == init.get_config()


def test_names_resolve_in_keras3_to_the_same_class():
    for name, cls in initializers._REGISTRY.items():
        # Keras 3's Constant cannot be built without a value, so every name goes in a config dict.
        config = {"value": 0.0} if cls is initializers.Constant else {}
        reference = keras.initializers.get({"class_name": name, "config": config})
        assert type(reference).__name__ == cls.__name__, name


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("zeros", initializers.Zeros),
        ("ones", initializers.Ones),
        ("constant", initializers.Constant),
        ("random_normal", initializers.RandomNormal),
        ("random_uniform", initializers.RandomUniform),
        ("truncated_normal", initializers.TruncatedNormal),
        ("variance_scaling", initializers.VarianceScaling),
        ("glorot_uniform", initializers.GlorotUniform),
        ("glorot_normal", initializers.GlorotNormal),
        ("he_uniform", initializers.HeUniform),
        ("he_normal", initializers.HeNormal),
        ("lecun_uniform", initializers.LecunUniform),
        ("lecun_normal", initializers.LecunNormal),
        ("orthogonal", initializers.Orthogonal),
        ("identity", initializers.Identity),
        ("GlorotUniform", initializers.GlorotUniform),
        ("uniform", initializers.RandomUniform),
        ("normal", initializers.RandomNormal),
    ],
)
def test_get_resolves_names(name, cls):
    assert type(initializers.get(name)) is cls
    if name.islower() and hasattr(initializers, name):
        assert getattr(initializers, name) is cls


def test_get_other_identifiers():
    assert initializers.get(None) is None
    assert type(initializers.get(initializers.HeNormal)) is initializers.HeNormal
    instance = initializers.Orthogonal(seed=1)
    assert initializers.get(instance) is instance

    def custom(shape, dtype=None):
        return jnp.full(shape, 3.0, dtype=dtype)

    assert initializers.get(custom) is custom
    assert initializers.deserialize("custom", custom_objects={"custom": custom}) is custom
    rebuilt = initializers.get({"class_name": "RandomUniform", "config": {"minval": 0.0, "maxval": 1.0}})
    assert rebuilt.get_config() == {"minval": 0.0, "maxval": 1.0, "seed": None}


def test_get_rejects_unknown_identifiers():
    with pytest.raises(ValueError, match=r"Received: initializer='glorot_uniformm'"):
        initializers.get("glorot_uniformm")
    with pytest.raises(ValueError, match=r"Received: initializer='Nope'"):
        initializers.get({"class_name": "Nope", "config": {}})
    with pytest.raises(TypeError, match=r"Received: initializer=1.5"):
        initializers.get(1.5)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: initializers.RandomNormal(stddev=-0.1), r"Received: stddev=-0.1"),
        (lambda: initializers.TruncatedNormal(stddev=float("nan")), r"Received: stddev=nan"),
        (lambda: initializers.RandomNormal(mean="0"), r"Received: mean='0'"),
        (lambda: initializers.RandomUniform(minval=1.0, maxval=0.0), r"Received: minval=1.0, maxval=0.0"),
        (lambda: initializers.VarianceScaling(scale=0.0), r"Received: scale=0.0"),
        (lambda: initializers.VarianceScaling(mode="fan_sum"), r"Received: mode='fan_sum'"),
        (lambda: initializers.VarianceScaling(distribution="gaussian"), r"Received: distribution='gaussian'"),
        (lambda: initializers.GlorotUniform(seed="1"), r"Received: seed='1'"),
        (lambda: initializers.HeNormal(seed=True), r"Received: seed=True"),
        (lambda: initializers.Orthogonal(gain=float("inf")), r"Received: gain=inf"),
    ],
)
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_shapes():
    with pytest.raises(ValueError, match=r"Received: shape=\(3, -1\)"):
        initializers.GlorotUniform()((3, -1))
    with pytest.raises(TypeError, match=r"Received: shape=3"):
        initializers.Zeros()(3)
