"""The base Layer: weights, trainability, sublayer tracking, building, naming, variables in
and out of a stateless scope, and symbolic calls."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jeras import backend, constraints, initializers, layers, regularizers
from jeras.backend import StatelessScope, Variable


class Scale(layers.Layer):
    """One trainable scale per feature and a non-trainable call counter."""

    def build(self, input_shape):
        self.scale = self.add_weight("scale", (input_shape[-1],), initializer="ones", regularizer=regularizers.L2(0.5))
        self.calls = self.add_weight("calls", (), dtype="int32", trainable=False)

    def call(self, inputs):
        self.calls.assign_add(1)
        return inputs * self.scale


class Block(layers.Layer):
    """Sublayers held in an attribute, a list and a dict."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.first = layers.Dense(4, name="first")
        self.stack = [layers.Dense(3, name="s0"), layers.Dense(3, name="s1")]
        self.heads = {"a": layers.Dense(2, name="ha"), "b": [layers.Dense(1, name="hb")]}

    def call(self, inputs):
        x = self.first(inputs)
        for layer in self.stack:
            x = layer(x)
        return self.heads["a"](x), self.heads["b"][0](x)


# ---------------------------------------------------------------------------- add_weight
def test_add_weight_trainable_and_not():
    layer = layers.Layer(name="base")
    w = layer.add_weight("w", (2, 3), initializer="ones")
    s = layer.add_weight("s", (3,), trainable=False)
    assert isinstance(w, Variable) and w.trainable and not s.trainable
    assert w.path == "base/w" and s.path == "base/s"
    assert layer.trainable_weights == [w]
    assert layer.non_trainable_weights == [s]
    assert layer.weights == [w, s] == layer.variables
    np.testing.assert_array_equal(w.numpy(), np.ones((2, 3)))


def test_add_weight_initializers_and_defaults():
    backend.set_random_seed(0)
    layer = layers.Layer()
    assert np.all(layer.add_weight("z", (3,), initializer="zeros").numpy() == 0)
    assert np.all(layer.add_weight("c", (2,), initializer=initializers.Constant(1.5)).numpy() == 1.5)
    assert np.all(layer.add_weight("f", (2,), initializer=lambda shape, dtype=None: jnp.full(shape, 7.0)).numpy() == 7)
    glorot = layer.add_weight("g", (200, 300)).numpy()  # default: glorot_uniform, limit sqrt(6 / 500)
    limit = np.sqrt(6 / 500)
    assert glorot.dtype == np.float32
    assert np.abs(glorot).max() <= limit and np.abs(glorot).max() > 0.95 * limit
    counter = layer.add_weight("n", (), dtype="int32")  # integer weights default to zeros
    assert counter.dtype == jnp.int32 and int(counter) == 0
    assert layer.add_weight(shape=(2,)).name == "variable_5"
    assert layer.add_weight("scalar", None).shape == ()


def test_add_weight_bad_initializer():
    with pytest.raises(ValueError, match="Received: initializer='nope'"):
        layers.Layer().add_weight("w", (2,), initializer="nope")


def test_regularizer_makes_losses():
    layer = layers.Layer()
    assert layer.losses == []
    w = layer.add_weight("w", (2, 3), initializer="ones", regularizer=regularizers.L2(0.1))
    layer.add_weight("v", (4,), initializer=initializers.Constant(-2.0), regularizer="l1")
    layer.add_weight("free", (5,), initializer="ones")
    losses = layer.losses
    assert len(losses) == 2
    np.testing.assert_allclose(losses[0], 0.1 * 6, rtol=1e-6)
    np.testing.assert_allclose(losses[1], 0.01 * 8, rtol=1e-6)
    w.assign(2 * np.ones((2, 3)))
    np.testing.assert_allclose(layer.losses[0], 0.1 * 24, rtol=1e-6)  # evaluated on current values
    with StatelessScope([(w, jnp.full((2, 3), 3.0))]):
        np.testing.assert_allclose(layer.losses[0], 0.1 * 54, rtol=1e-6)  # and on bound values


def test_regularizer_losses_of_sublayers():
    outer = Block()
    outer(np.ones((2, 5), np.float32))
    outer.stack[1].extra = Scale()
    outer.stack[1].extra(np.ones((1, 3), np.float32))
    np.testing.assert_allclose(outer.losses, [0.5 * 3], rtol=1e-6)


def test_constraint_is_stored():
    layer = layers.Layer()
    w = layer.add_weight("w", (2,), constraint=constraints.MaxNorm(3.0))
    assert isinstance(w.constraint, constraints.MaxNorm) and w.constraint.max_value == 3.0
    assert isinstance(layer.add_weight("v", (2,), constraint="non_neg").constraint, constraints.NonNeg)
    assert layer.add_weight("u", (2,)).constraint is None
    dense = layers.Dense(2, kernel_constraint="unit_norm", bias_constraint=constraints.NonNeg())
    dense.build((None, 3))
    assert isinstance(dense.kernel.constraint, constraints.UnitNorm)
    assert isinstance(dense.bias.constraint, constraints.NonNeg)


# ---------------------------------------------------------------------------- trainability
def test_trainable_false_moves_weights():
    layer = layers.Dense(3, trainable=False)
    layer.build((None, 2))
    assert layer.trainable_weights == []
    assert layer.non_trainable_weights == [layer.kernel, layer.bias]
    layer.trainable = True
    assert layer.trainable_weights == [layer.kernel, layer.bias]
    assert layer.non_trainable_weights == []


def test_frozen_layer_keeps_weight_order():
    layer = Scale()
    layer(np.ones((2, 3), np.float32))
    assert layer.weights == [layer.scale, layer.calls]
    layer.trainable = False
    assert layer.weights == [layer.scale, layer.calls]
    assert layer.non_trainable_weights == [layer.scale, layer.calls]


def test_freezing_a_parent_freezes_sublayers():
    block = Block()
    block(np.ones((2, 5), np.float32))
    block.trainable = False
    assert block.trainable_weights == []
    assert len(block.non_trainable_weights) == 10
    assert not block.stack[0].trainable
    # A sublayer added after freezing is frozen too (its own flag is still True).
    block.late = layers.Dense(2)
    block.late.build((None, 3))
    assert block.late.trainable
    assert block.trainable_weights == []
    assert len(block.non_trainable_weights) == 12
    block.trainable = True
    assert len(block.trainable_weights) == 12


def test_frozen_sublayer_inside_trainable_parent():
    block = Block()
    block(np.ones((2, 5), np.float32))
    block.first.trainable = False
    assert block.first.kernel not in block.trainable_weights
    assert block.non_trainable_weights == [block.first.kernel, block.first.bias]
    assert len(block.trainable_weights) == 8


# ---------------------------------------------------------------------------- sublayer tracking
def test_sublayers_in_attributes_lists_and_dicts():
    block = Block()
    assert block.weights == []
    out_a, out_b = block(np.ones((2, 5), np.float32))
    assert out_a.shape == (2, 2) and out_b.shape == (2, 1)
    paths = [w.path for w in block.weights]
    expected = ["first/kernel", "first/bias", "s0/kernel", "s0/bias", "s1/kernel", "s1/bias"]
    expected += ["ha/kernel", "ha/bias", "hb/kernel", "hb/bias"]
    assert paths == expected
    assert block.count_params() == (5 * 4 + 4) + (4 * 3 + 3) + (3 * 3 + 3) + (3 * 2 + 2) + (3 * 1 + 1)
    assert len(block.get_weights()) == 10


def test_layers_appended_to_a_list_are_tracked():
    class Tower(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = []
            for units in (4, 3):
                self.hidden.append(layers.Dense(units))
            self.extra = {}
            self.extra["out"] = layers.Dense(1)

        def call(self, inputs):
            for layer in self.hidden:
                inputs = layer(inputs)
            return self.extra["out"](inputs)

    tower = Tower()
    tower(np.ones((2, 5), np.float32))
    assert [w.shape for w in tower.weights] == [(5, 4), (4,), (4, 3), (3,), (3, 1), (1,)]


def test_shared_sublayer_counted_once():
    class Shared(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = layers.Dense(3)
            self.again = [self.dense]

        def call(self, inputs):
            return self.dense(self.dense(inputs))

    layer = Shared()
    layer(np.ones((1, 3), np.float32))
    assert layer.weights == [layer.dense.kernel, layer.dense.bias]


def test_private_attributes_are_not_tracked():
    class Hidden(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self._cache = layers.Dense(2)

    layer = Hidden()
    layer._cache.build((None, 2))
    assert layer.weights == []


# ---------------------------------------------------------------------------- building
def test_deferred_build():
    layer = layers.Dense(3)
    assert not layer.built and layer.weights == []
    with pytest.raises(ValueError, match="isn't built"):
        layer.count_params()
    out = layer(np.ones((2, 7), np.float32))
    assert layer.built and out.shape == (2, 3)
    assert layer.kernel.shape == (7, 3)
    assert layer._build_shapes == (2, 7)
    assert layer.count_params() == 24
    kernel = layer.kernel
    layer(np.ones((5, 7), np.float32))
    assert layer.kernel is kernel  # built once


def test_first_call_inside_jit_builds_concrete_weights():
    layer = layers.Dense(3, activation="relu")
    x = jnp.ones((2, 4))
    traced = jax.jit(layer)(x)
    assert isinstance(layer.kernel.value, jax.Array) and not isinstance(layer.kernel.value, jax.core.Tracer)
    np.testing.assert_allclose(layer(x), traced, rtol=1e-6)
    assert layers.Dense(2)(x).shape == (2, 2)  # the global random stream still works


def test_build_with_symbolic_input_keeps_unknown_dims():
    seen = []

    class Probe(layers.Layer):
        def build(self, input_shape):
            seen.append(input_shape)

    Probe()(layers.Input(shape=(None, 3)))
    assert seen == [(None, None, 3)]


def test_input_shape_keyword():
    assert layers.Dense(3, input_shape=(4,))._batch_input_shape == (None, 4)
    assert layers.Dense(3, input_shape=[2, 4], batch_size=8)._batch_input_shape == (8, 2, 4)
    assert layers.Dense(3, batch_input_shape=(None, 6))._batch_input_shape == (None, 6)
    assert layers.Dense(3, input_dim=5)._batch_input_shape == (None, 5)
    assert layers.Dense(3)._batch_input_shape is None
    with pytest.raises(ValueError, match=r"Received: input_shape=\(0, 4\)"):
        layers.Dense(3, input_shape=(0, 4))


def test_training_flag_reaches_call():
    class Noisy(layers.Layer):
        def call(self, inputs, training=None):
            return inputs + (1.0 if training else 0.0)

    layer = Noisy()
    x = np.zeros((1, 2), np.float32)
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer(x, training=True), x + 1)
    np.testing.assert_array_equal(layers.Dense(2, kernel_initializer="ones")(x, training=True), np.zeros((1, 2)))


def test_activity_regularizer_is_reported_to_the_scope():
    layer = layers.Dense(2, kernel_initializer="ones", activity_regularizer=regularizers.L1(0.1))
    x = np.ones((4, 3), np.float32)
    with StatelessScope() as scope:
        layer(x)
    # tf.keras 2 divides the activity penalty by the batch size: 0.1 * sum(|3|) over 4x2 / 4.
    assert len(scope.losses) == 1
    np.testing.assert_allclose(scope.losses[0], 0.1 * 3 * 8 / 4, rtol=1e-6)


# ---------------------------------------------------------------------------- names
def test_unique_default_names():
    assert [layers.Dense(1).name for _ in range(3)] == ["dense", "dense_1", "dense_2"]
    assert layers.Flatten().name == "flatten"
    assert layers.Activation("relu").name == "activation"

    class MyFancyBlock(layers.Layer):
        pass

    assert MyFancyBlock().name == "my_fancy_block"
    assert layers.Dense(1, name="custom").name == "custom"
    backend.clear_session()
    assert layers.Dense(1).name == "dense"


def test_input_names_are_one_based():
    # tf.keras 2 names inputs input_1, input_2, ... (Keras 3 says input_layer, input_layer_1).
    assert layers.Input(shape=(2,)).name == "input_1"
    assert layers.Input(shape=(2,)).name == "input_2"
    assert layers.InputLayer(input_shape=(2,)).name == "input_3"
    assert layers.Input(shape=(2,), name="pixels").name == "pixels"
    backend.clear_session()
    assert layers.Input(shape=(2,)).name == "input_1"


# ---------------------------------------------------------------------------- weights I/O
def test_get_and_set_weights_through_a_block(rng):
    block = Block()
    block(np.ones((2, 5), np.float32))
    new = [rng.standard_normal(w.shape).astype(np.float32) for w in block.weights]
    block.set_weights(new)
    for got, expected in zip(block.get_weights(), new):
        np.testing.assert_array_equal(got, expected)
    with pytest.raises(ValueError, match="Received: weights of length 9"):
        block.set_weights(new[:-1])


def test_count_params_before_build():
    with pytest.raises(ValueError, match="count_params.*'dense'.*isn't built"):
        layers.Dense(3).count_params()
    assert layers.Flatten().built is False
    with pytest.raises(ValueError, match="isn't built"):
        Block().count_params()


# ---------------------------------------------------------------------------- variables
def test_variable_arithmetic_outside_scope():
    v = Variable(np.array([1.0, 2.0]), name="v")
    assert v.dtype == jnp.float32 and v.shape == (2,) and v.ndim == 1 and len(v) == 2
    np.testing.assert_array_equal(v + 1, [2, 3])
    np.testing.assert_array_equal(1 - v, [0, -1])
    np.testing.assert_array_equal(v * v, [1, 4])
    np.testing.assert_array_equal(2 / v, [2, 1])
    np.testing.assert_array_equal(v**2, [1, 4])
    np.testing.assert_array_equal(-v, [-1, -2])
    np.testing.assert_array_equal(v > 1.5, [False, True])
    np.testing.assert_array_equal(v @ v, 5)
    np.testing.assert_array_equal(np.asarray(v), [1, 2])
    assert float(v[1]) == 2.0
    v.assign([3.0, 4.0])
    v.assign_add(Variable(np.ones(2), name="one"))
    v.assign_sub([0.5, 0.5])
    np.testing.assert_array_equal(v.numpy(), [3.5, 4.5])
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        v.assign(np.zeros(3))


def test_variable_dtypes():
    assert Variable(np.arange(3), name="i").dtype == jnp.int32
    assert Variable(np.zeros(2, np.float64), name="f").dtype == jnp.float32  # floats default to floatx
    assert Variable([1, 2], name="f", dtype="float32").dtype == jnp.float32
    v = Variable(np.zeros(2, np.float32), name="v")
    v.assign(np.array([1, 2], np.int32))
    assert v.dtype == jnp.float32


def test_variable_inside_stateless_scope():
    v = Variable(np.array([1.0, 2.0]), name="v")
    w = Variable(np.array([5.0]), name="w")
    with StatelessScope([(v, jnp.array([10.0, 20.0]))]) as scope:
        np.testing.assert_array_equal(v + 1, [11, 21])
        np.testing.assert_array_equal(w.value, [5])  # unbound variables read their stored value
        v.assign_add([1.0, 1.0])
        w.assign([6.0])
        np.testing.assert_array_equal(v.value, [11, 21])
        np.testing.assert_array_equal(w * 2, [12])
        assert backend.current_scope() is scope
    assert backend.current_scope() is None
    np.testing.assert_array_equal(v.numpy(), [1, 2])  # nothing was written to the objects
    np.testing.assert_array_equal(w.numpy(), [5])
    np.testing.assert_array_equal(scope.new_value(v), [11, 21])
    np.testing.assert_array_equal(scope.new_value(w), [6])


def test_stateful_layer_is_pure_under_jit():
    layer = Scale()
    x = np.ones((2, 3), np.float32)
    layer(x)
    assert int(layer.calls) == 1

    @jax.jit
    def step(scale, calls):
        with StatelessScope([(layer.scale, scale), (layer.calls, calls)]) as scope:
            out = layer(x)
        return out, scope.new_value(layer.calls)

    out, calls = step(jnp.full((3,), 2.0), jnp.asarray(5, jnp.int32))
    np.testing.assert_array_equal(out, 2 * x)
    assert int(calls) == 6
    assert int(layer.calls) == 1  # the traced assignment stayed in the scope
    np.testing.assert_array_equal(layer.scale.numpy(), np.ones(3))


def test_nested_scopes_read_the_innermost():
    v = Variable(np.zeros(()), name="v")
    with StatelessScope([(v, 1.0)]):
        with StatelessScope([(v, 2.0)]):
            assert float(v) == 2.0
        assert float(v) == 1.0
    assert float(v) == 0.0


# ---------------------------------------------------------------------------- symbolic calls
def test_symbolic_call_shapes():
    x = layers.Input(shape=(8,))
    h = layers.Dense(4)(x)
    assert isinstance(h, layers.KerasTensor)
    assert h.shape == (None, 4) and h.dtype == "float32"
    assert h.node.layer.name == "dense" and h.node.inputs is x
    seq = layers.Input(shape=(None, 6))
    assert layers.Dense(2)(seq).shape == (None, None, 2)
    assert layers.Flatten()(seq).shape == (None, None)
    assert layers.Reshape((-1, 3))(seq).shape == (None, None, 3)
    assert layers.Reshape((3, 2))(layers.Input(shape=(6,))).shape == (None, 3, 2)
    fixed = layers.Input(shape=(2, 3), batch_size=5)
    assert layers.Flatten()(fixed).shape == (5, 6)
    assert layers.Dense(1)(layers.Input(shape=(3,), dtype="int32")).dtype == "float32"


def test_symbolic_call_builds_the_layer():
    layer = layers.Dense(3)
    layer(layers.Input(shape=(4,)))
    assert layer.built and layer.kernel.shape == (4, 3)
    np.testing.assert_array_equal(layer.kernel.numpy().shape, (4, 3))


def test_symbolic_call_with_incompatible_shape():
    layer = layers.Dense(3)
    layer(layers.Input(shape=(4,)))
    with pytest.raises(ValueError, match=r"'dense'.*cannot be called on inputs of shape \(None, 5\)"):
        layer(layers.Input(shape=(5,)))


def test_compute_output_shape():
    assert layers.Dense(3).compute_output_shape((None, 4)) == (None, 3)
    assert layers.Dense(3).compute_output_shape([None, None, 4]) == (None, None, 3)
    assert layers.Dense(3).compute_output_shape((8, 4)) == (8, 3)
    assert layers.Flatten().compute_output_shape((None, 2, 3)) == (None, 6)
    layer = layers.Dense(3)
    layer.build((None, 4))
    with pytest.raises(ValueError, match="Received: inputs with shape"):
        layer.compute_output_shape((None, 2))


def test_unknown_keyword_argument():
    with pytest.raises(TypeError, match=r"Unknown keyword argument\(s\) for Layer: \['units'\]"):
        layers.Layer(units=3)
