"""`FitRun`: one call of `fit` as callbacks see it, and how a callback asks it to resume.

Every epoch's randomness (shuffling and dropout keys) derives from the run's `seed` and the
epoch number, so an epoch can be rerun or resumed without replaying the ones before it. A
callback that restores a backup (`BackupAndRestore`) calls `resume(...)` in `on_train_begin`;
`fit` then starts at that epoch and batch with that seed (docs/architecture.md, "Resuming").
"""

from __future__ import annotations

import numpy as np


class FitRun:
    """The run of one `fit` call, available to callbacks as `self.run` (and as `model.fit_run`).

    Attributes:
        seed: the seed every epoch's shuffling and dropout keys derive from.
        start_epoch: the epoch the run starts at (`initial_epoch`, or where a resume points).
        start_step: the batch of `start_epoch` to start at (0 unless resuming mid-epoch).
        steps_per_epoch: batches per epoch.
        path: "whole-fit" or "epochs" (see `model.compile_stats`).
    """

    def __init__(self, *, seed: int, initial_epoch: int, steps_per_epoch: int, path: str):
        self.seed = int(seed)
        self.start_epoch = int(initial_epoch)
        self.start_step = 0
        self.steps_per_epoch = int(steps_per_epoch)
        self.path = path

    def resume(self, *, epoch: int, step: int = 0, seed: int | None = None) -> None:
        """Makes the run start at `epoch` (and batch `step` of it), with the given seed.

        Call it from `on_train_begin`, after setting the weights and optimizer state to match.

        Raises:
            ValueError: for a negative epoch or a step outside `[0, steps_per_epoch)`.
        """
        if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or epoch < 0:
            raise ValueError(f"epoch must be a non-negative integer. Received: epoch={epoch!r}")
        limit = max(self.steps_per_epoch, 1)
        if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or not 0 <= step < limit:
            raise ValueError(
                f"step must be a batch index in [0, {limit}) of the resumed epoch. Received: step={step!r}"
            )
        self.start_epoch = int(epoch)
        self.start_step = int(step)
        if seed is not None:
            self.seed = int(seed)
