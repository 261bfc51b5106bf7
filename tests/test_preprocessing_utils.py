"""Host-side preprocessing utilities: pad_sequences (against Keras 3), Tokenizer (by hand, as
tf.keras 2 defines it), and image/text datasets read from small folders of real PNG, JPEG
and text files."""

import json

import keras
import numpy as np
import pytest
from PIL import Image

from jeras import keras as jk
from jeras.layers.preprocessing import Tokenizer, text_to_word_sequence, tokenizer_from_json

SEQS = [[1, 2, 3], [4, 5], [6], [], [7, 8, 9, 10, 11]]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"maxlen": 3},
        {"maxlen": 3, "padding": "post", "truncating": "post"},
        {"maxlen": 4, "truncating": "post", "value": -1},
        {"maxlen": 6, "dtype": "float32", "value": 0.5},
        {"maxlen": 1, "padding": "post"},
    ],
)
def test_pad_sequences_matches_keras3(kwargs):
    expected = keras.utils.pad_sequences(SEQS, **kwargs)
    got = jk.utils.pad_sequences(SEQS, **kwargs)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    assert jk.preprocessing.sequence.pad_sequences is jk.utils.pad_sequences


def test_pad_sequences_items_with_shape_and_strings():
    seqs = [np.ones((2, 3)), np.zeros((1, 3))]
    np.testing.assert_array_equal(
        jk.utils.pad_sequences(seqs, dtype="float32"), keras.utils.pad_sequences(seqs, dtype="float32")
    )
    words = jk.utils.pad_sequences([["a", "b"], ["c"]], dtype=object, value="")
    assert words.tolist() == [["a", "b"], ["", "c"]]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"padding": "middle"}, "Received: padding='middle'"),
        ({"truncating": "x"}, "Received: truncating='x'"),
        ({"maxlen": -2}, "Received: maxlen=-2"),
        ({"value": "pad"}, "string padding value"),
    ],
)
def test_pad_sequences_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        jk.utils.pad_sequences(SEQS, **kwargs)


TEXTS = ["The cat sat on the mat.", "The dog sat!", "A cat, a dog; the end"]


def test_tokenizer_word_index_and_sequences_as_tf_keras2():
    tok = jk.preprocessing.text.Tokenizer()
    tok.fit_on_texts(TEXTS)
    # "the" x4, then "cat", "sat", "dog", "a" x2 (first appearance breaks ties), then the rest.
    assert list(tok.word_index) == ["the", "cat", "sat", "dog", "a", "on", "mat", "end"]
    assert tok.word_index["the"] == 1 and tok.index_word[2] == "cat"
    assert tok.word_counts["the"] == 4 and tok.word_docs["dog"] == 2 and tok.document_count == 3
    assert tok.texts_to_sequences(["the bird sat on a mat"]) == [[1, 3, 6, 5, 7]]
    assert tok.sequences_to_texts([[1, 3, 6]]) == ["the sat on"]
    assert text_to_word_sequence("Hello, World!\tAgain") == ["hello", "world", "again"]


def test_tokenizer_num_words_and_oov_token():
    tok = Tokenizer(num_words=4, oov_token="<OOV>")
    tok.fit_on_texts(TEXTS)
    assert tok.word_index["<OOV>"] == 1 and tok.word_index["the"] == 2
    # Indices >= num_words (and unknown words) become the OOV index.
    assert tok.texts_to_sequences(["the cat sat bird"]) == [[2, 3, 1, 1]]
    assert tok.sequences_to_texts([[2, 3, 7]]) == ["the cat <OOV>"]


def test_tokenizer_matrices_by_hand():
    tok = Tokenizer(num_words=6)
    tok.fit_on_texts(TEXTS)
    seq = [[1, 1, 2, 9]]  # index 9 >= num_words is ignored, but counts in the length for "freq"
    np.testing.assert_array_equal(tok.sequences_to_matrix(seq, mode="binary"), [[0, 1, 1, 0, 0, 0]])
    np.testing.assert_array_equal(tok.sequences_to_matrix(seq, mode="count"), [[0, 2, 1, 0, 0, 0]])
    np.testing.assert_allclose(tok.sequences_to_matrix(seq, mode="freq"), [[0, 2 / 4, 1 / 4, 0, 0, 0]])
    tfidf = tok.sequences_to_matrix(seq, mode="tfidf")
    the_docs, cat_docs = 3, 2
    np.testing.assert_allclose(
        tfidf[0, :3], [0, (1 + np.log(2)) * np.log(1 + 3 / (1 + the_docs)), np.log(1 + 3 / (1 + cat_docs))]
    )
    assert tok.texts_to_matrix(["the the cat"], mode="count").tolist() == [[0, 2, 1, 0, 0, 0]]
    with pytest.raises(ValueError, match="Received: mode='bm25'"):
        tok.texts_to_matrix(TEXTS, mode="bm25")


def test_tokenizer_json_round_trip_and_char_level():
    tok = Tokenizer(num_words=10, oov_token="?")
    tok.fit_on_texts(TEXTS)
    restored = tokenizer_from_json(tok.to_json())
    assert restored.word_index == tok.word_index and restored.index_word == tok.index_word
    assert restored.texts_to_sequences(TEXTS) == tok.texts_to_sequences(TEXTS)
    np.testing.assert_array_equal(restored.texts_to_matrix(TEXTS, "tfidf"), tok.texts_to_matrix(TEXTS, "tfidf"))
    assert json.loads(tok.to_json())["class_name"] == "Tokenizer"
    chars = Tokenizer(char_level=True)
    chars.fit_on_texts(["abca"])
    assert chars.word_index == {"a": 1, "b": 2, "c": 3}
    with pytest.raises(ValueError, match="Received: num_words=0"):
        Tokenizer(num_words=0)
    with pytest.raises(TypeError, match="list of strings"):
        tok.fit_on_texts("one string")


# ---------------------------------------------------------------------------- datasets from directories
def _image_folder(root, rng):
    """Two classes of small real images: 3 PNG cats (lossless) and 2 JPEG dogs, one in a subfolder."""
    pixels = {}
    for name, count, ext in (("cats", 3, "png"), ("dogs", 2, "jpg")):
        (root / name / "more").mkdir(parents=True)
        for i in range(count):
            arr = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
            if ext == "jpg":  # a smooth image, which JPEG keeps close
                arr = np.broadcast_to((np.arange(8) * 30 + i * 10).astype(np.uint8)[None, :, None], (6, 8, 3)).copy()
            path = root / name / ("more" if i == 1 else "") / f"img{i}.{ext}"
            Image.fromarray(arr).save(path)
            pixels[str(path)] = arr
    (root / "cats" / "notes.txt").write_text("not an image")
    return pixels


def test_image_dataset_from_directory_reads_real_files(tmp_path, rng):
    pixels = _image_folder(tmp_path, rng)
    ds = jk.utils.image_dataset_from_directory(tmp_path, image_size=(6, 8), batch_size=2, shuffle=False)
    assert ds.class_names == ["cats", "dogs"] and len(ds) == 3
    batches = list(ds)
    images = np.concatenate([b[0] for b in batches])
    labels = np.concatenate([b[1] for b in batches])
    assert images.shape == (5, 6, 8, 3) and images.dtype == np.float32 and labels.dtype == np.int32
    assert labels.tolist() == [0, 0, 0, 1, 1]
    for path, image in zip(ds.file_paths, images):
        if path.endswith(".png"):
            np.testing.assert_array_equal(image, pixels[path])
        else:  # JPEG is lossy
            assert np.abs(image - pixels[path]).mean() < 40
    gray = jk.preprocessing.image_dataset_from_directory(
        tmp_path, color_mode="grayscale", image_size=(3, 4), label_mode="categorical", batch_size=5, shuffle=False
    )
    x, y = next(iter(gray))
    assert x.shape == (5, 3, 4, 1) and y.tolist()[0] == [1.0, 0.0]


def test_image_dataset_split_shuffle_and_modes(tmp_path, rng):
    _image_folder(tmp_path, rng)
    kwargs = {"image_size": (4, 4), "validation_split": 0.4, "seed": 3, "batch_size": 8}
    train = jk.utils.image_dataset_from_directory(tmp_path, subset="training", **kwargs)
    val = jk.utils.image_dataset_from_directory(tmp_path, subset="validation", **kwargs)
    assert len(train.file_paths) == 3 and len(val.file_paths) == 2
    assert set(train.file_paths).isdisjoint(val.file_paths)
    both = jk.utils.image_dataset_from_directory(tmp_path, subset="both", **kwargs)
    assert [d.file_paths for d in both] == [train.file_paths, val.file_paths]
    binary = jk.utils.image_dataset_from_directory(tmp_path, label_mode="binary", image_size=(4, 4), seed=1)
    _, y = next(iter(binary))
    assert y.shape == (5, 1) and y.dtype == np.float32
    images_only = jk.utils.image_dataset_from_directory(tmp_path, labels=None, image_size=(4, 4), batch_size=None)
    assert next(iter(images_only)).shape == (4, 4, 3)
    given = jk.utils.image_dataset_from_directory(tmp_path, labels=[5, 6, 7, 8, 9], image_size=(2, 2), shuffle=False)
    assert next(iter(given))[1].tolist() == [5, 6, 7, 8, 9]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"validation_split": 0.2, "subset": "training"}, "give a seed"),
        ({"validation_split": 1.5, "subset": "training", "seed": 1}, "Received: validation_split=1.5"),
        ({"subset": "training"}, "needs a validation_split"),
        ({"label_mode": "sparse"}, "Received: label_mode='sparse'"),
        ({"color_mode": "cmyk"}, "Received: color_mode='cmyk'"),
        ({"batch_size": 0}, "Received: batch_size=0"),
        ({"class_names": ["cats"]}, "class_names"),
    ],
)
def test_image_dataset_rejects_bad_arguments(tmp_path, rng, kwargs, match):
    _image_folder(tmp_path, rng)
    with pytest.raises(ValueError, match=match):
        jk.utils.image_dataset_from_directory(tmp_path, **kwargs)


def test_text_dataset_from_directory(tmp_path):
    reviews = {"neg": ["awful film", "boring and long"], "pos": ["great fun", "loved it", "a classic"]}
    for label, texts in reviews.items():
        (tmp_path / label).mkdir()
        for i, text in enumerate(texts):
            (tmp_path / label / f"{i}.txt").write_text(text, encoding="utf-8")
    ds = jk.utils.text_dataset_from_directory(tmp_path, batch_size=10, shuffle=False, max_length=6)
    texts, labels = next(iter(ds))
    assert ds.class_names == ["neg", "pos"]
    assert texts.tolist() == ["awful ", "boring", "great ", "loved ", "a clas"] and labels.tolist() == [0, 0, 1, 1, 1]
    shuffled = jk.preprocessing.text_dataset_from_directory(tmp_path, batch_size=2, seed=0)
    first, second = ([t for batch, _ in shuffled for t in batch] for _ in range(2))
    assert sorted(first) == sorted(second) == sorted(t for v in reviews.values() for t in v)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="No files"):
        jk.utils.text_dataset_from_directory(tmp_path / "empty", labels=None)
    with pytest.raises(ValueError, match="existing folder"):
        jk.utils.text_dataset_from_directory(tmp_path / "missing")
