"""Fixed costs: whole fits of new models, repeated one-epoch fits, compile reuse, the persistent cache.

Usage: python benchmarks/whole_fit.py [--repeats 3] [--jobs new_model repeated_fit ...]

Each job runs jeras and Keras 3 (JAX backend) in their own processes, side by side in one run,
and prints the median with min-max over `--repeats` measurements and jeras' ratio:

- new_model: one 100-epoch fit of a NEW 8-30-1 model (SGD 1e-3... as the tutorial: lr 3e-3)
  on 7,740 real California-housing rows (the 8 usual features, standardized) with validation
  data (3,870 rows) and EarlyStopping(patience=10). Each measurement builds a new model; the
  first fit of the process (which compiles) is reported apart. Seconds per fit and per epoch
  run (the engines stop at different epochs).
- repeated_fit: `fit(epochs=1)` called repeatedly on the 55,000-row MLP 784-300-100-10
  (verbose=0), whole-call seconds, after a first call that compiles.
- second_model: compile seconds of a second model of the same structure (jeras'
  `model.compile_stats`), and the first epoch of the tutorial MLP in a second process that
  finds the persistent compilation cache filled by a first one (cold vs warm, jeras only).
- cache: the first epoch of the tutorial MLP in a new process, with an empty jeras cache folder
  (cold) and then with the one the first process filled (warm), twice over: as
  `examples/fashion_mnist_mlp.py` runs it (the data folder's Fashion-MNIST, unchanged script,
  a timing callback added from outside) and at full size (55,000 random rows, progress bar,
  validation_split=0.1).
- call_cost: the fixed cost of fit (1 epoch), evaluate and predict on 100 rows, after warm-up.
- memory: peak RSS of one fit over 200,000 x 784 uint8 images and over the same as float32.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
DATASETS = HERE.parent.parent / "shared" / "datasets"


def _housing(keras_module=None):
    import numpy as np

    sys.path.insert(0, str(HERE.parent))
    from jeras.datasets.california_housing import read_housing_csv, to_features

    x, y = to_features(read_housing_csv(DATASETS / "california_housing" / "housing.csv"))
    x, y = x.astype("float32"), y.astype("float32").reshape(-1, 1)
    rng = np.random.default_rng(42)
    order = rng.permutation(len(x))
    x, y = x[order], y[order]
    x_train, y_train, x_valid, y_valid = x[:7740], y[:7740], x[7740:11610], y[7740:11610]
    mean, std = x_train.mean(0), x_train.std(0)
    return (x_train - mean) / std, y_train, (x_valid - mean) / std, y_valid


def _import(engine: str):
    if engine == "keras_jax":
        os.environ["KERAS_BACKEND"] = "jax"
        import keras

        return keras
    from jeras import keras

    return keras


def _new_model(keras):
    model = keras.models.Sequential(
        [keras.layers.Input(shape=(8,)), keras.layers.Dense(30, activation="relu"), keras.layers.Dense(1)]
    )
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=3e-3))
    return model


def job_new_model(engine: str, repeats: int) -> dict:
    keras = _import(engine)
    x, y, xv, yv = _housing()
    fits = []
    for _ in range(repeats + 1):
        model = _new_model(keras)
        stop = keras.callbacks.EarlyStopping(patience=10)
        start = time.perf_counter()
        history = model.fit(x, y, epochs=100, validation_data=(xv, yv), callbacks=[stop], verbose=0)
        fits.append((time.perf_counter() - start, len(history.epoch)))
    return {"first": fits[0][0], "fits": [t for t, _ in fits[1:]], "epochs": [e for _, e in fits[1:]]}


def job_repeated_fit(engine: str, repeats: int) -> dict:
    import numpy as np

    keras = _import(engine)
    rng = np.random.default_rng(0)
    x = rng.random((55000, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 55000).astype(np.int32)
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
    calls = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        model.fit(x, y, epochs=1, batch_size=32, verbose=0)
        calls.append(time.perf_counter() - start)
    return {"first": calls[0], "fits": calls[1:]}


def job_second_model(engine: str, repeats: int) -> dict:
    keras = _import(engine)
    x, y, xv, yv = _housing()
    compile_seconds = []
    for _ in range(repeats + 1):
        model = _new_model(keras)
        model.fit(x, y, epochs=5, validation_data=(xv, yv), verbose=0)
        compile_seconds.append(model.compile_stats["compile_seconds"])
    return {"first": compile_seconds[0], "fits": compile_seconds[1:]}


def job_call_cost(engine: str, repeats: int) -> dict:
    import numpy as np

    keras = _import(engine)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(100, 8)).astype("float32"), rng.normal(size=(100, 1)).astype("float32")
    model = _new_model(keras)
    out = {}
    for name, call in (
        ("fit", lambda: model.fit(x, y, epochs=1, verbose=0)),
        ("evaluate", lambda: model.evaluate(x, y, verbose=0)),
        ("predict", lambda: model.predict(x, verbose=0)),
    ):
        call()
        times = []
        for _ in range(max(repeats, 5)):
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
        out[name] = times
    return out


def job_memory(engine: str, dtype: str) -> dict:
    import resource

    import numpy as np

    keras = _import(engine)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(200000, 784), dtype=np.uint8)
    if dtype == "float32":
        x = x.astype(np.float32)
    y = rng.integers(0, 10, 200000).astype(np.int32)
    data_mib = x.nbytes / 2**20
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    model = keras.models.Sequential([keras.layers.Input(shape=(784,)), keras.layers.Dense(10, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd")
    model.fit(x, y, epochs=1, batch_size=512, verbose=0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"peak_rss_mib": peak, "before_fit_mib": base, "data_mib": data_mib}


_FIRST_EPOCH = """
import sys, time
sys.path.insert(0, {root!r})
from jeras import keras
import numpy as np
rng = np.random.default_rng(0)
x = rng.random((55000, 28, 28), dtype=np.float32); y = rng.integers(0, 10, 55000)
model = keras.models.Sequential([keras.layers.Flatten(input_shape=[28, 28]), keras.layers.Dense(300, activation="relu"),
    keras.layers.Dense(100, activation="relu"), keras.layers.Dense(10, activation="softmax")])
model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
class T(keras.callbacks.Callback):
    def on_epoch_begin(self, e, logs=None): self.t = time.perf_counter()
    def on_epoch_end(self, e, logs=None): self.first = time.perf_counter() - self.t
t = T(); start = time.perf_counter()
model.fit(x, y, epochs=1, verbose=1, callbacks=[t], validation_split=0.1)
print("RESULT", t.first, model.compile_stats["compile_seconds"])
"""


def persistent_cache(repeats: int) -> dict:
    """First epoch of the tutorial MLP (progress bar, validation): cold cache, then warm, each in a new process."""
    cold, warm = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "JERAS_CACHE_DIR": cache, "JERAS_COMPILATION_CACHE": "1", "JAX_PLATFORMS": "cpu"}
            for bucket in (cold, warm):
                script = _FIRST_EPOCH.format(root=str(HERE.parent))
                out = subprocess.run(
                    [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600
                )
                line = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT")]
                if not line:
                    raise SystemExit(out.stderr[-2000:])
                bucket.append(float(line[0].split()[1]))
    return {"cold": cold, "warm": warm}


_EXAMPLE_FIRST_EPOCH = """
import runpy, sys, time
sys.path.insert(0, {root!r})
from jeras import keras
fit = keras.Model.fit
class T(keras.callbacks.Callback):
    def on_epoch_begin(self, e, logs=None): self.t = time.perf_counter()
    def on_epoch_end(self, e, logs=None):
        if e == 0: print("RESULT", time.perf_counter() - self.t, flush=True)
def timed_fit(self, *args, callbacks=None, **kwargs):
    return fit(self, *args, callbacks=list(callbacks or []) + [T()], **kwargs)
keras.Model.fit = timed_fit
runpy.run_path({script!r}, run_name="__main__")
"""


def _first_epoch(script: str, env: dict) -> float:
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT")]
    if not line:
        raise SystemExit(out.stderr[-2000:])
    return float(line[0].split()[1])


def persistent_cache_example(repeats: int) -> dict:
    """First epoch of examples/fashion_mnist_mlp.py as it is: cold, then warm, each in a new process."""
    cold, warm = [], []
    script = _EXAMPLE_FIRST_EPOCH.format(
        root=str(HERE.parent), script=str(HERE.parent / "examples" / "fashion_mnist_mlp.py")
    )
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "JERAS_CACHE_DIR": cache, "JERAS_COMPILATION_CACHE": "1", "JAX_PLATFORMS": "cpu"}
            cold.append(_first_epoch(script, env))
            warm.append(_first_epoch(script, env))
    return {"cold": cold, "warm": warm}


def _child(job: str, engine: str, repeats: int) -> dict:
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "JERAS_COMPILATION_CACHE": "0"}
    out = subprocess.run(
        [sys.executable, __file__, "--child", job, engine, str(repeats)],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-3:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _summary(values: list[float]) -> str:
    return f"{statistics.median(values):.4f} ({min(values):.4f}-{max(values):.4f})"


def _ratio(ours: list[float], theirs: list[float]) -> str:
    return f"{statistics.median(ours) / statistics.median(theirs):.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--jobs", nargs="*", default=["new_model", "repeated_fit", "second_model", "call_cost", "memory", "cache"]
    )
    parser.add_argument(
        "--out", type=pathlib.Path, default=HERE / "whole_fit_figures.json", help="where the raw figures go"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        job, engine, repeats = args.child
        if job == "memory":
            result = job_memory(engine, "uint8" if repeats == "0" else "float32")
        else:
            result = globals()[f"job_{job}"](engine, int(repeats))
        print(json.dumps(result))
        return
    raw = {}
    for job in args.jobs:
        if job == "cache":
            r = raw["cache_example"] = persistent_cache_example(args.repeats)
            print(
                f"## persistent cache: first epoch of examples/fashion_mnist_mlp.py, cold {_summary(r['cold'])} s, "
                f"warm {_summary(r['warm'])} s, warm/cold {_ratio(r['warm'], r['cold'])} (target <= 0.3)\n",
                flush=True,
            )
            r = raw[job] = persistent_cache(args.repeats)
            print(
                f"## persistent cache: first epoch of the tutorial MLP at full size (55,000 rows), cold {_summary(r['cold'])} s, "
                f"warm {_summary(r['warm'])} s, warm/cold {_ratio(r['warm'], r['cold'])} (target <= 0.3)\n",
                flush=True,
            )
            continue
        if job == "memory":
            raw[job] = {
                f"{e}/{d}": _child(job, e, str(i))
                for e in ("jeras", "keras_jax")
                for i, d in enumerate(("uint8", "float32"))
            }
            print("## peak RSS of one fit over 200,000 x 784 images (MiB; data size in brackets)")
            for name, r in raw[job].items():
                print(
                    f"- {name}: {r.get('peak_rss_mib', float('nan')):.0f} (data {r.get('data_mib', float('nan')):.0f})"
                )
            print(flush=True)
            continue
        engines = ["jeras"] if job == "second_model" else ["jeras", "keras_jax"]
        results = {e: _child(job, e, args.repeats) for e in engines}
        raw[job] = results
        print(f"## {job} (median of {args.repeats}, min-max)")
        for engine, r in results.items():
            if "error" in r:
                print(f"- {engine}: failed: {r['error']}")
            elif job == "call_cost":
                print(f"- {engine}: " + ", ".join(f"{k} {_summary(v)} s" for k, v in r.items()))
            else:
                extra = f", epochs run {r['epochs']}" if "epochs" in r else ""
                print(f"- {engine}: {_summary(r['fits'])} s (first {r['first']:.4f} s{extra})")
        if len(results) == 2 and all("error" not in r for r in results.values()):
            ours, theirs = results["jeras"], results["keras_jax"]
            if job == "call_cost":
                print("- jeras / Keras 3: " + ", ".join(f"{k} {_ratio(ours[k], theirs[k])}" for k in ours))
            else:
                print(f"- jeras / Keras 3: {_ratio(ours['fits'], theirs['fits'])}")
                if "epochs" in ours:
                    per_ours = [t / e for t, e in zip(ours["fits"], ours["epochs"])]
                    per_theirs = [t / e for t, e in zip(theirs["fits"], theirs["epochs"])]
                    print(f"- per epoch run: jeras / Keras 3: {_ratio(per_ours, per_theirs)}")
        print(flush=True)
    args.out.write_text(json.dumps(raw, indent=2))


if __name__ == "__main__":
    main()
