"""`tf.data`: jeras' host input pipeline (`jeras.data.Dataset`), which `fit` streams from.

See docs/architecture.md, "Streaming input". The pipeline runs NumPy on the host; `map`
functions receive NumPy arrays (or tuples/dicts of them), not graph tensors.
"""

from types import SimpleNamespace

from jeras.data import AUTOTUNE, INFINITE, UNKNOWN, Dataset

INFINITE_CARDINALITY = INFINITE
UNKNOWN_CARDINALITY = UNKNOWN
experimental = SimpleNamespace(AUTOTUNE=AUTOTUNE, INFINITE_CARDINALITY=INFINITE, UNKNOWN_CARDINALITY=UNKNOWN)
"""`tf.data.experimental.AUTOTUNE` and the cardinality constants, as older tutorials spell them."""

__all__ = ["AUTOTUNE", "Dataset", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "experimental"]
