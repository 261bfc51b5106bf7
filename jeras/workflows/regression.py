"""The California-housing workflows: the tutorial's regression MLP, and the two-input, two-output wide & deep model."""

from __future__ import annotations

import numpy as np

from jeras.workflows.data import DataSource, cut, load
from jeras.workflows.run import RunContext, Workflow

# As the tutorial's train_test_split twice: a quarter of the districts for testing, then a
# quarter of the rest for validation.
_TEST_FRACTION = 0.25
_VALIDATION_FRACTION = 0.25


def housing_splits(context: RunContext) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Loads California housing, splits off validation districts (the last quarter of the training part), records the source."""
    ((x_full, y_full), (x_test, y_test)), origin, location = load(
        "california_housing",
        context.data_folder,
        download=context.settings.download,
        test_split=_TEST_FRACTION,
        seed=context.settings.seed,
    )
    n_train = len(x_full) - max(1, round(len(x_full) * _VALIDATION_FRACTION))
    splits = {
        "train": (x_full[:n_train], y_full[:n_train]),
        "validation": (x_full[n_train:], y_full[n_train:]),
        "test": (x_test, y_test),
    }
    available = {name: len(x) for name, (x, _) in splits.items()}
    splits = cut(splits, context.settings.max_rows)
    note = ""
    if origin == "bundled sample":
        note = (
            "The full set was not in the data folder, so the real sample bundled with jeras was used. For the full "
            "set, put cal_housing.tgz or housing.csv in <data folder>/california_housing/ (see `jeras info`)."
        )
    context.record_data(
        DataSource(
            dataset="california_housing",
            title="California housing",
            origin=origin,
            location=location,
            sizes={name: len(x) for name, (x, _) in splits.items()},
            available=available,
            note=note,
        )
    )
    return splits


def record_predictions(context: RunContext, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    """Adds RMSE and R² on the test split, and draws predictions.png and residuals.png."""
    from jeras.plotting import plot_predictions

    true, pred = np.asarray(y_true, np.float64).reshape(-1), np.asarray(y_pred, np.float64).reshape(-1)
    residuals = true - pred
    spread = float(np.sum((true - true.mean()) ** 2))
    context.add_test_metrics(
        rmse=float(np.sqrt(np.mean(residuals**2))),
        r2=1.0 - float(np.sum(residuals**2)) / spread if spread > 0 else float("nan"),
    )
    context.stage("drawing figures")
    context.figure(
        "predictions.png",
        plot_predictions(true, pred),
        "Test districts: predicted against true median house value (in $100,000), and the residuals.",
    )
    context.figure(
        "residuals.png",
        plot_predictions(true, pred, panels=("residuals", "histogram")),
        "Test-set residuals (true minus predicted) against the prediction, and their distribution.",
    )


def regression(context: RunContext) -> None:
    """The tutorial's housing MLP: standardized features, Dense(30, relu), Dense(1), mean squared error, SGD."""
    from jeras import keras

    splits = housing_splits(context)
    (x_train, y_train), (x_valid, y_valid), (x_test, y_test) = splits["train"], splits["validation"], splits["test"]
    keras.utils.set_random_seed(context.settings.seed)
    normalization = keras.layers.Normalization()
    normalization.adapt(x_train)
    model = keras.models.Sequential(
        [
            keras.layers.Input(shape=x_train.shape[1:]),
            normalization,
            keras.layers.Dense(30, activation="relu"),
            keras.layers.Dense(1),
        ],
        name="housing_mlp",
    )
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=1e-3))
    context.fit(model, x_train, y_train, validation_data=(x_valid, y_valid))
    context.evaluate(model, x_test, y_test)
    record_predictions(context, y_test, model.predict(x_test, verbose=0))
    context.save_model(model)


def _wide_and_deep(x_wide: np.ndarray, x_deep: np.ndarray):
    from jeras import keras

    input_wide = keras.layers.Input(shape=x_wide.shape[1:], name="wide_input")
    input_deep = keras.layers.Input(shape=x_deep.shape[1:], name="deep_input")
    norm_wide, norm_deep = keras.layers.Normalization(), keras.layers.Normalization()
    norm_wide.adapt(x_wide)
    norm_deep.adapt(x_deep)
    hidden1 = keras.layers.Dense(30, activation="relu")(norm_deep(input_deep))
    hidden2 = keras.layers.Dense(30, activation="relu")(hidden1)
    concat = keras.layers.concatenate([norm_wide(input_wide), hidden2])
    output = keras.layers.Dense(1, name="main_output")(concat)
    aux_output = keras.layers.Dense(1, name="aux_output")(hidden2)
    return keras.models.Model(inputs=[input_wide, input_deep], outputs=[output, aux_output], name="wide_and_deep")


def wide_deep(context: RunContext) -> None:
    """The tutorial's functional wide & deep model: features 0-4 wide, 2-7 deep, a main and an auxiliary output."""
    from jeras import keras

    splits = housing_splits(context)
    parts = {name: ([x[:, :5], x[:, 2:]], [y, y]) for name, (x, y) in splits.items()}
    (x_train, y_train), validation, (x_test, y_test) = parts["train"], parts["validation"], parts["test"]
    keras.utils.set_random_seed(context.settings.seed)
    model = _wide_and_deep(*x_train)
    model.compile(loss=["mse", "mse"], loss_weights=[0.9, 0.1], optimizer=keras.optimizers.SGD(learning_rate=1e-3))
    context.fit(model, x_train, y_train, validation_data=validation)
    context.evaluate(model, x_test, y_test)
    y_pred_main, _ = model.predict(x_test, verbose=0)
    record_predictions(context, y_test[0], y_pred_main)
    context.save_model(model)


REGRESSION = Workflow(
    name="regression",
    title="California housing regression (MLP)",
    description="The tutorial's 8-30-1 MLP on the California housing districts, features standardized by a "
    "Normalization layer, mean squared error, SGD.",
    default_epochs=20,
    dataset="california_housing",
    body=regression,
)
WIDE_DEEP = Workflow(
    name="wide-deep",
    title="Wide & deep model (functional API, two inputs, two outputs)",
    description="The tutorial's wide & deep net on California housing: features 0-4 take the wide path, 2-7 the "
    "deep path; a main and an auxiliary output with loss weights 0.9 and 0.1.",
    default_epochs=20,
    dataset="california_housing",
    body=wide_deep,
)
