"""The tutorial's hyperparameter search: a randomized search over housing-MLP shapes and learning rates.

It runs on `jeras.tuning.RandomizedSearchCV` (jeras's vectorized search) with the tutorial's
`keras.wrappers.scikit_learn.KerasRegressor`. Where this installation lacks those, the workflow
reports that it is unavailable instead of running.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from jeras.workflows.regression import housing_splits, record_predictions
from jeras.workflows.run import RunContext, Workflow

N_ITER = 10
CV = 3


def _resolve(path: str) -> Any:
    """Imports a dotted path, module by module, then attribute by attribute (`keras.wrappers.scikit_learn`)."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError as err:
            if err.name and not path.startswith(err.name):
                raise
            continue
        for name in parts[cut:]:
            found = getattr(found, name)
        return found
    raise ModuleNotFoundError(path)


def unavailable() -> str | None:
    """Why the search cannot run here (jeras.tuning or the scikit-learn wrappers missing), or None."""
    for path, what in (
        ("jeras.tuning.RandomizedSearchCV", "jeras.tuning, the hyperparameter-search module (RandomizedSearchCV)"),
        ("jeras.keras.wrappers.scikit_learn.KerasRegressor", "keras.wrappers.scikit_learn.KerasRegressor"),
    ):
        try:
            _resolve(path)
        except ModuleNotFoundError as err:
            cause = "" if err.name and path.startswith(err.name) else f" (it needs {err.name}, which is not installed)"
            return (
                f"The search workflow is not available yet: it needs {what}, which this installation of jeras "
                f"does not have{cause}. The other workflows run; `jeras run all` skips search."
            )
        except AttributeError:
            return (
                f"The search workflow is not available yet: it needs {what}, which this installation of jeras "
                "does not have. The other workflows run; `jeras run all` skips search."
            )
    return None


def build_model(n_hidden: int = 1, n_neurons: int = 30, learning_rate: float = 3e-3, input_shape=(8,)):
    """The tutorial's search space: `n_hidden` ReLU layers of `n_neurons` units, SGD at `learning_rate`."""
    from jeras import keras

    model = keras.models.Sequential([keras.layers.Input(shape=input_shape)])
    for _ in range(n_hidden):
        model.add(keras.layers.Dense(n_neurons, activation="relu"))
    model.add(keras.layers.Dense(1))
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=learning_rate))
    return model


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    return value if isinstance(value, int | float | str | bool | type(None)) else repr(value)


def _write_tensorboard(context: RunContext, model, history: dict) -> None:
    """Writes the refit's epochs into `logs/` as the TensorBoard callback does during a fit.

    The search itself runs without it (a TensorBoard callback would take every candidate off the
    vectorized path, docs/architecture.md "Vectorized search"), so its epochs are replayed here.
    """
    from jeras import keras

    board = keras.callbacks.TensorBoard(log_dir=str(context.path("logs")))
    board.set_model(model)
    board.on_train_begin()
    epochs = len(next(iter(history.values()), []))
    for epoch in range(epochs):
        board.on_epoch_end(epoch, {name: float(values[epoch]) for name, values in history.items()})
    board.on_train_end()


def search(context: RunContext) -> None:
    """Searches 10 random configurations with 3-fold cross-validation, then evaluates the best on the test split."""
    from scipy.stats import loguniform

    from jeras import keras
    from jeras.tuning import RandomizedSearchCV

    splits = housing_splits(context)
    (x_train, y_train), (x_valid, y_valid), (x_test, y_test) = splits["train"], splits["validation"], splits["test"]
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    x_train, x_valid, x_test = ((x - mean) / std for x in (x_train, x_valid, x_test))
    keras.utils.set_random_seed(context.settings.seed)
    regressor = keras.wrappers.scikit_learn.KerasRegressor(build_model)
    distributions = {
        "n_hidden": [0, 1, 2, 3],
        "n_neurons": np.arange(1, 100).tolist(),
        "learning_rate": loguniform(3e-4, 3e-2),
    }
    searcher = RandomizedSearchCV(regressor, distributions, n_iter=N_ITER, cv=CV, random_state=context.settings.seed)
    context.stage(f"searching {N_ITER} configurations x {CV} folds, {context.epochs} epochs each")
    searcher.fit(
        x_train,
        y_train,
        epochs=context.epochs,
        validation_data=(x_valid, y_valid),
        callbacks=[keras.callbacks.EarlyStopping(patience=10)],
        verbose=0,
    )
    results = searcher.cv_results_
    candidates = [
        {"params": _json_ready(params), "mean_test_score": float(score), "rank": int(rank)}
        for params, score, rank in zip(results["params"], results["mean_test_score"], results["rank_test_score"])
    ]
    context.note(
        "search",
        {
            "best_params": _json_ready(searcher.best_params_),
            "best_score": float(searcher.best_score_),
            "n_iter": N_ITER,
            "cv": CV,
            "candidates": sorted(candidates, key=lambda c: c["rank"]),
        },
    )
    model = searcher.best_estimator_.model
    context.record_model(model)
    history = getattr(model, "history", None)
    if history is not None and getattr(history, "history", None):
        from jeras.plotting import plot_learning_curves

        context.record_history(history.history)
        _write_tensorboard(context, model, history.history)
        context.figure(
            "learning_curves.png",
            plot_learning_curves(history, title="Best configuration: learning curves"),
            "The refit of the best configuration, per epoch (validation dashed).",
        )
    stats = dict(getattr(model, "compile_stats", {}) or {})
    context.record["timing"]["compile_seconds"] = float(stats.get("compile_seconds", float("nan")))
    context.evaluate(model, x_test, y_test)
    record_predictions(context, y_test, model.predict(x_test, verbose=0))
    context.save_model(model)


SEARCH = Workflow(
    name="search",
    title="Hyperparameter search (randomized, cross-validated)",
    description=f"The tutorial's randomized search over the housing MLP: {N_ITER} draws of hidden layers (0-3), "
    f"units (1-99) and a log-uniform learning rate, {CV}-fold cross-validation, the best refit and tested.",
    default_epochs=20,
    dataset="california_housing",
    body=search,
    unavailable=unavailable,
)
