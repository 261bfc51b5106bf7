"""Compile-time accounting, and JAX's persistent compilation cache (on by default).

JAX reports each trace, lowering and XLA compile through its monitoring events; we add them
up so `model.compile_stats` can report compile time apart from run time. The persistent cache
keeps compiled XLA programs on disk, so a second run of the same script compiles almost
nothing: it lives in `$JERAS_CACHE_DIR` (default `~/.cache/jeras/xla`, or under
`$XDG_CACHE_HOME`), and `JERAS_COMPILATION_CACHE=0` turns it off. A cache folder the user set
through JAX's own `jax_compilation_cache_dir` is left as it is.
"""

from __future__ import annotations

import os
import threading

import jax

_lock = threading.Lock()
_totals = {"seconds": 0.0, "compiles": 0, "cache_hits": 0}
_EVENTS = (
    "/jax/core/compile/jaxpr_trace_duration",
    "/jax/core/compile/jaxpr_to_mlir_module_duration",
    "/jax/core/compile/backend_compile_duration",
)
_CACHE_HIT = "/jax/compilation_cache/cache_hits"
BACKGROUND_THREAD_PREFIX = "jeras-compile"


def _duration_listener(event: str, duration: float, **_: object) -> None:
    # Programs compiled ahead of time in the background (jeras.training.programs) are not part
    # of the call that happens to be running meanwhile.
    if event in _EVENTS and not threading.current_thread().name.startswith(BACKGROUND_THREAD_PREFIX):
        with _lock:
            _totals["seconds"] += duration
            if event == _EVENTS[-1]:
                _totals["compiles"] += 1


def _event_listener(event: str, **_: object) -> None:
    if event == _CACHE_HIT:
        with _lock:
            _totals["cache_hits"] += 1


jax.monitoring.register_event_duration_secs_listener(_duration_listener)
jax.monitoring.register_event_listener(_event_listener)


def compile_totals() -> tuple[float, int]:
    """Returns (seconds spent tracing and compiling, number of XLA compilations) since start-up."""
    with _lock:
        return _totals["seconds"], _totals["compiles"]


def cache_hits() -> int:
    """Programs loaded from the persistent compilation cache since start-up."""
    with _lock:
        return _totals["cache_hits"]


def default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "jeras", "xla")


def enable_persistent_cache() -> str | None:
    """Turns on JAX's persistent compilation cache in the jeras cache folder; returns the folder,
    or None when it is off (`JERAS_COMPILATION_CACHE=0`) or the user configured JAX's own."""
    if os.environ.get("JERAS_COMPILATION_CACHE", "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    if jax.config.jax_compilation_cache_dir:
        return None
    path = os.environ.get("JERAS_CACHE_DIR") or default_cache_dir()
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return None  # an unwritable home: run without the cache rather than fail at import
    jax.config.update("jax_compilation_cache_dir", path)
    # Small programs compile in milliseconds, but there are many of them: cache them all.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return path


cache_dir = enable_persistent_cache()
