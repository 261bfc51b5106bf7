"""The `jeras` command: run the tutorial workflows, show the set-up, run the benchmarks, rebuild reports.

    jeras run WORKFLOW [--data-dir D] [--epochs N] [--out DIR] [--seed S] [--max-rows N] [--download]
    jeras info
    jeras bench [--suites SUITE ...] [--repeats N] [--jobs JOB ...] [--epochs-mlp N] [--epochs-housing N]
                [--epochs-deep N] [--out DIR]
    jeras report RUN_DIR

Mistakes (an unknown workflow, a data folder without the data, an unwritable output folder, a bad
number) end with a message and a non-zero exit status, never a traceback: 2 for a bad command
line, 1 for anything else that stops a run.
"""

from __future__ import annotations

import argparse
import datetime
import pathlib
import subprocess
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

BENCH_DIR = pathlib.Path(__file__).resolve().parents[1] / "benchmarks"
BENCH_JOBS = ("mlp", "housing", "bn_deep", "wide_deep")
# suite -> (script in benchmarks/, what it measures); `jeras bench` runs them in this order.
BENCH_SUITES = {
    "epochs": ("run.py", "seconds per epoch of the tutorial models against every peer"),
    "whole-fit": (
        "whole_fit.py",
        "a new model's 100-epoch fit, repeated fit(epochs=1), fixed call cost, memory, cache",
    ),
    "search": ("search.py", "the tutorial's hyperparameter search through scikit-learn and jeras.tuning"),
    "sequences": ("sequences.py", "LSTM, GRU and a text model against Keras 3"),
    "convnet": ("convnet.py", "the Fashion-MNIST convnet and a ResNet-style block stack on CIFAR shapes"),
    "layers": ("layers.py", "forward and backward time of convolutions, pooling and BatchNormalization"),
}


class _Failure(Exception):
    """Stops a command with its message and exit status 1."""


def _counted(name: str, *, minimum: int):
    """An argparse type for an integer option at least `minimum`, whose error echoes the value."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            what = "a positive integer" if minimum == 1 else f"an integer of at least {minimum}"
            raise argparse.ArgumentTypeError(f"{name} must be {what}. Received: {name}={text}")
        return value

    parse.__name__ = name
    return parse


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `jeras` and its sub-commands."""
    from jeras import __version__

    parser = argparse.ArgumentParser(
        prog="jeras",
        description="jeras: the tf.keras API on JAX. Run the tutorial workflows, show the set-up, run the "
        "benchmarks, rebuild run reports.",
    )
    parser.add_argument("--version", action="version", version=f"jeras {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="train a tutorial workflow and write its run folder and report",
        description="Trains a tutorial workflow and writes a run folder under --out: metrics.json, history.csv, "
        "figures, the saved model, TensorBoard logs, summary.txt and a self-contained report.html. Workflows: "
        "classification, regression, deep, wide-deep, search, or all of them.",
    )
    run.add_argument("workflow", metavar="WORKFLOW", help="classification, regression, deep, wide-deep, search or all")
    run.add_argument(
        "--data-dir",
        type=pathlib.Path,
        default=None,
        help="the data folder, holding fashion_mnist/ and california_housing/ (default: $JERAS_DATA_DIR, else the "
        "shared data beside a source checkout, else ~/.jeras/datasets; without the sets there, the real sample "
        "bundled with jeras is used). A folder named here must hold the data.",
    )
    run.add_argument(
        "--epochs", type=_counted("epochs", minimum=1), default=None, help="most epochs (default: per workflow)"
    )
    run.add_argument(
        "--out", type=pathlib.Path, default=pathlib.Path("runs"), help="where run folders go (default: runs)"
    )
    run.add_argument("--seed", type=_counted("seed", minimum=0), default=42, help="random seed (default: 42)")
    run.add_argument(
        "--max-rows",
        type=_counted("max_rows", minimum=1),
        default=None,
        help="use at most this many examples of each split, for a quick trial (default: all)",
    )
    run.add_argument("--download", action="store_true", help="download missing data sets from their official sources")
    run.set_defaults(handler=_run, parser=run)

    info = commands.add_parser(
        "info",
        help="print versions, devices, the data folder and the data sets present",
        description="Prints the versions of jeras and its libraries, the JAX devices, the data folder and which "
        "data sets are in it.",
    )
    info.add_argument("--data-dir", type=pathlib.Path, default=None, help="the data folder to inspect")
    info.set_defaults(handler=_info, parser=info)

    bench = commands.add_parser(
        "bench",
        help="run the benchmarks against the peer engines and write their table",
        description="Runs the benchmark suites of the source checkout's benchmarks/ folder (jeras against a JAX "
        "scan loop, Keras 3 and, when installed, PyTorch and tf.keras), prints their tables and writes them to --out "
        "as benchmarks-<time>.md, with each suite's raw figures as benchmarks-<time>-<suite>.json. Suites: "
        + "; ".join(f"{name}: {what}" for name, (_, what) in BENCH_SUITES.items())
        + ".",
    )
    bench.add_argument(
        "--suites", nargs="+", choices=list(BENCH_SUITES), default=None, help="suites to run (default: all)"
    )
    bench.add_argument(
        "--repeats",
        type=_counted("repeats", minimum=1),
        default=None,
        help="runs per figure (whole-fit, search, convnet, layers)",
    )
    bench.add_argument("--jobs", nargs="+", choices=BENCH_JOBS, default=None, help="epochs suite: jobs to run")
    bench.add_argument("--epochs-mlp", type=_counted("epochs_mlp", minimum=1), default=None)
    bench.add_argument("--epochs-housing", type=_counted("epochs_housing", minimum=1), default=None)
    bench.add_argument("--epochs-deep", type=_counted("epochs_deep", minimum=1), default=None)
    bench.add_argument("--out", type=pathlib.Path, default=pathlib.Path("runs"), help="output folder (default: runs)")
    bench.set_defaults(handler=_bench, parser=bench)

    report = commands.add_parser(
        "report",
        help="rebuild the report.html of a run folder",
        description="Rebuilds report.html of a run folder from its metrics.json, summary.txt and figures.",
    )
    report.add_argument("run_dir", metavar="RUN_DIR", type=pathlib.Path, help="a folder written by `jeras run`")
    report.set_defaults(handler=_report, parser=report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the `jeras` command line.

    Args:
        argv: the arguments after the program name. Default None: `sys.argv[1:]`.

    Returns:
        The exit status: 0 on success, 2 for a bad command line, 1 when a command cannot finish.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.handler(args)
    except _Failure as err:
        print(f"jeras {args.command}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"jeras {args.command}: interrupted", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace) -> int:
    from jeras.workflows import (
        WORKFLOWS,
        RunDisplay,
        RunSettings,
        WorkflowError,
        check_output_folder,
        present_datasets,
        resolve_data_folder,
        run_workflow,
    )
    from jeras.workflows.data import missing_message

    name = args.workflow
    if name != "all" and name not in WORKFLOWS:
        args.parser.error(
            f"unknown workflow {name!r}: choose one of {', '.join(WORKFLOWS)} or all. Received: workflow={name!r}"
        )
    workflows = list(WORKFLOWS.values()) if name == "all" else [WORKFLOWS[name]]
    settings = RunSettings(
        out=args.out,
        data_dir=args.data_dir,
        epochs=args.epochs,
        seed=args.seed,
        max_rows=args.max_rows,
        download=args.download,
    )
    console = Console(stderr=True)
    skipped = []
    runnable = []
    for workflow in workflows:
        reason = workflow.unavailable()
        if reason and name != "all":
            raise _Failure(reason)
        if reason:
            skipped.append((workflow.name, reason))
        else:
            runnable.append(workflow)
    try:
        check_output_folder(settings.out)
    except WorkflowError as err:
        raise _Failure(str(err)) from None
    folder = resolve_data_folder(settings.data_dir)
    if folder.explicit and not settings.download:
        present = present_datasets(folder.path)
        for workflow in runnable:
            if not present.get(workflow.dataset, False):
                raise _Failure(missing_message(workflow.dataset, folder.path))
    console.print(f"Data folder: {folder.path} ({folder.reason})", highlight=False, soft_wrap=True)
    for workflow_name, reason in skipped:
        console.print(f"[yellow]{workflow_name}: skipped.[/yellow] {reason}", highlight=False, soft_wrap=True)
    done = []
    try:
        with RunDisplay(console) as display:
            for workflow in runnable:
                done.append((workflow, run_workflow(workflow, settings, display)))
    except WorkflowError as err:
        raise _Failure(str(err)) from None
    _print_runs(done, skipped)
    return 0


def _print_runs(done: list, skipped: list) -> None:
    import json

    from jeras.workflows import METRICS_FILE

    console = Console(soft_wrap=True)
    table = Table(title="jeras run")
    for column in ("workflow", "data", "epochs", "test metrics", "wall (s)"):
        table.add_column(column)
    for workflow, folder in done:
        record = json.loads((folder / METRICS_FILE).read_text())
        metrics = ", ".join(f"{k} {v:.4g}" for k, v in record.get("test", {}).items() if not k.endswith("output_loss"))
        data = record.get("data", {})
        train = data.get("sizes", {}).get("train", 0)
        table.add_row(
            workflow.name,
            f"{data.get('origin', '')}, {train:,} train",
            str(record.get("epochs_run", "")),
            metrics,
            f"{record['timing']['wall_seconds']:.1f}",
        )
    for workflow_name, _ in skipped:
        table.add_row(workflow_name, "skipped", "", "not available in this installation", "")
    console.print(table)
    for workflow, folder in done:
        console.print(f"{workflow.name} report: {folder / 'report.html'}", highlight=False)


def _info(args: argparse.Namespace) -> int:
    from jeras.datasets.cache import OFFLINE_ENV, SAMPLE_DIR, is_offline
    from jeras.workflows import WORKFLOWS, present_datasets, resolve_data_folder
    from jeras.workflows.data import DATASETS, where_to_put
    from jeras.workflows.environment import devices, versions

    console = Console(soft_wrap=True)
    table = Table(title="jeras and its libraries")
    table.add_column("package")
    table.add_column("version")
    for package, version in versions().items():
        table.add_row(package, version)
    console.print(table)
    console.print(f"Devices: {', '.join(devices())}", highlight=False)
    folder = resolve_data_folder(args.data_dir)
    console.print(
        f"Data folder: {folder.path} (chosen by {folder.reason}; {'exists' if folder.path.is_dir() else 'missing'})",
        highlight=False,
    )
    console.print(
        f"Downloads: {'off' if is_offline() else 'allowed'} (${OFFLINE_ENV}); `jeras run` downloads only with --download"
    )
    present = present_datasets(folder.path)
    table = Table(title="Data sets the workflows read")
    for column in ("data set", "in the data folder", "used by"):
        table.add_column(column)
    for dataset, spec in DATASETS.items():
        users = ", ".join(w.name for w in WORKFLOWS.values() if w.dataset == dataset)
        table.add_row(spec["title"], "present" if present[dataset] else "missing: the bundled sample is used", users)
    console.print(table)
    console.print(f"Bundled samples: {SAMPLE_DIR}", highlight=False)
    for dataset, found in present.items():
        if not found:
            console.print(f"To add {DATASETS[dataset]['title']}: {where_to_put(dataset, folder.path)}", highlight=False)
    return 0


def _bench(args: argparse.Namespace) -> int:
    suites = args.suites or list(BENCH_SUITES)
    missing = [
        BENCH_DIR / BENCH_SUITES[name][0] for name in suites if not (BENCH_DIR / BENCH_SUITES[name][0]).is_file()
    ]
    if missing:
        raise _Failure(
            f"jeras bench runs the scripts in benchmarks/ of a source checkout of jeras, and there is none beside "
            f"this installation (looked for {missing[0]}). Clone the repository and install it with `pip install -e .`."
        )
    from jeras.workflows import WorkflowError, check_output_folder

    try:
        out = check_output_folder(args.out)
    except WorkflowError as err:
        raise _Failure(str(err)) from None
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    table_path = out / f"benchmarks-{stamp}.md"
    sections = []
    for name in suites:
        json_path = out / f"benchmarks-{stamp}-{name}.json"
        command = [sys.executable, str(BENCH_DIR / BENCH_SUITES[name][0]), "--out", str(json_path)]
        command += _bench_args(args, name)
        print(f"Running the {name} suite:", " ".join(command), flush=True)
        lines = []
        with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
            for line in process.stdout or ():
                print(line, end="", flush=True)
                lines.append(line)
        if process.returncode != 0:
            raise _Failure(f"the {name} suite stopped with exit status {process.returncode}; see the output above")
        sections.append(f"# {name}: {BENCH_SUITES[name][1]}\n\n" + "".join(lines))
    reproduce = " ".join(["jeras bench", *_bench_words(args)])
    header = f"# jeras benchmarks, {stamp}\n\nReproduce with: `{reproduce}`\n\n"
    table_path.write_text(header + "\n".join(sections), encoding="utf-8")
    print(f"Tables written to {table_path}, raw figures to {out / f'benchmarks-{stamp}-*.json'}")
    return 0


def _bench_args(args: argparse.Namespace, suite: str) -> list[str]:
    """The options of `jeras bench` that the suite's script takes, in its own spelling."""
    words = []
    if suite == "epochs":
        if args.jobs:
            words += ["--jobs", *args.jobs]
        for option in ("epochs_mlp", "epochs_housing", "epochs_deep"):
            if getattr(args, option) is not None:
                words += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
    elif suite in ("whole-fit", "search", "convnet", "layers") and args.repeats is not None:
        words += ["--repeats", str(args.repeats)]
    return words


def _bench_words(args: argparse.Namespace) -> list[str]:
    """The `jeras bench` command line that reproduces this run."""
    words = ["--suites", *args.suites] if args.suites else []
    if args.repeats is not None:
        words += ["--repeats", str(args.repeats)]
    return words + _bench_args(args, "epochs")


def _report(args: argparse.Namespace) -> int:
    from jeras.report import build_report

    try:
        path = build_report(args.run_dir)
    except (FileNotFoundError, ValueError) as err:
        raise _Failure(str(err)) from None
    print(f"Report written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
