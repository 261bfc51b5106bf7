"""Planning a call before it runs: batches per epoch, steps per compiled chunk, and which path `fit` takes.

`fit` runs as one compiled program (the "whole-fit" path) when every callback can run on the
device and nothing prints per batch; otherwise epoch by epoch ("epochs" path), each epoch a
few calls of a compiled chunk of steps. `FitPlan.reason` says why, and `model.compile_stats`
reports it (docs/architecture.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from jeras.callbacks.callback import CallbackList, overrides_batch_hooks

UPDATES_PER_EPOCH = 30
WHOLE_FIT = "whole-fit"
EPOCHS = "epochs"


def choose_chunk(steps: int, updates: int | None) -> int:
    """Steps per compiled chunk: all of them, or about `steps / updates`, preferring an exact divisor."""
    if not updates or steps <= updates:
        return max(steps, 1) if not updates else 1
    target = math.ceil(steps / updates)
    for k in list(range(target, min(steps, 2 * target) + 1)) + list(range(target - 1, max(target // 2, 1) - 1, -1)):
        if steps % k == 0:
            return k
    return target


def aligned_chunk(k: int, align: int, steps: int) -> int:
    """The largest chunk size up to `k` dividing both `align` and `steps`.

    Counting batches from the start of `fit` (or from a resume point on such a boundary),
    every multiple of `align` then ends a chunk, so the weights synced after that chunk are
    the weights after exactly that batch.
    """
    g = math.gcd(align, steps)
    return max(d for d in range(1, min(k, g) + 1) if g % d == 0)


def power_of_two_chunks(steps: int, largest: int) -> list[int]:
    """Splits `steps` batches into chunks of `largest` batches (a power of two) and one last
    chunk rounded up to a power of two, whose extra batches are masked padding: evaluate and
    predict then run one of a few programs, whatever the number of rows."""
    chunks = [largest] * (steps // largest)
    remainder = steps % largest
    if remainder:
        size = 1
        while size < remainder:
            size *= 2
        chunks.append(size)
    return chunks


def largest_chunk(steps: int, updates: int | None, cap: int = 1024) -> int:
    """The largest power-of-two chunk for `steps` batches, about `steps / updates` when updates are shown."""
    goal = steps if not updates else max(1, steps // updates)
    size = 1
    while size * 2 <= min(goal, cap):
        size *= 2
    return size


@dataclass
class FitPlan:
    """How one `fit` call runs.

    Attributes:
        n: training rows. batch_size: rows per step. epochs: the `epochs` argument.
        full, tail: full batches per epoch and the rows of the last, partial batch (0 if none).
        steps: batches per epoch (`full`, plus one for a partial batch).
        chunk: steps per compiled chunk on the epochs path (1 when batch hooks run live).
        collect: whether per-step logs are needed. live: whether batch hooks run around each step.
        halt: whether steps after a non-finite loss are skipped (TerminateOnNaN).
        path: "whole-fit" or "epochs"; reason: why.
        rules: the callbacks' device rules, when the path is "whole-fit".
        replayed: the callbacks whose epoch hooks are replayed after a whole fit.
    """

    n: int
    batch_size: int
    epochs: int
    full: int
    tail: int
    steps: int
    chunk: int
    collect: bool
    halt: bool
    live: bool = False
    path: str = EPOCHS
    reason: str = ""
    rules: list = field(default_factory=list)
    replayed: list = field(default_factory=list)


def batches(n: int, batch_size: int, steps_per_epoch: int | None) -> tuple[int, int, int]:
    """(full batches, rows of the partial batch, steps) of an epoch, checked against steps_per_epoch."""
    full, tail = divmod(n, batch_size)
    steps = full + (1 if tail else 0)
    if steps_per_epoch is None:
        return full, tail, steps
    if steps_per_epoch > steps:
        raise ValueError(
            f"steps_per_epoch={steps_per_epoch} asks for more batches than the data hold "
            f"({n} samples make {steps} batches of {batch_size}). Received: steps_per_epoch={steps_per_epoch}"
        )
    return min(full, steps_per_epoch), (tail if steps_per_epoch > full else 0), steps_per_epoch


def plan_fit(
    cbs: CallbackList,
    *,
    n: int,
    batch_size: int,
    epochs: int,
    steps_per_epoch: int | None,
    verbose: int,
    host_reason: str | None,
    context,
) -> FitPlan:
    """Plans a fit: the batches, the chunking of the epochs path, and the path itself.

    Args:
        cbs: the callbacks of the fit (the progress bar and History included).
        host_reason: a reason, found by the caller, why the fit cannot run on the device
            (eager mode, a validation frequency...), or None.
        context: the `DeviceContext` the callbacks' rules are built with.
    """
    full, tail, steps = batches(n, batch_size, steps_per_epoch)
    collect = cbs.needs_step_logs("train")
    updates = UPDATES_PER_EPOCH if (verbose == 1 or cbs.wants_batches("train")) else None
    k = choose_chunk(full, updates) if full else 1
    if cbs.live_batches("train"):
        k = 1  # a batch hook may set the learning rate or the weights for the next batch
    align = cbs.step_alignment()
    if align and full:
        k = aligned_chunk(k, align, steps)
    halt = any(getattr(cb, "halts_on_nan", False) for cb in cbs.callbacks)
    plan = FitPlan(n, batch_size, epochs, full, tail, steps, k, collect, halt, live=cbs.live_batches("train"))
    plan.reason = host_reason or _host_reason(cbs, verbose, context, plan)
    plan.path = EPOCHS if plan.reason else WHOLE_FIT
    if plan.path == EPOCHS:
        plan.rules, plan.replayed = [], []
    else:
        plan.reason = "every callback runs on the device"
    return plan


def _host_reason(cbs: CallbackList, verbose: int, context, plan: FitPlan) -> str:
    """Why the callbacks keep the fit on the host, or "" (then `plan.rules` is filled in)."""
    if verbose == 1:
        return "verbose=1 shows a progress bar"
    if verbose == 2:
        return "verbose=2 prints a line per epoch"
    for cb in cbs.callbacks:
        if getattr(cb, "replays_epoch_logs", False) and not overrides_batch_hooks(cb, "train"):
            plan.replayed.append(cb)
            continue
        rule = cb.device_rule(context)
        if rule is None:
            return f"{type(cb).__name__} runs on the host"
        plan.rules.append((cb, rule))
    return ""
