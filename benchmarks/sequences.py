"""Sequence-model benchmark: jeras against Keras 3 (JAX backend) and PyTorch (CPU) in one run.

    .venv/bin/python benchmarks/sequences.py [--sequences 3000] [--epochs 4] [--out seq.json]

Jobs (batch 32, 10,000-word vocabulary, sequences of 200 steps, Adam, binary labels):

- `lstm`: Embedding(10000, 32) -> LSTM(64) -> Dense(1, sigmoid).
- `gru`: Embedding(10000, 32) -> GRU(64) -> Dense(1, sigmoid).
- `text_bag`: raw strings -> TextVectorization(10000, output_sequence_length=200) ->
  Embedding(10000, 16) -> GlobalAveragePooling1D -> Dense(1, sigmoid); the time covers the
  host-side vectorization of the strings plus the epoch.

Each engine runs in its own process. A figure is the median of the epochs after the first
(which includes compilation) with their min-max; PyTorch runs only when `torch` is installed
(`pip install torch==2.13.0` into the venv; not a project dependency). Target: jeras <= 0.75x Keras 3.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

VOCAB, STEPS, BATCH = 10_000, 200, 32


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Integer sequences whose label depends on the share of low word indices, and the same as strings."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, VOCAB, (n, STEPS))
    y = (np.mean(x < VOCAB // 2, axis=1) > 0.5).astype(np.float32)
    texts = [" ".join(f"w{i}" for i in row) for row in x[:, :50]]
    return x, y, texts


def _keras_like(lib, job: str, x, y, texts, epochs: int) -> list[float]:
    layers = lib.layers
    if job == "text_bag":
        vectorize = layers.TextVectorization(max_tokens=VOCAB, output_sequence_length=STEPS)
        vectorize.adapt(texts)
        body = [layers.Embedding(VOCAB, 16), layers.GlobalAveragePooling1D()]
    else:
        body = [layers.Embedding(VOCAB, 32), (layers.LSTM if job == "lstm" else layers.GRU)(64)]
    model = lib.Sequential([lib.Input((STEPS,), dtype="int32"), *body, layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        inputs = np.asarray(vectorize(texts)) if job == "text_bag" else x
        model.fit(inputs, y, batch_size=BATCH, epochs=1, verbose=0)
        times.append(time.perf_counter() - start)
    return times


def _torch(job: str, x, y, texts, epochs: int) -> list[float]:
    import torch

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(VOCAB, 16 if job == "text_bag" else 32)
            self.rnn = (
                None
                if job == "text_bag"
                else (torch.nn.LSTM if job == "lstm" else torch.nn.GRU)(32, 64, batch_first=True)
            )
            self.out = torch.nn.Linear(16 if job == "text_bag" else 64, 1)

        def forward(self, ids):
            h = self.embed(ids)
            h = h.mean(dim=1) if self.rnn is None else self.rnn(h)[0][:, -1]
            return torch.sigmoid(self.out(h)).squeeze(-1)

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = torch.nn.BCELoss()
    vocab: dict[str, int] = {}
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        if job == "text_bag":
            ids = np.zeros((len(texts), STEPS), np.int64)
            for i, text in enumerate(texts):
                tokens = [vocab.setdefault(t, len(vocab) + 2) % VOCAB for t in text.lower().split()][:STEPS]
                ids[i, : len(tokens)] = tokens
        else:
            ids = x
        data, labels = torch.as_tensor(ids), torch.as_tensor(y)
        order = torch.randperm(len(data))
        for i in range(0, len(data), BATCH):
            rows = order[i : i + BATCH]
            opt.zero_grad()
            loss = loss_fn(net(data[rows]), labels[rows])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - start)
    return times


def worker(engine: str, job: str, n: int, epochs: int) -> None:
    x, y, texts = make_data(n)
    if engine == "jeras":
        from jeras import keras as lib

        times = _keras_like(lib, job, x, y, texts, epochs)
    elif engine == "keras_jax":
        import keras as lib

        times = _keras_like(lib, job, x, y, texts, epochs)
    else:
        times = _torch(job, x, y, texts, epochs)
    print(json.dumps({"engine": engine, "job": job, "times": times}))


def _run(engine: str, job: str, n: int, epochs: int) -> dict | None:
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS=os.environ.get("JAX_PLATFORMS", "cpu"))
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", engine, job, str(n), str(epochs)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode or not lines:
        print(f"{engine}/{job} failed: {proc.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sequences", type=int, default=3000)
    parser.add_argument("--epochs", type=int, default=4, help="epochs per engine; the first (compile) is not counted")
    parser.add_argument("--jobs", nargs="*", default=["lstm", "gru", "text_bag"])
    parser.add_argument("--out", default=None)
    parser.add_argument("--worker", nargs=4, metavar=("ENGINE", "JOB", "N", "EPOCHS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        engine, job, n, epochs = args.worker
        worker(engine, job, int(n), int(epochs))
        return
    try:
        import torch  # noqa: F401

        engines = ["jeras", "keras_jax", "torch"]
    except ImportError:
        engines = ["jeras", "keras_jax"]
    results = []
    for job in args.jobs:
        row = {}
        for engine in engines:
            out = _run(engine, job, args.sequences, args.epochs)
            if out is None:
                continue
            steady = out["times"][1:] or out["times"]
            row[engine] = {
                "median": float(np.median(steady)),
                "min": min(steady),
                "max": max(steady),
                "first": out["times"][0],
            }
        results.append({"job": job, **row})
        line = ", ".join(
            f"{e} {r['median']:.2f}s [{r['min']:.2f}-{r['max']:.2f}] (first {r['first']:.1f}s)" for e, r in row.items()
        )
        ratio = (
            row["jeras"]["median"] / row["keras_jax"]["median"] if {"jeras", "keras_jax"} <= set(row) else float("nan")
        )
        print(f"{job}: {line}; jeras/keras3 = {ratio:.2f}x (target <= 0.75x)")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
