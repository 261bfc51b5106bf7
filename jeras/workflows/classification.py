"""The Fashion-MNIST workflows: the tutorial's MLP classifier, and a deep SELU net with batch norm and dropout."""

from __future__ import annotations

import numpy as np

from jeras.datasets.fashion_mnist import CLASS_NAMES
from jeras.workflows.data import DataSource, cut, load
from jeras.workflows.run import RunContext, Workflow

# The tutorial holds out the first 5,000 of the 60,000 training images; a smaller set (a
# subset in the data folder, the bundled sample) keeps the same fraction, 1/12.
_VALIDATION_FRACTION = 5_000 / 60_000


def fashion_mnist_splits(context: RunContext) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Loads Fashion-MNIST, holds out the first images for validation, scales pixels to [0, 1], records the source."""
    ((x_full, y_full), (x_test, y_test)), origin, location = load(
        "fashion_mnist", context.data_folder, download=context.settings.download
    )
    n_valid = max(1, round(len(x_full) * _VALIDATION_FRACTION))
    splits = {
        "train": (x_full[n_valid:], y_full[n_valid:]),
        "validation": (x_full[:n_valid], y_full[:n_valid]),
        "test": (x_test, y_test),
    }
    available = {name: len(x) for name, (x, _) in splits.items()}
    splits = cut(splits, context.settings.max_rows)
    context.record_data(
        DataSource(
            dataset="fashion_mnist",
            title="Fashion-MNIST",
            origin=origin,
            location=location,
            sizes={name: len(x) for name, (x, _) in splits.items()},
            available=available,
            note=_sample_note(origin, "fashion_mnist"),
        )
    )
    return {name: ((x / 255.0).astype(np.float32), y) for name, (x, y) in splits.items()}


def _sample_note(origin: str, dataset: str) -> str:
    if origin != "bundled sample":
        return ""
    return (
        f"The full set was not in the data folder, so the real sample bundled with jeras was used. For the full set, "
        f"put its files in <data folder>/{dataset}/ (see `jeras info`)."
    )


def _train_and_report(context: RunContext, model, callbacks: list) -> None:
    splits = fashion_mnist_splits(context)
    (x_train, y_train), (x_valid, y_valid), (x_test, y_test) = splits["train"], splits["validation"], splits["test"]
    context.fit(model, x_train, y_train, validation_data=(x_valid, y_valid), callbacks=callbacks)
    context.evaluate(model, x_test, y_test)
    y_proba = model.predict(x_test, verbose=0)
    y_pred = y_proba.argmax(axis=-1)
    from jeras.plotting import confusion_matrix, plot_confusion_matrix, show_images

    context.stage("drawing figures")
    shown = min(len(x_test), 40)
    context.figure(
        "samples.png",
        show_images(x_test[:shown], y_test[:shown], CLASS_NAMES, n_rows=4, n_cols=10, y_pred=y_pred[:shown]),
        f"The first {shown} test images with the predicted class; where it is wrong, the true class follows in red.",
    )
    context.figure(
        "confusion_matrix.png",
        plot_confusion_matrix(y_test, y_pred, CLASS_NAMES),
        "Test-set confusion matrix: rows are the true classes, columns the predicted ones.",
    )
    context.note("confusion_matrix", confusion_matrix(y_test, y_pred, len(CLASS_NAMES)).tolist())
    context.note("class_names", list(CLASS_NAMES))
    context.save_model(model)


def _checkpoint_and_early_stop(context: RunContext) -> list:
    from jeras import keras

    return [
        keras.callbacks.ModelCheckpoint(str(context.path("checkpoint.keras")), save_best_only=True),
        keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True),
    ]


def classification(context: RunContext) -> None:
    """The tutorial's Fashion-MNIST MLP (784-300-100-10, SGD) with ModelCheckpoint, EarlyStopping and TensorBoard."""
    from jeras import keras

    keras.utils.set_random_seed(context.settings.seed)
    model = keras.models.Sequential(
        [
            keras.layers.Flatten(input_shape=[28, 28]),
            keras.layers.Dense(300, activation="relu"),
            keras.layers.Dense(100, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ],
        name="fashion_mnist_mlp",
    )
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    _train_and_report(context, model, _checkpoint_and_early_stop(context))


def deep(context: RunContext) -> None:
    """A deep Fashion-MNIST net: batch-normalized inputs, SELU layers with LeCun init, alpha dropout, Nadam."""
    from jeras import keras

    keras.utils.set_random_seed(context.settings.seed)
    model = keras.models.Sequential(
        [keras.layers.Flatten(input_shape=[28, 28]), keras.layers.BatchNormalization()], name="deep_selu_net"
    )
    for units in (300, 100, 100, 100, 100):
        model.add(keras.layers.Dense(units, activation="selu", kernel_initializer="lecun_normal"))
    model.add(keras.layers.AlphaDropout(rate=0.1))
    model.add(keras.layers.Dense(10, activation="softmax"))
    model.compile(
        loss="sparse_categorical_crossentropy",
        optimizer=keras.optimizers.Nadam(learning_rate=1e-3),
        metrics=["accuracy"],
    )
    _train_and_report(context, model, _checkpoint_and_early_stop(context))


CLASSIFICATION = Workflow(
    name="classification",
    title="Fashion-MNIST classifier (MLP)",
    description="The tutorial's 784-300-100-10 MLP on Fashion-MNIST, pixels scaled to [0, 1], trained with SGD, "
    "ModelCheckpoint, EarlyStopping and TensorBoard.",
    default_epochs=30,
    dataset="fashion_mnist",
    body=classification,
)
DEEP = Workflow(
    name="deep",
    title="Deep Fashion-MNIST net (BatchNormalization, SELU, dropout)",
    description="A 5-hidden-layer SELU net (LeCun-normal init) after a BatchNormalization input layer, with "
    "AlphaDropout before the softmax, trained with Nadam.",
    default_epochs=20,
    dataset="fashion_mnist",
    body=deep,
)
