"""Tutorial part 3: a regression MLP with the Sequential API, on California housing.

Usage: python examples/regression.py
Environment: JERAS_EXAMPLE_EPOCHS (default 20) and JERAS_EXAMPLE_ROWS (default: all rows).
Writes predictions.png into the current folder.
"""

import os

from jeras import keras
from jeras.plotting import plot_learning_curves, plot_predictions

EPOCHS = int(os.environ.get("JERAS_EXAMPLE_EPOCHS", "20"))
ROWS = int(os.environ.get("JERAS_EXAMPLE_ROWS", "0")) or None
SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "datasets")
if "JERAS_DATA_DIR" not in os.environ and os.path.isdir(SHARED):
    os.environ["JERAS_DATA_DIR"] = SHARED

(X_train_full, y_train_full), (X_test, y_test) = keras.datasets.california_housing.load_data(test_split=0.25)
n_train = len(X_train_full) * 3 // 4
X_train, X_valid = X_train_full[:n_train][:ROWS], X_train_full[n_train:]
y_train, y_valid = y_train_full[:n_train][:ROWS], y_train_full[n_train:]

# The tutorial's StandardScaler, fitted on the training set only.
mean, std = X_train.mean(axis=0), X_train.std(axis=0)
X_train, X_valid, X_test = (X_train - mean) / std, (X_valid - mean) / std, (X_test - mean) / std

keras.utils.set_random_seed(42)
model = keras.models.Sequential(
    [
        keras.layers.Dense(30, activation="relu", input_shape=X_train.shape[1:]),
        keras.layers.Dense(1),
    ]
)
model.compile(loss="mean_squared_error", optimizer=keras.optimizers.SGD(learning_rate=1e-3))
history = model.fit(X_train, y_train, epochs=EPOCHS, validation_data=(X_valid, y_valid))
mse_test = model.evaluate(X_test, y_test)
print(f"test MSE {mse_test:.4f}")

X_new = X_test[:3]
print("predicted:", model.predict(X_new).ravel().round(2), "true:", y_test[:3].round(2))
plot_learning_curves(history, path="learning_curves.png")
plot_predictions(y_test, model.predict(X_test), path="predictions.png")
