"""Side-by-side timing of jeras against its peers, in one run on one machine.

Usage: python benchmarks/run.py [--epochs-mlp N] [--epochs-housing N] [--out FILE.json]

Each engine runs in its own process (so peak memory is its own): jeras (benchmarks/workloads.py)
and the peer scripts of ../shared/bench: a hand-written JAX scan loop, Keras 3 on JAX, and
PyTorch and tf.keras when they are installed. For each job it prints the steady-state seconds
per epoch (median of the epochs after the first), the first epoch (which includes
compilation), peak RSS, and jeras' ratio to each peer. Absolute times drift between runs and
machines: read the ratios, which come from the same run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import pathlib
import statistics
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
BENCH = HERE.parent.parent / "shared" / "bench"
# job -> (title, peer script in ../shared/bench, or None: Keras 3 runs our own workload script)
JOBS = {
    "mlp": ("MLP 784-300-100-10, 55,000 rows", "anchor_mlp.py"),
    "housing": ("MLP 8-30-1, 11,610 rows", "anchor_reg.py"),
    "bn_deep": ("BatchNormalization deep net 784-BN-300-BN-100-BN-10, 55,000 rows", None),
    "wide_deep": ("Wide & deep, two inputs (5, 6) and two outputs, 11,610 rows", None),
}
TARGETS = {
    ("mlp", "keras_jax"): 0.75,
    ("mlp", "jax_scan"): 1.2,
    ("housing", "keras_jax"): 0.10,
    ("bn_deep", "keras_jax"): 0.75,
    ("wide_deep", "keras_jax"): 0.75,
}

# Runs a peer script as __main__ and then reports this process's peak RSS.
_WRAPPER = (
    "import resource, runpy, sys; script = sys.argv[1]; sys.argv = sys.argv[1:]; "
    "runpy.run_path(script, run_name='__main__'); "
    "print(f'peak_rss_mib {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}')"
)


def available_peers() -> list[str]:
    peers = ["jax_scan", "keras_jax"]
    if importlib.util.find_spec("torch") is not None:
        peers.append("torch")
    if importlib.util.find_spec("tensorflow") is not None:
        peers.append("tfkeras")
    return peers


def run_process(args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:]}
    result: dict = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] in ("peak_rss_mib", "compile_seconds"):
            result[parts[0]] = float(parts[1])
        elif len(parts) > 1 and all(_is_number(p) for p in parts[1:]):
            times = [float(p) for p in parts[1:]]
            result["first_epoch"] = times[0]
            result["epoch"] = statistics.median(times[1:]) if len(times) > 1 else times[0]
            result["epochs"] = times
    return result


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def measure(job: str, epochs: int, peers: list[str]) -> dict[str, dict]:
    workloads = str(HERE / "workloads.py")
    results = {"jeras": run_process([workloads, job, str(epochs)])}
    if JOBS[job][1] is None:
        results["keras_jax"] = run_process([workloads, job, str(epochs), "keras_jax"])
        return results
    script = BENCH / JOBS[job][1]
    for peer in peers:
        results[peer] = run_process(["-c", _WRAPPER, str(script), peer, str(epochs)])
    return results


def report(job: str, results: dict[str, dict]) -> list[str]:
    lines = [
        f"## {JOBS[job][0]} (batch 32)",
        "",
        "| engine | s/epoch (steady) | first epoch (s) | peak RSS (MiB) | jeras / engine |",
        "| --- | --- | --- | --- | --- |",
    ]
    ours = results["jeras"].get("epoch")
    for name, r in results.items():
        if "error" in r:
            lines.append(f"| {name} | failed: {' '.join(r['error'])} | | | |")
            continue
        ratio = "" if name == "jeras" or not ours else f"{ours / r['epoch']:.3f}"
        target = TARGETS.get((job, name))
        if ratio and target is not None:
            ratio += f" (target <= {target}: {'met' if ours / r['epoch'] <= target else 'MISSED'})"
        lines.append(
            f"| {name} | {r['epoch']:.4f} | {r['first_epoch']:.3f} | {r.get('peak_rss_mib', float('nan')):.0f} | {ratio} |"
        )
    if "compile_seconds" in results["jeras"]:
        lines.append("")
        lines.append(
            f"jeras compile time (trace + lower + XLA, measured by jeras): {results['jeras']['compile_seconds']:.3f} s"
        )
    return lines + [""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs-mlp", type=int, default=5)
    parser.add_argument("--epochs-housing", type=int, default=10)
    parser.add_argument("--epochs-deep", type=int, default=4, help="epochs of bn_deep and wide_deep")
    parser.add_argument("--jobs", nargs="*", default=list(JOBS), choices=list(JOBS))
    parser.add_argument("--out", type=pathlib.Path, default=None, help="also write the raw figures as JSON")
    args = parser.parse_args()
    if not BENCH.is_dir():
        raise SystemExit(f"The peer scripts are missing: expected them in {BENCH}")
    peers = available_peers()
    epochs = {
        "mlp": args.epochs_mlp,
        "housing": args.epochs_housing,
        "bn_deep": args.epochs_deep,
        "wide_deep": args.epochs_deep * 2,
    }
    raw = {}
    for job in args.jobs:
        raw[job] = measure(job, epochs[job], peers)
        print("\n".join(report(job, raw[job])), flush=True)
    if args.out:
        args.out.write_text(json.dumps(raw, indent=2))


if __name__ == "__main__":
    main()
