"""The tutorial's Fashion-MNIST classifier, written as in tf.keras, run on jeras.

Usage: python examples/fashion_mnist_mlp.py [DATA_DIR]
DATA_DIR is a jeras data directory holding `fashion_mnist/` with the IDX files (default:
$JERAS_DATA_DIR, else ../shared/datasets beside the checkout when it exists). Without any
files, `load_data()` downloads the set, or falls back to the real sample bundled with jeras.
"""

import os
import sys
import time

from jeras import keras

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "shared", "datasets")
if len(sys.argv) > 1:
    os.environ["JERAS_DATA_DIR"] = sys.argv[1]
elif "JERAS_DATA_DIR" not in os.environ and os.path.isdir(SHARED):
    os.environ["JERAS_DATA_DIR"] = SHARED
CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def main() -> None:
    fashion_mnist = keras.datasets.fashion_mnist
    (X_train_full, y_train_full), (X_test, y_test) = fashion_mnist.load_data()
    X_valid, X_train = X_train_full[:1000] / 255.0, X_train_full[1000:] / 255.0
    y_valid, y_train = y_train_full[:1000], y_train_full[1000:]
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
    model.summary()
    start = time.perf_counter()
    history = model.fit(X_train, y_train, epochs=10, validation_data=(X_valid, y_valid))
    print(f"trained in {time.perf_counter() - start:.1f}s (compile {model.compile_stats['compile_seconds']:.2f}s)")
    print({k: [round(v, 4) for v in vals] for k, vals in history.history.items()})
    loss, accuracy = model.evaluate(X_test, y_test)
    print(f"test loss {loss:.4f}, test accuracy {accuracy:.4f}")
    y_proba = model.predict(X_test[:3])
    print(y_proba.round(2))
    print(
        "predicted:", [CLASS_NAMES[i] for i in y_proba.argmax(axis=-1)], "true:", [CLASS_NAMES[i] for i in y_test[:3]]
    )


if __name__ == "__main__":
    main()
