"""Modern scikit-learn estimators of jeras models: `SKLearnRegressor` and `SKLearnClassifier`.

They follow scikit-learn's conventions (and Keras 3's `keras.wrappers` in spirit):
`fit` returns the estimator, `score` is R² / accuracy, `sample_weight` is a fit argument,
fitted state ends in `_` (`model_`, `history_`, `classes_`, `n_features_in_`).

Parameters are routed by prefix, as scikit-learn's `Pipeline` names nested parameters:

- `model__NAME` goes to the model-building function as `NAME`;
- `fit__NAME` goes to `Model.fit`; `epochs`, `batch_size` and `verbose` are its most
  common arguments, named directly (a `fit__` entry overrides them);
- `predict__NAME` goes to `Model.predict` (`batch_size` is used there too).

So a search over a network's size and its training reads
`{"model__n_hidden": [1, 2], "model__learning_rate": loguniform(1e-4, 1e-2), "epochs": [10, 20]}`.

Example:
    >>> def build(n_hidden=1, n_features_in_=8):
    ...     model = keras.Sequential([keras.layers.Input((n_features_in_,))])
    ...     for _ in range(n_hidden):
    ...         model.add(keras.layers.Dense(30, activation="relu"))
    ...     model.add(keras.layers.Dense(1))
    ...     model.compile(loss="mse", optimizer="adam")
    ...     return model
    >>> reg = SKLearnRegressor(build, model__n_hidden=2, epochs=20).fit(X, y)  # doctest: +SKIP
    >>> reg.score(X, y)  # R²  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from jeras.models import Model
from jeras.wrappers import base
from jeras.wrappers.tasks import Classification, Regression

PREFIXES = ("model__", "fit__", "predict__")
_DIRECT_FIT = ("epochs", "batch_size", "verbose")


class Estimator(base.Wrapper):
    """The parameters of the modern estimators; see the module docstring.

    Args:
        model: a compiled jeras model (each fit trains a copy with new weights; the model
            itself is never changed), or a callable returning a compiled model. The callable
            receives the `model__` parameters and, when its signature names them, the fitted
            facts `n_features_in_`, `n_outputs_`, `n_classes_`, `classes_`. Default None.
        warm_start: a fit after the first continues training the fitted model instead of
            building a new one. Default False.
        epochs: `Model.fit`'s epochs. Default 1.
        batch_size: samples per step in fit and predict; None means 32. Default None.
        verbose: `Model.fit`'s verbosity (predict is always silent unless
            `predict__verbose`). Default 0.
        random_state: seeds the weights' initialization and the shuffling: an int, a numpy
            RandomState/Generator, or None for jeras' global stream. Default None.
        **routed: `model__NAME`, `fit__NAME` and `predict__NAME` parameters.

    Parameter names are checked in `fit` (and `build_model`), not here or in `set_params`,
    as scikit-learn asks: a name without one of the prefixes is then a ValueError.

    scikit-learn's `check_estimator` passes except for
    `check_sample_weight_equivalence_on_dense_data`: for mini-batch training a sample of
    weight 2 is not the same as the sample twice (the batches differ).
    """

    def __init__(
        self,
        model: Model | Callable[..., Model] | None = None,
        *,
        warm_start: bool = False,
        epochs: int = 1,
        batch_size: int | None = None,
        verbose: int = 0,
        random_state: Any = None,
        **routed: Any,
    ):
        self.model = model
        self.warm_start = warm_start
        self.epochs = epochs
        self.batch_size = batch_size
        self.verbose = verbose
        self.random_state = random_state
        self._routed = dict(routed)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's parameters and the routed `model__`/`fit__`/`predict__` ones."""
        return {**super().get_params(deep=False), **self._routed}

    def set_params(self, **params: Any):
        """Sets parameters (routed ones by their prefixed names); returns the estimator.

        Names are checked in `fit`, as scikit-learn asks of estimators.
        """
        own = super().get_params(deep=False)
        routed = {k: v for k, v in params.items() if k not in own}
        for name, value in params.items():
            if name in own:
                setattr(self, name, value)
        self._routed.update(routed)
        return self

    # ------------------------------------------------------------------ routing for Wrapper
    def _builder(self) -> Any:
        _check_prefixes(type(self).__name__, self._routed, ValueError)
        return self.model

    def _build_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        arguments = _strip(params, "model__")
        base.check_builder_accepts(self.model, arguments, prefix="model__", owner=type(self).__name__)
        return arguments

    def _fit_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        arguments = {name: params[name] for name in _DIRECT_FIT if params.get(name) is not None}
        _check_prefixes(type(self).__name__, {k: v for k, v in params.items() if k in self._routed}, ValueError)
        routed = _strip(params, "fit__")
        _check_method_names(type(self).__name__, routed, base.FIT_NAMES, "fit__", "Model.fit")
        return {**arguments, **routed}

    def _predict_params(self, names: frozenset[str]) -> dict[str, Any]:
        arguments = {"batch_size": self.batch_size} if self.batch_size is not None else {}
        routed = _strip(self._routed, "predict__")
        _check_method_names(type(self).__name__, routed, base.PREDICT_NAMES, "predict__", "Model.predict")
        return {**arguments, **{k: v for k, v in routed.items() if k in names}}

    def _continues(self) -> bool:
        return bool(self.warm_start) and self.__sklearn_is_fitted__()

    def _fit(self, X: Any, y: Any, sample_weight: Any, fit_kwargs: dict[str, Any]):
        self._train(X, y, fit_kwargs, sample_weight=sample_weight)
        return self


def _strip(params: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    return {k[len(prefix) :]: v for k, v in params.items() if k.startswith(prefix)}


def _check_prefixes(owner: str, routed: Mapping[str, Any], error: type[Exception]) -> None:
    bad = [k for k in routed if not k.startswith(PREFIXES) or k in PREFIXES]
    if bad:
        received = ", ".join(f"{k}={base.shown(routed[k])}" for k in bad)
        raise error(
            f"{owner} has no parameter {bad}: arguments of the model-building function take the prefix model__ "
            f"(model__n_hidden=2), those of Model.fit the prefix fit__, those of Model.predict predict__. "
            f"Received: {received}"
        )


def _check_method_names(owner: str, routed: Mapping[str, Any], names: frozenset[str], prefix: str, method: str) -> None:
    unknown = [k for k in routed if k not in names]
    if unknown:
        received = ", ".join(f"{prefix}{k}={base.shown(routed[k])}" for k in unknown)
        raise ValueError(f"{owner}: {method} does not accept {[prefix + k for k in unknown]}. Received: {received}")


class SKLearnRegressor(Estimator, Regression):
    """A scikit-learn regressor of a jeras model; `score` is R². See `Estimator` for the arguments.

    Attributes:
        model_: the fitted jeras model. history_: its History's per-epoch logs.
        n_features_in_: features seen in fit. n_outputs_: target columns.
    """

    def fit(self, X: Any, y: Any, sample_weight: Any = None, **fit_kwargs: Any) -> SKLearnRegressor:
        """Builds a model (or continues, with `warm_start`) and trains it on (X, y).

        Args:
            X: samples `(n_samples, n_features)`.
            y: targets `(n_samples,)` or `(n_samples, n_outputs)`.
            sample_weight: per-sample weights of the loss. Default None.
            **fit_kwargs: more `Model.fit` arguments (`validation_data`, `callbacks`, ...).

        Returns:
            The estimator.
        """
        return self._fit(X, y, sample_weight, fit_kwargs)

    def predict(self, X: Any) -> np.ndarray:
        """Predictions of y's shape in fit: `(n_samples,)` for 1-D y, else `(n_samples, n_outputs_)`."""
        outputs = np.asarray(self._outputs(X), dtype=np.float64)
        if getattr(self, "_targets_1d", False) and outputs.ndim == 2 and outputs.shape[1] == 1:
            return outputs[:, 0]
        return outputs


class SKLearnClassifier(Estimator, Classification):
    """A scikit-learn classifier of a jeras model; `score` is accuracy. See `Estimator` for the arguments.

    Labels may be of any type; the model trains on integer codes into `classes_` (one-hot
    rows when compiled with categorical crossentropy) and must output one probability per
    class (softmax) or one sigmoid unit for two classes. `class_weight` may be keyed by labels.

    Attributes:
        model_, history_, n_features_in_: as for `SKLearnRegressor`.
        classes_: the sorted labels. n_classes_: their number.
    """

    def fit(self, X: Any, y: Any, sample_weight: Any = None, **fit_kwargs: Any) -> SKLearnClassifier:
        """Encodes the labels, builds a model (or continues, with `warm_start`) and trains it.

        Args:
            X: samples `(n_samples, n_features)`.
            y: labels `(n_samples,)` of any type.
            sample_weight: per-sample weights of the loss. Default None.
            **fit_kwargs: more `Model.fit` arguments.

        Returns:
            The estimator.
        """
        return self._fit(X, y, sample_weight, fit_kwargs)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable label of each sample."""
        return self.decode_labels(self._predicted_codes(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities `(n_samples, n_classes_)`, in the order of `classes_`."""
        check_is_fitted(self)
        return self.probabilities(self._outputs(X))
