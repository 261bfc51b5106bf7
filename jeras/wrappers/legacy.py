"""The tf.keras 2.x scikit-learn wrappers: `KerasRegressor` and `KerasClassifier(build_fn, **sk_params)`.

They behave as `tf.keras.wrappers.scikit_learn` documented them (TensorFlow removed them in
2.12), so tutorial code runs unchanged:

- `sk_params` are routed by signature: to `build_fn` (the names its signature lists), and
  to `Model.fit`, `predict` and `evaluate` (the names each accepts). A name none of them
  accepts is a ValueError, at construction and in `set_params`.
- `fit(x, y, **kwargs)` builds a new model, trains it with the fit `sk_params` updated by
  `kwargs`, and returns the `History` (not the estimator, unlike scikit-learn estimators).
- `model` is the fitted jeras model.
- `score` is the negative loss for the regressor (so that greater is better, as
  scikit-learn's searches assume) and the `accuracy` metric for the classifier, which must
  be compiled with `metrics=["accuracy"]`. It is not R²: the modern `SKLearnRegressor` is.

jeras additions: fitted facts `n_features_in_`, `n_outputs_`, `n_classes_`, `classes_`
are passed to `build_fn` when its signature names them; an sk_param `random_state` seeds the
build and fit; targets of `validation_data` are encoded like `y`; the whole interface of
`jeras.wrappers.base`. New code should use `jeras.wrappers.SKLearnRegressor` and
`SKLearnClassifier`.

Example:
    >>> def build_model(n_hidden=1, n_neurons=30):
    ...     model = keras.models.Sequential([keras.layers.InputLayer(input_shape=[8])])
    ...     for _ in range(n_hidden):
    ...         model.add(keras.layers.Dense(n_neurons, activation="relu"))
    ...     model.add(keras.layers.Dense(1))
    ...     model.compile(loss="mse", optimizer="sgd")
    ...     return model
    >>> reg = keras.wrappers.scikit_learn.KerasRegressor(build_model, n_hidden=2, epochs=10)
    >>> reg.fit(X_train, y_train, validation_data=(X_valid, y_valid))  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from jeras.models import Model
from jeras.wrappers import labels, routing
from jeras.wrappers.base import EVALUATE_NAMES, FIT_NAMES, PREDICT_NAMES, fresh_callbacks, shown
from jeras.wrappers.tasks import Classification, Regression

_MODERN = {"KerasRegressor": "SKLearnRegressor", "KerasClassifier": "SKLearnClassifier"}
_JERAS_PARAMS = frozenset({"random_state"})


class LegacyWrapper:
    """`build_fn` and `sk_params` as tf.keras 2.x kept them; mixed into the two wrappers.

    Args:
        build_fn: a function, class or callable instance returning a compiled jeras model;
            None to use the subclass's own `__call__`. Default None.
        **sk_params: parameters of `build_fn`, of `Model.fit`, `predict` and `evaluate`
            (`epochs`, `batch_size`, `verbose`, ...), and `random_state`.

    Raises:
        ValueError: for a parameter none of them accepts ("n_hiden is not a legal parameter").
    """

    def __init__(self, build_fn: Callable[..., Model] | None = None, **sk_params: Any):
        name = type(self).__name__
        warnings.warn(
            f"keras.wrappers.scikit_learn.{name} follows the tf.keras 2 wrapper, which TensorFlow removed. Use "
            f"jeras.wrappers.{_MODERN.get(name, 'SKLearnRegressor')} (scikit-learn's score, model__/fit__ "
            "parameters, warm_start, sample_weight).",
            DeprecationWarning,
            stacklevel=2,
        )
        self.build_fn = build_fn
        self._sk_params = dict(sk_params)
        self._check_legal(self._sk_params, build_fn)

    @property
    def sk_params(self) -> dict[str, Any]:
        """The parameters other than `build_fn` (the tf.keras attribute)."""
        return self._sk_params

    @property
    def model(self) -> Model:
        """The fitted jeras model (an AttributeError before `fit`, as in tf.keras)."""
        if "model_" not in self.__dict__:
            raise AttributeError(f"This {type(self).__name__} has no model yet: call fit first.")
        return self.model_

    def get_params(self, deep: bool = True, **params: Any) -> dict[str, Any]:
        """`build_fn` and the sk_params (`deep` is accepted for scikit-learn and changes nothing)."""
        return {"build_fn": self.build_fn, **self._sk_params}

    def set_params(self, **params: Any):
        """Sets `build_fn` and sk_params; returns the estimator.

        Raises:
            ValueError: for a parameter that is not legal (see the class docstring).
        """
        build_fn = params.pop("build_fn", self.build_fn)
        self._check_legal(params, build_fn)
        self.build_fn = build_fn
        self._sk_params.update(params)
        return self

    def _check_legal(self, params: Mapping[str, Any], build_fn: Any) -> None:
        builder = self._builder_for(build_fn)
        if not callable(builder):
            return  # fit says what build_fn must be
        legal = FIT_NAMES | PREDICT_NAMES | EVALUATE_NAMES | _JERAS_PARAMS
        accepted = routing.accepted_names(builder, var_keyword=False)
        for name, value in params.items():
            if name not in legal and name not in accepted:
                raise ValueError(
                    f"{name} is not a legal parameter of {type(self).__name__}: it is not an argument of "
                    f"build_fn {routing.describe(builder)}, nor of Model.fit, predict or evaluate. "
                    f"Received: {name}={shown(value)}"
                )

    def _builder_for(self, build_fn: Any) -> Any:
        if build_fn is None and any("__call__" in vars(klass) for klass in type(self).__mro__):
            return self.__call__
        return build_fn

    # ------------------------------------------------------------------ routing for Wrapper
    def _builder(self) -> Any:
        return self._builder_for(self.build_fn)

    def _builder_name(self) -> str:
        return "build_fn"

    def _build_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        sk_params = {k: v for k, v in params.items() if k != "build_fn"}
        return routing.select(self._builder(), sk_params, exclude=routing.META_ARGUMENTS, var_keyword=False)

    def _fit_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in params.items() if k in FIT_NAMES}

    def _predict_params(self, names: frozenset[str]) -> dict[str, Any]:
        return {k: v for k, v in self._sk_params.items() if k in names}

    def _evaluate(self, x: Any, y: Any, **kwargs: Any):
        check_is_fitted(self)
        x = self._validate_X(x, reset=False)
        arguments = fresh_callbacks(self._predict_params(EVALUATE_NAMES))
        return self.model_.evaluate(x, y, **{**arguments, **kwargs})


class KerasRegressor(LegacyWrapper, Regression):
    """tf.keras 2.x's `KerasRegressor(build_fn=None, **sk_params)`; see the module docstring.

    `score` returns the negative of the loss `evaluate` computes (tf.keras 2.x), not R².

    scikit-learn's `check_estimator` passes except for (both legacy wrappers):
    `check_estimators_fit_returns_self` and `check_readonly_memmap_input` (fit returns the
    History, as tf.keras documented) and `check_sample_weight_equivalence_on_dense_data`
    (for mini-batch training a weight of 2 is not the same as a repeated sample).
    """

    def fit(self, x: Any, y: Any, sample_weight: Any = None, **kwargs: Any):
        """Builds a new model and trains it on (x, y).

        Args:
            x: samples, `(n_samples, n_features)` (or more dimensions).
            y: targets, `(n_samples,)` or `(n_samples, n_outputs)`.
            sample_weight: per-sample weights of the loss (a `Model.fit` argument, named so
                that scikit-learn sees that the estimator takes it). Default None.
            **kwargs: `Model.fit` arguments; they override the sk_params of the same name.

        Returns:
            The `History` of the training (tf.keras 2.x), not the estimator.
        """
        return self._train(x, y, kwargs, sample_weight=sample_weight)

    def predict(self, x: Any, **kwargs: Any) -> np.ndarray:
        """The model's predictions, squeezed (`(n_samples,)` for one output) as tf.keras 2.x, in float64.

        Args:
            x: samples.
            **kwargs: `Model.predict` arguments; they override the sk_params of the same name.
        """
        return np.squeeze(np.asarray(self._outputs(x, **kwargs), dtype=np.float64))

    def score(self, x: Any, y: Any, **kwargs: Any) -> float:
        """The negative loss on (x, y) (tf.keras 2.x); greater is better.

        Args:
            x, y: samples and targets.
            **kwargs: `Model.evaluate` arguments (`sample_weight`, `batch_size`, ...).
        """
        loss = self._evaluate(x, np.asarray(y, dtype=np.float32), **kwargs)
        return -float(loss[0] if isinstance(loss, (list, tuple)) else loss)


class KerasClassifier(LegacyWrapper, Classification):
    """tf.keras 2.x's `KerasClassifier(build_fn=None, **sk_params)`; see the module docstring.

    Labels may be of any type (numbers, strings); `classes_` holds them sorted and the model
    trains on integer codes (one-hot rows when it is compiled with categorical
    crossentropy). One-hot `y` is accepted too (its classes are the columns). `predict`
    returns labels, `predict_proba` probabilities (two columns for one sigmoid unit), and
    `score` the model's `accuracy` metric (compile it with `metrics=["accuracy"]`).
    """

    _one_hot_targets = True

    def fit(self, x: Any, y: Any, sample_weight: Any = None, **kwargs: Any):
        """Encodes the labels, builds a new model and trains it.

        Args:
            x: samples.
            y: labels `(n_samples,)` of any type, or one-hot rows `(n_samples, n_classes)`.
            sample_weight: per-sample weights of the loss. Default None.
            **kwargs: `Model.fit` arguments; they override the sk_params of the same name.

        Returns:
            The `History` of the training (tf.keras 2.x), not the estimator.
        """
        return self._train(x, y, kwargs, sample_weight=sample_weight)

    def predict(self, x: Any, **kwargs: Any) -> np.ndarray:
        """The predicted labels `(n_samples,)`: the most probable class (p > 0.5 for one sigmoid unit)."""
        return self.decode_labels(self._predicted_codes(x, **kwargs))

    def predict_proba(self, x: Any, **kwargs: Any) -> np.ndarray:
        """Class probabilities `(n_samples, n_classes)`, columns in the order of `classes_`."""
        return self.probabilities(self._outputs(x, **kwargs))

    def score(self, x: Any, y: Any, **kwargs: Any) -> float:
        """The model's accuracy metric on (x, y), as tf.keras 2.x computed it.

        Raises:
            ValueError: when the model was not compiled with `metrics=["accuracy"]`.
        """
        check_is_fitted(self)
        targets = self.model_targets(self.model_, labels.codes_of(self.classes_, y))
        outputs = self._evaluate(x, targets, **kwargs)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        for name, value in zip(self.model_._result_names(), outputs):
            if name in ("accuracy", "acc"):
                return float(value)
        raise ValueError(
            "The model is not configured to compute accuracy: pass metrics=['accuracy'] to model.compile() in "
            f"build_fn. Received: metrics {self.model_._result_names()}"
        )
