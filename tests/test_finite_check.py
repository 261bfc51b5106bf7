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
