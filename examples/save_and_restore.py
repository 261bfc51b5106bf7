"""Tutorial part 6: saving and restoring models — whole models (.h5 and .keras), weights, architecture as JSON.

Usage: python examples/save_and_restore.py
Environment: JERAS_EXAMPLE_EPOCHS (default 10) and JERAS_EXAMPLE_ROWS (default: all rows).
Writes my_keras_model.h5, my_keras_model.keras and my_keras_weights.ckpt* into the current folder.
"""

import os

import numpy as np

from jeras import keras

EPOCHS = int(os.environ.get("JERAS_EXAMPLE_EPOCHS", "10"))
ROWS = int(os.environ.get("JERAS_EXAMPLE_ROWS", "0")) or None
SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "datasets")
if "JERAS_DATA_DIR" not in os.environ and os.path.isdir(SHARED):
    os.environ["JERAS_DATA_DIR"] = SHARED

(X_train, y_train), (X_test, y_test) = keras.datasets.california_housing.load_data()
X_train, y_train = X_train[:ROWS], y_train[:ROWS]
mean, std = X_train.mean(axis=0), X_train.std(axis=0)
X_train, X_test = (X_train - mean) / std, (X_test - mean) / std

keras.utils.set_random_seed(42)
input_A = keras.layers.Input(shape=[5], name="wide_input")
input_B = keras.layers.Input(shape=[6], name="deep_input")
hidden1 = keras.layers.Dense(30, activation="relu")(input_B)
hidden2 = keras.layers.Dense(30, activation="relu")(hidden1)
concat = keras.layers.concatenate([input_A, hidden2])
output = keras.layers.Dense(1, name="output")(concat)
model = keras.models.Model(inputs=[input_A, input_B], outputs=output)
model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=1e-3))
model.fit((X_train[:, :5], X_train[:, 2:]), y_train, epochs=EPOCHS, verbose=2)
X_new = (X_test[:3, :5], X_test[:3, 2:])
expected = model.predict(X_new, verbose=0)

# The whole model: architecture, weights, optimizer state and compile settings.
model.save("my_keras_model.h5")
model.save("my_keras_model.keras")
for path in ("my_keras_model.h5", "my_keras_model.keras"):
    restored = keras.models.load_model(path)
    np.testing.assert_allclose(restored.predict(X_new, verbose=0), expected, rtol=1e-6)
    print(f"{path}: restored, same predictions; it trains on from where it stopped")
    restored.fit((X_train[:, :5], X_train[:, 2:]), y_train, epochs=1, verbose=0)

# Weights only, into a model built the same way.
model.save_weights("my_keras_weights.ckpt")
clone = keras.models.model_from_json(model.to_json())
clone.load_weights("my_keras_weights.ckpt")
np.testing.assert_allclose(clone.predict(X_new, verbose=0), expected, rtol=1e-6)
print("weights restored into a model rebuilt from its JSON architecture")
print("predictions:", expected.ravel().round(3), "true:", y_test[:3].round(3))
