"""The modern estimators `jeras.wrappers.SKLearnRegressor` / `SKLearnClassifier`, and every wrapper in scikit-learn.

scikit-learn's own estimator checks run once for all four wrappers (one test, so that they
share compiled programs); the checks each wrapper is expected to fail are listed below with
the reason, as scikit-learn's `expected_failed_checks` takes them.

Compiled programs are kept between the tests of this module (the conftest clears them per
test): the tests build the same few structures, and compiling dominates their time.
"""

import os
import pickle
import time
import warnings

import numpy as np
import pytest
from scipy.stats import loguniform
from sklearn.base import clone
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

from jeras import keras
from jeras.wrappers import KerasClassifier, KerasRegressor, SKLearnClassifier, SKLearnRegressor

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# The checks scikit-learn's check_estimator runs that the wrappers fail by design.
WEIGHTS_ARE_NOT_REPEATS = (
    "stochastic mini-batch training: a sample of weight 2 is not the same as the sample twice (the batches "
    "differ), so the fitted networks differ slightly"
)
LEGACY_FIT_RETURNS_HISTORY = "tf.keras 2.x's wrappers return the History from fit, not the estimator"
EXPECTED_FAILURES = {
    "modern": {"check_sample_weight_equivalence_on_dense_data": WEIGHTS_ARE_NOT_REPEATS},
    "legacy": {
        "check_sample_weight_equivalence_on_dense_data": WEIGHTS_ARE_NOT_REPEATS,
        "check_estimators_fit_returns_self": LEGACY_FIT_RETURNS_HISTORY,
        "check_readonly_memmap_input": LEGACY_FIT_RETURNS_HISTORY + " (the check asserts fit(X, y) is the estimator)",
    },
}


@pytest.fixture(autouse=True)
def _fresh_names():
    """Overrides the conftest's per-test `clear_session`: these tests share compiled programs."""
    yield


def linear_regressor(n_features_in_, n_outputs_):
    model = keras.Sequential([keras.layers.Input((n_features_in_,)), keras.layers.Dense(n_outputs_)])
    model.compile(loss="mse", optimizer=keras.optimizers.Adam(0.01))
    return model


def linear_classifier(n_features_in_, n_classes_):
    model = keras.Sequential([keras.layers.Input((n_features_in_,))])
    model.add(keras.layers.Dense(n_classes_, activation="softmax"))
    model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.Adam(0.01), metrics=["accuracy"])
    return model


def mlp(n_hidden=1, learning_rate=0.01, n_features_in_=4):
    model = keras.Sequential([keras.layers.Input((n_features_in_,))])
    for _ in range(n_hidden):
        model.add(keras.layers.Dense(8, activation="relu"))
    model.add(keras.layers.Dense(1))
    model.compile(loss="mse", optimizer=keras.optimizers.Adam(learning_rate))
    return model


def mlp_classifier(n_classes_, n_hidden=1, n_features_in_=4):
    model = keras.Sequential([keras.layers.Input((n_features_in_,))])
    for _ in range(n_hidden):
        model.add(keras.layers.Dense(8, activation="relu"))
    model.add(keras.layers.Dense(n_classes_, activation="softmax"))
    model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.Adam(0.02), metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def regression():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 4))
    return x, x @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.1 * rng.normal(size=96)


@pytest.fixture(scope="module")
def classification():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(96, 4))
    return x, np.array(["low", "mid", "high"])[np.argmax(x[:, :3], axis=1)]


_SMALL = {"epochs": 2, "batch_size": 512, "random_state": 0}


# One test per estimator, so the two test workers share the checks out.
@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda: SKLearnRegressor(linear_regressor, **_SMALL), "modern"),
        (lambda: KerasRegressor(linear_regressor, verbose=0, **_SMALL), "legacy"),
        (lambda: SKLearnClassifier(linear_classifier, **_SMALL), "modern"),
        (lambda: KerasClassifier(linear_classifier, verbose=0, **_SMALL), "legacy"),
    ],
    ids=["SKLearnRegressor", "KerasRegressor", "SKLearnClassifier", "KerasClassifier"],
)
def test_scikit_learn_estimator_checks(make, kind):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_estimator(make(), expected_failed_checks=EXPECTED_FAILURES[kind], on_skip=None)


def test_parameters_route_by_prefix_and_the_interface_for_tuning(regression):
    x, y = regression
    reg = SKLearnRegressor(mlp, epochs=3, model__n_hidden=2, fit__shuffle=False, predict__batch_size=8)
    assert reg.get_params()["model__n_hidden"] == 2 and "model__n_hidden=2" in repr(reg)
    reg.fit(x, y)
    assert len(reg.history_["loss"]) == 3 and len(reg.model_.layers) == 3
    assert reg.fit_arguments({"verbose": 0}) == {"epochs": 3, "verbose": 0, "shuffle": False}
    assert reg.fit_arguments(params={"epochs": 5})["epochs"] == 5
    built = reg.build_model({"model__n_hidden": 0})
    assert len(built.layers) == 1 and built.optimizer is not None and reg.get_params()["model__n_hidden"] == 2
    reg.set_params(model__n_hidden=1, epochs=1)
    assert len(reg.fit(x, y).model_.layers) == 2 and len(reg.history_["loss"]) == 1


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"model__n_layers": 3}, r"does not accept \['model__n_layers'\]. Received: model__n_layers=3"),
        ({"fit__epoch": 3}, r"Model.fit does not accept \['fit__epoch'\]. Received: fit__epoch=3"),
        ({"n_hidden": 3}, r"no parameter \['n_hidden'\].*prefix model__.*Received: n_hidden=3"),
    ],
)
def test_a_parameter_nobody_accepts_is_named_before_training(regression, params, match):
    reg = SKLearnRegressor(mlp).set_params(**params)
    with pytest.raises(ValueError, match=match):
        reg.fit(*regression)
    assert not hasattr(reg, "model_")


@pytest.mark.parametrize(
    ("model", "error", "match"),
    [
        (lambda: keras.Sequential([keras.layers.Input((4,)), keras.layers.Dense(1)]), ValueError, "not compiled"),
        (
            lambda: None,
            TypeError,
            r"must return a compiled jeras model \(keras.Model\). Received: None of type NoneType",
        ),
        (None, TypeError, "needs a model-building function.*Received: model=None"),
    ],
)
def test_the_model_must_be_a_compiled_jeras_model(regression, model, error, match):
    with pytest.raises(error, match=match):
        SKLearnRegressor(model).fit(*regression)


def test_a_template_model_is_copied_never_trained(regression):
    x, y = regression
    template = mlp()
    before = [w.copy() for w in template.get_weights()]
    reg = SKLearnRegressor(template, epochs=2).fit(x, y)
    assert reg.model_ is not template
    assert all(np.array_equal(a, b) for a, b in zip(before, template.get_weights()))
    assert clone(reg).model is template
    restored = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(restored.predict(x), reg.predict(x))
    assert isinstance(pickle.loads(pickle.dumps(SKLearnRegressor(template))).model, keras.Model)


def test_warm_start_continues_the_fitted_model(regression):
    x, y = regression
    reg = SKLearnRegressor(mlp, epochs=2, warm_start=True, random_state=0).fit(x, y)
    first, loss = reg.model_, reg.history_["loss"][-1]
    reg.fit(x, y)
    assert reg.model_ is first and reg.history_["loss"][0] < loss
    assert SKLearnRegressor(mlp, epochs=2).fit(x, y).fit(x, y).model_ is not first


def test_score_is_r2_and_accuracy_and_sample_weight_counts(regression, classification):
    x, y = regression
    reg = SKLearnRegressor(mlp, epochs=5, random_state=0).fit(x, y)
    assert reg.score(x, y) == pytest.approx(r2_score(y, reg.predict(x)))
    weights = (np.arange(len(y)) < 48).astype(float)
    weighted = SKLearnRegressor(mlp, epochs=5, random_state=0).fit(x, y, sample_weight=weights)
    assert not np.allclose(weighted.predict(x), reg.predict(x))
    with pytest.raises(ValueError, match="at least one non-zero weight"):
        SKLearnRegressor(mlp).fit(x, y, sample_weight=np.zeros(len(y)))
    xc, labels = classification
    clf = SKLearnClassifier(mlp_classifier, epochs=40, random_state=0).fit(xc, labels)
    assert clf.classes_.tolist() == ["high", "low", "mid"]
    assert (
        clf.score(xc, labels) == pytest.approx(accuracy_score(labels, clf.predict(xc))) and clf.score(xc, labels) > 0.7
    )
    proba = clf.predict_proba(xc)
    assert proba.shape == (96, 3) and np.array_equal(clf.classes_[proba.argmax(1)], clf.predict(xc))


def test_classifier_interface_for_tuning(classification):
    x, labels = classification
    clf = SKLearnClassifier(mlp_classifier, epochs=1)
    codes = clf.encode_labels(labels)
    assert codes.dtype == np.int32 and np.array_equal(clf.decode_labels(codes), labels)
    model = clf.build_model()
    assert model.layers[-1].units == 3 and np.array_equal(clf.model_targets(model, codes), codes)
    np.testing.assert_allclose(clf.probabilities(np.array([[0.3], [0.8]])), [[0.7, 0.3], [0.2, 0.8]])
    clf.fit(x, labels, class_weight={"low": 2.0, "mid": 1.0, "high": 1.0}, validation_data=(x[:10], labels[:10]))
    assert "val_loss" in clf.history_


def test_random_state_makes_fits_repeatable_and_leaves_numpy_alone(regression):
    x, y = regression
    np.random.seed(5)
    expected = np.random.random_sample()
    np.random.seed(5)
    first = SKLearnRegressor(mlp, epochs=2, random_state=3).fit(x, y).predict(x)
    assert np.random.random_sample() == expected
    np.testing.assert_array_equal(SKLearnRegressor(mlp, epochs=2, random_state=3).fit(x, y).predict(x), first)


def test_searches_pipelines_and_cross_validation(regression, classification):
    x, y = regression
    pipeline = make_pipeline(StandardScaler(), SKLearnRegressor(mlp, epochs=3, random_state=0))
    grid = GridSearchCV(pipeline, {"sklearnregressor__model__n_hidden": [0, 1]}, cv=2).fit(x, y)
    assert grid.best_params_["sklearnregressor__model__n_hidden"] in (0, 1)
    assert isinstance(grid.best_estimator_[-1].model_, keras.Model)
    search = RandomizedSearchCV(
        SKLearnRegressor(mlp, epochs=3),
        {"model__learning_rate": loguniform(1e-3, 3e-2), "epochs": [2, 3]},
        n_iter=2,
        cv=2,
        random_state=0,
    ).fit(x, y)
    assert 1e-3 <= search.best_params_["model__learning_rate"] <= 3e-2
    xc, labels = classification
    scores = cross_val_score(SKLearnClassifier(mlp_classifier, epochs=3), xc, labels, cv=2)
    assert scores.shape == (2,) and ((0 <= scores) & (scores <= 1)).all()


def test_n_jobs_2_runs_in_fresh_processes(regression):
    # joblib's default backend (loky) starts fresh interpreters, which JAX needs; the
    # estimator and its model-building function travel there by pickle.
    scores = cross_val_score(SKLearnRegressor(mlp, epochs=2), *regression, cv=2, n_jobs=2, error_score="raise")
    assert scores.shape == (2,) and np.isfinite(scores).all()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX")
def test_a_forked_process_gets_a_clear_error_instead_of_a_deadlock(regression):
    x, y = regression
    SKLearnRegressor(mlp, epochs=1).fit(x, y)  # this process has run JAX now
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # JAX's own warning about os.fork()
        pid = os.fork()
    if pid == 0:  # the child: must raise before touching JAX
        try:
            SKLearnRegressor(mlp, epochs=1).fit(x, y)
        except RuntimeError as err:
            os._exit(0 if "forked from one that had already run JAX" in str(err) and "loky" in str(err) else 2)
        os._exit(1)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.05)
    os.kill(pid, 9)
    pytest.fail("the forked child did not stop within 60 s")
