"""`keras.mixed_precision` (docs/architecture.md, "Mixed precision")."""

from jeras.loss_scale import LossScaleOptimizer
from jeras.mixed_precision import DTypePolicy, Policy, global_policy, set_global_policy

__all__ = ["DTypePolicy", "LossScaleOptimizer", "Policy", "global_policy", "set_global_policy"]
