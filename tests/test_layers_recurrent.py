"""Recurrent layers: SimpleRNN, LSTM, GRU, their cells, RNN(cell), Bidirectional, TimeDistributed
and Masking, against Keras 3 with identical weights (outputs, states, masks, merge modes,
stateful carry-over, a fit step), configs, saving, argument errors, and gradients under jit."""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from jax.test_util import check_grads

from jeras import keras as jk
from jeras import layers
from jeras.backend import StatelessScope

STEPS, FEATURES, UNITS = 6, 4, 5


def _random_weights(model, rng):
    model.set_weights([rng.standard_normal(w.shape).astype(np.float32) * 0.5 for w in model.get_weights()])


def _pair(rng, name, **kwargs):
    theirs = getattr(keras.layers, name)(UNITS, **kwargs)
    theirs.build((None, STEPS, FEATURES))
    _random_weights(theirs, rng)
    ours = getattr(layers, name)(UNITS, **kwargs)
    ours.build((None, STEPS, FEATURES))
    ours.set_weights(theirs.get_weights())
    return theirs, ours


def _as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _assert_same(got, expected, tol=1e-5):
    got, expected = _as_list(got), _as_list(expected)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert tuple(g.shape) == tuple(e.shape)
        np.testing.assert_allclose(np.asarray(g), np.asarray(e), rtol=tol, atol=tol)


CASES = [
    ("SimpleRNN", {}),
    ("SimpleRNN", {"return_sequences": True, "activation": "relu", "use_bias": False}),
    ("LSTM", {}),
    ("LSTM", {"return_sequences": True, "go_backwards": True}),
    ("LSTM", {"unroll": True, "unit_forget_bias": False}),
    ("GRU", {}),
    ("GRU", {"reset_after": False, "return_sequences": True}),
    ("GRU", {"go_backwards": True, "unroll": True}),
]


@pytest.mark.parametrize(("name", "kwargs"), CASES)
def test_forward_matches_keras3(name, kwargs, rng):
    theirs, ours = _pair(rng, name, **kwargs)
    x = rng.standard_normal((3, STEPS, FEATURES)).astype(np.float32)
    _assert_same(ours(x), theirs(x))
    assert ours.compute_output_shape((None, STEPS, FEATURES)) == tuple(theirs.compute_output_shape((None, STEPS, 4)))


@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
def test_weights_are_named_and_shaped_as_keras3(name, rng):
    theirs, ours = _pair(rng, name)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert [w.name for w in ours.weights] == ["kernel", "recurrent_kernel", "bias"]
    fresh = getattr(layers, name)(UNITS)
    fresh.build((None, STEPS, FEATURES))
    if name == "LSTM":  # unit_forget_bias: ones for the forget gate only
        np.testing.assert_array_equal(fresh.cell.bias.numpy(), np.repeat([0.0, 1.0, 0.0, 0.0], UNITS))


@pytest.mark.parametrize(("name", "states"), [("SimpleRNN", 1), ("LSTM", 2), ("GRU", 1)])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_return_state_and_initial_state_match_keras3(name, states, return_sequences, rng):
    theirs, ours = _pair(rng, name, return_state=True, return_sequences=return_sequences)
    x = rng.standard_normal((2, STEPS, FEATURES)).astype(np.float32)
    init = [rng.standard_normal((2, UNITS)).astype(np.float32) for _ in range(states)]
    got = ours(x, initial_state=init)
    assert isinstance(got, list) and len(got) == 1 + states
    assert [tuple(g.shape) for g in got[1:]] == [(2, UNITS)] * states
    _assert_same(got, theirs(x, initial_state=init))
    # Called on [sequences, *states], as tf.keras 2 allows.
    _assert_same(ours([x, *init]), got)


@pytest.mark.parametrize(("name", "kwargs"), [("LSTM", {}), ("GRU", {"return_sequences": True}), ("SimpleRNN", {})])
def test_mask_zero_embedding_mask_reaches_the_rnn_as_in_keras3(name, kwargs, rng):
    ids = rng.integers(1, 20, (4, STEPS))
    ids[0, :3] = 0  # pre-padding
    ids[1, 4:] = 0  # post-padding
    k_model = keras.Sequential(
        [
            keras.Input((STEPS,), dtype="int32"),
            keras.layers.Embedding(20, FEATURES, mask_zero=True),
            keras.layers.Dropout(0.3),
            getattr(keras.layers, name)(UNITS, **kwargs),
        ]
    )
    _random_weights(k_model, rng)
    j_model = jk.Sequential(
        [
            jk.layers.InputLayer(input_shape=(STEPS,)),
            jk.layers.Embedding(20, FEATURES, mask_zero=True),
            jk.layers.Dropout(0.3),
            getattr(jk.layers, name)(UNITS, **kwargs),
        ]
    )
    j_model.set_weights(k_model.get_weights())
    expected = k_model(ids)
    _assert_same(j_model(ids.astype(np.float32)), expected)
    _assert_same(j_model.predict(ids.astype(np.float32), verbose=0), expected)
    unmasked = jk.Sequential([jk.layers.Embedding(20, FEATURES), getattr(jk.layers, name)(UNITS, **kwargs)])
    unmasked.build((None, STEPS))
    unmasked.set_weights(j_model.get_weights())
    assert not np.allclose(unmasked(ids), expected, atol=1e-3)


def test_masking_layer_and_functional_model_match_keras3(rng):
    x = rng.standard_normal((3, STEPS, FEATURES)).astype(np.float32)
    x[0, 4:] = 0.0
    x[2, :2] = 0.0

    def build(lib):
        inputs = lib.Input((STEPS, FEATURES))
        masked = lib.layers.Masking()(inputs)
        seq = lib.layers.LSTM(UNITS, return_sequences=True)(masked)
        return lib.Model(inputs, lib.layers.GRU(3)(seq))

    k_model, j_model = build(keras), build(jk)
    _random_weights(k_model, rng)
    j_model.set_weights(k_model.get_weights())
    _assert_same(j_model(x), k_model(x))
    _assert_same(layers.Masking()(x), keras.layers.Masking()(x))


def test_global_average_pooling_1d_uses_the_mask_as_keras3(rng):
    ids = rng.integers(1, 30, (3, 7))
    ids[0, 3:] = 0
    k_model = keras.Sequential(
        [
            keras.Input((7,), dtype="int32"),
            keras.layers.Embedding(30, 4, mask_zero=True),
            keras.layers.GlobalAveragePooling1D(),
        ]
    )
    j_model = jk.Sequential([jk.layers.Embedding(30, 4, mask_zero=True), jk.layers.GlobalAveragePooling1D()])
    j_model.build((None, 7))
    j_model.set_weights(k_model.get_weights())
    _assert_same(j_model(ids), k_model(ids))


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merge_modes_match_keras3(merge_mode, rng):
    x = rng.standard_normal((2, STEPS, FEATURES)).astype(np.float32)
    theirs = keras.layers.Bidirectional(keras.layers.LSTM(UNITS, return_sequences=True), merge_mode=merge_mode)
    theirs.build((None, STEPS, FEATURES))
    _random_weights(theirs, rng)
    ours = layers.Bidirectional(layers.LSTM(UNITS, return_sequences=True), merge_mode=merge_mode)
    ours.build((None, STEPS, FEATURES))
    ours.set_weights(theirs.get_weights())
    _assert_same(ours(x), theirs(x))


def test_bidirectional_states_and_mask_match_keras3(rng):
    x = rng.standard_normal((3, STEPS, FEATURES)).astype(np.float32)
    mask = np.ones((3, STEPS), bool)
    mask[0, 4:] = False
    mask[1, :2] = False
    for kwargs in ({"return_state": True}, {"return_sequences": True}):
        theirs = keras.layers.Bidirectional(keras.layers.GRU(UNITS, **kwargs))
        theirs.build((None, STEPS, FEATURES))
        _random_weights(theirs, rng)
        ours = layers.Bidirectional(layers.GRU(UNITS, **kwargs))
        ours.build((None, STEPS, FEATURES))
        ours.set_weights(theirs.get_weights())
        _assert_same(ours(x, mask=mask), theirs(x, mask=mask))
    assert [layer.name for layer in ours._children()][:2] == ["forward_gru_1", "backward_gru_1"]


def test_time_distributed_matches_keras3(rng):
    x = rng.standard_normal((2, STEPS, 3, 3, 1)).astype(np.float32)
    theirs = keras.layers.TimeDistributed(keras.layers.Conv2D(2, 2))
    theirs.build(x.shape)
    _random_weights(theirs, rng)
    ours = layers.TimeDistributed(layers.Conv2D(2, 2))
    ours.build(x.shape)
    ours.set_weights(theirs.get_weights())
    _assert_same(ours(x), theirs(x))
    assert ours.compute_output_shape((None, STEPS, 3, 3, 1)) == (None, STEPS, 2, 2, 2)


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_rnn_of_a_cell_matches_the_layer(name, rng):
    theirs, ours = _pair(rng, name, return_sequences=True)
    rnn = layers.RNN(getattr(layers, f"{name}Cell")(UNITS), return_sequences=True)
    rnn.build((None, STEPS, FEATURES))
    rnn.set_weights(ours.get_weights())
    x = rng.standard_normal((2, STEPS, FEATURES)).astype(np.float32)
    _assert_same(rnn(x), theirs(x))
    h = np.zeros((2, UNITS), np.float32)
    out, states = ours.cell(x[:, 0], [h] * len(_as_list(ours.cell.state_size)))
    np.testing.assert_allclose(out, np.asarray(theirs(x[:, :1]))[:, 0], rtol=1e-5, atol=1e-5)


class MinimalCell(layers.Layer):
    """A user-defined cell, as in the tf.keras guide: `h = tanh(x @ w + h_prev @ u)`."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.w = self.add_weight("w", (input_shape[-1], self.units))
        self.u = self.add_weight("u", (self.units, self.units))
        self.built = True

    def call(self, inputs, states):
        h = jnp.tanh(inputs @ self.w + states[0] @ self.u)
        return h, [h]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_rnn_runs_a_user_cell_by_hand(rng):
    layer = layers.RNN(MinimalCell(3), return_sequences=True, go_backwards=True)
    x = rng.standard_normal((2, STEPS, FEATURES)).astype(np.float32)
    got = np.asarray(layer(x))
    w, u = (v.numpy() for v in layer.weights)
    h = np.zeros((2, 3), np.float32)
    for t, i in enumerate(reversed(range(STEPS))):
        h = np.tanh(x[:, i] @ w + h @ u)
        np.testing.assert_allclose(got[:, t], h, rtol=1e-5, atol=1e-6)
    config = layers.serialize(layer)
    restored = layers.deserialize(config, custom_objects={"MinimalCell": MinimalCell})
    assert isinstance(restored.cell, MinimalCell) and restored.go_backwards


def test_stateful_carries_states_across_batches_as_keras3(rng):
    batches = [rng.standard_normal((2, STEPS, FEATURES)).astype(np.float32) for _ in range(3)]
    theirs = keras.Sequential([keras.Input(batch_shape=(2, STEPS, FEATURES)), keras.layers.LSTM(UNITS, stateful=True)])
    _random_weights(theirs, rng)
    ours = jk.Sequential([jk.layers.LSTM(UNITS, stateful=True, batch_input_shape=(2, STEPS, FEATURES))])
    ours.set_weights(theirs.get_weights())
    assert len(ours.get_weights()) == 3  # the states are not weights, as in tf.keras 2
    first = None
    for x in batches:
        got, expected = ours(x), theirs(x)
        _assert_same(got, expected)
        first = got if first is None else first
    assert not np.allclose(ours(batches[0]), first, atol=1e-4)
    ours.layers[0].reset_states()
    theirs.layers[0].reset_states()
    _assert_same(ours(batches[0]), first)
    with pytest.raises(ValueError, match="batches of 2"):
        ours(np.zeros((3, STEPS, FEATURES), np.float32))


def test_bidirectional_stateful_reset(rng):
    layer = layers.Bidirectional(layers.SimpleRNN(UNITS, stateful=True))
    x = rng.standard_normal((2, STEPS, FEATURES)).astype(np.float32)
    layer.build(x.shape)
    first = np.asarray(layer(x))
    assert not np.allclose(layer(x), first)
    layer.reset_states()
    np.testing.assert_allclose(layer(x), first, rtol=1e-6)


def test_fit_step_matches_keras3(rng):
    ids = rng.integers(1, 25, (16, STEPS))
    ids[:5, :2] = 0
    y = rng.standard_normal((16, 2)).astype(np.float32)

    def build(lib, first):
        return lib.Sequential(
            [
                first,
                lib.layers.Embedding(25, FEATURES, mask_zero=True),
                lib.layers.Bidirectional(lib.layers.LSTM(UNITS, return_sequences=True)),
                lib.layers.GRU(3),
                lib.layers.Dense(2),
            ]
        )

    k_model = build(keras, keras.Input((STEPS,), dtype="int32"))
    j_model = build(jk, jk.layers.InputLayer(input_shape=(STEPS,)))
    _random_weights(k_model, rng)
    j_model.set_weights(k_model.get_weights())
    for model, lib in ((k_model, keras), (j_model, jk)):
        model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.05), loss="mse")
    kh = k_model.fit(ids, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    jh = j_model.fit(ids.astype(np.float32), y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_allclose(jh.history["loss"], kh.history["loss"], rtol=1e-5)
    for got, expected in zip(j_model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_dropout_is_active_only_while_training(rng):
    layer = layers.GRU(UNITS, dropout=0.5, recurrent_dropout=0.5, return_sequences=True)
    x = rng.standard_normal((4, STEPS, FEATURES)).astype(np.float32)
    inference = np.asarray(layer(x))
    np.testing.assert_array_equal(layer(x), inference)
    assert not np.allclose(layer(x, training=True), inference, atol=1e-3)
    plain = layers.GRU(UNITS, return_sequences=True)
    plain.build(x.shape)
    plain.set_weights(layer.get_weights())
    np.testing.assert_allclose(plain(x), inference, rtol=1e-6)
    with StatelessScope(rng=jax.random.PRNGKey(0)):
        a, b = layer(x, training=True), layer(x, training=True)
    assert not np.allclose(a, b)


def test_saved_model_with_each_layer_reloads(tmp_path, rng):
    inputs = jk.Input((STEPS, FEATURES))
    x = jk.layers.Masking()(inputs)
    x = jk.layers.Bidirectional(jk.layers.SimpleRNN(3, return_sequences=True), merge_mode="sum")(x)
    x = jk.layers.TimeDistributed(jk.layers.Dense(4))(x)
    x = jk.layers.RNN(jk.layers.GRUCell(3), return_sequences=True)(x)
    x = jk.layers.LSTM(3, return_sequences=True, go_backwards=True)(x)
    outputs = jk.layers.GRU(2, reset_after=False)(x)
    model = jk.Model(inputs, outputs)
    data = rng.standard_normal((2, STEPS, FEATURES)).astype(np.float32)
    data[0, 4:] = 0.0
    expected = np.asarray(model(data))
    for path in ("m.keras", "m.h5"):
        model.save(tmp_path / path)
        restored = jk.models.load_model(tmp_path / path)
        np.testing.assert_allclose(restored(data), expected, rtol=1e-6, atol=1e-6)


LAYERS = [
    lambda: layers.SimpleRNN(3, dropout=0.1, return_state=True),
    lambda: layers.LSTM(3, recurrent_activation="hard_sigmoid", stateful=True, unit_forget_bias=False),
    lambda: layers.GRU(3, reset_after=False, go_backwards=True, time_major=True),
    lambda: layers.RNN(layers.LSTMCell(2), return_sequences=True, unroll=True),
    lambda: layers.Bidirectional(layers.LSTM(2), merge_mode="ave"),
    lambda: layers.Bidirectional(layers.GRU(2), backward_layer=layers.GRU(2, go_backwards=True)),
    lambda: layers.TimeDistributed(layers.Dense(2)),
    lambda: layers.Masking(mask_value=-1.0),
    lambda: layers.LSTMCell(3, dropout=0.2),
]


@pytest.mark.parametrize("make", LAYERS)
def test_config_round_trip(make):
    layer = make()
    config = layers.serialize(layer)
    restored = layers.deserialize(config)
    assert type(restored) is type(layer)
    assert layers.serialize(restored)["config"] == config["config"]


def test_lstm_config_is_flat_as_tf_keras2():
    config = layers.LSTM(4).get_config()
    assert "cell" not in config
    assert {k: config[k] for k in ("units", "activation", "recurrent_activation", "return_sequences")} == {
        "units": 4,
        "activation": "tanh",
        "recurrent_activation": "sigmoid",
        "return_sequences": False,
    }
    assert config["recurrent_initializer"]["class_name"] == "Orthogonal" and layers.GRU(2).get_config()["reset_after"]
    assert layers.LSTM(4).units == 4 and layers.GRU(2, dropout=0.25).dropout == 0.25


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: layers.LSTM(-3), "Received: units=-3"),
        (lambda: layers.GRU(0), "Received: units=0"),
        (lambda: layers.SimpleRNN(2, dropout=1.5), "Received: dropout=1.5"),
        (lambda: layers.LSTM(2, recurrent_dropout=-0.1), "Received: recurrent_dropout=-0.1"),
        (lambda: layers.GRU(2, implementation=3), "Received: implementation=3"),
        (lambda: layers.Bidirectional(layers.LSTM(2), merge_mode="max"), "Received: merge_mode='max'"),
        (lambda: layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2)), "opposite directions"),
    ],
)
def test_rejects_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_rejects_bad_inputs_and_types():
    with pytest.raises(TypeError, match="Received: layer="):
        layers.Bidirectional(layers.Dense(2))
    with pytest.raises(TypeError, match="Received: cell="):
        layers.RNN(3)
    with pytest.raises(ValueError, match=r"rank 3.*Received: input_shape=\(2, 4\)"):
        layers.LSTM(2)(np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match="fixed batch size"):
        jk.Sequential([jk.layers.LSTM(2, stateful=True, input_shape=(3, 2))])
    with pytest.raises(ValueError, match="unknown number of timesteps"):
        jk.Sequential([jk.layers.GRU(2, unroll=True, input_shape=(None, 2))])
    with pytest.raises(ValueError, match="initial state"):
        layers.LSTM(2)(np.zeros((1, 3, 2), np.float32), initial_state=[np.zeros((1, 2), np.float32)])
    with pytest.raises(ValueError, match="stateful"):
        layers.LSTM(2).reset_states()


def test_gradients_under_jit(rng):
    layer = layers.LSTM(3, return_sequences=True)
    x = rng.standard_normal((2, 4, 2))
    layer.build(x.shape)
    kernel = layer.cell.kernel

    def loss(k, inputs):
        with StatelessScope([(kernel, k)]):
            return jnp.sum(layer(inputs) ** 2)

    check_grads(jax.jit(loss), (kernel.value, jnp.asarray(x)), order=1, modes=["rev"], atol=1e-2, rtol=1e-2)
    mask = np.array([[True, True, False, False], [True, True, True, True]])

    def masked(inputs):
        return jnp.sum(layer(inputs, mask=mask))

    grads = jax.jit(jax.grad(masked))(jnp.asarray(x, jnp.float32))
    assert np.all(np.asarray(grads)[0, 2:] == 0) and np.all(np.abs(np.asarray(grads)[1]) > 0)


@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
def test_projection_inside_or_before_the_scan_gives_the_same_values(name, rng, monkeypatch):
    # CPU projects inside the step, accelerators before the scan: both must agree, gradients too.
    from jeras.layers import recurrent

    layer = getattr(layers, name)(UNITS, return_sequences=True)
    x = rng.standard_normal((3, STEPS, FEATURES)).astype(np.float32)
    mask = np.ones((3, STEPS), bool)
    mask[1, 3:] = False
    layer(x)

    def loss(params):
        with StatelessScope(list(zip(layer.weights, params))):
            return jnp.sum(layer(x, mask=mask) ** 2)

    params = [v.value for v in layer.weights]
    results = []
    for hoist in (True, False):
        monkeypatch.setattr(recurrent, "hoist_projection", lambda hoist=hoist: hoist)
        results.append(jax.value_and_grad(loss)(params))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5)
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_dense_and_activation_pass_the_mask_on_as_in_keras3(rng):
    ids = rng.integers(1, 20, (4, STEPS))
    ids[0, 2:] = 0
    ids[2, 4:] = 0

    def build(lib):
        return lib.Sequential(
            [
                lib.Input((STEPS,), dtype="int32"),
                lib.layers.Embedding(20, FEATURES, mask_zero=True),
                lib.layers.Dense(FEATURES),
                lib.layers.Activation("tanh"),
                lib.layers.LSTM(UNITS),
            ]
        )

    theirs, ours = build(keras), build(jk)
    _random_weights(theirs, rng)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours(ids), theirs(ids), rtol=1e-5, atol=1e-6)
    assert layers.Dense(2).supports_masking and layers.Activation("relu").supports_masking
