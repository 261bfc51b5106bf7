"""Recurrent layers: `SimpleRNN`, `LSTM`, `GRU`, their cells, and `RNN(cell)` for any cell.

The loop over timesteps is one `jax.lax.scan` whose carry is just the cell's states. For the
built-in cells, where the input projection `inputs @ kernel + bias` runs depends on the
backend (`hoist_projection`): on accelerators it is one large matrix product before the scan,
so each step does only the recurrent product and the gate arithmetic; on CPU it stays inside
the step, next to the recurrent product, because XLA:CPU runs that loop about twice as fast
(forward and backward) as one that slices a precomputed `(timesteps, batch, gates * units)`
array at every step (measured with benchmarks/sequences.py). Any other cell (a user's `Layer`
with `units`, `state_size` and `call(inputs, states)`) is called once per step inside the scan.

Masks (from `Embedding(mask_zero=True)` or `Masking`) follow tf.keras 2: at a masked step
the states keep their previous values and the output repeats the previous output (zeros
before the first unmasked step), or is zero with `zero_output_for_mask=True`.
"""

from __future__ import annotations

import inspect
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras import activations, backend, constraints, initializers, regularizers
from jeras.backend.variables import Variable, current_scope
from jeras.layers.layer import Layer
from jeras.serialization import registry_of, resolve


def check_positive_int(value, argument: str) -> int:
    """Returns `value` as an int, or raises a ValueError naming `argument` unless it is a positive integer."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{argument} must be a positive integer. Received: {argument}={value!r}")
    return int(value)


def check_rate(value, argument: str) -> float:
    """Returns `value` as a float, or raises a ValueError naming `argument` unless it lies in [0, 1]."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{argument} must be a number between 0 and 1. Received: {argument}={value!r}")
    return float(value)


def _dropout_mask(rate: float, shape: tuple[int, ...], dtype) -> jax.Array | None:
    """A mask of 0 and `1 / (1 - rate)` (None when `rate` is 0), drawn once for a whole sequence."""
    if rate == 0.0:
        return None
    if rate == 1.0:
        return jnp.zeros(shape, dtype)
    keep = 1.0 - rate
    return jax.random.bernoulli(backend.draw_key(), keep, shape).astype(dtype) / keep


class _Cell(Layer):
    """The shared part of the built-in cells: one input kernel, one recurrent kernel, a bias.

    A cell computes one timestep. Its fast form is split in two: `project` maps inputs of any
    number of timesteps at once, and `step` does the recurrent part of one timestep.
    Subclasses set `_gates` (how many blocks of `units` columns the kernels have) and define
    `step(projected, states, recurrent_mask=None) -> (output, new_states)`.
    """

    _gates = 1

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.units = check_positive_int(units, "units")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = check_rate(dropout, "dropout")
        self.recurrent_dropout = check_rate(recurrent_dropout, "recurrent_dropout")

    @property
    def state_size(self) -> int | list[int]:
        return self.units

    @property
    def output_size(self) -> int:
        return self.units

    def _state_count(self) -> int:
        size = self.state_size
        return len(size) if isinstance(size, (list, tuple)) else 1

    def _bias_shape(self) -> tuple[int, ...]:
        return (self._gates * self.units,)

    def _bias_init(self):
        return self.bias_initializer

    def build(self, input_shape) -> None:
        features = input_shape[-1]
        if features is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' needs the feature axis of its inputs to be known. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        width = self._gates * self.units
        self.kernel = self.add_weight(
            "kernel",
            (features, width),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            "recurrent_kernel",
            (self.units, width),
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                "bias",
                self._bias_shape(),
                initializer=self._bias_init(),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.built = True

    def _input_bias(self):
        return self.bias.value

    def project(self, inputs):
        """`inputs @ kernel + bias` for inputs of shape `(..., features)`: the part that needs no state."""
        out = inputs @ self.kernel.value
        return out + self._input_bias() if self.bias is not None else out

    def dropout_masks(self, batch: int, features: int, dtype, training: bool) -> tuple[Any, Any]:
        """The input and recurrent dropout masks for one sequence (None where not dropping)."""
        if not training:
            return None, None
        return _dropout_mask(self.dropout, (batch, features), dtype), _dropout_mask(
            self.recurrent_dropout, (batch, self.units), dtype
        )

    def call(self, inputs, states, training=False):
        """One timestep, as a Keras cell: `inputs` `(batch, features)`, `states` a list; returns `(output, states)`."""
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        input_mask, recurrent_mask = self.dropout_masks(inputs.shape[0], inputs.shape[-1], inputs.dtype, training)
        if input_mask is not None:
            inputs = inputs * input_mask
        return self.step(self.project(inputs), states, recurrent_mask)

    def get_initial_state(self, batch_size: int | None = None) -> list[jax.Array]:
        """Zero states, one `(batch_size, units)` array per state."""
        return [jnp.zeros((batch_size or 1, self.units), self.dtype) for _ in range(self._state_count())]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
        }


_CELL_ARGS = """units: a positive integer, the size of the state and of the output.
        activation: the activation of the candidate state and output. Default `"tanh"`.
        use_bias: whether to add biases. Default True.
        kernel_initializer: for the input kernel. Default `"glorot_uniform"`.
        recurrent_initializer: for the recurrent kernel. Default `"orthogonal"`.
        bias_initializer: default `"zeros"`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: optional penalties. Default None.
        kernel_constraint, recurrent_constraint, bias_constraint: optional constraints. Default None.
        dropout: the fraction of the inputs dropped while training (one mask per sequence). Default 0.
        recurrent_dropout: the fraction of the previous state dropped in the recurrent product while
            training (one mask per sequence). Default 0."""


class SimpleRNNCell(_Cell):
    __doc__ = f"""The cell of `SimpleRNN`: `h = activation(x @ kernel + h_prev @ recurrent_kernel + bias)`.

    Args:
        {_CELL_ARGS}

    Input shape: `(batch, features)` and a list of one `(batch, units)` state. Output: `(output, [state])`,
    both `(batch, units)`.
    """

    def step(self, projected, states, recurrent_mask=None):
        h = states[0]
        if recurrent_mask is not None:
            h = h * recurrent_mask
        out = self.activation(projected + h @ self.recurrent_kernel.value)
        return out, [out]


class LSTMCell(_Cell):
    __doc__ = f"""The cell of `LSTM`, with input, forget, candidate and output gates (kernel columns in that order).

    Args:
        {_CELL_ARGS}
        recurrent_activation: the activation of the gates. Default `"sigmoid"`.
        unit_forget_bias: add 1 to the forget gate's bias at initialization (and use zeros for the
            rest), as Jozefowicz et al. (2015) recommend. Default True.
        implementation: 1 or 2, accepted for compatibility; both compute the same values here (with
            one dropout mask for all gates, as tf.keras 2's default `implementation=2`). Default 2.

    Input shape: `(batch, features)` and a list of two `(batch, units)` states `[h, c]`. Output:
    `(h, [h, c])`.
    """

    _gates = 4

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        unit_forget_bias: bool = True,
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        implementation: int = 2,
        **kwargs: Any,
    ):
        super().__init__(
            units,
            activation,
            use_bias,
            kernel_initializer,
            recurrent_initializer,
            bias_initializer,
            kernel_regularizer,
            recurrent_regularizer,
            bias_regularizer,
            kernel_constraint,
            recurrent_constraint,
            bias_constraint,
            dropout,
            recurrent_dropout,
            **kwargs,
        )
        if implementation not in (1, 2):
            raise ValueError(f"implementation must be 1 or 2. Received: implementation={implementation!r}")
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.implementation = int(implementation)

    @property
    def state_size(self) -> list[int]:
        return [self.units, self.units]

    def _bias_init(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, base = self.units, self.bias_initializer

        def init(shape, dtype=None):
            values = np.asarray(base((units,), dtype=dtype))
            return jnp.asarray(np.concatenate([values, np.ones((units,), values.dtype), values, values]))

        return init

    def step(self, projected, states, recurrent_mask=None):
        h, c = states
        if recurrent_mask is not None:
            h = h * recurrent_mask
        z = projected + h @ self.recurrent_kernel.value
        i, f, g, o = jnp.split(z, 4, axis=-1)
        act, gate = self.activation, self.recurrent_activation
        c = gate(f) * c + gate(i) * act(g)
        h = gate(o) * act(c)
        return h, [h, c]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "unit_forget_bias": self.unit_forget_bias,
            "implementation": self.implementation,
        }


class GRUCell(_Cell):
    __doc__ = f"""The cell of `GRU`, with update, reset and candidate parts (kernel columns in that order).

    `h = z * h_prev + (1 - z) * candidate`. With `reset_after=True` (the tf.keras 2 default, which
    matches cuDNN) the reset gate multiplies the recurrent product, and the input and recurrent
    parts have separate biases, `bias` of shape `(2, 3 * units)`; with `reset_after=False` it
    multiplies the previous state before the product, and `bias` has shape `(3 * units,)`.

    Args:
        {_CELL_ARGS}
        recurrent_activation: the activation of the gates. Default `"sigmoid"`.
        reset_after: where the reset gate applies (see above). Default True.
        implementation: 1 or 2, accepted for compatibility; both compute the same values. Default 2.

    Input shape: `(batch, features)` and a list of one `(batch, units)` state. Output: `(h, [h])`.
    """

    _gates = 3

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        reset_after: bool = True,
        implementation: int = 2,
        **kwargs: Any,
    ):
        super().__init__(
            units,
            activation,
            use_bias,
            kernel_initializer,
            recurrent_initializer,
            bias_initializer,
            kernel_regularizer,
            recurrent_regularizer,
            bias_regularizer,
            kernel_constraint,
            recurrent_constraint,
            bias_constraint,
            dropout,
            recurrent_dropout,
            **kwargs,
        )
        if implementation not in (1, 2):
            raise ValueError(f"implementation must be 1 or 2. Received: implementation={implementation!r}")
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)
        self.implementation = int(implementation)

    def _bias_shape(self) -> tuple[int, ...]:
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self):
        bias = self.bias.value
        return bias[0] if self.reset_after else bias

    def step(self, projected, states, recurrent_mask=None):
        h_prev = states[0]
        h = h_prev if recurrent_mask is None else h_prev * recurrent_mask
        kernel, units, gate = self.recurrent_kernel.value, self.units, self.recurrent_activation
        x_z, x_r, x_h = jnp.split(projected, 3, axis=-1)
        if self.reset_after:
            inner = h @ kernel
            if self.bias is not None:
                inner = inner + self.bias.value[1]
            r_z, r_r, r_h = jnp.split(inner, 3, axis=-1)
            z, r = gate(x_z + r_z), gate(x_r + r_r)
            candidate = self.activation(x_h + r * r_h)
        else:
            r_z, r_r = jnp.split(h @ kernel[:, : 2 * units], 2, axis=-1)
            z, r = gate(x_z + r_z), gate(x_r + r_r)
            candidate = self.activation(x_h + (r * h) @ kernel[:, 2 * units :])
        out = z * h_prev + (1.0 - z) * candidate
        return out, [out]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "reset_after": self.reset_after,
            "implementation": self.implementation,
        }


_CELLS = registry_of(SimpleRNNCell, LSTMCell, GRUCell)


def hoist_projection() -> bool:
    """Whether the built-in cells project all timesteps' inputs before the scan (see the module docstring)."""
    return jax.default_backend() != "cpu"


def _state_sizes(cell) -> list[int]:
    size = cell.state_size
    return [int(s) for s in size] if isinstance(size, (list, tuple)) else [int(size)]


def scan_steps(
    step,
    xs,
    states: list,
    mask,
    *,
    zero_output_for_mask: bool,
    unroll: bool,
    collect: bool,
    output_is_state: bool = False,
):
    """Runs `step(x_t, states) -> (output, states)` over the leading (time) axis of `xs`.

    `output_is_state` says that a step's output is its first new state (as for the built-in
    cells): without a mask the loop then carries only the states, not a copy of the output.

    Returns `(last_output, outputs or None, final_states)`; `mask` is `(time, batch)` booleans or None.
    """
    length = jax.tree_util.tree_leaves(xs)[0].shape[0]
    unroll_by = max(length, 1) if unroll else 1
    if mask is None and output_is_state:

        def plain(states, x_t):
            out, new_states = step(x_t, states)
            return list(new_states), (out if collect else None)

        states, outputs = jax.lax.scan(plain, list(states), xs, unroll=unroll_by)
        return states[0], outputs, states

    first_out, _ = jax.eval_shape(step, jax.tree_util.tree_map(lambda a: a[0], xs), states)
    zeros = jnp.zeros(first_out.shape, first_out.dtype)

    def body(carry, inputs):
        states, previous = carry
        x_t, m_t = inputs if mask is not None else (inputs, None)
        out, new_states = step(x_t, states)
        new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
        if m_t is not None:
            keep = m_t[:, None]
            out = jnp.where(keep, out, zeros if zero_output_for_mask else previous)
            new_states = [jnp.where(keep, new, old) for new, old in zip(new_states, states)]
        return (new_states, out), (out if collect else None)

    (states, last), outputs = jax.lax.scan(
        body, (list(states), zeros), xs if mask is None else (xs, mask), unroll=unroll_by
    )
    return last, outputs, states


class RNN(Layer):
    """Runs a cell over the timesteps of its inputs.

    Args:
        cell: a cell: a built-in one (`LSTMCell`, `GRUCell`, `SimpleRNNCell`) or any layer with
            `state_size` (an int or a list of ints) and `call(inputs, states)` returning
            `(output, new_states)`.
        return_sequences: return the output of every timestep, `(batch, timesteps, units)`,
            instead of the last one. Default False.
        return_state: also return the final states: the layer returns the list
            `[output, state_1, ...]`. Default False.
        go_backwards: process the timesteps in reverse order (and return the sequence of outputs
            in that order). Default False.
        stateful: the final states of a batch are the initial states of the next one; needs a
            fixed batch size (`batch_input_shape` or `Input(batch_size=...)`). `reset_states()`
            sets them back to zero. The states are not weights, as in tf.keras 2. Default False.
        unroll: unroll the loop (`lax.scan(..., unroll=timesteps)`): faster for short sequences,
            slower to compile. Default False.
        time_major: inputs and outputs are `(timesteps, batch, ...)`. Default False.
        zero_output_for_mask: masked timesteps output zeros instead of the previous output.
            Default False (`Bidirectional` sets it to `return_sequences`).

    Call arguments: `inputs`; `mask` (`(batch, timesteps)` booleans, taken from an `Embedding(mask_zero=True)`
    or `Masking` layer before it when not given); `training`; `initial_state` (a list of arrays, one per state).

    Input shape: `(batch, timesteps, features)`. Output shape: `(batch, timesteps, units)` with
    `return_sequences`, else `(batch, units)`; with `return_state`, followed by the states, each `(batch, units)`.

    Example:
        >>> layer = RNN(LSTMCell(4), return_sequences=True)
        >>> layer(np.ones((2, 5, 3))).shape
        (2, 5, 4)
    """

    supports_masking = True

    def __init__(
        self,
        cell,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        time_major: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        if not isinstance(cell, Layer) or not hasattr(cell, "state_size"):
            raise TypeError(
                "cell must be a Layer with a `state_size` attribute and a `call(inputs, states)` method, "
                f"such as LSTMCell(units). Received: cell={cell!r}"
            )
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.time_major = bool(time_major)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.states: list[Variable] | None = None
        self._cell_takes_training = "training" in inspect.signature(cell.call).parameters

    @staticmethod
    def _sequence_shape(input_shape) -> tuple:
        # Called on [sequences, *initial_states], the first shape is that of the sequences.
        if input_shape and isinstance(input_shape[0], (tuple, list)):
            return tuple(input_shape[0])
        return tuple(input_shape)

    def build(self, input_shape) -> None:
        shape = self._sequence_shape(input_shape)
        if len(shape) != 3:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects inputs of rank 3, (batch, timesteps, features). "
                f"Received: input_shape={shape}"
            )
        batch, steps = (shape[1], shape[0]) if self.time_major else (shape[0], shape[1])
        if self.unroll and steps is None:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' cannot unroll over an unknown number of timesteps: give "
                f"the inputs a fixed length (Input(shape=(timesteps, features))). Received: input_shape={shape}"
            )
        if not self.cell.built:
            self.cell.build((batch, shape[-1]))
            self.cell.built = True
        if self.stateful:
            if batch is None:
                raise ValueError(
                    f"A stateful RNN needs a fixed batch size: give the first layer a `batch_input_shape` or use "
                    f"Input(batch_size=...). Received: input_shape={shape}"
                )
            self.states = [
                Variable(
                    np.zeros((batch, size), np.dtype(self.dtype)),
                    name=f"state_{i}",
                    trainable=False,
                    path=f"{self.name}/state_{i}",
                )
                for i, size in enumerate(_state_sizes(self.cell))
            ]
        self.built = True

    def reset_states(self, states=None) -> None:
        """Sets the states of a stateful layer to zero, or to the given arrays (one per state)."""
        if not self.stateful or self.states is None:
            raise ValueError(
                f"reset_states() applies to a built stateful RNN. Received: layer '{self.name}' with "
                f"stateful={self.stateful}, built={self.built}"
            )
        values = states if states is not None else [None] * len(self.states)
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        if len(values) != len(self.states):
            raise ValueError(
                f"Layer '{self.name}' has {len(self.states)} state(s). Received: {len(values)} value(s) in states"
            )
        for variable, value in zip(self.states, values):
            variable.assign(np.zeros(variable.shape, variable.dtype) if value is None else value)

    reset_state = reset_states

    def get_initial_state(self, batch_size: int) -> list[jax.Array]:
        """Zero states for a batch, one `(batch_size, size)` array per state."""
        return [jnp.zeros((batch_size, size), self.dtype) for size in _state_sizes(self.cell)]

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(_state_sizes(self.cell))
        return output_mask

    def _initial_states(self, initial_state, batch: int, dtype) -> list:
        sizes = _state_sizes(self.cell)
        if initial_state is None:
            if self.stateful:
                return [v.value for v in self.states]
            return [jnp.zeros((batch, size), dtype) for size in sizes]
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        if len(states) != len(sizes):
            raise ValueError(
                f"Layer '{self.name}' expects {len(sizes)} initial state(s), one per cell state. "
                f"Received: {len(states)} array(s) in initial_state"
            )
        out = []
        for state, size in zip(states, sizes):
            state = jnp.asarray(state.value if isinstance(state, Variable) else state, dtype)
            if state.shape != (batch, size):
                raise ValueError(
                    f"Layer '{self.name}' expects initial states of shape {(batch, size)}. "
                    f"Received: initial_state with shapes {[tuple(np.shape(s)) for s in states]}"
                )
            out.append(state)
        return out

    def call(self, inputs, mask=None, training=False, initial_state=None):
        if isinstance(inputs, (list, tuple)):
            inputs, extra = inputs[0], list(inputs[1:])
            initial_state = extra or initial_state
            mask = mask[0] if isinstance(mask, (list, tuple)) else mask
        if inputs.ndim != 3:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects inputs of rank 3, (batch, timesteps, features). "
                f"Received: inputs with shape {tuple(inputs.shape)}"
            )
        if not jnp.issubdtype(inputs.dtype, jnp.floating):
            inputs = inputs.astype(self.dtype)
        if self.time_major:
            inputs = jnp.swapaxes(inputs, 0, 1)
        batch, _, features = inputs.shape
        if self.stateful and batch != self.states[0].shape[0]:
            raise ValueError(
                f"Stateful layer '{self.name}' was built for batches of {self.states[0].shape[0]}. "
                f"Received: inputs with shape {tuple(inputs.shape)}"
            )
        states = self._initial_states(initial_state, batch, inputs.dtype)
        built_in = isinstance(self.cell, _Cell)
        if built_in:
            input_mask, recurrent_mask = self.cell.dropout_masks(batch, features, inputs.dtype, training)
            if input_mask is not None:
                inputs = inputs * input_mask[:, None, :]
        # Time first for the scan; the inputs are moved before any projection, being the narrower array.
        xs = jnp.swapaxes(inputs, 0, 1)
        if built_in and hoist_projection():
            xs = self.cell.project(xs)

            def step(x_t, s):
                return self.cell.step(x_t, s, recurrent_mask)
        elif built_in:

            def step(x_t, s):
                return self.cell.step(self.cell.project(x_t), s, recurrent_mask)
        else:
            extra = {"training": training} if self._cell_takes_training else {}

            def step(x_t, s):
                return self.cell.call(x_t, s, **extra)

        if mask is not None:
            mask = jnp.swapaxes(jnp.asarray(mask).astype(bool), 0, 1)
        if self.go_backwards:
            xs = jnp.flip(xs, 0)
            mask = None if mask is None else jnp.flip(mask, 0)
        last, outputs, new_states = scan_steps(
            step,
            xs,
            states,
            mask,
            zero_output_for_mask=self.zero_output_for_mask,
            unroll=self.unroll,
            collect=self.return_sequences,
            output_is_state=built_in,
        )
        if self.stateful:
            self._keep_states(new_states)
        output = last
        if self.return_sequences:
            output = outputs if self.time_major else jnp.swapaxes(outputs, 0, 1)
        if self.return_state:
            return [output] + list(new_states)
        return output

    def _keep_states(self, new_states: list) -> None:
        # A traced value may only be stored through a stateless scope (which the training
        # engine reads back); stored on the variable itself it would leak out of the trace.
        if current_scope() is None and any(isinstance(s, jax.core.Tracer) for s in new_states):
            return
        for variable, value in zip(self.states, new_states):
            variable.assign(value)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "cell": {"class_name": type(self.cell).__name__, "config": self.cell.get_config()},
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "time_major": self.time_major,
            "zero_output_for_mask": self.zero_output_for_mask,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> RNN:
        config = dict(config)
        cell = resolve(config.pop("cell"), _CELLS, kind="RNN cell", argument="cell", allow_callable=False)
        return cls(cell, **config)


_RNN_ARGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "time_major")
_BASE_ARGS = ("name", "trainable", "dtype", "input_shape", "batch_input_shape", "batch_size", "input_dim")


class _CellRNN(RNN):
    """An RNN that makes its own cell from its arguments (`SimpleRNN`, `LSTM`, `GRU`); its config is flat."""

    _cell_class: type = _Cell

    def __init__(self, *, cell_kwargs: dict[str, Any], **kwargs: Any):
        rnn_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in _RNN_ARGS + _BASE_ARGS}
        zero_output = kwargs.pop("zero_output_for_mask", False)
        activity_regularizer = kwargs.pop("activity_regularizer", None)
        cell = self._cell_class(
            **cell_kwargs, dtype=rnn_kwargs.get("dtype"), trainable=rnn_kwargs.get("trainable", True), **kwargs
        )
        super().__init__(cell, zero_output_for_mask=zero_output, **rnn_kwargs)
        self.activity_regularizer = regularizers.get(activity_regularizer)

    def __getattr__(self, name: str):
        # The cell's settings read as the layer's own (`lstm.units`), as in tf.keras.
        cell = self.__dict__.get("cell")
        if cell is not None and not name.startswith("_") and name in cell.__dict__:
            return getattr(cell, name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        cell_config = config.pop("cell")["config"]
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        return {
            **config,
            **cell_config,
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> RNN:
        return cls(**config)


_LAYER_ARGS = """return_sequences, return_state, go_backwards, stateful, unroll, time_major: as for `RNN`
            (all default False).
        activity_regularizer: an optional penalty on the outputs. Default None."""


class SimpleRNN(_CellRNN):
    __doc__ = f"""A fully connected recurrent layer: `h_t = activation(x_t @ kernel + h_(t-1) @ recurrent_kernel + bias)`.

    Args:
        {_CELL_ARGS}
        {_LAYER_ARGS}

    Input shape: `(batch, timesteps, features)`. Output shape: `(batch, units)`, or
    `(batch, timesteps, units)` with `return_sequences`.

    Example:
        >>> SimpleRNN(4)(np.ones((2, 5, 3))).shape
        (2, 4)
    """

    _cell_class = SimpleRNNCell

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        **kwargs: Any,
    ):
        super().__init__(
            cell_kwargs={
                "units": units,
                "activation": activation,
                "use_bias": use_bias,
                "kernel_initializer": kernel_initializer,
                "recurrent_initializer": recurrent_initializer,
                "bias_initializer": bias_initializer,
                "kernel_regularizer": kernel_regularizer,
                "recurrent_regularizer": recurrent_regularizer,
                "bias_regularizer": bias_regularizer,
                "kernel_constraint": kernel_constraint,
                "recurrent_constraint": recurrent_constraint,
                "bias_constraint": bias_constraint,
                "dropout": dropout,
                "recurrent_dropout": recurrent_dropout,
            },
            activity_regularizer=activity_regularizer,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            **kwargs,
        )


class LSTM(_CellRNN):
    __doc__ = f"""Long Short-Term Memory (Hochreiter and Schmidhuber, 1997), with the states `[h, c]`.

    The weights are `kernel` `(features, 4 * units)`, `recurrent_kernel` `(units, 4 * units)` and
    `bias` `(4 * units,)`, gate columns in the order input, forget, candidate, output (as tf.keras).

    Args:
        {_CELL_ARGS}
        recurrent_activation: the activation of the gates. Default `"sigmoid"`.
        unit_forget_bias: initialize the forget gate's bias to 1. Default True.
        {_LAYER_ARGS}

    Input shape: `(batch, timesteps, features)`. Output shape: `(batch, units)`, or
    `(batch, timesteps, units)` with `return_sequences`; with `return_state`, `[output, h, c]`.

    Example:
        >>> output, h, c = LSTM(4, return_state=True)(np.ones((2, 5, 3)))
        >>> h.shape, c.shape
        ((2, 4), (2, 4))
    """

    _cell_class = LSTMCell

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        unit_forget_bias: bool = True,
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        time_major: bool = False,
        unroll: bool = False,
        **kwargs: Any,
    ):
        super().__init__(
            cell_kwargs={
                "units": units,
                "activation": activation,
                "recurrent_activation": recurrent_activation,
                "use_bias": use_bias,
                "kernel_initializer": kernel_initializer,
                "recurrent_initializer": recurrent_initializer,
                "bias_initializer": bias_initializer,
                "unit_forget_bias": unit_forget_bias,
                "kernel_regularizer": kernel_regularizer,
                "recurrent_regularizer": recurrent_regularizer,
                "bias_regularizer": bias_regularizer,
                "kernel_constraint": kernel_constraint,
                "recurrent_constraint": recurrent_constraint,
                "bias_constraint": bias_constraint,
                "dropout": dropout,
                "recurrent_dropout": recurrent_dropout,
            },
            activity_regularizer=activity_regularizer,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            time_major=time_major,
            unroll=unroll,
            **kwargs,
        )


class GRU(_CellRNN):
    __doc__ = f"""Gated Recurrent Unit (Cho et al., 2014), as tf.keras 2 computes it (`reset_after=True` by default).

    The weights are `kernel` `(features, 3 * units)`, `recurrent_kernel` `(units, 3 * units)` and
    `bias` `(2, 3 * units)` (`(3 * units,)` with `reset_after=False`), columns in the order update,
    reset, candidate.

    Args:
        {_CELL_ARGS}
        recurrent_activation: the activation of the gates. Default `"sigmoid"`.
        reset_after: apply the reset gate after the recurrent product (tf.keras 2's default, which
            matches cuDNN). Default True.
        {_LAYER_ARGS}

    Input shape: `(batch, timesteps, features)`. Output shape: `(batch, units)`, or
    `(batch, timesteps, units)` with `return_sequences`; with `return_state`, `[output, h]`.

    Example:
        >>> GRU(4, return_sequences=True)(np.ones((2, 5, 3))).shape
        (2, 5, 4)
    """

    _cell_class = GRUCell

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        time_major: bool = False,
        reset_after: bool = True,
        **kwargs: Any,
    ):
        super().__init__(
            cell_kwargs={
                "units": units,
                "activation": activation,
                "recurrent_activation": recurrent_activation,
                "use_bias": use_bias,
                "kernel_initializer": kernel_initializer,
                "recurrent_initializer": recurrent_initializer,
                "bias_initializer": bias_initializer,
                "kernel_regularizer": kernel_regularizer,
                "recurrent_regularizer": recurrent_regularizer,
                "bias_regularizer": bias_regularizer,
                "kernel_constraint": kernel_constraint,
                "recurrent_constraint": recurrent_constraint,
                "bias_constraint": bias_constraint,
                "dropout": dropout,
                "recurrent_dropout": recurrent_dropout,
                "reset_after": reset_after,
            },
            activity_regularizer=activity_regularizer,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            time_major=time_major,
            **kwargs,
        )
