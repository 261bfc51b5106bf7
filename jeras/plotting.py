"""Drawings of models: `plot_model` renders the layer graph with matplotlib (PNG, SVG or PDF)."""

from __future__ import annotations

import os
import tempfile
from typing import Any

_FORMATS = (".png", ".svg", ".pdf")


def _graph(model) -> tuple[list[Any], list[tuple[int, int]]]:
    """The model's layers (boxes) and edges between them, as indices into the list."""
    from jeras.models.functional import Functional
    from jeras.models.sequential import Sequential

    if isinstance(model, Functional):
        layers = model.layers
        index = {id(layer): i for i, layer in enumerate(layers)}
        edges = []
        for node in model._nodes:
            for tensor in node.input_tensors:
                edge = (index[id(tensor.node.layer)], index[id(node.layer)])
                if edge not in edges:
                    edges.append(edge)
        return layers, edges
    if isinstance(model, Sequential):
        layers = ([model._input_layer] if model._input_layer is not None else []) + model.layers
        return layers, [(i, i + 1) for i in range(len(layers) - 1)]
    # A subclassed model has no static graph: it is drawn as one box, as tf.keras does.
    return [model], []


def _depths(count: int, edges: list[tuple[int, int]]) -> list[int]:
    depth = [0] * count
    for _ in range(count):
        changed = False
        for a, b in edges:
            if depth[b] < depth[a] + 1:
                depth[b] = depth[a] + 1
                changed = True
        if not changed:
            break
    return depth


def _label(layer, show_shapes: bool, show_dtype: bool, show_layer_names: bool, show_layer_activations: bool) -> str:
    from jeras.layers.symbolic import KerasTensor

    title = f"{layer.name}: {type(layer).__name__}" if show_layer_names else type(layer).__name__
    lines = [title]
    activation = getattr(layer, "activation", None)
    if show_layer_activations and callable(activation):
        lines[0] += f" ({getattr(activation, '__name__', 'custom')})"
    if show_shapes or show_dtype:
        nodes = layer._inbound_nodes[:1]
        ins = [t for n in nodes for t in n.input_tensors]
        outs = [
            t for n in nodes for t in ([n.outputs] if isinstance(n.outputs, KerasTensor) else list(_leaves(n.outputs)))
        ]
        fmt = lambda ts: ", ".join(str(t.shape) + (f" {t.dtype}" if show_dtype else "") for t in ts) or "-"  # noqa: E731
        if show_shapes:
            lines.append(f"input: {fmt(ins)}" if ins else f"input: {fmt(outs)}")
            lines.append(f"output: {fmt(outs)}")
    return "\n".join(lines)


def _leaves(tree):
    import jax

    from jeras.layers.symbolic import KerasTensor

    return [
        t
        for t in jax.tree_util.tree_leaves(tree, is_leaf=lambda x: isinstance(x, KerasTensor))
        if isinstance(t, KerasTensor)
    ]


def plot_model(
    model,
    to_file: str = "model.png",
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 96,
    show_layer_activations: bool = False,
    **kwargs: Any,
) -> str:
    """Draws the model's layer graph to an image file.

    Args:
        model: a built model.
        to_file: output path; the extension picks the format (`.png`, `.svg` or `.pdf`). Default "model.png".
        show_shapes: print each layer's input and output shapes. Default False.
        show_dtype: print dtypes. Default False.
        show_layer_names: print layer names. Default True.
        rankdir: `"TB"` (top to bottom) or `"LR"` (left to right). Default "TB".
        expand_nested: accepted for compatibility; nested models are drawn as one box.
        dpi: resolution of PNG output. Default 96.
        show_layer_activations: print Dense-style activations. Default False.

    Returns:
        The path written.
    """
    if kwargs:
        raise TypeError(f"Unknown keyword argument(s) for plot_model: {sorted(kwargs)}. Received: {kwargs!r}")
    if not getattr(model, "built", False):
        raise ValueError(
            f"plot_model needs a built model: build it or call it on data first. Received: unbuilt model {getattr(model, 'name', model)!r}"
        )
    ext = os.path.splitext(os.fspath(to_file))[1].lower()
    if ext not in _FORMATS:
        raise ValueError(f"to_file must end in one of {_FORMATS}. Received: to_file={to_file!r}")
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"rankdir must be 'TB' or 'LR'. Received: rankdir={rankdir!r}")

    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    layers, edges = _graph(model)
    depth = _depths(len(layers), edges)
    rows: dict[int, list[int]] = {}
    for i, d in enumerate(depth):
        rows.setdefault(d, []).append(i)
    labels = [_label(la, show_shapes, show_dtype, show_layer_names, show_layer_activations) for la in layers]
    box_w = max(len(line) for text in labels for line in text.splitlines()) * 0.11 + 0.6
    box_h = max(text.count("\n") + 1 for text in labels) * 0.28 + 0.3
    gap_x, gap_y = box_w * 0.25, box_h * 0.8
    width = max(len(r) for r in rows.values())
    positions = {}
    for d, members in rows.items():
        offset = (width - len(members)) * (box_w + gap_x) / 2
        for k, i in enumerate(members):
            along = offset + k * (box_w + gap_x)
            across = d * (box_h + gap_y)
            positions[i] = (along, -across) if rankdir == "TB" else (across * box_w / box_h, -along * box_h / box_w)
    xs = [p[0] for p in positions.values()]
    ys = [p[1] for p in positions.values()]
    fig_w = (max(xs) - min(xs) + box_w) + 0.6
    fig_h = (max(ys) - min(ys) + box_h) + 0.6
    fig, ax = plt.subplots(figsize=(fig_w, fig_h))
    ax.set_xlim(min(xs) - 0.3, max(xs) + box_w + 0.3)
    ax.set_ylim(min(ys) - box_h - 0.3, max(ys) + 0.3)
    ax.axis("off")
    for i, (x, y) in positions.items():
        ax.add_patch(
            FancyBboxPatch((x, y - box_h), box_w, box_h, boxstyle="round,pad=0.02", fc="#eef3fb", ec="#33415c")
        )
        ax.text(x + box_w / 2, y - box_h / 2, labels[i], ha="center", va="center", fontsize=9, family="monospace")
    for a, b in edges:
        (xa, ya), (xb, yb) = positions[a], positions[b]
        if rankdir == "TB":
            start, end = (xa + box_w / 2, ya - box_h), (xb + box_w / 2, yb)
        else:
            start, end = (xa + box_w, ya - box_h / 2), (xb, yb - box_h / 2)
        ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "->", "color": "#33415c"})
    folder = os.path.dirname(os.path.abspath(os.fspath(to_file)))
    fd, tmp = tempfile.mkstemp(prefix=".plot-", suffix=ext, dir=folder)
    os.close(fd)
    try:
        fig.savefig(tmp, format=ext[1:], dpi=dpi, bbox_inches="tight")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, to_file)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.remove(tmp)
    return os.fspath(to_file)
