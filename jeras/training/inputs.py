"""From the caller's arrays to device arrays: validation, targets, splitting, class weights, transfer.

Everything a call checks happens here, before any step runs (DESIGN.md, principle 8). Arrays
reach the device with at most one copy: float32 data aligned to 64 bytes are aliased by JAX
on the CPU (no copy at all), other dtypes are cast once into an aligned buffer, and small
integer data (uint8 images) travel as they are and are cast inside the compiled step
(docs/architecture.md, "Data").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np

from jeras import backend
from jeras.training import data as data_mod
from jeras.training.objectives import standardize_targets
from jeras.training.steps import Batch

_ALIGN = 64


@dataclass
class Prepared:
    """Validated host data for one call."""

    x: Any
    y: list | None
    sample_weight: np.ndarray | None
    n: int


def aligned_empty(shape: tuple, dtype) -> np.ndarray:
    """An uninitialized array whose data start on a 64-byte boundary (so the CPU client aliases it)."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    raw = np.empty(nbytes + _ALIGN, np.uint8)
    offset = (-raw.ctypes.data) % _ALIGN
    return raw[offset : offset + nbytes].view(dtype).reshape(shape)


def is_aligned(a: np.ndarray) -> bool:
    return a.flags.c_contiguous and a.ctypes.data % _ALIGN == 0


def cast_for_device(arr: np.ndarray, dtype: str | None) -> np.ndarray:
    """The array in the dtype it travels in: the model's input dtype (`floatx` by default), except
    small integer and boolean data for a floating input, which are cast inside the step."""
    target = np.dtype(dtype or backend.floatx())
    if arr.dtype == target:
        return arr
    if target.kind == "f" and arr.dtype.kind in "biu" and arr.dtype.itemsize <= 2:
        return arr
    out = aligned_empty(arr.shape, target)
    np.copyto(out, arr, casting="unsafe")
    return out


def to_device(a: np.ndarray) -> jax.Array:
    """One array onto the default device; on the CPU without a copy when it is aligned. An array
    that spans processes (jeras.distribution, `per_process_data`) is already placed."""
    if isinstance(a, jax.Array) and not a.is_fully_addressable:
        return a
    if jax.default_backend() == "cpu" and isinstance(a, np.ndarray) and not is_aligned(a):
        aligned = aligned_empty(a.shape, a.dtype)
        np.copyto(aligned, a)
        a = aligned
    return jax.device_put(a)


def pad_rows(a: np.ndarray, rows: int) -> np.ndarray:
    if a.shape[0] == rows:
        return a
    out = np.zeros((rows,) + a.shape[1:], dtype=a.dtype)
    out[: a.shape[0]] = a
    return out


class InputPreparer:
    """Checks and converts the arrays of one call against a model (see the module docstring)."""

    def __init__(self, model):
        self.model = model

    def prepare(self, x, y=None, sample_weight=None, *, need_y: bool, what: str) -> Prepared:
        model = self.model
        data_mod.reject_streaming(x, argument="x")
        if need_y and y is None:
            raise ValueError(f"{what} needs targets: pass y with one target per sample. Received: y=None")
        ordered = model._flatten_inputs(x) if isinstance(x, Mapping) else None
        xs = data_mod.flatten_arrays(x if ordered is None else ordered, argument="x")
        named = [("x", a) for a in xs]
        ys = None
        if y is not None:
            ys = data_mod.flatten_arrays(order_targets(model, y), argument="y")
            named += [("y", a) for a in ys]
        n = data_mod.check_lengths(named)
        xs = self._expand_1d(xs)
        model._ensure_built(xs)
        specs = model._input_specs()
        if len(specs) != len(xs):
            raise ValueError(
                f"Model '{model.name}' expects {len(specs)} input(s) but received {len(xs)} array(s) in x."
            )
        cast = []
        for i, (arr, (shape, dtype)) in enumerate(zip(xs, specs)):
            name = "x" if len(xs) == 1 else f"x[{i}]"
            data_mod.check_input_shape(arr, shape, argument=name, model_name=model.name)
            data_mod.check_finite(arr, argument=name)
            data_mod.check_range(arr, dtype or backend.floatx(), argument=name)
            cast.append(cast_for_device(arr, dtype))
        x_tree = model._structure_inputs(cast)
        sw = None if sample_weight is None else data_mod.check_sample_weight(sample_weight, n)
        if ys is not None:
            ys = self._prepare_targets(ys)
        return Prepared(x_tree, ys, sw, n)

    def _expand_1d(self, xs: list[np.ndarray]) -> list[np.ndarray]:
        """1-D inputs become one column, `(n,)` -> `(n, 1)`, as tf.keras 2.x expands them: for an
        input declared with rank 2 (`input_shape=[1]`), or not declared yet (an unbuilt model)."""
        if not any(a.ndim == 1 for a in xs):
            return xs
        model = self.model
        specs = model._input_specs() if model.built else [(None, None)] * len(xs)
        if len(specs) != len(xs):
            return xs
        return [
            a[:, None] if a.ndim == 1 and (shape is None or len(shape) == 2) else a for a, (shape, _) in zip(xs, specs)
        ]

    def _prepare_targets(self, ys: list[np.ndarray]) -> list[np.ndarray]:
        model = self.model
        objectives = model._objectives
        pred_shapes = model._output_shapes()
        if len(ys) != len(pred_shapes):
            raise ValueError(
                f"Model '{model.name}' has {len(pred_shapes)} output(s) but y holds {len(ys)} array(s). "
                f"Received: y with {len(ys)} array(s)"
            )
        objectives.build(model.output_names, [tuple(a.shape) for a in ys], pred_shapes)
        out = []
        for i, (arr, loss, p_shape) in enumerate(zip(ys, objectives.losses, pred_shapes)):
            name = "y" if len(ys) == 1 else f"y[{i}]"
            data_mod.check_finite(arr, argument=name)
            data_mod.check_range(arr, backend.floatx(), argument=name)
            out.append(check_targets(arr, loss, p_shape, name))
        return standardize_targets(out, pred_shapes, objectives.losses)

    def apply_class_weight(self, prepared: Prepared, class_weight) -> None:
        """Folds `class_weight` into the sample weights (fit and train_on_batch both come here)."""
        if class_weight is None:
            return
        if len(prepared.y) != 1:
            raise ValueError(
                "class_weight is only supported for models with a single output. "
                "Received: class_weight for several outputs"
            )
        units = (self.model._output_shapes()[0] or (1,))[-1]
        num_classes = max(int(units), 2) if units is not None else None  # one sigmoid unit: classes 0 and 1
        cw = data_mod.class_weights_to_sample_weights(prepared.y[0], class_weight, num_classes)
        prepared.sample_weight = cw if prepared.sample_weight is None else prepared.sample_weight * cw

    def split(self, train: Prepared, validation_split: float) -> tuple[Prepared, Prepared]:
        leaves, treedef = jax.tree_util.tree_flatten(train.x)
        arrays = leaves + list(train.y) + [train.sample_weight]
        tr, va = data_mod.split_validation(arrays, validation_split)
        nx, ny = len(leaves), len(train.y)

        def build(parts):
            return Prepared(
                jax.tree_util.tree_unflatten(treedef, parts[:nx]), parts[nx : nx + ny], parts[-1], parts[0].shape[0]
            )

        return build(tr), build(va)

    def validation(self, validation_data) -> Prepared:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError(
                "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, val_sample_weight). "
                f"Received: validation_data of type {type(validation_data).__name__}"
                + (f" with {len(validation_data)} items" if isinstance(validation_data, (tuple, list)) else "")
            )
        sw = validation_data[2] if len(validation_data) == 3 else None
        try:
            return self.prepare(validation_data[0], validation_data[1], sw, need_y=True, what="validation_data")
        except (ValueError, TypeError) as err:
            raise type(err)(f"Invalid validation_data: {err}") from err


def device_batch(
    prepared: Prepared, rows: int | None = None, *, with_mask: bool = False, start: int = 0, limit: int | None = None
) -> Batch:
    """Rows `start..start+rows` (all by default) of prepared data on the device, padded with
    zero rows to `rows`; rows at or past `limit` count as padding. With `with_mask`, a 0/1 mask
    marks the real rows."""
    end = prepared.n if limit is None else min(prepared.n, limit)
    stop = end if rows is None else min(end, start + rows)
    if rows is None:
        rows = stop - start

    def put(a):
        part = a[start:stop] if (start, stop) != (0, a.shape[0]) else a
        return to_device(pad_rows(part, rows))

    x = jax.tree_util.tree_map(put, prepared.x)
    ys = [put(y) for y in prepared.y] if prepared.y is not None else []
    sw = None if prepared.sample_weight is None else put(prepared.sample_weight)
    mask = None
    if with_mask:
        mask = to_device(pad_rows(np.ones((max(stop - start, 0),), np.float32), rows))
    return Batch(x, ys, sw, mask)


def order_targets(model, y):
    """Orders a dict of targets by the model's output names."""
    if not isinstance(y, Mapping):
        return y
    names = model.output_names
    unknown = [k for k in y if k not in names]
    if unknown:
        raise ValueError(
            f"y has keys that name no model output: {unknown}. Output names: {names}. Received: y keys {list(y)}"
        )
    missing = [k for k in names if k not in y]
    if missing:
        raise ValueError(f"y lacks targets for outputs {missing}. Output names: {names}. Received: y keys {list(y)}")
    return [y[name] for name in names]


def check_targets(arr: np.ndarray, loss, pred_shape: tuple, name: str) -> np.ndarray:
    """Checks targets against the loss and output shape; returns them in the dtype the loss expects."""
    loss_name = "" if loss is None else (getattr(loss, "name", "") or "") + type(loss).__name__.lower()
    units = pred_shape[-1] if pred_shape else 1
    if "sparse" in loss_name:
        if arr.ndim == len(pred_shape) and arr.shape[-1] != 1:
            raise ValueError(
                f"{name} for {loss.name} must hold one class index per sample (shape {(None,) + tuple(pred_shape[1:-1])}), "
                f"not one-hot rows; use categorical_crossentropy for one-hot targets. Received: {name}.shape={arr.shape}"
            )
        check = ("class indices", units)
        if not data_mod.passed_checks.passed(arr, check):
            _check_class_indices(arr, loss, units, name)
            data_mod.passed_checks.record(arr, check)
        return arr if arr.dtype == np.int32 else arr.astype(np.int32)
    if "categorical" in loss_name and tuple(arr.shape[1:]) != tuple(pred_shape[1:]):
        raise ValueError(
            f"{name} must have shape {(None,) + tuple(pred_shape[1:])} (one-hot) to match the model output "
            f"for {loss.name}; for integer labels use sparse_categorical_crossentropy. Received: {name}.shape={arr.shape}"
        )
    if "binary" in loss_name and arr.size and not data_mod.passed_checks.passed(arr, ("unit interval",)):
        if arr.min() < 0 or arr.max() > 1:
            raise ValueError(
                f"{name} must hold values in [0, 1] for {loss.name}. Received: {name} with min={arr.min()}, max={arr.max()}"
            )
        data_mod.passed_checks.record(arr, ("unit interval",))
    expected = tuple(pred_shape[1:])
    got = tuple(arr.shape[1:])
    if got != expected and not (got == () and expected == (1,)) and not (got == (1,) and expected == ()):
        raise ValueError(
            f"{name} has shape {(None,) + got} but the model output has shape {(None,) + expected}. "
            f"Received: {name}.shape={arr.shape}"
        )
    floatx = np.dtype(backend.floatx())
    return arr if arr.dtype == floatx else arr.astype(floatx)


def _check_class_indices(arr: np.ndarray, loss, units: int, name: str) -> None:
    if arr.dtype.kind == "f" and not np.all(np.equal(np.mod(arr, 1), 0)):
        raise ValueError(
            f"{name} must hold integer class indices for {loss.name}. Received: {name} with non-integer values"
        )
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0 or hi >= units:
        raise ValueError(
            f"{name} holds class indices outside [0, {units}) for a model with {units} output units. "
            f"Received: {name} with min={lo}, max={hi}"
        )
