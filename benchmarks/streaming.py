"""Training over a memory-mapped array larger than what one wants in memory (issue: streaming input).

Usage: python benchmarks/streaming.py [--rows 1200000] [--repeats 3] [--out streaming_figures.json]

Writes a `.npy` file of ROWS x 784 float32 values (1.2M rows: 3.8 GB) in a temporary folder,
then, each in its own process, trains the tutorial MLP (784-300-100-10, SGD, batch 256) for one
epoch (after a first, untimed one): (a) streamed from `np.load(path, mmap_mode="r")` (jeras reads each batch's rows with
`os.pread`), (b) the same model on an in-memory array of 200,000 rows. Reports the peak resident
memory of each process (`VmHWM`) and the training throughput in rows per second.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
FEATURES = 784


def _peak_rss_mib() -> float:
    """This process's peak resident memory (VmHWM: unlike `ru_maxrss`, not inherited across exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(mode: str, path: str, rows: int) -> dict:
    import numpy as np

    from jeras import keras

    if mode == "memmap":
        x = np.load(path, mmap_mode="r")
    else:
        x = np.random.default_rng(0).random((rows, FEATURES), dtype=np.float32)
    y = (np.arange(x.shape[0]) % 10).astype("int32")
    model = keras.Sequential(
        [
            keras.layers.Input(shape=(FEATURES,)),
            keras.layers.Dense(300, activation="relu"),
            keras.layers.Dense(100, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd")
    model.fit(x, y, batch_size=256, epochs=1, verbose=0)  # compiles (and reads the file once) outside the timing
    start = time.perf_counter()
    model.fit(x, y, batch_size=256, epochs=1, verbose=0)
    seconds = time.perf_counter() - start
    return {
        "rows": int(x.shape[0]),
        "data_mib": x.nbytes / 2**20,
        "seconds": seconds,
        "rows_per_second": x.shape[0] / seconds,
        "peak_rss_mib": _peak_rss_mib(),
        "path": model.compile_stats["path"],
        "reason": model.compile_stats["reason"],
    }


def _run(mode: str, path: str, rows: int) -> dict:
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "JERAS_COMPILATION_CACHE": "0"}
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, path, str(rows)], env=env, capture_output=True, text=True
    )
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-3:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _write(path: pathlib.Path, rows: int) -> None:
    import numpy as np

    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(rows, FEATURES))
    rng = np.random.default_rng(0)
    for start in range(0, rows, 50_000):
        stop = min(rows, start + 50_000)
        out[start:stop] = rng.random((stop - start, FEATURES), dtype=np.float32)
    out.flush()
    del out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_200_000)
    parser.add_argument("--memory-rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=pathlib.Path, default=HERE / "streaming_figures.json")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], int(args.child[2]))))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / "big.npy"
        _write(path, args.rows)
        raw = {
            "memmap": [_run("memmap", str(path), args.rows) for _ in range(args.repeats)],
            "in_memory": [_run("memory", "", args.memory_rows) for _ in range(args.repeats)],
        }
    print(f"## streaming a memory-mapped array (median of {args.repeats}, min-max)")
    for name, runs in raw.items():
        ok = [r for r in runs if "error" not in r]
        if not ok:
            print(f"- {name}: failed: {runs[0]['error']}")
            continue
        for key in ("peak_rss_mib", "rows_per_second"):
            values = [r[key] for r in ok]
            print(
                f"- {name}, {key}: {statistics.median(values):.0f} [{min(values):.0f}-{max(values):.0f}] "
                f"(data {ok[0]['data_mib']:.0f} MiB, {ok[0]['rows']} rows)"
            )
    args.out.write_text(json.dumps(raw, indent=2))


if __name__ == "__main__":
    main()
