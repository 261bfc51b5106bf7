"""StringLookup, IntegerLookup, Hashing, CategoryEncoding and Discretization against Keras 3.

Keras 3's lookup and hashing layers need TensorFlow, which is not a jeras dependency: their
outputs below were recorded from Keras 3.15.1 with TensorFlow 2.21 (the same arguments, adapt
data and inputs) and are compared exactly. CategoryEncoding and Discretization run live in Keras 3.
"""

import keras
import numpy as np
import pytest

from jeras import keras as jk
from jeras import layers

# (id, layer class, arguments, adapt data or None, inputs, Keras 3's outputs, Keras 3's get_vocabulary()).
KERAS_CASES = [
    (
        "s_vocab",
        "StringLookup",
        {"vocabulary": ["a", "b", "c"]},
        None,
        [["a", "c"], ["d", "b"]],
        [[1, 3], [0, 2]],
        ["[UNK]", "a", "b", "c"],
    ),
    (
        "s_adapt",
        "StringLookup",
        {},
        [["the", "cat", "sat"], ["the", "dog", "sat"], ["a", "cat", "the"], ["dog", "dog", "zebra"]],
        [["the", "bird", "cat", "a"], ["", "dog", "zebra", "x"]],
        [[1, 0, 4, 6], [0, 2, 5, 0]],
        ["[UNK]", "the", "dog", "sat", "cat", "zebra", "a"],
    ),
    (
        "s_adapt_max",
        "StringLookup",
        {"max_tokens": 4, "mask_token": ""},
        [["the", "cat", "sat"], ["the", "dog", "sat"], ["a", "cat", "the"], ["dog", "dog", "zebra"]],
        [["the", "bird", "cat", "a"], ["", "dog", "zebra", "x"]],
        [[2, 1, 1, 1], [0, 3, 1, 1]],
        ["", "[UNK]", "the", "dog"],
    ),
    (
        "s_oov3_mask",
        "StringLookup",
        {"vocabulary": ["a", "b", "c", "cat", "dog"], "num_oov_indices": 3, "mask_token": ""},
        None,
        [["the", "bird", "cat", "a"], ["", "dog", "zebra", "x"], ["", "c", " ßé", "ébYb1"]],
        [[2, 1, 7, 4], [0, 8, 3, 3], [0, 6, 1, 2]],
        ["", "[UNK]", "[UNK]", "[UNK]", "a", "b", "c", "cat", "dog"],
    ),
    (
        "s_salt",
        "StringLookup",
        {"vocabulary": ["a", "b", "c", "cat", "dog"], "num_oov_indices": 4, "salt": [133, 137]},
        None,
        [["the", "bird", "cat", "a"], ["", "dog", "zebra", "x"]],
        [[3, 1, 7, 4], [0, 8, 1, 1]],
        ["[UNK]", "[UNK]", "[UNK]", "[UNK]", "a", "b", "c", "cat", "dog"],
    ),
    (
        "s_invert",
        "StringLookup",
        {"vocabulary": ["a", "b", "c", "cat", "dog"], "invert": True, "mask_token": ""},
        None,
        [[0, 1, 2, 3], [4, 5, 6, 9]],
        [["", "[UNK]", "a", "b"], ["c", "cat", "dog", "[UNK]"]],
        ["", "[UNK]", "a", "b", "c", "cat", "dog"],
    ),
    (
        "s_invert_oov2",
        "StringLookup",
        {"vocabulary": ["a", "b", "c", "cat", "dog"], "invert": True, "num_oov_indices": 2},
        None,
        [[0, 1, 2, 3], [4, 5, 6, 9]],
        [["[UNK]", "[UNK]", "a", "b"], ["c", "cat", "dog", "[UNK]"]],
        ["[UNK]", "[UNK]", "a", "b", "c", "cat", "dog"],
    ),
    (
        "s_one_hot",
        "StringLookup",
        {"vocabulary": ["a", "b", "c", "cat", "dog"], "output_mode": "one_hot"},
        None,
        ["a", "cat", "q", "dog"],
        [[0, 1, 0, 0, 0, 0], [0, 0, 0, 0, 1, 0], [1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1]],
        ["[UNK]", "a", "b", "c", "cat", "dog"],
    ),
    (
        "s_multi_hot",
        "StringLookup",
        {"vocabulary": ["a", "b", "c", "cat", "dog"], "output_mode": "multi_hot", "mask_token": ""},
        None,
        [["the", "bird", "cat", "a"], ["", "dog", "zebra", "x"]],
        [[1, 1, 0, 0, 1, 0], [1, 0, 0, 0, 0, 1]],
        ["[UNK]", "a", "b", "c", "cat", "dog"],
    ),
    (
        "s_count_pad",
        "StringLookup",
        {
            "vocabulary": ["a", "b", "c", "cat", "dog"],
            "output_mode": "count",
            "max_tokens": 9,
            "pad_to_max_tokens": True,
        },
        None,
        [["a", "a", "b", "zz"], ["dog", "c", "dog", "dog"]],
        [[1, 2, 1, 0, 0, 0, 0, 0, 0], [0, 0, 0, 1, 0, 3, 0, 0, 0]],
        ["[UNK]", "a", "b", "c", "cat", "dog"],
    ),
    (
        "s_tfidf_adapt",
        "StringLookup",
        {"output_mode": "tf_idf"},
        [["the", "cat", "sat"], ["the", "dog", "sat"], ["a", "cat", "the"], ["dog", "dog", "zebra"]],
        [["the", "bird", "cat", "a"], ["", "dog", "zebra", "x"]],
        [
            [0.9053776264190674, 0.6931471824645996, 0.0, 0.0, 0.8472978472709656, 0.0, 1.0986123085021973],
            [1.8107552528381348, 0.0, 0.8472978472709656, 0.0, 0.0, 1.0986123085021973, 0.0],
        ],
        ["[UNK]", "the", "dog", "sat", "cat", "zebra", "a"],
    ),
    (
        "s_tfidf_vocab",
        "StringLookup",
        {
            "output_mode": "tf_idf",
            "vocabulary": ["a", "b", "c", "cat", "dog"],
            "idf_weights": [0.5, 0.25, 1.0, 2.0, 1.5],
        },
        None,
        [["the", "bird", "cat", "a"], ["", "dog", "zebra", "x"]],
        [[2.0999999046325684, 0.5, 0.0, 0.0, 2.0, 0.0], [3.1499998569488525, 0.0, 0.0, 0.0, 0.0, 1.5]],
        ["[UNK]", "a", "b", "c", "cat", "dog"],
    ),
    (
        "i_vocab",
        "IntegerLookup",
        {"vocabulary": [12, 36, 1138]},
        None,
        [[12, 1138], [42, 36]],
        [[1, 3], [0, 2]],
        [-1, 12, 36, 1138],
    ),
    (
        "i_adapt",
        "IntegerLookup",
        {},
        [[12, 36, 7, 7], [36, 5, 12, 0], [7, 99, 99, 99]],
        [[12, 7, 0, 1000], [99, 3, 36, -4]],
        [[4, 2, 6, 0], [1, 0, 3, 0]],
        [-1, 99, 7, 36, 12, 5, 0],
    ),
    (
        "i_adapt_mask",
        "IntegerLookup",
        {"mask_token": 0, "max_tokens": 5},
        [[12, 36, 7, 7], [36, 5, 12, 0], [7, 99, 99, 99]],
        [[12, 7, 0, 1000], [99, 3, 36, -4]],
        [[1, 3, 0, 1], [2, 1, 4, 1]],
        [0, -1, 99, 7, 36],
    ),
    (
        "i_floormod",
        "IntegerLookup",
        {"vocabulary": [12, 36, 7], "num_oov_indices": 3},
        None,
        [[12, 7, 0, 1000], [99, 3, 36, -4]],
        [[3, 5, 0, 1], [0, 0, 4, 2]],
        [-1, -1, -1, 12, 36, 7],
    ),
    (
        "i_farmhash",
        "IntegerLookup",
        {"vocabulary": [12, 36, 7], "num_oov_indices": 3, "oov_method": "farmhash"},
        None,
        [[12, 7, 0, 1000], [99, 3, 36, -4]],
        [[3, 5, 1, 2], [0, 0, 4, 1]],
        [-1, -1, -1, 12, 36, 7],
    ),
    (
        "i_farmhash_salt",
        "IntegerLookup",
        {"vocabulary": [12, 36, 7], "num_oov_indices": 3, "oov_method": "farmhash", "salt": 7},
        None,
        [[12, 7, 0, 1000], [99, 3, 36, -4]],
        [[3, 5, 1, 0], [1, 0, 4, 0]],
        [-1, -1, -1, 12, 36, 7],
    ),
    (
        "i_invert",
        "IntegerLookup",
        {"vocabulary": [12, 36, 7], "invert": True, "mask_token": 0},
        None,
        [[0, 1, 2, 3], [4, 5, 6, 9]],
        [[0, -1, 12, 36], [7, -1, -1, -1]],
        [0, -1, 12, 36, 7],
    ),
    (
        "i_multi_hot",
        "IntegerLookup",
        {"vocabulary": [12, 36, 7], "output_mode": "multi_hot"},
        None,
        [[12, 7, 0, 1000], [99, 3, 36, -4]],
        [[1, 1, 0, 1], [1, 0, 1, 0]],
        [-1, 12, 36, 7],
    ),
    (
        "i_one_hot",
        "IntegerLookup",
        {"vocabulary": [12, 36, 7], "output_mode": "one_hot", "mask_token": 0},
        None,
        [[12], [0], [5]],
        [[0, 1, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0]],
        [-1, 12, 36, 7],
    ),
    (
        "i_tfidf",
        "IntegerLookup",
        {"output_mode": "tf_idf"},
        [[12, 36, 7, 7], [36, 5, 12, 0], [7, 99, 99, 99]],
        [[12, 7, 0, 1000], [99, 3, 36, -4]],
        [
            [0.8047189712524414, 0.0, 0.6931471824645996, 0.0, 0.6931471824645996, 0.0, 0.9162907600402832],
            [1.6094379425048828, 0.9162907600402832, 0.0, 0.6931471824645996, 0.0, 0.0, 0.0],
        ],
        [-1, 99, 7, 36, 12, 5, 0],
    ),
    ("h_str", "Hashing", {"num_bins": 3}, None, [["A"], ["B"], ["C"], ["D"], ["E"]], [[1], [0], [1], [1], [2]], None),
    (
        "h_long",
        "Hashing",
        {"num_bins": 1000003},
        None,
        [
            "",
            "c",
            " ßé",
            "ébYb1",
            "é11_0éXb",
            "1aß00 ééa-1Y",
            "-éX bZaaa_9a0_X0",
            "-a9Xé119XZX_Xé1Ya",
            "0ß9_bc_-ßYb-Z--909ß_XYY 1",
            "ß90 ßa1X-é00_cZ9-é_-Zb1_9béc9ß0Z",
            "1-a1aY-ß   0_cc9XaéX9ß9X09Zß Z1Y_",
            "9 -a0éßß-9éc9é9X0a1ßZ 9X901ßZ0Za99 é Z1 aéX_c9 c",
            "ßbé9éßßYaß_bbßa1aééYXYbé cZYbccY9c_Y_-Y1-Z11baY0Z0éXYbY-9X 0ßaXa",
            "0ca-c1-9_09ßX_é-91X9_a0_ éZ__0a-YcXaYbßbYY-c0 Yca9ßa ßX 1cßßßé- 9",
            "a0XZbX _0 X1b_0Y91aZ ß0YacXßZé écZ0XY_bß09Zß_91é9Xb-abccc9XYéZ 9ßYZZZbYXß é-1c 9ébZa0b0ßécßcZb  é0b ",
            "9X bYZY 9b1YbéaßYa _ab0bßéaXXé 0cb1c_Xc-ßb00é9ßY9Y-1ZbX_ZaaaéY- Z10Z0bbZ 1bYXé é9ß-1_ZYc9XYXXZbßYbé1b_ "
            "_ZX0YaZcZéß YXZb9  é bXXa",
            "éX0bY9ßb-ba_aYééZ11ßßcb9ééZb9_ccéccßßZYb-9ß YcXc9-aéZß é_9ß--XcY09ca-ß_XYéb_1é09Y91ß91a0ßZcY1aé_0 aa-Z c ccYßY0 "
            "0c bX1ac9Z9_1__-X",
            "XZ1_1X-0Z9 -_Y_Xabé9_Zc9ééXYY-Yß9Zc---1 bßb 9 0ccY0X -ééa1_0-_Z09ßc9-a9béY_bY-bcé ß__-b1ßXß0é00cZ1c 1Xb0 "
            "90b_YYX0-9aX91 aa_ XßYXcYc9XYY éYß_1éßéßc9Z10",
        ],
        [
            377723,
            533136,
            416388,
            222159,
            416390,
            366191,
            815652,
            3860,
            215406,
            442005,
            721124,
            749223,
            776809,
            102473,
            562023,
            151155,
            811,
            979381,
        ],
        None,
    ),
    (
        "h_long_salt",
        "Hashing",
        {"num_bins": 1000003, "salt": [133, 137]},
        None,
        [
            "",
            "c",
            " ßé",
            "ébYb1",
            "é11_0éXb",
            "1aß00 ééa-1Y",
            "-éX bZaaa_9a0_X0",
            "-a9Xé119XZX_Xé1Ya",
            "0ß9_bc_-ßYb-Z--909ß_XYY 1",
            "ß90 ßa1X-é00_cZ9-é_-Zb1_9béc9ß0Z",
            "1-a1aY-ß   0_cc9XaéX9ß9X09Zß Z1Y_",
            "9 -a0éßß-9éc9é9X0a1ßZ 9X901ßZ0Za99 é Z1 aéX_c9 c",
            "ßbé9éßßYaß_bbßa1aééYXYbé cZYbccY9c_Y_-Y1-Z11baY0Z0éXYbY-9X 0ßaXa",
            "0ca-c1-9_09ßX_é-91X9_a0_ éZ__0a-YcXaYbßbYY-c0 Yca9ßa ßX 1cßßßé- 9",
            "a0XZbX _0 X1b_0Y91aZ ß0YacXßZé écZ0XY_bß09Zß_91é9Xb-abccc9XYéZ 9ßYZZZbYXß é-1c 9ébZa0b0ßécßcZb  é0b ",
            "9X bYZY 9b1YbéaßYa _ab0bßéaXXé 0cb1c_Xc-ßb00é9ßY9Y-1ZbX_ZaaaéY- Z10Z0bbZ 1bYXé é9ß-1_ZYc9XYXXZbßYbé1b_ "
            "_ZX0YaZcZéß YXZb9  é bXXa",
            "éX0bY9ßb-ba_aYééZ11ßßcb9ééZb9_ccéccßßZYb-9ß YcXc9-aéZß é_9ß--XcY09ca-ß_XYéb_1é09Y91ß91a0ßZcY1aé_0 aa-Z c ccYßY0 "
            "0c bX1ac9Z9_1__-X",
            "XZ1_1X-0Z9 -_Y_Xabé9_Zc9ééXYY-Yß9Zc---1 bßb 9 0ccY0X -ééa1_0-_Z09ßc9-a9béY_bY-bcé ß__-b1ßXß0é00cZ1c 1Xb0 "
            "90b_YYX0-9aX91 aa_ XßYXcYc9XYY éYß_1éßéßc9Z10",
        ],
        [
            953272,
            780795,
            98475,
            47921,
            381063,
            692641,
            975282,
            539477,
            391125,
            313197,
            163146,
            433731,
            506411,
            45849,
            132319,
            93709,
            614341,
            769070,
        ],
        None,
    ),
    (
        "h_salt_int",
        "Hashing",
        {"num_bins": 3, "salt": 133},
        None,
        [["A"], ["B"], ["C"], ["D"], ["E"]],
        [[0], [0], [2], [1], [0]],
        None,
    ),
    (
        "h_mask",
        "Hashing",
        {"num_bins": 3, "mask_value": ""},
        None,
        [["A"], ["B"], [""], ["C"], ["D"]],
        [[1], [1], [0], [2], [2]],
        None,
    ),
    ("h_ints", "Hashing", {"num_bins": 7}, None, [[0, 1, 2], [-5, 12345678, 99]], [[2, 5, 5], [0, 2, 4]], None),
    (
        "h_int_mask",
        "Hashing",
        {"num_bins": 7, "mask_value": 0},
        None,
        [[0, 1, 2], [-5, 12345678, 99]],
        [[0, 4, 2], [1, 1, 1]],
        None,
    ),
    ("h_floats", "Hashing", {"num_bins": 7}, None, [[0.5, 1.9, -2.7], [3.0, 4.2, 99.9]], [[2, 5, 0], [2, 6, 4]], None),
    (
        "h_multi_hot",
        "Hashing",
        {"num_bins": 5, "output_mode": "multi_hot"},
        None,
        [["a", "b", "c"], ["d", "d", "e"]],
        [[0.0, 0.0, 1.0, 0.0, 1.0], [1.0, 1.0, 0.0, 0.0, 0.0]],
        None,
    ),
    (
        "h_count",
        "Hashing",
        {"num_bins": 5, "output_mode": "count"},
        None,
        [["a", "b", "c"], ["d", "d", "e"]],
        [[0.0, 0.0, 2.0, 0.0, 1.0], [2.0, 1.0, 0.0, 0.0, 0.0]],
        None,
    ),
    (
        "h_one_hot",
        "Hashing",
        {"num_bins": 5, "output_mode": "one_hot"},
        None,
        ["a", "b", "c", "d"],
        [[0.0, 0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0]],
        None,
    ),
]


@pytest.mark.parametrize(("case", "cls", "kwargs", "adapt", "inputs", "expected", "vocabulary"), KERAS_CASES)
def test_matches_recorded_keras3_outputs(case, cls, kwargs, adapt, inputs, expected, vocabulary):
    layer = getattr(layers, cls)(**kwargs)
    if adapt is not None:
        layer.adapt(np.array(adapt))
    out = np.asarray(layer(np.array(inputs)))
    if out.dtype == object:
        assert out.tolist() == expected
    else:
        np.testing.assert_allclose(out, np.array(expected, np.float64), rtol=1e-5, atol=1e-5)
    if vocabulary is not None:
        assert layer.get_vocabulary() == vocabulary
    restored = layers.deserialize(layers.serialize(layer))
    assert restored.get_config() == layer.get_config()
    np.testing.assert_array_equal(np.asarray(restored(np.array(inputs))), out)


@pytest.mark.parametrize(
    ("mode", "inputs"),
    [
        ("one_hot", [3, 2, 0, 1]),
        ("one_hot", [[3], [1]]),
        ("multi_hot", [[0, 1], [0, 0], [1, 2], [3, 1]]),
        ("multi_hot", [3, 2, 0]),
        ("count", [[0, 1, 1], [3, 3, 3]]),
    ],
)
def test_category_encoding_matches_keras3(mode, inputs):
    x = np.array(inputs)
    expected = keras.layers.CategoryEncoding(num_tokens=4, output_mode=mode)(x)
    layer = layers.CategoryEncoding(num_tokens=4, output_mode=mode)
    np.testing.assert_allclose(layer(x), expected, atol=1e-6)
    assert layer.compute_output_shape(x.shape) == tuple(np.shape(expected))
    weights = np.array([[0.5, 1.0, 2.0], [1.0, 1.0, 0.25]], np.float32)
    counted = keras.layers.CategoryEncoding(4, output_mode="count")(
        np.array([[0, 1, 1], [3, 3, 2]]), count_weights=weights
    )
    ours = layers.CategoryEncoding(4, output_mode="count")(np.array([[0, 1, 1], [3, 3, 2]]), count_weights=weights)
    np.testing.assert_allclose(ours, counted, atol=1e-6)


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
def test_discretization_with_boundaries_matches_keras3(mode, rng):
    x = rng.normal(size=(6, 3)).astype(np.float32)
    x[0, 0] = 0.0  # on a boundary: goes to the bin above it
    kwargs = {"bin_boundaries": [-1.0, 0.0, 0.5, 2.0], "output_mode": mode}
    expected = np.asarray(keras.layers.Discretization(**kwargs)(x[:, :1] if mode == "one_hot" else x))
    ours = np.asarray(layers.Discretization(**kwargs)(x[:, :1] if mode == "one_hot" else x))
    np.testing.assert_allclose(ours, expected)
    assert ours.dtype == (np.int32 if mode == "int" else np.float32)


def _keras_adapt(layer, batches):
    # Keras' adapt() imports TensorFlow to check for tf.data; its per-batch steps are NumPy.
    for batch in batches:
        layer.update_state(batch)
    layer.finalize_state()


def test_discretization_adapt_matches_keras3(rng):
    data = rng.gamma(2.0, size=(500, 2)).astype(np.float32)
    for num_bins, epsilon in ((4, 0.01), (7, 0.05)):
        theirs = keras.layers.Discretization(num_bins=num_bins, epsilon=epsilon)
        _keras_adapt(theirs, [data])
        ours = layers.Discretization(num_bins=num_bins, epsilon=epsilon)
        ours.adapt(data)
        np.testing.assert_allclose(ours.bin_boundaries, theirs.bin_boundaries, rtol=1e-5)
        np.testing.assert_array_equal(ours(data), theirs(data))
    batches = layers.Discretization(num_bins=4)
    batches.adapt(iter([data[:200], data[200:]]))
    theirs = keras.layers.Discretization(num_bins=4)
    _keras_adapt(theirs, [data[:200], data[200:]])
    np.testing.assert_allclose(batches.bin_boundaries, theirs.bin_boundaries, rtol=1e-5)
    restored = layers.deserialize(layers.serialize(ours))
    assert restored.bin_boundaries == ours.bin_boundaries and restored.num_bins == ours.num_bins


def test_string_lookup_vocabulary_file_and_mask_in_a_text_model(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("cat\ndog\nbird\n")
    lookup = layers.StringLookup(vocabulary=str(path), mask_token="")
    assert lookup.get_vocabulary() == ["", "[UNK]", "cat", "dog", "bird"]
    ids = np.asarray(lookup([["cat", "dog", ""], ["bird", "fish", ""]]))
    np.testing.assert_array_equal(ids, [[2, 3, 0], [4, 1, 0]])
    assert lookup(["dog"]).dtype == np.int32
    inverse = layers.StringLookup(vocabulary=lookup.get_vocabulary(), mask_token="", invert=True)
    assert inverse(ids).tolist() == [["cat", "dog", ""], ["bird", "[UNK]", ""]]
    model = jk.Sequential([jk.layers.Embedding(5, 4, mask_zero=True), jk.layers.LSTM(3), jk.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(ids, np.array([0.0, 1.0]), epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


def test_integer_lookup_and_encodings_run_inside_a_compiled_model(rng):
    x = rng.choice([3, 8, 21, 55, 99], size=(64, 4))
    y = (x == 21).any(axis=1).astype(np.float32)
    lookup = layers.IntegerLookup(output_mode="multi_hot", num_oov_indices=2)
    lookup.adapt(x[:, :2])
    bins = layers.Discretization(num_bins=3)
    bins.adapt(x.astype(np.float32))
    inputs = jk.Input((4,), dtype="int32")
    hot = lookup(inputs)
    binned = jk.layers.CategoryEncoding(3, output_mode="count")(bins(inputs))
    outputs = jk.layers.Dense(1, activation="sigmoid")(jk.layers.Concatenate()([hot, binned]))
    model = jk.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    eager = np.concatenate([np.asarray(lookup(x)), np.asarray(layers.CategoryEncoding(3, "count")(bins(x)))], axis=1)
    dense = model.layers[-1]
    np.testing.assert_allclose(
        model.predict(x, verbose=0), 1 / (1 + np.exp(-(eager @ dense.kernel.numpy() + dense.bias.numpy()))), rtol=1e-5
    )


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: layers.Hashing(num_bins=0), "Received: num_bins=0"),
        (lambda: layers.Hashing(4, salt="pepper"), "Received: salt='pepper'"),
        (lambda: layers.Hashing(4, output_mode="tf_idf"), "Received: output_mode='tf_idf'"),
        (lambda: layers.Discretization(num_bins=0), "Received: num_bins=0"),
        (lambda: layers.Discretization(), "Received: bin_boundaries=None, num_bins=None"),
        (lambda: layers.Discretization([2.0, 1.0]), "sorted"),
        (lambda: layers.Discretization(num_bins=3, epsilon=0), "Received: epsilon=0"),
        (lambda: layers.CategoryEncoding(num_tokens=0), "Received: num_tokens=0"),
        (lambda: layers.CategoryEncoding(), "Received: num_tokens=None"),
        (lambda: layers.CategoryEncoding(3, output_mode="int"), "Received: output_mode='int'"),
        (lambda: layers.StringLookup(num_oov_indices=-1), "Received: num_oov_indices=-1"),
        (lambda: layers.StringLookup(max_tokens=1), "Received: max_tokens=1"),
        (lambda: layers.StringLookup(invert=True, output_mode="count"), "Received: output_mode='count'"),
        (lambda: layers.StringLookup(pad_to_max_tokens=True), "Received: max_tokens=None"),
        (lambda: layers.StringLookup(vocabulary=["a", "a"]), "repeats"),
        (lambda: layers.StringLookup(vocabulary=["a", "b"], max_tokens=2), "Received: max_tokens=2"),
        (lambda: layers.StringLookup(output_mode="tf_idf", vocabulary=["a"]), "Received: idf_weights=None"),
        (lambda: layers.StringLookup(sparse=True), "Received: sparse=True"),
        (lambda: layers.IntegerLookup(vocabulary_dtype="int32"), "Received: vocabulary_dtype='int32'"),
        (lambda: layers.IntegerLookup(salt=3), "Received: oov_method='floormod'"),
        (lambda: layers.IntegerLookup(oov_method="md5"), "Received: oov_method='md5'"),
    ],
)
def test_bad_arguments_are_rejected(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError, match="values from 0 to 5"):
        layers.CategoryEncoding(4)(np.array([[0, 5]]))
    with pytest.raises(ValueError, match="out-of-vocabulary values \\['d'\\]"):
        layers.StringLookup(vocabulary=["a"], num_oov_indices=0)(["a", "d"])
    with pytest.raises(ValueError, match="no vocabulary"):
        layers.StringLookup(output_mode="multi_hot")(["a"])
    with pytest.raises(TypeError, match="takes integers"):
        layers.IntegerLookup(vocabulary=["a"])
    with pytest.raises(ValueError, match="no bins yet"):
        layers.Discretization(num_bins=3)(np.ones((2, 2)))
