"""Activations: values against Keras 3, tf.keras-2 differences by hand, gradients, resolution."""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jax.test_util import check_grads

from jeras import activations

# (jeras name, jeras kwargs, Keras 3 name, Keras 3 kwargs)
PARITY_CASES = [
    ("relu", {}, "relu", {}),
    ("relu", {"alpha": 0.1}, "relu", {"negative_slope": 0.1}),
    ("relu", {"negative_slope": 0.1}, "relu", {"negative_slope": 0.1}),
    ("relu", {"max_value": 6.0}, "relu", {"max_value": 6.0}),
    ("relu", {"max_value": 1.5, "threshold": 0.5}, "relu", {"max_value": 1.5, "threshold": 0.5}),
    (
        "relu",
        {"alpha": 0.2, "max_value": 2.0, "threshold": -0.5},
        "relu",
        {"negative_slope": 0.2, "max_value": 2.0, "threshold": -0.5},
    ),
    ("leaky_relu", {}, "leaky_relu", {}),
    ("leaky_relu", {"alpha": 0.3}, "leaky_relu", {"negative_slope": 0.3}),
    ("relu6", {}, "relu6", {}),
    ("sigmoid", {}, "sigmoid", {}),
    ("tanh", {}, "tanh", {}),
    ("softmax", {}, "softmax", {}),
    ("softmax", {"axis": 1}, "softmax", {"axis": 1}),
    ("softmax", {"axis": 0}, "softmax", {"axis": 0}),
    ("log_softmax", {}, "log_softmax", {}),
    ("elu", {}, "elu", {}),
    ("elu", {"alpha": 0.5}, "elu", {"alpha": 0.5}),
    ("selu", {}, "selu", {}),
    ("gelu", {}, "gelu", {}),
    ("gelu", {"approximate": True}, "gelu", {"approximate": True}),
    ("swish", {}, "silu", {}),
    ("silu", {}, "silu", {}),
    ("mish", {}, "mish", {}),
    ("softplus", {}, "softplus", {}),
    ("softsign", {}, "softsign", {}),
    ("exponential", {}, "exponential", {}),
    ("linear", {}, "linear", {}),
]


@pytest.fixture
def x(rng):
    return (rng.standard_normal((4, 5, 6)) * 3).astype(np.float32)


@pytest.mark.parametrize(("name", "kwargs", "keras_name", "keras_kwargs"), PARITY_CASES)
def test_matches_keras3(name, kwargs, keras_name, keras_kwargs, x):
    expected = np.asarray(getattr(keras.activations, keras_name)(x, **keras_kwargs))
    got = getattr(activations, name)(jnp.asarray(x), **kwargs)
    assert got.shape == x.shape and got.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-5, atol=1e-6)
    jitted = jax.jit(lambda v: getattr(activations, name)(v, **kwargs))(x)
    np.testing.assert_allclose(np.asarray(jitted), expected, rtol=1e-5, atol=1e-6)


@settings(max_examples=25, deadline=None)
@given(
    slope=st.floats(0.0, 1.0),
    max_value=st.one_of(st.none(), st.floats(0.5, 10.0)),
    threshold=st.floats(-2.0, 2.0),
)
def test_relu_options_match_keras3(slope, max_value, threshold):
    x = np.linspace(-6.0, 12.0, 181, dtype=np.float32)
    expected = keras.activations.relu(x, negative_slope=slope, max_value=max_value, threshold=threshold)
    got = activations.relu(x, alpha=slope, max_value=max_value, threshold=threshold)
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=1e-5, atol=1e-6)


def test_hard_sigmoid_follows_tf_keras_2():
    # tf.keras 2: clip(0.2 * x + 0.5, 0, 1). Keras 3 changed the slope to 1/6, so the
    # oracle here is the tf.keras 2 formula by hand, and Keras 3 must disagree.
    x = np.array([-4.0, -2.5, -1.0, 0.0, 1.0, 2.0, 2.5, 4.0], dtype=np.float32)
    expected = np.array([0.0, 0.0, 0.3, 0.5, 0.7, 0.9, 1.0, 1.0], dtype=np.float32)
    got = np.asarray(activations.hard_sigmoid(x))
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)
    assert not np.allclose(got, np.asarray(keras.activations.hard_sigmoid(x)))


def test_leaky_relu_default_slope_is_0_2():
    np.testing.assert_allclose(np.asarray(activations.leaky_relu(jnp.array([-10.0, 3.0]))), [-2.0, 3.0])


def test_softmax_accepts_rank_one_and_sums_to_one(rng):
    x = rng.standard_normal(7).astype(np.float32)
    got = np.asarray(activations.softmax(x))
    np.testing.assert_allclose(got, np.asarray(keras.activations.softmax(x)), rtol=1e-5)
    np.testing.assert_allclose(got.sum(), 1.0, rtol=1e-6)


SMOOTH = [
    ("sigmoid", {}),
    ("tanh", {}),
    ("softmax", {}),
    ("log_softmax", {}),
    ("gelu", {}),
    ("gelu", {"approximate": True}),
    ("swish", {}),
    ("mish", {}),
    ("softplus", {}),
    ("exponential", {}),
    ("linear", {}),
]
# Piecewise-smooth: checked at points at least 0.2 away from their kinks (0, 0.5, 3).
PIECEWISE = [
    ("relu", {}),
    ("relu", {"alpha": 0.1, "max_value": 3.0, "threshold": 0.5}),
    ("leaky_relu", {}),
    ("elu", {"alpha": 0.7}),
    ("selu", {}),
    ("softsign", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), SMOOTH + PIECEWISE)
def test_gradients(name, kwargs):
    points = np.array([[-2.1, -0.8, -0.3, 0.9, 1.7, 2.4], [-1.3, -0.6, 0.26, 1.1, 2.1, 3.6]], dtype=np.float32)
    check_grads(
        lambda v: getattr(activations, name)(v, **kwargs),
        (jnp.asarray(points),),
        order=2,
        modes=("fwd", "rev"),
        eps=1e-2,
    )


def test_names_are_keras_names():
    for name in activations._REGISTRY:
        assert callable(keras.activations.get(name)), name


@pytest.mark.parametrize("name", sorted(activations._REGISTRY))
def test_get_serialize_round_trip(name):
    fn = activations.get(name)
    assert fn is getattr(activations, name)
    assert activations.get(activations.serialize(fn)) is fn
    assert activations.deserialize(activations.serialize(fn)) is fn


def test_silu_serializes_as_swish():
    assert activations.silu is activations.swish
    assert activations.serialize(activations.silu) == "swish"


def test_get_none_and_callables():
    assert activations.get(None) is activations.linear

    def custom(v):
        return v * 2

    assert activations.get(custom) is custom
    assert activations.serialize(custom) == "custom"
    assert activations.deserialize("custom", custom_objects={"custom": custom}) is custom


def test_unknown_name_is_a_value_error():
    with pytest.raises(ValueError, match=r"Received: activation='relux'"):
        activations.get("relux")
    with pytest.raises(ValueError, match=r"Received: activation='custom'"):
        activations.deserialize("custom")


def test_non_callable_is_a_type_error():
    with pytest.raises(TypeError, match=r"Received: activation=3"):
        activations.get(3)
