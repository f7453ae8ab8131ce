"""Minibatch gradients are unbiased estimates of the full gradient with the predicted spread."""

from itertools import combinations

import numpy as np
import pytest
import torch

from sinefit.data import load_xy
from sinefit.minibatch import (
    batch_indices,
    gradient_spread,
    minibatch_grads,
    per_example_grads,
    predicted_spread,
)
from sinefit.model import mse_grad
from sinefit.training import course_loss

X, Y = load_xy(rows=200)


def test_per_example_grads_match_torch_per_row():
    grads = per_example_grads(X[:5], Y[:5], 3.0, 1.0)
    for row, (xi, yi) in enumerate(zip(X[:5], Y[:5])):
        omega = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
        t = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
        course_loss(torch.tensor([xi]), torch.tensor([yi]), omega, t).backward()
        np.testing.assert_allclose(grads[row], [omega.grad.item(), t.grad.item()], rtol=1e-13, atol=1e-15)


def test_per_example_grads_average_to_the_full_gradient():
    np.testing.assert_allclose(per_example_grads(X, Y, 2.5, -0.3).mean(axis=0), mse_grad(X, Y, 2.5, -0.3), atol=1e-15)


def test_batch_indices_are_distinct_rows_and_seeded():
    rows = batch_indices(50, 7, 30, seed=3)
    assert rows.shape == (30, 7)
    assert all(len(set(batch)) == 7 for batch in rows)
    assert rows.min() >= 0 and rows.max() < 50
    np.testing.assert_array_equal(rows, batch_indices(50, 7, 30, seed=3))
    assert not np.array_equal(rows, batch_indices(50, 7, 30, seed=4))


@pytest.mark.parametrize("batch_size", [2, 4])  # 2*2 <= 6 draws with redraws, 4*4 > 6 draws random keys
def test_batch_indices_draw_every_subset_equally_often(batch_size):
    n_batches = 15_000  # 15 subsets of 6 rows either way: about 1000 each
    rows = batch_indices(6, batch_size, n_batches, seed=0)
    assert all(len(set(batch)) == batch_size for batch in rows)
    subsets, counts = np.unique(np.sort(rows, axis=1), axis=0, return_counts=True)
    assert len(subsets) == 15
    expected = n_batches / 15
    assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected * 14 / 15))  # 5 binomial sigmas


def test_minibatch_grads_are_means_over_their_rows():
    grads = minibatch_grads(X, Y, 3.0, 1.0, batch_size=10, n_batches=4, seed=1)
    rows = batch_indices(len(X), 10, 4, seed=1)
    for grad, batch in zip(grads, rows):
        np.testing.assert_allclose(grad, mse_grad(X[batch], Y[batch], 3.0, 1.0), atol=1e-15)


def test_predicted_spread_is_exact_over_all_minibatches():
    # Every minibatch of 2 out of 6 rows is equally likely: the mean over all 15 is the expectation.
    x, y = X[:6], Y[:6]
    per_example = per_example_grads(x, y, 3.0, 1.0)
    full = per_example.mean(axis=0)
    squared = [np.sum((per_example[list(batch)].mean(axis=0) - full) ** 2) for batch in combinations(range(6), 2)]
    assert predicted_spread(x, y, 3.0, 1.0, 2) == pytest.approx(np.sqrt(np.mean(squared)), rel=1e-12)


def test_spread_is_zero_for_the_full_batch_and_shrinks_like_one_over_root_b_for_small_b():
    assert predicted_spread(X, Y, 3.0, 1.0, len(X)) == 0.0
    assert gradient_spread(X, Y, 3.0, 1.0, len(X), 5, seed=0) == pytest.approx(0.0, abs=1e-15)
    ratio = predicted_spread(X, Y, 3.0, 1.0, 1) / predicted_spread(X, Y, 3.0, 1.0, 4)
    assert ratio == pytest.approx(2.0 * np.sqrt((len(X) - 1) / (len(X) - 4)), rel=1e-12)


def test_measured_spread_matches_prediction():
    measured = gradient_spread(X, Y, 3.0, 1.0, 10, 4000, seed=0)
    assert measured == pytest.approx(predicted_spread(X, Y, 3.0, 1.0, 10), rel=0.05)


@pytest.mark.parametrize("batch_size", [0, 201, 2.5])
def test_bad_batch_size_is_a_value_error(batch_size):
    with pytest.raises(ValueError, match="batch_size"):
        predicted_spread(X, Y, 3.0, 1.0, batch_size)


def test_bad_inputs_are_value_errors():
    with pytest.raises(ValueError, match="n_batches"):
        batch_indices(10, 2, 0, seed=0)
    with pytest.raises(ValueError, match="n must be"):
        batch_indices(0, 1, 1, seed=0)
    with pytest.raises(ValueError, match="omega and t"):
        per_example_grads(X, Y, float("nan"), 1.0)
    with pytest.raises(ValueError, match="same length"):
        per_example_grads(X, Y[:-1], 3.0, 1.0)
