"""TensorBoard: the event files are read back with TensorBoard's own reader."""

import glob
import json
import os

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.graph import keras_util

from jeras import keras


def _data(n=60, dim=5, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, dim)).astype("float32"), rng.integers(0, classes, n)


def _compiled():
    model = keras.models.Sequential(
        [keras.layers.Dense(8, activation="relu", input_shape=[5]), keras.layers.Dense(3, activation="softmax")]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def _events(directory):
    accumulator = EventAccumulator(str(directory), size_guidance={"scalars": 0, "histograms": 0, "tensors": 0})
    accumulator.Reload()
    return accumulator


def _scalars(accumulator, tag):
    return [(event.step, event.value) for event in accumulator.Scalars(tag)]


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batch_logs, self.weights, self.iterations = [], [], []

    def on_train_batch_end(self, batch, logs=None):
        self.batch_logs.append(dict(logs))

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append({v.path: v.numpy() for v in self.model.weights})
        self.iterations.append(self.model.optimizer.iterations)


def test_epoch_and_batch_scalars_histograms_and_graph(tmp_path):
    x, y = _data()
    model = _compiled()
    recorder = Recorder()
    board = keras.callbacks.TensorBoard(log_dir=tmp_path, histogram_freq=2, update_freq=2)
    history = model.fit(
        x, y, epochs=3, batch_size=10, validation_data=(x[:20], y[:20]), verbose=0, callbacks=[recorder, board]
    )
    assert sorted(os.listdir(tmp_path)) == ["train", "validation"]
    train, validation = _events(tmp_path / "train"), _events(tmp_path / "validation")

    for name in ("loss", "accuracy"):
        expected = [(epoch, pytest.approx(v)) for epoch, v in enumerate(history.history[name])]
        assert _scalars(train, f"epoch_{name}") == expected
        expected_val = [(epoch, pytest.approx(v)) for epoch, v in enumerate(history.history[f"val_{name}"])]
        assert _scalars(validation, f"epoch_{name}") == expected_val
        assert [s for s, _ in _scalars(validation, f"evaluation_{name}_vs_iterations")] == recorder.iterations
    assert _scalars(train, "epoch_learning_rate") == [(e, pytest.approx(0.1)) for e in range(3)]

    # update_freq=2: every second of the 18 batches, at the global batch number.
    batch_loss = _scalars(train, "batch_loss")
    assert [step for step, _ in batch_loss] == list(range(2, 19, 2))
    assert [v for _, v in batch_loss] == pytest.approx([logs["loss"] for logs in recorder.batch_logs[1::2]])
    assert "batch_accuracy" in train.Tags()["scalars"]

    # histogram_freq=2: epochs 0 and 2, one histogram per weight, of the weights at that epoch's end.
    tags = train.Tags()["histograms"]
    assert sorted(tags) == ["dense/bias_0", "dense/kernel_0", "dense_1/bias_0", "dense_1/kernel_0"]
    events = train.Histograms("dense/kernel_0")
    assert [e.step for e in events] == [0, 2]
    for event in events:
        kernel = recorder.weights[event.step]["dense/kernel"]
        hist = event.histogram_value
        assert hist.num == kernel.size
        assert (hist.min, hist.max) == pytest.approx((kernel.min(), kernel.max()))
        assert hist.sum == pytest.approx(kernel.sum(), abs=1e-5)

    # The graph: the model's JSON under the Graphs plugin's tag, which its converter reads.
    (graph_event,) = train.Tensors("keras")
    config = json.loads(graph_event.tensor_proto.string_val[0])
    assert config["class_name"] == "Sequential"
    graph = keras_util.keras_model_to_graph_def(config)
    assert {"dense", "dense_1"} <= {node.name.split("/")[-1] for node in graph.node}


def test_epoch_update_freq_writes_no_batch_scalars_and_needs_no_batch_logs(tmp_path):
    from jeras.callbacks.callback import overrides_batch_hooks

    board = keras.callbacks.TensorBoard(log_dir=tmp_path, write_graph=False)
    assert not overrides_batch_hooks(board, "train")
    x, y = _data()
    model = _compiled()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[board])
    model.fit(x, y, epochs=1, verbose=0, callbacks=[board])  # a second fit adds a second event file
    assert sorted(os.listdir(tmp_path)) == ["train"]
    train = _events(tmp_path / "train")
    assert sorted(train.Tags()["scalars"]) == ["epoch_accuracy", "epoch_learning_rate", "epoch_loss"]
    assert [s for s, _ in _scalars(train, "epoch_loss")] == [0, 1, 0]
    assert "keras" not in train.Tags()["tensors"]  # write_graph=False


def test_images_embeddings_and_steps_per_second(tmp_path):
    pytest.importorskip("PIL")
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 10, size=(40, 4))
    labels = rng.integers(0, 2, 40)
    model = keras.models.Sequential(
        [
            keras.layers.Embedding(10, 3, input_length=4, name="words"),
            keras.layers.Flatten(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    (tmp_path / "labels.tsv").write_text("".join(f"word{i}\n" for i in range(10)))
    board = keras.callbacks.TensorBoard(
        log_dir=tmp_path,
        histogram_freq=1,
        write_images=True,
        write_steps_per_second=True,
        embeddings_freq=1,
        embeddings_metadata={"words": "labels.tsv"},
        write_graph=False,
    )
    model.fit(tokens, labels, epochs=1, verbose=0, callbacks=[board])
    train = _events(tmp_path / "train")
    images = train.Tags()["images"]
    assert "dense/kernel_0/image" in images and "words/embeddings_0/image" in images
    image = train.Images("dense/kernel_0/image")[0]
    assert (image.height, image.width) == (2, 12)  # the [12, 2] kernel with its long side horizontal
    assert _scalars(train, "epoch_steps_per_second")[0][1] > 0
    projector = (tmp_path / "train" / "projector_config.pbtxt").read_text()
    assert 'tensor_name: "words:00000"' in projector
    (tensor_file,) = glob.glob(str(tmp_path / "train" / "00000" / "words" / "tensors.tsv"))
    written = np.loadtxt(tensor_file, delimiter="\t")
    np.testing.assert_allclose(written, model.get_layer("words").embeddings.numpy(), rtol=1e-5)
    metadata = glob.glob(str(tmp_path / "train" / "00000" / "words" / "metadata.tsv"))
    assert metadata and open(metadata[0]).read().split() == [f"word{i}" for i in range(10)]


def test_profile_batch_writes_a_trace(tmp_path):
    x, y = _data(n=100)
    model = _compiled()
    board = keras.callbacks.TensorBoard(log_dir=tmp_path, profile_batch=(4, 5), write_graph=False)
    model.fit(x, y, epochs=1, batch_size=10, verbose=0, callbacks=[board])
    assert not board._tracing and board._profiled
    assert glob.glob(str(tmp_path / "train" / "plugins" / "profile" / "*" / "*.xplane.pb"))


def test_profile_window_covers_the_chunks_of_the_requested_batches(tmp_path, monkeypatch):
    import jax

    x, y = _data(n=1000)
    model = _compiled()
    board = keras.callbacks.TensorBoard(log_dir=tmp_path, profile_batch=(10, 13), write_graph=False)
    events = []
    monkeypatch.setattr(jax.profiler, "start_trace", lambda log_dir: events.append(("start", board._batches, log_dir)))
    monkeypatch.setattr(jax.profiler, "stop_trace", lambda: events.append(("stop", board._batches)))
    model.fit(x, y, epochs=1, batch_size=10, verbose=0, callbacks=[board])
    # 100 batches run in chunks of 4: the trace runs from the end of batch 8 to the end of batch 16.
    assert events == [("start", 8, os.path.join(str(tmp_path), "train")), ("stop", 16)]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"update_freq": "step"}, "Received: update_freq='step'"),
        ({"update_freq": 0}, "Received: update_freq=0"),
        ({"profile_batch": (5, 2)}, r"Received: profile_batch=\(5, 2\)"),
        ({"profile_batch": "a,b"}, "Received: profile_batch='a,b'"),
        ({"histogram_freq": -1}, "Received: histogram_freq=-1"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        keras.callbacks.TensorBoard(**kwargs)


def test_profile_batch_forms():
    from jeras.callbacks.tensorboard import _check_profile_batch

    assert _check_profile_batch(0) is None
    assert _check_profile_batch(3) == (3, 3)
    assert _check_profile_batch("2,4") == (2, 4)
    assert _check_profile_batch([1, 2]) == (1, 2)
