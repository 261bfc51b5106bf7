"""`Embedding`: integer indices to dense vectors."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras import constraints, initializers, regularizers
from jeras.layers.layer import Layer, normalize_shape


def _check_positive_int(value, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{argument} must be a positive integer. Received: {argument}={value!r}")
    return int(value)


class Embedding(Layer):
    """Maps each integer index in `[0, input_dim)` to a trainable vector of size `output_dim`.

    Float inputs (what a model's default float32 input passes on) are truncated to integers,
    as tf.keras 2 does. Indices outside `[0, input_dim)` raise a ValueError when the inputs are
    concrete; inside compiled code, where they cannot be checked, they give NaN vectors.

    Args:
        input_dim: the vocabulary size, a positive integer (largest index + 1).
        output_dim: the size of each vector, a positive integer.
        embeddings_initializer: default `"uniform"` (uniform in [-0.05, 0.05]).
        embeddings_regularizer: optional penalty on the embedding matrix. Default None.
        activity_regularizer: optional penalty on the outputs. Default None.
        embeddings_constraint: optional constraint on the embedding matrix. Default None.
        mask_zero: whether index 0 means padding; `compute_mask` then marks it. Default False.
        input_length: the length of the input sequences when fixed; as in tf.keras 2, it sets
            the input shape `(input_length,)` of a first layer. Default None.

    Input shape: `(batch, ...)` integers. Output shape: `(batch, ..., output_dim)`.

    Example:
        >>> layer = Embedding(1000, 8)
        >>> layer(np.array([[4, 20, 7]])).shape
        (1, 3, 8)
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        activity_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        input_length: int | list[int] | None = None,
        **kwargs: Any,
    ):
        if input_length is not None:
            if isinstance(input_length, (int, np.integer)) and not isinstance(input_length, bool):
                input_length = _check_positive_int(input_length, "input_length")
                length = (input_length,)
            else:
                length = normalize_shape(input_length, argument="input_length")
                input_length = list(length)
            if "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
                kwargs["input_shape"] = length
        super().__init__(**kwargs)
        self.input_dim = _check_positive_int(input_dim, "input_dim")
        self.output_dim = _check_positive_int(output_dim, "output_dim")
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.input_length = input_length

    def build(self, input_shape) -> None:
        self.embeddings = self.add_weight(
            "embeddings",
            (self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
        )
        self.built = True

    def call(self, inputs):
        if not jnp.issubdtype(inputs.dtype, jnp.integer):
            inputs = inputs.astype(jnp.int32)
        if not isinstance(inputs, jax.core.Tracer) and inputs.size:
            # NumPy, so that concrete indices are checked even while an enclosing function is traced.
            host = np.asarray(inputs)
            low, high = int(host.min()), int(host.max())
            if low < 0 or high >= self.input_dim:
                bad = low if low < 0 else high
                raise ValueError(
                    f"Embedding layer '{self.name}' takes indices in [0, {self.input_dim}) (input_dim={self.input_dim}). "
                    f"Received: an index of {bad}"
                )
        # Negative indices would wrap around; sending them out of range makes them NaN instead.
        inputs = jnp.where(inputs < 0, self.input_dim, inputs)
        return jnp.take(self.embeddings.value, inputs, axis=0, mode="fill", fill_value=jnp.nan)

    def compute_mask(self, inputs, mask=None):
        """Returns `inputs != 0` when `mask_zero` is set, else None."""
        if not self.mask_zero:
            return None
        return jnp.asarray(inputs) != 0

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "input_length": self.input_length,
        }
