"""jeras.tuning: scikit-learn's search contract, with every candidate and fold trained at once."""

import warnings

import numpy as np
import pytest
from scipy.stats import reciprocal
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV as SkGridSearchCV
from sklearn.model_selection import KFold
from sklearn.model_selection import RandomizedSearchCV as SkRandomizedSearchCV

from jeras import keras, tuning


def build_model(n_hidden=1, n_neurons=30, learning_rate=3e-3, input_shape=[8]):  # noqa: B006 - the tutorial's signature
    model = keras.models.Sequential()
    model.add(keras.layers.InputLayer(input_shape=input_shape))
    for _ in range(n_hidden):
        model.add(keras.layers.Dense(n_neurons, activation="relu"))
    model.add(keras.layers.Dense(1))
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=learning_rate))
    return model


@pytest.fixture(scope="module")
def housing():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(360, 8)).astype("float32")
    y = (x[:, :3] @ np.array([1.0, -0.5, 0.3]) + 0.1 * rng.normal(size=360)).astype("float32")
    return x[:300], y[:300], x[300:], y[300:]


def _regressor():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return keras.wrappers.scikit_learn.KerasRegressor(build_model)


def _fit_params(x_valid, y_valid, epochs=12):
    return dict(
        epochs=epochs,
        validation_data=(x_valid, y_valid),
        callbacks=[keras.callbacks.EarlyStopping(patience=3)],
        verbose=0,
    )


def test_the_tutorial_search_gives_scikit_learns_results_contract(housing):
    x, y, xv, yv = housing
    distributions = {"n_hidden": [0, 1, 2], "n_neurons": np.arange(1, 40), "learning_rate": reciprocal(3e-4, 3e-2)}
    ours = tuning.RandomizedSearchCV(_regressor(), distributions, n_iter=4, cv=3, random_state=7)
    ours.fit(x, y, **_fit_params(xv, yv))
    theirs = SkRandomizedSearchCV(_regressor(), distributions, n_iter=4, cv=3, random_state=7)
    theirs.fit(x, y, **_fit_params(xv, yv))
    assert ours.cv_results_["params"] == theirs.cv_results_["params"]  # the same candidates
    assert set(ours.cv_results_) == set(theirs.cv_results_)
    assert ours.n_splits_ == theirs.n_splits_ == 3
    assert ours.best_params_ == ours.cv_results_["params"][ours.best_index_]
    assert ours.best_score_ == ours.cv_results_["mean_test_score"][ours.best_index_]
    assert ours.cv_results_["rank_test_score"][ours.best_index_] == 1
    assert ours.refit_time_ > 0
    assert isinstance(ours.best_estimator_.model, keras.models.Sequential)
    assert ours.predict(xv).shape == (len(xv),)
    assert np.all(np.isfinite(ours.cv_results_["mean_test_score"]))


def test_a_member_equals_the_same_candidate_trained_alone(housing, capsys):
    x, y, xv, yv = housing
    # Two widths: the members train padded to 16 units in one program (jeras.tuning.padding).
    grid = {"learning_rate": [3e-3, 1e-2], "n_neurons": [5, 16]}
    search = tuning.GridSearchCV(_regressor(), grid, cv=3, random_state=3, refit=False, verbose=1)
    fit_params = _fit_params(xv, yv)
    search.fit(x, y, **fit_params)
    assert "training 12 members of one structure together" in capsys.readouterr().out
    splits = list(KFold(3).split(x))
    for c, candidate in enumerate(search.cv_results_["params"]):
        for f, (train, test) in enumerate(splits):
            keras.utils.set_random_seed(int(search.member_seeds_[c, f]))
            alone = clone(_regressor()).set_params(**candidate)
            alone.fit(x[train], y[train], **_fit_params(xv, yv))
            score = alone.score(x[test], y[test])
            assert score == pytest.approx(search.cv_results_[f"split{f}_test_score"][c], rel=1e-5, abs=1e-6)


def test_the_same_best_candidate_as_scikit_learn_on_a_clear_grid(housing):
    x, y, xv, yv = housing
    grid = {"learning_rate": [1e-5, 2e-2], "n_hidden": [1]}
    ours = tuning.GridSearchCV(_regressor(), grid, cv=3, random_state=0, refit=False).fit(x, y, **_fit_params(xv, yv))
    theirs = SkGridSearchCV(_regressor(), grid, cv=3, refit=False).fit(x, y, **_fit_params(xv, yv))
    assert ours.best_params_ == theirs.best_params_ == {"learning_rate": 2e-2, "n_hidden": 1}


def test_a_diverging_candidate_gets_error_score_and_the_others_train(housing):
    x, y, xv, yv = housing
    grid = {"learning_rate": [1e-2, 1e3]}
    search = tuning.GridSearchCV(_regressor(), grid, cv=2, random_state=0, error_score=-1e6, refit=False)
    with pytest.warns(UserWarning, match="error_score"):
        search.fit(x, y, **_fit_params(xv, yv, epochs=6))
    scores = search.cv_results_["mean_test_score"]
    assert scores[1] == -1e6 and np.isfinite(scores[0]) and scores[0] > -1e6
    assert search.best_params_ == {"learning_rate": 1e-2}


def test_several_structures_are_grouped(housing, capsys):
    x, y, xv, yv = housing
    grid = {"n_hidden": [0, 1], "learning_rate": [1e-3, 1e-2]}
    search = tuning.GridSearchCV(_regressor(), grid, cv=2, random_state=0, refit=False, verbose=1)
    search.fit(x, y, **_fit_params(xv, yv, epochs=4))
    out = capsys.readouterr().out
    assert "Fitting 2 folds for each of 4 candidates, totalling 8 fits" in out
    assert out.count("training 4 members of one structure together") == 2


def test_bad_search_arguments_are_clear_errors(housing):
    x, y, _, _ = housing
    with pytest.raises(
        ValueError, match=r"param_distributions\['learning_rate'\] must be a list of values or a distribution"
    ):
        tuning.RandomizedSearchCV(_regressor(), {"learning_rate": 0.1}, n_iter=2).fit(x, y)
    with pytest.raises(ValueError, match="n_iter=5 asks for more candidates than the 2 combinations"):
        tuning.RandomizedSearchCV(_regressor(), {"n_hidden": [0, 1]}, n_iter=5).fit(x, y)
    with pytest.raises(TypeError, match="jeras scikit-learn wrappers"):
        from sklearn.linear_model import Ridge

        tuning.GridSearchCV(Ridge(), {"alpha": [1.0]}).fit(x, y)
    with pytest.raises(ValueError, match="one metric"):
        tuning.GridSearchCV(_regressor(), {"n_hidden": [0]}, scoring=["r2", "neg_mean_squared_error"]).fit(x, y)


def test_halving_continues_the_survivors_exactly_with_one_program(housing):
    x, y, xv, yv = housing
    distributions = {"learning_rate": reciprocal(1e-3, 3e-2), "n_neurons": [16]}
    search = tuning.HalvingRandomSearchCV(
        _regressor(), distributions, n_candidates=9, factor=3, min_resources=2, cv=2, random_state=0, refit=False
    )
    search.fit(x, y, epochs=18, validation_data=(xv, yv), verbose=0)
    assert search.n_candidates_ == [9, 3, 1] and search.n_resources_ == [2, 6, 18]
    assert search.n_iterations_ == 3 and search.n_remaining_candidates_ == 1
    results = search.cv_results_
    assert list(results["iter"]) == [0] * 9 + [1] * 3 + [2] and list(results["n_resources"][-1:]) == [18]
    assert results["iter"][search.best_index_] == 2
    survivor = results["params"][search.best_index_]
    c = next(i for i, p in enumerate(results["params"][:9]) if p == survivor)
    train, test = next(iter(KFold(2).split(x)))
    keras.utils.set_random_seed(int(search.member_seeds_[c, 0]))
    alone = clone(_regressor()).set_params(**survivor)
    alone.fit(x[train], y[train], epochs=18, validation_data=(xv, yv), verbose=0)
    assert alone.score(x[test], y[test]) == pytest.approx(results["split0_test_score"][search.best_index_], rel=1e-5)
    from jeras.training import programs

    engine = programs.engine_for(alone.model)
    assert len(engine._vectorized) == 1  # every rung ran the same compiled program
