"""What `tf.<name>` says when jeras does not provide `<name>`: an AttributeError with what to use instead.

Each `jeras.tf` module sets `__getattr__ = unsupported_getattr("<its tf path>")`, so any name it
does not define raises an AttributeError (`hasattr` stays False) naming the TensorFlow name
and, for well-known ones, the jeras or JAX way to do the same thing. The supported names are
listed in `jeras/tf/SUPPORTED.txt`. See docs/architecture.md, "The tf namespace".
"""

from __future__ import annotations

from collections.abc import Callable

_TF1 = "it is TensorFlow 1 graph code; jeras runs TensorFlow 2 style Keras code: build a tf.keras model instead"
_CONTROL_FLOW = "write a Python loop or `if` (shapes are static in JAX), or use jax.lax.{} inside compiled code"

SUGGESTIONS = {
    "GradientTape": (
        "jeras differentiates the training step itself: override Model.train_step, or use jax.grad / "
        "jax.value_and_grad on a function of the weights"
    ),
    "gradients": "use jax.grad",
    "hessians": "use jax.hessian",
    "custom_gradient": "use jax.custom_vjp",
    "function": "jeras compiles the training step itself; decorate your own functions with jax.jit",
    "autograph": "jeras compiles the training step itself; decorate your own functions with jax.jit",
    "Variable": "create weights in a layer with self.add_weight(...), or keep a JAX array",
    "Session": _TF1,
    "placeholder": _TF1,
    "Graph": _TF1,
    "compat": _TF1,
    "global_variables_initializer": _TF1,
    "get_variable": _TF1,
    "control_dependencies": _TF1,
    "estimator": "tf.estimator is gone from TensorFlow 2.16; use a tf.keras model",
    "TensorArray": "collect the values in a Python list and tf.stack them, or use jax.lax.scan",
    "py_function": "use jax.pure_callback to call Python from compiled code",
    "numpy_function": "use jax.pure_callback to call Python from compiled code",
    "vectorized_map": "use jax.vmap",
    "map_fn": "use jax.vmap or jax.lax.map",
    "while_loop": _CONTROL_FLOW.format("while_loop"),
    "cond": _CONTROL_FLOW.format("cond"),
    "case": _CONTROL_FLOW.format("switch"),
    "switch_case": _CONTROL_FLOW.format("switch"),
    "scan": _CONTROL_FLOW.format("scan"),
    "string": "jeras.tf has no string tensors; keep text in Python lists or NumPy arrays (keras.layers.TextVectorization)",
    "dtypes.string": "jeras.tf has no string tensors; keep text in Python lists or NumPy arrays",
    "strings": "jeras.tf has no string tensors; keep text in Python lists or NumPy arrays (keras.layers.TextVectorization)",
    "io": "read and decode files with NumPy or Pillow, or keras.utils.image_dataset_from_directory",
    "image": "use the keras.layers preprocessing layers (Resizing, RandomFlip, ...) or jax.image.resize",
    "summary": "log to TensorBoard with tf.keras.callbacks.TensorBoard",
    "lite": "TensorFlow Lite conversion needs TensorFlow",
    "sparse": "JAX arrays are dense: pad sequences with keras.utils.pad_sequences",
    "SparseTensor": "JAX arrays are dense: pad sequences with keras.utils.pad_sequences",
    "ragged": "JAX arrays are dense: pad sequences with keras.utils.pad_sequences",
    "RaggedTensor": "JAX arrays are dense: pad sequences with keras.utils.pad_sequences",
    "TensorShape": "shapes are tuples of ints (x.shape)",
    "Module": "subclass tf.keras.layers.Layer or tf.keras.Model",
    "test": "check for a GPU with tf.config.list_physical_devices('GPU')",
    "errors": "catch ValueError and TypeError: jeras raises Python's own exceptions",
    "nest": "use jax.tree_util",
    "device": "JAX places arrays itself; `with jax.default_device(jax.devices('cpu')[0]):` chooses a device",
    "experimental": "use jax.numpy for NumPy-style code",
    "log": "tf.log is TensorFlow 1; use tf.math.log",
    "to_float": "tf.to_float is TensorFlow 1; use tf.cast(x, tf.float32)",
    "to_int32": "tf.to_int32 is TensorFlow 1; use tf.cast(x, tf.int32)",
    "train.Checkpoint": (
        "save with model.save_weights(prefix) or tf.keras.callbacks.ModelCheckpoint, and find the newest with "
        "tf.train.latest_checkpoint"
    ),
    "train.CheckpointManager": "use tf.keras.callbacks.ModelCheckpoint and tf.train.latest_checkpoint",
    "train.exponential_decay": "use tf.keras.optimizers.schedules.ExponentialDecay",
    "config.run_functions_eagerly": "pass run_eagerly=True to model.compile",
    "config.set_visible_devices": "choose devices before Python starts, with JAX_PLATFORMS or CUDA_VISIBLE_DEVICES",
    "config.threading": "XLA sizes its thread pools itself",
    "random.Generator": "use tf.random.set_seed with tf.random.normal/uniform, or jax.random with explicit keys",
    "random.stateless_normal": "use jax.random.normal(jax.random.key(seed), shape)",
    "random.stateless_uniform": "use jax.random.uniform(jax.random.key(seed), shape)",
}

_MODULE_DEFAULTS = {
    "": "write it with the supported tf functions, or with jax.numpy",
    "math": "write it with the supported tf.math functions, or with jax.numpy",
    "linalg": "use jax.numpy.linalg or jax.scipy.linalg",
    "nn": "use the tf.keras.layers (Conv2D, MaxPooling2D, ...) or jax.nn",
    "random": "use jax.random with explicit keys",
    "config": "JAX is configured with jax.config and environment variables",
    "config.experimental": "JAX is configured with jax.config and environment variables",
    "saved_model": "tf.saved_model.save/load write and read .keras archives; use tf.keras.models for the rest",
    "train": "use tf.keras.optimizers and tf.keras.callbacks.ModelCheckpoint",
    "dtypes": "use one of the numeric dtypes listed",
    "version": "use tf.version.VERSION",
}


def message(path: str) -> str:
    """The AttributeError message for `tf.<path>` (a dotted path below `tf`)."""
    module = path.rpartition(".")[0]
    hint = SUGGESTIONS.get(path) or _MODULE_DEFAULTS.get(module, _MODULE_DEFAULTS[""])
    return f"jeras.tf does not support tf.{path}: {hint}. The supported tf names are listed in jeras/tf/SUPPORTED.txt."


def unsupported_getattr(module: str) -> Callable[[str], object]:
    """A module `__getattr__` for the tf module at dotted path `module` (`""` for `tf` itself)."""
    python_module = "jeras.tf" + (f".{module}" if module else "")

    def __getattr__(name: str) -> object:
        if name.startswith("_"):
            raise AttributeError(f"module {python_module!r} has no attribute {name!r}")
        raise AttributeError(message(f"{module}.{name}" if module else name))

    return __getattr__
