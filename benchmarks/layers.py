"""Layer by layer: forward and backward time of convolutions, pooling and BatchNormalization.

Usage: KERAS_BACKEND=jax python benchmarks/layers.py [--repeats 3] [--cases conv2d_32 ...] [--out FILE.json]

For each layer at a shape the tutorials use, the same layer is built in jeras and in Keras 3
(JAX backend) with the same weights, and three jitted functions of (weights, inputs) are timed
on the CPU, median of many calls after a warm-up:

- forward: the layer's output in training mode;
- backward: the gradient of `sum(output * g)` (a fixed cotangent g) with respect to the weights
  and the inputs, forward included, as a training step computes it;
- in a loop (jeras only): the backward function inside a `lax.scan` over 8 batches, per batch,
  which is how jeras' compiled epochs run it (XLA:CPU treats loop bodies differently;
  benchmarks/README.md, "Convolutions inside the compiled loop").

Each figure is the median over `--repeats` runs with min-max; ratios are jeras / Keras 3.
Issue 11's point 2 asks for jeras' layers to be at least as fast as Keras 3's (ratio <= 1).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("JERAS_COMPILATION_CACHE", "0")

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

# name: (layer class, constructor arguments, input shape with the batch axis)
CASES = {
    "conv2d_32": ("Conv2D", {"filters": 32, "kernel_size": 3, "activation": "relu"}, (128, 28, 28, 1)),
    "conv2d_64": ("Conv2D", {"filters": 64, "kernel_size": 3, "activation": "relu"}, (128, 13, 13, 32)),
    "conv2d_same": ("Conv2D", {"filters": 32, "kernel_size": 3, "padding": "same"}, (64, 32, 32, 32)),
    "conv1d": ("Conv1D", {"filters": 64, "kernel_size": 3, "activation": "relu"}, (64, 100, 32)),
    "conv3d": ("Conv3D", {"filters": 16, "kernel_size": 3}, (16, 16, 16, 16, 8)),
    "maxpool2d": ("MaxPooling2D", {"pool_size": 2}, (128, 26, 26, 32)),
    "avgpool2d": ("AveragePooling2D", {"pool_size": 2}, (128, 26, 26, 32)),
    "batchnorm_dense": ("BatchNormalization", {}, (32, 300)),
    "batchnorm_image": ("BatchNormalization", {}, (64, 32, 32, 32)),
}
LOOP = 8


def _time(fn, *args, calls: int) -> float:
    jax.block_until_ready(fn(*args))  # compile and warm up
    jax.block_until_ready(fn(*args))
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _keras_functions(layer):
    import inspect

    takes_training = "training" in inspect.signature(layer.call).parameters

    def forward(weights, x):
        trainable, non_trainable = weights
        extra = {"training": True} if takes_training else {}
        out, _ = layer.stateless_call(trainable, non_trainable, x, **extra)
        return out

    return forward


def _jeras_functions(layer):
    from jeras.backend.variables import StatelessScope

    variables = list(layer.trainable_weights) + list(layer.non_trainable_weights)
    n_train = len(layer.trainable_weights)

    def forward(weights, x):
        trainable, non_trainable = weights
        values = list(trainable) + list(non_trainable)
        with StatelessScope(list(zip(variables, values)), rng=jax.random.key(0)):
            return layer(x, training=True)

    return forward, n_train


def _measure(forward, weights, x, cotangent, calls: int, loop: bool) -> dict:
    # The cotangent is an argument, not a constant: XLA would otherwise fold the whole gradient
    # of a linear layer (average pooling) at compile time.
    def objective(trainable, non_trainable, inputs, ct):
        return jnp.sum(forward((trainable, non_trainable), inputs) * ct)

    fwd = jax.jit(lambda w, inputs: forward(w, inputs))
    bwd = jax.jit(jax.grad(objective, argnums=(0, 2)))
    out = {
        "forward": _time(fwd, weights, x, calls=calls),
        "backward": _time(bwd, weights[0], weights[1], x, cotangent, calls=calls),
    }
    if loop:
        xs = jnp.stack([x * (1.0 + 0.01 * i) for i in range(LOOP)])

        # The carry takes an SGD step with the weight gradients and adds up the input gradients
        # (so that neither is optimized away): one extra element-wise pass over the inputs,
        # which shows for the cheap layers (pooling, BatchNormalization).
        def body(carry, inputs):
            w, dx_total = carry
            grads = jax.grad(objective, argnums=(0, 2))(w, weights[1], inputs, cotangent)
            w = jax.tree_util.tree_map(lambda v, g: v - 1e-6 * g, w, grads[0])
            return (w, dx_total + grads[1]), None

        looped = jax.jit(lambda w, batches: jax.lax.scan(body, (w, jnp.zeros_like(x)), batches)[0])
        out["backward_in_loop"] = _time(looped, weights[0], xs, calls=max(3, calls // LOOP)) / LOOP
    return out


def run_case(name: str, calls: int) -> dict:
    import keras as keras3

    from jeras import keras as jk

    cls, kwargs, shape = CASES[name]
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=shape).astype(np.float32))
    cotangent = None
    results = {}

    theirs = getattr(keras3.layers, cls)(**kwargs)
    theirs.build(shape)
    ours = getattr(jk.layers, cls)(**kwargs)
    ours.build(shape)
    ours.set_weights(theirs.get_weights())

    forward, _ = _jeras_functions(ours)
    weights = (
        [jnp.asarray(v.numpy()) for v in ours.trainable_weights],
        [jnp.asarray(v.numpy()) for v in ours.non_trainable_weights],
    )
    out_shape = jax.eval_shape(lambda w, inputs: forward(w, inputs), weights, x).shape
    cotangent = jnp.asarray(rng.normal(size=out_shape).astype(np.float32))
    results["jeras"] = _measure(forward, weights, x, cotangent, calls, loop=True)

    k_forward = _keras_functions(theirs)
    k_weights = ([v.value for v in theirs.trainable_variables], [v.value for v in theirs.non_trainable_variables])
    # Same numbers from both before timing anything.
    ours_out = jax.jit(lambda w, inputs: forward(w, inputs))(weights, x)
    theirs_out = jax.jit(lambda w, inputs: k_forward(w, inputs))(k_weights, x)
    np.testing.assert_allclose(np.asarray(ours_out), np.asarray(theirs_out), rtol=2e-4, atol=2e-4)
    results["keras_jax"] = _measure(k_forward, k_weights, x, cotangent, calls, loop=False)
    return results


def _summary(values: list[float]) -> str:
    return f"{statistics.median(values) * 1e3:.2f} ({min(values) * 1e3:.2f}-{max(values) * 1e3:.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--calls", type=int, default=20, help="timed calls per measurement")
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    parser.add_argument("--out", type=pathlib.Path, default=HERE / "layers_figures.json")
    args = parser.parse_args()
    raw: dict = {}
    print(
        "| layer | input | jeras fwd (ms) | Keras 3 fwd | ratio | jeras bwd | Keras 3 bwd | ratio | jeras bwd in loop | ratio |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in args.cases:
        runs = [run_case(name, args.calls) for _ in range(args.repeats)]
        raw[name] = runs

        def values(engine, what, runs=runs):
            return [r[engine][what] for r in runs]

        def ratio(what, ours=None):
            return statistics.median(values("jeras", ours or what)) / statistics.median(values("keras_jax", what))

        cls, kwargs, shape = CASES[name]
        print(
            f"| {name} ({cls}) | {shape} | {_summary(values('jeras', 'forward'))} | "
            f"{_summary(values('keras_jax', 'forward'))} | {ratio('forward'):.2f} | "
            f"{_summary(values('jeras', 'backward'))} | {_summary(values('keras_jax', 'backward'))} | "
            f"{ratio('backward'):.2f} | {_summary(values('jeras', 'backward_in_loop'))} | "
            f"{ratio('backward', ours='backward_in_loop'):.2f} |",
            flush=True,
        )
    args.out.write_text(json.dumps(raw, indent=1))


if __name__ == "__main__":
    main()
