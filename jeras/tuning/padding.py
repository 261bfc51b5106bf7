"""Padding hidden widths, so that MLPs of one depth and different widths train in one program.

A hidden `Dense` unit whose incoming weights, bias and outgoing weights are all zero outputs
`f(0)`; when the activation maps 0 to 0 (relu, linear, tanh, elu, selu) that is 0, so the unit
changes nothing downstream, and every gradient that reaches its weights is zero (its outgoing
weights are zero, and its output is zero), so the weights stay zero under any optimizer whose
update of a zero gradient from a zero state is zero (all of jeras'). A model whose hidden
layers are padded with such units therefore computes exactly what the narrow model computes:
same outputs, same losses, same updates of the real weights (adding zeros is exact in floating
point). `jeras.tuning` uses this to train, say, `n_neurons` from 1 to 99 in one compiled
program: each member is embedded in the widest model of its group and read back out at the
end (docs/architecture.md, "Vectorized search").

Only Sequential models of `InputLayer`/`Flatten`/`Dense` layers with such activations are
padded; anything else (dropout, whose masks depend on the width; normalization; other
layers) keeps its own structure group.
"""

from __future__ import annotations

import numpy as np

from jeras import optimizers
from jeras.layers.core import Dense
from jeras.layers.input_layer import InputLayer
from jeras.layers.reshaping import Flatten
from jeras.models.sequential import Sequential

_ZERO_PRESERVING = ("relu", "linear", "tanh", "elu", "selu")


def hidden_widths(model) -> tuple[int, ...] | None:
    """The widths of the hidden Dense layers when the model can be padded, else None."""
    if not isinstance(model, Sequential) or model.activity_regularizer is not None:
        return None
    layers = model.layers
    dense = [layer for layer in layers if isinstance(layer, Dense)]
    if not dense or any(not isinstance(layer, (Dense, Flatten, InputLayer)) for layer in layers):
        return None
    for layer in dense[:-1]:
        name = getattr(layer.activation, "__name__", None) if layer.activation is not None else "linear"
        if name not in _ZERO_PRESERVING or layer.activity_regularizer is not None:
            return None
    return tuple(layer.units for layer in dense[:-1])


def padded_copy(model, widths: tuple[int, ...], *, embed: bool = True):
    """A new compiled model like `model`, with its hidden Dense layers `widths` wide and (with
    `embed`) the member's weights embedded, zeros elsewhere; its optimizer has the member's settings."""
    config = model.get_config()
    hidden = 0
    dense_total = sum(1 for layer in model.layers if isinstance(layer, Dense))
    seen = 0
    for entry in config["layers"]:
        if entry["class_name"] == "Dense":
            seen += 1
            if seen < dense_total:
                entry["config"]["units"] = int(widths[hidden])
                hidden += 1
        entry["config"].pop("name", None)
    config.pop("name", None)
    wide = Sequential.from_config(config)
    wide.compile(
        optimizer=optimizers.deserialize(optimizers.serialize(model.optimizer)),
        loss=model.loss,
        metrics=model._objectives.metrics_arg,
        loss_weights=model._objectives.loss_weights_arg,
        weighted_metrics=model._objectives.weighted_metrics_arg,
    )
    if embed:
        wide.set_weights([_embed(w, v.shape) for w, v in zip(model.get_weights(), wide.weights)])
    return wide


def read_back(wide, model) -> None:
    """Sets `model`'s weights to the top-left corners of the padded model's weights."""
    model.set_weights([w[tuple(slice(0, d) for d in v.shape)] for w, v in zip(wide.get_weights(), model.weights)])


def _embed(weight: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(shape, weight.dtype)
    out[tuple(slice(0, d) for d in weight.shape)] = weight
    return out
