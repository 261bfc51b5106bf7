"""Tutorial part 7: hyperparameter search — a Keras model wrapped for scikit-learn, tuned by RandomizedSearchCV.

Usage: python examples/hyperparameter_search.py
Environment: JERAS_EXAMPLE_EPOCHS (default 100, early stopping ends sooner), JERAS_EXAMPLE_ROWS
(default: all rows) and JERAS_EXAMPLE_SEARCH_ITER (default 10 configurations).
Needs scikit-learn (`pip install scikit-learn`) and jeras's `keras.wrappers.scikit_learn`.
"""

import os

import numpy as np
from scipy.stats import reciprocal
from sklearn.model_selection import RandomizedSearchCV

from jeras import keras

EPOCHS = int(os.environ.get("JERAS_EXAMPLE_EPOCHS", "100"))
ROWS = int(os.environ.get("JERAS_EXAMPLE_ROWS", "0")) or None
N_ITER = int(os.environ.get("JERAS_EXAMPLE_SEARCH_ITER", "10"))
SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "datasets")
if "JERAS_DATA_DIR" not in os.environ and os.path.isdir(SHARED):
    os.environ["JERAS_DATA_DIR"] = SHARED

(X_train_full, y_train_full), (X_test, y_test) = keras.datasets.california_housing.load_data(test_split=0.25)
n_train = len(X_train_full) * 3 // 4
X_train, X_valid = X_train_full[:n_train][:ROWS], X_train_full[n_train:]
y_train, y_valid = y_train_full[:n_train][:ROWS], y_train_full[n_train:]
mean, std = X_train.mean(axis=0), X_train.std(axis=0)
X_train, X_valid, X_test = (X_train - mean) / std, (X_valid - mean) / std, (X_test - mean) / std
X_new = X_test[:3]


def build_model(n_hidden=1, n_neurons=30, learning_rate=3e-3, input_shape=(8,)):
    model = keras.models.Sequential()
    model.add(keras.layers.InputLayer(input_shape=input_shape))
    for _layer in range(n_hidden):
        model.add(keras.layers.Dense(n_neurons, activation="relu"))
    model.add(keras.layers.Dense(1))
    optimizer = keras.optimizers.SGD(learning_rate=learning_rate)
    model.compile(loss="mse", optimizer=optimizer)
    return model


keras_reg = keras.wrappers.scikit_learn.KerasRegressor(build_model)
keras_reg.fit(
    X_train,
    y_train,
    epochs=EPOCHS,
    validation_data=(X_valid, y_valid),
    callbacks=[keras.callbacks.EarlyStopping(patience=10)],
)
mse_test = keras_reg.score(X_test, y_test)
print("score (negative MSE) of the default model:", mse_test, "predictions:", keras_reg.predict(X_new))

param_distribs = {
    "n_hidden": [0, 1, 2, 3],
    "n_neurons": np.arange(1, 100),
    "learning_rate": reciprocal(3e-4, 3e-2),
}
rnd_search_cv = RandomizedSearchCV(keras_reg, param_distribs, n_iter=N_ITER, cv=3, verbose=2)
rnd_search_cv.fit(
    X_train,
    y_train,
    epochs=EPOCHS,
    validation_data=(X_valid, y_valid),
    callbacks=[keras.callbacks.EarlyStopping(patience=10)],
)
print("best parameters:", rnd_search_cv.best_params_)
print("best score:", rnd_search_cv.best_score_)
model = rnd_search_cv.best_estimator_.model
print("test MSE of the best model:", model.evaluate(X_test, y_test, verbose=0))
