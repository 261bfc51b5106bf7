"""Data-parallel training (jeras.distribution, keras.distribute.MirroredStrategy) on 4 CPU devices.

XLA is told to show 4 host devices (`--xla_force_host_platform_device_count=4`), which must
happen before JAX starts, so the runs happen in one child process; it trains each model twice
from the same seed, on one device and data parallel on 4, and reports the differences. The
batch sizes (30, and a partial last batch) do not divide by 4.
"""

import contextlib
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

CHILD = textwrap.dedent(
    """
    import contextlib, json, os, sys, tempfile
    import numpy as np
    import jax
    from jeras import distribution, keras

    assert len(jax.devices()) == 4, jax.devices()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(203, 10)).astype("float32")
    y = rng.integers(0, 3, 203)
    out = {}

    def mlp():
        return keras.models.Sequential([
            keras.layers.Dense(16, activation="relu", input_shape=[10]),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(3, activation="softmax"),
        ])

    def bn_net():
        return keras.models.Sequential([
            keras.layers.Flatten(input_shape=[10]),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(16, activation="elu", kernel_initializer="he_normal"),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(3, activation="softmax"),
        ])

    def wide_deep():
        wide = keras.layers.Input(shape=[4]); deep = keras.layers.Input(shape=[6])
        h = keras.layers.Dense(8, activation="relu")(deep)
        main = keras.layers.Dense(1, name="main")(keras.layers.concatenate([wide, h]))
        aux = keras.layers.Dense(1, name="aux")(h)
        return keras.Model(inputs=[wide, deep], outputs=[main, aux])

    def run(build, dist, verbose, wd=False):
        keras.utils.set_random_seed(1)
        with distribution.scope(dist) if dist is not None else contextlib.nullcontext():
            model = build()
            if wd:
                model.compile(loss=["mse", "mse"], loss_weights=[0.9, 0.1], optimizer="sgd")
            else:
                model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
        inputs = [x[:, :4], x[:, 4:]] if wd else x
        targets = [x[:, :1], x[:, 1:2]] if wd else y
        history = model.fit(inputs, targets, epochs=3, batch_size=30, validation_split=0.2, verbose=verbose)
        return model, history.history, model.predict(inputs, verbose=0), model.evaluate(inputs, targets, verbose=0)

    def diff(a, b):
        a = a if isinstance(a, (list, tuple)) else [a]
        b = b if isinstance(b, (list, tuple)) else [b]
        return max(float(np.max(np.abs(np.asarray(p) - np.asarray(q)))) for p, q in zip(a, b))

    for name, build, wd in (("mlp", mlp, False), ("bn", bn_net, False), ("wide_deep", wide_deep, True)):
        for verbose, path in ((0, "whole-fit"), (2, "epochs")):
            one = run(build, None, verbose, wd)
            four = run(build, distribution.DataParallel(), verbose, wd)
            out[f"{name}/{path}"] = {
                "paths": [one[0].compile_stats["path"], four[0].compile_stats["path"]],
                "weights": diff(one[0].get_weights(), four[0].get_weights()),
                "history": max(diff(one[1][k], four[1][k]) for k in one[1]),
                "predict": diff(one[2], four[2]),
                "evaluate": diff(one[3], four[3]),
                "devices": len(four[0].weights[0].value.sharding.device_set),
            }

    strategy = keras.distribute.MirroredStrategy()
    out["replicas"] = strategy.num_replicas_in_sync
    keras.utils.set_random_seed(1)
    with strategy.scope():
        model = bn_net()
        model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    model.fit(x, y, epochs=2, batch_size=30, verbose=0)  # outside the scope, as tutorials do
    out["strategy_devices"] = len(model.weights[0].value.sharding.device_set)
    path = os.path.join(tempfile.mkdtemp(), "m.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    out["reload"] = diff(model.predict(x, verbose=0), restored.predict(x, verbose=0))
    restored.fit(x, y, epochs=1, batch_size=30, verbose=0)  # a reloaded model trains on one device
    out["two_devices"] = len(keras.distribute.MirroredStrategy(["/cpu:0", "CPU:1"]).distribution.devices)
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def child():
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4", "JAX_PLATFORMS": "cpu"}
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("model", ["mlp", "bn", "wide_deep"])
@pytest.mark.parametrize("path", ["whole-fit", "epochs"])
def test_four_devices_give_the_weights_of_one(child, model, path):
    r = child[f"{model}/{path}"]
    assert r["paths"] == [path, path]
    assert r["devices"] == 4  # the weights live on the 4-device mesh: the program ran on all of them
    for key in ("weights", "history", "predict", "evaluate"):
        assert r[key] < 1e-5, (key, r[key])


def test_mirrored_strategy_scope_saving_and_loading(child):
    assert child["replicas"] == 4
    assert child["strategy_devices"] == 4  # fit outside the scope still runs on the strategy's devices
    assert child["reload"] < 1e-6
    assert child["two_devices"] == 2


def test_bad_arguments_are_refused_clearly():
    from jeras import distribution, keras

    with pytest.raises(ValueError, match="at least one device"):
        distribution.DataParallel([])
    with pytest.raises(ValueError, match="no device has: 99"):
        distribution.DataParallel([99])
    with pytest.raises(TypeError, match="expects a DataParallel or None. Received: str"):
        distribution.set_distribution("mirrored")
    with pytest.raises(ValueError, match="cannot read the device name 'gpu0'"):
        keras.distribute.MirroredStrategy(["gpu0"])
    with pytest.raises(ValueError, match=r"has \d+ cpu device\(s\)"):
        keras.distribute.MirroredStrategy(["/cpu:7"])
    assert keras.distribute.get_strategy().num_replicas_in_sync == 1


def test_one_device_is_the_same_code_path():
    from jeras import distribution, keras

    x = np.random.default_rng(0).normal(size=(50, 3)).astype("float32")
    weights = []
    for dist in (None, distribution.DataParallel()):
        keras.utils.set_random_seed(3)
        with distribution.scope(dist) if dist is not None else contextlib.nullcontext():
            model = keras.Sequential([keras.layers.Dense(2, input_shape=[3])])
            model.compile(loss="mse", optimizer="sgd")
        model.fit(x, x[:, :2], epochs=2, batch_size=8, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)


PROCESS = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from jeras import distribution, keras  # importing jeras starts no backend: initialize comes first

    process_id, port = int(sys.argv[1]), sys.argv[2]
    if process_id >= 0:
        distribution.initialize(f"127.0.0.1:{port}", num_processes=2, process_id=process_id)
    import jax

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 10)).astype("float32")
    y = rng.integers(0, 3, 200)
    out = {"devices": len(jax.devices())}
    # Every process passes the whole arrays; then each passes only its half (per_process_data),
    # the second on the epoch-by-epoch path (verbose=2).
    for name, shards, verbose in (("whole", False, 0), ("shards", process_id >= 0, 2)):
        rows = slice(process_id * 100, process_id * 100 + 100) if shards else slice(None)
        keras.utils.set_random_seed(1)
        with distribution.scope(distribution.DataParallel(jax.devices(), per_process_data=shards)):
            model = keras.models.Sequential([
                keras.layers.Dense(16, activation="relu", input_shape=[10]),
                keras.layers.BatchNormalization(),
                keras.layers.Dense(3, activation="softmax"),
            ])
            model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
        model.fit(x[rows], y[rows], epochs=2, batch_size=30, verbose=verbose, validation_data=(x[:20], y[:20]))
        out[name] = [np.asarray(w).tolist() for w in model.get_weights()]
    print(json.dumps(out))
    """
)


def test_two_processes_end_with_identical_weights_equal_to_one_process():
    # Two processes on 127.0.0.1 (gloo), each fed the whole data or only its half.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    env.pop("XLA_FLAGS", None)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", PROCESS, str(i), port],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in (0, 1)
    ]
    single = subprocess.run(
        [sys.executable, "-c", PROCESS, "-1", port], env=env, capture_output=True, text=True, timeout=300
    )
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert single.returncode == 0, single.stderr[-3000:]
    alone = json.loads(single.stdout.strip().splitlines()[-1])
    assert [r["devices"] for r in results] == [2, 2] and alone["devices"] == 1
    for name in ("whole", "shards"):
        for a, b, c in zip(results[0][name], results[1][name], alone["whole"]):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
            np.testing.assert_allclose(np.asarray(a), np.asarray(c), atol=1e-5)


def test_initialize_checks_its_arguments():
    from jeras import distribution

    with pytest.raises(ValueError, match="num_processes must be a whole number. Received: num_processes='two'"):
        distribution.initialize("127.0.0.1:1", num_processes="two", process_id=0)
    with pytest.raises(ValueError, match=r"process_id must be in \[0, num_processes\)"):
        distribution.initialize("127.0.0.1:1", num_processes=2, process_id=2)
