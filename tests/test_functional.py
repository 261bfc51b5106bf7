"""Functional API and subclassed models: the tutorial's wide & deep model built three ways."""

import json

import keras as k3
import numpy as np
import pytest

from jeras import keras


def _wide_deep(lib):
    input_a = lib.layers.Input(shape=[5], name="wide_input")
    input_b = lib.layers.Input(shape=[6], name="deep_input")
    hidden1 = lib.layers.Dense(30, activation="relu")(input_b)
    hidden2 = lib.layers.Dense(30, activation="relu")(hidden1)
    concat = lib.layers.concatenate([input_a, hidden2])
    output = lib.layers.Dense(1, name="main_output")(concat)
    aux_output = lib.layers.Dense(1, name="aux_output")(hidden2)
    return lib.models.Model(inputs=[input_a, input_b], outputs=[output, aux_output])


def _data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(n, 5)).astype("float32"),
        rng.normal(size=(n, 6)).astype("float32"),
        rng.normal(size=(n,)).astype("float32"),
    )


def test_wide_and_deep_tutorial_runs_as_written():
    xa, xb, y = _data()
    model = _wide_deep(keras)
    model.compile(loss=["mse", "mse"], loss_weights=[0.9, 0.1], optimizer=keras.optimizers.SGD(learning_rate=1e-3))
    history = model.fit([xa, xb], [y, y], epochs=3, validation_data=([xa[:20], xb[:20]], [y[:20], y[:20]]), verbose=0)
    assert list(history.history) == [
        "loss",
        "main_output_loss",
        "aux_output_loss",
        "val_loss",
        "val_main_output_loss",
        "val_aux_output_loss",
    ]
    total, main, aux = model.evaluate([xa, xb], [y, y], verbose=0)
    assert total == pytest.approx(0.9 * main + 0.1 * aux, rel=1e-5)
    y_pred_main, y_pred_aux = model.predict([xa[:3], xb[:3]], verbose=0)
    assert y_pred_main.shape == y_pred_aux.shape == (3, 1)
    assert [type(la).__name__ for la in model.layers] == [
        "InputLayer",
        "InputLayer",
        "Dense",
        "Dense",
        "Concatenate",
        "Dense",
        "Dense",
    ]


def test_two_output_weighted_loss_matches_keras():
    xa, xb, y = _data(n=64)
    k_model = _wide_deep(k3)
    j_model = _wide_deep(keras)
    j_model.set_weights(k_model.get_weights())
    for m, lib in ((k_model, k3), (j_model, keras)):
        m.compile(loss=["mse", "mae"], loss_weights=[0.9, 0.1], optimizer=lib.optimizers.SGD(learning_rate=1e-2))
    np.testing.assert_allclose(
        j_model.evaluate([xa, xb], [y, y], verbose=0), k_model.evaluate([xa, xb], [y, y], verbose=0), rtol=1e-5
    )
    kh = k_model.fit([xa, xb], [y, y], epochs=2, batch_size=16, shuffle=False, verbose=0)
    jh = j_model.fit([xa, xb], [y, y], epochs=2, batch_size=16, shuffle=False, verbose=0)
    np.testing.assert_allclose(jh.history["loss"], kh.history["loss"], rtol=1e-5)
    for jw, kw in zip(j_model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(jw, kw, rtol=1e-4, atol=1e-6)


def test_dict_inputs_outputs_losses_and_metrics_by_name():
    xa, xb, y = _data()
    a = keras.Input(shape=[5], name="wide")
    b = keras.Input(shape=[6], name="deep")
    h = keras.layers.Dense(8, activation="relu")(b)
    main = keras.layers.Dense(1, name="main")(keras.layers.concatenate([a, h]))
    aux = keras.layers.Dense(1, name="aux")(h)
    model = keras.Model(inputs={"wide": a, "deep": b}, outputs={"main": main, "aux": aux})
    model.compile(
        optimizer="sgd",
        loss={"main": "mse", "aux": "mae"},
        loss_weights={"main": 1.0, "aux": 0.5},
        metrics={"main": ["mae"]},
    )
    history = model.fit({"deep": xb, "wide": xa}, {"main": y, "aux": y}, epochs=1, verbose=0)
    assert set(history.history) == {"loss", "main_loss", "aux_loss", "main_mae"}
    out = model.predict({"wide": xa[:4], "deep": xb[:4]}, verbose=0)
    assert set(out) == {"main", "aux"} and out["main"].shape == (4, 1)
    with pytest.raises(ValueError, match="Missing: \\['wide'\\]"):
        model.predict({"deep": xb[:4]}, verbose=0)


def test_shared_layer_and_model_used_as_layer_round_trip_config():
    inp = keras.Input(shape=[4])
    shared = keras.layers.Dense(3, name="shared")
    left, right = shared(inp), shared(keras.layers.Dense(4, name="pre")(inp))
    inner = keras.Model(inp, keras.layers.add([left, right]), name="inner")
    outer_in = keras.Input(shape=[4])
    outer = keras.Model(outer_in, keras.layers.Dense(1, name="head")(inner(outer_in)), name="outer")
    assert outer.count_params() == (4 * 3 + 3) + (4 * 4 + 4) + (3 + 1)
    config = json.loads(json.dumps(outer.get_config()))
    rebuilt = keras.Model.from_config(config)
    rebuilt.set_weights(outer.get_weights())
    x = np.random.default_rng(1).normal(size=(5, 4)).astype("float32")
    np.testing.assert_allclose(rebuilt.predict(x, verbose=0), outer.predict(x, verbose=0), rtol=1e-6)
    inner_config = config["layers"][1]["config"]
    shared_entry = next(item for item in inner_config["layers"] if item["name"] == "shared")
    assert len(shared_entry["inbound_nodes"]) == 2 and shared_entry["inbound_nodes"][1][0][0] == "pre"
    outer.compile(optimizer="sgd", loss="mse")
    outer.fit(x, np.ones((5, 1)), epochs=1, verbose=0)


def test_functional_summary_has_connected_to_column():
    model = _wide_deep(keras)
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Connected to" in text and len(lines[1]) == 98
    assert "dense (Dense)                   (None, 30)           210         ['deep_input[0][0]']" in text
    assert "['wide_input[0][0]'," in text and "'dense_1[0][0]']" in text
    assert "wide_input (InputLayer)         [(None, 5)]          0           []" in text
    assert "Total params: 1,207" in text


class WideAndDeepModel(keras.models.Model):
    def __init__(self, units=30, activation="relu", **kwargs):
        super().__init__(**kwargs)
        self.hidden1 = keras.layers.Dense(units, activation=activation)
        self.hidden2 = keras.layers.Dense(units, activation=activation)
        self.main_output = keras.layers.Dense(1)
        self.aux_output = keras.layers.Dense(1)

    def call(self, inputs):
        input_a, input_b = inputs
        hidden2 = self.hidden2(self.hidden1(input_b))
        return self.main_output(keras.layers.concatenate([input_a, hidden2])), self.aux_output(hidden2)


def test_subclassed_wide_and_deep_model_as_in_the_tutorial():
    xa, xb, y = _data()
    model = WideAndDeepModel(30, activation="relu")
    model.compile(loss="mse", loss_weights=[0.9, 0.1], optimizer=keras.optimizers.SGD(learning_rate=1e-3))
    history = model.fit((xa, xb), (y, y), epochs=2, validation_data=((xa[:20], xb[:20]), (y[:20], y[:20])), verbose=0)
    assert len(history.history["loss"]) == 2 and "val_loss" in history.history
    total, main, aux = model.evaluate((xa, xb), (y, y), verbose=0)
    assert total == pytest.approx(0.9 * main + 0.1 * aux, rel=1e-5)
    y_main, y_aux = model.predict((xa[:3], xb[:3]), verbose=0)
    assert y_main.shape == (3, 1) and y_aux.shape == (3, 1)
    assert len(model.layers) == 4 and model.count_params() == (6 * 30 + 30) + (30 * 30 + 30) + (35 + 1) + (30 + 1)
    lines = []
    model.summary(print_fn=lines.append)
    assert any("Total params: 1,207" in line for line in lines)


def test_subclassed_tracking_of_lists_and_dicts_and_training_flag():
    seen = []

    class Noisy(keras.layers.Layer):
        def call(self, inputs, training=None):
            seen.append(training)
            return inputs * (2.0 if training else 1.0)

    class Stack(keras.models.Model):
        def __init__(self):
            super().__init__()
            self.blocks = [keras.layers.Dense(4), keras.layers.Dense(4)]
            self.heads = {"out": keras.layers.Dense(1)}
            self.noise = Noisy()

        def call(self, inputs, training=None):
            x = inputs
            for block in self.blocks:
                x = block(x)
            return self.heads["out"](self.noise(x, training=training))

    model = Stack()
    x = np.ones((8, 3), "float32")
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.ones((8, 1)), epochs=1, verbose=0)
    assert len(model.trainable_weights) == 6
    assert True in seen
    seen.clear()
    model.predict(x, batch_size=4, verbose=0)  # a batch size no program was traced for yet
    assert seen and not any(seen)


@pytest.mark.parametrize("ext, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_plot_model_draws_the_graph(tmp_path, ext, magic):
    model = _wide_deep(keras)
    path = tmp_path / f"model{ext}"
    keras.utils.plot_model(model, str(path), show_shapes=True)
    data = path.read_bytes()
    assert data.startswith(magic) and len(data) > 2000
    if ext == ".svg":
        text = data.decode()
        for name in ("wide_input", "deep_input", "main_output", "aux_output", "(None, 35)"):
            assert name in text


def test_graph_errors_are_clear():
    a = keras.Input(shape=[4])
    b = keras.Input(shape=[3])
    with pytest.raises(ValueError, match="Graph disconnected"):
        keras.Model(inputs=a, outputs=keras.layers.Dense(2)(b))
    dense = keras.layers.Dense(2, input_shape=[4])
    dense(a)
    with pytest.raises(ValueError, match=r"expects inputs with last dimension 4|incompatible|cannot be called"):
        dense(b)
    x = keras.layers.Dense(2, name="same")(a)
    with pytest.raises(ValueError, match="unique"):
        keras.Model(a, keras.layers.Dense(2, name="same")(x))
    with pytest.raises(TypeError, match="symbolic tensors"):
        keras.Model(inputs=np.ones((2, 4)), outputs=x)


def test_compile_checks_loss_structure_against_outputs():
    model = _wide_deep(keras)
    with pytest.raises(ValueError, match=r"loss has 3 entries but the model has 2 output"):
        model.compile(optimizer="sgd", loss=["mse", "mse", "mse"])
    with pytest.raises(ValueError, match=r"name no model output: \['main'\]"):
        model.compile(optimizer="sgd", loss={"main": "mse"})
    with pytest.raises(ValueError, match=r"loss_weights has 1 entries"):
        model.compile(optimizer="sgd", loss="mse", loss_weights=[1.0])
