"""Merging layers and their function forms: outputs against Keras 3 on arrays, symbolic shapes in
the functional API, shape checks at build time, configs, and gradients under jit."""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from jax.test_util import check_grads

from jeras import layers

ELEMENTWISE = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]
FUNCTIONS = {
    "Add": "add",
    "Subtract": "subtract",
    "Multiply": "multiply",
    "Average": "average",
    "Maximum": "maximum",
    "Minimum": "minimum",
}


def _inputs(rng, *shapes):
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(2, 3, 4), (2, 1, 4)], [(2, 5), (2, 3, 5)]])
def test_elementwise_merges_match_keras3(name, shapes, rng):
    xs = _inputs(rng, *shapes)
    expected = getattr(keras.layers, name)()(xs)
    np.testing.assert_allclose(getattr(layers, name)()(xs), expected, rtol=1e-6)
    np.testing.assert_allclose(getattr(layers, FUNCTIONS[name])(xs), expected, rtol=1e-6)


@pytest.mark.parametrize("name", ["Add", "Multiply", "Average", "Maximum", "Minimum"])
def test_merges_of_three_inputs_match_keras3(name, rng):
    xs = _inputs(rng, (2, 3), (2, 3), (2, 3))
    np.testing.assert_allclose(getattr(layers, name)()(xs), getattr(keras.layers, name)()(xs), rtol=1e-6)


def test_merges_by_hand():
    a = np.array([[1.0, 5.0]], np.float32)
    b = np.array([[3.0, 2.0]], np.float32)
    c = np.array([[-1.0, 8.0]], np.float32)
    np.testing.assert_array_equal(layers.add([a, b, c]), [[3.0, 15.0]])
    np.testing.assert_array_equal(layers.subtract([a, b]), [[-2.0, 3.0]])
    np.testing.assert_array_equal(layers.multiply([a, b, c]), [[-3.0, 80.0]])
    np.testing.assert_array_equal(layers.average([a, b, c]), [[1.0, 5.0]])
    np.testing.assert_array_equal(layers.maximum([a, b, c]), [[3.0, 8.0]])
    np.testing.assert_array_equal(layers.minimum([a, b, c]), [[-1.0, 2.0]])
    np.testing.assert_array_equal(layers.concatenate([a, b, c]), [[1.0, 5.0, 3.0, 2.0, -1.0, 8.0]])
    np.testing.assert_array_equal(layers.concatenate([a, b], axis=0), [[1.0, 5.0], [3.0, 2.0]])


@pytest.mark.parametrize(
    ("axis", "shapes"),
    [(-1, [(2, 3, 4), (2, 3, 1)]), (1, [(2, 3, 4), (2, 5, 4)]), (-2, [(2, 1, 4), (2, 2, 4), (2, 3, 4)])],
)
def test_concatenate_matches_keras3(axis, shapes, rng):
    xs = _inputs(rng, *shapes)
    expected = keras.layers.Concatenate(axis=axis)(xs)
    np.testing.assert_array_equal(layers.Concatenate(axis=axis)(xs), expected)
    np.testing.assert_array_equal(layers.concatenate(xs, axis=axis), expected)


def test_function_forms_build_symbolic_graphs():
    # The wide & deep pattern: concatenate([input_A, hidden2]) in a functional model.
    input_a = layers.Input(shape=[5], name="wide_input")
    input_b = layers.Input(shape=[6], name="deep_input")
    hidden2 = layers.Dense(30)(layers.Dense(30)(input_b))
    concat = layers.concatenate([input_a, hidden2], name="concat")
    assert concat.shape == (None, 35)
    assert concat.node.layer.name == "concat" and isinstance(concat.node.layer, layers.Concatenate)
    assert concat.node.input_tensors == [input_a, hidden2]
    assert layers.add([hidden2, hidden2]).shape == (None, 30)
    assert layers.subtract([input_a, input_a]).shape == (None, 5)
    seq = layers.Input(shape=(None, 4))
    assert layers.multiply([seq, layers.Input(shape=(4,))]).shape == (None, None, 4)
    assert layers.concatenate([seq, seq], axis=1).shape == (None, None, 4)


@pytest.mark.parametrize(
    ("make", "keras_make", "shapes"),
    [
        (layers.Add, keras.layers.Add, [(None, 3, 4), (None, 1, 4)]),
        (layers.Maximum, keras.layers.Maximum, [(None, 4), (None, 3, 4)]),
        (lambda: layers.Concatenate(axis=1), lambda: keras.layers.Concatenate(axis=1), [(None, 2, 3), (None, 5, 3)]),
        (layers.Concatenate, keras.layers.Concatenate, [(None, None, 3), (None, None, 2)]),
    ],
)
def test_symbolic_shapes_match_keras3(make, keras_make, shapes):
    ours = make()([layers.Input(batch_shape=s) for s in shapes]).shape
    theirs = keras_make()([keras.Input(batch_shape=s) for s in shapes]).shape
    assert ours == tuple(theirs)
    assert make().compute_output_shape(shapes) == tuple(theirs)


@pytest.mark.parametrize(
    "make", [lambda: layers.Add(name="sum"), layers.Average, layers.Subtract, lambda: layers.Concatenate(axis=1)]
)
def test_configs_round_trip_and_match_keras3(make):
    layer = make()
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
    assert layers.deserialize(layers.serialize(layer)).get_config() == config
    theirs = (
        getattr(keras.layers, type(layer).__name__)
        .from_config({k: v for k, v in config.items() if k != "dtype"})
        .get_config()
    )
    assert set(theirs) == set(config)
    assert {k: v for k, v in theirs.items() if k != "dtype"} == {k: v for k, v in config.items() if k != "dtype"}


# ---------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("name", ELEMENTWISE + ["Concatenate"])
def test_rejects_a_single_input(name):
    layer = getattr(layers, name)()
    with pytest.raises(ValueError, match="list of at least 2 inputs"):
        layer([np.ones((2, 3), np.float32)])
    with pytest.raises(ValueError, match=r"list of inputs. Received: input_shape=\(2, 3\)"):
        getattr(layers, name)()(np.ones((2, 3), np.float32))


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_incompatible_shapes_fail_at_build_time(name):
    with pytest.raises(ValueError, match=r"incompatible shapes. Received: input_shape=\[\(None, 3\), \(None, 4\)\]"):
        getattr(layers, name)()([layers.Input(shape=(3,)), layers.Input(shape=(4,))])
    with pytest.raises(ValueError, match=r"incompatible shapes. Received: input_shape=\[\(2, 3\), \(2, 4\)\]"):
        getattr(layers, name)()([np.ones((2, 3), np.float32), np.ones((2, 4), np.float32)])
    with pytest.raises(ValueError, match=r"same batch size. Received: input_shape=\[\(2, 3\), \(5, 3\)\]"):
        getattr(layers, name)()([np.ones((2, 3), np.float32), np.ones((5, 3), np.float32)])


def test_merge_checks_shapes_on_later_calls():
    layer = layers.Add()
    layer([np.ones((2, 3), np.float32), np.ones((2, 3), np.float32)])
    with pytest.raises(ValueError, match=r"incompatible shapes. Received: shapes \[\(2, 3\), \(2, 4\)\]"):
        layer([np.ones((2, 3), np.float32), np.ones((2, 4), np.float32)])
    with pytest.raises(ValueError, match=r"same batch size. Received: shapes \[\(1, 3\), \(2, 3\)\]"):
        layer([np.ones((1, 3), np.float32), np.ones((2, 3), np.float32)])


def test_subtract_takes_exactly_two_inputs():
    with pytest.raises(ValueError, match=r"exactly 2 inputs. Received: 3 inputs"):
        layers.subtract([np.ones((1, 2), np.float32)] * 3)


@pytest.mark.parametrize(
    ("axis", "shapes", "message"),
    [
        (-1, [(None, 3, 4), (None, 2, 4)], r"matching shapes except for the concatenation axis -1"),
        (1, [(None, 3), (None, 3, 1)], r"same rank"),
        (3, [(None, 3), (None, 3)], r"Received: axis=3"),
    ],
)
def test_concatenate_rejects_incompatible_shapes_at_build_time(axis, shapes, message):
    with pytest.raises(ValueError, match=message):
        layers.concatenate([layers.Input(batch_shape=s) for s in shapes], axis=axis)


def test_concatenate_rejects_non_integer_axis():
    with pytest.raises(TypeError, match="Received: axis=1.5"):
        layers.Concatenate(axis=1.5)


# ---------------------------------------------------------------------------- jit and gradients
@pytest.mark.parametrize("name", ELEMENTWISE + ["Concatenate"])
def test_grads_under_jit(name, rng):
    with jax.enable_x64(True):
        layer = getattr(layers, name)(dtype="float64")
        a, b = (jnp.asarray(x) for x in rng.standard_normal((2, 3, 4)))
        weights = jnp.arange(1.0, 13.0 if name != "Concatenate" else 25.0)

        def f(a, b):
            return jnp.sum(jnp.sin(layer([a, b])).reshape(-1) * weights)

        check_grads(jax.jit(f), (a, b), order=1, modes=["rev"], eps=1e-6)
