"""The figures of jeras.plotting: what each draws (axes, titles, lines, pixels), the files, and bad input."""

import matplotlib.image
import numpy as np
import pytest
from matplotlib.figure import Figure

from jeras import plotting

HISTORY = {
    "loss": [0.9, 0.6, 0.5],
    "accuracy": [0.6, 0.7, 0.8],
    "val_loss": [1.0, 0.7, 0.65],
    "val_accuracy": [0.55, 0.66, 0.7],
}


def _pixels(fig: Figure) -> np.ndarray:
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3]


def _assert_drawn(fig: Figure) -> None:
    pixels = _pixels(fig)
    assert pixels.size > 0 and pixels.std() > 5, "the figure is blank"


def test_learning_curves_one_line_per_key_shared_colours_and_unit_range(tmp_path):
    fig = plotting.plot_learning_curves(HISTORY, path=tmp_path / "curves.png", title="MLP")
    (ax,) = fig.axes
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == set(HISTORY) and len(ax.get_lines()) == 4
    assert lines["loss"].get_color() == lines["val_loss"].get_color()
    assert lines["accuracy"].get_color() == lines["val_accuracy"].get_color()
    assert lines["loss"].get_color() != lines["accuracy"].get_color()
    assert lines["val_loss"].get_linestyle() == "--" and lines["loss"].get_linestyle() == "-"
    np.testing.assert_allclose(lines["val_accuracy"].get_ydata(), HISTORY["val_accuracy"])
    np.testing.assert_allclose(lines["loss"].get_xdata(), [1, 2, 3])
    assert ax.get_ylim() == (0.0, 1.0)
    assert ax.get_title() == "MLP" and ax.get_xlabel() == "epoch"
    assert any(gridline.get_visible() for gridline in ax.get_xgridlines())
    image = matplotlib.image.imread(tmp_path / "curves.png")
    assert image.shape[0] > 100 and image.shape[1] > 100 and image[..., :3].std() > 0.02


def test_learning_curves_range_widens_for_values_above_one_and_accepts_a_history_object(tmp_path):
    class History:
        history = {"loss": [3.5, 2.0], "val_loss": [4.0, 2.5], "lr": [0.01, 0.01]}

    fig = plotting.plot_learning_curves(History(), path=tmp_path / "curves.svg")
    low, high = fig.axes[0].get_ylim()
    assert low == 0.0 and high >= 4.0
    assert len(fig.axes[0].get_lines()) == 3
    text = (tmp_path / "curves.svg").read_text()
    assert "<svg" in text and "val_loss" in text


def test_show_images_grid_titles_and_misclassified_in_red(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    y = np.array([0, 1, 2, 0, 1, 2, 0])
    y_pred = np.array([0, 1, 1, 0, 1, 2, 0])
    fig = plotting.show_images(x, y, ["cat", "dog", "fox"], n_rows=2, n_cols=4, y_pred=y_pred, path=tmp_path / "s.png")
    assert len(fig.axes) == 8
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:3] == ["cat", "dog", "dog\n(fox)"] and titles[7] == ""
    assert fig.axes[2].title.get_color() != fig.axes[0].title.get_color()
    assert [len(ax.get_images()) for ax in fig.axes] == [1] * 7 + [0]
    np.testing.assert_array_equal(fig.axes[4].get_images()[0].get_array(), x[4])
    _assert_drawn(fig)
    assert matplotlib.image.imread(tmp_path / "s.png").std() > 0.02


def test_show_images_labels_without_names_and_colour_images():
    x = np.random.default_rng(1).random((3, 8, 8, 3))
    fig = plotting.show_images(x, [4, 5, 6], n_rows=1, n_cols=3)
    assert [ax.get_title() for ax in fig.axes] == ["4", "5", "6"]
    assert fig.axes[0].get_images()[0].get_array().shape == (8, 8, 3)


def test_confusion_matrix_counts_and_figure(tmp_path):
    y_true = [0, 0, 1, 1, 2, 2, 2]
    y_proba = np.eye(3)[[0, 1, 1, 1, 2, 0, 2]]
    matrix = plotting.confusion_matrix(y_true, y_proba, 3)
    np.testing.assert_array_equal(matrix, [[1, 1, 0], [0, 2, 0], [1, 0, 2]])
    fig = plotting.plot_confusion_matrix(y_true, y_proba, ["a", "b", "c"], path=tmp_path / "cm.png")
    ax = fig.axes[0]
    assert len(fig.axes) == 2  # the matrix and its colour bar
    assert ax.get_title() == "Confusion matrix (accuracy 0.714)"
    assert ax.get_xlabel() == "Predicted class" and ax.get_ylabel() == "True class"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert [t.get_text() for t in ax.texts] == ["1", "1", "0", "0", "2", "0", "1", "0", "2"]
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), matrix)
    _assert_drawn(fig)
    assert (tmp_path / "cm.png").stat().st_size > 1000


def test_confusion_matrix_normalized_rows():
    fig = plotting.plot_confusion_matrix([0, 0, 1, 1], [0, 1, 1, 1], normalize=True)
    assert [t.get_text() for t in fig.axes[0].texts] == ["0.50", "0.50", "0.00", "1.00"]


def test_plot_predictions_scatter_and_residual_panels(tmp_path):
    rng = np.random.default_rng(2)
    y_true = rng.random(50) * 5
    y_pred = (y_true + rng.normal(scale=0.3, size=50)).reshape(-1, 1)
    fig = plotting.plot_predictions(y_true, y_pred, path=tmp_path / "p.png")
    scatter, residuals = fig.axes
    assert scatter.get_title() == "Predicted vs true" and residuals.get_title() == "Residuals"
    np.testing.assert_allclose(scatter.collections[0].get_offsets()[:, 1], y_pred[:, 0])
    np.testing.assert_allclose(residuals.collections[0].get_offsets()[:, 1], y_true - y_pred[:, 0])
    assert len(scatter.get_lines()) == 1  # the line of perfect prediction
    assert "RMSE" in fig.get_suptitle() and "R²" in fig.get_suptitle()
    _assert_drawn(fig)
    fig = plotting.plot_predictions(y_true, y_pred, panels=("residuals", "histogram"))
    assert [ax.get_title() for ax in fig.axes] == ["Residuals", "Residual distribution"]
    assert sum(p.get_height() for p in fig.axes[1].patches) == 50


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: plotting.plot_learning_curves({}), "history is empty"),
        (lambda: plotting.plot_learning_curves({"loss": ["a"]}), r"history\['loss'\]"),
        (lambda: plotting.plot_learning_curves(HISTORY, path="curves.jpg"), "Received: path='curves.jpg'"),
        (lambda: plotting.show_images(np.zeros((2, 4, 4)), n_rows=0), "Received: n_rows=0"),
        (lambda: plotting.show_images(np.zeros((4, 4))), r"Received: x with shape \(4, 4\)"),
        (lambda: plotting.show_images(np.zeros((2, 4, 4)), [0, 5], ["a", "b"]), "y holds labels outside 0..1"),
        (lambda: plotting.plot_confusion_matrix([0, 1], [0]), "one label per example"),
        (lambda: plotting.confusion_matrix([0, 3], [0, 1], num_classes=2), "Received: num_classes=2"),
        (lambda: plotting.plot_predictions([1.0, 2.0], [1.0]), "same, non-zero number"),
        (lambda: plotting.plot_predictions([1.0], [1.0], panels=("pie",)), "Received: panels=\\('pie',\\)"),
    ],
)
def test_bad_input_names_the_argument(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_figures_are_off_pyplot():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plotting.plot_learning_curves(HISTORY)
    assert plt.get_fignums() == before
