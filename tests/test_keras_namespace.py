"""`from jeras import keras` exposes the tf.keras 2.x names we claim to support, at their paths."""

import pytest

from jeras import keras

CLAIMED = {
    "": ["Input", "Model", "Sequential"],
    "models": ["Model", "Sequential"],
    "layers": ["Activation", "Dense", "Flatten", "Input", "InputLayer", "Layer", "Reshape", "serialize", "deserialize"],
    "activations": [
        "elu",
        "exponential",
        "gelu",
        "leaky_relu",
        "linear",
        "relu",
        "selu",
        "sigmoid",
        "softmax",
        "softplus",
        "softsign",
        "swish",
        "tanh",
        "get",
        "serialize",
        "deserialize",
    ],
    "initializers": [
        "Constant",
        "GlorotNormal",
        "GlorotUniform",
        "HeNormal",
        "HeUniform",
        "LecunNormal",
        "LecunUniform",
        "Ones",
        "Orthogonal",
        "RandomNormal",
        "RandomUniform",
        "TruncatedNormal",
        "VarianceScaling",
        "Zeros",
        "constant",
        "glorot_normal",
        "glorot_uniform",
        "he_normal",
        "he_uniform",
        "lecun_normal",
        "lecun_uniform",
        "ones",
        "orthogonal",
        "random_normal",
        "random_uniform",
        "truncated_normal",
        "zeros",
        "get",
    ],
    "losses": [
        "BinaryCrossentropy",
        "CategoricalCrossentropy",
        "Hinge",
        "Huber",
        "KLDivergence",
        "Loss",
        "MeanAbsoluteError",
        "MeanAbsolutePercentageError",
        "MeanSquaredError",
        "MeanSquaredLogarithmicError",
        "Poisson",
        "SparseCategoricalCrossentropy",
        "binary_crossentropy",
        "categorical_crossentropy",
        "hinge",
        "huber",
        "kl_divergence",
        "kld",
        "mae",
        "mape",
        "mean_absolute_error",
        "mean_absolute_percentage_error",
        "mean_squared_error",
        "mean_squared_logarithmic_error",
        "mse",
        "msle",
        "poisson",
        "sparse_categorical_crossentropy",
        "get",
    ],
    "metrics": [
        "AUC",
        "Accuracy",
        "BinaryAccuracy",
        "CategoricalAccuracy",
        "Mean",
        "MeanAbsoluteError",
        "MeanSquaredError",
        "Metric",
        "Precision",
        "Recall",
        "RootMeanSquaredError",
        "SparseCategoricalAccuracy",
        "SparseTopKCategoricalAccuracy",
        "Sum",
        "TopKCategoricalAccuracy",
        "binary_accuracy",
        "categorical_accuracy",
        "sparse_categorical_accuracy",
        "sparse_top_k_categorical_accuracy",
        "top_k_categorical_accuracy",
        "get",
    ],
    "optimizers": ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "Nadam", "Optimizer", "RMSprop", "get"],
    "optimizers.schedules": ["CosineDecay", "ExponentialDecay", "LearningRateSchedule", "PiecewiseConstantDecay"],
    "regularizers": ["L1", "L1L2", "L2", "Regularizer", "l1", "l1_l2", "l2"],
    "constraints": ["Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "max_norm", "non_neg", "unit_norm"],
    "callbacks": ["Callback", "History", "ProgbarLogger"],
    "backend": ["clear_session", "epsilon", "floatx", "get_value", "image_data_format", "set_floatx"],
    "utils": ["set_random_seed", "to_categorical", "custom_object_scope", "CustomObjectScope"],
}


def _module(path):
    obj = keras
    for part in filter(None, path.split(".")):
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize("path", sorted(CLAIMED))
def test_claimed_names_exist(path):
    module = _module(path)
    missing = [name for name in CLAIMED[path] if not hasattr(module, name)]
    assert not missing, f"keras.{path} lacks {missing}"


@pytest.mark.parametrize("path", sorted(p for p in CLAIMED if p))
def test_all_lists_only_real_names(path):
    module = _module(path)
    exported = getattr(module, "__all__", None)
    if exported is not None:
        assert [name for name in exported if not hasattr(module, name)] == []
