"""`.numpy()` on the arrays that eager calls return, as on tf.keras' eager tensors.

Tutorials write `model(x).numpy()`, `layer(x).numpy()` or `loss_fn(y, p).numpy()`. jeras returns
JAX arrays, which have no `numpy` method, so the concrete array class gets one (returning
`np.asarray(self)`); it is the only change jeras makes to JAX's classes, and it is made only
where JAX does not define the name itself. Traced values inside compiled code (a training step,
a `Lambda` while it is traced) are not concrete: for them `.numpy()` raises an error that says
so, as `.numpy()` fails inside a `tf.function`.
"""

from __future__ import annotations

import jax
import numpy as np


def _numpy(self) -> np.ndarray:
    """Returns the array's values as a NumPy array (tf.keras' `Tensor.numpy()`)."""
    return np.asarray(self)


def _traced_numpy(self):
    raise AttributeError(
        "`.numpy()` is not available inside compiled code (a training step, a custom train_step, or a layer "
        "being traced): the value is not computed yet. Use jax.numpy operations on it, or jax.debug.print to "
        f"see it. Received: a traced value of shape {tuple(self.shape)} and dtype {self.dtype}"
    )


def install() -> None:
    """Adds `numpy()` to JAX's concrete array class, and a clear error to its tracers (once)."""
    # The class is looked up, not made from an array: making one would start the XLA backend at
    # `import jeras`, and `jeras.distribution.initialize` must run before that.
    try:
        from jax._src.array import ArrayImpl as concrete
    except ImportError:  # a JAX that moved it: fall back to an array's class
        concrete = type(jax.numpy.zeros(()))
    if not hasattr(concrete, "numpy"):
        concrete.numpy = _numpy
    if "numpy" not in vars(jax.core.Tracer):
        jax.core.Tracer.numpy = _traced_numpy
