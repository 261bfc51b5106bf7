"""Layers that wrap another layer: `Bidirectional` (an RNN run both ways) and `TimeDistributed`."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from jeras.layers.layer import Layer
from jeras.layers.recurrent import RNN

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _deserialize(config: dict[str, Any]) -> Layer:
    # The layer registry lives in the package that imports this module.
    from jeras.layers import deserialize

    return deserialize(config)


def _copy(layer: Layer, **changes: Any) -> Layer:
    """A fresh layer with `layer`'s config (no weights, no state), with `changes` applied."""
    return type(layer).from_config({**layer.get_config(), **changes})


def _strip(name: str, prefix: str) -> str:
    return name[len(prefix) :] if name.startswith(prefix) else name


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards over the sequence, and merges the two.

    Args:
        layer: an `RNN` instance (`LSTM(...)`, `GRU(...)`, `RNN(cell)`); it is copied from its config,
            so its own weights are not used.
        merge_mode: how the outputs combine: `"concat"` (feature axis), `"sum"`, `"mul"`, `"ave"`, or
            None (return both, `[forward, backward]`). Default `"concat"`.
        weights: optional initial weights, the forward layer's then the backward layer's. Default None.
        backward_layer: an optional `RNN` for the backward direction, with `go_backwards=True` and the
            same `return_sequences`, `return_state` and `stateful`. Default None (a copy of `layer`
            with `go_backwards` flipped).

    With `return_sequences`, the backward outputs are flipped back to forward time order before
    merging, and masked steps output zeros (as in tf.keras 2).

    Input shape: `(batch, timesteps, features)`. Output shape: the wrapped layer's with `2 * units`
    features for `"concat"`, `units` otherwise; with `return_state`, followed by the forward then the
    backward states.

    Example:
        >>> Bidirectional(LSTM(4, return_sequences=True))(np.ones((2, 5, 3))).shape
        (2, 5, 8)
    """

    supports_masking = True

    def __init__(
        self,
        layer: RNN,
        merge_mode: str | None = "concat",
        weights: list | None = None,
        backward_layer: RNN | None = None,
        **kwargs: Any,
    ):
        if not isinstance(layer, RNN):
            raise TypeError(
                f"Bidirectional wraps a recurrent layer (an RNN instance such as LSTM(8)). Received: layer={layer!r}"
            )
        if backward_layer is not None and not isinstance(backward_layer, RNN):
            raise TypeError(
                f"backward_layer must be a recurrent layer (an RNN instance). Received: backward_layer={backward_layer!r}"
            )
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"merge_mode must be one of {list(_MERGE_MODES)}. Received: merge_mode={merge_mode!r}")
        super().__init__(**kwargs)
        base = _strip(_strip(layer.name, "forward_"), "backward_")
        self.forward_layer = _copy(layer, name=f"forward_{base}")
        if backward_layer is None:
            self.backward_layer = _copy(layer, name=f"backward_{base}", go_backwards=not layer.go_backwards)
        else:
            self.backward_layer = backward_layer
        self._backward_given = backward_layer is not None
        for attribute in ("return_sequences", "return_state", "stateful"):
            if getattr(self.forward_layer, attribute) != getattr(self.backward_layer, attribute):
                raise ValueError(
                    f"The forward and backward layers of a Bidirectional layer must agree on {attribute}. "
                    f"Received: {attribute}={getattr(self.forward_layer, attribute)} and "
                    f"{getattr(self.backward_layer, attribute)}"
                )
        if self.forward_layer.go_backwards == self.backward_layer.go_backwards:
            raise ValueError(
                "The forward and backward layers of a Bidirectional layer must run in opposite directions. "
                f"Received: go_backwards={self.forward_layer.go_backwards} for both"
            )
        # As in tf.keras 2: with whole sequences returned, masked steps output zeros in both directions.
        for direction in (self.forward_layer, self.backward_layer):
            direction.zero_output_for_mask = direction.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.stateful = layer.stateful
        self._initial_weights = weights

    def build(self, input_shape) -> None:
        for direction in (self.forward_layer, self.backward_layer):
            if not direction.built:
                direction.build(input_shape)
                direction.built = True
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def reset_states(self, states=None) -> None:
        """Resets the states of both directions (to zero, or to `states`: forward ones, then backward ones)."""
        if states is None:
            self.forward_layer.reset_states()
            self.backward_layer.reset_states()
            return
        half = len(states) // 2
        self.forward_layer.reset_states(states[:half])
        self.backward_layer.reset_states(states[half:])

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        output_masks = [output_mask, output_mask] if self.merge_mode is None else [output_mask]
        if self.return_state:
            states = len(self.forward_layer.compute_mask(inputs, None)) - 1
            return output_masks + [None] * (2 * states)
        return output_masks if self.merge_mode is None else output_mask

    def call(self, inputs, mask=None, training=False, initial_state=None):
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = list(initial_state[:half]), list(initial_state[half:])
        y = self.forward_layer(inputs, mask=mask, training=training, initial_state=forward_state)
        y_rev = self.backward_layer(inputs, mask=mask, training=training, initial_state=backward_state)
        states: list = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = jnp.flip(y_rev, axis=1)
        if self.merge_mode == "concat":
            outputs = [jnp.concatenate([y, y_rev], axis=-1)]
        elif self.merge_mode == "sum":
            outputs = [y + y_rev]
        elif self.merge_mode == "ave":
            outputs = [(y + y_rev) / 2]
        elif self.merge_mode == "mul":
            outputs = [y * y_rev]
        else:
            outputs = [y, y_rev]
        if self.return_state or self.merge_mode is None:
            return outputs + states
        return outputs[0]

    def get_config(self) -> dict[str, Any]:
        from jeras.layers import serialize

        config = {**super().get_config(), "layer": serialize(self.forward_layer), "merge_mode": self.merge_mode}
        if self._backward_given:
            config["backward_layer"] = serialize(self.backward_layer)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Bidirectional:
        config = dict(config)
        layer = _deserialize(config.pop("layer"))
        backward = config.pop("backward_layer", None)
        return cls(layer, backward_layer=None if backward is None else _deserialize(backward), **config)


class TimeDistributed(Layer):
    """Applies a layer to every timestep of its inputs, with the same weights for each.

    Args:
        layer: a `Layer` instance, applied to inputs of shape `(batch * timesteps, ...)`.

    Input shape: `(batch, timesteps, ...)`. Output shape: `(batch, timesteps, ...)` with the inner
    layer's output shape for the trailing axes. A mask passes through unchanged.

    Example:
        >>> TimeDistributed(Dense(8))(np.ones((2, 10, 3))).shape
        (2, 10, 8)
    """

    supports_masking = True

    def __init__(self, layer: Layer, **kwargs: Any):
        if not isinstance(layer, Layer):
            raise TypeError(f"TimeDistributed wraps a Layer instance. Received: layer={layer!r}")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape) -> None:
        shape = tuple(input_shape)
        if len(shape) < 3:
            raise ValueError(
                f"TimeDistributed layer '{self.name}' expects inputs of rank 3 or more, (batch, timesteps, ...). "
                f"Received: input_shape={shape}"
            )
        if not self.layer.built:
            self.layer.build((None,) + shape[2:])
            self.layer.built = True
        self.built = True

    def call(self, inputs, training=False):
        if inputs.ndim < 3:
            raise ValueError(
                f"TimeDistributed layer '{self.name}' expects inputs of rank 3 or more. "
                f"Received: inputs with shape {tuple(inputs.shape)}"
            )
        batch, steps = inputs.shape[:2]
        outputs = self.layer(inputs.reshape((batch * steps,) + inputs.shape[2:]), training=training)
        return outputs.reshape((batch, steps) + outputs.shape[1:])

    def get_config(self) -> dict[str, Any]:
        from jeras.layers import serialize

        return {**super().get_config(), "layer": serialize(self.layer)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TimeDistributed:
        config = dict(config)
        return cls(_deserialize(config.pop("layer")), **config)
