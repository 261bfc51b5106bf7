"""What regression and classification add to `Wrapper`: their targets and their predictions.

`Regression` trains on numeric targets of one or more columns. `Classification` keeps
`classes_`, trains on integer codes into it (one-hot rows for categorical crossentropy) and
turns the model's outputs back into probabilities and labels; its public methods are what
`jeras.tuning` uses to do the same for many models at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_array, check_is_fitted

from jeras.models import Model
from jeras.wrappers import labels
from jeras.wrappers.base import Wrapper

# A network trained for the few epochs of the checks fits worse than scikit-learn's checks
# expect of a converged estimator ("poor_score").


class Regression(RegressorMixin, Wrapper):
    """Numeric targets: `n_outputs_` columns, predictions of y's shape."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        tags.target_tags.multi_output = True
        return tags

    def _more_tags(self) -> dict[str, Any]:  # scikit-learn < 1.6
        return {"poor_score": True, "multioutput": True}

    def _fit_targets(self, y: Any) -> np.ndarray:
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None. Received: y=None"
            )
        y = check_array(y, ensure_2d=False, dtype="numeric", input_name="y")
        if y.ndim not in (1, 2):
            raise ValueError(f"Regression targets must be 1-D or 2-D. Received: y of shape {y.shape}")
        self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        self._targets_1d = y.ndim == 1
        return np.asarray(y, dtype=np.float32)


class Classification(ClassifierMixin, Wrapper):
    """Class labels of any type: `classes_`, `n_classes_`, codes, probabilities."""

    _one_hot_targets = False

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags

    def _more_tags(self) -> dict[str, Any]:  # scikit-learn < 1.6
        return {"poor_score": True}

    def encode_labels(self, y: Any) -> np.ndarray:
        """Fits `classes_` (the sorted distinct labels) and `n_classes_`; returns y's integer codes.

        Args:
            y: 1-D labels of any type (numbers, strings, booleans), or a column vector of them.

        Returns:
            int32 codes into `classes_`, one per sample.

        Raises:
            ValueError: for labels that cannot be encoded (continuous, NaN, mixed types, a
                single class), naming y and echoing what was received.
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None. Received: y=None"
            )
        checked = labels.check_labels(y, one_hot=self._one_hot_targets)
        self.classes_, codes = labels.fit_classes(checked)
        self.n_classes_ = len(self.classes_)
        self.n_outputs_ = 1
        return codes

    def decode_labels(self, codes: Any) -> np.ndarray:
        """The labels (from `classes_`) of integer codes."""
        check_is_fitted(self, "classes_")
        return labels.decode(self.classes_, codes)

    def model_targets(self, model: Model, codes: Any) -> np.ndarray:
        """What `model.fit` trains on for `codes`: one-hot rows for categorical crossentropy, else the codes."""
        return labels.targets(model, codes, self.n_classes_)

    def probabilities(self, outputs: Any) -> np.ndarray:
        """Class probabilities `(n, n_classes_)` from the model's outputs (one sigmoid unit gives `[1 - p, p]`)."""
        return labels.probabilities(outputs)

    def _fit_targets(self, y: Any) -> np.ndarray:
        if self._continues():
            return labels.codes_of(self.classes_, labels.check_labels(y, one_hot=self._one_hot_targets))
        return self.encode_labels(y)

    def _model_targets(self, model: Model, y: np.ndarray) -> np.ndarray:
        return self.model_targets(model, y)

    def _validation_targets(self, y: Any) -> np.ndarray:
        return labels.codes_of(self.classes_, y)

    def _finish_arguments(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Re-keys a `class_weight` keyed by labels (all in `classes_`) by codes, as Model.fit takes it."""
        weights = arguments.get("class_weight")
        if not isinstance(weights, Mapping) or not weights:
            return arguments
        try:
            codes = labels.codes_of(self.classes_, np.asarray(list(weights)))
        except ValueError:
            return arguments
        return {**arguments, "class_weight": {int(c): w for c, w in zip(codes, weights.values())}}

    def _predicted_codes(self, X: Any, **kwargs: Any) -> np.ndarray:
        return np.argmax(self.probabilities(self._outputs(X, **kwargs)), axis=1)
