"""Safe mode: loading a saved model never runs code stored in the file unless the caller opts in.

A `Lambda` layer's config carries a function: by name, or as Python bytecode that rebuilding
the layer would run. `load_model` and `model_from_json` refuse every config that contains a
`Lambda` layer (or a serialized Python lambda, Keras 3's `__lambda__`) unless called with
`safe_mode=False`; while such a call rebuilds the model, the scope of `jeras.layers`
(`safe_mode_scope(False)`, re-exported here with `in_safe_mode`) lets `Lambda.from_config`
load the bytecode.
"""

from __future__ import annotations

from typing import Any

from jeras.layers.lambda_layer import in_safe_mode, safe_mode_scope

UNSAFE_CLASS_NAMES = ("Lambda", "__lambda__")

__all__ = ["check_safe", "in_safe_mode", "safe_mode_scope", "unsafe_entries"]


def unsafe_entries(config: Any, path: str = "config") -> list[str]:
    """Paths inside `config` of objects whose rebuilding could run stored code."""
    found: list[str] = []
    if isinstance(config, dict):
        if config.get("class_name") in UNSAFE_CLASS_NAMES:
            inner = config.get("config")
            name = inner.get("name") if isinstance(inner, dict) else None
            found.append(f"{path} ({config['class_name']}{f' {name!r}' if name else ''})")
        for key, value in config.items():
            found += unsafe_entries(value, f"{path}[{key!r}]")
    elif isinstance(config, list):
        for i, value in enumerate(config):
            found += unsafe_entries(value, f"{path}[{i}]")
    return found


def check_safe(config: Any, *, safe_mode: bool, source: str) -> None:
    """Raises a ValueError when `safe_mode` is on and `config` holds a Lambda layer or function."""
    if not isinstance(safe_mode, bool):
        raise TypeError(f"safe_mode must be True or False. Received: safe_mode={safe_mode!r}")
    if not safe_mode:
        return
    found = unsafe_entries(config)
    if found:
        raise ValueError(
            f"Refusing to load {source}: it contains a Lambda layer or a serialized Python function "
            f"({', '.join(found)}), and rebuilding it could execute Python code stored in the file. If you trust "
            "the source of this file, pass safe_mode=False. Received: safe_mode=True"
        )
