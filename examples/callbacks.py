"""Tutorial part 2: callbacks — checkpoints, early stopping, a custom callback and TensorBoard.

Usage: python examples/callbacks.py
Environment: JERAS_EXAMPLE_EPOCHS (default 100, early stopping ends sooner) and
JERAS_EXAMPLE_ROWS (default: all rows). Writes my_keras_model.h5 and my_logs/ into the
current folder; view the logs with `tensorboard --logdir my_logs`.
"""

import os
import time

from jeras import keras

EPOCHS = int(os.environ.get("JERAS_EXAMPLE_EPOCHS", "100"))
ROWS = int(os.environ.get("JERAS_EXAMPLE_ROWS", "0")) or None
SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "datasets")
if "JERAS_DATA_DIR" not in os.environ and os.path.isdir(SHARED):
    os.environ["JERAS_DATA_DIR"] = SHARED

(X_train_full, y_train_full), (X_test, y_test) = keras.datasets.fashion_mnist.load_data()
n_valid = 5000 if len(X_train_full) >= 60000 else len(X_train_full) // 12
X_valid, X_train = X_train_full[:n_valid] / 255.0, X_train_full[n_valid:][:ROWS] / 255.0
y_valid, y_train = y_train_full[:n_valid], y_train_full[n_valid:][:ROWS]
X_test = X_test / 255.0

keras.utils.set_random_seed(42)
model = keras.models.Sequential(
    [
        keras.layers.Flatten(input_shape=[28, 28]),
        keras.layers.Dense(300, activation="relu"),
        keras.layers.Dense(100, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ]
)
model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])


class PrintValTrainRatioCallback(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs):
        print(f"\nepoch {epoch}: val/train loss ratio {logs['val_loss'] / logs['loss']:.2f}")


ROOT_LOGDIR = os.path.join(os.curdir, "my_logs")


def get_run_logdir(root_logdir=ROOT_LOGDIR):
    run_id = time.strftime("run_%Y_%m_%d-%H_%M_%S")
    return os.path.join(root_logdir, run_id)


checkpoint_cb = keras.callbacks.ModelCheckpoint("my_keras_model.h5", save_best_only=True)
early_stopping_cb = keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)
tensorboard_cb = keras.callbacks.TensorBoard(get_run_logdir())
history = model.fit(
    X_train,
    y_train,
    epochs=EPOCHS,
    validation_data=(X_valid, y_valid),
    callbacks=[checkpoint_cb, early_stopping_cb, PrintValTrainRatioCallback(), tensorboard_cb],
)
print(f"stopped after {len(history.epoch)} epochs")

model = keras.models.load_model("my_keras_model.h5")  # the best model seen during training
print("test loss and accuracy of the best checkpoint:", model.evaluate(X_test, y_test))
