"""`model.summary()` in the tf.keras text layout: layer table, then parameter totals."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

_DEFAULT_WIDTH = 65
_DEFAULT_POSITIONS = (0.45, 0.85, 1.0)


def _count(variables) -> int:
    return int(sum(int(np.prod(v.shape)) for v in variables))


def format_shape(shape) -> str:
    """A shape as tf.keras prints it: the tuple's repr, `(None, 784)`."""
    return str(tuple(shape))


def _row(fields: list[str], ends: list[int]) -> str:
    line = ""
    for i, (field, end) in enumerate(zip(fields, ends)):
        if i:
            line = line[:-1] + " "
        line = (line + field)[:end].ljust(end)
    return line


def _wrap_connections(items: list[str], width: int) -> list[str]:
    """The "Connected to" list split over lines of at most `width` characters, as tf.keras prints it."""
    if not items:
        return ["[]"]
    lines, current = [], "["
    for i, item in enumerate(items):
        piece = item + ("]" if i == len(items) - 1 else ",")
        if len(current) > 1 and len(current) + len(piece) + 1 > width:
            lines.append(current)
            current = " " + piece
        else:
            current += ("" if current in ("[", " ") else " ") + piece
    return lines + [current]


def print_summary(
    model, *, line_length: int | None = None, positions=None, print_fn: Callable[[str], None] | None = None
) -> None:
    """Prints a model summary: each layer's name and type, output shape and parameter count
    (and, for functional models, the layers it is connected to)."""
    header = getattr(model, "_summary_header", ("Layer (type)", "Output Shape", "Param #"))
    width = line_length or getattr(model, "_summary_width", _DEFAULT_WIDTH)
    positions = list(positions or getattr(model, "_summary_positions", _DEFAULT_POSITIONS))
    ends = [int(width * p) if p <= 1 else int(p) for p in positions]
    emit = print_fn or print
    emit(f'Model: "{model.name}"')
    emit("_" * width)
    emit(_row(list(header), ends))
    emit("=" * width)
    rows = model._summary_rows()
    for i, row in enumerate(rows):
        name, shape, params, *rest = row
        shape_text = (
            shape
            if isinstance(shape, str)
            else (str([tuple(s) for s in shape]) if isinstance(shape, list) else format_shape(shape))
        )
        connections = _wrap_connections(rest[0], ends[-1] - ends[-2] - 1) if rest else [None]
        emit(_row([name, shape_text, str(params)] + ([connections[0]] if rest else []), ends))
        for more in connections[1:]:
            emit(_row(["", "", "", more], ends))
        emit(("=" if i == len(rows) - 1 else "_") * width)
    if not rows:
        emit("=" * width)
    trainable = _count(model.trainable_weights)
    non_trainable = _count(model.non_trainable_weights)
    emit(f"Total params: {trainable + non_trainable:,}")
    emit(f"Trainable params: {trainable:,}")
    emit(f"Non-trainable params: {non_trainable:,}")
    emit("_" * width)
