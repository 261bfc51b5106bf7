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

from jeras.backend import executables
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


_epoch_plan_programs: dict[bool, executables.StoredProgram] = {}


def epoch_plan_program(base_key, epoch, **static):
    """The epoch-plan program (stored on disk like a structure's programs when the store is on)."""
    prefix = executables.program_prefix(("epoch_plan",))
    program = _epoch_plan_programs.get(prefix is not None)
    if program is None:
        program = _epoch_plan_programs[prefix is not None] = executables.StoredProgram(
            _epoch_plan, name="epoch_plan", prefix=prefix, static_argnames=("n", "batch_size", "shuffle", "rows")
        )
    return program(base_key, epoch, **static)


def donation() -> tuple[int, ...]:
    """Which argument of the training programs is donated: the state, except on the CPU."""
    from jeras.backend import config

    return (0,) if (config.donate_buffers() or jax.default_backend() != "cpu") else ()


class Engine:
    """The jitted programs of one model structure.

    The per-chunk programs (not the per-batch ones, whose calls must stay cheapest) are
    `StoredProgram`s: with a stable structure key their executables also live on disk, so a
    later process loads them without tracing (`jeras.backend.executables`).

    Args:
        model: the first model of the structure; its layers are traced, but the programs read
            only the values passed in, so they serve the other models of the structure too.
        key: the structure key (`jeras.training.structure.structure_key`).
    """

    def __init__(self, model, key: tuple | None = None):
        fns = self.fns = StepFunctions(model, model._objectives, model.optimizer)
        donate = donation()
        prefix = None if key is None else executables.program_prefix((key, donate))
        stored = partial(executables.StoredProgram, prefix=prefix)
        self.train_chunk = stored(
            fns.train_chunk,
            name="train_chunk",
            static_argnames=("k", "n_valid", "collect", "halt"),
            donate_argnums=donate,
        )
        self.train_rows = stored(fns.train_rows, name="train_rows", donate_argnums=donate)
        self.train_batch = jax.jit(fns.train_batch)
        self.test_chunk = stored(fns.test_chunk, name="test_chunk", static_argnames=("steps", "batch_size"))
        self.test_batch = jax.jit(fns.test_step)
        self.predict_batch = jax.jit(fns.predict_step)
        self.whole_fit = stored(
            partial(device_fit.whole_fit, fns), name="whole_fit", static_argnames=("plan",), donate_argnums=donate
        )
        self._predict = stored(fns.predict_chunk, name="predict_chunk", static_argnames=("steps", "batch_size"))
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
                static = {"steps": steps, "batch_size": batch_size}
                found = self._predict.find((state, x), static) if self._predict.prefix is not None else None
                if callable(found):  # loaded from disk
                    program = Future()
                    program.set_result(found)
                else:  # trace here, compile (and store) in the background
                    lowered = self._predict.lower(state, x, **static)
                    program = _compiler.submit(lowered.compile if found is None else partial(found.finish, lowered))
                self._predict_compiled[key] = program
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
    engine = Engine(model, key)
    with _lock:
        _cache[key] = engine
        while len(_cache) > _MAX_STRUCTURES:
            _cache.popitem(last=False)
    return engine


def clear() -> None:
    """Forgets every cached engine (`keras.backend.clear_session` calls it)."""
    with _lock:
        _cache.clear()
