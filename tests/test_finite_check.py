"""The finite check on large arrays (`jeras.training.data.check_finite`): its fast path (row sums
through one matrix-vector product) must never let a NaN or inf through, and must not refuse
finite values whose sums overflow."""

import numpy as np
import pytest

from jeras.training.data import check_finite


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("shape", [(70000,), (300, 16, 16)])
def test_a_single_non_finite_value_is_found(dtype, bad, shape):
    x = np.random.default_rng(0).random(shape).astype(dtype)
    x.flat[x.size // 3] = bad
    with pytest.raises(ValueError, match=r"x contains 1 NaN or infinite value"):
        check_finite(x, argument="x")


def test_finite_values_whose_sums_overflow_are_accepted():
    x = np.full((1000, 100), np.finfo(np.float32).max / 2, dtype=np.float32)
    assert not np.isfinite(x.sum(axis=1)).all()
    check_finite(x, argument="x")  # no error: every value is finite


def test_non_contiguous_arrays_are_checked_too():
    x = np.random.default_rng(0).random((400, 400)).astype(np.float32)
    x[7, 8] = np.nan
    with pytest.raises(ValueError, match="1 NaN"):
        check_finite(x.T, argument="x")


def _counting(monkeypatch):
    from jeras.training import data

    calls = []
    real = data._sums_are_finite
    monkeypatch.setattr(data, "_sums_are_finite", lambda arr: calls.append(arr.shape) or real(arr))
    return calls


def _fit_twice(x, y):
    from jeras import keras

    model = keras.models.Sequential([keras.layers.Input(shape=(x.shape[1],)), keras.layers.Dense(3, "softmax")])
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd")
    model.fit(x, y, epochs=1, batch_size=1024, verbose=0)
    model.fit(x, y, epochs=1, batch_size=1024, verbose=0)
    model.evaluate(x, y, batch_size=1024, verbose=0)
    return model


def test_immutable_data_is_scanned_once_across_calls(monkeypatch):
    import jax.numpy as jnp

    rng = np.random.default_rng(0)
    x = rng.random((70000, 4)).astype(np.float32)
    y = rng.integers(0, 3, 70000)
    calls = _counting(monkeypatch)
    _fit_twice(x, y)
    assert len(calls) == 3  # writeable: the caller may change it between calls, so every call scans it
    read_only = x.copy()
    read_only.flags.writeable = False
    calls.clear()
    _fit_twice(read_only, y)
    assert len(calls) == 1
    calls.clear()
    _fit_twice(jnp.asarray(x), y)
    assert len(calls) == 1


def test_a_read_only_view_of_changing_data_is_scanned_every_time(monkeypatch):
    rng = np.random.default_rng(1)
    x = rng.random((70000, 4)).astype(np.float32)
    y = rng.integers(0, 3, 70000)
    view = x.view()
    view.flags.writeable = False
    model = _fit_twice(view, y)
    x[5, 1] = np.nan  # the owner is writeable: the view's contents changed
    with pytest.raises(ValueError, match="x contains 1 NaN"):
        model.fit(view, y, epochs=1, verbose=0)


def test_a_failed_check_is_not_remembered():
    from jeras.training.data import passed_checks

    x = np.random.default_rng(2).random((70000, 2)).astype(np.float32)
    x[3, 0] = np.inf
    x.flags.writeable = False
    for _ in range(2):
        with pytest.raises(ValueError, match="1 NaN or infinite"):
            check_finite(x, argument="x")
    assert not passed_checks.passed(x, ("finite",))
