"""Sequence and image models on real data from ../shared/datasets.

Only Fashion-MNIST is there (and in jeras/datasets/sample): no real IMDB, Reuters or CIFAR-10 files
exist on these machines and none may be downloaded, so the text models (Embedding + pooling or
LSTM on IMDB reviews, TextVectorization.adapt on review text) have no real-data test; their
behaviour is tested on generated data in test_layers_recurrent.py and test_layers_preprocessing.py.
"""

import numpy as np
import pytest
from conftest import DATASETS

from jeras import keras
from jeras.datasets import fashion_mnist

TRAIN, EPOCHS, MIN_ACCURACY = 3000, 2, 0.70


@pytest.fixture(scope="module")
def fashion(monkeypatch_module):
    monkeypatch_module.setenv("JERAS_DATA_DIR", str(DATASETS))
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    return x_train[:TRAIN, :, :, None], y_train[:TRAIN], x_test[:, :, :, None], y_test


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_data_are_the_real_images(fashion):
    x_train, y_train, x_test, y_test = fashion
    assert x_train.shape == (TRAIN, 28, 28, 1) and x_train.dtype == np.uint8 and len(x_test) == 1226
    assert sorted(np.unique(y_train)) == list(range(10)) and 60 < x_train.mean() < 90


def test_augmented_cnn_learns_fashion_mnist(fashion):
    x_train, y_train, x_test, y_test = fashion
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.layers.Input((28, 28, 1)),
            keras.layers.RandomFlip("horizontal"),
            keras.layers.RandomContrast(0.1),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Conv2D(8, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=EPOCHS, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= MIN_ACCURACY  # chance is 0.10
