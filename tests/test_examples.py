"""Every tutorial script in examples/ runs to the end, on one epoch and 200 rows of the real data."""

import importlib
import os
import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def _has_scikit_learn_wrappers() -> bool:
    from jeras import keras

    try:
        importlib.import_module("jeras.keras.wrappers")
    except ModuleNotFoundError:
        return hasattr(keras, "wrappers")
    return True


def _run(script: str, tmp_path: pathlib.Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "JAX_PLATFORMS": "cpu",
        "JERAS_EXAMPLE_EPOCHS": "1",
        "JERAS_EXAMPLE_ROWS": "200",
        "JERAS_EXAMPLE_SEARCH_ITER": "2",
        **env,
    }
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc


# script -> (lines it prints, files it writes into the current folder)
CASES = {
    "classification.py": (["test loss and accuracy:", "predicted:"], ["learning_curves.png", "predictions.png"]),
    "callbacks.py": (["val/train loss ratio", "test loss and accuracy of the best checkpoint:"], ["my_keras_model.h5"]),
    "regression.py": (["test MSE", "predicted:"], ["learning_curves.png", "predictions.png"]),
    "deep_network.py": (
        ["batch normalization: test accuracy", "SELU, 20 hidden layers: test accuracy", "dropout: test accuracy"],
        [],
    ),
    "wide_and_deep.py": (
        ["functional wide & deep, test MSE:", "multi-input wide & deep, test loss", "subclassed wide & deep"],
        [],
    ),
    "save_and_restore.py": (
        ["my_keras_model.h5: restored", "my_keras_model.keras: restored", "weights restored"],
        ["my_keras_model.h5", "my_keras_model.keras"],
    ),
}


@pytest.mark.parametrize("script", list(CASES))
def test_tutorial_script_runs(script, tmp_path):
    lines, files = CASES[script]
    out = _run(script, tmp_path).stdout
    for line in lines:
        assert line in out, f"{script} did not print {line!r}:\n{out[-2000:]}"
    for name in files:
        assert (tmp_path / name).is_file() and (tmp_path / name).stat().st_size > 0, name
    if script == "callbacks.py":
        assert any((tmp_path / "my_logs").rglob("events.out.tfevents.*"))


@pytest.mark.skipif(
    not _has_scikit_learn_wrappers(),
    reason="keras.wrappers.scikit_learn (KerasRegressor) is not in jeras yet: another engineer is writing it; "
    "this example runs unchanged once it lands",
)
def test_hyperparameter_search_script_runs(tmp_path):
    out = _run("hyperparameter_search.py", tmp_path).stdout
    assert "best parameters:" in out and "test MSE of the best model:" in out


def test_fashion_mnist_mlp_runs_offline_on_the_bundled_sample(tmp_path):
    empty = tmp_path / "no-data"
    empty.mkdir()
    proc = _run("fashion_mnist_mlp.py", tmp_path, str(empty), JERAS_OFFLINE="1")
    assert "test accuracy" in proc.stdout and "sample bundled with jeras" in proc.stderr
