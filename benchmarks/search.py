"""The tutorial's hyperparameter search, jeras against Keras 3 (JAX) with a minimal wrapper.

Usage: python benchmarks/search.py [--repeats 3] [--jobs sklearn tuning lr30] [--keras-fits 3]

Data: real California housing from ../shared/datasets, the 8 usual features, StandardScaler
fitted on the training rows; 11,610 training and 3,870 validation rows, as the tutorial splits.
Every job runs in its own process; each engine's search is timed end to end (model building,
all fits, scoring, refit):

- sklearn: the tutorial's `RandomizedSearchCV` (scikit-learn's) over n_hidden, n_neurons and
  learning_rate = reciprocal(3e-4, 3e-2), n_iter=10, cv=3, 100 epochs, EarlyStopping(patience=10),
  with `keras.wrappers.scikit_learn.KerasRegressor` (jeras) or a minimal Keras 3 wrapper.
- tuning: the same search through `jeras.tuning.RandomizedSearchCV` (Keras 3: the sklearn figure).
- lr30: one architecture (n_hidden=1, n_neurons=30), 30 learning rates from reciprocal(3e-4, 3e-2),
  cv=3, 100 epochs, EarlyStopping(patience=10), through `jeras.tuning`. Keras 3's time is
  measured on `--keras-fits` fits and scaled to the 90 fits plus the refit (its cost per fit is
  flat: each fit builds and trains one model).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
DATASETS = HERE.parent.parent / "shared" / "datasets"


def housing():
    import numpy as np
    from sklearn.preprocessing import StandardScaler

    sys.path.insert(0, str(HERE.parent))
    from jeras.datasets.california_housing import read_housing_csv, to_features

    x, y = to_features(read_housing_csv(DATASETS / "california_housing" / "housing.csv"))
    rng = np.random.default_rng(42)
    order = rng.permutation(len(x))
    x, y = x[order].astype("float32"), y[order].astype("float32")
    x_train, y_train, x_valid, y_valid = x[:11610], y[:11610], x[11610:15480], y[11610:15480]
    scaler = StandardScaler().fit(x_train)
    return scaler.transform(x_train).astype("float32"), y_train, scaler.transform(x_valid).astype("float32"), y_valid


def tutorial_builder(keras):
    def build_model(n_hidden=1, n_neurons=30, learning_rate=3e-3, input_shape=(8,)):
        model = keras.models.Sequential()
        model.add(keras.layers.InputLayer(input_shape=input_shape))
        for _ in range(n_hidden):
            model.add(keras.layers.Dense(n_neurons, activation="relu"))
        model.add(keras.layers.Dense(1))
        model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=learning_rate))
        return model

    return build_model


def keras3_regressor():
    """A minimal scikit-learn wrapper of Keras 3 models (what a Keras 3 user writes for the tutorial)."""
    os.environ["KERAS_BACKEND"] = "jax"
    import keras
    from sklearn.base import BaseEstimator, RegressorMixin

    build_model = tutorial_builder(keras)

    class Keras3Regressor(RegressorMixin, BaseEstimator):
        def __init__(self, n_hidden=1, n_neurons=30, learning_rate=3e-3):
            self.n_hidden, self.n_neurons, self.learning_rate = n_hidden, n_neurons, learning_rate

        def fit(self, x, y, **kwargs):
            self.model_ = build_model(self.n_hidden, self.n_neurons, self.learning_rate)
            kwargs["callbacks"] = [keras.callbacks.EarlyStopping(patience=10)]
            self.model_.fit(x, y, verbose=0, **kwargs)
            return self

        def predict(self, x):
            return self.model_.predict(x, verbose=0).ravel()

        def score(self, x, y):
            return -float(self.model_.evaluate(x, y, verbose=0))

    return Keras3Regressor(), keras


def jeras_regressor():
    import warnings

    from jeras import keras

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return keras.wrappers.scikit_learn.KerasRegressor(tutorial_builder(keras)), keras


def distributions(lr_only: bool):
    import numpy as np
    from scipy.stats import reciprocal

    if lr_only:
        return {"n_hidden": [1], "n_neurons": [30], "learning_rate": reciprocal(3e-4, 3e-2)}
    return {"n_hidden": [0, 1, 2, 3], "n_neurons": np.arange(1, 100), "learning_rate": reciprocal(3e-4, 3e-2)}


def run_search(engine: str, job: str, keras_fits: int) -> dict:
    x, y, xv, yv = housing()
    estimator, keras = keras3_regressor() if engine == "keras_jax" else jeras_regressor()
    n_iter = 30 if job == "lr30" else 10
    fit_params = {"epochs": 100, "validation_data": (xv, yv)}
    if engine == "jeras":
        fit_params["callbacks"] = [keras.callbacks.EarlyStopping(patience=10)]
        fit_params["verbose"] = 0
    if job == "tuning" or (job == "lr30" and engine == "jeras"):
        from jeras import tuning
        from jeras.backend.compilation import compile_totals

        search = tuning.RandomizedSearchCV(
            estimator, distributions(job == "lr30"), n_iter=n_iter, cv=3, random_state=42
        )
        before = compile_totals()
        start = time.perf_counter()
        search.fit(x, y, **fit_params)
        seconds = time.perf_counter() - start
        after = compile_totals()
        return {
            "seconds": seconds,
            "best_score": search.best_score_,
            "best_params": {k: float(v) for k, v in search.best_params_.items()},
            "compile_seconds": after[0] - before[0],
            "compiles": after[1] - before[1],
        }
    from sklearn.model_selection import RandomizedSearchCV

    if job == "lr30":  # Keras 3: a few fits, scaled (see the module docstring)
        from sklearn.base import clone
        from sklearn.model_selection import ParameterSampler

        candidates = list(ParameterSampler(distributions(True), n_iter, random_state=42))[:keras_fits]
        start = time.perf_counter()
        for candidate in candidates:
            clone(estimator).set_params(**candidate).fit(x[:7740], y[:7740], **fit_params)
        per_fit = (time.perf_counter() - start) / len(candidates)
        return {"seconds": per_fit * (3 * n_iter + 1), "per_fit": per_fit, "measured_fits": len(candidates)}
    search = RandomizedSearchCV(estimator, distributions(False), n_iter=n_iter, cv=3, random_state=42)
    start = time.perf_counter()
    search.fit(x, y, **fit_params)
    return {
        "seconds": time.perf_counter() - start,
        "best_score": search.best_score_,
        "best_params": {k: float(v) for k, v in search.best_params_.items()},
    }


def child(engine: str, job: str, keras_fits: int) -> dict:
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "JERAS_COMPILATION_CACHE": "0"}
    out = subprocess.run(
        [sys.executable, __file__, "--child", engine, job, str(keras_fits)],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-3:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", nargs="*", default=["sklearn", "tuning", "lr30"])
    parser.add_argument("--keras-fits", type=int, default=3)
    parser.add_argument("--keras-repeats", type=int, default=1, help="Keras 3 runs of each job (they are slow)")
    parser.add_argument(
        "--out", type=pathlib.Path, default=HERE / "search_figures.json", help="where the raw figures go"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        engine, job, keras_fits = args.child
        print(json.dumps(run_search(engine, job, int(keras_fits))))
        return
    raw: dict = {}
    keras_runs: dict = {}
    for job in args.jobs:
        keras_job = "sklearn" if job == "tuning" else job
        if keras_job not in keras_runs:
            keras_runs[keras_job] = [child("keras_jax", keras_job, args.keras_fits) for _ in range(args.keras_repeats)]
        ours = [child("jeras", job, args.keras_fits) for _ in range(args.repeats)]
        raw[job] = {"jeras": ours, "keras_jax": keras_runs[keras_job]}
        good = [r["seconds"] for r in ours if "seconds" in r]
        theirs = [r["seconds"] for r in keras_runs[keras_job] if "seconds" in r]
        print(f"## {job}")
        for r in ours + keras_runs[keras_job]:
            if "error" in r:
                print(f"- failed: {r['error']}")
        if good and theirs:
            ratio = statistics.median(good) / statistics.median(theirs)
            print(
                f"- jeras {statistics.median(good):.2f} s ({min(good):.2f}-{max(good):.2f}), "
                f"Keras 3 {statistics.median(theirs):.2f} s ({min(theirs):.2f}-{max(theirs):.2f}), ratio {ratio:.4f}"
            )
            for r in ours[:1] + keras_runs[keras_job][:1]:
                extra = {
                    k: r[k] for k in ("best_score", "best_params", "compile_seconds", "compiles", "per_fit") if k in r
                }
                print(f"  {extra}")
        print(flush=True)
    args.out.write_text(json.dumps(raw, indent=2))


if __name__ == "__main__":
    main()
