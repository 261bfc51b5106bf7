"""Attention layers: dot-product `Attention` (Luong-style, or Bahdanau-style with `score_mode="concat"`)
and `MultiHeadAttention` (Vaswani et al., 2017), for inputs of shape `(batch, timesteps, features)`."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras import backend, constraints, initializers, regularizers
from jeras.layers import mask_table
from jeras.layers.layer import Layer
from jeras.layers.recurrent import check_positive_int, check_rate


def _attention_dropout(weights, rate: float, training: bool):
    if not training or rate == 0.0:
        return weights
    keep = 1.0 - rate
    kept = jax.random.bernoulli(backend.draw_key(), keep, weights.shape)
    return jnp.where(kept, weights / keep, jnp.zeros((), weights.dtype))


def _masked_softmax(scores, allowed):
    # Masked scores are lowered by a large constant rather than set to -inf, so a row with
    # nothing allowed stays finite (a uniform average), as in tf.keras 2.
    if allowed is not None:
        scores = jnp.where(allowed, scores, scores - (65504.0 if scores.dtype == jnp.float16 else 1e9))
    return jax.nn.softmax(scores, axis=-1)


def _causal(steps_q: int, steps_v: int):
    return jnp.tril(jnp.ones((steps_q, steps_v), bool))


class Attention(Layer):
    """Dot-product attention: `softmax(query @ key^T) @ value` for each query step.

    Args:
        use_scale: learn a scalar `scale` that multiplies the scores (initialized to 1). Default False.
        score_mode: `"dot"` (`query @ key^T`) or `"concat"` (`sum(tanh(query + key))`, weighted by a
            learnt `concat_score_weight`). Default `"dot"`.
        dropout: the fraction of attention weights dropped while training. Default 0.

    Call arguments: `inputs` `[query, value]` or `[query, value, key]` (key defaults to value);
    `mask` `[query_mask, value_mask]` (taken from an `Embedding(mask_zero=True)` or `Masking`
    before them when not given): masked value steps get no attention, masked query steps output
    zeros; `return_attention_scores`; `use_causal_mask` (step `i` attends to steps `<= i` only);
    `training`.

    Input shape: query `(batch, Tq, dim)`, value `(batch, Tv, dim)`, key `(batch, Tv, dim)`.
    Output shape: `(batch, Tq, dim)` (and the scores `(batch, Tq, Tv)` with `return_attention_scores`).

    Example:
        >>> Attention()([np.ones((2, 3, 4)), np.ones((2, 5, 4))]).shape
        (2, 3, 4)
    """

    supports_masking = True

    def __init__(self, use_scale: bool = False, score_mode: str = "dot", dropout: float = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"score_mode must be 'dot' or 'concat'. Received: score_mode={score_mode!r}")
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = check_rate(dropout, "dropout")

    def _check(self, shapes) -> None:
        if not isinstance(shapes, (list, tuple)) or len(shapes) not in (2, 3):
            raise ValueError(
                f"Attention layer '{self.name}' takes a list [query, value] or [query, value, key]. "
                f"Received: inputs of shape {shapes}"
            )
        if any(len(s) != 3 for s in shapes):
            raise ValueError(
                f"Attention layer '{self.name}' expects inputs of rank 3, (batch, timesteps, dim). "
                f"Received: input_shape={list(shapes)}"
            )

    def build(self, input_shape) -> None:
        self._check(input_shape)
        self.scale = self.add_weight("scale", (), initializer="ones") if self.use_scale else None
        self.concat_score_weight = None
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight("concat_score_weight", (), initializer="ones")
        self.built = True

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)) and mask and mask[0] is not None:
            return jnp.asarray(mask[0])
        return None

    def _scores(self, query, key):
        if self.score_mode == "dot":
            scores = query @ jnp.swapaxes(key, -1, -2)
            return scores * self.scale.value if self.scale is not None else scores
        summed = query[..., :, None, :] + key[..., None, :, :]
        if self.scale is not None:
            summed = self.scale.value * summed
        return self.concat_score_weight.value * jnp.sum(jnp.tanh(summed), axis=-1)

    def call(self, inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False):
        self._check([tuple(x.shape) for x in inputs] if isinstance(inputs, (list, tuple)) else inputs)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask, value_mask = (list(mask) + [None, None])[:2] if isinstance(mask, (list, tuple)) else (None, None)
        scores = self._scores(query, key)
        allowed = None if value_mask is None else jnp.asarray(value_mask, bool)[:, None, :]
        if use_causal_mask:
            causal = _causal(scores.shape[-2], scores.shape[-1])[None]
            allowed = causal if allowed is None else allowed & causal
        weights = _masked_softmax(scores, allowed)
        outputs = _attention_dropout(weights, self.dropout, training) @ value
        if query_mask is not None:
            outputs = outputs * jnp.asarray(query_mask, outputs.dtype)[..., None]
        return [outputs, weights] if return_attention_scores else outputs

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "use_scale": self.use_scale,
            "score_mode": self.score_mode,
            "dropout": self.dropout,
        }


class MultiHeadAttention(Layer):
    """Multi-head attention: `num_heads` scaled dot-product attentions over learnt projections, then a projection back.

    Args:
        num_heads: the number of heads, a positive integer.
        key_dim: the size of each head's query and key projections.
        value_dim: the size of each head's value projection. Default None (`key_dim`).
        dropout: the fraction of attention weights dropped while training. Default 0.
        use_bias: whether the projections have biases. Default True.
        output_shape: the size of the output features. Default None (the query's feature size).
        attention_axes: only None (attend over the timestep axis) is supported.
        kernel_initializer: default `"glorot_uniform"`. bias_initializer: default `"zeros"`.
        kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
            bias_constraint: default None.

    Call arguments: `query` `(batch, Tq, dim)`, `value` `(batch, Tv, dim_v)`, `key` (defaults to
    `value`), `attention_mask` (`(batch, Tq, Tv)` booleans, True where attention is allowed; masks
    of the query and value from `Embedding(mask_zero=True)` or `Masking` are applied too),
    `return_attention_scores` (also return `(batch, heads, Tq, Tv)` weights), `training`,
    `use_causal_mask`.

    Weights, in order: query kernel `(dim, heads, key_dim)` and bias `(heads, key_dim)`, key
    kernel and bias, value kernel `(dim_v, heads, value_dim)` and bias, output kernel
    `(heads, value_dim, output_dim)` and bias `(output_dim,)`, as Keras orders them.

    Output shape: `(batch, Tq, output_dim)`.

    Example:
        >>> MultiHeadAttention(num_heads=2, key_dim=4)(np.ones((2, 3, 8)), np.ones((2, 5, 8))).shape
        (2, 3, 8)
    """

    # The output steps are the query steps: the query's mask applies to the output, as in Keras.
    supports_masking = True

    def __init__(
        self,
        num_heads: int,
        key_dim: int,
        value_dim: int | None = None,
        dropout: float = 0.0,
        use_bias: bool = True,
        output_shape: int | None = None,
        attention_axes=None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.num_heads = check_positive_int(num_heads, "num_heads")
        self.key_dim = check_positive_int(key_dim, "key_dim")
        self.value_dim = self.key_dim if value_dim is None else check_positive_int(value_dim, "value_dim")
        self.dropout = check_rate(dropout, "dropout")
        self.use_bias = bool(use_bias)
        if isinstance(output_shape, (tuple, list)) and len(output_shape) == 1:
            output_shape = output_shape[0]
        self.output_shape = None if output_shape is None else check_positive_int(output_shape, "output_shape")
        if attention_axes is not None:
            raise ValueError(
                "attention_axes must be None: jeras attends over the timestep axis of (batch, timesteps, "
                f"features) inputs only. Received: attention_axes={attention_axes!r}"
            )
        self.attention_axes = None
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def _projection(self, name: str, kernel_shape: tuple[int, ...], bias_shape: tuple[int, ...]):
        kernel = self.add_weight(
            f"{name}_kernel",
            kernel_shape,
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        bias = None
        if self.use_bias:
            bias = self.add_weight(
                f"{name}_bias",
                bias_shape,
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        return kernel, bias

    def build(self, query_shape, value_shape=None, key_shape=None) -> None:
        dim = query_shape[-1]
        if len(query_shape) != 3 or dim is None:
            raise ValueError(
                f"MultiHeadAttention layer '{self.name}' expects a query of rank 3, (batch, timesteps, features), "
                f"with known features. Received: query_shape={tuple(query_shape)}"
            )
        value_dim_in = dim if value_shape is None else value_shape[-1]
        key_dim_in = value_dim_in if key_shape is None else key_shape[-1]
        heads = self.num_heads
        self._query = self._projection("query", (dim, heads, self.key_dim), (heads, self.key_dim))
        self._key = self._projection("key", (key_dim_in, heads, self.key_dim), (heads, self.key_dim))
        self._value = self._projection("value", (value_dim_in, heads, self.value_dim), (heads, self.value_dim))
        out = self.output_shape or dim
        self._output = self._projection("attention_output", (heads, self.value_dim, out), (out,))
        self.built = True

    def _maybe_build(self, inputs) -> None:
        # Built from the query alone; the value and key shapes are read at the first call.
        if not self.built:
            shape = tuple(inputs.shape)
            with jax.ensure_compile_time_eval():
                self.build(shape, *self._pending_shapes)
            self.built = True

    def __call__(self, query, value=None, key=None, **kwargs: Any):
        if isinstance(query, (list, tuple)) and value is None:
            # A functional model rebuilt from its config passes the call's tensors as one list.
            query, value, key = (list(query) + [None, None])[:3]
        value = query if value is None else value
        self._pending_shapes = (tuple(value.shape), tuple((value if key is None else key).shape))
        for name, tensor in (("query", query), ("value", value), ("key", key)):
            mask = mask_table.mask_of(tensor) if tensor is not None else None
            if mask is not None:
                kwargs.setdefault(f"{name}_mask", mask)
        return super().__call__(query, value, key, **kwargs)

    @staticmethod
    def _project(x, weights, equation: str):
        kernel, bias = weights
        out = jnp.einsum(equation, x, kernel.value)
        return out + bias.value if bias is not None else out

    def call(
        self,
        query,
        value,
        key=None,
        attention_mask=None,
        return_attention_scores: bool = False,
        training=False,
        use_causal_mask: bool = False,
        query_mask=None,
        value_mask=None,
        key_mask=None,
    ):
        value = jnp.asarray(value, query.dtype)
        key = value if key is None else jnp.asarray(key, query.dtype)
        q = self._project(query, self._query, "btd,dhk->bthk") / math.sqrt(self.key_dim)
        k = self._project(key, self._key, "bsd,dhk->bshk")
        v = self._project(value, self._value, "bsd,dhk->bshk")
        scores = jnp.einsum("bthk,bshk->bhts", q, k)
        allowed = None if attention_mask is None else jnp.asarray(attention_mask, bool)
        for part in (
            None if query_mask is None else jnp.asarray(query_mask, bool)[:, :, None],
            None if value_mask is None else jnp.asarray(value_mask, bool)[:, None, :],
            None if key_mask is None else jnp.asarray(key_mask, bool)[:, None, :],
            _causal(scores.shape[-2], scores.shape[-1])[None] if use_causal_mask else None,
        ):
            if part is not None:
                allowed = part if allowed is None else allowed & part
        if allowed is not None:
            allowed = allowed[:, None]
        weights = _masked_softmax(scores, allowed)
        context = jnp.einsum("bhts,bshv->bthv", _attention_dropout(weights, self.dropout, training), v)
        outputs = self._project(context, self._output, "bthv,hvo->bto")
        return [outputs, weights] if return_attention_scores else outputs

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "output_shape": self.output_shape,
            "attention_axes": self.attention_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


class UnitNormalization(Layer):
    """Scales each example to unit L2 norm along `axis`: `x / sqrt(max(sum(x ** 2), 1e-12))`.

    Args:
        axis: the axis (or list of axes) to normalize over. Default -1.

    Input shape: any. Output shape: same as input.
    """

    def __init__(self, axis=-1, **kwargs: Any):
        super().__init__(**kwargs)
        axes = [axis] if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool) else axis
        if not isinstance(axes, (list, tuple)) or not all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axes
        ):
            raise TypeError(f"axis must be an integer or a list of integers. Received: axis={axis!r}")
        self.axis = int(axis) if isinstance(axis, (int, np.integer)) else [int(a) for a in axes]

    def call(self, inputs):
        if not jnp.issubdtype(inputs.dtype, jnp.floating):
            inputs = inputs.astype(self.dtype)
        axes = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        return inputs * jax.lax.rsqrt(jnp.maximum(jnp.sum(inputs * inputs, axis=axes, keepdims=True), 1e-12))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}
