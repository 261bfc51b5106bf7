"""The benchmark workloads in jeras, shaped exactly as the peer scripts in ../shared/bench.

Usage: python benchmarks/workloads.py {mlp,housing} EPOCHS
Prints `jeras <epoch seconds ...>` (the first epoch includes compilation), then the compile
seconds jeras measured and the peak resident memory in MiB.
"""

import os
import resource
import sys
import time

import numpy as np

from jeras import keras


class EpochTimer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.start)


def mlp(epochs: int):
    rng = np.random.default_rng(0)
    n = 55000
    x = rng.random((n, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, n).astype(np.int32)
    model = keras.models.Sequential(
        [
            keras.layers.Input(shape=(28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(300, activation="relu"),
            keras.layers.Dense(100, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    return model, x, y


def housing(epochs: int):
    rng = np.random.default_rng(0)
    n = 11610
    x = rng.standard_normal((n, 8)).astype(np.float32)
    y = rng.standard_normal((n, 1)).astype(np.float32)
    model = keras.models.Sequential(
        [
            keras.layers.Input(shape=(8,)),
            keras.layers.Dense(30, activation="relu"),
            keras.layers.Dense(1),
        ]
    )
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=1e-3))
    return model, x, y


def main() -> None:
    which, epochs = sys.argv[1], int(sys.argv[2])
    model, x, y = {"mlp": mlp, "housing": housing}[which](epochs)
    timer = EpochTimer()
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0, callbacks=[timer])
    digits = 2 if which == "mlp" else 4
    print("jeras", " ".join(f"{t:.{digits}f}" for t in timer.times))
    print(f"compile_seconds {model.compile_stats['compile_seconds']:.3f}")
    print(f"peak_rss_mib {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")


if __name__ == "__main__":
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    main()
