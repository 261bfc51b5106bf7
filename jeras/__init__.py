"""jeras: a Keras-compatible deep-learning API that runs on JAX/XLA.

`from jeras import keras` gives the tf.keras paths (`keras.models.Sequential`,
`keras.layers.Dense`, `keras.optimizers.SGD`, ...).
"""

__version__ = "0.1.0"

from jeras import keras  # noqa: E402

__all__ = ["__version__", "keras"]
