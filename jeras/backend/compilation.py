"""Compile-time accounting: JAX reports each trace, lowering and XLA compile; we add them up."""

from __future__ import annotations

import threading

import jax

_lock = threading.Lock()
_totals = {"seconds": 0.0, "compiles": 0}
_EVENTS = (
    "/jax/core/compile/jaxpr_trace_duration",
    "/jax/core/compile/jaxpr_to_mlir_module_duration",
    "/jax/core/compile/backend_compile_duration",
)


def _listener(event: str, duration: float, **_: object) -> None:
    if event in _EVENTS:
        with _lock:
            _totals["seconds"] += duration
            if event == _EVENTS[-1]:
                _totals["compiles"] += 1


jax.monitoring.register_event_duration_secs_listener(_listener)


def compile_totals() -> tuple[float, int]:
    """Returns (seconds spent tracing and compiling, number of XLA compilations) since start-up."""
    with _lock:
        return _totals["seconds"], _totals["compiles"]
