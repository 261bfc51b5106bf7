"""The epoch shuffle (jeras/training/shuffle.py): a bijection of 0..n-1, reproducible, and evenly spread."""

import jax
import numpy as np
import pytest

from jeras.training.shuffle import shuffled_range


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 17, 100, 1024, 1025, 7740])
def test_every_row_once(n):
    order = np.asarray(shuffled_range(jax.random.key(n), n))
    assert order.dtype == np.int32 and sorted(order.tolist()) == list(range(n))


def test_same_key_same_order_other_key_other_order():
    a, b = (np.asarray(shuffled_range(jax.random.key(s), 1000)) for s in (1, 1))
    c = np.asarray(shuffled_range(jax.random.key(2), 1000))
    np.testing.assert_array_equal(a, b)
    assert (a != c).mean() > 0.95


def test_positions_are_uniform_and_neighbours_uncorrelated():
    """Over 2,000 keys, where row 0 lands among 10 places passes a chi-square test (p > 0.001);
    rows that are neighbours in the data are neighbours in the order about as often as by chance."""
    draws = jax.jit(jax.vmap(lambda k: shuffled_range(k, 10)))(jax.random.split(jax.random.key(0), 2000))
    places = np.argmax(np.asarray(draws) == 0, axis=1)
    counts = np.bincount(places, minlength=10)
    chi_square = ((counts - 200.0) ** 2 / 200.0).sum()
    assert chi_square < 27.9, counts  # the 0.999 quantile of chi-square with 9 degrees of freedom
    order = np.asarray(shuffled_range(jax.random.key(3), 7740))
    adjacent = np.mean(np.abs(np.diff(order)) == 1)
    assert adjacent < 5 * 2 / 7740


def test_rejects_more_rows_than_it_can_index():
    with pytest.raises(ValueError, match="n="):
        shuffled_range(jax.random.key(0), 2**31 + 1)
