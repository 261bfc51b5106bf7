"""jeras: a Keras-compatible deep-learning API that runs on JAX/XLA."""

__version__ = "0.1.0"
