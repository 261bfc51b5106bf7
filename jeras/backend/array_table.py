"""Values filed beside JAX arrays, under the array's identity.

JAX arrays and tracers cannot carry attributes (tf.keras hung `_keras_mask` and `_keras_logits`
on its tensors), so information that travels with an array — the timestep mask of a layer's
output (`jeras.layers.mask_table`), the logits of a softmax or sigmoid output
(`jeras.activations.logits_of`) — is filed in an `ArrayTable` instead. An entry is dropped as
soon as its array is garbage-collected (a weak reference), so nothing outlives a trace, and an
entry is only found for the very object it was filed under: a new array made from it (a cast,
a reshape) has no entry.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import jax


class ArrayTable:
    """A table of values keyed by the identity of JAX arrays (concrete or traced)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries: dict[int, tuple[weakref.ref, Any]] = {}

    def _forget(self, key: int):
        def callback(ref) -> None:
            with self._lock:
                entry = self._entries.get(key)
                if entry is not None and entry[0] is ref:
                    del self._entries[key]

        return callback

    def attach(self, x, value) -> None:
        """Files `value` under array `x` (None clears it); objects that are not arrays are ignored."""
        if not isinstance(x, (jax.Array, jax.core.Tracer)):
            return
        key = id(x)
        with self._lock:
            if value is None:
                self._entries.pop(key, None)
                return
            self._entries[key] = (weakref.ref(x, self._forget(key)), value)

    def get(self, x):
        """The value filed under array `x`, or None."""
        entry = self._entries.get(id(x))
        if entry is None or entry[0]() is not x:
            return None
        return entry[1]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
