"""Behaviours tf.keras 2.x tutorials rely on (issue 10, points 3-5): crossentropy from the logits of a
softmax/sigmoid output, fresh MC-dropout masks per predict, adapted Normalization as a first layer,
`.numpy()`, `history.params`, subclassed summaries, pandas inputs, the tf.data error, reprs, and the
names added for them (activation layers, metric classes, schedules), checked against Keras 3 or
against numbers computed by hand."""

import math
import warnings

import keras as keras3
import numpy as np
import pytest

from jeras import keras
from jeras.keras import backend as K
from jeras.training import programs


# ---------------------------------------------------------------------------- 4(a) logits
def _one_unit(units, activation, loss, bias):
    model = keras.Sequential(
        [
            keras.layers.Dense(
                units,
                activation=activation,
                input_shape=[1],
                kernel_initializer="zeros",
                bias_initializer=keras.initializers.Constant(bias),
            )
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss=loss, metrics=[loss])
    return model


@pytest.mark.parametrize(
    ("units", "activation", "loss", "y", "step"),
    [
        (2, "softmax", "sparse_categorical_crossentropy", np.array([0]), 1.0),
        (2, "softmax", "categorical_crossentropy", np.array([[1.0, 0.0]]), 1.0),
        (1, "sigmoid", "binary_crossentropy", np.array([[0.0]]), 0.5),
        # tf.keras 2.x's focal loss takes its crossentropy from the logits too; its focal factor
        # (1 - p_t) ** 2 is 1 here, and so is the gradient.
        (1, "sigmoid", "binary_focal_crossentropy", np.array([[0.0]]), 0.5),
    ],
)
def test_confidently_wrong_output_recovers_as_in_tf_keras(units, activation, loss, y, step):
    # tf.keras 2.x computes the loss from the logits z (here [0, 40] or [40]): loss = softplus(margin),
    # d loss / d z = +-1 (float32), so SGD 0.5 moves the margin by `step` per epoch: 40, 39, ... .
    # From clipped probabilities (Keras 3) the loss stays at -log(1e-7) = 16.1 with no gradient.
    bias = [0.0, 40.0] if units == 2 else [40.0]
    model = _one_unit(units, activation, loss, bias)
    history = model.fit(np.zeros((1, 1), "float32"), y, epochs=20, batch_size=1, verbose=0)
    expected = [math.log1p(math.exp(40.0 - step * k)) for k in range(20)]
    np.testing.assert_allclose(history.history["loss"], expected, rtol=1e-6)
    np.testing.assert_allclose(history.history[loss], expected, rtol=1e-6)  # the metric sees the logits too
    final = model.evaluate(np.zeros((1, 1), "float32"), y, verbose=0)
    np.testing.assert_allclose(final, [40.0 - 20 * step] * 2, rtol=1e-6)


def test_logits_are_used_by_the_loss_functions_called_directly():
    logits = np.array([[0.0, 40.0]], "float32")
    probabilities = keras.activations.softmax(logits)
    assert float(keras.losses.categorical_crossentropy([[1.0, 0.0]], probabilities)[0]) == pytest.approx(40.0)
    # A copy of the probabilities has no logits: clipped as Keras 3 does.
    copy = np.asarray(probabilities)
    assert float(keras.losses.categorical_crossentropy([[1.0, 0.0]], copy)[0]) == pytest.approx(16.118, rel=1e-4)
    with pytest.warns(UserWarning, match="from_logits=True"):
        value = keras.losses.binary_crossentropy(
            [[0.0]], keras.activations.sigmoid(np.array([[3.0]])), from_logits=True
        )
    assert float(value[0]) == pytest.approx(math.log1p(math.exp(3.0)), rel=1e-6)


def test_crossentropy_matches_keras3_away_from_clipping(rng):
    x = rng.normal(size=(40, 4)).astype("float32")
    y = rng.integers(0, 3, 40)
    ours = keras.Sequential([keras.layers.Dense(3, activation="softmax", input_shape=[4])])
    theirs = keras3.Sequential([keras3.Input((4,)), keras3.layers.Dense(3, activation="softmax")])
    theirs.set_weights(ours.get_weights())
    for model in (ours, theirs):
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    h_ours = ours.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    h_theirs = theirs.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_allclose(h_ours.history["loss"], h_theirs.history["loss"], rtol=1e-5)


@pytest.mark.parametrize(
    "kwargs", [{}, {"apply_class_balancing": True, "alpha": 0.3}, {"gamma": 1.5, "label_smoothing": 0.1}]
)
@pytest.mark.parametrize("from_logits", [False, True])
def test_focal_crossentropies_match_keras3(kwargs, from_logits, rng):
    logits = rng.normal(size=(6, 3)).astype("float32")
    binary = 1 / (1 + np.exp(-logits)) if not from_logits else logits
    targets = rng.integers(0, 2, (6, 3)).astype("float32")
    ours = keras.losses.BinaryFocalCrossentropy(from_logits=from_logits, **kwargs)
    theirs = keras3.losses.BinaryFocalCrossentropy(from_logits=from_logits, **kwargs)
    assert float(ours(targets, binary)) == pytest.approx(float(theirs(targets, binary)), rel=1e-5)
    kwargs = {k: v for k, v in kwargs.items() if k != "apply_class_balancing"}
    categorical = keras3.ops.convert_to_numpy(keras3.ops.softmax(logits)) if not from_logits else logits
    one_hot = keras.utils.to_categorical(rng.integers(0, 3, 6), 3)
    ours = keras.losses.CategoricalFocalCrossentropy(from_logits=from_logits, **kwargs)
    theirs = keras3.losses.CategoricalFocalCrossentropy(from_logits=from_logits, **kwargs)
    assert float(ours(one_hot, categorical)) == pytest.approx(float(theirs(one_hot, categorical)), rel=1e-5)
    again = keras.losses.deserialize(keras.losses.serialize(ours))
    assert again.get_config() == ours.get_config()


def test_focal_crossentropy_in_a_fit_matches_keras3_and_rejects_bad_arguments(rng):
    x = rng.normal(size=(32, 4)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    ours = keras.Sequential([keras.layers.Dense(1, activation="sigmoid", input_shape=[4])])
    theirs = keras3.Sequential([keras3.Input((4,)), keras3.layers.Dense(1, activation="sigmoid")])
    theirs.set_weights(ours.get_weights())
    ours.compile(optimizer="sgd", loss=keras.losses.BinaryFocalCrossentropy(gamma=2.0), metrics=["accuracy"])
    theirs.compile(optimizer="sgd", loss=keras3.losses.BinaryFocalCrossentropy(gamma=2.0), metrics=["accuracy"])
    h_ours = ours.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0).history
    h_theirs = theirs.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0).history
    for key in ("loss", "accuracy"):
        np.testing.assert_allclose(h_ours[key], h_theirs[key], rtol=1e-5, err_msg=key)
    with pytest.raises(ValueError, match=r"gamma >= 0. Received: gamma=-1"):
        keras.losses.BinaryFocalCrossentropy(gamma=-1)
    with pytest.raises(ValueError, match=r"alpha in \[0, 1\]. Received: alpha=1.5"):
        keras.losses.categorical_focal_crossentropy([[1.0, 0.0]], [[0.6, 0.4]], alpha=1.5)
    with pytest.raises(ValueError, match="one-hot encode"):
        keras.losses.categorical_focal_crossentropy([0, 1], [[0.6, 0.4], [0.1, 0.9]])


# ---------------------------------------------------------------------------- 4(b) MC dropout
class MCDropout(keras.layers.Dropout):
    def call(self, inputs):
        return super().call(inputs, training=True)


def test_layer_forcing_training_draws_new_masks_on_every_predict(rng):
    x = rng.normal(size=(6, 4)).astype("float32")
    model = keras.Sequential([keras.layers.Dense(16, input_shape=[4]), MCDropout(0.5), keras.layers.Dense(1)])
    samples = np.stack([model.predict(x, verbose=0) for _ in range(4)])
    assert all(not np.allclose(samples[0], s) for s in samples[1:])
    assert np.all(samples.std(axis=0) > 0)
    model.compile(loss="mse", optimizer="sgd")
    first, second = (model.evaluate(x, np.zeros(6), verbose=0) for _ in range(2))
    assert first != second
    keras.utils.set_random_seed(3)
    again = model.predict(x, verbose=0)
    keras.utils.set_random_seed(3)
    np.testing.assert_array_equal(model.predict(x, verbose=0), again)
    # A plain model is unaffected: predict is deterministic.
    plain = keras.Sequential([keras.layers.Dense(2, input_shape=[4]), keras.layers.Dropout(0.5)])
    np.testing.assert_array_equal(plain.predict(x, verbose=0), plain.predict(x, verbose=0))


# ---------------------------------------------------------------------------- 4(c) Normalization
def test_adapted_1d_normalization_as_first_layer_as_in_the_regression_tutorial(rng):
    horsepower = rng.normal(100.0, 30.0, 64)
    labels = 0.1 * horsepower + 3.0
    normalizer = keras.layers.Normalization(input_shape=[1], axis=None)
    normalizer.adapt(horsepower)
    model = keras.Sequential([normalizer, keras.layers.Dense(units=1)])
    lines = []
    model.summary(print_fn=lines.append)
    assert any(line.startswith("Total params: 5") for line in lines)
    assert model.predict(horsepower[:10], verbose=0).shape == (10, 1)
    out = normalizer(horsepower[:, None].astype("float32"))
    np.testing.assert_allclose(np.asarray(out).ravel(), (horsepower - horsepower.mean()) / horsepower.std(), rtol=1e-4)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.1), loss="mean_absolute_error")
    history = model.fit(horsepower, labels, epochs=3, verbose=0, validation_split=0.2)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_summary_of_a_sequential_starting_with_an_adapted_normalization(rng):
    normalizer = keras.layers.Normalization(axis=-1)
    normalizer.adapt(rng.normal(size=(30, 9)))
    model = keras.Sequential([normalizer, keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])
    lines = []
    model.summary(print_fn=lines.append)
    assert any("(None, 9)" in line for line in lines) and any(line.startswith("Total params: 64") for line in lines)


# ---------------------------------------------------------------------------- 4(d), 4(e)
def test_eager_results_have_numpy_and_traced_values_say_why_not(rng):
    layer = keras.layers.Dense(2)
    out = layer(rng.normal(size=(3, 4)).astype("float32"))
    assert isinstance(out.numpy(), np.ndarray) and out.numpy().shape == (3, 2)
    assert isinstance(keras.losses.mse(np.ones((2, 1)), np.zeros((2, 1))).numpy(), np.ndarray)

    class Peek(keras.layers.Layer):
        def call(self, inputs):
            return inputs * float(inputs.numpy().sum())

    with pytest.raises(AttributeError, match=r"`.numpy\(\)` is not available inside compiled code"):
        keras.Sequential([keras.layers.Dense(1, input_shape=[4]), Peek()])


def test_history_params_hold_the_keys_tf_keras_writes(rng):
    model = keras.Sequential([keras.layers.Dense(1, input_shape=[3])])
    model.compile(loss="mse", optimizer="sgd")
    history = model.fit(rng.normal(size=(70, 3)), np.zeros(70), epochs=2, verbose=0)
    assert {k: history.params[k] for k in ("verbose", "epochs", "steps")} == {"verbose": 0, "epochs": 2, "steps": 3}
    assert "batch_size" not in history.params


# ---------------------------------------------------------------------------- 5
class TwoLayer(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(8, activation="relu")
        self.out = keras.layers.Dense(2)

    def call(self, inputs):
        return self.out(self.hidden(inputs))


def test_subclassed_summary_before_and_after_the_first_call(rng):
    model = TwoLayer()
    with pytest.raises(ValueError, match="has not yet been built"):
        model.summary()
    model(rng.normal(size=(2, 5)).astype("float32"))
    lines = []
    model.summary(print_fn=lines.append)
    assert any("multiple" in line for line in lines) and any(line.startswith("Total params: 66") for line in lines)


def test_streaming_input_gets_a_clear_error():
    class Dataset:  # what a tf.data.Dataset looks like to fit: re-iterable batches
        element_spec = None

        def __iter__(self):
            return iter([(np.ones((4, 3), "float32"), np.zeros((4, 1), "float32"))] * 2)

    model = keras.Sequential([keras.layers.Dense(1, input_shape=[3])])
    model.compile(loss="mse", optimizer="sgd")
    history = model.fit(Dataset(), epochs=2, verbose=0)  # streamed (tests/test_streaming.py)
    assert len(history.history["loss"]) == 2 and history.params["steps"] is None
    # Generators (and jeras.data.Dataset, Sequences, memmaps) are streamed (tests/test_streaming.py).
    assert model.predict(iter([np.zeros((2, 3))]), verbose=0).shape == (2, 1)


def test_pandas_inputs_everywhere_with_column_order_kept(rng):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"b": rng.normal(size=40), "a": rng.normal(size=40), "flag": rng.integers(0, 2, 40) > 0})
    target = pd.Series(2.0 * frame["b"] - frame["a"], name="target")
    model = keras.Sequential([keras.layers.Dense(1, input_shape=[3])])
    model.compile(loss="mse", optimizer="sgd")
    model.fit(frame, target, epochs=2, verbose=0, validation_data=(frame, target))
    from_frame = model.predict(frame, verbose=0)
    columns = np.stack([frame["b"], frame["a"], frame["flag"].astype(float)], axis=1).astype("float32")
    np.testing.assert_allclose(from_frame, model.predict(columns, verbose=0), rtol=1e-6)
    assert model.evaluate(frame, target, verbose=0) == pytest.approx(
        model.evaluate(columns, target.to_numpy(), verbose=0)
    )
    assert isinstance(from_frame, np.ndarray) and from_frame.round(2).shape == (40, 1)
    with pytest.raises(TypeError, match="'kind' of dtype"):
        model.fit(frame.assign(kind="x")[["b", "a", "kind"]], target, verbose=0)


def test_predict_returns_numpy_and_reprs_are_keras_like(rng):
    model = keras.Sequential([keras.layers.Dense(3, activation="softmax", input_shape=[2])], name="clf")
    out = model.predict(rng.normal(size=(5, 2)), verbose=0)
    assert isinstance(out, np.ndarray) and np.argmax(out, axis=-1).shape == (5,)
    assert repr(model) == "<Sequential name=clf, built=True>"
    assert repr(keras.layers.Dense(3, name="d")) == "<Dense name=d, built=False>"


# ---------------------------------------------------------------------------- 3: names the tutorials use
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda: keras.layers.LeakyReLU(), lambda: keras3.layers.LeakyReLU()),
        (lambda: keras.layers.LeakyReLU(alpha=0.2), lambda: keras3.layers.LeakyReLU(negative_slope=0.2)),
        (
            lambda: keras.layers.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.2),
            lambda: keras3.layers.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.2),
        ),
        (lambda: keras.layers.ELU(alpha=0.7), lambda: keras3.layers.ELU(alpha=0.7)),
        (lambda: keras.layers.Softmax(axis=1), lambda: keras3.layers.Softmax(axis=1)),
        (
            lambda: keras.layers.PReLU(alpha_initializer=keras.initializers.Constant(0.25), shared_axes=[1]),
            lambda: keras3.layers.PReLU(alpha_initializer=keras3.initializers.Constant(0.25), shared_axes=[1]),
        ),
    ],
)
def test_activation_layers_match_keras3(ours, theirs, rng):
    x = rng.normal(size=(2, 3, 4)).astype("float32")
    ours, theirs = ours(), theirs()
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), rtol=1e-6, atol=1e-7)
    clone = type(ours).from_config(ours.get_config())
    np.testing.assert_allclose(np.asarray(clone(x)), np.asarray(ours(x)), rtol=1e-6)


def test_identity_layer_passes_inputs_through_and_round_trips(rng):
    x = rng.normal(size=(3, 4)).astype("float32")
    model = keras.Sequential([keras.layers.Dense(2, input_shape=[4]), keras.layers.Identity(name="same")])
    np.testing.assert_allclose(model.predict(x, verbose=0), model.layers[0](x).numpy(), rtol=1e-6)
    assert keras.layers.deserialize(keras.layers.serialize(model.layers[1])).name == "same"


def test_thresholded_relu_and_bad_arguments():
    # tf.keras 2.x: x where x > theta, else 0 (Keras 3 dropped the layer).
    np.testing.assert_array_equal(
        np.asarray(keras.layers.ThresholdedReLU(theta=1.0)(np.array([0.5, 1.0, 2.0]))), [0.0, 0.0, 2.0]
    )
    with pytest.raises(ValueError, match="theta=-1"):
        keras.layers.ThresholdedReLU(theta=-1)
    with pytest.raises(ValueError, match="not both"):
        keras.layers.LeakyReLU(alpha=0.1, negative_slope=0.1)
    with pytest.raises(ValueError, match="shared_axes"):
        keras.layers.PReLU(shared_axes=[0])


@pytest.mark.parametrize(
    "name",
    [
        "BinaryCrossentropy",
        "CategoricalCrossentropy",
        "MeanSquaredError",
        "MeanAbsolutePercentageError",
        "MeanSquaredLogarithmicError",
        "Hinge",
        "SquaredHinge",
        "CategoricalHinge",
        "Poisson",
        "LogCoshError",
        "CosineSimilarity",
        "KLDivergence",
    ],
)
def test_metric_classes_for_the_losses_match_keras3(name, rng):
    y_true = rng.uniform(size=(6, 3)).astype("float32")
    y_pred = rng.uniform(0.05, 0.95, size=(6, 3)).astype("float32")
    ours, theirs = getattr(keras.metrics, name)(), getattr(keras3.metrics, name)()
    for lo, hi in ((0, 4), (4, 6)):
        ours.update_state(y_true[lo:hi], y_pred[lo:hi])
        theirs.update_state(y_true[lo:hi], y_pred[lo:hi])
    np.testing.assert_allclose(float(ours.result()), float(theirs.result()), rtol=1e-5)


def test_sparse_crossentropy_metric_and_new_losses_match_keras3(rng):
    labels = rng.integers(0, 3, 6)
    y_pred = keras3.ops.convert_to_numpy(keras3.ops.softmax(rng.normal(size=(6, 3)).astype("float32")))
    ours, theirs = keras.metrics.SparseCategoricalCrossentropy(), keras3.metrics.SparseCategoricalCrossentropy()
    ours.update_state(labels, y_pred)
    theirs.update_state(labels, y_pred)
    np.testing.assert_allclose(float(ours.result()), float(theirs.result()), rtol=1e-5)
    y_true = rng.uniform(size=(6, 3)).astype("float32")
    for name in ("SquaredHinge", "CategoricalHinge", "LogCosh", "CosineSimilarity"):
        np.testing.assert_allclose(
            float(getattr(keras.losses, name)()(y_true, y_pred)),
            float(getattr(keras3.losses, name)()(y_true, y_pred)),
            rtol=1e-5,
        )
    assert keras.losses.Reduction.NONE == "none"


@pytest.mark.parametrize("kwargs", [{}, {"t_mul": 1.0, "m_mul": 0.8}, {"t_mul": 1.5, "m_mul": 0.5, "alpha": 0.1}])
def test_cosine_decay_restarts_matches_keras3(kwargs):
    ours = keras.optimizers.schedules.CosineDecayRestarts(0.1, 10, **kwargs)
    theirs = keras3.optimizers.schedules.CosineDecayRestarts(0.1, 10, **kwargs)
    for step in (0, 4, 9, 10, 11, 24, 25, 26, 70):
        assert float(ours(step)) == pytest.approx(float(theirs(step)), rel=1e-5, abs=1e-8)
    again = keras.optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(ours))
    assert float(again(13)) == float(ours(13))


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_every_mode_has_the_variance_it_promises(mode, distribution):
    values = np.asarray(
        keras.initializers.VarianceScaling(2.0, mode=mode, distribution=distribution, seed=1)((200, 100))
    )
    fans = {"fan_in": 200, "fan_out": 100, "fan_avg": 150}
    assert values.var() == pytest.approx(2.0 / fans[mode], rel=0.05)


def test_constraint_aliases_and_clear_session():
    assert keras.constraints.max_norm is keras.constraints.MaxNorm
    w = np.asarray(keras.constraints.max_norm(1.0)(np.full((3, 2), 2.0, "float32")))
    np.testing.assert_allclose(np.linalg.norm(w, axis=0), 1.0, rtol=1e-5)
    assert keras.layers.Dense(1).name == "dense"
    assert keras.layers.Dense(1).name == "dense_1"
    model = keras.Sequential([keras.layers.Dense(1, input_shape=[2])])
    model.compile(loss="mse", optimizer="sgd")
    assert programs.engine_for(model) is programs.engine_for(model)  # one engine per structure
    before = programs.engine_for(model)
    keras.backend.clear_session()
    assert keras.layers.Dense(1).name == "dense"
    assert programs.engine_for(model) is not before  # the compiled programs were forgotten


def test_optimizer_settings_set_from_a_callback_apply_during_fit(rng):
    # tf.keras 2.x applies `K.set_value(model.optimizer.momentum, ...)` from the next step on (its
    # settings are variables); Keras 3 keeps the momentum the step was traced with. jeras follows
    # tf.keras 2.x: two epochs with the switch equal one epoch, the switch, then one more epoch.
    x = rng.normal(size=(32, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)

    class Switch(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                K.set_value(self.model.optimizer.momentum, 0.9)

    def model(initial):
        m = keras.Sequential([keras.layers.Dense(1, input_shape=[3], kernel_initializer="zeros")])
        m.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=0.02, momentum=initial))
        return m

    switched = model(0.5)
    losses = switched.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0, callbacks=[Switch()]).history["loss"]
    stepwise = model(0.5)
    first = stepwise.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0).history["loss"]
    stepwise.optimizer.momentum = 0.9
    second = stepwise.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(losses, first + second, rtol=1e-6)
    unchanged = model(0.5)
    assert unchanged.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0).history["loss"][1] != pytest.approx(
        losses[1], rel=1e-4
    )

    class ToZero(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            K.set_value(self.model.optimizer.momentum, 0.0)

    with pytest.raises(ValueError, match=r"SGD.momentum changed from 0.5 to 0 during fit.*Received: momentum=0"):
        model(0.5).fit(x, y, epochs=1, verbose=0, callbacks=[ToZero()])


def test_optimizer_settings_as_variables():
    opt = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    K.set_value(opt.learning_rate, 0.05)
    K.set_value(opt.momentum, 0.5)
    assert K.get_value(opt.lr) == np.float32(0.05) and opt.momentum == 0.5
    opt.learning_rate.assign(0.02)
    assert opt.lr.numpy() == np.float32(0.02) and K.eval(opt.learning_rate) == np.float32(0.02)
    opt.learning_rate = 0.01
    assert opt.get_config()["learning_rate"] == 0.01 and type(opt.get_config()["momentum"]) is float
    with pytest.raises(TypeError, match="set_value needs a variable"):
        K.set_value(0.1, 0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        import copy

        assert type(copy.deepcopy(opt.learning_rate)) is float
