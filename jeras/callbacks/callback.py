"""The `Callback` base class and `CallbackList`, which calls every hook of a list of callbacks."""

from __future__ import annotations

import math
from typing import Any


class Callback:
    """Base class of callbacks: override the hooks you need.

    Every hook of tf.keras is here: `on_{train,test,predict}_{begin,end}`,
    `on_epoch_{begin,end}` and `on_{train,test,predict}_batch_{begin,end}` (with the legacy
    `on_batch_begin`/`on_batch_end` aliases for training batches). `self.model` is the model
    being trained and `self.params` holds `epochs`, `steps` and `verbose`.

    Batch hooks run as in tf.keras: `on_train_batch_begin` before the batch is trained, and
    what it sets (`keras.backend.set_value(self.model.optimizer.learning_rate, ...)`, new
    weights) applies to that batch; `on_train_batch_end` after it, seeing that batch's weights.
    `fit` then trains one batch per compiled call. A callback whose batch hooks only read the
    logs sets `replays_batch_logs = True`: its hooks are replayed after each compiled chunk of
    many steps, with the logs of every step (weights read there are those at the end of the
    chunk). Left as None, hooks its class defines run live and hooks set on the instance (a
    built-in callback installing a logging hook) are replayed; `False` makes every hook live
    (LambdaCallback, whose functions are user code). A callback that needs the weights after exactly every N-th batch sets
    `sync_every_steps = N` and `fit` ends a chunk there. `self.model.stop_training = True`
    set in a batch hook stops training after that batch (or chunk); set in `on_epoch_end`,
    after that epoch.

    `self.run` is the `FitRun` of the current `fit` (its seed, where it starts, and
    `run.resume(...)` for a callback that restores a backup).

    Running inside the compiled fit: when every callback of a `fit` can run on the device,
    the whole fit is one compiled program (docs/architecture.md). A callback takes part in one
    of two ways; by default it does neither and `fit` runs epoch by epoch:

    - `device_rule(context)` returns a `jeras.callbacks.device.DeviceRule`: pure functions of
      the epoch logs that may stop training, change the learning rate or replace the weights
      (EarlyStopping, ReduceLROnPlateau and TerminateOnNaN do this).
    - `replays_epoch_logs = True` says the callback only reads the epoch logs (History does):
      after the compiled fit, its `on_epoch_begin`/`on_epoch_end` hooks are called once per
      epoch with the logs of that epoch.
    """

    sync_every_steps: int | None = None
    replays_epoch_logs: bool = False
    replays_batch_logs: bool | None = None
    halts_on_nan: bool = False

    def __init__(self):
        self.model = None
        self.params: dict[str, Any] = {}
        self.validation_data = None
        self.run = None

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

    def set_run(self, run) -> None:
        """Receives the `FitRun` of the `fit` that is starting (see `jeras.training.run`)."""
        self.run = run

    def device_rule(self, context):
        """This callback's rule inside a compiled fit, or None to run on the host (the default).

        Args:
            context: a `jeras.callbacks.device.DeviceContext` (log names, epochs, ...).

        Returns:
            A `jeras.callbacks.device.DeviceRule`, or None.
        """
        return None

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...
    def on_batch_end(self, batch: int, logs: dict | None = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None: ...

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...
    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None: ...
    def on_predict_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...
    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None: ...
    def on_train_begin(self, logs: dict | None = None) -> None: ...
    def on_train_end(self, logs: dict | None = None) -> None: ...
    def on_test_begin(self, logs: dict | None = None) -> None: ...
    def on_test_end(self, logs: dict | None = None) -> None: ...
    def on_predict_begin(self, logs: dict | None = None) -> None: ...
    def on_predict_end(self, logs: dict | None = None) -> None: ...

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments of this callback (callables stay Python objects)."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Callback:
        """Creates a callback from the output of `get_config`."""
        return cls(**config)


_BATCH_HOOKS = {
    "train": ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end"),
    "test": ("on_test_batch_begin", "on_test_batch_end"),
    "predict": ("on_predict_batch_begin", "on_predict_batch_end"),
}


def overrides_batch_hooks(callback: Callback, mode: str) -> bool:
    """Whether a callback overrides any batch hook of `mode` ("train", "test" or "predict"),
    in its class or on the instance (as `LambdaCallback` does)."""
    return any(
        hook in vars(callback) or getattr(type(callback), hook, None) is not getattr(Callback, hook)
        for hook in _BATCH_HOOKS[mode]
    )


def _runs_batches_live(callback: Callback, mode: str) -> bool:
    replays = getattr(callback, "replays_batch_logs", None)
    if replays is not None:
        return not replays
    return any(getattr(type(callback), hook, None) is not getattr(Callback, hook) for hook in _BATCH_HOOKS[mode])


class CallbackList:
    """Calls each hook on every callback, in order.

    Callbacks with `chunk_level = True` (the progress bar) get one batch-end call per compiled
    chunk with the logs of its last step; the others get one call per step.
    """

    def __init__(self, callbacks, *, model=None, params: dict | None = None, run=None):
        self.callbacks: list[Callback] = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    f"callbacks must be Callback instances. Received: callbacks item {cb!r} of type {type(cb).__name__}"
                )
            if model is not None:
                cb.set_model(model)
            if params is not None:
                cb.set_params(params)
            if run is not None:
                cb.set_run(run)

    def _step_level(self, mode: str) -> list[Callback]:
        return [
            cb for cb in self.callbacks if not getattr(cb, "chunk_level", False) and overrides_batch_hooks(cb, mode)
        ]

    def step_alignment(self) -> int | None:
        """The batch count at whose multiples some callback reads the weights, or None.

        Callbacks that save every N batches set `sync_every_steps = N`; `fit` then ends a
        compiled chunk at each such batch, so the weights they read are exact.
        """
        counts = [cb.sync_every_steps for cb in self.callbacks if getattr(cb, "sync_every_steps", None)]
        return math.gcd(*counts) if counts else None

    def live_batches(self, mode: str) -> bool:
        """Whether some callback's batch hooks may change training (see `Callback.replays_batch_logs`),
        so that each batch runs on its own, between its begin and end hooks."""
        return any(_runs_batches_live(cb, mode) for cb in self._step_level(mode))

    def begin_batch(self, mode: str, step: int) -> None:
        """Calls the batch-begin hooks of the step-level callbacks before `step` runs."""
        begin = _BATCH_HOOKS[mode][0]
        for cb in self._step_level(mode):
            getattr(cb, begin)(step, {})

    def needs_step_logs(self, mode: str) -> bool:
        return bool(self._step_level(mode))

    def wants_batches(self, mode: str) -> bool:
        return any(overrides_batch_hooks(cb, mode) for cb in self.callbacks)

    def replay_batches(
        self,
        mode: str,
        first_step: int,
        step_logs: list[dict] | None,
        last_step: int,
        last_logs: dict,
        *,
        begun: bool = False,
    ) -> None:
        """Calls the batch hooks for the steps `first_step..last_step` of one finished chunk
        (only the end hooks when `begun`: `begin_batch` ran before the step)."""
        n = len(step_logs) if step_logs is not None else 0
        begin, end = _BATCH_HOOKS[mode][:2]
        for cb in self._step_level(mode):
            for i in range(n):
                if not begun:
                    getattr(cb, begin)(first_step + i, {})
                getattr(cb, end)(first_step + i, step_logs[i])
        for cb in self.callbacks:
            if getattr(cb, "chunk_level", False):
                getattr(cb, end)(last_step, last_logs)

    def __getattr__(self, hook: str):
        if not hook.startswith("on_") or not hasattr(Callback, hook):
            raise AttributeError(hook)
        # As in tf.keras, every callback gets its logs positionally, `{}` when there are none,
        # so plain functions (LambdaCallback) may take `(epoch, logs)` or `(logs)`.
        if hook.startswith("on_epoch_") or "batch_" in hook:

            def call_indexed(index: int, logs: dict | None = None) -> None:
                logs = {} if logs is None else logs
                for cb in self.callbacks:
                    getattr(cb, hook)(index, logs)

            return call_indexed

        def call(logs: dict | None = None) -> None:
            logs = {} if logs is None else logs
            for cb in self.callbacks:
                getattr(cb, hook)(logs)

        return call
