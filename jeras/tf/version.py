"""`tf.version`: the TensorFlow API version jeras emulates (`VERSION`), not an installed TensorFlow.

See docs/architecture.md, "The tf namespace".
"""

from jeras.tf._unsupported import unsupported_getattr

VERSION = "2.15.0"
"""The TensorFlow release whose tf.keras 2.x API (and the tf functions tutorials call) jeras follows."""

__getattr__ = unsupported_getattr("version")

__all__ = ["VERSION"]
