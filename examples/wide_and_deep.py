"""Tutorial part 5: wide & deep nets three ways — functional, multi-input (with an auxiliary output), subclassed.

Usage: python examples/wide_and_deep.py
Environment: JERAS_EXAMPLE_EPOCHS (default 20) and JERAS_EXAMPLE_ROWS (default: all rows).
"""

import os

import numpy as np

from jeras import keras

EPOCHS = int(os.environ.get("JERAS_EXAMPLE_EPOCHS", "20"))
ROWS = int(os.environ.get("JERAS_EXAMPLE_ROWS", "0")) or None
SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "datasets")
if "JERAS_DATA_DIR" not in os.environ and os.path.isdir(SHARED):
    os.environ["JERAS_DATA_DIR"] = SHARED

(X_train_full, y_train_full), (X_test, y_test) = keras.datasets.california_housing.load_data(test_split=0.25)
n_train = len(X_train_full) * 3 // 4
X_train, X_valid = X_train_full[:n_train][:ROWS], X_train_full[n_train:]
y_train, y_valid = y_train_full[:n_train][:ROWS], y_train_full[n_train:]
mean, std = X_train.mean(axis=0), X_train.std(axis=0)
X_train, X_valid, X_test = (X_train - mean) / std, (X_valid - mean) / std, (X_test - mean) / std

# 1. The functional API without Sequential: the input feeds both the deep path and the output.
keras.utils.set_random_seed(42)
input_ = keras.layers.Input(shape=X_train.shape[1:])
hidden1 = keras.layers.Dense(30, activation="relu")(input_)
hidden2 = keras.layers.Dense(30, activation="relu")(hidden1)
concat = keras.layers.Concatenate()([input_, hidden2])
output = keras.layers.Dense(1)(concat)
model = keras.models.Model(inputs=[input_], outputs=[output])
model.summary()
model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=1e-3))
model.fit(X_train, y_train, epochs=EPOCHS, validation_data=(X_valid, y_valid), verbose=2)
print("functional wide & deep, test MSE:", model.evaluate(X_test, y_test, verbose=0))

# 2. Two inputs (features 0-4 wide, 2-7 deep) and two outputs: the main one and an auxiliary
#    one on the deep path, which regularizes it.
X_train_A, X_train_B = X_train[:, :5], X_train[:, 2:]
X_valid_A, X_valid_B = X_valid[:, :5], X_valid[:, 2:]
X_test_A, X_test_B = X_test[:, :5], X_test[:, 2:]
keras.utils.set_random_seed(42)
input_A = keras.layers.Input(shape=[5], name="wide_input")
input_B = keras.layers.Input(shape=[6], name="deep_input")
hidden1 = keras.layers.Dense(30, activation="relu")(input_B)
hidden2 = keras.layers.Dense(30, activation="relu")(hidden1)
concat = keras.layers.concatenate([input_A, hidden2])
output = keras.layers.Dense(1, name="main_output")(concat)
aux_output = keras.layers.Dense(1, name="aux_output")(hidden2)
model = keras.models.Model(inputs=[input_A, input_B], outputs=[output, aux_output])
model.compile(loss=["mse", "mse"], loss_weights=[0.9, 0.1], optimizer=keras.optimizers.SGD(learning_rate=1e-3))
model.fit(
    [X_train_A, X_train_B],
    [y_train, y_train],
    epochs=EPOCHS,
    validation_data=([X_valid_A, X_valid_B], [y_valid, y_valid]),
    verbose=2,
)
total_loss, main_loss, aux_loss = model.evaluate([X_test_A, X_test_B], [y_test, y_test], verbose=0)
print(f"multi-input wide & deep, test loss {total_loss:.4f} (main {main_loss:.4f}, auxiliary {aux_loss:.4f})")
y_pred_main, y_pred_aux = model.predict([X_test_A[:3], X_test_B[:3]], verbose=0)
print("main and auxiliary predictions:", y_pred_main.ravel().round(2), y_pred_aux.ravel().round(2))


# 3. The same model subclassed: layers made in __init__, the computation written in call().
class WideAndDeepModel(keras.models.Model):
    def __init__(self, units=30, activation="relu", **kwargs):
        super().__init__(**kwargs)
        self.hidden1 = keras.layers.Dense(units, activation=activation)
        self.hidden2 = keras.layers.Dense(units, activation=activation)
        self.main_output = keras.layers.Dense(1)
        self.aux_output = keras.layers.Dense(1)

    def call(self, inputs):
        input_A, input_B = inputs
        hidden1 = self.hidden1(input_B)
        hidden2 = self.hidden2(hidden1)
        concat = keras.layers.concatenate([input_A, hidden2])
        return self.main_output(concat), self.aux_output(hidden2)


keras.utils.set_random_seed(42)
model = WideAndDeepModel(30, activation="relu")
model.compile(loss="mse", loss_weights=[0.9, 0.1], optimizer=keras.optimizers.SGD(learning_rate=1e-3))
model.fit(
    (X_train_A, X_train_B),
    (y_train, y_train),
    epochs=EPOCHS,
    validation_data=((X_valid_A, X_valid_B), (y_valid, y_valid)),
    verbose=2,
)
total_loss, main_loss, aux_loss = model.evaluate((X_test_A, X_test_B), (y_test, y_test), verbose=0)
y_pred_main, y_pred_aux = model.predict((X_test_A[:3], X_test_B[:3]), verbose=0)
print(f"subclassed wide & deep, test loss {total_loss:.4f}; predictions {np.ravel(y_pred_main).round(2)}")
