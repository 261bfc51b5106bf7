"""RandomRotation, RandomZoom and RandomTranslation: identity at inference, shapes, value ranges, the
documented fill modes and interpolations, the model's RNG, and Keras 3's outputs for fixed transforms
(a range with equal ends draws the same transformation in both)."""

import keras
import numpy as np
import pytest

from jeras import keras as jk
from jeras import layers
from jeras.backend import StatelessScope

FILL_MODES = ["reflect", "wrap", "nearest", "constant"]


@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize(
    ("name", "args", "interpolation"),
    [
        ("RandomTranslation", ((0.25, 0.25), (-0.125, -0.125)), "nearest"),
        ("RandomTranslation", ((0.1, 0.1), (0.3, 0.3)), "bilinear"),
        ("RandomRotation", ((0.25, 0.25),), "nearest"),
        ("RandomRotation", ((-0.1, -0.1),), "bilinear"),
        ("RandomZoom", ((0.5, 0.5),), "nearest"),
        ("RandomZoom", ((-0.3, -0.3), (0.2, 0.2)), "bilinear"),
    ],
)
def test_fixed_transforms_match_keras3(name, args, interpolation, fill_mode, rng):
    x = rng.random((2, 8, 8, 3)).astype(np.float32)
    kwargs = {"fill_mode": fill_mode, "interpolation": interpolation, "fill_value": 0.5}
    expected = getattr(keras.layers, name)(*args, **kwargs)(x, training=True)
    layer = getattr(layers, name)(*args, seed=3, **kwargs)
    np.testing.assert_allclose(layer(x, training=True), expected, atol=1e-5)
    assert layers.deserialize(layers.serialize(layer)).get_config() == layer.get_config()


def test_fill_modes_read_as_documented():
    row = np.arange(1, 9, dtype=np.float32)
    x = np.tile(row, (8, 1))[None, :, :, None]
    shifted = {
        mode: np.asarray(layers.RandomTranslation(0, (0.25, 0.25), fill_mode=mode, fill_value=-1.0)(x, training=True))
        for mode in FILL_MODES
    }
    # Content moves two pixels right; the two columns it uncovers read outside the image.
    for mode, left in {"reflect": [2, 1], "wrap": [7, 8], "nearest": [1, 1], "constant": [-1, -1]}.items():
        np.testing.assert_array_equal(shifted[mode][0, 0, :, 0], left + list(range(1, 7)))
    turned = np.asarray(layers.RandomRotation((0.25, 0.25), interpolation="nearest")(x, training=True))
    np.testing.assert_array_equal(turned[0, :, :, 0], np.rot90(x[0, :, :, 0]))  # counter-clockwise
    half = np.asarray(layers.RandomRotation((0.5, 0.5), interpolation="nearest")(x, training=True))
    np.testing.assert_array_equal(half[0], x[0, ::-1, ::-1])


@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.RandomRotation(0.2, seed=1),
        lambda: layers.RandomZoom(0.3, seed=1),
        lambda: layers.RandomZoom((-0.2, 0.4), (0.1, 0.2), seed=1),
        lambda: layers.RandomTranslation(0.2, 0.2, seed=1),
    ],
)
def test_random_transforms_only_in_training(make, rng):
    layer = make()
    x = rng.random((16, 9, 9, 2)).astype(np.float32)
    out = layer(x)
    np.testing.assert_array_equal(out, x)
    trained = np.asarray(layer(x, training=True))
    assert trained.shape == x.shape and trained.dtype == np.float32
    assert layer(x[0], training=True).shape == x[0].shape
    # Bilinear reads of a reflected image stay within the input's range; images differ from one another.
    assert trained.min() >= x.min() - 1e-6 and trained.max() <= x.max() + 1e-6
    changes = np.abs(trained - x).mean(axis=(1, 2, 3))
    assert changes.max() > 1e-3 and len(np.unique(np.round(changes, 6))) > 8
    with StatelessScope(rng=np.array([0, 5], np.uint32)):
        a = np.asarray(layer(x, training=True))
    with StatelessScope(rng=np.array([0, 5], np.uint32)):
        np.testing.assert_array_equal(layer(x, training=True), a)


def test_constant_fill_and_zoom_out():
    x = np.ones((1, 8, 8, 1), np.float32)
    out = np.asarray(layers.RandomZoom((1.0, 1.0), fill_mode="constant", fill_value=0.0)(x, training=True))[0, :, :, 0]
    assert out[0, 0] == 0 and out[3:5, 3:5].min() == 1  # the image shrank to the middle half
    assert 0.0 <= out.min() and out.max() <= 1.0


def test_affine_augmentation_in_a_fitted_cnn(rng):
    x = rng.random((32, 8, 8, 1)).astype(np.float32)
    y = (x.mean(axis=(1, 2, 3)) > 0.5).astype(np.int32)
    model = jk.Sequential(
        [
            jk.layers.InputLayer(input_shape=(8, 8, 1)),
            jk.layers.RandomRotation(0.1),
            jk.layers.RandomZoom(0.1),
            jk.layers.RandomTranslation(0.1, 0.1),
            jk.layers.Conv2D(2, 3),
            jk.layers.GlobalAveragePooling2D(),
            jk.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: layers.RandomRotation(0.1, fill_mode="mirror"), "Received: fill_mode='mirror'"),
        (lambda: layers.RandomRotation(0.1, interpolation="bicubic"), "Received: interpolation='bicubic'"),
        (lambda: layers.RandomRotation((0.3, 0.1)), r"Received: factor=\(0.3, 0.1\)"),
        (lambda: layers.RandomRotation("big"), "Received: factor='big'"),
        (lambda: layers.RandomZoom(1.5), "Received: height_factor=1.5"),
        (lambda: layers.RandomZoom(0.1, width_factor=(0.2, -2)), r"Received: width_factor=\(0.2, -2\)"),
        (lambda: layers.RandomTranslation(0.1, None), "Received: width_factor=None"),
        (lambda: layers.RandomTranslation(0.1, 0.1, fill_value="x"), "Received: fill_value='x'"),
    ],
)
def test_bad_arguments_are_rejected(make, match):
    with pytest.raises(ValueError, match=match):
        make()
