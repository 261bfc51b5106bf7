"""Layers that merge a list of inputs: `Add`, `Subtract`, `Multiply`, `Average`, `Maximum`,
`Minimum`, `Concatenate`, `Dot`, and their function forms (`add([a, b])`, `concatenate([a, b])`, ...).

The function forms create the layer and call it, so they work on arrays and on the symbolic
tensors of the functional API alike: `concatenate([input_a, hidden2])`.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras.layers.layer import Layer


def _shape_list(layer: Layer, input_shape) -> list[tuple]:
    """Checks that a merge layer got a list of at least two inputs; returns their shapes."""
    if not isinstance(input_shape, (list, tuple)) or not all(isinstance(s, (list, tuple)) for s in input_shape):
        raise ValueError(
            f"A {type(layer).__name__} layer should be called on a list of inputs. "
            f"Received: input_shape={input_shape!r}"
        )
    shapes = [tuple(s) for s in input_shape]
    if len(shapes) < 2:
        raise ValueError(
            f"A {type(layer).__name__} layer should be called on a list of at least 2 inputs. "
            f"Received: {len(shapes)} input(s), input_shape={shapes}"
        )
    return shapes


class _Merge(Layer):
    """Elementwise merge of inputs of broadcast-compatible shapes, folding them with `_op`.

    As in tf.keras 2, inputs of lower rank are aligned to the right after the batch axis
    (`(batch, d)` merges with `(batch, t, d)` as `(batch, 1, d)`), sizes of 1 broadcast, and
    batch sizes must agree.
    """

    def build(self, input_shape) -> None:
        shapes = _shape_list(self, input_shape)
        self._check_count(shapes)
        batches = {s[0] for s in shapes if s and s[0] is not None}
        if len(batches) > 1:
            raise ValueError(
                f"Inputs of a {type(self).__name__} layer must have the same batch size. Received: input_shape={shapes}"
            )
        if any(not s for s in shapes):
            raise ValueError(
                f"Inputs of a {type(self).__name__} layer need a batch axis. Received: input_shape={shapes}"
            )
        rank = max(len(s) for s in shapes) - 1
        for position in range(rank):
            sizes = {s[len(s) - rank + position] for s in shapes if len(s) - 1 >= rank - position}
            known = {d for d in sizes if d is not None and d != 1}
            if len(known) > 1:
                raise ValueError(
                    f"Inputs of a {type(self).__name__} layer have incompatible shapes. Received: input_shape={shapes}"
                )
        self.built = True

    def _check_count(self, shapes: list[tuple]) -> None:
        """Subclasses that take a fixed number of inputs override this."""

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(
                f"A {type(self).__name__} layer should be called on a list of at least 2 inputs. "
                f"Received: inputs={inputs!r}"
            )
        if len({x.shape[0] if x.ndim else None for x in inputs}) > 1:
            raise ValueError(
                f"Inputs of a {type(self).__name__} layer must have the same batch size. "
                f"Received: shapes {[tuple(x.shape) for x in inputs]}"
            )
        rank = max(x.ndim for x in inputs)
        aligned = [
            x.reshape((x.shape[0],) + (1,) * (rank - x.ndim) + x.shape[1:]) if x.ndim < rank else x for x in inputs
        ]
        try:
            jnp.broadcast_shapes(*(x.shape for x in aligned))
        except ValueError as err:
            raise ValueError(
                f"Inputs of a {type(self).__name__} layer have incompatible shapes. "
                f"Received: shapes {[tuple(x.shape) for x in inputs]}"
            ) from err
        return self._merge(aligned)

    def _merge(self, inputs: list):
        return functools.reduce(self._op, inputs)


class Add(_Merge):
    """Adds a list of inputs elementwise.

    Input shape: a list of at least 2 tensors of broadcast-compatible shapes. Output shape: the
    broadcast shape.

    Example:
        >>> Add()([np.ones((2, 3)), np.ones((2, 3))]).shape
        (2, 3)
    """

    _op = staticmethod(jnp.add)


class Subtract(_Merge):
    """Subtracts the second of exactly two inputs from the first: `inputs[0] - inputs[1]`.

    Input shape: a list of 2 tensors of broadcast-compatible shapes. Output shape: the broadcast shape.
    """

    def _check_count(self, shapes: list[tuple]) -> None:
        if len(shapes) != 2:
            raise ValueError(
                f"A Subtract layer should be called on exactly 2 inputs. Received: {len(shapes)} inputs, "
                f"input_shape={shapes}"
            )

    def _merge(self, inputs):
        if len(inputs) != 2:
            raise ValueError(f"A Subtract layer should be called on exactly 2 inputs. Received: {len(inputs)} inputs")
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    """Multiplies a list of inputs elementwise.

    Input shape: a list of at least 2 tensors of broadcast-compatible shapes. Output shape: the broadcast shape.
    """

    _op = staticmethod(jnp.multiply)


class Average(_Merge):
    """Averages a list of inputs elementwise.

    Input shape: a list of at least 2 tensors of broadcast-compatible shapes. Output shape: the broadcast shape.
    """

    def _merge(self, inputs):
        return functools.reduce(jnp.add, inputs) / len(inputs)


class Maximum(_Merge):
    """Takes the elementwise maximum of a list of inputs.

    Input shape: a list of at least 2 tensors of broadcast-compatible shapes. Output shape: the broadcast shape.
    """

    _op = staticmethod(jnp.maximum)


class Minimum(_Merge):
    """Takes the elementwise minimum of a list of inputs.

    Input shape: a list of at least 2 tensors of broadcast-compatible shapes. Output shape: the broadcast shape.
    """

    _op = staticmethod(jnp.minimum)


class Concatenate(Layer):
    """Concatenates a list of inputs along `axis`.

    Args:
        axis: the axis to join along. Default -1 (the feature axis).

    Input shape: a list of at least 2 tensors of the same rank, with equal sizes on every axis
    but `axis`. Output shape: the same, with the `axis` sizes summed.

    Example:
        >>> Concatenate()([np.ones((2, 3)), np.zeros((2, 1))]).shape
        (2, 4)
    """

    def __init__(self, axis: int = -1, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"axis must be an integer. Received: axis={axis!r}")
        self.axis = int(axis)

    def _check_shapes(self, shapes: list[tuple]) -> None:
        ranks = {len(s) for s in shapes}
        if len(ranks) > 1:
            raise ValueError(f"A Concatenate layer needs inputs of the same rank. Received: input_shape={shapes}")
        rank = ranks.pop()
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"Concatenate axis is outside the range of inputs of rank {rank}. Received: axis={self.axis}"
            )
        axis = self.axis % rank
        for position in range(rank):
            known = {s[position] for s in shapes if s[position] is not None}
            if position != axis and len(known) > 1:
                raise ValueError(
                    "A Concatenate layer requires inputs with matching shapes except for the concatenation "
                    f"axis {self.axis}. Received: input_shape={shapes}"
                )

    def build(self, input_shape) -> None:
        self._check_shapes(_shape_list(self, input_shape))
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(
                f"A Concatenate layer should be called on a list of at least 2 inputs. Received: inputs={inputs!r}"
            )
        self._check_shapes([tuple(x.shape) for x in inputs])
        return jnp.concatenate(list(inputs), axis=self.axis)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


def add(inputs: list, **kwargs: Any):
    """Functional form of `Add`: `add([a, b])` creates an `Add(**kwargs)` layer and calls it on the list."""
    return Add(**kwargs)(inputs)


def subtract(inputs: list, **kwargs: Any):
    """Functional form of `Subtract`: `subtract([a, b])` is `a - b`."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs: list, **kwargs: Any):
    """Functional form of `Multiply`."""
    return Multiply(**kwargs)(inputs)


def average(inputs: list, **kwargs: Any):
    """Functional form of `Average`."""
    return Average(**kwargs)(inputs)


def maximum(inputs: list, **kwargs: Any):
    """Functional form of `Maximum`."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs: list, **kwargs: Any):
    """Functional form of `Minimum`."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: list, axis: int = -1, **kwargs: Any):
    """Functional form of `Concatenate`: `concatenate([a, b], axis=-1)` creates the layer and calls it.

    Works on arrays and on the symbolic tensors of the functional API.
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


class Dot(Layer):
    """The dot product of two inputs along given axes, for each example (a batched dot product).

    Args:
        axes: the axis to contract, one int for both inputs or a pair `(axis_a, axis_b)`; axes
            count the batch axis as 0 (negative values count from the end).
        normalize: L2-normalize both inputs along the contracted axes first, so the result is the
            cosine similarity. Default False.

    Input shape: a list of 2 tensors `(batch, ...)`. Output shape: the remaining axes of the first,
    then of the second; `(batch, 1)` when nothing remains (two vectors).

    Example:
        >>> Dot(axes=1)([np.ones((2, 3)), np.ones((2, 3))]).shape
        (2, 1)
    """

    def __init__(self, axes, normalize: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        is_int = lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, bool)  # noqa: E731
        pair = (axes, axes) if is_int(axes) else axes
        if not isinstance(pair, (tuple, list)) or len(pair) != 2 or not all(is_int(a) for a in pair):
            raise ValueError(f"axes must be an integer or a pair of integers. Received: axes={axes!r}")
        self.axes = int(axes) if is_int(axes) else [int(a) for a in axes]
        self._pair = (int(pair[0]), int(pair[1]))
        self.normalize = bool(normalize)

    def _resolved(self, ranks: tuple[int, int]) -> tuple[int, int]:
        out = []
        for axis, rank in zip(self._pair, ranks):
            resolved = axis % rank if -rank <= axis < rank else None
            if resolved in (None, 0):
                raise ValueError(
                    f"Dot axes must name a non-batch axis of inputs of rank {rank}. Received: axes={self.axes!r}"
                )
            out.append(resolved)
        return out[0], out[1]

    def build(self, input_shape) -> None:
        shapes = _shape_list(self, input_shape)
        if len(shapes) != 2:
            raise ValueError(f"A Dot layer should be called on exactly 2 inputs. Received: input_shape={shapes}")
        a, b = self._resolved((len(shapes[0]), len(shapes[1])))
        if None not in (shapes[0][a], shapes[1][b]) and shapes[0][a] != shapes[1][b]:
            raise ValueError(
                f"Dot axes {self.axes} join axes of different sizes {shapes[0][a]} and {shapes[1][b]}. "
                f"Received: input_shape={shapes}"
            )
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(f"A Dot layer should be called on exactly 2 inputs. Received: inputs={inputs!r}")
        x, y = inputs
        a, b = self._resolved((x.ndim, y.ndim))
        if self.normalize:
            x = x / jnp.sqrt(jnp.maximum(jnp.sum(x * x, axis=a, keepdims=True), 1e-12))
            y = y / jnp.sqrt(jnp.maximum(jnp.sum(y * y, axis=b, keepdims=True), 1e-12))
        out = jax.lax.dot_general(x, y, (((a,), (b,)), ((0,), (0,))))
        return out[:, None] if out.ndim == 1 else out

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def dot(inputs: list, axes, normalize: bool = False, **kwargs: Any):
    """Functional form of `Dot`: `dot([a, b], axes=1)`."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
