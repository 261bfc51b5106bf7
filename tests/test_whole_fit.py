"""The whole fit as one compiled program: path choice, equality with the epoch-by-epoch path, and
programs shared by every model of one structure."""

import numpy as np
import pytest

from jeras import keras
from jeras.backend.compilation import compile_totals


class HostOnly(keras.callbacks.Callback):
    """A plain callback: its presence keeps `fit` on the epoch-by-epoch path."""

    def on_epoch_end(self, epoch, logs=None):
        pass


def _regression_data(n=203, dim=6, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim)).astype("float32")
    y = (x @ rng.normal(size=(dim, 1)) + 0.3 * rng.normal(size=(n, 1))).astype("float32")
    return x, y


def _classification_data(n=203, dim=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim)).astype("float32")
    y = np.argmax(x[:, :classes] + 0.5 * rng.normal(size=(n, classes)), axis=1).astype("int32")
    return x, y


def _regressor(lr=0.05, optimizer="sgd", dropout=0.0, l2=0.0, dim=6, momentum=0.0):
    layers = [keras.layers.Input(shape=(dim,))]
    layers.append(
        keras.layers.Dense(16, activation="relu", kernel_regularizer=keras.regularizers.l2(l2) if l2 else None)
    )
    if dropout:
        layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(1))
    model = keras.models.Sequential(layers)
    opt = keras.optimizers.SGD(learning_rate=lr, momentum=momentum) if optimizer == "sgd" else keras.optimizers.Adam(lr)
    model.compile(loss="mse", optimizer=opt, metrics=["mae"])
    return model


def _classifier(lr=0.1):
    model = keras.models.Sequential(
        [
            keras.layers.Input(shape=(6,)),
            keras.layers.Dense(12, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.SGD(lr), metrics=["accuracy"])
    return model


def _fit_both(build, fit_kwargs, make_callbacks, seed=3):
    """Fits the same model twice from the same seed: on the device, then epoch by epoch."""
    runs = []
    for extra in ([], [HostOnly()]):
        keras.utils.set_random_seed(seed)
        model = build()
        callbacks = make_callbacks()
        history = model.fit(verbose=0, callbacks=callbacks + extra, **fit_kwargs)
        runs.append((model, callbacks, history))
    assert runs[0][0].compile_stats["path"] == "whole-fit", runs[0][0].compile_stats
    assert runs[1][0].compile_stats["path"] == "epochs"
    return runs


def _assert_same_runs(runs, tol=1e-6):
    (m_dev, cb_dev, h_dev), (m_host, cb_host, h_host) = runs
    assert h_dev.epoch == h_host.epoch
    assert list(h_dev.history) == list(h_host.history)
    for key in h_host.history:
        np.testing.assert_allclose(h_dev.history[key], h_host.history[key], rtol=tol, atol=tol, err_msg=key)
    for a, b in zip(m_dev.get_weights(), m_host.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert m_dev.optimizer.learning_rate == pytest.approx(m_host.optimizer.learning_rate, rel=1e-6)
    for a, b in zip(cb_dev, cb_host):
        for attribute in ("stopped_epoch", "best_epoch", "wait", "cooldown_counter"):
            if hasattr(b, attribute):
                assert getattr(a, attribute) == getattr(b, attribute), attribute
        if getattr(b, "best_weights", None) is not None:
            for w_a, w_b in zip(a.best_weights, b.best_weights):
                np.testing.assert_allclose(w_a, w_b, rtol=1e-5, atol=1e-6)


CALLBACK_SETS = {
    "history only": lambda: [],
    "early stopping": lambda: [keras.callbacks.EarlyStopping(patience=2)],
    "early stopping, every argument": lambda: [
        keras.callbacks.EarlyStopping(
            monitor="val_mae",
            min_delta=1e-3,
            patience=1,
            mode="min",
            baseline=5.0,
            restore_best_weights=True,
            start_from_epoch=2,
        )
    ],
    "early stopping on loss, max mode": lambda: [
        keras.callbacks.EarlyStopping(monitor="loss", mode="max", patience=1, restore_best_weights=True)
    ],
    "reduce lr": lambda: [keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=1, cooldown=1, min_lr=0.004)],
    "reduce lr and early stopping": lambda: [
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.3, patience=1, min_delta=0.01),
        keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True),
        keras.callbacks.TerminateOnNaN(),
    ],
}


@pytest.mark.parametrize("name", list(CALLBACK_SETS))
def test_device_and_epoch_paths_give_the_same_history(name):
    x, y = _regression_data()
    fit = dict(x=x, y=y, epochs=12, batch_size=16, validation_data=_regression_data(n=61, seed=1))
    _assert_same_runs(_fit_both(_regressor, fit, CALLBACK_SETS[name]))


@pytest.mark.parametrize(
    "fit",
    [
        dict(validation_split=0.25),
        dict(validation_split=0.2, sample_weight=np.linspace(0.5, 2.0, 203).astype("float32")),
        dict(validation_split=0.2, class_weight={0: 1.0, 1: 3.0, 2: 0.5}),
        dict(shuffle="batch"),
        dict(shuffle=False, steps_per_epoch=5),
    ],
    ids=["validation_split", "sample_weight", "class_weight", "batch shuffle", "steps_per_epoch"],
)
def test_paths_agree_with_data_options_and_batch_norm(fit):
    x, y = _classification_data()
    fit = dict(x=x, y=y, epochs=6, batch_size=32, **fit)
    callbacks = lambda: [keras.callbacks.EarlyStopping(monitor="loss", patience=1, restore_best_weights=True)]  # noqa: E731
    _assert_same_runs(_fit_both(_classifier, fit, callbacks))


def test_terminate_on_nan_stops_at_the_same_batch_on_both_paths(capsys):
    x, y = _regression_data(n=300)
    x = x * 100
    runs = _fit_both(
        lambda: _regressor(lr=0.5), dict(x=x, y=y, epochs=5, batch_size=8), lambda: [keras.callbacks.TerminateOnNaN()]
    )
    printed = capsys.readouterr().out.splitlines()
    batches = [line for line in printed if "Invalid loss" in line]
    assert len(batches) == 2 and batches[0] == batches[1], printed
    assert runs[0][2].epoch == runs[1][2].epoch == [0]
    assert runs[0][0].optimizer.iterations == runs[1][0].optimizer.iterations
    assert runs[0][0].optimizer.iterations == int(batches[0].split()[1].rstrip(":")) + 1


def test_reduce_lr_changes_the_rate_identically():
    x, y = _regression_data()
    runs = _fit_both(
        lambda: _regressor(lr=0.2),
        dict(x=x, y=y, epochs=10, batch_size=64, validation_data=(x[:50], y[:50])),
        lambda: [keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=10.0)],
    )
    lr_dev, lr_host = runs[0][2].history["lr"], runs[1][2].history["lr"]
    np.testing.assert_allclose(lr_dev, lr_host, rtol=1e-6)
    assert lr_dev[-1] < lr_dev[0]  # the rate was reduced


def test_path_and_reason_are_reported():
    x, y = _regression_data()
    model = _regressor()
    model.fit(x, y, epochs=2, verbose=0)
    assert model.compile_stats["path"] == "whole-fit"
    for callbacks, verbose, reason in [
        ([HostOnly()], 0, "HostOnly runs on the host"),
        ([keras.callbacks.CSVLogger("/dev/null")], 0, "CSVLogger runs on the host"),
        ([], 1, "verbose=1 shows a progress bar"),
        ([], 2, "verbose=2 prints a line per epoch"),
    ]:
        model.fit(x, y, epochs=1, verbose=verbose, callbacks=callbacks)
        assert model.compile_stats["path"] == "epochs" and model.compile_stats["reason"] == reason
    model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y), validation_freq=2)
    assert model.compile_stats["reason"] == "validation_freq is not 1"


def test_a_user_callback_can_run_on_the_device():
    from jeras.callbacks.device import DeviceRule

    def stop_below(static, params, state, epoch, logs, control):
        return state, logs, control._replace(stop=control.stop | (logs["loss"] < params))

    class StopBelow(keras.callbacks.Callback):
        def __init__(self, threshold):
            super().__init__()
            self.threshold = threshold

        def device_rule(self, context):
            return DeviceRule(static="stop-below", epoch_end=stop_below, params=np.float32(self.threshold))

    x, y = _regression_data()
    model = _regressor(lr=0.05)
    history = model.fit(x, y, epochs=50, verbose=0, callbacks=[StopBelow(0.5)])
    assert model.compile_stats["path"] == "whole-fit"
    assert history.history["loss"][-1] < 0.5 and all(v >= 0.5 for v in history.history["loss"][:-1])


def _compiles_during(fn):
    before = compile_totals()[1]
    fn()
    return compile_totals()[1] - before


def test_a_new_model_of_the_same_structure_compiles_nothing(fresh_compiles):
    x, y = _regression_data()
    val = _regression_data(n=40, seed=2)
    stop = lambda: [keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True)]  # noqa: E731
    first = _regressor(lr=0.01, dropout=0.2, l2=0.01, momentum=0.5)
    first.fit(x, y, epochs=20, validation_data=val, callbacks=stop(), verbose=0)
    traces = dict(first._engine.fns.trace_counts)
    assert traces.get("whole_fit") == 1  # the first model really traced its program
    for kwargs in (
        dict(lr=0.003, dropout=0.2, l2=0.01, momentum=0.5),
        dict(lr=0.02, dropout=0.4, l2=0.1, momentum=0.9),
    ):
        model = _regressor(**kwargs)
        count = _compiles_during(
            lambda m=model: m.fit(x, y, epochs=30, validation_data=val, callbacks=stop(), verbose=0)
        )
        assert count == 0 and model.compile_stats["compiles"] == 0
        assert model._engine is first._engine and dict(model._engine.fns.trace_counts) == traces
    # The hyperparameters are really used: another rate gives other weights.
    a, b = (
        _regressor(lr=0.01, dropout=0.2, l2=0.01, momentum=0.5),
        _regressor(lr=0.01, dropout=0.2, l2=0.5, momentum=0.5),
    )
    b.set_weights(a.get_weights())
    for model in (a, b):
        keras.utils.set_random_seed(0)
        model.fit(x, y, epochs=3, verbose=0)
    assert not np.allclose(a.get_weights()[0], b.get_weights()[0])


def test_the_shared_program_computes_each_models_own_hyperparameters():
    """A model fitted through a program traced for another one equals a fresh process's result."""
    x, y = _regression_data()
    keras.backend.clear_session()
    keras.utils.set_random_seed(5)
    alone = _regressor(lr=0.02, dropout=0.3, l2=0.05, momentum=0.8)
    alone.fit(x, y, epochs=4, verbose=0)
    expected = alone.get_weights()
    keras.backend.clear_session()
    _regressor(lr=0.05, dropout=0.1, l2=0.001, momentum=0.1).fit(x, y, epochs=2, verbose=0)
    keras.utils.set_random_seed(5)
    shared = _regressor(lr=0.02, dropout=0.3, l2=0.05, momentum=0.8)
    count = _compiles_during(lambda: shared.fit(x, y, epochs=4, verbose=0))
    assert count == 0
    for a, b in zip(shared.get_weights(), expected):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def _functional(units=8):
    a = keras.layers.Input(shape=(3,))
    b = keras.layers.Input(shape=(4,))
    hidden = keras.layers.Dense(units, activation="relu")(b)
    merged = keras.layers.concatenate([a, hidden])
    out = keras.layers.Dense(1)(merged)
    model = keras.Model(inputs=[a, b], outputs=out)
    model.compile(loss="mse", optimizer=keras.optimizers.Adam(learning_rate=np.random.uniform(1e-3, 1e-2)))
    return model


class _Subclassed(keras.Model):
    def __init__(self, units=8, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(units, activation="relu")
        self.out = keras.layers.Dense(1)

    def call(self, inputs):
        return self.out(self.hidden(inputs))


def _subclassed(units=8):
    model = _Subclassed(units)
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=np.random.uniform(1e-3, 1e-2)))
    return model


@pytest.mark.parametrize("kind", ["functional", "subclassed"])
def test_functional_and_subclassed_models_share_programs(kind):
    rng = np.random.default_rng(0)
    y = rng.normal(size=(64, 1)).astype("float32")
    x = [rng.normal(size=(64, 3)).astype("float32"), rng.normal(size=(64, 4)).astype("float32")]
    build = _functional if kind == "functional" else _subclassed
    if kind == "subclassed":
        x = x[1]
    first = build()
    first.fit(x, y, epochs=3, verbose=0)
    second = build()
    assert _compiles_during(lambda: second.fit(x, y, epochs=5, verbose=0)) == 0
    assert second._engine is first._engine
    other = build(units=9)  # another structure has programs of its own
    other.fit(x, y, epochs=3, verbose=0)
    assert other._engine is not first._engine


def test_predict_and_evaluate_reuse_a_bounded_set_of_programs():
    x, y = _regression_data(n=500)
    model = _regressor()
    model.fit(x, y, epochs=1, verbose=0)
    for program in model._engine._predict_compiled.values():
        program.result()  # the background compile of the small predict program
    assert _compiles_during(lambda: model.predict(x[:3], verbose=0)) == 0
    for steps in (1, 2, 4, 8, 16):  # the chunk sizes of up to 500 rows in batches of 32
        model.predict(x[: 32 * steps], verbose=0)
        model.evaluate(x[: 32 * steps], y[: 32 * steps], verbose=0)
    sizes = (7, 33, 301, 499, 250, 77, 500)
    counts = [
        _compiles_during(lambda n=n: (model.predict(x[:n], verbose=0), model.evaluate(x[:n], y[:n], verbose=0)))
        for n in sizes
    ]
    assert counts == [0] * len(sizes), counts
    assert len(model._engine._predict_compiled) <= 5
    np.testing.assert_allclose(model.predict(x[:37], verbose=0), model.predict(x, verbose=0)[:37], rtol=1e-6)
    full = model.evaluate(x, y, verbose=0, return_dict=True)
    np.testing.assert_allclose(full["loss"], np.mean((model.predict(x, verbose=0) - y) ** 2), rtol=1e-5)


def test_uint8_images_travel_as_they_are_and_train_like_floats():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(96, 6, 6), dtype=np.uint8)
    labels = rng.integers(0, 3, size=96)

    def build():
        model = keras.models.Sequential(
            [keras.layers.Input(shape=(6, 6)), keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")]
        )
        model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.SGD(1e-4))
        return model

    from jeras.training.inputs import InputPreparer

    a = build()
    prepared = InputPreparer(a).prepare(images, labels, need_y=True, what="fit")
    assert prepared.x.dtype == np.uint8 and prepared.x is images
    b = build()
    b.set_weights(a.get_weights())
    for model, data in ((a, images), (b, images.astype("float32"))):
        keras.utils.set_random_seed(1)
        model.fit(data, labels, epochs=2, batch_size=16, verbose=0)
    for w_a, w_b in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(w_a, w_b, rtol=1e-6)


def test_aligned_float32_data_are_not_copied():
    from jeras.training.inputs import aligned_empty, cast_for_device, to_device

    x = aligned_empty((100, 5), np.float32)
    x[:] = 1.0
    assert cast_for_device(x, None) is x
    device = to_device(x)
    assert device.unsafe_buffer_pointer() == x.ctypes.data
    unaligned = np.ones((100, 5), np.float64)
    cast = cast_for_device(unaligned, None)
    assert cast.dtype == np.float32 and cast.ctypes.data % 64 == 0


def test_an_exception_in_a_callback_leaves_the_last_completed_weights():
    x, y = _regression_data(n=320)

    class Boom(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 4:
                raise RuntimeError("boom")

    model = _regressor()
    before = model.get_weights()
    with pytest.raises(RuntimeError, match="boom"):
        model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[Boom()])
    after = model.get_weights()
    assert all(np.isfinite(w).all() for w in after)
    assert not np.allclose(before[0], after[0])
    assert model.optimizer.iterations > 0
    model.fit(x, y, epochs=1, verbose=0)  # still usable
    assert model.predict(x[:2], verbose=0).shape == (2, 1)


def test_train_on_batch_rejects_class_weight_on_several_outputs_like_fit():
    a = keras.layers.Input(shape=(3,))
    model = keras.Model(a, [keras.layers.Dense(2, activation="softmax")(a), keras.layers.Dense(1)(a)])
    model.compile(loss=["sparse_categorical_crossentropy", "mse"], optimizer="sgd")
    x = np.ones((4, 3), np.float32)
    y = [np.array([0, 1, 0, 1]), np.ones((4, 1), np.float32)]
    for call in (
        lambda: model.fit(x, y, class_weight={0: 1.0, 1: 2.0}, verbose=0),
        lambda: model.train_on_batch(x, y, class_weight={0: 1.0, 1: 2.0}),
    ):
        with pytest.raises(ValueError, match="class_weight is only supported for models with a single output"):
            call()


def test_resume_is_an_explicit_request_of_the_run():
    x, y = _regression_data()
    seen = {}

    class Resumer(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen["seed"] = self.run.seed
            self.run.resume(epoch=3, seed=1234)

    model = _regressor()
    history = model.fit(x, y, epochs=5, verbose=0, callbacks=[Resumer()])
    assert history.epoch == [3, 4] and model.fit_run.seed == 1234 and seen["seed"] != 1234
    for bad in (dict(epoch=-1), dict(epoch=1, step=10**6)):
        with pytest.raises(ValueError, match="Received"):
            model.fit_run.resume(**bad)


def test_callbacks_must_be_a_list():
    x, y = _regression_data()
    with pytest.raises(TypeError, match="callbacks must be a list"):
        _regressor().fit(x, y, verbose=0, callbacks=keras.callbacks.EarlyStopping())


_CACHE_SCRIPT = """
import numpy as np
from jeras import keras
from jeras.backend import compilation
rng = np.random.default_rng(0)
x, y = rng.normal(size=(64, 4)).astype("float32"), rng.normal(size=(64, 1)).astype("float32")
model = keras.models.Sequential([keras.layers.Input(shape=(4,)), keras.layers.Dense(3), keras.layers.Dense(1)])
model.compile(loss="mse", optimizer="sgd")
model.fit(x, y, epochs=2, verbose=0)
print(compilation.cache_dir, compilation.compile_totals()[1])
"""


def _run_cache_script(env):
    import os
    import subprocess
    import sys

    full_env = {**os.environ, **env}
    out = subprocess.run(
        [sys.executable, "-c", _CACHE_SCRIPT], env=full_env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    directory, compiles = out.stdout.split()
    return directory, int(compiles)


def test_the_persistent_compilation_cache_serves_a_second_process(tmp_path):
    # The model's programs go to the stable-key store inside the cache folder (see
    # test_stored_programs.py); the few small eager programs go to JAX's own cache.
    cache = tmp_path / "xla"
    env = {"JERAS_COMPILATION_CACHE": "1", "JERAS_CACHE_DIR": str(cache), "JAX_COMPILATION_CACHE_DIR": ""}
    first_dir, first_compiles = _run_cache_script(env)
    assert first_dir == str(cache) and any((cache / "jeras-programs").glob("*.jexe"))
    _, second_compiles = _run_cache_script(env)
    assert second_compiles < first_compiles
    off_dir, _ = _run_cache_script({**env, "JERAS_COMPILATION_CACHE": "0", "JERAS_CACHE_DIR": str(tmp_path / "off")})
    assert off_dir == "None" and not (tmp_path / "off").exists()
