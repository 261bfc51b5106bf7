"""What every scikit-learn wrapper of a jeras model shares.

`Wrapper` builds and checks the model, routes parameters by signature, validates data the
scikit-learn way, trains, predicts, pickles (the model through the `.keras` format, see
`jeras.wrappers.persistence`) and clones. The tf.keras 2 wrappers (`jeras.wrappers.legacy`)
and the modern estimators (`jeras.wrappers.estimators`) differ only in where their
parameters live and what `fit` returns and `score` means.

The interface the vectorized search (`jeras.tuning`) builds on:

- `build_model(params)`: the compiled model for the current parameters updated with
  `params` (parameter names as `set_params` takes them);
- `fit_arguments(fit_kwargs, params=...)`: the keyword arguments `fit` passes to `Model.fit`;
- the classifiers' `encode_labels(y)`, `decode_labels(codes)`, `model_targets(model, codes)`
  and `probabilities(outputs)`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_array, check_is_fitted

from jeras.models import Model
from jeras.wrappers import persistence, processes, routing

try:
    from sklearn.utils.validation import validate_data as _validate_data
except ImportError:  # scikit-learn < 1.6

    def _validate_data(estimator, *args, **kwargs):
        return estimator._validate_data(*args, **kwargs)


# What each Model method accepts, by name (x, y and sample_weight are the wrappers' own).
FIT_NAMES = routing.accepted_names(Model.fit) - {"self", "x", "y"}
PREDICT_NAMES = routing.accepted_names(Model.predict) - {"self", "x"}
EVALUATE_NAMES = routing.accepted_names(Model.evaluate) - {"self", "x", "y"}


def shown(value: Any) -> str:
    """`repr(value)`, cut to 200 characters, for the "Received: ..." part of messages."""
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


class Wrapper(BaseEstimator):
    """The shared machinery of the scikit-learn wrappers; not an estimator by itself.

    Subclasses say where parameters live (`_builder`, `_build_params`, `_fit_params`,
    `_predict_params`, `_random_state`) and what their targets are (`_fit_targets`).
    """

    # ------------------------------------------------------------------ parameters (subclasses)
    def _builder(self) -> Callable[..., Any] | Model:
        raise NotImplementedError

    def _build_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The arguments for the builder, from estimator parameters `params` (all of them)."""
        raise NotImplementedError

    def _fit_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The `Model.fit` arguments held in estimator parameters `params`."""
        raise NotImplementedError

    def _predict_params(self, names: frozenset[str]) -> dict[str, Any]:
        """The arguments of `Model.predict`/`evaluate` (those in `names`) held in the parameters."""
        raise NotImplementedError

    def _random_state(self, params: Mapping[str, Any]) -> Any:
        return params.get("random_state")

    def _meta(self) -> dict[str, Any]:
        """The fitted facts a builder may ask for by name (`routing.META_ARGUMENTS`)."""
        return {name: getattr(self, name) for name in routing.META_ARGUMENTS if hasattr(self, name)}

    # ------------------------------------------------------------------ the public interface
    def build_model(self, params: Mapping[str, Any] | None = None) -> Model:
        """Returns a new compiled jeras model for the current parameters updated with `params`.

        The builder is called with the arguments its signature accepts; the fitted facts
        `n_features_in_`, `n_outputs_`, `n_classes_` and `classes_` are passed too when its
        signature names them (known after `fit`, or after `encode_labels` for the classes).
        A template model (the modern estimators' `model=` a `Model`) is copied with new weights.

        Args:
            params: estimator parameters, named as `set_params` takes them, that override the
                current ones for this build only. Default None.

        Returns:
            The compiled model. Nothing is trained.

        Raises:
            ValueError: for a parameter the builder does not accept, or an uncompiled model.
            TypeError: when the builder does not return a jeras model.
        """
        merged = {**self.get_params(deep=False), **dict(params or {})}
        builder = self._builder()
        if isinstance(builder, Model):
            _check_compiled(builder, "the template model passed as model=")
            model = persistence.fresh_copy(builder)
        else:
            if not callable(builder):
                raise TypeError(
                    f"{type(self).__name__} needs a model-building function (or a compiled model). "
                    f"Received: {self._builder_name()}={shown(builder)}"
                )
            arguments = self._build_params(merged)
            meta = {**self._meta(), **{k: v for k, v in merged.items() if k in routing.META_ARGUMENTS}}
            arguments.update(routing.select(builder, meta, exclude=arguments, var_keyword=False))
            missing = [name for name in routing.required_names(builder) if name not in arguments]
            if missing:
                raise ValueError(
                    f"The model-building function {routing.describe(builder)} needs {missing}, which "
                    f"{type(self).__name__} does not have (fitted facts are known only after fit). "
                    f"Received: parameters {sorted(arguments)}"
                )
            model = builder(**arguments)
            _check_model(model, routing.describe(builder))
        processes.note_jax_use()
        return model

    def fit_arguments(
        self, fit_kwargs: Mapping[str, Any] | None = None, *, params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Returns the keyword arguments `fit` passes to `Model.fit`.

        They are the parameters that `Model.fit` accepts (callbacks in them are copied, so
        the estimator's parameters are never changed by training), updated with `fit_kwargs`.

        Args:
            fit_kwargs: keyword arguments given to `fit` itself, passed on as they are.
            params: estimator parameters overriding the current ones. Default None.

        Returns:
            A new dict of `Model.fit` keyword arguments (without x and y).

        Raises:
            TypeError: for a keyword that `Model.fit` does not take, or x/y among them.
        """
        merged = {**self.get_params(deep=False), **dict(params or {})}
        arguments = fresh_callbacks(self._fit_params(merged))
        extra = dict(fit_kwargs or {})
        unknown = sorted(k for k in extra if k not in FIT_NAMES)
        if unknown:
            raise TypeError(
                f"{type(self).__name__}.fit passes its keyword arguments to Model.fit, which does not take {unknown} "
                f"(X and y are the first two arguments). Received: {', '.join(f'{k}={shown(extra[k])}' for k in unknown)}"
            )
        arguments.update(extra)
        return arguments

    # ------------------------------------------------------------------ fitting
    def _validate_X(self, X: Any, *, reset: bool) -> np.ndarray:
        X = _validate_data(self, X, reset=reset, dtype="numeric", allow_nd=True)
        return np.asarray(X, dtype=np.float32)

    def _fit_targets(self, y: Any) -> np.ndarray:
        """Validates y and records what it teaches (classes, outputs); returns what encodes it."""
        raise NotImplementedError

    def _model_targets(self, model: Model, y: np.ndarray) -> np.ndarray:
        return y

    def _check_validation_data(self, model: Model, arguments: dict[str, Any]) -> None:
        """Encodes the targets of `validation_data` as the training targets are encoded."""
        data = arguments.get("validation_data")
        if data is None:
            return
        if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
            raise ValueError(
                "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight_val). "
                f"Received: validation_data of type {type(data).__name__}"
            )
        x_val = np.asarray(check_array(data[0], dtype="numeric", allow_nd=True), dtype=np.float32)
        y_val = self._model_targets(model, self._validation_targets(data[1]))
        arguments["validation_data"] = (x_val, y_val, *data[2:])

    def _validation_targets(self, y: Any) -> np.ndarray:
        return np.asarray(y, dtype=np.float32)

    def _train(self, X: Any, y: Any, fit_kwargs: Mapping[str, Any], *, sample_weight: Any = None):
        """Validates, builds (or continues, with warm start), trains; returns the History."""
        processes.check_not_forked()
        arguments = self.fit_arguments(fit_kwargs)
        X = self._validate_X(X, reset=not self._continues())
        if X.shape[0] == 0:
            raise ValueError(f"{type(self).__name__} needs at least one sample. Received: X of shape {X.shape}")
        if sample_weight is not None:
            arguments["sample_weight"] = check_sample_weight(sample_weight, X.shape[0])
        encoded = self._fit_targets(y)
        if len(encoded) != X.shape[0]:
            raise ValueError(
                f"X and y must have the same number of samples. Received: X with {X.shape[0]} rows, y with "
                f"{len(encoded)}"
            )
        arguments = self._finish_arguments(arguments)
        with processes.seeded(self._random_state(self.get_params(deep=False))):
            model = self.model_ if self._continues() else self.build_model()
            self._check_validation_data(model, arguments)
            history = model.fit(X, self._model_targets(model, encoded), **arguments)
        self.model_ = model
        self.history_ = dict(history.history)
        return history

    def _finish_arguments(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """The fit arguments once the targets are known (the classifiers re-key class weights)."""
        return arguments

    def _continues(self) -> bool:
        """Whether fit trains the fitted model further (warm start) instead of a new one."""
        return False

    # ------------------------------------------------------------------ for the vectorized search
    def training_data(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """X as the model trains on it and the encoded targets, prepared as `fit` prepares them.

        Records what `fit` records about the data (`n_features_in_`; `classes_` for classifiers).
        `jeras.tuning` calls it once for all candidates.
        """
        X = self._validate_X(X, reset=True)
        return X, self._fit_targets(y)

    def model_targets(self, model: Model, encoded: np.ndarray) -> np.ndarray:
        """What `model.fit` trains on for the encoded targets (the classifiers one-hot them when the loss asks)."""
        return self._model_targets(model, encoded)

    def model_fit_arguments(self, model: Model, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """The `fit_arguments(...)` result once the model is known, as `fit` passes them to `Model.fit`
        (class weights keyed by codes, validation targets encoded)."""
        arguments = self._finish_arguments(dict(arguments))
        self._check_validation_data(model, arguments)
        return arguments

    def adopt(self, model: Model, history: Any, X: Any, y: Any):
        """Makes this estimator fitted with `model`, trained elsewhere (by `jeras.tuning`) on `X, y`.

        Returns:
            self, as `fit` of the modern estimators does.
        """
        self.training_data(X, y)
        self.model_ = model
        self.history_ = dict(getattr(history, "history", history) or {})
        return self

    # ------------------------------------------------------------------ prediction
    def _outputs(self, X: Any, **kwargs: Any) -> np.ndarray:
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        arguments = {"verbose": 0, **fresh_callbacks(self._predict_params(PREDICT_NAMES)), **kwargs}
        return self.model_.predict(X, **arguments)

    def __sklearn_is_fitted__(self) -> bool:
        return "model_" in self.__dict__

    # ------------------------------------------------------------------ cloning and pickling
    def __sklearn_clone__(self):
        # scikit-learn's clone deep-copies every parameter; a template model holds compiled
        # programs that do not copy, and is never trained, so the clone shares it.
        params = {
            name: value if isinstance(value, Model) else clone(value, safe=False)
            for name, value in self.get_params(deep=False).items()
        }
        return type(self)(**params)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for name, value in state.items():
            if isinstance(value, Model):
                state[name] = persistence.PickledModel(value)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        restored = {
            name: value.restore() if isinstance(value, persistence.PickledModel) else value
            for name, value in state.items()
        }
        self.__dict__.update(restored)

    def _builder_name(self) -> str:
        return "model"


def fresh_callbacks(arguments: dict[str, Any]) -> dict[str, Any]:
    """Copies callbacks taken from the parameters: a used callback holds its model, and the
    parameters must stay as they were set (scikit-learn clones and compares them)."""
    if arguments.get("callbacks") is not None:
        arguments["callbacks"] = copy.deepcopy(arguments["callbacks"])
    return arguments


def check_sample_weight(sample_weight: Any, n: int) -> np.ndarray:
    """Validates per-sample weights: finite, non-negative, not all zero, one per sample (or a scalar).

    Raises:
        ValueError: naming sample_weight and echoing what was received.
    """
    weights = np.asarray(sample_weight, dtype=np.float64)
    if weights.ndim == 0:
        weights = np.full(n, float(weights))
    if weights.shape != (n,):
        raise ValueError(
            f"sample_weight must be a 1-D array with one weight per sample ({n}). "
            f"Received: sample_weight of shape {weights.shape}"
        )
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError(f"sample_weight must be finite and non-negative. Received: sample_weight={weights[:10]}")
    if not weights.any():
        raise ValueError("Sample weights must contain at least one non-zero weight. Received: sample_weight all zero")
    return weights.astype(np.float32)


def _check_model(model: Any, source: str) -> None:
    if not isinstance(model, Model):
        hint = ""
        if type(model).__module__.split(".")[0] in ("keras", "tensorflow", "tf_keras"):
            hint = " Build it with `from jeras import keras`, not the keras or tensorflow package."
        raise TypeError(
            f"The model-building function {source} must return a compiled jeras model (keras.Model).{hint} "
            f"Received: {shown(model)} of type {type(model).__name__}"
        )
    _check_compiled(model, f"the model returned by {source}")


def _check_compiled(model: Model, source: str) -> None:
    if model.optimizer is None or getattr(model, "loss", None) is None:
        raise ValueError(
            f"{source[0].upper()}{source[1:]} is not compiled with a loss: call model.compile(optimizer=..., "
            f"loss=...) before returning it. Received: an uncompiled model '{model.name}'"
        )


def check_builder_accepts(builder: Any, names: Mapping[str, Any], *, prefix: str, owner: str) -> None:
    """Raises ValueError for a parameter the model-building function does not accept.

    Args:
        builder: the model-building callable (anything else is not checked).
        names: parameter names (without `prefix`) mapped to their values.
        prefix: how the estimator spells them (`"model__"` or `""`).
        owner: the estimator's class name, for the message.
    """
    if not callable(builder) or isinstance(builder, Model):
        return
    accepted = routing.accepted_names(builder)
    if accepted is None:
        return
    unknown = [name for name in names if name not in accepted]
    if unknown:
        received = ", ".join(f"{prefix}{name}={shown(names[name])}" for name in unknown)
        raise ValueError(
            f"{owner}: the model-building function {routing.describe(builder)} does not accept "
            f"{[prefix + n for n in unknown]}. Received: {received}"
        )
