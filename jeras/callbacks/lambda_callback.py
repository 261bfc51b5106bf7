"""`LambdaCallback`: a callback made of plain functions, one per hook."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jeras.callbacks.callback import Callback

_HOOKS = (
    "on_epoch_begin",
    "on_epoch_end",
    "on_batch_begin",
    "on_batch_end",
    "on_train_begin",
    "on_train_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_begin",
    "on_test_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_begin",
    "on_predict_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
)


class LambdaCallback(Callback):
    """Calls the given functions at the matching hooks; hooks left as None do nothing.

    The functions take the hook's arguments: `on_epoch_begin(epoch, logs)`,
    `on_epoch_end(epoch, logs)`, `on_batch_begin(batch, logs)`, `on_batch_end(batch, logs)`,
    `on_train_begin(logs)` and `on_train_end(logs)`. Any other hook of `Callback`
    (`on_train_batch_end`, `on_test_end`, ...) can be passed by name as a keyword argument.
    Only the batch hooks that are given make `fit` collect per-batch logs.

    Args:
        on_epoch_begin, on_epoch_end, on_batch_begin, on_batch_end, on_train_begin,
        on_train_end: functions or None (the default).
        **kwargs: functions for the other hooks, by hook name.

    Example:

        >>> log = LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]))
        >>> model.fit(x, y, callbacks=[log])  # doctest: +SKIP
    """

    replays_batch_logs = False  # its functions are user code, which may set the learning rate

    def __init__(
        self,
        on_epoch_begin: Callable | None = None,
        on_epoch_end: Callable | None = None,
        on_batch_begin: Callable | None = None,
        on_batch_end: Callable | None = None,
        on_train_begin: Callable | None = None,
        on_train_end: Callable | None = None,
        **kwargs: Callable | None,
    ):
        super().__init__()
        unknown = sorted(set(kwargs) - set(_HOOKS))
        if unknown:
            raise TypeError(f"LambdaCallback takes functions for callback hooks only. Received: {unknown[0]}=...")
        functions = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_batch_begin": on_batch_begin,
            "on_batch_end": on_batch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            **kwargs,
        }
        self._functions: dict[str, Callable] = {}
        for hook, function in functions.items():
            if function is None:
                continue
            if not callable(function):
                raise TypeError(f"{hook} must be a function or None. Received: {hook}={function!r}")
            # An instance attribute shadows the base hook, so only given hooks do any work.
            setattr(self, hook, function)
            self._functions[hook] = function

    def get_config(self) -> dict[str, Any]:
        return dict(self._functions)
