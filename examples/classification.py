"""Tutorial part 1: an image classifier with the Sequential API, on Fashion-MNIST.

Usage: python examples/classification.py
Environment: JERAS_EXAMPLE_EPOCHS (default 30) and JERAS_EXAMPLE_ROWS (default: all rows) for
a quick run; JERAS_DATA_DIR for the data folder (default: ../shared/datasets beside the checkout
when it exists, else the loaders' own default, which falls back to the sample bundled with jeras).
Writes learning_curves.png and predictions.png into the current folder.
"""

import os

import numpy as np

from jeras import keras
from jeras.plotting import plot_learning_curves, show_images

EPOCHS = int(os.environ.get("JERAS_EXAMPLE_EPOCHS", "30"))
ROWS = int(os.environ.get("JERAS_EXAMPLE_ROWS", "0")) or None
SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "datasets")
if "JERAS_DATA_DIR" not in os.environ and os.path.isdir(SHARED):
    os.environ["JERAS_DATA_DIR"] = SHARED

fashion_mnist = keras.datasets.fashion_mnist
(X_train_full, y_train_full), (X_test, y_test) = fashion_mnist.load_data()
print(X_train_full.shape, X_train_full.dtype)

# The tutorial holds out 5,000 of the 60,000 training images for validation; a smaller set
# (the shared subset, the bundled sample) keeps the same fraction.
n_valid = 5000 if len(X_train_full) >= 60000 else len(X_train_full) // 12
X_valid, X_train = X_train_full[:n_valid] / 255.0, X_train_full[n_valid:] / 255.0
y_valid, y_train = y_train_full[:n_valid], y_train_full[n_valid:]
X_test = X_test / 255.0
X_train, y_train, X_valid, y_valid = X_train[:ROWS], y_train[:ROWS], X_valid[:ROWS], y_valid[:ROWS]

class_names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
print(class_names[y_train[0]])

keras.utils.set_random_seed(42)
model = keras.models.Sequential(
    [
        keras.layers.Flatten(input_shape=[28, 28]),
        keras.layers.Dense(300, activation="relu"),
        keras.layers.Dense(100, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ]
)
model.summary()
hidden1 = model.layers[1]
weights, biases = hidden1.get_weights()
print(hidden1.name, weights.shape, biases.shape, model.get_layer(hidden1.name) is hidden1)

model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
history = model.fit(X_train, y_train, epochs=EPOCHS, validation_data=(X_valid, y_valid))
print(history.params, history.epoch[-1])
plot_learning_curves(history, path="learning_curves.png")

print("test loss and accuracy:", model.evaluate(X_test, y_test))

X_new = X_test[:3]
y_proba = model.predict(X_new)
print(y_proba.round(2))
y_pred = np.argmax(y_proba, axis=-1)
print("predicted:", np.array(class_names)[y_pred], "true:", np.array(class_names)[y_test[:3]])
show_images(
    X_test[:20],
    y_test[:20],
    class_names,
    n_rows=2,
    n_cols=10,
    y_pred=model.predict(X_test[:20]),
    path="predictions.png",
)
