"""jeras: a Keras-compatible deep-learning API that runs on JAX/XLA.

`from jeras import keras` gives the tf.keras paths (`keras.models.Sequential`,
`keras.layers.Dense`, `keras.optimizers.SGD`, ...); `from jeras import tf, keras` adds the part
of the TensorFlow API that tutorials call (`tf.random.set_seed`, `tf.reduce_mean`, ...).
"""

__version__ = "0.1.0"

from jeras import keras, tf  # noqa: E402

__all__ = ["__version__", "keras", "tf"]
