"""The benchmark workloads, shaped exactly as the peer scripts in ../shared/bench.

Usage: python benchmarks/workloads.py {mlp,housing,bn_deep,wide_deep} EPOCHS [ENGINE]

ENGINE is `jeras` (default) or `keras_jax` (Keras 3 on JAX, for the jobs ../shared/bench has no
script for). Prints `<engine> <epoch seconds ...>` (the first epoch includes compilation), the
compile seconds jeras measured, and the peak resident memory in MiB.
"""

import os
import resource
import sys
import time

import numpy as np


def epoch_timer(keras):
    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.times = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self.start)

    return EpochTimer()


def mlp(keras):
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


def housing(keras):
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


def bn_deep(keras):
    """The tutorial's deep Fashion-MNIST net with BatchNormalization after each layer."""
    rng = np.random.default_rng(0)
    n = 55000
    x = rng.random((n, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, n).astype(np.int32)
    model = keras.models.Sequential(
        [
            keras.layers.Input(shape=(28, 28)),
            keras.layers.Flatten(),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(300, activation="elu", kernel_initializer="he_normal"),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(100, activation="elu", kernel_initializer="he_normal"),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    return model, x, y


def wide_deep(keras):
    """The tutorial's two-input, two-output wide & deep model on housing-shaped rows."""
    rng = np.random.default_rng(0)
    n = 11610
    x_a = rng.standard_normal((n, 5)).astype(np.float32)
    x_b = rng.standard_normal((n, 6)).astype(np.float32)
    y = rng.standard_normal((n, 1)).astype(np.float32)
    input_a = keras.layers.Input(shape=[5], name="wide_input")
    input_b = keras.layers.Input(shape=[6], name="deep_input")
    hidden1 = keras.layers.Dense(30, activation="relu")(input_b)
    hidden2 = keras.layers.Dense(30, activation="relu")(hidden1)
    concat = keras.layers.concatenate([input_a, hidden2])
    output = keras.layers.Dense(1, name="main_output")(concat)
    aux_output = keras.layers.Dense(1, name="aux_output")(hidden2)
    model = keras.models.Model(inputs=[input_a, input_b], outputs=[output, aux_output])
    model.compile(loss=["mse", "mse"], loss_weights=[0.9, 0.1], optimizer=keras.optimizers.SGD(learning_rate=1e-3))
    return model, [x_a, x_b], [y, y]


JOBS = {"mlp": mlp, "housing": housing, "bn_deep": bn_deep, "wide_deep": wide_deep}


def main() -> None:
    which, epochs = sys.argv[1], int(sys.argv[2])
    engine = sys.argv[3] if len(sys.argv) > 3 else "jeras"
    if engine == "keras_jax":
        os.environ["KERAS_BACKEND"] = "jax"
        import keras
    else:
        from jeras import keras
    model, x, y = JOBS[which](keras)
    timer = epoch_timer(keras)
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0, callbacks=[timer])
    digits = 2 if which in ("mlp", "bn_deep") else 4
    print(engine, " ".join(f"{t:.{digits}f}" for t in timer.times))
    if engine == "jeras":
        print(f"compile_seconds {model.compile_stats['compile_seconds']:.3f}")
    print(f"peak_rss_mib {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")


if __name__ == "__main__":
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    main()
