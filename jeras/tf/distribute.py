"""`tf.distribute`: `MirroredStrategy` over `jeras.distribution` (docs/architecture.md, "Distribution")."""

from jeras.keras.distribute import MirroredStrategy, get_strategy

__all__ = ["MirroredStrategy", "get_strategy"]
