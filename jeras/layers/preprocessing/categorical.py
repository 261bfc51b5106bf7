"""Categorical preprocessing layers: `CategoryEncoding`, `Discretization` and `Hashing`.

`CategoryEncoding` and `Discretization` are array computations that run inside the compiled
step like any layer. `Hashing` hashes strings (and integers, through their decimal text, as
Keras does), so it runs on the host, before the compiled step: call it on the raw data (or in
the input pipeline) and feed its integer output to the model.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras.layers.layer import Layer
from jeras.layers.preprocessing.string_hash import hash_buckets
from jeras.layers.recurrent import check_positive_int

ENCODINGS = ("int", "one_hot", "multi_hot", "count")


def check_output_mode(output_mode, allowed: tuple[str, ...]) -> str:
    """Returns `output_mode` (with tf.keras 2's `"binary"` read as `"multi_hot"`), or raises a ValueError."""
    if output_mode == "binary" and "multi_hot" in allowed:
        return "multi_hot"
    if output_mode == "tf-idf" and "tf_idf" in allowed:
        return "tf_idf"
    if output_mode not in allowed:
        raise ValueError(f"output_mode must be one of {list(allowed)}. Received: output_mode={output_mode!r}")
    return output_mode


def check_dense(sparse) -> None:
    """Raises a ValueError for `sparse=True`: jeras arrays are dense."""
    if sparse:
        raise ValueError(f"jeras arrays are dense: sparse outputs are not available. Received: sparse={sparse!r}")


def encode_categorical(indices, output_mode: str, depth: int, dtype="float32", count_weights=None):
    """Encodes integer `indices` as Keras does; indices outside `[0, depth)` add nothing.

    `"one_hot"` encodes every element (a trailing axis of size 1 is dropped first); `"multi_hot"`
    and `"count"` encode each sample: the values along axis 1 of a 2D (or higher) input, or the
    whole of a 1D input. `"int"` returns the indices unchanged.
    """
    indices = jnp.asarray(indices)
    if output_mode == "int":
        return indices
    if indices.ndim == 0:
        indices = indices[None]
    if output_mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = indices[..., 0]
        return jax.nn.one_hot(indices, depth, dtype=dtype)
    axis = 1 if indices.ndim > 1 else 0
    hot = jax.nn.one_hot(indices, depth, dtype=dtype if count_weights is None else jnp.result_type(count_weights))
    if output_mode == "multi_hot":
        return jnp.max(hot, axis=axis)
    if count_weights is not None:
        hot = hot * jnp.asarray(count_weights)[..., None]
    return jnp.sum(hot, axis=axis)


def encoded_shape(input_shape, output_mode: str, depth: int) -> tuple:
    """The output shape of `encode_categorical` for inputs of `input_shape`."""
    shape = tuple(input_shape)
    if output_mode == "int":
        return shape
    if not shape:
        return (depth,)
    if output_mode == "one_hot":
        return (shape[:-1] if len(shape) > 1 and shape[-1] == 1 else shape) + (depth,)
    return (shape[0],) + shape[2:] + (depth,) if len(shape) > 1 else (depth,)


class CategoryEncoding(Layer):
    """Encodes integer categories as one-hot, multi-hot or count vectors.

    Args:
        num_tokens: the number of categories; inputs must lie in `[0, num_tokens)`.
        output_mode: `"one_hot"` (each value becomes a vector; a trailing axis of size 1 is
            dropped), `"multi_hot"` (each sample, a row of a 2D input or the whole of a 1D one,
            becomes one vector with 1 at each category present) or `"count"` (the same with
            the number of times each category occurs). tf.keras 2's `"binary"` means
            `"multi_hot"`. Default `"multi_hot"`.
        sparse: must be False (jeras arrays are dense). Default False.

    Call arguments: `inputs`, integers; `count_weights`, with `output_mode="count"`, a weight
    per input value that is summed instead of 1.

    Input shape: `(batch,)` or `(batch, values)`. Output shape: `(batch, num_tokens)` for
    `"one_hot"` on `(batch,)` or `(batch, 1)` and for the per-sample modes on 2D inputs;
    `(num_tokens,)` for the per-sample modes on 1D inputs. Float outputs (`dtype`).

    Example:
        >>> layer = CategoryEncoding(num_tokens=4, output_mode="multi_hot")
        >>> np.asarray(layer(np.array([[0, 1], [3, 3]])))
        array([[1., 1., 0., 0.],
               [0., 0., 0., 1.]], dtype=float32)
    """

    def __init__(self, num_tokens: int | None = None, output_mode: str = "multi_hot", sparse: bool = False, **kwargs):
        super().__init__(**kwargs)
        if num_tokens is None:
            raise ValueError(
                "num_tokens must be set; use IntegerLookup when the categories are not known in advance. "
                "Received: num_tokens=None"
            )
        self.num_tokens = check_positive_int(num_tokens, "num_tokens")
        self.output_mode = check_output_mode(output_mode, ENCODINGS[1:])
        check_dense(sparse)

    def call(self, inputs, count_weights=None):
        if jnp.issubdtype(inputs.dtype, jnp.floating):
            inputs = inputs.astype(jnp.int32)
        if not isinstance(inputs, jax.core.Tracer):
            values = np.asarray(inputs)
            if values.size and (values.min() < 0 or values.max() >= self.num_tokens):
                raise ValueError(
                    f"CategoryEncoding layer '{self.name}' expects values in [0, {self.num_tokens}). "
                    f"Received: inputs with values from {values.min()} to {values.max()}"
                )
        if count_weights is not None and self.output_mode != "count":
            raise ValueError(
                f"count_weights applies to output_mode='count' only. Received: output_mode={self.output_mode!r}"
            )
        weights = None if count_weights is None else jnp.asarray(count_weights, self.dtype)
        return encode_categorical(inputs, self.output_mode, self.num_tokens, self.dtype, weights)

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "num_tokens": self.num_tokens, "output_mode": self.output_mode}


def _summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    """A weighted summary `[points, weights]` of sorted values: about `1 / epsilon` evenly spaced ones."""
    values = np.sort(values.reshape(-1))
    step = max(values.size * epsilon, 1.0)
    points = values[int(step - 1) :: int(step)]
    return np.stack([points, np.full(points.shape, step, points.dtype)])


def _compress(summary: np.ndarray, epsilon: float) -> np.ndarray:
    """Re-bins a summary at the cumulative-weight fractions `epsilon, 2 epsilon, ...` (by interpolation)."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    shares = cumulative / cumulative[-1]
    points = np.interp(fractions, shares, summary[0])
    totals = np.interp(fractions, shares, cumulative)
    weights = totals - np.concatenate(([0.0], totals[:-1]))
    return np.stack([points, weights]).astype(np.float32)


class Discretization(Layer):
    """Buckets numbers into ranges: bin `i` holds `bin_boundaries[i - 1] <= x < bin_boundaries[i]`.

    The boundaries are given, or learnt by `adapt` as approximate quantiles (Keras' algorithm,
    so the same data give the same boundaries), so that each of `num_bins` bins gets about the
    same share of the data.

    Args:
        bin_boundaries: the sorted boundaries; `n` boundaries make `n + 1` bins (the first for
            values below the first boundary). Default None (give `num_bins` and call `adapt`).
        num_bins: the number of bins `adapt` makes. Default None.
        epsilon: the error tolerance of the quantiles (smaller is more exact and uses more
            memory). Default 0.01.
        output_mode: `"int"` (the bin index, int32), `"one_hot"`, `"multi_hot"` or `"count"`
            (as `CategoryEncoding`). Default `"int"`.
        sparse: must be False. Default False.

    Input shape: any. Output shape: same as the input for `"int"`; as `CategoryEncoding` otherwise.

    Example:
        >>> layer = Discretization(bin_boundaries=[0.0, 1.0, 2.0])
        >>> np.asarray(layer(np.array([[-1.5, 1.0, 3.4, 0.5]])))
        array([[0, 2, 3, 1]], dtype=int32)
    """

    def __init__(
        self,
        bin_boundaries=None,
        num_bins: int | None = None,
        epsilon: float = 0.01,
        output_mode: str = "int",
        sparse: bool = False,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.output_mode = check_output_mode(output_mode, ENCODINGS)
        check_dense(sparse)
        if num_bins is not None:
            num_bins = check_positive_int(num_bins, "num_bins")
        if (num_bins is None) == (bin_boundaries is None):
            raise ValueError(
                "Give exactly one of bin_boundaries and num_bins. "
                f"Received: bin_boundaries={bin_boundaries!r}, num_bins={num_bins!r}"
            )
        ok = isinstance(epsilon, (int, float, np.floating)) and not isinstance(epsilon, bool) and 0 < epsilon < 1
        if not ok:
            raise ValueError(f"epsilon must be a number in (0, 1). Received: epsilon={epsilon!r}")
        self.num_bins = num_bins
        self.epsilon = float(epsilon)
        self.bin_boundaries = None if bin_boundaries is None else self._check_boundaries(bin_boundaries)
        self._summary = np.zeros((2, 0), np.float32)

    @staticmethod
    def _check_boundaries(bin_boundaries) -> list[float]:
        try:
            values = np.asarray(bin_boundaries, np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"bin_boundaries must be a list of numbers. Received: bin_boundaries={bin_boundaries!r}"
            ) from err
        if values.ndim != 1 or np.any(np.diff(values) < 0):
            raise ValueError(
                f"bin_boundaries must be a sorted, one-dimensional list of numbers. Received: bin_boundaries={bin_boundaries!r}"
            )
        return values.tolist()

    def adapt(self, data, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learns `num_bins` bins of about equal share from `data`.

        Args:
            data: an array or a (nested) list of numbers, or another iterable of batches (arrays,
                or `(x, y)` pairs whose `y` is ignored), such as a generator.
            batch_size: accepted for compatibility.
            steps: with an iterable, read at most this many batches. Default None (all).
        """
        if self.num_bins is None:
            raise ValueError(
                "adapt learns the bins of a Discretization made with num_bins; this one has fixed "
                f"boundaries. Received: bin_boundaries={self.bin_boundaries}"
            )
        # An array or a list is one data set; any other iterable yields batches.
        batches = [data] if isinstance(data, (np.ndarray, jax.Array, list, tuple)) else data
        summary = np.zeros((2, 0), np.float32)
        for i, batch in enumerate(batches):
            if steps is not None and i >= steps:
                break
            batch = batch[0] if isinstance(batch, tuple) else batch
            part = _summarize(np.asarray(batch, np.float32), self.epsilon)
            merged = np.concatenate([part, summary], axis=1)
            summary = _compress(merged[:, np.argsort(merged[0], kind="stable")], self.epsilon)
        if summary.shape[1] == 0:
            raise ValueError("adapt needs at least one value. Received: data with no values")
        self._summary = summary
        self.bin_boundaries = _compress(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(
                f"Discretization layer '{self.name}' has no bins yet: pass bin_boundaries or call adapt() first."
            )
        values = inputs if jnp.issubdtype(inputs.dtype, jnp.floating) else inputs.astype(self.dtype)
        boundaries = jnp.asarray(self.bin_boundaries, values.dtype)
        indices = jnp.searchsorted(boundaries, values, side="right").astype(jnp.int32)
        return encode_categorical(indices, self.output_mode, len(self.bin_boundaries) + 1, self.dtype)

    def compute_output_shape(self, input_shape):
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins
        return encoded_shape(input_shape, self.output_mode, depth)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Discretization:
        config = dict(config)
        learnt = config.pop("bin_boundaries") if config.get("num_bins") is not None else None
        if config.get("num_bins") is None:
            config.pop("num_bins", None)
        layer = cls(**config)
        if learnt is not None:
            layer.bin_boundaries = list(learnt)
        return layer


def check_salt(salt) -> list[int] | None:
    """Returns a salt as Keras keeps it, `[k0, k1]` (an int `s` means `[s, s]`), or raises a ValueError."""
    if salt is None:
        return None
    is_int = lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, bool)  # noqa: E731
    if is_int(salt):
        return [int(salt), int(salt)]
    if isinstance(salt, (tuple, list)) and len(salt) == 2 and all(is_int(v) for v in salt):
        return [int(v) for v in salt]
    raise ValueError(f"salt must be an integer or a pair of integers. Received: salt={salt!r}")


def host_values(inputs) -> np.ndarray:
    """Inputs of a host-side layer as a NumPy array: strings as an object array, numbers as they are."""
    if isinstance(inputs, (str, bytes)):
        return np.asarray([inputs], dtype=object).reshape(())
    if isinstance(inputs, (jax.Array, np.ndarray)) and inputs.dtype != object and inputs.dtype.kind not in "SU":
        return np.asarray(inputs)
    values = np.asarray(inputs, dtype=object)
    if values.size and all(isinstance(v, (int, float, np.number)) for v in values.reshape(-1)):
        return np.asarray(values.tolist())
    if values.dtype.kind in "SU":
        values = values.astype(object)
    return values


def _decoded(value):
    return value.decode("utf-8") if isinstance(value, bytes) else value


class Hashing(Layer):
    """Hashes strings or integers into `num_bins` bins, with Keras' hash functions (same bins as Keras).

    Strings are hashed with FarmHash `Fingerprint64` (or SipHash-2-4 with a `salt`); integers
    through their decimal text, and floats after cutting them to integers, as Keras does. It
    runs on the host (see the module docstring); its output is an integer array for the model.

    Args:
        num_bins: the number of bins, the mask bin included.
        mask_value: a value that goes to bin 0; the others then hash into bins
            `1 .. num_bins - 1`. Default None (no mask bin).
        salt: an integer or a pair of integers: use SipHash keyed by it instead of FarmHash.
            Default None.
        output_mode: `"int"` (bin indices, int32), `"one_hot"`, `"multi_hot"` or `"count"` (as
            `CategoryEncoding`). Default `"int"`.
        sparse: must be False. Default False.

    Input shape: any, strings or integers. Output shape: same for `"int"`; as `CategoryEncoding` otherwise.

    Example:
        >>> np.asarray(Hashing(num_bins=3)([["A"], ["B"], ["C"], ["D"], ["E"]])).ravel()
        array([1, 0, 1, 1, 2], dtype=int32)
    """

    def __init__(
        self,
        num_bins: int,
        mask_value=None,
        salt=None,
        output_mode: str = "int",
        sparse: bool = False,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.num_bins = check_positive_int(num_bins, "num_bins")
        self.mask_value = _decoded(mask_value)
        self.salt = check_salt(salt)
        self.output_mode = check_output_mode(output_mode, ENCODINGS)
        check_dense(sparse)

    def hash_values(self, values: np.ndarray) -> np.ndarray:
        """The bin of each value, as an int32 array of the same shape (host-side)."""
        flat = [_decoded(v) for v in values.reshape(-1).tolist()]
        bins = self.num_bins
        masked = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            masked = np.array([v == self.mask_value for v in flat], bool)
        out = hash_buckets(flat, bins, None if self.salt is None else tuple(self.salt))
        if masked is not None:
            out = np.where(masked, 0, out + 1)
        return out.reshape(values.shape).astype(np.int32)

    def __call__(self, inputs, *args, **kwargs):
        # Hashing needs the values themselves (strings, or the digits of integers): host-side.
        self.built = True
        indices = self.hash_values(host_values(inputs))
        return encode_categorical(indices, self.output_mode, self.num_bins, self.dtype)

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self.num_bins)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_bins": self.num_bins,
            "mask_value": self.mask_value,
            "salt": self.salt,
            "output_mode": self.output_mode,
        }
