"""Figures for models and training runs, drawn with matplotlib and safe on machines without a display.

`plot_model` renders a model's layer graph; `plot_learning_curves`, `show_images`,
`plot_confusion_matrix` and `plot_predictions` draw what the tutorials show after `fit`. Each of
the figure functions returns a `matplotlib.figure.Figure` drawn on the Agg canvas (no window, no
pyplot state), and writes it to `path` (PNG, SVG or PDF, written atomically) when one is given.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import numpy as np

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
    try:
        save_figure(fig, to_file, dpi=dpi)
    finally:
        plt.close(fig)
    return os.fspath(to_file)


def save_figure(fig, path: str | os.PathLike, *, dpi: int = 96) -> None:
    """Saves a matplotlib figure atomically (temp file + rename), so a crash never leaves half a file.

    Args:
        fig: the figure.
        path: the file; its extension picks the format (`.png`, `.svg` or `.pdf`).
        dpi: resolution of PNG output. Default 96.

    Raises:
        ValueError: the extension is not one of those.
    """
    _check_path(path)
    ext = os.path.splitext(os.fspath(path))[1].lower()
    folder = os.path.dirname(os.path.abspath(os.fspath(path)))
    fd, tmp = tempfile.mkstemp(prefix=".plot-", suffix=ext, dir=folder)
    os.close(fd)
    try:
        fig.savefig(tmp, format=ext[1:], dpi=dpi, bbox_inches="tight")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _check_path(path: str | os.PathLike | None) -> None:
    if path is None:
        return
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a file path or None. Received: path={path!r}")
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext not in _FORMATS:
        raise ValueError(f"path must end in one of {_FORMATS}. Received: path={os.fspath(path)!r}")


def _new_figure(figsize: tuple[float, float]):
    """A figure on its own Agg canvas: no pyplot, no GUI backend, nothing kept alive after use."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _finish(fig, path: str | os.PathLike | None, dpi: int):
    if path is not None:
        save_figure(fig, path, dpi=dpi)
    return fig


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer. Received: {name}={value!r}")
    return int(value)


def plot_learning_curves(
    history: Any,
    *,
    path: str | os.PathLike | None = None,
    title: str | None = None,
    figsize: tuple[float, float] = (8.0, 5.0),
    dpi: int = 96,
):
    """Plots every series of a training history against the epoch, as the tutorials do after `fit`.

    A metric and its validation counterpart (`loss` and `val_loss`) share one colour: the
    training series is drawn solid, the validation series dashed. The y axis runs from 0 to 1
    unless a value lies outside that range, in which case it is widened to hold every value.

    Args:
        history: the `History` returned by `fit`, or its `.history` dict mapping names to
            per-epoch values.
        path: also write the figure there (`.png`, `.svg` or `.pdf`). Default None.
        title: the axes title. Default None: "Learning curves".
        figsize: the figure size in inches. Default (8.0, 5.0).
        dpi: resolution of PNG output. Default 96.

    Returns:
        The `matplotlib.figure.Figure`, with one line per history key.

    Raises:
        ValueError: the history is empty, or its series are not equally long lists of numbers.

    Example:

    >>> fig = plot_learning_curves({"loss": [0.9, 0.5], "val_loss": [1.0, 0.7]})
    >>> len(fig.axes[0].lines)
    2
    """
    series = _history_series(history)
    _check_path(path)
    fig = _new_figure(figsize)
    ax = fig.add_subplot()
    colours = {}
    palette = [f"C{i}" for i in range(10)]
    for name, values in series.items():
        base = name[4:] if name.startswith("val_") else name
        colour = colours.setdefault(base, palette[len(colours) % len(palette)])
        epochs = np.arange(1, len(values) + 1)
        style = "--" if name.startswith("val_") else "-"
        ax.plot(epochs, values, style, color=colour, marker="o" if len(values) == 1 else None, label=name)
    finite = np.concatenate([v[np.isfinite(v)] for v in series.values()])
    low = min(0.0, float(finite.min())) if finite.size else 0.0
    high = max(1.0, float(finite.max())) if finite.size else 1.0
    margin = 0.03 * (high - low) if (low < 0.0 or high > 1.0) else 0.0
    ax.set_ylim(low - (margin if low < 0.0 else 0.0), high + (margin if high > 1.0 else 0.0))
    longest = max(len(v) for v in series.values())
    ax.set_xlim(0.5, longest + 0.5)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("epoch")
    ax.set_ylabel("value")
    ax.set_title(title or "Learning curves")
    ax.grid(True, alpha=0.4)
    ax.legend(loc="best", fontsize="small")
    return _finish(fig, path, dpi)


def _history_series(history: Any) -> dict[str, np.ndarray]:
    data = getattr(history, "history", history)
    if not isinstance(data, dict):
        raise TypeError(
            f"history must be a History (what fit returns) or a dict of per-epoch lists. Received: history={history!r}"
        )
    if not data:
        raise ValueError("history is empty: train for at least one epoch first. Received: history={}")
    series = {}
    for name, values in data.items():
        try:
            array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            array = None
        if array is None or array.ndim != 1 or array.size == 0:
            raise ValueError(
                f"history[{name!r}] must be a non-empty list of numbers, one per epoch. Received: {values!r}"
            )
        series[str(name)] = array
    return series


def show_images(
    x: Any,
    y: Any = None,
    class_names: Any = None,
    n_rows: int = 4,
    n_cols: int = 10,
    *,
    y_pred: Any = None,
    path: str | os.PathLike | None = None,
    cmap: str = "binary",
    dpi: int = 96,
):
    """Shows the first `n_rows * n_cols` images in a grid, each titled with its class.

    Args:
        x: images of shape `(n, height, width)` or `(n, height, width, channels)` with 1, 3 or
            4 channels; integer values 0..255 or floats 0..1.
        y: the labels, one integer per image (or one-hot rows). Default None: no titles.
        class_names: the names of the classes, indexed by label. Default None: the labels.
        n_rows: rows of the grid. Default 4.
        n_cols: columns of the grid. Default 10.
        y_pred: predicted labels (or class probabilities); each title then reads the
            prediction, with the true class after it in red where they differ. Default None.
        path: also write the figure there (`.png`, `.svg` or `.pdf`). Default None.
        cmap: the colour map of one-channel images. Default "binary" (as the tutorial).
        dpi: resolution of PNG output. Default 96.

    Returns:
        The `matplotlib.figure.Figure`, with one axes per grid cell (cells beyond the number
        of images stay blank).

    Raises:
        ValueError: bad shapes, grid sizes, or labels outside `class_names`.

    Example:

    >>> fig = show_images(np.zeros((3, 28, 28)), [0, 1, 2], ["a", "b", "c"], n_rows=1, n_cols=3)
    >>> [ax.get_title() for ax in fig.axes]
    ['a', 'b', 'c']
    """
    n_rows = _positive_int(n_rows, "n_rows")
    n_cols = _positive_int(n_cols, "n_cols")
    images = np.asarray(x)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] not in (3, 4)) or len(images) == 0:
        raise ValueError(
            "x must be a non-empty batch of images of shape (n, height, width) or (n, height, width, channels) "
            f"with 1, 3 or 4 channels. Received: x with shape {images.shape}"
        )
    count = min(len(images), n_rows * n_cols)
    labels = None if y is None else _as_labels(y, "y", len(images))
    predicted = None if y_pred is None else _as_labels(y_pred, "y_pred", len(images))
    names = None if class_names is None else [str(name) for name in class_names]
    for name, values in (("y", labels), ("y_pred", predicted)):
        if (
            names is not None
            and values is not None
            and (values[:count].min() < 0 or values[:count].max() >= len(names))
        ):
            raise ValueError(
                f"{name} holds labels outside 0..{len(names) - 1}, the indices of class_names. "
                f"Received: {name} from {values[:count].min()} to {values[:count].max()}"
            )
    _check_path(path)
    if images.dtype.kind == "f" and images.size and float(np.nanmax(images)) > 1.0:
        images = images / 255.0
    label_of = (lambda i: names[i]) if names is not None else str
    fig = _new_figure((n_cols * 1.2, n_rows * 1.45))
    for k in range(n_rows * n_cols):
        ax = fig.add_subplot(n_rows, n_cols, k + 1)
        ax.axis("off")
        if k >= count:
            continue
        ax.imshow(images[k], cmap=cmap if images.ndim == 3 else None, interpolation="nearest")
        if predicted is not None:
            wrong = labels is not None and predicted[k] != labels[k]
            text = label_of(int(predicted[k])) + (f"\n({label_of(int(labels[k]))})" if wrong else "")
            ax.set_title(text, fontsize=7, color="#c0392b" if wrong else "black")
        elif labels is not None:
            ax.set_title(label_of(int(labels[k])), fontsize=7)
    return _finish(fig, path, dpi)


def _as_labels(values: Any, name: str, length: int | None = None) -> np.ndarray:
    """Integer labels from labels, one-hot rows or class probabilities."""
    array = np.asarray(values)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim == 2:
        array = array.argmax(axis=1)
    if array.ndim != 1 or (array.size and array.dtype.kind not in "iub" and not np.all(np.mod(array, 1) == 0)):
        raise ValueError(
            f"{name} must be integer labels, one per example, or one row of class scores per example. "
            f"Received: {name} with shape {np.shape(values)} and dtype {array.dtype}"
        )
    if length is not None and len(array) != length:
        raise ValueError(f"{name} must hold one label per example ({length}). Received: {len(array)} labels")
    return array.astype(np.int64)


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int | None = None) -> np.ndarray:
    """Counts each (true class, predicted class) pair.

    Args:
        y_true: the true labels (or one-hot rows).
        y_pred: the predicted labels (or class probabilities, one row per example).
        num_classes: the number of classes. Default None: the largest label seen plus one.

    Returns:
        An int64 array of shape `(num_classes, num_classes)`; entry `[i, j]` counts the
        examples of class `i` predicted as class `j`.

    Raises:
        ValueError: the label arrays differ in length or hold negative labels or labels
            beyond `num_classes`.
    """
    true = _as_labels(y_true, "y_true")
    pred = _as_labels(y_pred, "y_pred", len(true))
    if true.size and min(true.min(), pred.min()) < 0:
        raise ValueError(f"labels must be non-negative. Received: minimum label {min(true.min(), pred.min())}")
    seen = int(max(true.max(), pred.max())) + 1 if true.size else 0
    if num_classes is None:
        num_classes = seen
    else:
        num_classes = _positive_int(num_classes, "num_classes")
        if seen > num_classes:
            raise ValueError(
                f"labels must be below num_classes. Received: num_classes={num_classes} and a label {seen - 1}"
            )
    counts = np.bincount(true * num_classes + pred, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def plot_confusion_matrix(
    y_true: Any,
    y_pred: Any,
    class_names: Any = None,
    *,
    normalize: bool = False,
    path: str | os.PathLike | None = None,
    title: str | None = None,
    dpi: int = 96,
):
    """Draws the confusion matrix of a classifier as a heat map with a count in every cell.

    Args:
        y_true: the true labels (or one-hot rows).
        y_pred: the predicted labels, or the class probabilities `model.predict` returns.
        class_names: names for the classes, indexed by label. Default None: the labels.
        normalize: show each row as fractions of its class instead of counts. Default False.
        path: also write the figure there (`.png`, `.svg` or `.pdf`). Default None.
        title: the axes title. Default None: "Confusion matrix (accuracy ...)".
        dpi: resolution of PNG output. Default 96.

    Returns:
        The `matplotlib.figure.Figure`: the matrix axes (rows: true class, columns:
        predicted class) and its colour bar.

    Raises:
        ValueError: mismatched labels, or labels outside `class_names`.

    Example:

    >>> fig = plot_confusion_matrix([0, 1, 1], [0, 1, 0], ["cat", "dog"])
    >>> fig.axes[0].get_xlabel()
    'Predicted class'
    """
    names = None if class_names is None else [str(name) for name in class_names]
    matrix = confusion_matrix(y_true, y_pred, num_classes=None if names is None else len(names))
    _check_path(path)
    total = matrix.sum()
    accuracy = float(np.trace(matrix) / total) if total else float("nan")
    shown = matrix.astype(np.float64)
    if normalize:
        rows = shown.sum(axis=1, keepdims=True)
        shown = np.divide(shown, rows, out=np.zeros_like(shown), where=rows > 0)
    n = len(matrix)
    labels = names if names is not None else [str(i) for i in range(n)]
    side = max(4.0, 0.55 * n + 2.5)
    fig = _new_figure((side + 1.0, side))
    ax = fig.add_subplot()
    image = ax.imshow(shown, cmap="Blues", vmin=0.0)
    fig.colorbar(image, ax=ax, shrink=0.8, label="fraction of the true class" if normalize else "examples")
    threshold = shown.max() / 2 if shown.size else 0.0
    for i in range(n):
        for j in range(n):
            text = f"{shown[i, j]:.2f}" if normalize else f"{matrix[i, j]:d}"
            ax.text(
                j, i, text, ha="center", va="center", fontsize=7, color="white" if shown[i, j] > threshold else "black"
            )
    ax.set_xticks(range(n), labels, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(n), labels, fontsize=8)
    ax.set_xlabel("Predicted class")
    ax.set_ylabel("True class")
    ax.set_title(title or f"Confusion matrix (accuracy {accuracy:.3f})")
    return _finish(fig, path, dpi)


_PANELS = ("scatter", "residuals", "histogram")


def plot_predictions(
    y_true: Any,
    y_pred: Any,
    *,
    panels: tuple[str, ...] | list[str] = ("scatter", "residuals"),
    path: str | os.PathLike | None = None,
    title: str | None = None,
    dpi: int = 96,
):
    """Draws a regression model's predictions against the true values, and its residuals.

    Panels, left to right in the order given: `"scatter"` plots predicted against true values
    with the line of perfect prediction; `"residuals"` plots the residuals (true minus
    predicted) against the predictions with the zero line; `"histogram"` shows how the
    residuals are distributed.

    Args:
        y_true: the true targets, shape `(n,)` or `(n, 1)`.
        y_pred: the predictions (what `model.predict` returns), same number of values.
        panels: which panels to draw. Default ("scatter", "residuals").
        path: also write the figure there (`.png`, `.svg` or `.pdf`). Default None.
        title: the figure title. Default None: the RMSE and R² of the predictions.
        dpi: resolution of PNG output. Default 96.

    Returns:
        The `matplotlib.figure.Figure`, with one axes per panel.

    Raises:
        ValueError: the arrays differ in length, are empty, or are not finite, or a panel is unknown.

    Example:

    >>> fig = plot_predictions([1.0, 2.0, 3.0], [1.1, 1.9, 3.2])
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['true value', 'predicted value']
    """
    true = np.asarray(y_true, dtype=np.float64).reshape(-1)
    pred = np.asarray(y_pred, dtype=np.float64).reshape(-1)
    if true.size == 0 or true.shape != pred.shape:
        raise ValueError(
            "y_true and y_pred must hold the same, non-zero number of values. "
            f"Received: y_true with shape {np.shape(y_true)}, y_pred with shape {np.shape(y_pred)}"
        )
    if not (np.all(np.isfinite(true)) and np.all(np.isfinite(pred))):
        raise ValueError("y_true and y_pred must be finite. Received: NaN or infinite values")
    if isinstance(panels, str) or not panels or any(p not in _PANELS for p in panels):
        raise ValueError(f"panels must be a non-empty sequence of {_PANELS}. Received: panels={panels!r}")
    _check_path(path)
    residuals = true - pred
    rmse = float(np.sqrt(np.mean(residuals**2)))
    spread = float(np.sum((true - true.mean()) ** 2))
    r2 = 1.0 - float(np.sum(residuals**2)) / spread if spread > 0 else float("nan")
    fig = _new_figure((4.6 * len(panels), 4.4))
    size = 4 if true.size > 2000 else 9
    for k, panel in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), k + 1)
        ax.grid(True, alpha=0.4)
        if panel == "scatter":
            ax.scatter(true, pred, s=size, alpha=0.5, color="C0", edgecolors="none")
            low, high = min(true.min(), pred.min()), max(true.max(), pred.max())
            ax.plot([low, high], [low, high], color="C3", linewidth=1, label="perfect prediction")
            ax.set_xlabel("true value")
            ax.set_ylabel("predicted value")
            ax.set_title("Predicted vs true")
            ax.legend(loc="upper left", fontsize="small")
        elif panel == "residuals":
            ax.scatter(pred, residuals, s=size, alpha=0.5, color="C1", edgecolors="none")
            ax.axhline(0.0, color="C3", linewidth=1)
            ax.set_xlabel("predicted value")
            ax.set_ylabel("residual (true - predicted)")
            ax.set_title("Residuals")
        else:
            ax.hist(residuals, bins=min(50, max(5, true.size // 20)), color="C2")
            ax.axvline(0.0, color="C3", linewidth=1)
            ax.set_xlabel("residual (true - predicted)")
            ax.set_ylabel("examples")
            ax.set_title("Residual distribution")
    fig.suptitle(title or f"{true.size:,} predictions: RMSE {rmse:.4g}, R² {r2:.3f}")
    return _finish(fig, path, dpi)
