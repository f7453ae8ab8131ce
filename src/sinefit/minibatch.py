"""Minibatch gradients: unbiased, noisy estimates of the full-data gradient.

The course MSE is a mean over the data, so its gradient is the mean of the per-example gradients

    g_i = -(y_i - sin(omega*x_i + t)) * cos(omega*x_i + t) * (x_i, 1).

The mean over a random minibatch B of size b (drawn without replacement, as a shuffled epoch does)
is an unbiased estimate of the full gradient g.  Its spread, the root-mean-square distance to g, is

    sqrt(E|g_B - g|^2) = sqrt(tr(Sigma) / b * (N - b) / (N - 1)),

with Sigma the covariance of the per-example gradients over the N rows (divided by N).  For b << N
it shrinks like 1/sqrt(b); the finite-population factor (N - b)/(N - 1) takes it to zero at b = N,
where the "minibatch" is the whole data set.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sinefit._checks import as_data


def _check_point(omega: float, t: float) -> tuple[float, float]:
    point = np.asarray([omega, t], dtype=float)
    if point.shape != (2,) or not np.all(np.isfinite(point)):
        raise ValueError(f"omega and t must be two finite numbers, got omega={omega!r}, t={t!r}")
    return float(point[0]), float(point[1])


def _check_batch_size(batch_size: int, n: int) -> int:
    if not isinstance(batch_size, (int, np.integer)) or not 1 <= batch_size <= n:
        raise ValueError(f"batch_size must be an integer between 1 and the {n} data rows, got batch_size={batch_size!r}")
    return int(batch_size)


def per_example_grads(x: ArrayLike, y: ArrayLike, omega: float, t: float) -> NDArray[np.float64]:
    """The gradient of 1/2 * (y_i - sin(omega*x_i + t))**2 for every row, shape ``(N, 2)``.

    Column 0 is d/domega, column 1 is d/dt; their mean over the rows is :func:`sinefit.model.mse_grad`.
    """
    x_arr, y_arr = as_data(x, y)
    omega, t = _check_point(omega, t)
    phase = omega * x_arr + t
    d_t = -(y_arr - np.sin(phase)) * np.cos(phase)
    return np.column_stack([d_t * x_arr, d_t])


def batch_indices(n: int, batch_size: int, n_batches: int, seed: int) -> NDArray[np.intp]:
    """``n_batches`` random minibatches of row indices, shape ``(n_batches, batch_size)``.

    Each minibatch holds ``batch_size`` distinct rows of ``range(n)`` (drawn without replacement, as
    in one shuffled epoch); different minibatches are independent.  The same seed gives the same
    minibatches on every run.
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive number of data rows, got n={n!r}")
    batch_size = _check_batch_size(batch_size, n)
    if not isinstance(n_batches, (int, np.integer)) or n_batches < 1:
        raise ValueError(f"n_batches must be a positive integer, got n_batches={n_batches!r}")
    rng = np.random.default_rng(seed)
    n_batches = int(n_batches)
    if batch_size * batch_size <= n:
        # Small batches rarely repeat a row (probability about b^2 / 2N): draw rows with
        # replacement and redraw the batches that repeat one.  Kept batches are uniform over the
        # batches of distinct rows, and this costs O(b) per batch instead of O(N) for a shuffle.
        rows = rng.integers(n, size=(n_batches, batch_size))
        while True:
            ordered = np.sort(rows, axis=1)
            repeats = np.any(ordered[:, 1:] == ordered[:, :-1], axis=1)
            if not repeats.any():
                return rows.astype(np.intp)
            rows[repeats] = rng.integers(n, size=(int(repeats.sum()), batch_size))
    # Larger batches: one random key per row, the batch_size smallest keys pick the rows (a
    # uniformly random subset, as the first batch_size rows of a shuffle are).
    keys = rng.random((n_batches, n))
    if batch_size == n:
        return np.argsort(keys, axis=1)
    return np.argpartition(keys, batch_size - 1, axis=1)[:, :batch_size]


def minibatch_grads(
    x: ArrayLike, y: ArrayLike, omega: float, t: float, batch_size: int, n_batches: int, seed: int
) -> NDArray[np.float64]:
    """The gradient of the MSE on ``n_batches`` random minibatches (see :func:`batch_indices`), shape ``(n_batches, 2)``."""
    per_example = per_example_grads(x, y, omega, t)
    rows = batch_indices(len(per_example), batch_size, n_batches, seed)
    return per_example[rows].mean(axis=1)


def gradient_spread(
    x: ArrayLike, y: ArrayLike, omega: float, t: float, batch_size: int, n_batches: int, seed: int
) -> float:
    """The measured spread sqrt(mean |g_B - g|^2) of ``n_batches`` minibatch gradients around the full gradient g."""
    per_example = per_example_grads(x, y, omega, t)
    full = per_example.mean(axis=0)
    rows = batch_indices(len(per_example), batch_size, n_batches, seed)
    deviations = per_example[rows].mean(axis=1) - full
    return float(np.sqrt(np.mean(np.sum(deviations**2, axis=1))))


def predicted_spread(x: ArrayLike, y: ArrayLike, omega: float, t: float, batch_size: int) -> float:
    """The exact spread sqrt(tr(Sigma)/b * (N-b)/(N-1)) of a minibatch gradient drawn without replacement."""
    per_example = per_example_grads(x, y, omega, t)
    n = len(per_example)
    batch_size = _check_batch_size(batch_size, n)
    total_variance = float(np.sum(per_example.var(axis=0)))  # tr(Sigma), divided by N
    if n == 1:
        return 0.0
    return float(np.sqrt(total_variance / batch_size * (n - batch_size) / (n - 1)))
