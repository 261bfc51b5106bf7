"""What `keras.<module>.<name>` says when jeras lacks a tf.keras 2.x name: an AttributeError with what to use instead.

Each `jeras.keras` module sets `__getattr__ = unsupported_getattr("<its path>")`, so a name it
does not define raises an AttributeError (`hasattr` stays False). For the tf.keras 2.x public
names jeras does not provide (listed in `UNSUPPORTED`, path -> name -> reason), the message says
that the name is tf.keras' and points to what to use instead. `tests/test_tf_keras_names.py`
checks that every tf.keras 2.x public name is either provided or listed here.
"""

from __future__ import annotations

from collections.abc import Callable

_TENSOR_OPS = (
    "keras.backend's tensor functions are TensorFlow ops; write the computation with jax.numpy "
    "(`jnp.mean(x, axis=-1)`, `jnp.square`, `jnp.clip`) or with `from jeras import tf` (`tf.reduce_mean`)"
)
_TF1 = "it belongs to TensorFlow 1 graph mode (sessions, placeholders, learning phases), which jeras does not emulate"
_LATER = "not implemented in jeras yet"
_GRADIENTS = "use jax.grad, or Model.value_and_gradients inside an overridden train_step"
_STREAMING = "jeras trains on in-memory arrays until streaming input lands; pass NumPy arrays to fit"
_RANDOM = "use jax.random with a key (inside a layer, keys come from the training step)"
_FUSED_OPS = "use jax.lax (conv_general_dilated, reduce_window) or the keras.layers layer that does it"
_THRESHOLD_METRICS = "not implemented in jeras yet; keras.metrics.Precision, Recall and AUC are"

UNSUPPORTED: dict[str, dict[str, str]] = {
    "": {
        "applications": "pretrained models need downloaded weights; build the architecture with keras.layers",
        "estimator": "tf.estimator is gone from TensorFlow 2.16; use a Keras model",
        "experimental": "tf.keras.experimental (LinearModel, WideDeepModel, SequenceFeatures) is not provided; "
        "build the model with the functional API",
        "optimizers_legacy": "use keras.optimizers (the same update rules)",
        "dtensor": "jeras shards batches over a jax.sharding.Mesh of the available devices by itself",
        "export": "save the model with model.save('model.keras'); jeras has no TensorFlow SavedModel to export",
        "saving": "use keras.models.save_model and keras.models.load_model (and model.save_weights)",
    },
    "backend": {
        **{
            name: _TENSOR_OPS
            for name in (
                "batch_dot batch_normalization bias_add foldl foldr in_top_k map_fn repeat resize_images "
                "resize_volumes spatial_2d_padding spatial_3d_padding temporal_padding to_dense print_tensor "
                "is_sparse"
            ).split()
        },
        **{
            name: _FUSED_OPS
            for name in "conv1d conv2d conv2d_transpose conv3d depthwise_conv2d separable_conv2d pool2d pool3d local_conv1d local_conv2d".split()
        },
        **{
            name: _RANDOM
            for name in "dropout random_bernoulli random_binomial random_normal random_normal_variable random_uniform random_uniform_variable truncated_normal".split()
        },
        **{
            name: _TF1
            for name in (
                "function placeholder learning_phase learning_phase_scope set_learning_phase in_train_phase "
                "in_test_phase manual_variable_initialization name_scope get_uid reset_uids is_keras_tensor "
                "update update_add update_sub moving_average_update variable normalize_batch_in_training"
            ).split()
        },
        "gradients": _GRADIENTS,
        "backend": "jeras always runs on JAX; keras.backend.backend() has no TensorFlow to name",
        "set_image_data_format": "jeras uses channels_last only (image_data_format() is 'channels_last')",
        "rnn": "use keras.layers.RNN with a cell, or jax.lax.scan",
        "ctc_batch_cost": _LATER,
        "ctc_decode": _LATER,
        "ctc_label_dense_to_sparse": _LATER,
        "experimental": "keras.backend.experimental is not provided",
    },
    "callbacks": {
        "BaseLogger": "its averaging is built into fit: the epoch logs already hold the epoch means",
        "RemoteMonitor": "it posts to an HTTP server; log with CSVLogger or TensorBoard instead",
        "SidecarEvaluatorModelExport": "use ModelCheckpoint(save_best_only=True)",
        "experimental": "keras.callbacks.experimental.BackupAndRestore is keras.callbacks.BackupAndRestore",
    },
    "constraints": {
        "RadialConstraint": _LATER,
        "radial_constraint": _LATER,
    },
    "layers": {
        "AbstractRNNCell": "subclass keras.layers.Layer with a `state_size` and `call(inputs, states)`",
        "ActivityRegularization": "pass activity_regularizer= to the layer before, or call self.add_loss in a layer",
        "AdditiveAttention": _LATER + "; keras.layers.Attention and MultiHeadAttention are",
        "Conv3DTranspose": _LATER,
        "Convolution3DTranspose": _LATER,
        "ConvLSTM1D": _LATER,
        "ConvLSTM2D": _LATER,
        "ConvLSTM3D": _LATER,
        "Cropping3D": _LATER,
        "DenseFeatures": "feature columns are TensorFlow's; preprocess with keras.layers (Normalization, StringLookup, "
        "CategoryEncoding) instead",
        "DepthwiseConv1D": _LATER,
        "EinsumDense": _LATER,
        "GroupNormalization": _LATER + "; LayerNormalization and BatchNormalization are",
        "HashedCrossing": _LATER + "; Hashing and CategoryEncoding are",
        "InputSpec": "jeras checks input shapes against the model's keras.Input; layers declare none",
        "LocallyConnected1D": "removed from Keras; use Conv1D",
        "LocallyConnected2D": "removed from Keras; use Conv2D",
        "RandomBrightness": _LATER,
        "RandomCrop": _LATER + "; CenterCrop and Resizing are",
        "RandomHeight": _LATER,
        "RandomWidth": _LATER,
        "SpatialDropout3D": _LATER,
        "SpectralNormalization": _LATER,
        "StackedRNNCells": "stack recurrent layers with return_sequences=True instead",
        "UpSampling3D": _LATER,
        "Wrapper": "subclass keras.layers.Layer and hold the wrapped layer as an attribute",
        "ZeroPadding3D": _LATER,
        "experimental": "the preprocessing layers of keras.layers.experimental are in keras.layers",
    },
    "metrics": {
        **{
            name: _THRESHOLD_METRICS
            for name in (
                "FalseNegatives FalsePositives TrueNegatives TruePositives PrecisionAtRecall RecallAtPrecision "
                "SensitivityAtSpecificity SpecificityAtSensitivity"
            ).split()
        },
        **{name: _LATER for name in "IoU MeanIoU BinaryIoU OneHotIoU OneHotMeanIoU".split()},
        **{name: _LATER + "; keras.metrics.Precision and Recall are" for name in ("F1Score", "FBetaScore")},
        "R2Score": _LATER + "; keras.metrics.MeanSquaredError is",
        "experimental": "keras.metrics.experimental (PyMetric) is not provided; subclass keras.metrics.Metric",
        "MeanRelativeError": _LATER,
        "MeanTensor": "use keras.metrics.Mean, which averages into one value",
    },
    "models": {
        "experimental": "keras.models.experimental (SharpnessAwareMinimization) is not provided",
        "model_from_yaml": "removed from tf.keras 2.6 (unsafe YAML loading); use model_from_json",
    },
    "optimizers": {
        "Adafactor": _LATER,
        "Ftrl": _LATER,
        "experimental": "the optimizers of keras.optimizers.experimental are in keras.optimizers",
        "legacy": "use keras.optimizers (the same update rules; lr= still works, with a warning)",
    },
    "regularizers": {
        "OrthogonalRegularizer": _LATER,
        "orthogonal_regularizer": _LATER,
    },
    "utils": {
        **{name: _STREAMING for name in "GeneratorEnqueuer OrderedEnqueuer SequenceEnqueuer".split()},
        **{
            name: "read and write images with Pillow or matplotlib; jeras.plotting.show_images shows them"
            for name in "array_to_img img_to_array load_img save_img".split()
        },
        **{
            name: "pass custom_objects= to load_model, or use keras.utils.custom_object_scope"
            for name in (
                "get_custom_objects register_keras_serializable serialize_keras_object deserialize_keras_object "
                "get_registered_name get_registered_object"
            ).split()
        },
        "FeatureSpace": "preprocess each feature with keras.layers (Normalization, StringLookup, CategoryEncoding) "
        "and join them with keras.layers.Concatenate",
        "StepsPerExecutionTuner": "jeras compiles whole epochs (or whole fits), so there is no steps_per_execution to tune",
        "TimedThread": "use Python's threading.Timer",
        "legacy": "keras.utils.legacy (the TensorFlow 1 serialization helpers) is not provided",
        "audio_dataset_from_directory": _STREAMING,
        "split_dataset": "split arrays with sklearn.model_selection.train_test_split, or pass validation_split= to fit",
        "to_ordinal": _LATER + "; keras.utils.to_categorical is",
        "warmstart_embedding_matrix": "copy rows of the old embedding matrix into the new one with NumPy, then set_weights",
        "Progbar": "fit, evaluate and predict print their own progress bar (verbose=1)",
        "SidecarEvaluator": "evaluate checkpoints with keras.models.load_model and model.evaluate",
        "disable_interactive_logging": "pass verbose=0 to fit, evaluate and predict",
        "enable_interactive_logging": "pass verbose=1 to fit, evaluate and predict",
        "is_interactive_logging_enabled": "the progress bar follows each call's verbose argument",
        "experimental": "keras.utils.experimental (DatasetCreator) is not provided",
        "get_source_inputs": "read model.inputs of a functional model",
        "model_to_dot": "use keras.utils.plot_model, which draws the graph with matplotlib",
        "normalize": "use keras.layers.UnitNormalization, or x / np.linalg.norm(x, axis=-1, keepdims=True)",
        "timeseries_dataset_from_array": _STREAMING,
    },
}


def reason(path: str, name: str) -> str | None:
    """Why jeras lacks the tf.keras 2.x name `keras.<path>.<name>`, or None if tf.keras had no such name."""
    return UNSUPPORTED.get(path, {}).get(name)


def unsupported_getattr(path: str) -> Callable[[str], object]:
    """A module `__getattr__` raising an AttributeError that explains tf.keras 2.x names jeras lacks."""
    module = "keras" + (f".{path}" if path else "")

    def __getattr__(name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        why = reason(path, name)
        if why is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        raise AttributeError(f"{module}.{name} is a tf.keras 2.x name that jeras does not provide: {why}.")

    return __getattr__
