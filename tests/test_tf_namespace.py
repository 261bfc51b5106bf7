"""`from jeras import tf`: the TensorFlow names tutorials call, with TensorFlow 2.x semantics, over JAX."""

import pathlib
import sys
import types
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import jeras
from jeras import keras, tf

SUPPORTED = pathlib.Path(jeras.__file__).parent / "tf" / "SUPPORTED.txt"


def _exported(module, prefix="tf."):
    for name in module.__all__:
        yield prefix + name
        value = getattr(module, name)
        if isinstance(value, types.ModuleType) and value.__name__.startswith("jeras.tf."):
            yield from _exported(value, f"{prefix}{name}.")


def _resolve(dotted):
    value = tf
    for part in dotted.split(".")[1:]:
        value = getattr(value, part)
    return value


def _close(actual, expected, **kwargs):
    np.testing.assert_allclose(np.asarray(actual), expected, **{"rtol": 1e-6, "atol": 1e-6, **kwargs})


def _check_compiled(cases, **tolerance):
    """Evaluates each case's tf expression in one compiled program (as in a training step) and compares it
    with its expected value; eagerly, each function would compile on its own, which is slow."""
    got = jax.jit(lambda: [compute() for _, compute, _ in cases])()
    for (label, _, expected), value in zip(cases, got):
        _close_nested(value, expected, err_msg=label, **tolerance)


def _close_nested(value, expected, **kwargs):
    if isinstance(value, (list, tuple)):  # a function returning several arrays (unstack, top_k, ...)
        assert len(value) == len(expected), kwargs.get("err_msg")
        for v, e in zip(value, expected):
            _close_nested(v, e, **kwargs)
    else:
        _close(value, expected, **kwargs)


# --------------------------------------------------------------------------- the namespace itself


def test_tf_keras_is_the_jeras_keras_namespace():
    import jeras.tf as tf_module

    assert tf.keras is keras and tf_module is tf and jeras.tf is tf
    assert tf.keras.layers.Dense is keras.layers.Dense
    assert tf.optimizers is keras.optimizers and tf.losses is keras.losses and tf.metrics is keras.metrics
    assert tf.initializers is keras.initializers


def test_version_says_what_it_emulates():
    assert tf.__version__ == tf.version.VERSION == "2.15.0"
    assert "JAX" in tf.emulated and "2.15.0" in tf.emulated
    assert "not TensorFlow" in tf.__doc__


def test_supported_list_is_exactly_the_exported_names_and_each_resolves():
    lines = [line for line in SUPPORTED.read_text().splitlines() if line and not line.startswith("#")]
    assert lines == sorted(set(lines)), "SUPPORTED.txt must be sorted, without duplicates"
    exported = set(_exported(tf))
    assert set(lines) == exported, (
        f"missing from SUPPORTED.txt: {sorted(exported - set(lines))}; listed but not exported: "
        f"{sorted(set(lines) - exported)}"
    )
    for name in lines:
        _resolve(name)
    assert {"tf.random.set_seed", "tf.nn.relu", "tf.reduce_mean", "tf.keras", "tf.linalg.inv"} <= exported


@pytest.mark.parametrize(
    ("path", "hint"),
    [
        ("GradientTape", "train_step"),
        ("GradientTape", "jax.grad"),
        ("function", "jax.jit"),
        ("Variable", "add_weight"),
        ("Session", "TensorFlow 1"),
        ("placeholder", "TensorFlow 1"),
        ("estimator", "tf.keras model"),
        ("TensorArray", "tf.stack"),
        ("py_function", "jax.pure_callback"),
        ("string", "no string tensors"),
        ("log", "tf.math.log"),
        ("nn.conv2d", "Conv2D"),
        ("random.Generator", "set_seed"),
        ("train.Checkpoint", "latest_checkpoint"),
        ("config.run_functions_eagerly", "run_eagerly=True"),
        ("math.bessel_i0", "jax.numpy"),
        ("linalg.expm", "jax.scipy.linalg"),
        ("frobnicate", "SUPPORTED.txt"),
    ],
)
def test_unsupported_names_raise_attribute_error_saying_what_to_use(path, hint):
    *parents, name = path.split(".")
    module = tf
    for part in parents:
        module = getattr(module, part)
    with pytest.raises(AttributeError, match=f"does not support tf.{path}") as info:
        getattr(module, name)
    assert hint in str(info.value)
    assert not hasattr(module, name)


def test_private_and_dunder_lookups_get_a_plain_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute '__wrapped__'"):
        tf.__wrapped__  # noqa: B018
    with pytest.raises(AttributeError, match="has no attribute '_secret'"):
        tf.nn._secret  # noqa: B018


# --------------------------------------------------------------------------- dtypes, constant, cast


def test_dtypes_are_numpy_dtypes_usable_across_jeras():
    assert tf.float32 == np.float32 and tf.float32.name == "float32" and tf.int32 == jnp.int32
    assert tf.dtypes.float16 is tf.float16 and tf.double is tf.float64 and tf.bool == np.bool_
    assert tf.bfloat16.name == "bfloat16" and isinstance(tf.float32, tf.DType)
    assert tf.as_dtype("float32") is tf.float32 and tf.as_dtype(np.int8) == tf.int8
    assert tf.ones([2]).dtype == tf.float32
    layer = keras.layers.Dense(2, dtype=tf.float32)
    assert layer.dtype == "float32"
    assert keras.Input(shape=(3,), dtype=tf.int32).dtype == "int32"


def test_constant_converts_python_values_as_tensorflow():
    assert tf.constant(1.5).dtype == np.float32 and tf.constant(3).dtype == np.int32
    assert tf.constant(np.arange(3, dtype=np.int16)).dtype == np.int16
    assert tf.constant([[1, 2]], dtype=tf.float32).dtype == np.float32
    _close(tf.constant(7.0, shape=(2, 2)), np.full((2, 2), 7.0))
    _close(tf.constant([1, 2, 3, 4, 5, 6], shape=[2, 3]), np.arange(1, 7).reshape(2, 3))
    assert tf.is_tensor(tf.constant(1.0)) and not tf.is_tensor(1.0)
    assert isinstance(tf.constant(1.0), tf.Tensor)


def test_cast_and_convert_to_tensor():
    _close(tf.cast([1.7, -1.7, 2.5], tf.int32), [1, -1, 2])  # truncation toward zero
    assert tf.cast([1, 0], tf.bool).dtype == np.bool_
    assert tf.cast([1, 2], "float16").dtype == np.float16
    _close(tf.cast(np.array([1 + 2j], np.complex64), tf.float32), [1.0])
    assert tf.dtypes.cast(1, tf.float32).dtype == np.float32
    assert tf.convert_to_tensor([1.0, 2.0]).dtype == np.float32
    assert tf.convert_to_tensor(1, dtype_hint=tf.float32).dtype == np.float32
    assert tf.convert_to_tensor(1.5, dtype_hint=tf.int32).dtype == np.float32  # a hint never truncates
    x = jnp.ones(2)
    assert tf.convert_to_tensor(x, dtype=tf.float32) is x


def test_shape_size_rank_are_static_int32_arrays_usable_inside_jit():
    x = np.zeros((4, 3, 2), np.float32)
    shape = tf.shape(x)
    assert isinstance(shape, np.ndarray) and shape.dtype == np.int32 and shape.tolist() == [4, 3, 2]
    assert tf.size(x) == 24 and tf.rank(x) == 3 and tf.shape(x, out_type=tf.int16).dtype == np.int16

    @jax.jit
    def flatten(x):
        return tf.reshape(x, [tf.shape(x)[0], -1]) * tf.cast(tf.shape(x)[1], tf.float32)

    assert flatten(x).shape == (4, 6)


# --------------------------------------------------------------------------- math


@pytest.mark.parametrize(
    ("tf_fn", "np_fn"),
    [
        (tf.reduce_sum, np.sum),
        (tf.reduce_mean, np.mean),
        (tf.reduce_max, np.max),
        (tf.reduce_min, np.min),
        (tf.reduce_prod, np.prod),
        (tf.math.reduce_std, np.std),
        (tf.math.reduce_variance, np.var),
        (tf.reduce_logsumexp, lambda x, axis=None, keepdims=False: np.log(np.sum(np.exp(x), axis, keepdims=keepdims))),
        (
            tf.math.reduce_euclidean_norm,
            lambda x, axis=None, keepdims=False: np.sqrt(np.sum(x**2, axis, keepdims=keepdims)),
        ),
    ],
)
def test_reductions_match_numpy_with_tensorflow_defaults(tf_fn, np_fn, rng):
    x = rng.uniform(0.5, 1.5, size=(3, 4, 2)).astype(np.float32)
    _check_compiled(
        [
            ("all axes", lambda: tf_fn(x), np_fn(x)),
            ("axis 1", lambda: tf_fn(x, axis=1), np_fn(x, axis=1)),
            ("axes 0, 2", lambda: tf_fn(x, axis=[0, 2], keepdims=True), np_fn(x, axis=(0, 2), keepdims=True)),
            ("keepdims", lambda: tf_fn(x, axis=-1, keepdims=True), np_fn(x, axis=-1, keepdims=True)),
        ],
        rtol=1e-5,
    )


def test_integer_reductions_keep_integers_as_tensorflow():
    assert int(tf.reduce_mean([1, 2])) == 1 and tf.reduce_mean([1, 2]).dtype == np.int32
    _close(tf.reduce_mean([[-3, 2], [5, 6]], axis=1), [0, 5])  # truncated toward zero
    assert tf.reduce_sum(np.array([100, 100], np.int8)).dtype == np.int8
    assert bool(tf.reduce_any([False, True])) and not bool(tf.reduce_all([False, True]))


def test_argmax_argmin_reduce_axis_zero_by_default():
    x = [[1, 5], [7, 2]]
    _close(tf.argmax(x), [1, 0])
    _close(tf.argmin(x, axis=1), [0, 1])
    assert tf.math.argmax(x, axis=-1, output_type=tf.int32).dtype == np.int32
    assert tf.argmax(x).dtype == jax.dtypes.canonicalize_dtype(np.int64)


@pytest.mark.parametrize(
    ("tf_fn", "np_fn"),
    [
        (tf.abs, np.abs),
        (tf.square, np.square),
        (tf.sqrt, np.sqrt),
        (tf.exp, np.exp),
        (tf.math.log, np.log),
        (tf.math.log1p, np.log1p),
        (tf.math.expm1, np.expm1),
        (tf.math.rsqrt, lambda x: 1 / np.sqrt(x)),
        (tf.math.reciprocal, np.reciprocal),
        (tf.sign, np.sign),
        (tf.negative, np.negative),
        (tf.sin, np.sin),
        (tf.cos, np.cos),
        (tf.tan, np.tan),
        (tf.tanh, np.tanh),
        (tf.atan, np.arctan),
        (tf.floor, np.floor),
        (tf.math.ceil, np.ceil),
        (tf.round, np.round),
        (tf.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
        (tf.math.softplus, lambda x: np.log1p(np.exp(x))),
        (tf.math.log_sigmoid, lambda x: -np.log1p(np.exp(-x))),
        (tf.math.is_finite, np.isfinite),
    ],
)
def test_elementwise_math_matches_numpy(tf_fn, np_fn):
    x = np.array([0.25, 0.5, 1.5, 2.5, 3.0], np.float32)
    _close(tf_fn(x), np_fn(x), rtol=1e-5)


def test_binary_math_broadcasts_and_python_numbers_take_the_array_dtype():
    x = np.array([[1.0, -2.0], [3.0, 4.0]], np.float32)
    y = np.array([2.0, 3.0], np.float32)
    _check_compiled(
        [
            ("maximum", lambda: tf.maximum(x, 0.0), np.maximum(x, 0)),
            ("minimum", lambda: tf.minimum(x, y), np.minimum(x, y)),
            ("add", lambda: tf.add(x, y), x + y),
            ("subtract", lambda: tf.subtract(x, y), x - y),
            ("multiply", lambda: tf.multiply(x, y), x * y),
            ("divide", lambda: tf.divide(x, y), x / y),
            ("pow", lambda: tf.pow(y, 2), y**2),
            ("squared_difference", lambda: tf.math.squared_difference(x, y), (x - y) ** 2),
            ("floordiv", lambda: tf.math.floordiv(x, y), np.floor_divide(x, y)),
            ("floormod", lambda: tf.math.floormod(x, y), np.mod(x, y)),
            ("atan2", lambda: tf.atan2(y, 1.0), np.arctan2(y, 1.0)),
            ("divide_no_nan", lambda: tf.math.divide_no_nan(y, [0.0, 2.0]), [0.0, 1.5]),
            ("multiply_no_nan", lambda: tf.math.multiply_no_nan(np.float32([np.nan, 2.0]), [0.0, 2.0]), [0.0, 4.0]),
            ("greater", lambda: tf.greater(x, 1.0), x > 1),
            ("equal", lambda: tf.equal(x, 3.0), x == 3),
            ("logical_and", lambda: tf.logical_and(x > 0, x < 4), (x > 0) & (x < 4)),
            ("logical_xor", lambda: tf.math.logical_xor([True, False], [True, True]), [False, True]),
            ("add_n", lambda: tf.add_n([x, x, x]), 3 * x),
        ]
    )
    assert tf.multiply(jnp.ones(2, jnp.float16), 2.0).dtype == np.float16


def test_scans_top_k_and_counting():
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)
    # A tie with the k-th value counts as in the top k, as in TensorFlow.
    scores = np.array([[0.1, 0.5, 0.5, 0.2], [0.9, 0.05, 0.03, 0.02]], np.float32)
    _check_compiled(
        [
            ("cumsum", lambda: tf.cumsum(x, axis=1), np.cumsum(x, axis=1)),
            ("exclusive", lambda: tf.cumsum([1, 2, 3], exclusive=True), [0, 1, 3]),
            ("reverse", lambda: tf.cumsum([1, 2, 3], reverse=True), [6, 5, 3]),
            ("both", lambda: tf.math.cumsum([1, 2, 3], exclusive=True, reverse=True), [5, 3, 0]),
            ("cumprod", lambda: tf.math.cumprod([1, 2, 3], exclusive=True), [1, 1, 2]),
            ("top_k", lambda: tuple(tf.math.top_k([[1.0, 9.0, 3.0, 7.0]], k=2)), ([[9.0, 7.0]], [[1, 3]])),
            ("count_nonzero", lambda: tf.math.count_nonzero([0, 1, 2, 0]), 2),
            ("in_top_k", lambda: tf.math.in_top_k([2, 3], scores, k=1), [True, False]),
            ("out of range", lambda: tf.nn.in_top_k([0, 9], scores, k=2), [False, False]),
            (
                "confusion_matrix",
                lambda: tf.math.confusion_matrix([0, 1], [1, 1], num_classes=3, weights=[2, 3]),
                [[0, 2, 0], [0, 3, 0], [0, 0, 0]],
            ),
            ("l2_normalize", lambda: tf.math.l2_normalize([3.0, 4.0]), [0.6, 0.8]),
        ]
    )
    assert tf.math.top_k([1.0, 2.0]).indices.dtype == np.int32
    _close(tf.math.confusion_matrix([0, 1, 2, 1], [0, 2, 2, 1]), [[1, 0, 0], [0, 1, 1], [0, 0, 1]])


# --------------------------------------------------------------------------- array functions


def test_joining_and_reshaping():
    a, b = np.ones((2, 3), np.float32), np.zeros((2, 3), np.float32)
    grid = np.meshgrid([1, 2, 3], [4, 5])
    _check_compiled(
        [
            ("concat", lambda: tf.concat([a, b], axis=0), np.concatenate([a, b])),
            ("concat -1", lambda: tf.concat([a, b], -1), np.concatenate([a, b], -1)),
            ("stack", lambda: tf.stack([a, b]), np.stack([a, b])),
            ("stack -1", lambda: tf.stack([a, b], axis=-1), np.stack([a, b], -1)),
            ("unstack", lambda: tf.unstack(a, axis=1), list(a.T)),
            ("expand_dims", lambda: tf.expand_dims(a, -1), a[..., None]),
            ("squeeze", lambda: tf.squeeze(np.zeros((1, 3, 1))), np.zeros(3)),
            ("squeeze axis", lambda: tf.squeeze(np.zeros((1, 3, 1)), axis=[2]), np.zeros((1, 3))),
            ("transpose", lambda: tf.transpose(np.arange(24).reshape(2, 3, 4)), np.arange(24).reshape(2, 3, 4).T),
            (
                "perm",
                lambda: tf.transpose(np.arange(24).reshape(2, 3, 4), perm=[0, 2, 1]),
                np.arange(24).reshape(2, 3, 4).transpose(0, 2, 1),
            ),
            ("tile", lambda: tf.tile(a, [2, 1]), np.ones((4, 3))),
            ("broadcast_to", lambda: tf.broadcast_to([1.0, 2.0], [3, 2]), [[1, 2]] * 3),
            ("split sizes", lambda: tf.split(np.arange(6), [1, -1, 2]), [[0], [1, 2, 3], [4, 5]]),
            ("split", lambda: tf.split(np.arange(4), 2), [[0, 1], [2, 3]]),
            ("reverse", lambda: tf.reverse([[1, 2], [3, 4]], axis=[1]), [[2, 1], [4, 3]]),
            ("roll", lambda: tf.roll([1, 2, 3, 4], shift=1, axis=0), [4, 1, 2, 3]),
            ("repeat", lambda: tf.repeat([1, 2], 2), [1, 1, 2, 2]),
            ("slice", lambda: tf.slice(np.arange(12).reshape(3, 4), [1, 1], [2, -1]), [[5, 6, 7], [9, 10, 11]]),
            ("pad", lambda: tf.pad([[1, 2]], [[1, 0], [0, 1]]), [[0, 0, 0], [1, 2, 0]]),
            ("reflect", lambda: tf.pad([[1, 2, 3]], [[0, 0], [2, 2]], mode="REFLECT"), [[3, 2, 1, 2, 3, 2, 1]]),
            ("symmetric", lambda: tf.pad([[1, 2, 3]], [[0, 0], [1, 1]], mode="symmetric"), [[1, 1, 2, 3, 3]]),
            ("meshgrid", lambda: tf.meshgrid([1, 2, 3], [4, 5]), grid),
        ]
    )


def test_creation_functions():
    _check_compiled(
        [
            ("zeros", lambda: tf.zeros([2, 3]), np.zeros((2, 3))),
            ("fill", lambda: tf.fill([2], 5), [5, 5]),
            ("eye", lambda: tf.eye(2, 3), np.eye(2, 3)),
            ("batch eye", lambda: tf.eye(2, batch_shape=[4]), np.broadcast_to(np.eye(2), (4, 2, 2))),
            ("range", lambda: tf.range(5), np.arange(5)),
            ("range step", lambda: tf.range(2, 10, 3), [2, 5, 8]),
            ("float range", lambda: tf.range(0, 1, 0.25), [0, 0.25, 0.5, 0.75]),
            ("linspace", lambda: tf.linspace(0.0, 1.0, 5), np.linspace(0, 1, 5)),
            ("batched", lambda: tf.linspace([0.0, 10.0], [1.0, 20.0], 3, axis=1), [[0, 0.5, 1], [10, 15, 20]]),
        ]
    )
    assert tf.ones((2,), dtype=tf.int32).dtype == np.int32 and tf.zeros([2]).dtype == np.float32
    assert tf.zeros_like(np.ones((2, 2), np.int32)).dtype == np.int32
    assert tf.ones_like([1.0, 2.0], dtype=tf.int32).dtype == np.int32
    assert tf.range(5).dtype == np.int32 and tf.range(0, 1, 0.25).dtype == np.float32
    assert tf.linspace(0, 1, 3).dtype == np.float32 and tf.linalg.eye(3).dtype == np.float32


def test_one_hot_follows_tensorflow():
    _close(tf.one_hot([0, 2, 5, -1], depth=3), [[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]])
    assert tf.one_hot([1], 3).dtype == np.float32
    _close(tf.one_hot([1], 3, on_value=5, off_value=-1), [[-1, 5, -1]])
    assert tf.one_hot([1], 3, on_value=5, off_value=-1).dtype == np.int32
    assert tf.one_hot([[0, 1]], 4, axis=0).shape == (4, 1, 2)
    assert tf.one_hot(np.array([1], np.uint8), np.int64(2), dtype=tf.int32).dtype == np.int32


def test_where_clip_and_selection():
    cond = np.array([True, False, True])
    params = np.arange(12).reshape(3, 4)
    _check_compiled(
        [
            ("where", lambda: tf.where(cond, [1, 2, 3], [10, 20, 30]), [1, 20, 3]),
            ("where scalars", lambda: tf.where(cond, 1.0, 0.0), [1.0, 0.0, 1.0]),
            ("clip_by_value", lambda: tf.clip_by_value([-2.0, 0.5, 3.0], -1.0, 1.0), [-1.0, 0.5, 1.0]),
            ("clip_by_norm", lambda: tf.clip_by_norm([3.0, 4.0], 1.0), [0.6, 0.8]),
            ("under the norm", lambda: tf.clip_by_norm([0.3, 0.4], 1.0), [0.3, 0.4]),
            (
                "clip_by_global_norm",
                lambda: tf.clip_by_global_norm([np.float32([3.0]), np.float32([4.0])], 2.5),
                ([[1.5], [2.0]], 5.0),
            ),
            ("gather", lambda: tf.gather(params, [2, 0]), params[[2, 0]]),
            ("gather axis", lambda: tf.gather(params, [3, 1], axis=1), params[:, [3, 1]]),
            ("batch_dims", lambda: tf.gather(params, [[1], [0], [3]], batch_dims=1), [[1], [4], [11]]),
            ("gather_nd", lambda: tf.gather_nd(params, [[0, 1], [2, 3]]), [1, 11]),
            ("gather_nd rows", lambda: tf.gather_nd(params, [[1]]), [params[1]]),
            ("sort", lambda: tf.sort([3, 1, 2], direction="DESCENDING"), [3, 2, 1]),
            ("argsort", lambda: tf.argsort([3, 1, 2]), [1, 2, 0]),
            ("scatter update", lambda: tf.tensor_scatter_nd_update([1, 2, 3], [[0], [2]], [9, 8]), [9, 2, 8]),
            ("scatter add", lambda: tf.tensor_scatter_nd_add([1, 2, 3], [[1], [1]], [5, 5]), [1, 12, 3]),
            ("einsum", lambda: tf.einsum("ij,jk->ik", np.eye(2), [[1.0, 2.0], [3.0, 4.0]]), [[1, 2], [3, 4]]),
            ("tensordot", lambda: tf.tensordot(np.ones((2, 3)), np.ones((3, 4)), axes=1), np.full((2, 4), 3.0)),
            ("identity", lambda: tf.identity([1, 2]), [1, 2]),
        ]
    )
    # Value-dependent result sizes: eager only.
    _close(tf.where([[True, False], [False, True]]), [[0, 0], [1, 1]])
    _close(tf.boolean_mask([1, 2, 3], [True, False, True]), [1, 3])
    _close(tf.boolean_mask(params, [True, False, True]), params[[0, 2]])


# --------------------------------------------------------------------------- nn


def test_nn_activations_follow_tensorflow_defaults():
    from scipy.special import erf

    x = np.array([-3.0, -0.5, 0.0, 0.5, 7.0], np.float32)
    logits = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]], np.float32)
    soft = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    scale, alpha = 1.0507009873554805, 1.6732632423543772
    _check_compiled(
        [
            ("relu", lambda: tf.nn.relu(x), np.maximum(x, 0)),
            ("relu6", lambda: tf.nn.relu6(x), np.clip(x, 0, 6)),
            # TensorFlow's default alpha is 0.2 (Keras' LeakyReLU layer uses 0.3).
            ("leaky_relu", lambda: tf.nn.leaky_relu(x), np.where(x > 0, x, 0.2 * x)),
            ("leaky_relu alpha", lambda: tf.nn.leaky_relu(x, alpha=0.1), np.where(x > 0, x, 0.1 * x)),
            ("elu", lambda: tf.nn.elu(x), np.where(x > 0, x, np.expm1(x))),
            ("selu", lambda: tf.nn.selu(x), scale * np.where(x > 0, x, alpha * np.expm1(x))),
            ("sigmoid", lambda: tf.nn.sigmoid(x), 1 / (1 + np.exp(-x))),
            ("tanh", lambda: tf.nn.tanh(x), np.tanh(x)),
            ("softplus", lambda: tf.nn.softplus(x), np.log1p(np.exp(x))),
            ("softsign", lambda: tf.nn.softsign(x), x / (1 + np.abs(x))),
            ("silu", lambda: tf.nn.silu(x), x / (1 + np.exp(-x))),
            ("gelu", lambda: tf.nn.gelu(x), 0.5 * x * (1 + erf(x / np.sqrt(2)))),
            ("softmax", lambda: tf.nn.softmax(logits), soft),
            ("softmax axis", lambda: tf.nn.softmax(logits, axis=0), np.exp(logits) / np.exp(logits).sum(0)),
            ("log_softmax", lambda: tf.nn.log_softmax(logits), np.log(soft)),
        ],
        rtol=1e-5,
    )
    assert tf.nn.swish is tf.nn.silu and tf.math.softmax is tf.nn.softmax


def test_nn_cross_entropies_and_statistics():
    logits = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]], np.float32)
    labels = np.array([2, 1])
    onehot = np.eye(3, dtype=np.float32)[labels]
    log_soft = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -log_soft[np.arange(2), labels]
    z = np.array([0.0, 1.0, 0.3], np.float32)
    x = np.array([-2.0, 0.5, 4.0], np.float32)
    sig = 1 / (1 + np.exp(-x))
    data = np.arange(12, dtype=np.float32).reshape(3, 4)
    mean, variance = data.mean(0), data.var(0)
    _check_compiled(
        [
            ("sparse", lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits), expected),
            ("dense", lambda: tf.nn.softmax_cross_entropy_with_logits(labels=onehot, logits=logits), expected),
            (
                "sigmoid",
                lambda: tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
                -z * np.log(sig) - (1 - z) * np.log(1 - sig),
            ),
            (
                "weighted",
                lambda: tf.nn.weighted_cross_entropy_with_logits(z, x, pos_weight=3.0),
                -3.0 * z * np.log(sig) - (1 - z) * np.log(1 - sig),
            ),
            ("moments", lambda: tf.nn.moments(data, axes=[0]), (mean, variance)),
            ("keepdims", lambda: tf.nn.moments(data, axes=[1], keepdims=True)[0], data.mean(1, keepdims=True)),
            (
                "batch_normalization",
                lambda: tf.nn.batch_normalization(data, mean, variance, 1.0, 2.0, 1e-3),
                2 * (data - mean) / np.sqrt(variance + 1e-3) + 1,
            ),
            ("l2_loss", lambda: tf.nn.l2_loss([1.0, 2.0]), 2.5),
            ("bias_add", lambda: tf.nn.bias_add(np.zeros((2, 3)), [1.0, 2.0, 3.0]), np.tile([1.0, 2.0, 3.0], (2, 1))),
            (
                "bias_add NCHW",
                lambda: tf.nn.bias_add(np.zeros((2, 3, 2, 2)), [1.0, 2.0, 3.0], data_format="NCHW"),
                np.broadcast_to(np.float32([1, 2, 3])[:, None, None], (2, 3, 2, 2)),
            ),
            ("embedding_lookup", lambda: tf.nn.embedding_lookup(data, [2, 0]), data[[2, 0]]),
            ("average loss", lambda: tf.nn.compute_average_loss([1.0, 2.0, 3.0], global_batch_size=6), 1.0),
        ],
        rtol=1e-5,
    )


def test_dropout_scales_kept_values_and_repeats_after_set_seed():
    x = np.ones((200, 50), np.float32)
    tf.random.set_seed(0)
    dropped = np.asarray(tf.nn.dropout(x, rate=0.4))
    assert set(np.unique(dropped)) == {0.0, np.float32(1 / 0.6)}
    assert abs((dropped == 0).mean() - 0.4) < 0.02
    tf.random.set_seed(0)
    np.testing.assert_array_equal(tf.nn.dropout(x, rate=0.4), dropped)
    _close(tf.nn.dropout(x, rate=0.0), x)
    column = np.asarray(tf.nn.dropout(x, 0.5, noise_shape=[1, 50]))
    assert (column == column[:1]).all()


# --------------------------------------------------------------------------- linalg


def test_linalg_matches_numpy(rng):
    a = rng.normal(size=(2, 3, 3)).astype(np.float32) + 3 * np.eye(3, dtype=np.float32)
    b = rng.normal(size=(2, 3, 2)).astype(np.float32)
    spd = a @ np.swapaxes(a, -1, -2)
    lower = np.tril(a)

    @jax.jit  # one compiled program for the decompositions (each would compile on its own eagerly)
    def results(a, b, spd, lower):
        s, u, v = tf.linalg.svd(a)
        q, r = tf.linalg.qr(a)
        return {
            "matmul": tf.matmul(a, b),
            "matmul_ta": tf.linalg.matmul(b, a, transpose_a=True),
            "matmul_tb": tf.matmul(a, a, transpose_b=True),
            "matmul_adj": tf.matmul(a, a, adjoint_a=True),
            "matvec": tf.linalg.matvec(a, b[..., 0]),
            "inv": tf.linalg.inv(a),
            "det": tf.linalg.det(a),
            "slogdet": tf.linalg.slogdet(a)[1],
            "logdet": tf.linalg.logdet(spd),
            "solve": tf.linalg.solve(a, b),
            "cholesky": tf.linalg.cholesky(spd),
            "triangular_solve": tf.linalg.triangular_solve(lower, b),
            "qr": tf.matmul(q, r),
            "svd": tf.matmul(u * s[..., None, :], v, adjoint_b=True),
            "singular_values": tf.linalg.svd(a, compute_uv=False),
            "eigh": tf.linalg.eigh(spd)[0],
            "eigvalsh": tf.linalg.eigvalsh(spd),
            "pinv": tf.linalg.pinv(a[0]),
        }

    got = results(a, b, spd, lower)
    chol = np.asarray(got["cholesky"])
    expected = {
        "matmul": a @ b,
        "matmul_ta": np.swapaxes(b, -1, -2) @ a,
        "matmul_tb": spd,
        "matmul_adj": np.swapaxes(a, -1, -2) @ a,
        "matvec": (a @ b[..., :1])[..., 0],
        "inv": np.linalg.inv(a),
        "det": np.linalg.det(a),
        "slogdet": np.linalg.slogdet(a)[1],
        "logdet": np.linalg.slogdet(spd)[1],
        "solve": np.linalg.solve(a, b),
        "cholesky": np.linalg.cholesky(spd),
        "triangular_solve": np.linalg.solve(lower, b),
        "qr": a,
        "svd": a,
        "singular_values": np.linalg.svd(a, compute_uv=False),
        "eigh": np.linalg.eigvalsh(spd),
        "eigvalsh": np.linalg.eigvalsh(spd),
        "pinv": np.linalg.pinv(a[0]),
    }
    for key, value in expected.items():
        _close(got[key], value, rtol=1e-4, atol=1e-4, err_msg=key)
    assert np.allclose(np.triu(chol, 1), 0)
    _close(tf.linalg.inv(a), np.linalg.inv(a), rtol=1e-4, atol=1e-5)  # and eagerly
    _close(tf.linalg.trace(a), np.trace(a, axis1=-2, axis2=-1), rtol=1e-5)
    _close(tf.linalg.diag([[1.0, 2.0]]), [[[1, 0], [0, 2]]])
    _close(tf.linalg.diag([1.0, 2.0], k=1), np.diag([1.0, 2.0], k=1))
    _close(tf.linalg.diag_part(a), np.diagonal(a, axis1=-2, axis2=-1))
    _close(tf.linalg.band_part(np.ones((3, 3)), -1, 0), np.tril(np.ones((3, 3))))
    _close(tf.linalg.band_part(np.ones((3, 3)), 0, 1), np.triu(np.tril(np.ones((3, 3)), 1)))
    _close(tf.linalg.matrix_transpose(b), np.swapaxes(b, -1, -2))
    _close(tf.linalg.adjoint(b), np.swapaxes(b, -1, -2))
    _close(tf.linalg.cross([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]), [0, 0, 1])
    _close(tf.norm(a), np.linalg.norm(a.reshape(-1)), rtol=1e-5)
    _close(tf.norm(a, axis=-1), np.linalg.norm(a, axis=-1), rtol=1e-5)
    _close(tf.norm(a, ord=1, axis=-1), np.abs(a).sum(-1), rtol=1e-5)
    _close(tf.linalg.norm(a, ord="fro", axis=[-2, -1]), np.linalg.norm(a, "fro", axis=(-2, -1)), rtol=1e-5)
    assert tf.norm(a, keepdims=True).shape == (1, 1, 1)
    _close(tf.linalg.global_norm([np.float32([3.0]), np.float32([[4.0]])]), 5.0)


# --------------------------------------------------------------------------- compiled code and gradients


def test_functions_run_inside_jit_and_differentiate():
    def loss(w, x):
        y = tf.matmul(x, w)
        error = tf.where(tf.abs(y) < 1.0, tf.square(y) / 2, tf.abs(y) - 0.5)
        penalty = tf.reduce_sum(tf.clip_by_norm(w, 1.0)) + tf.linalg.global_norm([w * 0.0])
        return tf.reduce_mean(error) + tf.nn.l2_loss(tf.nn.relu(w)) + penalty

    w = np.array([[0.5], [-2.0]], np.float32)
    x = np.array([[1.0, 2.0], [0.1, 0.2]], np.float32)
    _close(jax.jit(loss)(w, x), loss(w, x), rtol=1e-6)
    grad = jax.jit(jax.grad(loss))(w, x)
    assert np.isfinite(np.asarray(grad)).all()  # safe square roots: no NaN at a zero norm
    check_grads(jax.jit(lambda w: tf.reduce_mean(tf.nn.softplus(tf.matmul(x, w)))), (w,), order=1, modes=["rev"])


class TfDense(keras.layers.Layer):
    """The subclassing guide's layer: weights from add_weight, `call` in tf math."""

    def __init__(self, units, activation=None):
        super().__init__()
        self.units = units
        self.activation = activation

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return self.activation(tf.matmul(inputs, self.w) + self.b)


def test_a_custom_layer_and_activation_in_tf_math_run_in_a_compiled_fit():
    def scaled_swish(z):
        return 1.5 * z * tf.sigmoid(z)

    model = keras.Sequential([keras.Input((3,)), TfDense(4, activation=scaled_swish), keras.layers.Dense(1)])
    with pytest.warns(DeprecationWarning, match="tf.keras.optimizers.SGD"):
        optimizer = tf.train.GradientDescentOptimizer(0.01)
    model.compile(optimizer=optimizer, loss="mse")
    x = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
    before = np.asarray(model.layers[0].w)
    history = model.fit(x, x[:, :1], epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0]) and model.optimizer.iterations == 1
    assert not np.array_equal(np.asarray(model.layers[0].w), before)  # the weights read in tf.matmul trained
    hidden = x @ np.asarray(model.layers[0].w) + np.asarray(model.layers[0].b)
    expected = (1.5 * hidden / (1 + np.exp(-hidden))) @ np.asarray(model.layers[1].kernel) + np.asarray(
        model.layers[1].bias
    )
    _close(model.predict(x, verbose=0), expected, rtol=1e-5)


def test_print_writes_to_stderr_eagerly_and_inside_jit(capsys):
    tf.print("values:", tf.constant([1, 2, 3]))
    jax.jit(lambda v: tf.print("traced", v, output_stream=sys.stdout))(jnp.float32(2.5))
    jax.effects_barrier()
    captured = capsys.readouterr()
    assert "values: [1 2 3]" in captured.err
    assert "traced 2.5" in captured.out


# --------------------------------------------------------------------------- random


def test_random_draws_have_the_asked_distribution_and_dtype():
    tf.random.set_seed(1)

    @jax.jit  # eagerly each sampler compiles on its own; the draws are the same either way
    def draws():
        return {
            "normal": tf.random.normal([4000], mean=2.0, stddev=0.5),
            "uniform": tf.random.uniform([4000], minval=-1.0, maxval=3.0),
            "ints": tf.random.uniform([4000], minval=2, maxval=5, dtype=tf.int32),
            "cut": tf.random.truncated_normal([4000], stddev=2.0),
            "half": tf.random.normal([2], dtype=tf.float16),
            "categorical": tf.random.categorical(np.log([[0.01, 0.99], [0.99, 0.01]]), 50),
            "shuffled": tf.random.shuffle(np.arange(10)),
        }

    got = {key: np.asarray(value) for key, value in draws().items()}
    normal, uniform, ints = got["normal"], got["uniform"], got["ints"]
    assert normal.dtype == np.float32 and abs(normal.mean() - 2.0) < 0.03 and abs(normal.std() - 0.5) < 0.03
    assert uniform.min() >= -1.0 and uniform.max() < 3.0 and abs(uniform.mean() - 1.0) < 0.1
    assert ints.dtype == np.int32 and set(np.unique(ints)) == {2, 3, 4}
    assert np.abs(got["cut"]).max() <= 4.0 and got["half"].dtype == np.float16
    samples = got["categorical"]
    assert samples.shape == (2, 50) and samples[0].mean() > 0.8 and samples[1].mean() < 0.2
    assert sorted(got["shuffled"]) == list(range(10))


def test_random_calls_differ_and_repeat_after_set_seed_including_op_seeds():
    tf.random.set_seed(3)
    draws = [np.asarray(tf.random.normal([3])), np.asarray(tf.random.normal([3]))]
    seeded = [np.asarray(tf.random.uniform([3], seed=1)), np.asarray(tf.random.uniform([3], seed=1))]
    assert not np.array_equal(draws[0], draws[1]) and not np.array_equal(seeded[0], seeded[1])
    tf.random.set_seed(3)
    np.testing.assert_array_equal(tf.random.normal([3]), draws[0])
    np.testing.assert_array_equal(tf.random.normal([3]), draws[1])
    np.testing.assert_array_equal(tf.random.uniform([3], seed=1), seeded[0])
    keras.utils.set_random_seed(3)  # the same global seed: tf.random repeats after either function
    np.testing.assert_array_equal(tf.random.normal([3]), draws[0])


def test_random_inside_a_training_step_uses_the_step_key():
    key = jax.random.PRNGKey(5)
    with jeras.backend.StatelessScope(rng=key):
        first, second = tf.random.normal([2]), tf.random.normal([2])
    with jeras.backend.StatelessScope(rng=key) as scope:
        expected = jax.random.normal(scope.next_key(), (2,))
    np.testing.assert_array_equal(first, expected)
    assert not np.array_equal(first, second)


# --------------------------------------------------------------------------- config


def test_config_lists_jax_devices_with_tensorflow_names():
    devices = tf.config.list_physical_devices()
    assert devices and all(d.name.startswith("/physical_device:") for d in devices)
    cpus = tf.config.list_physical_devices("CPU")
    assert cpus[0].name == "/physical_device:CPU:0" and cpus[0].device_type == "CPU"
    assert tf.config.list_physical_devices("cpu") == cpus
    expected_gpus = sum(d.platform in ("gpu", "cuda", "rocm") for d in jax.devices())
    assert len(tf.config.list_physical_devices("GPU")) == expected_gpus
    assert tf.config.experimental.list_physical_devices("CPU") == cpus
    assert tf.config.list_logical_devices("CPU")[0].name == "/device:CPU:0"
    assert tf.config.get_visible_devices() == devices
    with pytest.warns(UserWarning, match="XLA_PYTHON_CLIENT_PREALLOCATE"):
        tf.config.experimental.set_memory_growth(devices[0], True)


# --------------------------------------------------------------------------- saved_model, train


def test_saved_model_save_and_load_round_trip_a_keras_archive(tmp_path):
    model = keras.Sequential([keras.layers.Dense(3, activation="relu", input_shape=[4]), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    export_dir = tmp_path / "exported"
    tf.saved_model.save(model, str(export_dir))
    assert (export_dir / "model.keras").is_file()
    restored = tf.saved_model.load(export_dir)
    _close(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    compiled = tf.saved_model.load(export_dir, compile=True)
    assert compiled.optimizer is not None
    assert keras.models.load_model(export_dir).count_params() == model.count_params()
    with pytest.raises(ValueError, match="signatures"):
        tf.saved_model.save(model, str(tmp_path / "other"), signatures={"serving_default": None})
    with pytest.raises(TypeError, match="Keras models only"):
        tf.saved_model.save(object(), str(tmp_path / "other"))
    (tmp_path / "file.keras").write_bytes(b"")
    with pytest.raises(ValueError, match="is a file"):
        tf.saved_model.load(tmp_path / "file.keras")


@pytest.mark.parametrize(
    ("make", "cls", "config"),
    [
        (lambda: tf.train.AdamOptimizer(0.01), "Adam", {"learning_rate": 0.01, "epsilon": 1e-8, "beta_1": 0.9}),
        (lambda: tf.train.GradientDescentOptimizer(0.1), "SGD", {"learning_rate": 0.1, "momentum": 0.0}),
        (lambda: tf.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True), "SGD", {"momentum": 0.9, "nesterov": True}),
        (lambda: tf.train.RMSPropOptimizer(0.01, decay=0.8), "RMSprop", {"rho": 0.8, "epsilon": 1e-10}),
        (lambda: tf.train.AdagradOptimizer(0.1), "Adagrad", {"initial_accumulator_value": 0.1, "epsilon": 0.0}),
    ],
)
def test_tf1_optimizer_names_give_keras_optimizers_with_a_deprecation_warning(make, cls, config):
    with pytest.warns(DeprecationWarning, match=f"tf.keras.optimizers.{cls}"):
        optimizer = make()
    assert type(optimizer) is getattr(keras.optimizers, cls)
    settings = optimizer.get_config()
    for key, value in config.items():
        assert settings[key] == pytest.approx(value), key


def test_latest_checkpoint_is_the_jeras_one():
    assert tf.train.latest_checkpoint is jeras.saving.latest_checkpoint


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: tf.cast([1.0], "float31"), TypeError, "Received: dtype='float31'"),
        (lambda: tf.cast([1.0], "string"), TypeError, "no string tensors"),
        (lambda: tf.zeros([2], dtype="complex7"), TypeError, "Unknown dtype"),
        (lambda: tf.one_hot([1], depth=2.5), TypeError, "Received: depth=2.5"),
        (lambda: tf.one_hot([1], depth=-1), ValueError, "Received: depth=-1"),
        (lambda: tf.one_hot([1.0], depth=2), TypeError, "tf.cast\\(indices, tf.int32\\)"),
        (lambda: tf.constant([1, 2, 3], shape=[2, 2]), ValueError, "Received: shape=\\(2, 2\\)"),
        (lambda: tf.convert_to_tensor(jnp.ones(2), dtype=tf.int32), ValueError, "use tf.cast"),
        (lambda: tf.concat("ab", axis=0), TypeError, "Received: values='ab'"),
        (lambda: tf.squeeze(np.zeros((2, 3)), axis=1), ValueError, "Received: axis=1"),
        (lambda: tf.where([True], x=[1]), ValueError, "both be given"),
        (lambda: tf.reshape(np.zeros(4), [2.5, -1]), TypeError, "Received: shape=2.5"),
        (lambda: tf.split(np.zeros(5), [2, 2]), ValueError, "add up"),
        (lambda: tf.sort([1], direction="UP"), ValueError, "Received: direction='UP'"),
        (lambda: tf.pad([[1]], [[0, 0], [1, 1]], mode="WRAP"), ValueError, "Received: mode='WRAP'"),
        (lambda: tf.argmax([1.0], output_type=tf.float32), TypeError, "Received: output_type"),
        (lambda: tf.add_n([]), ValueError, "Received: inputs=\\[\\]"),
        (lambda: tf.random.normal([2], dtype=tf.int32), TypeError, "float dtype"),
        (lambda: tf.random.uniform([2], dtype=tf.int32), ValueError, "maxval must be given"),
        (lambda: tf.random.normal([2], seed=-1), ValueError, "Received: seed=-1"),
        (lambda: tf.random.normal([2], seed=1.5), TypeError, "Received: seed=1.5"),
        (lambda: tf.nn.dropout([1.0], rate=1.0), ValueError, "Received: rate=1.0"),
        (lambda: tf.nn.sparse_softmax_cross_entropy_with_logits([1.0], [[0.0, 1.0]]), TypeError, "tf.cast"),
        (lambda: tf.math.top_k([1.0, 2.0], k=3), ValueError, "Received: k=3"),
        (lambda: tf.config.list_physical_devices(0), TypeError, "Received: device_type=0"),
        (lambda: tf.train.AdagradOptimizer(0.1, initial_accumulator_value=0.0), ValueError, "must be positive"),
        (lambda: tf.constant("text"), TypeError, "no string tensors"),
    ],
)
def test_bad_input_gets_a_clear_error_naming_the_argument(call, error, message):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(error, match=message):
            call()


def test_value_dependent_shapes_say_so_inside_jit():
    with pytest.raises(TypeError, match="tf.where\\(mask, x, 0\\)"):
        jax.jit(lambda m: tf.boolean_mask(jnp.ones(3), m))(jnp.array([True, False, True]))
    with pytest.raises(TypeError, match="known when the program is traced"):
        jax.jit(lambda n: tf.zeros([n]))(3)


def test_tf_data_and_tf_distribute_are_jeras_own():
    from jeras import data, distribution

    ds = tf.data.Dataset.from_tensor_slices((np.arange(6.0), np.arange(6))).shuffle(6, seed=0).batch(4)
    assert isinstance(ds, data.Dataset) and ds.cardinality() == 2
    assert tf.data.AUTOTUNE == tf.data.experimental.AUTOTUNE
    strategy = tf.distribute.MirroredStrategy()
    assert isinstance(strategy.distribution, distribution.DataParallel)
    assert strategy.num_replicas_in_sync == len(jax.local_devices())
