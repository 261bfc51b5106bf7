"""Preprocessing layers: image rescaling/resizing/cropping and the random augmentations (active in
training only) against Keras 3, and TextVectorization (standardize, split, n-grams, max_tokens,
output modes, adapt, vocabulary save/load) on host-side strings."""

import keras
import numpy as np
import pytest

from jeras import keras as jk
from jeras import layers
from jeras.backend import StatelessScope


@pytest.mark.parametrize(
    ("name", "args", "kwargs"),
    [
        ("Rescaling", (1 / 255,), {"offset": -0.5}),
        ("Resizing", (4, 6), {}),
        ("Resizing", (4, 4), {"interpolation": "nearest", "crop_to_aspect_ratio": True}),
        ("CenterCrop", (3, 4), {}),
    ],
)
def test_image_layers_match_keras3(name, args, kwargs, rng):
    x = (rng.random((2, 7, 9, 3)) * 255).astype(np.float32)
    expected = getattr(keras.layers, name)(*args, **kwargs)(x)
    ours = getattr(layers, name)(*args, **kwargs)
    np.testing.assert_allclose(ours(x), expected, rtol=1e-4, atol=1e-3)
    assert layers.deserialize(layers.serialize(ours)).get_config() == ours.get_config()


@pytest.mark.parametrize("make", [lambda: layers.RandomFlip(seed=1), lambda: layers.RandomContrast(0.5, seed=1)])
def test_augmentations_act_only_in_training(make, rng):
    layer = make()
    x = rng.random((16, 5, 5, 3)).astype(np.float32)
    np.testing.assert_array_equal(layer(x), x)
    out = np.asarray(layer(x, training=True))
    changed = ~np.all(np.isclose(out, x), axis=(1, 2, 3))
    assert 0 < changed.sum() < 16 or isinstance(layer, layers.RandomContrast)
    np.testing.assert_allclose(out.mean(axis=(1, 2)), x.mean(axis=(1, 2)), rtol=1e-4, atol=1e-5)
    with StatelessScope(rng=np.array([0, 7], np.uint32)):
        a = np.asarray(layer(x, training=True))
    with StatelessScope(rng=np.array([0, 7], np.uint32)):
        np.testing.assert_array_equal(layer(x, training=True), a)  # the model's RNG decides


def test_random_flip_modes_flip_whole_images(rng):
    x = rng.random((32, 4, 4, 1)).astype(np.float32)
    out = np.asarray(layers.RandomFlip("horizontal", seed=0)(x, training=True))
    for got, image in zip(out, x):
        assert np.array_equal(got, image) or np.array_equal(got, image[:, ::-1])


def test_augmentation_in_a_fitted_cnn(rng):
    x = rng.random((32, 8, 8, 1)).astype(np.float32)
    y = (x.mean(axis=(1, 2, 3)) > 0.5).astype(np.int32)
    model = jk.Sequential(
        [
            jk.layers.InputLayer(input_shape=(8, 8, 1)),
            jk.layers.RandomFlip("horizontal"),
            jk.layers.RandomContrast(0.2),
            jk.layers.Rescaling(2.0, offset=-1.0),
            jk.layers.Conv2D(2, 3),
            jk.layers.GlobalAveragePooling2D(),
            jk.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))


TEXTS = ["The cat sat on the mat.", "The dog sat!", "A cat, a dog; the END"]


def test_text_vectorization_int_mode_and_adapt():
    vectorize = layers.TextVectorization(output_sequence_length=5)
    vectorize.adapt(TEXTS)
    vocab = vectorize.get_vocabulary()
    # "the" x4, then the tokens seen twice in order of first appearance.
    assert vocab[:7] == ["", "[UNK]", "the", "cat", "sat", "dog", "a"]
    out = np.asarray(vectorize(["the bird sat", "a b c d e f g"]))
    assert out.dtype == np.int32 and out.shape == (2, 5)
    assert out[0].tolist() == [2, 1, vocab.index("sat"), 0, 0] and out[1, 0] == vocab.index("a")
    assert vectorize(np.array([b"The cat"], dtype=object)).shape == (1, 5)


def test_text_vectorization_modes_and_options():
    small = layers.TextVectorization(max_tokens=4)
    small.adapt(TEXTS)
    assert small.vocabulary_size() == 4 and small.get_vocabulary(include_special_tokens=False)[0] == "the"
    bigrams = layers.TextVectorization(ngrams=2, standardize="lower", split="whitespace")
    bigrams.adapt(["a b a b"])
    assert "a b" in bigrams.get_vocabulary() and "b a" in bigrams.get_vocabulary()
    chars = layers.TextVectorization(split="character", standardize=None)
    chars.adapt(["abca"])
    assert chars.get_vocabulary()[2] == "a"
    multi = layers.TextVectorization(output_mode="multi_hot")
    multi.adapt(TEXTS)
    vocab = multi.get_vocabulary()
    row = np.asarray(multi(["the the zebra"]))[0]
    assert row.shape == (len(vocab),) and row[vocab.index("the")] == 1 and row[0] == 1 and row.sum() == 2
    count = layers.TextVectorization(output_mode="count", vocabulary=vocab[1:])
    assert np.asarray(count(["the the zebra"]))[0, vocab.index("the")] == 2
    tfidf = layers.TextVectorization(output_mode="tf_idf")
    tfidf.adapt(TEXTS)
    out = np.asarray(tfidf(["the the cat"]))[0]
    tv = tfidf.get_vocabulary()
    np.testing.assert_allclose(out[tv.index("the")], 2 * np.log(1 + 3 / (1 + 3)), rtol=1e-6)
    np.testing.assert_allclose(out[tv.index("cat")], np.log(1 + 3 / (1 + 2)), rtol=1e-6)


def test_text_vectorization_vocabulary_save_load_and_config(tmp_path):
    vectorize = layers.TextVectorization(max_tokens=20, output_sequence_length=6)
    vectorize.adapt(TEXTS)
    path = tmp_path / "vocab.txt"
    vectorize.save_vocabulary(str(path))
    loaded = layers.TextVectorization(output_sequence_length=6, vocabulary=str(path))
    np.testing.assert_array_equal(loaded(TEXTS), vectorize(TEXTS))
    restored = layers.deserialize(layers.serialize(vectorize))
    assert restored.get_vocabulary() == vectorize.get_vocabulary()
    np.testing.assert_array_equal(restored(TEXTS), vectorize(TEXTS))
    model = jk.Sequential([jk.layers.Embedding(20, 4), jk.layers.GlobalAveragePooling1D(), jk.layers.Dense(1)])
    model.build((None, 6))
    model.save(tmp_path / "text.keras")
    np.testing.assert_allclose(
        jk.models.load_model(tmp_path / "text.keras")(restored(TEXTS)), model(vectorize(TEXTS)), rtol=1e-6
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"output_mode": "binary"}, "Received: output_mode='binary'"),
        ({"standardize": "upper"}, "Received: standardize='upper'"),
        ({"split": "comma"}, "Received: split='comma'"),
        ({"max_tokens": 2}, "Received: max_tokens=2"),
        ({"output_mode": "count", "output_sequence_length": 3}, "output_sequence_length"),
        ({"output_mode": "tf_idf", "vocabulary": ["a"]}, "idf_weights"),
        ({"vocabulary": ["a", "a"]}, "repeats"),
        ({"ngrams": 0}, "Received: ngrams=0"),
    ],
)
def test_text_vectorization_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.TextVectorization(**kwargs)


def test_image_layers_reject_bad_arguments():
    with pytest.raises(ValueError, match="Received: height=0"):
        layers.Resizing(0, 3)
    with pytest.raises(ValueError, match="Received: mode='diagonal'"):
        layers.RandomFlip("diagonal")
    with pytest.raises(ValueError, match="Received: factor=1.5"):
        layers.RandomContrast(1.5)
    with pytest.raises(ValueError, match="rank 3"):
        layers.CenterCrop(2, 2)(np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match="no vocabulary"):
        layers.TextVectorization()(["text"])
