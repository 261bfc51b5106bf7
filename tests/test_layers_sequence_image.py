"""Transposed, depthwise and separable convolutions, spatial dropout, upsampling/padding/cropping,
Dot, RepeatVector, Permute, Attention, MultiHeadAttention and UnitNormalization: outputs against
Keras 3 with identical weights, configs, saving, argument errors and a gradient under jit."""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

from jeras import keras as jk
from jeras import layers
from jeras.backend import StatelessScope


def _compare(rng, name, args, kwargs, shapes, tol=1e-5):
    xs = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    inputs = xs[0] if len(xs) == 1 else xs
    theirs = getattr(keras.layers, name)(*args, **kwargs)
    expected = theirs(inputs)
    if theirs.weights:
        theirs.set_weights([rng.standard_normal(w.shape).astype(np.float32) for w in theirs.get_weights()])
        expected = theirs(inputs)
    ours = getattr(layers, name)(*args, **kwargs)
    if theirs.weights:
        ours.build(shapes[0] if len(shapes) == 1 else shapes)
        ours.set_weights(theirs.get_weights())
    got = ours(inputs)
    assert tuple(got.shape) == tuple(expected.shape)
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=tol, atol=tol)
    return ours


CASES = [
    ("Conv2DTranspose", (4, 3), {"strides": 2, "padding": "same"}, [(2, 5, 6, 3)]),
    ("Conv2DTranspose", (4, 3), {"strides": 2, "output_padding": 1, "padding": "same"}, [(2, 5, 6, 3)]),
    ("Conv2DTranspose", (2, 2), {"strides": 3, "dilation_rate": 1}, [(2, 4, 4, 3)]),
    ("Conv1DTranspose", (4, 3), {"dilation_rate": 2, "activation": "relu"}, [(2, 7, 3)]),
    ("Conv1DTranspose", (4, 5), {"strides": 2}, [(2, 7, 3)]),
    ("DepthwiseConv2D", (3,), {"depth_multiplier": 2, "padding": "same"}, [(2, 7, 8, 3)]),
    ("SeparableConv2D", (4, 3), {"depth_multiplier": 2, "strides": 2}, [(2, 7, 8, 3)]),
    ("SeparableConv1D", (4, 3), {"dilation_rate": 2, "use_bias": False}, [(2, 9, 3)]),
    ("UpSampling1D", (3,), {}, [(2, 4, 3)]),
    ("UpSampling2D", ((2, 3),), {}, [(2, 4, 5, 3)]),
    ("UpSampling2D", (2,), {"interpolation": "bilinear"}, [(2, 4, 5, 3)]),
    ("ZeroPadding1D", ((1, 2),), {}, [(2, 4, 3)]),
    ("ZeroPadding2D", (((1, 0), (2, 3)),), {}, [(2, 4, 5, 3)]),
    ("Cropping1D", ((1, 2),), {}, [(2, 6, 3)]),
    ("Cropping2D", (((1, 0), (2, 1)),), {}, [(2, 4, 5, 3)]),
    ("RepeatVector", (3,), {}, [(2, 4)]),
    ("Permute", ((2, 1),), {}, [(2, 4, 3)]),
    ("Dot", (), {"axes": 1}, [(2, 4), (2, 4)]),
    ("Dot", (), {"axes": (2, 2), "normalize": True}, [(2, 3, 4), (2, 5, 4)]),
    ("Dot", (), {"axes": (1, 1)}, [(2, 3, 4), (2, 3, 5)]),
    ("UnitNormalization", (), {}, [(2, 3, 4)]),
    ("UnitNormalization", (), {"axis": [1, 2]}, [(2, 3, 4)]),
    ("Attention", (), {}, [(2, 3, 4), (2, 5, 4)]),
    ("Attention", (), {"use_scale": True, "score_mode": "concat"}, [(2, 3, 4), (2, 5, 4), (2, 5, 4)]),
]


@pytest.mark.parametrize(("name", "args", "kwargs", "shapes"), CASES, ids=[c[0] for c in CASES])
def test_matches_keras3(name, args, kwargs, shapes, rng):
    ours = _compare(rng, name, args, kwargs, shapes)
    restored = layers.deserialize(layers.serialize(ours))
    assert layers.serialize(restored)["config"] == layers.serialize(ours)["config"]


def test_attention_masks_scores_and_causal_match_keras3(rng):
    q, v = rng.standard_normal((2, 4, 3)).astype(np.float32), rng.standard_normal((2, 5, 3)).astype(np.float32)
    q_mask = np.array([[True, True, True, False], [True, True, True, True]])
    v_mask = np.array([[True, True, False, False, True], [True, True, True, True, False]])
    theirs, ours = keras.layers.Attention(), layers.Attention()
    kwargs = {"mask": [q_mask, v_mask], "return_attention_scores": True}
    for got, expected in zip(ours([q, v], **kwargs), theirs([q, v], **kwargs)):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        ours([q, q], use_causal_mask=True), theirs([q, q], use_causal_mask=True), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("kwargs", [{}, {"output_shape": 6, "use_bias": False}])
def test_multi_head_attention_matches_keras3(kwargs, rng):
    q, v = rng.standard_normal((2, 4, 8)).astype(np.float32), rng.standard_normal((2, 5, 6)).astype(np.float32)
    mask = rng.random((2, 4, 5)) > 0.3
    theirs = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, **kwargs)
    theirs(q, v)
    theirs.set_weights([rng.standard_normal(w.shape).astype(np.float32) * 0.5 for w in theirs.get_weights()])
    ours = layers.MultiHeadAttention(num_heads=2, key_dim=4, **kwargs)
    ours(q, v)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    ours.set_weights(theirs.get_weights())
    for call in (
        {},
        {"attention_mask": mask, "return_attention_scores": True},
        {"use_causal_mask": True},
    ):
        got, expected = ours(q, v, **call), theirs(q, v, **call)
        for g, e in zip(
            got if isinstance(got, list) else [got], expected if isinstance(expected, tuple) else [expected]
        ):
            np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)


def test_multi_head_attention_in_a_functional_model_with_padding_masks(tmp_path, rng):
    ids = rng.integers(1, 20, (3, 6))
    ids[0, 4:] = 0

    def build(lib, inputs):
        x = lib.layers.Embedding(20, 8, mask_zero=True)(inputs)
        x = lib.layers.MultiHeadAttention(num_heads=2, key_dim=4)(x, x)
        return lib.Model(inputs, lib.layers.GlobalAveragePooling1D()(x))

    k_model = build(keras, keras.Input((6,), dtype="int32"))
    j_model = build(jk, jk.Input((6,)))
    k_model.set_weights([rng.standard_normal(w.shape).astype(np.float32) * 0.5 for w in k_model.get_weights()])
    j_model.set_weights(k_model.get_weights())
    expected = np.asarray(k_model(ids))
    np.testing.assert_allclose(j_model(ids.astype(np.float32)), expected, rtol=1e-4, atol=1e-5)
    j_model.save(tmp_path / "mha.keras")
    restored = jk.models.load_model(tmp_path / "mha.keras")
    np.testing.assert_allclose(restored(ids.astype(np.float32)), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(("name", "shape"), [("SpatialDropout1D", (8, 5, 16)), ("SpatialDropout2D", (8, 3, 4, 16))])
def test_spatial_dropout_drops_whole_channels_only_in_training(name, shape, rng):
    layer = getattr(layers, name)(0.5, seed=1)
    x = np.ones(shape, np.float32)
    np.testing.assert_array_equal(layer(x), x)
    out = np.asarray(layer(x, training=True)).reshape(shape[0], -1, shape[-1])
    assert set(np.unique(out)) <= {0.0, 2.0}
    assert np.all(out == out[:, :1, :]) and 0 < (out == 0).mean() < 1
    assert "noise_shape" not in layer.get_config()


def test_saved_model_with_each_layer_reloads(tmp_path, rng):
    inputs = jk.Input((6, 6, 2))
    x = jk.layers.SeparableConv2D(3, 3, padding="same")(inputs)
    x = jk.layers.DepthwiseConv2D(2)(x)
    x = jk.layers.Conv2DTranspose(2, 2, strides=2)(x)
    x = jk.layers.ZeroPadding2D(1)(x)
    x = jk.layers.Cropping2D(2)(x)
    x = jk.layers.UpSampling2D()(x)
    x = jk.layers.SpatialDropout2D(0.2)(x)
    x = jk.layers.Reshape((-1, 2))(x)
    x = jk.layers.Permute((2, 1))(x)
    x = jk.layers.Conv1DTranspose(3, 2)(x)
    x = jk.layers.SeparableConv1D(2, 2)(x)
    x = jk.layers.UpSampling1D(2)(jk.layers.Cropping1D(1)(jk.layers.ZeroPadding1D(1)(x)))
    x = jk.layers.UnitNormalization()(jk.layers.Attention()([x, x]))
    vec = jk.layers.Flatten()(x)
    repeated = jk.layers.RepeatVector(2)(vec)
    outputs = jk.layers.Dot(axes=(2, 2))([repeated, repeated])
    model = jk.Model(inputs, [outputs, vec])
    data = rng.standard_normal((2, 6, 6, 2)).astype(np.float32)
    expected = [np.asarray(o) for o in model(data)]
    model.save(tmp_path / "m.keras")
    restored = jk.models.load_model(tmp_path / "m.keras")
    for got, e in zip(restored(data), expected):
        np.testing.assert_allclose(got, e, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: layers.Conv2DTranspose(-3, 2), "Received: filters=-3"),
        (lambda: layers.Conv2DTranspose(2, 2, strides=2, output_padding=2), "Received: output_padding=2"),
        (lambda: layers.SeparableConv2D(2, 3, depth_multiplier=0), "Received: depth_multiplier=0"),
        (lambda: layers.DepthwiseConv2D(3, padding="full"), "Received: padding='full'"),
        (lambda: layers.UpSampling2D(interpolation="area"), "Received: interpolation='area'"),
        (lambda: layers.ZeroPadding1D(-1), "Received: padding=-1"),
        (lambda: layers.Cropping2D(((1, 2, 3), (0, 0))), "Received: cropping="),
        (lambda: layers.RepeatVector(0), "Received: n=0"),
        (lambda: layers.Permute((1, 3)), r"Received: dims=\(1, 3\)"),
        (lambda: layers.Dot(axes="last"), "Received: axes='last'"),
        (lambda: layers.SpatialDropout1D(1.5), "Received: rate=1.5"),
        (lambda: layers.Attention(score_mode="additive"), "Received: score_mode='additive'"),
        (lambda: layers.MultiHeadAttention(0, 4), "Received: num_heads=0"),
        (lambda: layers.MultiHeadAttention(2, 4, attention_axes=(1,)), "Received: attention_axes"),
    ],
)
def test_rejects_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_rejects_bad_ranks():
    with pytest.raises(ValueError, match=r"rank 4.*Received: input_shape=\(2, 5, 3\)"):
        layers.Conv2DTranspose(2, 2)(np.zeros((2, 5, 3), np.float32))
    with pytest.raises(ValueError, match="rank 2"):
        layers.RepeatVector(2)(np.zeros((2, 3, 4), np.float32))
    with pytest.raises(ValueError, match="removes all"):
        layers.Cropping1D(3)(np.zeros((1, 5, 2), np.float32))
    with pytest.raises(ValueError, match="different sizes"):
        layers.Dot(axes=1)([np.zeros((2, 3), np.float32), np.zeros((2, 4), np.float32)])


def test_gradient_of_transposed_and_separable_convolutions_under_jit(rng):
    up, sep = layers.Conv2DTranspose(2, 3, strides=2, padding="same"), layers.SeparableConv2D(2, 3)
    x = rng.standard_normal((1, 4, 4, 2)).astype(np.float32)
    sep(up(x))
    variables = up.weights + sep.weights

    def loss(values):
        with StatelessScope(list(zip(variables, values))):
            return jnp.sum(sep(up(x)) ** 2)

    grads = jax.jit(jax.grad(loss))([v.value for v in variables])
    assert all(np.all(np.isfinite(g)) and np.any(g != 0) for g in grads)
    eps = 1e-3
    bumped = [v.value for v in variables]
    bumped[0] = bumped[0].at[0, 0, 0, 0].add(eps)
    numeric = (loss(bumped) - loss([v.value for v in variables])) / eps
    np.testing.assert_allclose(numeric, grads[0][0, 0, 0, 0], rtol=5e-2)
