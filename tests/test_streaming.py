"""Streaming input (jeras.training.streaming, jeras.data.Dataset): fit, evaluate and predict over
datasets, Sequences, generators and memory-mapped arrays give the numbers of the same batches
given as arrays; errors are clear; `Dataset` behaves as tf.data's."""

import warnings

import numpy as np
import pytest

from jeras import keras
from jeras.data import INFINITE, UNKNOWN, Dataset
from jeras.training.streaming import read_rows

RNG = np.random.default_rng(0)
X = RNG.normal(size=(200, 5)).astype("float32")
Y = (X.sum(1) > 0).astype("int32")


def _model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.layers.Dense(8, activation="relu", input_shape=[5]), keras.layers.Dense(2, activation="softmax")]
    )
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    return model


class Batches(keras.utils.Sequence):
    """A Sequence as tutorials write one; records the batches asked for and the epoch ends."""

    def __init__(self, x, y, batch_size=32):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size
        self.asked, self.epoch_ends = [], 0

    def __len__(self):
        return int(np.ceil(len(self.x) / self.batch_size))

    def __getitem__(self, i):
        self.asked.append(i)
        rows = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.x[rows], self.y[rows]

    def on_epoch_end(self):
        self.epoch_ends += 1


def _generator():
    while True:
        for i in range(7):
            yield X[i * 32 : (i + 1) * 32], Y[i * 32 : (i + 1) * 32]


@pytest.fixture(scope="module")
def reference():
    model = _model()
    history = model.fit(X, Y, batch_size=32, epochs=3, shuffle=False, verbose=0, validation_data=(X[:50], Y[:50]))
    return model, history.history


def _memmap(tmp_path, array):
    path = tmp_path / "x.npy"
    np.save(path, array)
    return np.load(path, mmap_mode="r")


@pytest.mark.parametrize("kind", ["dataset", "sequence", "generator", "memmap"])
def test_every_kind_of_stream_trains_like_the_same_arrays(kind, reference, tmp_path):
    model = _model()
    val = (X[:50], Y[:50])
    if kind == "dataset":
        history = model.fit(
            Dataset.from_tensor_slices((X, Y)).batch(32),
            epochs=3,
            verbose=0,
            validation_data=Dataset.from_tensor_slices(val).batch(32),
        )
    elif kind == "sequence":
        history = model.fit(Batches(X, Y), epochs=3, shuffle=False, verbose=0, validation_data=val)
    elif kind == "generator":
        history = model.fit(_generator(), steps_per_epoch=7, epochs=3, verbose=0, validation_data=val)
    else:
        history = model.fit(
            _memmap(tmp_path, X), Y, batch_size=32, epochs=3, shuffle=False, verbose=0, validation_data=val
        )
    assert model.compile_stats["path"] == "epochs" and "streamed" in model.compile_stats["reason"]
    expected_model, expected = reference
    for ours, theirs in zip(model.get_weights(), expected_model.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)
    assert set(history.history) == set(expected)
    for key in expected:
        np.testing.assert_allclose(history.history[key], expected[key], rtol=1e-5, err_msg=key)


def test_evaluate_and_predict_take_streams(reference, tmp_path):
    model = reference[0]
    expected = model.evaluate(X, Y, verbose=0)
    np.testing.assert_allclose(
        model.evaluate(Dataset.from_tensor_slices((X, Y)).batch(64), verbose=0), expected, rtol=1e-6
    )
    np.testing.assert_allclose(model.evaluate(Batches(X, Y, 50), verbose=0), expected, rtol=1e-6)
    probabilities = model.predict(X, verbose=0)
    np.testing.assert_allclose(
        model.predict(Dataset.from_tensor_slices(X).batch(64), verbose=0), probabilities, rtol=1e-6
    )
    np.testing.assert_allclose(model.predict(_memmap(tmp_path, X), batch_size=64, verbose=0), probabilities, rtol=1e-6)
    np.testing.assert_allclose(model.predict(_generator(), steps=2, verbose=0), probabilities[:64], rtol=1e-6)


def test_sequence_order_epoch_end_and_batch_callbacks():
    sequence = Batches(X, Y)
    seen = []
    counter = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append((batch, logs["loss"])))
    _model().fit(sequence, epochs=2, verbose=0, callbacks=[counter])
    assert sequence.epoch_ends == 2
    first, second = sequence.asked[1:8], sequence.asked[8:]  # asked[0] is the check before any step
    assert sorted(first) == sorted(second) == list(range(7)) and first != list(range(7))  # shuffled each epoch
    assert [b for b, _ in seen] == list(range(7)) * 2 and all(np.isfinite(v) for _, v in seen)


def test_a_generator_that_ends_stops_training_with_a_warning():
    batches = ((X[i * 50 : (i + 1) * 50], Y[i * 50 : (i + 1) * 50]) for i in range(4))
    with pytest.warns(UserWarning, match="ran out of data at epoch 2"):
        history = _model().fit(batches, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 1


def test_bad_streams_are_refused_clearly():
    model = _model()
    with pytest.raises(ValueError, match="repeats forever: pass steps_per_epoch"):
        model.fit(Dataset.from_tensor_slices((X, Y)).batch(32).repeat(), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="`y` must not be given when x is a dataset"):
        model.fit(Dataset.from_tensor_slices((X, Y)).batch(32), Y, verbose=0)
    with pytest.raises(ValueError, match="validation_split needs in-memory arrays; x is a generator"):
        model.fit(_generator(), steps_per_epoch=2, validation_split=0.2, verbose=0)
    with pytest.raises(ValueError, match="x gave no batch"):
        model.fit(Dataset.from_tensor_slices((X, Y)).batch(32).take(0), verbose=0)
    with pytest.raises(ValueError, match="Each batch of x must be x, \\(x,\\), \\(x, y\\)"):
        model.fit(iter([(X, Y, None, None)]), verbose=0)


def test_a_bad_batch_mid_stream_raises_and_leaves_the_last_completed_weights():
    model = _model()
    bad = X.copy()
    bad[100] = np.nan
    sequence = Batches(bad, Y)
    weights = []
    keep = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: weights.append(model.get_weights()))
    with pytest.raises(ValueError, match="NaN"):
        model.fit(sequence, epochs=1, shuffle=False, verbose=0, callbacks=[keep])
    assert len(weights) == 3  # batches 0-2 trained; batch 3 holds the NaN
    for ours, theirs in zip(model.get_weights(), weights[-1]):
        np.testing.assert_array_equal(ours, theirs)


def test_memmap_rows_are_read_without_mapping_them(tmp_path):
    big = RNG.random((1000, 7, 3)).astype("float32")
    mapped = _memmap(tmp_path, big)
    rows = np.unique(np.r_[RNG.choice(1000, 60, replace=False), np.arange(500, 510)])
    np.testing.assert_array_equal(read_rows(mapped, rows), big[rows])
    np.testing.assert_array_equal(read_rows(mapped[10:], np.arange(5)), big[10:15])  # a view: plain indexing


def test_dataset_transformations_follow_tf_data():
    ds = Dataset.range(10)
    assert [int(v) for v in ds.map(lambda v: v * 2).filter(lambda v: v % 3 == 0)] == [0, 6, 12, 18]
    assert [b.tolist() for b in ds.batch(4)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert ds.batch(4).cardinality() == 3 and ds.batch(4, drop_remainder=True).cardinality() == 2
    assert ds.repeat().cardinality() == INFINITE and ds.filter(lambda v: True).cardinality() == UNKNOWN
    assert [int(v) for v in ds.repeat(2).skip(8).take(4)] == [8, 9, 0, 1]
    shuffled = ds.shuffle(10, seed=3)
    first, second = [int(v) for v in shuffled], [int(v) for v in shuffled]
    assert sorted(first) == list(range(10)) and first != second  # reshuffled each iteration
    assert first == [int(v) for v in Dataset.range(10).shuffle(10, seed=3)]  # reproducible with a seed
    assert [int(v) for v in ds.shuffle(10, seed=3, reshuffle_each_iteration=False)] == [
        int(v) for v in ds.shuffle(10, seed=3, reshuffle_each_iteration=False)
    ]
    pairs = list(Dataset.from_tensor_slices({"a": np.arange(3), "b": np.ones((3, 2))}).batch(2))
    assert pairs[0]["a"].tolist() == [0, 1] and pairs[1]["b"].shape == (1, 2)
    assert [int(v) for v in ds.prefetch(2)] == list(range(10))

    def broken(v):
        if v == 4:
            raise RuntimeError("bad element 4")
        return v

    with pytest.raises(RuntimeError, match="bad element 4"):
        list(ds.map(broken).prefetch(2))
    with pytest.raises(ValueError, match="same number of rows"):
        Dataset.from_tensor_slices((np.ones(3), np.ones(4)))
    with pytest.raises(ValueError, match="buffer_size >= 1"):
        ds.shuffle(0)
    with pytest.raises(TypeError, match="batch_size must be an integer"):
        ds.batch("32")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(ds.cache()) == 10


def test_image_dataset_from_directory_trains_evaluates_and_predicts(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for label in ("cat", "dog"):
        (tmp_path / label).mkdir()
        for i in range(6):
            plt.imsave(tmp_path / label / f"{i}.png", RNG.random((8, 8, 3)))
    ds = keras.utils.image_dataset_from_directory(tmp_path, image_size=(8, 8), batch_size=4, seed=1)
    model = keras.Sequential(
        [keras.layers.Rescaling(1 / 255, input_shape=(8, 8, 3)), keras.layers.Flatten(), keras.layers.Dense(2)]
    )
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), optimizer="adam")
    history = model.fit(ds, epochs=2, validation_data=ds, verbose=0)
    assert history.params["steps"] == 3 and len(history.history["val_loss"]) == 2
    assert np.isclose(model.evaluate(ds, verbose=0), history.history["val_loss"][-1], rtol=1e-5)
    assert model.predict(ds, verbose=0).shape == (12, 2)


def test_a_learning_rate_set_in_a_batch_hook_applies_to_the_next_streamed_step():
    rates = []

    class Halve(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            keras.backend.set_value(self.model.optimizer.learning_rate, 0.1 / 2**batch)

        def on_train_batch_end(self, batch, logs=None):
            rates.append(float(keras.backend.get_value(self.model.optimizer.learning_rate)))

    streamed, arrays = _model(), _model()
    streamed.fit(Batches(X, Y), epochs=1, shuffle=False, verbose=0, callbacks=[Halve()])
    arrays.fit(X, Y, batch_size=32, epochs=1, shuffle=False, verbose=0, callbacks=[Halve()])
    np.testing.assert_allclose(rates[:7], [0.1 / 2**b for b in range(7)], rtol=1e-6)
    for a, b in zip(streamed.get_weights(), arrays.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
