"""Compiled programs kept on disk under a stable key, so a later process skips tracing too.

JAX's persistent compilation cache (`jeras.backend.compilation`) spares the XLA compile in a
second process, but JAX must still trace the Python function and lower it to find the cache
entry; for the tutorial MLP that is most of a warm start. The programs of a model structure
(`jeras.training.programs`) are already identified by a structure key; when that key is
*stable* — made only of jeras' own classes and functions and plain values, never of user code
or object identities — it can also name the compiled executable on disk. A later process
with the same key, the same jeras source files, the same JAX and the same devices then loads
the executable and runs it: no trace, no lowering, no compile (docs/architecture.md, "One
compile per structure").

Anything that cannot be keyed soundly falls back to plain `jax.jit` (and JAX's own cache): a
user's layer, loss or callback class, a closure, several devices, a distribution. A store
entry that cannot be read (truncated, another format) is removed and the program compiled
again. Entries are written atomically. The store shares the folder and the on/off switch of
the persistent cache (`JERAS_CACHE_DIR`, `JERAS_COMPILATION_CACHE=0`).
"""

from __future__ import annotations

import contextlib
import enum
import functools
import hashlib
import os
import pickle
import tempfile
import threading
import types
from typing import Any

import jax
import numpy as np

_FORMAT = 1
_lock = threading.Lock()
_environment: str | None = None
_STABLE_MODULES = ("jeras", "jax", "numpy", "optax", "builtins", "math", "operator")


class Unstable(Exception):
    """A key part that may differ between processes, or means other code in another one."""


def _module_ok(module: str | None) -> bool:
    return module is not None and module.split(".")[0] in _STABLE_MODULES


def stable_token(value: Any) -> str:
    """A text that names `value` the same way in every process, or raises `Unstable`.

    Classes and functions are named by module and qualified name, and only when they belong
    to jeras itself (whose source files are part of the key) or to the pinned numeric
    libraries; closures and user code are unstable.
    """
    if value is None or isinstance(value, (bool, int, str)):
        return f"{type(value).__name__}:{value!r}"
    if isinstance(value, float):
        return f"float:{value.hex()}"
    if isinstance(value, bytes):
        return "bytes:" + hashlib.sha256(value).hexdigest()
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "object":
        raise Unstable("an object identity")  # structure keys mark unhashable objects this way
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__}(" + ",".join(stable_token(v) for v in value) + ")"
    if isinstance(value, type):
        if not _module_ok(value.__module__) or "<locals>" in value.__qualname__:
            raise Unstable(f"class {value.__module__}.{value.__qualname__}")
        return f"type:{value.__module__}.{value.__qualname__}"
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, np.ufunc)):
        module, name = getattr(value, "__module__", None), getattr(value, "__qualname__", value.__name__)
        if isinstance(value, np.ufunc):
            module = "numpy"
        if not _module_ok(module) or "<locals>" in name or "<lambda>" in name:
            raise Unstable(f"function {module}.{name}")
        return f"fn:{module}.{name}"
    if isinstance(value, functools.partial):
        kw = tuple(sorted(value.keywords.items()))
        return f"partial({stable_token(value.func)},{stable_token(value.args)},{stable_token(kw)})"
    if isinstance(value, (np.dtype, np.generic)):
        return f"np:{value!r}"
    if isinstance(value, enum.Enum):
        return f"{stable_token(type(value))}.{value.name}"
    if isinstance(value, dict):
        return stable_token(tuple(sorted(value.items(), key=lambda kv: repr(kv[0]))))
    raise Unstable(f"a {type(value).__name__}")


def _jeras_fingerprint() -> str:
    """The jeras source files' names, sizes and modification times: any edit changes it."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                stat = os.stat(os.path.join(folder, name))
                digest.update(
                    f"{os.path.relpath(os.path.join(folder, name), root)}:{stat.st_size}:{stat.st_mtime_ns};".encode()
                )
    return digest.hexdigest()


def environment() -> str:
    """What, besides the program's own key, decides how it compiles: computed once a process."""
    global _environment
    if _environment is None:
        import jaxlib

        device = jax.devices()[0]
        flags = sorted((k, repr(v)) for k, v in jax.config.values.items() if "cache" not in k and "log" not in k)
        parts = (
            _FORMAT,
            jax.__version__,
            jaxlib.__version__,
            device.platform,
            getattr(device, "device_kind", ""),
            device.client.platform_version,
            jax.device_count(),
            jax.process_count(),
            os.environ.get("XLA_FLAGS", ""),
            tuple(flags),
            _jeras_fingerprint(),
        )
        _environment = hashlib.sha256(repr(parts).encode()).hexdigest()
    return _environment


def _jeras_settings() -> tuple:
    """jeras' global settings that traced code reads (they may change within a process)."""
    from jeras import mixed_precision
    from jeras.backend import config

    return (config.floatx(), config.epsilon(), config.image_data_format(), mixed_precision.global_policy().name)


def store_dir() -> str | None:
    """The folder of stored executables, or None when the persistent cache is off."""
    from jeras.backend import compilation

    if compilation.cache_dir is None or jax.config.jax_compilation_cache_dir != compilation.cache_dir:
        return None
    return os.path.join(compilation.cache_dir, "jeras-programs")


def program_prefix(structure: tuple) -> str | None:
    """The stable part of a model structure's programs' keys, or None when there is none (see
    the module docstring); None also when the store is off or several devices are in use."""
    if store_dir() is None or jax.device_count() != 1 or next(iter(_MARKER)) in os.environ.get("XLA_FLAGS", ""):
        return None
    try:
        return hashlib.sha256(stable_token(structure).encode()).hexdigest()
    except Unstable:
        return None


def _signature(args: tuple) -> tuple:
    leaves, treedef = jax.tree_util.tree_flatten(args)
    out = []
    for leaf in leaves:
        if isinstance(leaf, (bool, int, float)):
            out.append(type(leaf).__name__)
        else:
            out.append((tuple(leaf.shape), str(leaf.dtype), bool(getattr(leaf, "weak_type", False))))
    return treedef, tuple(out)


class StoredProgram:
    """A jitted function whose executables also live on disk (see the module docstring).

    Args:
        fn: the function to jit.
        name: the program's name within its structure (part of the key).
        prefix: `program_prefix(...)` of the structure, or None for plain `jax.jit`.
        static_argnames, donate_argnums: as for `jax.jit`; static arguments are passed by keyword.
    """

    def __init__(self, fn, *, name: str, prefix: str | None, static_argnames=(), donate_argnums=()):
        self.jitted = jax.jit(fn, static_argnames=static_argnames, donate_argnums=donate_argnums)
        self.name = name
        self.prefix = prefix
        self._compiled: dict[tuple, Any] = {}

    def __call__(self, *args, **static):
        # Under `jax.disable_jit()` (run_eagerly=True) the function runs as Python: no executable.
        if self.prefix is None or jax.config.jax_disable_jit:
            return self.jitted(*args, **static)
        return self.compiled(args, static)(*args)

    def lower(self, *args, **static):
        return self.jitted.lower(*args, **static)

    def compiled(self, args: tuple, static: dict):
        """The executable for these arguments: from memory, from disk, or compiled (and stored)."""
        found = self.find(args, static)
        return found if callable(found) else found.finish(self.jitted.lower(*args, **static))

    def find(self, args: tuple, static: dict):
        """The executable for these arguments if it is in memory or on disk; otherwise a
        `Pending` whose `finish(compiled)` stores a compiled one (the caller lowers: tracing
        stays on the calling thread, and the XLA compile may run elsewhere)."""
        try:
            static_key = tuple(sorted(static.items()))
            sig = (static_key, _signature(args))
            hash(sig)
        except TypeError:
            return functools.partial(self.jitted, **static)  # an unhashable static argument
        program = self._compiled.get(sig)
        if program is not None:
            return program
        path = self._entry_path(static_key, sig)
        program = None if path is None else _load(path)
        if program is not None:
            self._compiled[sig] = program
            return program
        return Pending(self, sig, path)

    def _entry_path(self, static_key: tuple, sig: tuple) -> str | None:
        folder = store_dir()
        if folder is None:
            return None
        try:
            text = "|".join(
                (
                    self.prefix,
                    self.name,
                    stable_token(static_key),
                    stable_token(sig[1][1]),
                    str(sig[1][0]),
                    repr(_jeras_settings()),
                    environment(),
                )
            )
        except Unstable:
            return None
        return os.path.join(folder, hashlib.sha256(text.encode()).hexdigest() + ".jexe")


class Pending:
    """A program not found in memory or on disk: `finish` keeps (and stores) its executable."""

    def __init__(self, program: StoredProgram, sig: tuple, path: str | None):
        self.program, self.sig, self.path = program, sig, path

    def finish(self, lowered):
        """Compiles `lowered` (on the calling thread), keeps the executable and stores it."""
        if self.path is None:
            compiled = lowered.compile()
        else:
            with _fresh_compile():
                compiled = lowered.compile(compiler_options=_MARKER)
            _save(self.path, compiled)
        self.program._compiled[self.sig] = compiled
        return compiled


# An executable that JAX loaded from its own cache serializes without its machine code on the
# CPU, so storing it would store a program that cannot run. Programs to store therefore compile
# with this option at its default value, which changes nothing in the code but gives them
# compile keys of their own in JAX's cache, and JAX writes none of them there meanwhile: every
# stored executable was freshly compiled. (With the option in XLA_FLAGS the store is off.)
_MARKER = {"xla_cpu_enable_fast_math": False}
_fresh_count = 0


@contextlib.contextmanager
def _fresh_compile():
    """JAX's cache writes off while a program to store compiles (other compiles meanwhile are
    merely not written to JAX's cache)."""
    global _fresh_count, _saved_min_time
    with _lock:
        _fresh_count += 1
        if _fresh_count == 1:
            _saved_min_time = jax.config.jax_persistent_cache_min_compile_time_secs
            jax.config.update("jax_persistent_cache_min_compile_time_secs", 1e12)
    try:
        yield
    finally:
        with _lock:
            _fresh_count -= 1
            if _fresh_count == 0:
                jax.config.update("jax_persistent_cache_min_compile_time_secs", _saved_min_time)


_saved_min_time = 0.0


def _load(path: str):
    from jax.experimental import serialize_executable

    try:
        with open(path, "rb") as f:
            fmt, digest, payload, in_tree, out_tree = pickle.load(f)
        if fmt != _FORMAT or hashlib.sha256(payload).hexdigest() != digest:
            raise ValueError("another format, or a damaged entry")
        return serialize_executable.deserialize_and_load(payload, in_tree, out_tree)
    except FileNotFoundError:
        return None
    except Exception:  # a truncated or foreign entry: forget it and compile again
        try:
            os.remove(path)
        except OSError:
            pass
        return None


def _save(path: str, compiled) -> None:
    from jax.experimental import serialize_executable

    try:
        payload, in_tree, out_tree = serialize_executable.serialize(compiled)
        data = pickle.dumps((_FORMAT, hashlib.sha256(payload).hexdigest(), payload, in_tree, out_tree))
    except Exception:  # noqa: BLE001 - some executables cannot be serialized: just don't store them
        return
    folder = os.path.dirname(path)
    with _lock:
        try:
            os.makedirs(folder, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except OSError:
            try:
                os.remove(tmp)
            except (OSError, UnboundLocalError):
                pass
