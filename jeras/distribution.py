"""Data-parallel training on JAX's own distribution: a `jax.sharding.Mesh` over the local devices.

`DataParallel(devices)` names the devices that train together. Set globally with
`set_distribution(DataParallel())`, or through tf.keras' spelling
(`keras.distribute.MirroredStrategy()` and `with strategy.scope(): ...`), a model compiled
while it is active trains on all of them: every batch is sharded along its rows over a
one-axis mesh (axis `"batch"`), and the weights, optimizer state and metric state are
replicated. Nothing else changes: the same compiled step runs, JAX's partitioner (GSPMD) splits
it by the sharding of the batch and adds the reductions across devices, so gradients, losses,
metrics and BatchNormalization's batch statistics are computed over the whole batch exactly as
on one device (the statistics are global, not per device). Batch sizes that do not divide by
the number of devices, and the last partial batch, are sharded unevenly by XLA.

A mesh of one device is the same code path: its sharding is the identity, so no constraint is
placed at all. See docs/architecture.md, "Distribution".
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

BATCH_AXIS = "batch"


class DataParallel:
    """Trains on several devices at once, each with a slice of every batch (see the module docstring).

    Args:
        devices: the devices (or their ids), default every local device (`jax.local_devices()`).
            Across processes started with `jax.distributed.initialize`, `jax.devices()` spans
            them all.

        per_process_data: across processes, each process passes `fit` only its own rows of the
            training data (every process the same number of rows); the model trains on all of
            them, in process order, as one process would on their concatenation. Default False:
            every process passes the same, whole arrays. Validation data are whole on every process.

    Raises:
        ValueError: `devices` is empty, holds an id no device has, or repeats a device.
    """

    def __init__(self, devices: Sequence[Any] | None = None, *, per_process_data: bool = False):
        self.per_process_data = bool(per_process_data)
        if devices is None:
            devices = jax.local_devices()
        devices = list(devices)
        if not devices:
            raise ValueError("DataParallel needs at least one device. Received: devices=[]")
        by_id = {d.id: d for d in jax.devices()}
        resolved = []
        for device in devices:
            if isinstance(device, (int, np.integer)):
                if int(device) not in by_id:
                    raise ValueError(
                        f"DataParallel received a device id that no device has: {device}. "
                        f"Available ids: {sorted(by_id)}. Received: devices={devices!r}"
                    )
                device = by_id[int(device)]
            resolved.append(device)
        if len({d.id for d in resolved}) != len(resolved):
            raise ValueError(f"DataParallel received a device twice. Received: devices={devices!r}")
        self.devices = resolved
        self.mesh = Mesh(np.array(resolved), (BATCH_AXIS,))
        self._sharded = NamedSharding(self.mesh, PartitionSpec(BATCH_AXIS))
        self._replicated = NamedSharding(self.mesh, PartitionSpec())

    @property
    def num_devices(self) -> int:
        return len(self.devices)

    def key(self) -> tuple:
        """What compiled programs depend on: the devices, in order (part of the structure key)."""
        return tuple((d.platform, d.id) for d in self.devices)

    def shard_batch(self, tree):
        """Inside a traced step: every array of `tree` with rows, sharded along them over the mesh.
        On a mesh of one device, `tree` itself."""
        if self.num_devices == 1:
            return tree

        def shard(a):
            if a is None or getattr(a, "ndim", 0) == 0:
                return a
            return jax.lax.with_sharding_constraint(a, self._sharded)

        return jax.tree_util.tree_map(shard, tree)

    def keep_whole(self, a):
        """Inside a traced step: `a` (row indices, say) held whole on every device, so that the
        sharding of the batch it selects does not propagate back into it."""
        if self.num_devices == 1:
            return a
        return jax.lax.with_sharding_constraint(a, self._replicated)

    def global_rows(self, prepared):
        """With `per_process_data`: the prepared training data of this process made into arrays
        that hold every process's rows (sharded by process over the mesh), and their total count.

        Raises:
            ValueError: the processes hold different numbers of rows.
        """
        from jax.experimental import multihost_utils

        counts = np.asarray(multihost_utils.process_allgather(np.asarray([prepared.n], np.int64))).reshape(-1)
        if len(set(counts.tolist())) != 1:
            raise ValueError(
                "With per_process_data=True every process must pass the same number of training rows. "
                f"Received: rows per process {counts.tolist()}"
            )
        devices = [d for d in self.devices if d.process_index == jax.process_index()]
        if len(devices) * jax.process_count() != self.num_devices:
            raise ValueError(
                "per_process_data=True needs the same number of devices in every process. "
                f"Received: {len(devices)} of {self.num_devices} devices in process {jax.process_index()}"
            )
        sharding = NamedSharding(self.mesh, PartitionSpec(BATCH_AXIS))

        def make(a):
            return None if a is None else jax.make_array_from_process_local_data(sharding, np.ascontiguousarray(a))

        prepared.x = jax.tree_util.tree_map(make, prepared.x)
        prepared.y = None if prepared.y is None else [make(a) for a in prepared.y]
        prepared.sample_weight = make(prepared.sample_weight)
        prepared.n = int(counts.sum())
        return prepared

    def replicate(self, tree):
        """`tree`'s arrays copied to every device of the mesh (a mesh of one: unchanged)."""
        if self.num_devices == 1:
            return tree
        return jax.device_put(tree, self._replicated)

    def __repr__(self) -> str:
        return f"DataParallel(devices={[str(d) for d in self.devices]})"


def initialize(
    coordinator_address: str | None = None, num_processes: int | None = None, process_id: int | None = None
) -> None:
    """Joins this process to a multi-process run through `jax.distributed.initialize`.

    Call it first, before any array is made. Each argument left None is read from the
    environment (`JAX_COORDINATOR_ADDRESS`, `JAX_NUM_PROCESSES`, `JAX_PROCESS_ID`), or left to JAX's
    own cluster detection (SLURM, Open MPI, cloud TPU). On CPU, collectives go through gloo.
    Afterwards `jax.devices()` lists the devices of every process, and `DataParallel()` over
    them trains one model across the processes: each process passes the same arrays to `fit`,
    and computes the rows of every batch that fall on its own devices.

    Raises:
        ValueError: a process count or id that is not a whole number, or an id outside the count.
    """
    coordinator_address = coordinator_address or os.environ.get("JAX_COORDINATOR_ADDRESS")
    num_processes = _whole("num_processes", num_processes, "JAX_NUM_PROCESSES")
    process_id = _whole("process_id", process_id, "JAX_PROCESS_ID")
    if num_processes is not None and process_id is not None and not 0 <= process_id < num_processes:
        raise ValueError(
            f"process_id must be in [0, num_processes). Received: process_id={process_id}, num_processes={num_processes}"
        )
    if jax.config.jax_platforms in (None, "", "cpu") or str(jax.config.jax_platforms).startswith("cpu"):
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(
        coordinator_address=coordinator_address, num_processes=num_processes, process_id=process_id
    )


def _whole(name: str, value: Any, variable: str) -> int | None:
    if value is None:
        value = os.environ.get(variable)
        if value is None:
            return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a whole number. Received: {name}={value!r}") from None
    if number < 0:
        raise ValueError(f"{name} must be non-negative. Received: {name}={value!r}")
    return number


_current: list[DataParallel | None] = [None]


def set_distribution(value: DataParallel | None) -> None:
    """Makes `value` the distribution of models compiled from now on (None: one device).

    Raises:
        TypeError: `value` is neither a `DataParallel` nor None.
    """
    if value is not None and not isinstance(value, DataParallel):
        raise TypeError(f"set_distribution expects a DataParallel or None. Received: {type(value).__name__}")
    _current[0] = value


def distribution() -> DataParallel | None:
    """The distribution set by `set_distribution` or an active strategy scope (None: one device)."""
    return _current[0]


@contextlib.contextmanager
def scope(value: DataParallel) -> Iterator[DataParallel]:
    """Sets `value` for the duration of a `with` block (what a strategy's `scope()` does)."""
    previous = _current[0]
    set_distribution(value)
    try:
        yield value
    finally:
        _current[0] = previous


__all__ = ["DataParallel", "initialize", "set_distribution", "distribution", "scope"]
