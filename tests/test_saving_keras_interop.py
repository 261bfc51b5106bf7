"""Files written by the `keras` package (Keras 3) load into jeras, and jeras `.weights.h5` into Keras 3.

Also a file in tf.keras 2.x's HDF5 layout (the tutorials' format), written here by hand from
its documented structure since TensorFlow is not a test dependency.
"""

import json
import warnings

import h5py
import keras as keras3
import numpy as np
import pytest

from jeras import keras
from jeras.saving import keras3_config, load_model


def _architecture(layers):
    """The same network in either library: convolution, both normalizations, pooling, dropout."""
    return [
        layers.Input((6, 6, 1)),
        layers.Conv2D(4, 3, activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dropout(0.3),
        layers.Dense(8, activation="relu", name="hidden"),
        layers.LayerNormalization(),
        layers.Dense(3, activation="softmax"),
    ]


@pytest.fixture(scope="module")
def keras3_files(tmp_path_factory):
    """A trained Keras 3 model saved as `.keras`, `.weights.h5` and legacy `.h5`, and its outputs."""
    folder = tmp_path_factory.mktemp("keras3")
    keras3.utils.set_random_seed(1)
    layers = _architecture(keras3.layers)
    model = keras3.Sequential(layers)
    model.compile(
        optimizer=keras3.optimizers.RMSprop(learning_rate=0.05),
        loss=keras3.losses.SparseCategoricalCrossentropy(),
        metrics=[keras3.metrics.SparseCategoricalAccuracy()],
    )
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 6, 6, 1)).astype("float32")
    y = rng.integers(0, 3, size=16)
    model.fit(x, y, epochs=2, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(folder / "model.keras")
        model.save_weights(folder / "model.weights.h5")
        model.save(folder / "legacy.h5")
    return folder, x, y, np.asarray(model.predict(x, verbose=0)), model.evaluate(x, y, verbose=0)


def jeras_twin():
    return keras.Sequential(_architecture(keras.layers))


@pytest.mark.parametrize("name", ["model.keras", "legacy.h5"])
def test_load_model_written_by_keras3(keras3_files, name):
    folder, x, y, expected, (loss, accuracy) = keras3_files
    with pytest.warns(UserWarning, match="written by Keras"):
        model = load_model(folder / name)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    names = ["Conv2D", "BatchNormalization", "MaxPooling2D", "Flatten", "Dropout", "Dense", "LayerNormalization"]
    assert [type(la).__name__ for la in model.layers] == [*names, "Dense"]
    assert model.layers[5].name == "hidden"
    assert type(model.optimizer) is keras.optimizers.RMSprop
    assert model.optimizer.learning_rate == pytest.approx(0.05)
    assert isinstance(model.loss, keras.losses.SparseCategoricalCrossentropy)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(loss, rel=1e-5)
    assert logs["sparse_categorical_accuracy"] == pytest.approx(accuracy)


@pytest.mark.parametrize("name", ["model.weights.h5", "legacy.h5", "model.keras"])
def test_load_weights_written_by_keras3(keras3_files, name):
    folder, x, _, expected, _ = keras3_files
    model = jeras_twin()
    model.load_weights(folder / name)
    np.testing.assert_allclose(model(x), expected, rtol=1e-5, atol=1e-6)


def test_keras3_loads_jeras_weights_file(tmp_path, rng):
    model = jeras_twin()
    model.save_weights(tmp_path / "jeras.weights.h5")
    twin = keras3.Sequential(_architecture(keras3.layers))
    twin.load_weights(tmp_path / "jeras.weights.h5")
    x = rng.normal(size=(5, 6, 6, 1)).astype("float32")
    np.testing.assert_allclose(np.asarray(twin(x)), model(x), rtol=1e-5, atol=1e-6)


def test_keras3_lambda_layer_is_refused(tmp_path):
    model = keras3.Sequential([keras3.Input((2,)), keras3.layers.Lambda(lambda t: t * 2.0, name="double")])
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(ValueError, match="lambda.keras.*Lambda.*'double'.*safe_mode=False"):
        load_model(tmp_path / "lambda.keras")


def test_keras3_functional_model(tmp_path, rng):
    inputs = keras3.Input((4,), name="features")
    hidden = keras3.layers.Dense(3, name="a")(inputs)
    merged = keras3.layers.Concatenate(name="join")([hidden, inputs])
    outputs = keras3.layers.Dense(1, name="b")(merged)
    original = keras3.Model(inputs, outputs)
    original.save(tmp_path / "functional.keras")
    x = rng.normal(size=(5, 4)).astype("float32")
    with pytest.warns(UserWarning, match="not\\* compiled"):
        model = load_model(tmp_path / "functional.keras")
    assert type(model).__name__ == "Functional"
    np.testing.assert_allclose(model(x), np.asarray(original(x)), rtol=1e-6, atol=1e-7)

    saved = json.loads(json.dumps(keras3.saving.serialize_keras_object(original)))  # as config.json holds it
    converted = keras3_config.to_jeras(saved)
    assert converted["class_name"] == "Functional" and "module" not in converted
    config = converted["config"]
    layers = {layer["name"]: layer for layer in config["layers"]}
    assert config["input_layers"] == [["features", 0, 0]]
    assert config["output_layers"] == [["b", 0, 0]]
    assert layers["features"]["config"] == {"batch_input_shape": [None, 4], "dtype": "float32", "name": "features"}
    assert layers["a"]["inbound_nodes"] == [[["features", 0, 0, {}]]]
    assert layers["join"]["inbound_nodes"] == [[["a", 0, 0, {}], ["features", 0, 0, {}]]]
    assert layers["a"]["config"]["dtype"] == "float32"
    assert layers["a"]["config"]["kernel_initializer"] == {"class_name": "GlorotUniform", "config": {"seed": None}}
    assert "quantization_config" not in layers["a"]["config"] and "module" not in layers["a"]


def test_tf_keras2_hdf5_model_file(tmp_path, rng):
    """The layout of `tf.keras` 2.x `model.save("m.h5")`: ':0' weight names, byte-string attributes."""
    kernel, bias = rng.normal(size=(4, 2)).astype("float32"), rng.normal(size=(2,)).astype("float32")
    dense = {
        "name": "dense",
        "trainable": True,
        "dtype": "float32",
        "units": 2,
        "activation": "softmax",
        "use_bias": True,
        "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": None,
        "bias_regularizer": None,
        "activity_regularizer": None,
        "kernel_constraint": None,
        "bias_constraint": None,
    }
    inputs = {"batch_input_shape": [None, 4], "dtype": "float32", "sparse": False, "ragged": False, "name": "input_1"}
    config = {
        "class_name": "Sequential",
        "config": {
            "name": "sequential",
            "layers": [{"class_name": "InputLayer", "config": inputs}, {"class_name": "Dense", "config": dense}],
        },
    }
    training = {
        "loss": "categorical_crossentropy",
        "metrics": ["accuracy"],
        "weighted_metrics": None,
        "loss_weights": None,
        "optimizer_config": {"class_name": "Adam", "config": {"name": "Adam", "learning_rate": 0.002, "decay": 0.0}},
    }
    with h5py.File(tmp_path / "tf2.h5", "w") as f:
        f.attrs["keras_version"] = b"2.11.0"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(config).encode()
        f.attrs["training_config"] = json.dumps(training).encode()
        weights = f.create_group("model_weights")
        weights.attrs["layer_names"] = np.array([b"dense"])
        group = weights.create_group("dense")
        group.attrs["weight_names"] = np.array([b"dense/kernel:0", b"dense/bias:0"])
        group.create_dataset("dense/kernel:0", data=kernel)
        group.create_dataset("dense/bias:0", data=bias)
    model = load_model(tmp_path / "tf2.h5")
    x = rng.normal(size=(3, 4)).astype("float32")
    logits = x @ kernel + bias
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model(x), expected, rtol=1e-5)
    assert model.optimizer.learning_rate == pytest.approx(0.002)
    assert model.metrics_names == []  # metrics are resolved at the first fit/evaluate
    y = np.eye(2)[[0, 1, 1]]
    assert model.evaluate(x, y, verbose=0, return_dict=True)["accuracy"] == pytest.approx(
        np.mean(expected.argmax(1) == np.array([0, 1, 1]))
    )
