"""The tutorial's Fashion-MNIST classifier, written as in tf.keras, run on jeras.

Usage: python examples/fashion_mnist_mlp.py [DATA_DIR]
DATA_DIR holds train-/t10k- images and labels in IDX format (default: ../shared/datasets/fashion_mnist).
"""

import os
import sys
import time

from jeras import keras
from jeras.datasets import read_image_label_pair

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "shared", "datasets", "fashion_mnist")
CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def main() -> None:
    X_train_full, y_train_full = read_image_label_pair(
        os.path.join(DATA_DIR, "train-images-idx3-ubyte.gz"), os.path.join(DATA_DIR, "train-labels-idx1-ubyte.gz")
    )
    X_test, y_test = read_image_label_pair(
        os.path.join(DATA_DIR, "t10k-images-idx3-ubyte.gz"), os.path.join(DATA_DIR, "t10k-labels-idx1-ubyte.gz")
    )
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
