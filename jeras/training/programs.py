"""The compiled programs of a model structure, shared by every model of that structure.

`engine_for(model)` returns the `Engine` cached under the model's structure key
(`jeras.training.structure`); a new model of the same structure — other initial weights,
names, learning rate, momentum, dropout rates or regularization factors — reuses it and
traces and compiles nothing (docs/architecture.md, "One compile per structure"). The cache
keeps the most recently used structures; JAX's persistent compilation cache
(`jeras.backend.compilation`) also spares the XLA compile in later processes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial

import jax

from jeras.backend.compilation import BACKGROUND_THREAD_PREFIX
from jeras.training import device_fit
from jeras.training.steps import StepFunctions, epoch_keys, epoch_order
from jeras.training.structure import structure_key

_MAX_STRUCTURES = 64
_cache: OrderedDict[tuple, Engine] = OrderedDict()
_lock = threading.Lock()
_compiler = ThreadPoolExecutor(max_workers=1, thread_name_prefix=BACKGROUND_THREAD_PREFIX)


# Not model-specific: shared by every engine.
def _epoch_plan(base_key, epoch, *, n: int, batch_size: int, shuffle, rows: int):
    """An epoch's first step key and its batches (one program: one dispatch per epoch)."""
    order_key, step_key = epoch_keys(base_key, epoch)
    blocks, tail_rows = epoch_order(order_key, n=n, batch_size=batch_size, shuffle=shuffle, rows=rows)
    return step_key, blocks, tail_rows


epoch_plan_program = jax.jit(_epoch_plan, static_argnames=("n", "batch_size", "shuffle", "rows"))


def donation() -> tuple[int, ...]:
    """Which argument of the training programs is donated: the state, except on the CPU."""
    from jeras.backend import config

    return (0,) if (config.donate_buffers() or jax.default_backend() != "cpu") else ()


class Engine:
    """The jitted programs of one model structure.

    Args:
        model: the first model of the structure; its layers are traced, but the programs read
            only the values passed in, so they serve the other models of the structure too.
    """

    def __init__(self, model):
        fns = self.fns = StepFunctions(model, model._objectives, model.optimizer)
        donate = donation()
        self.train_chunk = jax.jit(
            fns.train_chunk, static_argnames=("k", "n_valid", "collect", "halt"), donate_argnums=donate
        )
        self.train_rows = jax.jit(fns.train_rows, donate_argnums=donate)
        self.train_batch = jax.jit(fns.train_batch)
        self.test_chunk = jax.jit(fns.test_chunk, static_argnames=("steps", "batch_size"))
        self.test_batch = jax.jit(fns.test_step)
        self.predict_batch = jax.jit(fns.predict_step)
        self.whole_fit = jax.jit(partial(device_fit.whole_fit, fns), static_argnames=("plan",), donate_argnums=donate)
        self._predict = jax.jit(fns.predict_chunk, static_argnames=("steps", "batch_size"))
        self._predict_compiled: dict[tuple, Future] = {}

    @property
    def hyper_slots(self):
        return self.fns.hyper_slots

    # ------------------------------------------------------------------ predict
    def predict_chunk(self, state, x, *, steps: int, batch_size: int):
        """Runs the predict program for this chunk shape, compiling it ahead of time once."""
        return self._predict_program(state, x, steps, batch_size).result()(state, x)

    def warm_predict(self, state, x, *, steps: int, batch_size: int) -> None:
        """Compiles the predict program of a chunk shape in the background (after a first fit,
        so that `model.predict(x[:3])` then compiles nothing)."""
        self._predict_program(state, x, steps, batch_size)

    def _predict_program(self, state, x, steps: int, batch_size: int) -> Future:
        key = (steps, batch_size, _shapes(x), _shapes(state))
        with _lock:
            program = self._predict_compiled.get(key)
            if program is None:
                lowered = self._predict.lower(state, x, steps=steps, batch_size=batch_size)
                program = self._predict_compiled[key] = _compiler.submit(lowered.compile)
        return program


def _shapes(tree) -> tuple:
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    return (treedef, tuple((tuple(a.shape), str(a.dtype)) for a in leaves))


def engine_for(model) -> Engine:
    """The engine of the model's structure, created (and traced lazily) on first use."""
    key = structure_key(model)
    with _lock:
        engine = _cache.get(key)
        if engine is not None:
            _cache.move_to_end(key)
            return engine
    engine = Engine(model)
    with _lock:
        _cache[key] = engine
        while len(_cache) > _MAX_STRUCTURES:
            _cache.popitem(last=False)
    return engine


def clear() -> None:
    """Forgets every cached engine (`keras.backend.clear_session` calls it)."""
    with _lock:
        _cache.clear()
