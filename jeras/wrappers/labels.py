"""Class labels of any type to integer codes and back, and codes to the targets a model trains on.

The classifiers keep `classes_` (the sorted distinct labels: numbers, strings, booleans) and
train the model on integer codes into it. What the model receives depends on its loss:
one-hot rows for categorical crossentropy (as the tf.keras 2 wrappers did), the codes
themselves for every other loss (sparse categorical and binary crossentropy).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import column_or_1d

from jeras import losses as losses_mod

_ENCODABLE = ("binary", "multiclass")


def _shown(y: np.ndarray) -> str:
    return np.array2string(y.ravel()[:10], threshold=10) + (" ..." if y.size > 10 else "")


def check_labels(y: Any, *, one_hot: bool) -> np.ndarray:
    """Validates classification targets; returns them as a 1-D array (or a 2-D one-hot array).

    Args:
        y: the targets: a 1-D array of labels or a column vector of them (with a
            `DataConversionWarning`, as scikit-learn estimators give), or with `one_hot`
            a 2-D array of one-hot rows.
        one_hot: accept 2-D one-hot targets (the tf.keras 2 wrappers did).

    Raises:
        ValueError: for continuous, missing, infinite or otherwise unencodable labels, or
            fewer than two classes; the message names `y` and echoes what was received.
    """
    array = np.asarray(y)
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ValueError(f"Input y contains NaN or infinity: classes must be finite. Received: y={_shown(array)}")
    if array.ndim == 2 and array.shape[1] > 1:
        if one_hot and type_of_target(array) == "multilabel-indicator" and (array.sum(axis=1) == 1).all():
            return array
        raise ValueError(
            f"Classification targets must be a 1-D array of labels{' or one-hot rows' if one_hot else ''}. "
            f"Received: y of shape {array.shape}"
        )
    if array.ndim not in (1, 2) or array.size == 0:
        raise ValueError(
            f"Classification targets must be a non-empty 1-D array of labels. Received: y of shape {array.shape}"
        )
    array = column_or_1d(array, warn=True)
    try:
        kind = type_of_target(array)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"Unknown label type: the labels cannot be read as classes ({err}). Received: y={_shown(array)}"
        ) from err
    if kind not in _ENCODABLE:
        raise ValueError(
            f"Unknown label type: {kind}. A classifier needs discrete class labels (integers, strings or booleans); "
            f"use a regressor for continuous targets. Received: y={_shown(array)}"
        )
    return array


def fit_classes(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct labels of checked targets, and each sample's integer code.

    Raises:
        ValueError: for labels of mixed types or a single class.
    """
    if y.ndim == 2:
        classes, codes = np.arange(y.shape[1]), np.argmax(y, axis=1)
    else:
        try:
            classes, codes = np.unique(y, return_inverse=True)
        except TypeError as err:
            raise ValueError(
                f"Unknown label type: labels of mixed types cannot be ordered ({err}). Received: y={_shown(y)}"
            ) from err
    if len(classes) < 2:
        raise ValueError(
            f"A classifier needs at least 2 classes in y; this y has only one class. Received: classes={classes.tolist()}"
        )
    return classes, codes.astype(np.int32).ravel()


def codes_of(classes: np.ndarray, y: Any) -> np.ndarray:
    """The codes of labels already in `classes` (validation or scoring targets).

    Raises:
        ValueError: for a label that is not one of `classes`.
    """
    array = np.asarray(y)
    if array.ndim == 2 and array.shape[1] == len(classes) and len(classes) > 1:
        return np.argmax(array, axis=1).astype(np.int32)
    array = array.ravel()
    try:
        codes = np.searchsorted(classes, array)
    except TypeError as err:
        raise ValueError(
            f"y holds labels that are not among the classes {classes.tolist()}. Received: y={_shown(array)}"
        ) from err
    codes = np.minimum(codes, len(classes) - 1)
    unknown = classes[codes] != array
    if unknown.any():
        raise ValueError(
            f"y holds labels that were not seen in fit: {np.unique(array[unknown]).tolist()[:10]}. "
            f"Known classes: {classes.tolist()}. Received: y={_shown(array)}"
        )
    return codes.astype(np.int32)


def decode(classes: np.ndarray, codes: Any) -> np.ndarray:
    """The labels of integer codes.

    Raises:
        ValueError: for a code outside `range(len(classes))`.
    """
    codes = np.asarray(codes)
    if codes.size and (codes.dtype.kind not in "iu" or codes.min() < 0 or codes.max() >= len(classes)):
        raise ValueError(
            f"codes must be integers in [0, {len(classes)}) (one per class of {classes.tolist()}). "
            f"Received: codes={_shown(codes)}"
        )
    return classes[codes]


def wants_one_hot(model) -> bool:
    """Whether the model's loss is categorical crossentropy, which takes one-hot targets."""
    loss = getattr(model, "loss", None)
    if loss is None or isinstance(loss, (dict, list, tuple)):
        return False
    try:
        resolved = losses_mod.to_loss_object(loss)
    except (TypeError, ValueError):
        return False
    return getattr(resolved, "fn", None) is losses_mod.categorical_crossentropy


def targets(model, codes: np.ndarray, n_classes: int) -> np.ndarray:
    """What `model.fit` trains on for these codes: one-hot rows for categorical crossentropy, else the codes."""
    codes = np.asarray(codes, dtype=np.int32)
    if wants_one_hot(model):
        return np.eye(n_classes, dtype=np.float32)[codes]
    return codes


def probabilities(outputs: Any) -> np.ndarray:
    """Class probabilities `(n, n_classes)` from model outputs; one sigmoid unit gives `[1 - p, p]`.

    Raises:
        ValueError: for outputs that are not one array of shape `(n,)` or `(n, units)`.
    """
    if isinstance(outputs, (list, tuple, dict)):
        raise ValueError(
            f"A classifier's model must have one output. Received: outputs of type {type(outputs).__name__}"
        )
    p = np.asarray(outputs)
    if p.ndim == 1:
        p = p[:, None]
    if p.ndim != 2:
        raise ValueError(f"A classifier's model must output (n, units) scores. Received: outputs of shape {p.shape}")
    if p.shape[1] == 1:
        return np.hstack([1.0 - p, p])
    return p
