"""Configs and arguments are checked before any weight is allocated or any step runs.

Issue 12, point 3: an unknown class, a missing key, a wrong type, or a size beyond a limit (the
weights a file stores, or `$JERAS_MAX_CONFIG_WEIGHTS` for a config alone) give a clear error that
names the layer and the field; values the model's dtype cannot hold, bad class weights, complex
inputs, and callback paths and templates are refused before the first step; pandas nullable
dtypes without missing values are accepted.
"""

import json
import time

import h5py
import numpy as np
import pandas as pd
import pytest

from jeras import keras
from jeras.backend.allocation import WeightLimitError
from jeras.serialization import ConfigError


def _model():
    model = keras.Sequential([keras.layers.Dense(10, input_shape=[4]), keras.layers.Dense(3, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    return model


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(20, 4)).astype("float32"), np.arange(20) % 3


def _tampered(units):
    config = json.loads(_model().to_json())
    config["config"]["layers"][1]["config"]["units"] = units
    return json.dumps(config)


def _untouched(model):
    """The weights as they are, to compare after a refused call."""
    return [w.copy() for w in model.get_weights()]


# ---------------------------------------------------------------------- configs
def test_a_huge_size_in_a_config_alone_stops_at_the_limit_before_allocating():
    start = time.monotonic()
    with pytest.raises(ConfigError) as info:
        keras.models.model_from_json(_tampered(10**12))
    assert isinstance(info.value.__cause__, WeightLimitError)
    assert time.monotonic() - start < 5
    message = str(info.value)
    assert "Layer 'dense' (Dense)" in message and "units=1000000000000" in message
    assert "1,073,741,824" in message and "JERAS_MAX_CONFIG_WEIGHTS" in message  # the limit and how to lift it


def test_the_limit_can_be_lifted_and_lowered_by_the_environment(monkeypatch):
    monkeypatch.setenv("JERAS_MAX_CONFIG_WEIGHTS", "50")
    with pytest.raises(ConfigError, match="beyond the limit of 50 weight values"):
        keras.models.model_from_json(_model().to_json())  # 83 values
    monkeypatch.setenv("JERAS_MAX_CONFIG_WEIGHTS", "1000")
    assert keras.models.model_from_json(_model().to_json()).count_params() == 83


def _plain_copy_with_config(source, target, change):
    """An HDF5 copy of a saved model written by plain h5py (no seal), its config edited by `change`."""
    with h5py.File(source, "r") as old, h5py.File(target, "w") as new:
        for key, value in old.attrs.items():
            new.attrs[key] = value
        for name in old:
            old.copy(name, new)
        config = json.loads(new.attrs["model_config"])
        change(config)
        new.attrs["model_config"] = json.dumps(config)


def test_a_file_whose_config_outgrows_its_stored_weights_fails_fast_naming_the_layer(tmp_path):
    model = _model()
    model.fit(*_data(), epochs=1, verbose=0)
    model.save(tmp_path / "m.h5")

    def widen(config):
        config["config"]["layers"][1]["config"]["units"] = 10**8  # 400M values: 1.6 GB if allocated

    _plain_copy_with_config(tmp_path / "m.h5", tmp_path / "tampered.h5", widen)
    start = time.monotonic()
    with pytest.raises(ConfigError) as info:
        keras.models.load_model(tmp_path / "tampered.h5")
    assert str(tmp_path / "tampered.h5") in str(info.value)
    assert time.monotonic() - start < 10
    message = str(info.value)
    assert "Layer 'dense' (Dense)" in message and "units=100000000" in message
    assert "stores 83 weight values" in message and "load_weights()" in message
    # The untampered plain copy loads and predicts as the original.
    _plain_copy_with_config(tmp_path / "m.h5", tmp_path / "plain.h5", lambda config: None)
    x, _ = _data()
    np.testing.assert_allclose(
        keras.models.load_model(tmp_path / "plain.h5").predict(x, verbose=0), model.predict(x, verbose=0)
    )


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda layer: layer.update(class_name="Dense2"), r"Unknown layer class: 'Dense2'"),
        (lambda layer: layer["config"].pop("units"), r"layer 'dense' \(Dense\).*'units'"),
        (
            lambda layer: layer["config"].update(units="ten"),
            r"layer 'dense' \(Dense\): units must be a positive integer",
        ),
        (lambda layer: layer["config"].update(units=-3), r"layer 'dense' \(Dense\): units must be a positive integer"),
        (lambda layer: layer["config"].update(activation=7), r"layer 'dense' \(Dense\).*activation"),
        (
            lambda layer: layer.update(config=[1, 2]),
            r"\['layers'\]\[1\]\['config'\] must be a dict of the settings of Dense",
        ),
    ],
    ids=["unknown class", "missing key", "wrong type", "negative size", "activation not a name", "config not a dict"],
)
def test_a_damaged_config_names_the_layer_and_the_field(change, match):
    config = json.loads(_model().to_json())
    change(config["config"]["layers"][1])
    with pytest.raises(ConfigError, match=match):
        keras.models.model_from_json(json.dumps(config))


# ---------------------------------------------------------------------- arguments of fit
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"x": np.full((20, 4), 1e300)}, ValueError, r"x holds values up to 1e\+300, beyond the range of float32"),
        ({"x": np.ones((20, 4)) + 1j}, TypeError, r"x must hold real numbers.*complex"),
        ({"class_weight": {0: -1.0, 1: 1.0, 2: 1.0}}, ValueError, r"non-negative.*class_weight\[0\]=-1"),
        ({"class_weight": {0: "a"}}, ValueError, r"class_weight\[0\]='a'"),
        ({"class_weight": {0: 1.0, 7: 1.0}}, ValueError, r"class_weight names class 7, but the model has 3 classes"),
        ({"class_weight": {0: float("nan")}}, ValueError, r"class_weight\[0\]=nan"),
    ],
    ids=["beyond float32", "complex", "negative class weight", "text class weight", "unknown class", "NaN weight"],
)
def test_values_the_model_cannot_use_are_refused_before_training(kwargs, error, match):
    model = _model()
    x, y = _data()
    model.build((None, 4))
    before = _untouched(model)
    with pytest.raises(error, match=match):
        model.fit(**{"x": x, "y": y, "verbose": 0, **kwargs})
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)
    assert int(np.asarray(model.optimizer.iterations)) == 0


def test_pandas_nullable_dtypes_without_missing_values_are_accepted():
    x, y = _data()
    frame = pd.DataFrame(x).astype("Float64")
    ours, reference = _model(), _model()
    reference.set_weights(ours.get_weights())
    ours.fit(frame, pd.Series(y, dtype="Int64"), epochs=2, shuffle=False, verbose=0)
    reference.fit(x, y, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    missing = frame.copy()
    missing.iloc[3, 1] = pd.NA
    with pytest.raises(ValueError, match=r"x contains 1 NaN or infinite value"):
        _model().fit(missing, y, verbose=0)


# ---------------------------------------------------------------------- callback paths and templates
@pytest.fixture
def in_the_way(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    return tmp_path


@pytest.mark.parametrize(
    "make, error, match",
    [
        (
            lambda d: keras.callbacks.ModelCheckpoint(str(d / "m-{val_nope:.2f}.h5")),
            ValueError,
            r"ModelCheckpoint's filepath names val_nope, which this fit will not log",
        ),
        (lambda d: keras.callbacks.ModelCheckpoint(str(d / "file" / "m.h5")), NotADirectoryError, r"is a file"),
        (lambda d: keras.callbacks.BackupAndRestore(str(d / "file")), NotADirectoryError, r"backup_dir="),
        (lambda d: keras.callbacks.CSVLogger(str(d / "file" / "log.csv")), NotADirectoryError, r"is a file"),
    ],
    ids=["template names a missing metric", "checkpoint under a file", "backup_dir is a file", "log under a file"],
)
def test_callback_paths_are_checked_before_the_first_step(in_the_way, make, error, match):
    model = _model()
    x, y = _data()
    model.build((None, 4))
    before = _untouched(model)
    with pytest.raises(error, match=match):
        model.fit(x, y, epochs=2, verbose=0, callbacks=[make(in_the_way)])
    assert int(np.asarray(model.optimizer.iterations)) == 0
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: keras.callbacks.CSVLogger(None), TypeError, r"filename must be a non-empty file path.*filename=None"),
        (lambda: keras.callbacks.TensorBoard(log_dir=123), TypeError, r"log_dir must be.*log_dir=123"),
        (lambda: keras.callbacks.ModelCheckpoint(""), (TypeError, ValueError), r"filepath"),
    ],
    ids=["CSVLogger(None)", "TensorBoard(123)", "empty checkpoint path"],
)
def test_callback_arguments_name_the_argument(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_callbacks_that_are_not_a_list_are_named():
    model = _model()
    with pytest.raises(TypeError, match=r"callbacks must be a list of Callback instances.*EarlyStopping"):
        model.fit(*_data(), verbose=0, callbacks=keras.callbacks.EarlyStopping())
