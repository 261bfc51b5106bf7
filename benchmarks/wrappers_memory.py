"""Memory and time of many scikit-learn wrapper fits in one process.

Usage: python benchmarks/wrappers_memory.py [--fits 300] [--every 50] [--rows 2000] [--epochs 5]
       [--wrapper legacy|modern] [--structures 1]

Each fit is what a search does for one candidate: clone the estimator, set a new learning
rate (and, with `--structures K`, one of K layer widths), fit a NEW model on the tutorial's
8-feature regression shape, then score and predict. Every `--every` fits it prints the
process's resident memory (RSS, from /proc) and the mean seconds per fit of the last block.
A leak shows as RSS growing block after block; a slowdown as seconds per fit growing. The
first block includes compiling (once per structure).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import resource
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from sklearn.base import clone  # noqa: E402

from jeras import keras  # noqa: E402
from jeras.wrappers import SKLearnRegressor  # noqa: E402


def rss_mib() -> float:
    """The current resident set size in MiB (Linux /proc; the peak from getrusage elsewhere)."""
    try:
        with open(f"/proc/{os.getpid()}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_model(n_hidden: int = 1, n_neurons: int = 30, learning_rate: float = 3e-3, input_shape=(8,)):
    """The tutorial's model-building function (one hidden layer of 30 by default)."""
    model = keras.models.Sequential()
    model.add(keras.layers.InputLayer(input_shape=input_shape))
    for _ in range(n_hidden):
        model.add(keras.layers.Dense(n_neurons, activation="relu"))
    model.add(keras.layers.Dense(1))
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=learning_rate))
    return model


def make_estimator(kind: str):
    if kind == "legacy":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return keras.wrappers.scikit_learn.KerasRegressor(build_model, verbose=0)
    return SKLearnRegressor(build_model, verbose=0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=300)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--wrapper", choices=("legacy", "modern"), default="legacy")
    parser.add_argument("--structures", type=int, default=1, help="cycle through this many layer widths")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.rows, 8)).astype("float32")
    y = (x @ rng.normal(size=8) + 0.1 * rng.normal(size=args.rows)).astype("float32")
    x_valid, y_valid = x[: args.rows // 5], y[: args.rows // 5]
    template = make_estimator(args.wrapper)
    prefix = "" if args.wrapper == "legacy" else "model__"
    widths = [30 + 2 * i for i in range(args.structures)]

    print(
        f"{args.wrapper} wrapper, {args.fits} fits of {args.epochs} epochs on {args.rows} rows, {len(widths)} structure(s)"
    )
    print(f"{'fits':>6} {'RSS MiB':>9} {'s/fit':>8}")
    print(f"{0:>6} {rss_mib():>9.1f} {'':>8}")
    block_start = time.perf_counter()
    for i in range(1, args.fits + 1):
        estimator = clone(template).set_params(
            **{
                f"{prefix}learning_rate": float(10 ** rng.uniform(-3.5, -2)),
                f"{prefix}n_neurons": widths[i % len(widths)],
            }
        )
        estimator.fit(x, y, epochs=args.epochs, validation_data=(x_valid, y_valid))
        estimator.score(x_valid, y_valid, **({"verbose": 0} if args.wrapper == "legacy" else {}))
        estimator.predict(x_valid[:10])
        if i % args.every == 0:
            seconds = (time.perf_counter() - block_start) / args.every
            print(f"{i:>6} {rss_mib():>9.1f} {seconds:>8.4f}", flush=True)
            block_start = time.perf_counter()


if __name__ == "__main__":
    main()
