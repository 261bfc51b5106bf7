"""The `jeras` command end to end: every workflow on small data, the run folder, info, bench, report, errors."""

import csv
import io
import json
import os
import pathlib
import re
import subprocess
import sys
import types

import numpy as np
import pytest

from jeras import cli

SCRIPT = pathlib.Path(sys.executable).parent / "jeras"
RUN_FILES = {"metrics.json", "history.csv", "learning_curves.png", "summary.txt", "report.html", "model.keras"}
FIGURES = {
    "classification": {"learning_curves.png", "samples.png", "confusion_matrix.png"},
    "deep": {"learning_curves.png", "samples.png", "confusion_matrix.png"},
    "regression": {"learning_curves.png", "predictions.png", "residuals.png"},
    "wide-deep": {"learning_curves.png", "predictions.png", "residuals.png"},
}


def _folders(out: pathlib.Path) -> dict[str, pathlib.Path]:
    return {p.name.rsplit("-", 2)[0]: p for p in sorted(out.iterdir()) if p.is_dir()}


@pytest.fixture(scope="module")
def run_all(tmp_path_factory):
    """`jeras run all` through the installed console script, one epoch on 120 rows of the bundled samples."""
    out = tmp_path_factory.mktemp("runs")
    empty = tmp_path_factory.mktemp("no-data")
    env = {**os.environ, "JERAS_DATA_DIR": str(empty), "JAX_PLATFORMS": "cpu"}
    command = [str(SCRIPT), "run", "all", "--epochs", "1", "--max-rows", "120", "--out", str(out), "--seed", "3"]
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    return proc, out


def test_console_script_is_installed_and_has_help():
    assert SCRIPT.is_file(), f"the console script is missing: reinstall with pip install -e . (looked for {SCRIPT})"
    proc = subprocess.run([str(SCRIPT), "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0
    for command in ("run", "info", "bench", "report"):
        assert command in proc.stdout


@pytest.mark.parametrize("command", [["run"], ["info"], ["bench"], ["report"]])
def test_help_of_every_command(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([*command, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: jeras {command[0]}" in capsys.readouterr().out


def test_run_all_writes_a_run_folder_per_workflow_search_included(run_all):
    proc, out = run_all
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert "search: done" in proc.stderr
    folders = _folders(out)
    assert set(folders) == set(FIGURES) | {"search"}
    search = folders.pop("search")
    assert {"report.html", "metrics.json", "model.keras"} <= {p.name for p in search.iterdir()}
    for name, folder in folders.items():
        files = {p.name for p in folder.iterdir()}
        assert RUN_FILES | FIGURES[name] <= files, (name, files)
        assert any((folder / "logs" / "train").glob("events.out.tfevents.*"))
        record = json.loads((folder / "metrics.json").read_text())
        assert record["workflow"] == name and record["epochs_run"] == 1
        assert record["data"]["origin"] == "bundled sample" and record["data"]["sizes"]["train"] == 120
        assert record["timing"]["compile_seconds"] >= 0 and record["timing"]["wall_seconds"] > 0
        assert record["environment"]["devices"] and record["environment"]["versions"]["jeras"]
        assert all(np.isfinite(v) for v in record["test"].values())
        assert {f["file"] for f in record["figures"]} == FIGURES[name]
        rows = list(csv.reader((folder / "history.csv").open()))
        assert rows[0][0] == "epoch" and "val_loss" in rows[0] and len(rows) == 2
        assert f"{name} report: {folder / 'report.html'}" in proc.stdout
    assert "accuracy" in json.loads((folders["classification"] / "metrics.json").read_text())["test"]
    assert "r2" in json.loads((folders["wide-deep"] / "metrics.json").read_text())["test"]
    assert (folders["classification"] / "checkpoint.keras").is_file()


def test_saved_model_of_a_run_loads_and_predicts(run_all):
    from jeras import keras

    _, out = run_all
    model = keras.models.load_model(_folders(out)["wide-deep"] / "model.keras")
    main, aux = model.predict([np.zeros((2, 5), "float32"), np.zeros((2, 6), "float32")], verbose=0)
    assert main.shape == aux.shape == (2, 1)


def test_report_rebuilds_from_the_run_folder(run_all, capsys):
    _, out = run_all
    folder = _folders(out)["regression"]
    (folder / "report.html").unlink()
    assert cli.main(["report", str(folder)]) == 0
    page = (folder / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 3 and "bundled sample" in page
    assert "Report written to" in capsys.readouterr().out


def test_run_one_workflow_on_the_data_folder(tmp_path, capsys):
    shared = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
    argv = [
        "run",
        "regression",
        "--data-dir",
        str(shared),
        "--epochs",
        "1",
        "--max-rows",
        "100",
        "--out",
        str(tmp_path),
    ]
    assert cli.main(argv) == 0
    (folder,) = tmp_path.iterdir()
    record = json.loads((folder / "metrics.json").read_text())
    assert record["data"]["origin"] == "data folder"
    assert record["data"]["available"]["train"] > 10_000  # the real 20,640 districts, not the sample
    assert record["settings"]["data_folder_reason"] == "--data-dir"


@pytest.mark.parametrize(
    ("argv", "status", "message"),
    [
        (["run", "imagenet"], 2, "unknown workflow 'imagenet'.*Received: workflow='imagenet'"),
        (["run", "regression", "--epochs", "-3"], 2, "Received: epochs=-3"),
        (["run", "regression", "--max-rows", "zero"], 2, "Received: max_rows=zero"),
        (["run", "regression", "--seed", "-1"], 2, "Received: seed=-1"),
        (["report", "/nonexistent/run"], 1, "not a jeras run folder.*metrics.json"),
    ],
)
def test_bad_command_lines_give_a_message_not_a_traceback(argv, status, message, capsys):
    try:
        code = cli.main(argv)
    except SystemExit as exit_info:
        code = exit_info.code
    err = capsys.readouterr().err
    assert code == status
    assert "Traceback" not in err
    assert re.search(message, err, re.DOTALL), err


def test_data_folder_without_the_data_says_which_files_go_where(tmp_path, capsys):
    (tmp_path / "fashion_mnist").mkdir()
    code = cli.main(["run", "classification", "--data-dir", str(tmp_path), "--out", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "train-images-idx3-ubyte.gz" in err and "t10k-labels-idx1-ubyte.gz" in err
    assert str(tmp_path / "fashion_mnist") in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_unwritable_output_folder(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code = cli.main(["run", "regression", "--out", str(blocker / "runs")])
    err = capsys.readouterr().err
    assert code == 1 and "output folder cannot be written" in err and f"Received: out='{blocker / 'runs'}'" in err


def test_info_lists_versions_devices_and_data_sets(tmp_path, capsys):
    (tmp_path / "california_housing").mkdir()
    (tmp_path / "california_housing" / "housing.csv").write_text("longitude\n")
    assert cli.main(["info", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "jeras" in out and "jax" in out and "Devices: cpu" in out
    assert str(tmp_path) in out
    assert "Fashion-MNIST" in out and "missing" in out and "present" in out
    assert f"{tmp_path / 'fashion_mnist'}" in out


def test_bench_runs_the_benchmark_script_and_writes_its_table(tmp_path, monkeypatch, capsys):
    bench = tmp_path / "benchmarks"
    bench.mkdir()
    for name, (script, _) in cli.BENCH_SUITES.items():
        (bench / script).write_text(
            "import pathlib, sys\n"
            "args = sys.argv[1:]\n"
            f"print('## {name} table')\nprint('| engine | s |')\nprint('| jeras | 0.5 |')\n"
            "pathlib.Path(args[args.index('--out') + 1]).write_text('{}')\n"
            "print('args', ' '.join(args))\n"
        )
    monkeypatch.setattr(cli, "BENCH_DIR", bench)
    argv = ["bench", "--suites", "epochs", "search", "--repeats", "2", "--jobs", "mlp", "--epochs-mlp", "2"]
    assert cli.main([*argv, "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    # Each suite gets only its own options: the epochs suite the jobs and epochs, search the repeats.
    assert "## epochs table" in out and "## search table" in out and "## whole-fit table" not in out
    epochs_args, search_args = [line for line in out.splitlines() if line.startswith("args ")]
    assert "--jobs mlp" in epochs_args and "--epochs-mlp 2" in epochs_args and "--repeats" not in epochs_args
    assert "--repeats 2" in search_args and "--jobs" not in search_args
    (table,) = (tmp_path / "out").glob("benchmarks-*.md")
    text = table.read_text()
    assert text.count("| jeras | 0.5 |") == 2 and "# search:" in text
    assert "jeras bench --suites epochs search --repeats 2 --jobs mlp --epochs-mlp 2" in text
    assert len(list((tmp_path / "out").glob("benchmarks-*-*.json"))) == 2
    # Every suite by default.
    assert cli.main(["bench", "--out", str(tmp_path / "all")]) == 0
    out = capsys.readouterr().out
    assert all(f"## {name} table" in out for name in cli.BENCH_SUITES)
    assert len(list((tmp_path / "all").glob("benchmarks-*-*.json"))) == len(cli.BENCH_SUITES)
    (bench / "search.py").unlink()
    assert cli.main(["bench"]) == 1
    assert "source checkout" in capsys.readouterr().err


def test_search_workflow_runs_through_jeras_tuning_when_it_exists(tmp_path, monkeypatch):
    """Until jeras.tuning lands, stand-ins of the tutorial's API (KerasRegressor, RandomizedSearchCV) drive the workflow."""
    from rich.console import Console

    import jeras
    from jeras import keras
    from jeras.workflows import WORKFLOWS, RunDisplay, RunSettings, run_workflow

    class KerasRegressor:
        def __init__(self, build_fn, **params):
            self.build_fn, self.params = build_fn, params

        def fit(self, x, y, **kwargs):
            self.model = self.build_fn(**self.params)
            self.model.fit(x, y, **kwargs)
            return self

    class RandomizedSearchCV:
        def __init__(self, estimator, distributions, n_iter, cv, random_state):
            self.estimator, self.distributions = estimator, distributions

        def fit(self, x, y, **kwargs):
            candidates = [
                {"n_hidden": 1, "n_neurons": 4, "learning_rate": 1e-3},
                {"n_hidden": 0, "learning_rate": 1e-2},
            ]
            scores = []
            for params in candidates:
                model = KerasRegressor(self.estimator.build_fn, **params).fit(x, y, **kwargs).model
                scores.append(-model.evaluate(x, y, verbose=0))
            best = int(np.argmax(scores))
            ranks = [1 if i == best else 2 for i in range(len(candidates))]
            self.cv_results_ = {"params": candidates, "mean_test_score": scores, "rank_test_score": ranks}
            self.best_params_, self.best_score_ = candidates[best], scores[best]
            self.best_estimator_ = KerasRegressor(self.estimator.build_fn, **candidates[best]).fit(x, y, **kwargs)
            return self

    scikit_learn = types.SimpleNamespace(KerasRegressor=KerasRegressor)
    monkeypatch.setitem(sys.modules, "jeras.tuning", types.SimpleNamespace(RandomizedSearchCV=RandomizedSearchCV))
    monkeypatch.setattr(jeras, "tuning", sys.modules["jeras.tuning"], raising=False)
    monkeypatch.setattr(keras, "wrappers", types.SimpleNamespace(scikit_learn=scikit_learn), raising=False)
    monkeypatch.setitem(sys.modules, "jeras.keras.wrappers", keras.wrappers)
    assert WORKFLOWS["search"].unavailable() is None
    settings = RunSettings(out=tmp_path, epochs=1, max_rows=80)
    with RunDisplay(Console(file=io.StringIO())) as display:
        folder = run_workflow(WORKFLOWS["search"], settings, display)
    record = json.loads((folder / "metrics.json").read_text())
    assert len(record["search"]["candidates"]) == 2 and record["search"]["best_params"]
    assert {"predictions.png", "residuals.png", "learning_curves.png", "model.keras"} <= {
        p.name for p in folder.iterdir()
    }
    assert "Search" in (folder / "report.html").read_text()
