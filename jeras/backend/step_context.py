"""The context of a model's own `train_step` while it is traced (see `jeras.training.train_step`).

Objects that are stateful for the user but must stay pure inside a compiled step read it: the
optimizer's `apply_gradients` updates the step's optimizer state instead of its own, and the
model's `compute_loss`/`compute_metrics` update the step's metric state. It lives in the backend
so that optimizers can look it up without depending on the training package.
"""

from __future__ import annotations

import threading
from typing import Any

_local = threading.local()


def current_step_context() -> Any:
    """The innermost active step context, or None outside a custom `train_step`."""
    stack = getattr(_local, "stack", None)
    return stack[-1] if stack else None


def push(context: Any) -> None:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    stack.append(context)


def pop() -> None:
    _local.stack.pop()
