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

from sinefit._checks import CHUNK_ELEMENTS, as_data, as_int, as_real, check_bytes, check_phase, check_work


def _check_point(omega: float, t: float) -> tuple[float, float]:
    """omega and t as two finite floats (each a single real number)."""
    values = []
    for name, value in (("omega", omega), ("t", t)):
        try:
            values.append(as_real(value, name))
        except ValueError as exc:  # ArgumentTypeError is a ValueError too
            raise type(exc)(f"omega and t must be two finite numbers: {exc}") from None
    return values[0], values[1]


def _check_batch_size(batch_size: int, n: int) -> int:
    what = f"an integer between 1 and the {n} data rows"
    size = as_int(batch_size, "batch_size", what=what)
    if not 1 <= size <= n:
        raise ValueError(f"batch_size must be {what}, got batch_size={batch_size!r}")
    return size


def per_example_grads(x: ArrayLike, y: ArrayLike, omega: float, t: float) -> NDArray[np.float64]:
    """The gradient of 1/2 * (y_i - sin(omega*x_i + t))**2 for every row, shape ``(N, 2)``.

    Column 0 is d/domega, column 1 is d/dt; their mean over the rows is :func:`sinefit.model.mse_grad`.
    """
    x_arr, y_arr = as_data(x, y)
    omega, t = _check_point(omega, t)
    check_phase(x_arr, np.array([omega]), np.array([t]))
    phase = omega * x_arr + t
    d_t = -(y_arr - np.sin(phase)) * np.cos(phase)
    return np.column_stack([d_t * x_arr, d_t])


def batch_indices(n: int, batch_size: int, n_batches: int, seed: int) -> NDArray[np.intp]:
    """``n_batches`` random minibatches of row indices, shape ``(n_batches, batch_size)``.

    Each minibatch holds ``batch_size`` distinct rows of ``range(n)`` (drawn without replacement, as
    in one shuffled epoch); different minibatches are independent.  The same seed (an integer
    >= 0) gives the same minibatches on every run.  Raises ValueError when the result would pass
    :data:`sinefit._checks.MAX_BYTES` or the draw :data:`sinefit._checks.MAX_EVALUATIONS`;
    large draws are made a chunk of batches at a time (the same numbers as in one go).
    """
    n = as_int(n, "n", low=1, what="a positive number of data rows")
    batch_size = _check_batch_size(batch_size, n)
    n_batches = as_int(n_batches, "n_batches", low=1, what="a positive integer")
    seed = as_int(seed, "seed", low=0, what="an integer >= 0 (the same seed gives the same batches)")
    what = f"{n_batches:,} minibatches of {batch_size:,} rows"
    check_bytes(8.0 * n_batches * batch_size, what, "ask for fewer minibatches")
    rng = np.random.default_rng(seed)
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
    # uniformly random subset, as the first batch_size rows of a shuffle are).  The keys are drawn
    # a chunk of batches at a time: the generator gives the same numbers as one (n_batches, n) draw.
    check_work(float(n_batches) * n, f"drawing {what} from {n:,} rows (one random key per row and batch)",
               "ask for fewer minibatches")
    chunk = max(1, CHUNK_ELEMENTS // n)
    parts = []
    for begin in range(0, n_batches, chunk):
        keys = rng.random((min(chunk, n_batches - begin), n))
        if batch_size == n:
            parts.append(np.argsort(keys, axis=1))
        else:
            parts.append(np.argpartition(keys, batch_size - 1, axis=1)[:, :batch_size].copy())
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def minibatch_grads(
    x: ArrayLike, y: ArrayLike, omega: float, t: float, batch_size: int, n_batches: int, seed: int
) -> NDArray[np.float64]:
    """The gradient of the MSE on ``n_batches`` random minibatches (see :func:`batch_indices`), shape ``(n_batches, 2)``."""
    per_example = per_example_grads(x, y, omega, t)
    rows = batch_indices(len(per_example), batch_size, n_batches, seed)
    check_bytes(16.0 * rows.size, f"the gradients of {rows.shape[0]:,} minibatches of {rows.shape[1]:,} rows",
                "ask for fewer minibatches")
    return per_example[rows].mean(axis=1)


def gradient_spread(
    x: ArrayLike, y: ArrayLike, omega: float, t: float, batch_size: int, n_batches: int, seed: int
) -> float:
    """The measured spread sqrt(mean |g_B - g|^2) of ``n_batches`` minibatch gradients around the full gradient g."""
    per_example = per_example_grads(x, y, omega, t)
    full = per_example.mean(axis=0)
    rows = batch_indices(len(per_example), batch_size, n_batches, seed)
    check_bytes(16.0 * rows.size, f"the gradients of {rows.shape[0]:,} minibatches of {rows.shape[1]:,} rows",
                "ask for fewer minibatches")
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
