"""Tutorial part 4: training deep networks — initialization, SELU, batch normalization, dropout, schedules.

Usage: python examples/deep_network.py
Environment: JERAS_EXAMPLE_EPOCHS (default 10 per model) and JERAS_EXAMPLE_ROWS (default: all
rows). Trains four Fashion-MNIST nets one after the other and prints their test accuracy.
"""

import os

import numpy as np

from jeras import keras

EPOCHS = int(os.environ.get("JERAS_EXAMPLE_EPOCHS", "10"))
ROWS = int(os.environ.get("JERAS_EXAMPLE_ROWS", "0")) or None
SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "datasets")
if "JERAS_DATA_DIR" not in os.environ and os.path.isdir(SHARED):
    os.environ["JERAS_DATA_DIR"] = SHARED

(X_train_full, y_train_full), (X_test, y_test) = keras.datasets.fashion_mnist.load_data()
n_valid = 5000 if len(X_train_full) >= 60000 else len(X_train_full) // 12
X_valid, X_train = X_train_full[:n_valid] / 255.0, X_train_full[n_valid:][:ROWS] / 255.0
y_valid, y_train = y_train_full[:n_valid], y_train_full[n_valid:][:ROWS]
X_test = X_test / 255.0


def train(name, model, optimizer, callbacks=(), x=(X_train, X_valid, X_test)):
    model.compile(loss="sparse_categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    model.fit(x[0], y_train, epochs=EPOCHS, validation_data=(x[1], y_valid), callbacks=list(callbacks), verbose=2)
    loss, accuracy = model.evaluate(x[2], y_test, verbose=0)
    print(f"{name}: test accuracy {accuracy:.4f}")
    return model


# 1. Batch normalization after each hidden layer, He initialization, ELU.
keras.utils.set_random_seed(42)
bn_model = keras.models.Sequential(
    [
        keras.layers.Flatten(input_shape=[28, 28]),
        keras.layers.BatchNormalization(),
        keras.layers.Dense(300, activation="elu", kernel_initializer="he_normal"),
        keras.layers.BatchNormalization(),
        keras.layers.Dense(100, activation="elu", kernel_initializer="he_normal"),
        keras.layers.BatchNormalization(),
        keras.layers.Dense(10, activation="softmax"),
    ]
)
print([(var.name, var.trainable) for var in bn_model.layers[1].variables])
train("batch normalization", bn_model, keras.optimizers.SGD(learning_rate=1e-3))

# 2. A self-normalizing net: SELU with LeCun initialization, on standardized inputs.
pixel_means = X_train.mean(axis=0, keepdims=True)
pixel_stds = X_train.std(axis=0, keepdims=True) + 1e-7
scaled = tuple((x - pixel_means) / pixel_stds for x in (X_train, X_valid, X_test))
keras.utils.set_random_seed(42)
selu_model = keras.models.Sequential([keras.layers.Flatten(input_shape=[28, 28])])
selu_model.add(keras.layers.Dense(300, activation="selu", kernel_initializer="lecun_normal"))
for _ in range(19):
    selu_model.add(keras.layers.Dense(100, activation="selu", kernel_initializer="lecun_normal"))
selu_model.add(keras.layers.AlphaDropout(rate=0.1))
selu_model.add(keras.layers.Dense(10, activation="softmax"))
train("SELU, 20 hidden layers", selu_model, keras.optimizers.Nadam(learning_rate=1e-3), x=scaled)


# 3. Dropout, Nesterov momentum and an exponentially decaying learning rate.
def exponential_decay(lr0, s):
    def exponential_decay_fn(epoch):
        return lr0 * 0.1 ** (epoch / s)

    return exponential_decay_fn


keras.utils.set_random_seed(42)
dropout_model = keras.models.Sequential(
    [
        keras.layers.Flatten(input_shape=[28, 28]),
        keras.layers.Dropout(rate=0.2),
        keras.layers.Dense(300, activation="elu", kernel_initializer="he_normal"),
        keras.layers.Dropout(rate=0.2),
        keras.layers.Dense(100, activation="elu", kernel_initializer="he_normal"),
        keras.layers.Dropout(rate=0.2),
        keras.layers.Dense(10, activation="softmax"),
    ]
)
scheduler = keras.callbacks.LearningRateScheduler(exponential_decay(lr0=0.01, s=20))
train("dropout", dropout_model, keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True), [scheduler])

# 4. Monte Carlo dropout: average 20 predictions made with dropout left on.
y_probas = np.stack([np.asarray(dropout_model(X_test[:100], training=True)) for _ in range(20)])
y_proba = y_probas.mean(axis=0)
print("MC dropout accuracy on 100 test images:", float((y_proba.argmax(axis=1) == y_test[:100]).mean()))
print("spread of the first image's predictions:", y_probas[:, 0].std(axis=0).round(2))
