"""Regularizers and constraints: values by hand and against Keras 3, resolution, configs."""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from jax.test_util import check_grads

from jeras import constraints, regularizers


@pytest.fixture
def w(rng):
    return rng.standard_normal((4, 3)).astype(np.float32)


# ---------------------------------------------------------------------------- regularizers
@pytest.mark.parametrize(
    ("make", "l1", "l2"),
    [
        (lambda: regularizers.L1(), 0.01, 0.0),
        (lambda: regularizers.L1(0.3), 0.3, 0.0),
        (lambda: regularizers.L2(), 0.0, 0.01),
        (lambda: regularizers.L2(l2=0.2), 0.0, 0.2),
        (lambda: regularizers.L1L2(), 0.0, 0.0),
        (lambda: regularizers.L1L2(l1=0.1, l2=0.05), 0.1, 0.05),
        (lambda: regularizers.l1_l2(), 0.01, 0.01),
        (lambda: regularizers.l1_l2(l1=0.0, l2=0.4), 0.0, 0.4),
        (lambda: regularizers.l1(0.5), 0.5, 0.0),
        (lambda: regularizers.l2(0.5), 0.0, 0.5),
    ],
)
def test_regularizer_values_by_hand(make, l1, l2, w):
    expected = l1 * np.abs(w).sum() + l2 * np.square(w).sum()
    got = make()(jnp.asarray(w))
    assert got.shape == () and got.dtype == jnp.float32
    np.testing.assert_allclose(got, expected, rtol=1e-6)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda: regularizers.L1(0.01), lambda: keras.regularizers.L1(0.01)),
        (lambda: regularizers.L2(0.01), lambda: keras.regularizers.L2(0.01)),
        (lambda: regularizers.L2(), lambda: keras.regularizers.L2()),
        (lambda: regularizers.L1L2(0.02, 0.03), lambda: keras.regularizers.L1L2(0.02, 0.03)),
        (lambda: regularizers.L1L2(l2=0.03), lambda: keras.regularizers.L1L2(l2=0.03)),
    ],
)
def test_regularizers_match_keras3(ours, theirs, w):
    ours, theirs = ours(), theirs()
    np.testing.assert_allclose(ours(jnp.asarray(w)), theirs(w), rtol=1e-6)
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    assert set(ours_config) == set(theirs_config)
    for key, value in ours_config.items():
        # Keras 3 stores some defaults rounded to float32 (0.009999999776...).
        assert theirs_config[key] == pytest.approx(value, rel=1e-6), key


def test_regularizer_get():
    assert regularizers.get(None) is None
    assert isinstance(regularizers.get("l1"), regularizers.L1) and regularizers.get("l1").l1 == 0.01
    assert isinstance(regularizers.get("L2"), regularizers.L2) and regularizers.get("L2").l2 == 0.01
    # tf.keras 2 reads the name "l1_l2" as `l1_l2()`, 0.01 each (Keras 3 no longer accepts it).
    both = regularizers.get("l1_l2")
    assert isinstance(both, regularizers.L1L2) and (both.l1, both.l2) == (0.01, 0.01)
    instance = regularizers.L2(0.3)
    assert regularizers.get(instance) is instance
    fn = lambda x: jnp.sum(x)  # noqa: E731
    assert regularizers.get(fn) is fn
    from_dict = regularizers.get({"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.2}})
    assert isinstance(from_dict, regularizers.L1L2) and (from_dict.l1, from_dict.l2) == (0.1, 0.2)


def test_regularizer_get_errors():
    with pytest.raises(ValueError, match="Received: regularizer='l3'"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="Received: regularizer='Nope'"):
        regularizers.get({"class_name": "Nope", "config": {}})
    with pytest.raises(TypeError, match="Received: regularizer=3"):
        regularizers.get(3)


@pytest.mark.parametrize(
    ("make", "argument"),
    [
        (lambda: regularizers.L2(-0.1), "l2=-0.1"),
        (lambda: regularizers.L1("a"), "l1='a'"),
        (lambda: regularizers.L1L2(l1=float("nan")), "l1=nan"),
        (lambda: regularizers.L1L2(l2=True), "l2=True"),
    ],
)
def test_regularizer_bad_factors(make, argument):
    with pytest.raises(ValueError, match=f"Received: {argument}"):
        make()


@pytest.mark.parametrize(
    "reg", [regularizers.L1(0.3), regularizers.L2(0.2), regularizers.L1L2(0.1, 0.4), regularizers.l1_l2()]
)
def test_regularizer_serialize_round_trip(reg, w):
    config = regularizers.serialize(reg)
    assert config == {"class_name": type(reg).__name__, "config": reg.get_config()}
    clone = regularizers.deserialize(config)
    assert type(clone) is type(reg) and clone.get_config() == reg.get_config()
    np.testing.assert_allclose(clone(jnp.asarray(w)), reg(jnp.asarray(w)), rtol=1e-7)
    assert regularizers.serialize(None) is None


def test_regularizer_grads_under_jit(w):
    # Away from zero, L1 is smooth; points closer than the step would fail the estimate.
    w = np.where(np.abs(w) < 0.1, 0.5, w).astype(np.float64)
    with jax.enable_x64(True):
        reg = jax.jit(regularizers.L1L2(l1=0.3, l2=0.2))
        check_grads(reg, (jnp.asarray(w),), order=2, modes=["rev"], eps=1e-6)
        np.testing.assert_allclose(jax.grad(reg)(jnp.asarray(w)), 0.3 * np.sign(w) + 0.4 * w, rtol=1e-12)


# ---------------------------------------------------------------------------- constraints
CONSTRAINT_CASES = [
    (lambda: constraints.MaxNorm(), lambda: keras.constraints.MaxNorm()),
    (lambda: constraints.MaxNorm(0.5, axis=1), lambda: keras.constraints.MaxNorm(0.5, axis=1)),
    (lambda: constraints.NonNeg(), lambda: keras.constraints.NonNeg()),
    (lambda: constraints.UnitNorm(), lambda: keras.constraints.UnitNorm()),
    (lambda: constraints.UnitNorm(axis=-1), lambda: keras.constraints.UnitNorm(axis=-1)),
    (lambda: constraints.MinMaxNorm(), lambda: keras.constraints.MinMaxNorm()),
    (
        lambda: constraints.MinMaxNorm(0.5, 1.5, rate=0.7, axis=1),
        lambda: keras.constraints.MinMaxNorm(0.5, 1.5, rate=0.7, axis=1),
    ),
]


# A convolution kernel's norm is taken over its window and input channels.
CONV_CASE = (lambda: constraints.MaxNorm(1.0, axis=[0, 1, 2]), lambda: keras.constraints.MaxNorm(1.0, axis=[0, 1, 2]))


@pytest.mark.parametrize(
    ("ours", "theirs", "shape"),
    [case + (shape,) for case in CONSTRAINT_CASES for shape in [(5, 4), (3, 3, 2, 4)]] + [CONV_CASE + ((3, 3, 2, 4),)],
)
def test_constraints_match_keras3(ours, theirs, shape, rng):
    ours, theirs = ours(), theirs()
    w = (rng.standard_normal(shape) * 2).astype(np.float32)
    got = ours(jnp.asarray(w))
    assert got.shape == shape and got.dtype == jnp.float32
    np.testing.assert_allclose(got, theirs(w), rtol=1e-5, atol=1e-7)
    assert ours.get_config() == theirs.get_config()


def test_constraints_by_hand():
    w = np.array([[3.0, 0.1], [4.0, -0.2]], np.float32)  # column norms 5 and sqrt(0.05)
    norms = np.array([5.0, np.sqrt(0.05)])
    np.testing.assert_allclose(constraints.MaxNorm(2.0)(w), w * np.minimum(norms, 2.0) / norms, rtol=1e-5)
    np.testing.assert_allclose(constraints.UnitNorm()(w), w / norms, rtol=1e-5)
    np.testing.assert_array_equal(constraints.NonNeg()(w), np.array([[3.0, 0.1], [4.0, 0.0]], np.float32))
    clipped = np.clip(norms, 0.5, 1.0)
    np.testing.assert_allclose(constraints.MinMaxNorm(0.5, 1.0)(w), w * clipped / norms, rtol=1e-5)
    half = 0.5 * clipped + 0.5 * norms
    np.testing.assert_allclose(constraints.MinMaxNorm(0.5, 1.0, rate=0.5)(w), w * half / norms, rtol=1e-5)


def test_constraint_get_and_round_trip():
    assert constraints.get(None) is None
    for name, cls in [
        ("max_norm", constraints.MaxNorm),
        ("MaxNorm", constraints.MaxNorm),
        ("non_neg", constraints.NonNeg),
        ("unit_norm", constraints.UnitNorm),
        ("min_max_norm", constraints.MinMaxNorm),
    ]:
        assert type(constraints.get(name)) is cls
    for constraint in [constraints.MaxNorm(3.0, axis=1), constraints.NonNeg(), constraints.MinMaxNorm(0.1, 2.0, 0.5)]:
        config = constraints.serialize(constraint)
        assert config["class_name"] == type(constraint).__name__
        clone = constraints.deserialize(config)
        assert type(clone) is type(constraint) and clone.get_config() == constraint.get_config()
    fn = lambda x: x  # noqa: E731
    assert constraints.get(fn) is fn
    with pytest.raises(ValueError, match="Received: constraint='max'"):
        constraints.get("max")


def test_constraints_under_jit(rng):
    w = jnp.asarray(rng.standard_normal((6, 3)).astype(np.float32) * 3)
    for constraint in [
        constraints.MaxNorm(1.0),
        constraints.UnitNorm(),
        constraints.NonNeg(),
        constraints.MinMaxNorm(),
    ]:
        np.testing.assert_allclose(jax.jit(constraint)(w), constraint(w), rtol=1e-6)
    norms = np.linalg.norm(np.asarray(constraints.MaxNorm(1.0)(w)), axis=0)
    assert np.all(norms <= 1.0 + 1e-6)
