"""scikit-learn estimators of jeras models.

- `SKLearnRegressor`, `SKLearnClassifier` (`jeras.wrappers.estimators`): scikit-learn's
  conventions: `model__`/`fit__`/`predict__` parameters, `warm_start`, `sample_weight`,
  `score` as R² / accuracy.
- `KerasRegressor`, `KerasClassifier` (`jeras.wrappers.legacy`): tf.keras 2.x's
  `keras.wrappers.scikit_learn` (`build_fn` and `sk_params`, `score` as the negative loss /
  the accuracy metric), for tutorial code; also at `keras.wrappers.scikit_learn`.

All of them clone (`sklearn.base.clone`), pickle before and after fit (the model travels as
its `.keras` archive), and work in `GridSearchCV`, `RandomizedSearchCV`,
`cross_val_score` and `Pipeline`, with `n_jobs` through joblib's default process backend.
`build_model(params)` and `fit_arguments(fit_kwargs)` (`jeras.wrappers.base`) are the
interface `jeras.tuning` builds on.
"""

from jeras.wrappers.estimators import SKLearnClassifier, SKLearnRegressor
from jeras.wrappers.legacy import KerasClassifier, KerasRegressor

__all__ = ["KerasClassifier", "KerasRegressor", "SKLearnClassifier", "SKLearnRegressor"]
