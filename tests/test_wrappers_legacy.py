"""The tf.keras 2.x scikit-learn wrappers: `keras.wrappers.scikit_learn.KerasRegressor` / `KerasClassifier`.

The tutorial's code runs unchanged (on small data, fewer candidates); parameters route as
tf.keras documented; bad input fails before any training with the parameter named. The
scikit-learn estimator checks of these wrappers run in tests/test_wrappers_sklearn.py.

Compiled programs are kept between the tests of this module (the conftest clears them per
test): the tests build the same few structures, and compiling dominates their time.
"""

import pickle

import numpy as np
import pytest
from scipy.stats import reciprocal
from sklearn.base import clone
from sklearn.model_selection import RandomizedSearchCV

from jeras import keras

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore:The `lr` argument:UserWarning")


@pytest.fixture(autouse=True)
def _fresh_names():
    """Overrides the conftest's per-test `clear_session`: these tests share compiled programs."""
    yield


@pytest.fixture(scope="module")
def housing():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(240, 8)).astype("float32")
    y = (x[:, 0] - 0.5 * x[:, 1] + 0.1 * rng.normal(size=240)).astype("float32")
    return x[:160], y[:160], x[160:200], y[160:200], x[200:], y[200:]


def build_model(n_hidden=1, n_neurons=30, learning_rate=3e-3, input_shape=[8]):  # noqa: B006 (the tutorial's code)
    model = keras.models.Sequential()
    model.add(keras.layers.InputLayer(input_shape=input_shape))
    for _layer in range(n_hidden):
        model.add(keras.layers.Dense(n_neurons, activation="relu"))
    model.add(keras.layers.Dense(1))
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(lr=learning_rate))
    return model


def build_classifier(n_classes_, hidden=8, loss="sparse_categorical_crossentropy", metrics=("accuracy",)):
    model = keras.Sequential([keras.layers.Input((4,)), keras.layers.Dense(hidden, activation="relu")])
    model.add(keras.layers.Dense(n_classes_, activation="softmax"))
    model.compile(loss=loss, optimizer=keras.optimizers.Adam(0.02), metrics=list(metrics))
    return model


def test_the_tutorial_code_runs_unchanged(housing, capsys):
    X_train, y_train, X_valid, y_valid, X_test, y_test = housing
    X_new = X_test[:3]
    keras_reg = keras.wrappers.scikit_learn.KerasRegressor(build_model)
    keras_reg.fit(
        X_train,
        y_train,
        epochs=100,
        validation_data=(X_valid, y_valid),
        callbacks=[keras.callbacks.EarlyStopping(patience=10)],
    )
    mse_test = keras_reg.score(X_test, y_test)
    y_pred = keras_reg.predict(X_new)
    assert mse_test < 0 and mse_test == pytest.approx(-keras_reg.model.evaluate(X_test, y_test, verbose=0), rel=1e-5)
    assert y_pred.shape == (3,)

    # The search, with 2 candidates on 2 folds instead of 10 on 3 (time), and fewer epochs.
    param_distribs = {"n_hidden": [0, 1, 2, 3], "n_neurons": np.arange(1, 100), "learning_rate": reciprocal(3e-4, 3e-2)}
    rnd_search_cv = RandomizedSearchCV(keras_reg, param_distribs, n_iter=2, cv=2, verbose=2, random_state=1)
    rnd_search_cv.fit(
        X_train,
        y_train,
        epochs=20,
        validation_data=(X_valid, y_valid),
        callbacks=[keras.callbacks.EarlyStopping(patience=10)],
    )
    assert set(rnd_search_cv.best_params_) == {"n_hidden", "n_neurons", "learning_rate"}
    assert rnd_search_cv.best_score_ < 0
    assert isinstance(rnd_search_cv.best_estimator_.model, keras.Model)
    assert "[CV] END" in capsys.readouterr().out


def test_construction_warns_and_points_to_the_modern_wrappers():
    with pytest.warns(DeprecationWarning, match="SKLearnRegressor"):
        keras.wrappers.scikit_learn.KerasRegressor(build_model)
    with pytest.warns(DeprecationWarning, match="SKLearnClassifier"):
        keras.wrappers.scikit_learn.KerasClassifier(build_classifier)


def test_sk_params_route_to_build_fn_and_fit_and_fit_kwargs_override(housing):
    x, y = housing[:2]
    reg = keras.wrappers.scikit_learn.KerasRegressor(build_model, n_hidden=2, n_neurons=7, epochs=3, verbose=0)
    assert reg.get_params() == {"build_fn": build_model, "n_hidden": 2, "n_neurons": 7, "epochs": 3, "verbose": 0}
    assert reg.sk_params == {"n_hidden": 2, "n_neurons": 7, "epochs": 3, "verbose": 0}
    history = reg.fit(x, y)
    assert isinstance(history, keras.callbacks.History) and len(history.history["loss"]) == 3
    assert [layer.units for layer in reg.model.layers] == [7, 7, 1]
    assert len(reg.fit(x, y, epochs=2).history["loss"]) == 2
    assert reg.fit_arguments({"batch_size": 16}) == {"epochs": 3, "verbose": 0, "batch_size": 16}
    rebuilt = reg.build_model({"n_neurons": 5})
    assert [layer.units for layer in rebuilt.layers] == [5, 5, 1] and reg.sk_params["n_neurons"] == 7


def test_an_illegal_parameter_is_named_at_construction_and_in_set_params():
    with pytest.raises(ValueError, match=r"n_hiden is not a legal parameter.*Received: n_hiden=3"):
        keras.wrappers.scikit_learn.KerasRegressor(build_model, n_hiden=3)
    reg = keras.wrappers.scikit_learn.KerasRegressor(build_model)
    with pytest.raises(ValueError, match=r"neurons is not a legal parameter.*Received: neurons=5"):
        reg.set_params(neurons=5)
    assert reg.get_params() == {"build_fn": build_model}


@pytest.mark.parametrize(
    ("returned", "error", "match"),
    [
        (lambda: keras.Sequential([keras.layers.Input((8,)), keras.layers.Dense(1)]), ValueError, "not compiled"),
        (lambda: "a model", TypeError, r"must return a compiled jeras model.*Received: 'a model' of type str"),
    ],
)
def test_build_fn_must_return_a_compiled_model_before_any_training(housing, returned, error, match):
    x, y = housing[:2]
    reg = keras.wrappers.scikit_learn.KerasRegressor(returned, verbose=0)
    with pytest.raises(error, match=match):
        reg.fit(x, y)
    assert not hasattr(reg, "model")


def test_build_fn_none_uses_the_subclass_call(housing):
    class Wide(keras.wrappers.scikit_learn.KerasRegressor):
        def __call__(self, n_neurons=4):
            return build_model(n_hidden=1, n_neurons=n_neurons)

    reg = Wide(n_neurons=6, epochs=1, verbose=0)
    reg.fit(*housing[:2])
    assert reg.model.layers[0].units == 6


def test_classifier_labels_of_any_type_probabilities_and_accuracy():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(120, 4)).astype("float32")
    names = np.array(["bird", "cat", "dog"])[np.argmax(x[:, :3], axis=1)]
    clf = keras.wrappers.scikit_learn.KerasClassifier(build_classifier, epochs=30, verbose=0)
    clf.fit(x, names)
    assert clf.classes_.tolist() == ["bird", "cat", "dog"] and clf.n_classes_ == 3
    predicted = clf.predict(x)
    assert predicted.shape == (120,) and set(predicted) <= {"bird", "cat", "dog"}
    proba = clf.predict_proba(x)
    assert proba.shape == (120, 3) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)
    assert clf.score(x, names, verbose=0) == pytest.approx(np.mean(predicted == names), abs=1e-6)
    assert clf.score(x, names, verbose=0) > 0.7
    # One-hot targets for categorical crossentropy, encoded from the labels.
    onehot = keras.wrappers.scikit_learn.KerasClassifier(
        build_classifier, loss="categorical_crossentropy", epochs=2, verbose=0
    )
    onehot.fit(x, names, validation_data=(x[:20], names[:20]))
    assert onehot.model_targets(onehot.model, np.array([2, 0])).tolist() == [[0, 0, 1], [1, 0, 0]]


def test_classifier_with_one_sigmoid_unit_gives_two_probability_columns():
    def binary(hidden=4):
        model = keras.Sequential([keras.layers.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
        model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
        return model

    x = np.random.default_rng(2).normal(size=(40, 4)).astype("float32")
    labels = np.where(x[:, 0] > 0, "yes", "no")
    clf = keras.wrappers.scikit_learn.KerasClassifier(binary, epochs=1, verbose=0)
    clf.fit(x, labels)
    proba = clf.predict_proba(x)
    assert proba.shape == (40, 2) and np.allclose(proba.sum(axis=1), 1)
    assert np.array_equal(clf.predict(x), np.where(proba[:, 1] > 0.5, "yes", "no"))


def test_classifier_score_needs_the_accuracy_metric():
    clf = keras.wrappers.scikit_learn.KerasClassifier(build_classifier, metrics=(), epochs=1, verbose=0)
    x = np.random.default_rng(3).normal(size=(20, 4)).astype("float32")
    clf.fit(x, np.arange(20) % 3)
    with pytest.raises(ValueError, match=r"metrics=\['accuracy'\].*Received: metrics \['loss'\]"):
        clf.score(x, np.arange(20) % 3, verbose=0)


@pytest.mark.parametrize(
    ("labels", "match"),
    [
        (np.linspace(0, 1, 20), "Unknown label type: continuous"),
        (np.ones(20), r"at least 2 classes.*Received: classes=\[1.0\]"),
        (np.r_[np.zeros(19), np.nan], "NaN"),
        (np.array([1, "a"] * 10, dtype=object), "Unknown label type"),
    ],
)
def test_classifier_rejects_labels_it_cannot_encode_before_training(labels, match):
    clf = keras.wrappers.scikit_learn.KerasClassifier(build_classifier, verbose=0)
    with pytest.raises(ValueError, match=match):
        clf.fit(np.zeros((20, 4), "float32"), labels)
    assert not hasattr(clf, "model")


def test_pickle_and_clone_before_and_after_fit(housing):
    x, y = housing[:2]
    reg = keras.wrappers.scikit_learn.KerasRegressor(build_model, epochs=2, verbose=0)
    assert pickle.loads(pickle.dumps(reg)).get_params()["epochs"] == 2
    reg.fit(x, y)
    restored = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(restored.predict(x), reg.predict(x))
    assert isinstance(restored.model, keras.Model) and restored.model is not reg.model
    copy = clone(reg)
    assert not hasattr(copy, "model") and copy.get_params() == reg.get_params()


def test_callbacks_in_sk_params_are_copied_so_the_fitted_estimator_clones(housing):
    x, y = housing[:2]
    stop = keras.callbacks.EarlyStopping(monitor="loss")
    reg = keras.wrappers.scikit_learn.KerasRegressor(build_model, epochs=2, verbose=0, callbacks=[stop])
    reg.fit(x, y)
    reg.score(x, y)
    assert stop.model is None
    clone(reg).fit(x, y)
