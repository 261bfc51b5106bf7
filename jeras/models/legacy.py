"""tf.keras 2.x model methods that Keras has removed, kept working with a `DeprecationWarning`.

Each warns with the modern form and runs it: `predict_classes`/`predict_proba` (Sequential),
`fit_generator`, `evaluate_generator` and `predict_generator`. As in tf.keras 2.x, the
`*_generator` methods are `fit`, `evaluate` and `predict`, which stream generators and
`keras.utils.Sequence`s batch by batch (docs/architecture.md, "Streaming input").
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np


def deprecated(old: str, modern: str, *, stacklevel: int = 3) -> None:
    """Warns that the tf.keras 2.x API `old` is deprecated, showing the `modern` form."""
    warnings.warn(f"`{old}` is deprecated and removed from Keras: {modern}", DeprecationWarning, stacklevel=stacklevel)


def _require_stream(source: Any, method: str) -> None:
    """Raises TypeError unless `source` is a generator, a Sequence or a dataset of batches."""
    from jeras.training import streaming

    if streaming.kind_of(source) not in ("generator", "sequence", "dataset"):
        raise TypeError(
            f"{method} takes a generator or a keras.utils.Sequence of batches (or a jeras.data.Dataset); for "
            f"arrays use `Model.{method.split('_')[0]}`. Received: generator of type {type(source).__name__}"
        )


def _require_steps(source: Any, steps: int | None, argument: str, name: str) -> None:
    """Raises ValueError when `source` is a plain generator and `steps` is None."""
    from jeras.training import streaming

    if steps is None and streaming.kind_of(source) == "generator":
        raise ValueError(
            f"{argument} is required when {name} is a Python generator: a generator has no length, so "
            f"the end of an epoch is unknown. Pass {argument}=..., or use a keras.utils.Sequence. "
            f"Received: {argument}=None with a {type(source).__name__}"
        )


class LegacyModelMethods:
    """`fit_generator`, `evaluate_generator` and `predict_generator` (see the module docstring)."""

    def fit_generator(
        self,
        generator: Any,
        steps_per_epoch: int | None = None,
        epochs: int = 1,
        verbose: int | str = 1,
        callbacks=None,
        validation_data=None,
        validation_steps: int | None = None,
        validation_freq: int = 1,
        class_weight=None,
        max_queue_size: int = 10,
        workers: int = 1,
        use_multiprocessing: bool = False,
        shuffle: bool = True,
        initial_epoch: int = 0,
    ):
        """Deprecated tf.keras 2.x form of `fit` for generators; returns a `History`.

        `max_queue_size`, `workers` and `use_multiprocessing` are accepted, as `fit` accepts them.
        """
        deprecated("Model.fit_generator", "use `Model.fit`, which takes generators and Sequences.")
        _require_stream(generator, "fit_generator")
        # As in Keras 2's fit_generator: a plain generator has no length, and a common tutorial
        # generator loops forever, so the epoch's end must be given (`fit` itself streams a
        # generator until it is exhausted, as tf.keras 2.x `fit` does).
        _require_steps(generator, steps_per_epoch, "steps_per_epoch", "generator")
        if validation_data is not None and not isinstance(validation_data, (tuple, list)):
            _require_steps(validation_data, validation_steps, "validation_steps", "validation_data")
        return self.fit(
            generator,
            steps_per_epoch=steps_per_epoch,
            epochs=epochs,
            verbose=verbose,
            callbacks=callbacks,
            validation_data=validation_data,
            validation_steps=validation_steps,
            validation_freq=validation_freq,
            class_weight=class_weight,
            shuffle=shuffle,
            initial_epoch=initial_epoch,
            max_queue_size=max_queue_size,
            workers=workers,
            use_multiprocessing=use_multiprocessing,
        )

    def evaluate_generator(
        self,
        generator: Any,
        steps: int | None = None,
        callbacks=None,
        max_queue_size: int = 10,
        workers: int = 1,
        use_multiprocessing: bool = False,
        verbose: int = 0,
    ):
        """Deprecated tf.keras 2.x form of `evaluate` for generators."""
        deprecated("Model.evaluate_generator", "use `Model.evaluate`, which takes generators and Sequences.")
        _require_stream(generator, "evaluate_generator")
        return self.evaluate(
            generator,
            steps=steps,
            callbacks=callbacks,
            verbose=verbose,
            max_queue_size=max_queue_size,
            workers=workers,
            use_multiprocessing=use_multiprocessing,
        )

    def predict_generator(
        self,
        generator: Any,
        steps: int | None = None,
        callbacks=None,
        max_queue_size: int = 10,
        workers: int = 1,
        use_multiprocessing: bool = False,
        verbose: int = 0,
    ):
        """Deprecated tf.keras 2.x form of `predict` for generators."""
        deprecated("Model.predict_generator", "use `Model.predict`, which takes generators and Sequences.")
        _require_stream(generator, "predict_generator")
        return self.predict(
            generator,
            steps=steps,
            callbacks=callbacks,
            verbose=verbose,
            max_queue_size=max_queue_size,
            workers=workers,
            use_multiprocessing=use_multiprocessing,
        )


class LegacySequentialMethods:
    """`Sequential.predict_classes` and `predict_proba`, removed in TensorFlow 2.6."""

    def predict_classes(self, x, batch_size: int = 32, verbose: int = 0) -> np.ndarray:
        """Deprecated: class indices (arg-max of a softmax, or a 0.5 threshold of one sigmoid unit)."""
        deprecated(
            "Sequential.predict_classes",
            'use `np.argmax(model.predict(x), axis=-1)` for a softmax output, or `(model.predict(x) > 0.5).astype("int32")` '
            "for a sigmoid output.",
        )
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    def predict_proba(self, x, batch_size: int = 32, verbose: int = 0) -> np.ndarray:
        """Deprecated: the same as `predict`."""
        deprecated("Sequential.predict_proba", "use `model.predict(x)`, which returns the probabilities.")
        return self.predict(x, batch_size=batch_size, verbose=verbose)
