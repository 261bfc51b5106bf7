"""Compute-bound models: the classic Fashion-MNIST convnet and a ResNet-style block stack on CIFAR shapes.

Usage: python benchmarks/convnet.py [--jobs convnet resnet] [--epochs 4] [--repeats 1] [--out FILE.json]

Each engine runs in its own process: jeras, Keras 3 (JAX backend), a hand-written JAX step
(`jax_step`: one jitted step called from Python per batch, as Keras 3 runs), a hand-written JAX
epoch (`jax_scan`: the same step inside one `lax.scan`, with JAX's own convolution gradient), and
PyTorch and tf.keras when installed. Prints seconds per epoch: the median and min-max of the
epochs after the first (which includes compilation) over every repeat, and jeras' ratios.

- convnet: Conv2D 32 3x3 relu, MaxPooling 2x2, Conv2D 64 3x3 relu, MaxPooling 2x2, Flatten,
  Dropout 0.5, Dense 10 softmax; Adam, categorical crossentropy, batch 128, validation_split
  0.1, on the first 7,000 real Fashion-MNIST training images of ../shared/datasets.
- resnet: Conv 3x3 32 + BN + relu, two residual blocks (Conv-BN-relu-Conv-BN, add, relu), a
  strided Conv 64 + BN + relu, one residual block at 64, global average pooling, Dense 10;
  Adam, sparse categorical crossentropy, batch 64, on 2,048 random 32x32x3 images.

Targets (issue 11): jeras <= 0.75x Keras 3 on both. What made the difference is written down
in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "datasets" / "fashion_mnist"
ROWS = {"convnet": 7000, "resnet": 2048}
BATCH = {"convnet": 128, "resnet": 64}


def fashion_mnist(rows: int):
    with gzip.open(DATA / "train-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(DATA / "train-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    n = min(rows, len(images), len(labels))
    return (images[:n, :, :, None] / 255.0).astype(np.float32), labels[:n].astype(np.int32)


def cifar_shaped(rows: int):
    rng = np.random.default_rng(0)
    return rng.random((rows, 32, 32, 3), dtype=np.float32), rng.integers(0, 10, rows).astype(np.int32)


def keras_model(keras, job: str):
    layers = keras.layers
    if job == "convnet":
        model = keras.Sequential(
            [
                keras.Input((28, 28, 1)),
                layers.Conv2D(32, 3, activation="relu"),
                layers.MaxPooling2D(2),
                layers.Conv2D(64, 3, activation="relu"),
                layers.MaxPooling2D(2),
                layers.Flatten(),
                layers.Dropout(0.5),
                layers.Dense(10, activation="softmax"),
            ]
        )
        model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
        return model

    def conv_bn(x, filters, strides=1, relu=True):
        x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        return layers.Activation("relu")(x) if relu else x

    def block(x, filters):
        y = conv_bn(conv_bn(x, filters), filters, relu=False)
        return layers.Activation("relu")(layers.Add()([x, y]))

    inputs = keras.Input((32, 32, 3))
    x = block(block(conv_bn(inputs, 32), 32), 32)
    x = block(conv_bn(x, 64, strides=2), 64)
    outputs = layers.Dense(10, activation="softmax")(layers.GlobalAveragePooling2D()(x))
    model = keras.Model(inputs, outputs)
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def run_keras(engine: str, job: str, epochs: int) -> dict:
    if engine == "jeras":
        from jeras import keras
    else:
        os.environ["KERAS_BACKEND"] = "jax" if engine == "keras_jax" else "tensorflow"
        if engine == "tfkeras":
            import tensorflow.keras as keras  # noqa: PLR0402
        else:
            import keras
    x, y = fashion_mnist(ROWS[job]) if job == "convnet" else cifar_shaped(ROWS[job])
    model = keras_model(keras, job)
    times = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    targets = np.eye(10, dtype=np.float32)[y] if job == "convnet" else y
    split = {"validation_split": 0.1} if job == "convnet" else {}
    model.fit(x, targets, batch_size=BATCH[job], epochs=epochs, verbose=0, callbacks=[Timer()], **split)
    return {"times": times}


def run_jax(engine: str, job: str, epochs: int) -> dict:
    """The convnet written by hand in JAX and optax, trained on the same 90% of the rows."""
    import jax
    import jax.numpy as jnp
    import optax
    from jax import lax

    if job != "convnet":
        return {"error": "the hand-written JAX step exists for the convnet only"}
    x, y = fashion_mnist(ROWS[job])
    n = int(len(x) * 0.9)
    x, y = jnp.asarray(x[:n]), jax.nn.one_hot(y[:n], 10)
    batch = BATCH[job]
    keys = jax.random.split(jax.random.key(0), 3)
    glorot = jax.nn.initializers.glorot_uniform()
    params = {
        "c1": glorot(keys[0], (3, 3, 1, 32)),
        "b1": jnp.zeros(32),
        "c2": glorot(keys[1], (3, 3, 32, 64)),
        "b2": jnp.zeros(64),
        "d": glorot(keys[2], (1600, 10)),
        "bd": jnp.zeros(10),
    }

    def conv(h, w, b):
        return lax.conv_general_dilated(h, w, (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC")) + b

    def pool(h):
        return lax.reduce_window(h, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")

    def loss(p, xb, yb, key):
        h = pool(jax.nn.relu(conv(xb, p["c1"], p["b1"])))
        h = pool(jax.nn.relu(conv(h, p["c2"], p["b2"]))).reshape(xb.shape[0], -1)
        h = jnp.where(jax.random.bernoulli(key, 0.5, h.shape), h / 0.5, 0.0)
        return optax.softmax_cross_entropy(h @ p["d"] + p["bd"], yb).mean()

    optimizer = optax.adam(1e-3)

    def step(p, s, xb, yb, key):
        value, grads = jax.value_and_grad(loss)(p, xb, yb, key)
        updates, s = optimizer.update(grads, s, p)
        return optax.apply_updates(p, updates), s, value

    state = optimizer.init(params)
    steps = -(-n // batch)
    times = []
    if engine == "jax_step":
        jitted = jax.jit(step)
        for epoch in range(epochs):
            start = time.perf_counter()
            order = np.random.default_rng(epoch).permutation(n)
            for i in range(steps):
                rows = order[i * batch : (i + 1) * batch]
                params, state, value = jitted(params, state, x[rows], y[rows], jax.random.key(i))
            value.block_until_ready()
            times.append(time.perf_counter() - start)
        return {"times": times}

    full = n // batch

    @jax.jit
    def epoch_program(p, s, key):
        order = jax.random.permutation(key, n)[: full * batch].reshape(full, batch)

        def body(carry, rows):
            p, s, k = carry
            k, sub = jax.random.split(k)
            p, s, value = step(p, s, x[rows], y[rows], sub)
            return (p, s, k), value

        (p, s, _), values = lax.scan(body, (p, s, key), order)
        return p, s, values

    for epoch in range(epochs):
        start = time.perf_counter()
        params, state, values = epoch_program(params, state, jax.random.key(epoch))
        values.block_until_ready()
        times.append(time.perf_counter() - start)
    return {"times": times}


def engines() -> list[str]:
    found = ["jeras", "keras_jax", "jax_step", "jax_scan"]
    if importlib.util.find_spec("torch") is not None:
        found.append("torch")
    if importlib.util.find_spec("tensorflow") is not None:
        found.append("tfkeras")
    return found


def run_torch(job: str, epochs: int) -> dict:
    import torch
    from torch import nn

    torch.manual_seed(0)
    if job != "convnet":
        return {"error": "the PyTorch model exists for the convnet only"}
    x, y = fashion_mnist(ROWS[job])
    n = int(len(x) * 0.9)
    xt, yt = torch.from_numpy(x[:n]).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(y[:n]).long()
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.5),
        nn.Linear(1600, 10),
    )
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(n)
        for i in range(0, n, BATCH[job]):
            rows = order[i : i + BATCH[job]]
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(xt[rows]), yt[rows])
            loss.backward()
            optimizer.step()
        times.append(time.perf_counter() - start)
    return {"times": times}


def child(engine: str, job: str, epochs: int) -> dict:
    command = [sys.executable, __file__, "--child", engine, job, str(epochs)]
    env = {**os.environ, "JERAS_COMPILATION_CACHE": "0"}
    out = subprocess.run(command, capture_output=True, text=True, env=env)
    if out.returncode:
        return {"error": (out.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", nargs="*", default=["convnet", "resnet"], choices=["convnet", "resnet"])
    parser.add_argument("--epochs", type=int, default=4, help="epochs per process; the first (compile) is not counted")
    parser.add_argument("--repeats", type=int, default=1, help="processes per engine")
    parser.add_argument("--engines", nargs="*", default=None)
    parser.add_argument("--out", type=pathlib.Path, default=None, help="also write the raw figures as JSON")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        engine, job, epochs = args.child
        if engine in ("jax_step", "jax_scan"):
            result = run_jax(engine, job, int(epochs))
        elif engine == "torch":
            result = run_torch(job, int(epochs))
        else:
            result = run_keras(engine, job, int(epochs))
        print(json.dumps(result))
        return
    raw: dict = {}
    for job in args.jobs:
        raw[job] = {}
        for engine in args.engines or engines():
            runs = [child(engine, job, args.epochs) for _ in range(args.repeats)]
            steady = [t for r in runs if "times" in r for t in r["times"][1:]]
            errors = [r["error"] for r in runs if "error" in r]
            raw[job][engine] = {"runs": runs, "steady": steady}
            if steady:
                first = statistics.median(r["times"][0] for r in runs if "times" in r)
                print(
                    f"{job} {engine}: {statistics.median(steady):.3f} s/epoch "
                    f"[{min(steady):.3f}-{max(steady):.3f}] (first {first:.1f} s)",
                    flush=True,
                )
            else:
                print(f"{job} {engine}: {errors[0] if errors else 'no figures'}", flush=True)
        ours = raw[job].get("jeras", {}).get("steady")
        if ours:
            ratios = [
                f"{peer} {statistics.median(ours) / statistics.median(r['steady']):.3f}x"
                for peer, r in raw[job].items()
                if peer != "jeras" and r["steady"]
            ]
            print(f"{job}: jeras / " + ", ".join(ratios) + " (target <= 0.75x Keras 3)\n", flush=True)
    if args.out:
        args.out.write_text(json.dumps(raw, indent=2))


if __name__ == "__main__":
    main()
