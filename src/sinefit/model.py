"""The model f(x | omega, t) = sin(omega*x + t), its loss and the analytic gradient.

MSE(omega, t) = 1/2 * 1/N * sum_i (y_i - sin(omega*x_i + t))**2.  The 1/2 cancels the 2 that
differentiating the square brings down, so the gradient has no stray factor:

    dMSE/domega = -1/N * sum_i (y_i - sin(omega*x_i + t)) * cos(omega*x_i + t) * x_i
    dMSE/dt     = -1/N * sum_i (y_i - sin(omega*x_i + t)) * cos(omega*x_i + t)

Parameters may be scalars or arrays that broadcast together (shape S); data are 1-D (length N).
``predict`` then has shape S + (N,), ``mse`` and each gradient component shape S.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sinefit._checks import (
    CHUNK_ELEMENTS,
    as_data,
    as_float_array,
    as_params,
    check_bytes,
    check_phase,
    check_work,
)


def _check_grid_work(n_points: int, n_data: int, what: str) -> None:
    """Refuse a parameter grid times data that is too much work (before allocating anything)."""
    check_work(
        float(n_points) * n_data, f"{what} at {n_points:,} parameter point(s) on {n_data:,} data points",
        "for a grid of (omega, t) use sinefit.landscape.mse_grid (O(N * n_omega) work), or fewer data points",
    )


def predict(x: ArrayLike, omega: ArrayLike, t: ArrayLike) -> NDArray[np.float64]:
    """The model's prediction sin(omega*x + t), shape ``broadcast(omega, t).shape + x.shape``."""
    x_arr = as_float_array(x, "x")
    if not np.all(np.isfinite(x_arr)):
        raise ValueError(f"x has {int(np.count_nonzero(~np.isfinite(x_arr)))} non-finite value(s) (NaN or inf)")
    omega_arr, t_arr = as_params(omega, t)
    check_phase(x_arr, omega_arr, t_arr)
    check_bytes(8.0 * omega_arr.size * x_arr.size,
                f"predict at {omega_arr.size:,} parameter point(s) for {x_arr.size:,} x values",
                "predict at fewer points, or use mse/mse_grid which reduce over the data")
    return np.sin(omega_arr[..., np.newaxis] * x_arr.reshape(-1) + t_arr[..., np.newaxis]).reshape(
        omega_arr.shape + x_arr.shape
    )


def _checked(x, y, omega, t, what):
    """Validated data and parameters, refusing overflow and too much work."""
    x_arr, y_arr = as_data(x, y)
    omega_arr, t_arr = as_params(omega, t)
    check_phase(x_arr, omega_arr, t_arr)
    _check_grid_work(omega_arr.size, x_arr.size, what)
    return x_arr, y_arr, omega_arr, t_arr


def _per_point(x_arr, y_arr, omega_arr, t_arr, reduce):
    """``reduce(x, y, omega[..., None], t[..., None])`` over the parameter points, in chunks if large.

    Small work (every size the course uses) is one vectorised call; work above
    ``CHUNK_ELEMENTS`` goes through the flattened parameter points a chunk at a time, so memory
    stays bounded.  Each parameter point is reduced over the data by itself either way.
    """
    if omega_arr.size * x_arr.size <= CHUNK_ELEMENTS:
        return reduce(x_arr, y_arr, omega_arr[..., np.newaxis], t_arr[..., np.newaxis])
    flat_omega, flat_t = omega_arr.reshape(-1), t_arr.reshape(-1)
    chunk = max(1, CHUNK_ELEMENTS // x_arr.size)
    parts = [
        reduce(x_arr, y_arr, flat_omega[i:i + chunk, np.newaxis], flat_t[i:i + chunk, np.newaxis])
        for i in range(0, flat_omega.size, chunk)
    ]
    return tuple(np.concatenate([p[k] for p in parts]).reshape(omega_arr.shape) for k in range(len(parts[0])))


def _loss_and_grad_unchecked(
    x: NDArray[np.float64], y: NDArray[np.float64], omega: float, t: float
) -> tuple[float, NDArray[np.float64]]:
    """MSE and gradient at one point, sharing one residual; inputs must be validated already."""
    phase = omega * x + t
    residual = y - np.sin(phase)
    weighted = residual * np.cos(phase)
    n = x.size
    return 0.5 * float(residual @ residual) / n, np.array([-(weighted @ x) / n, -weighted.sum() / n])


def mse_and_grad(x: ArrayLike, y: ArrayLike, omega: float, t: float) -> tuple[float, NDArray[np.float64]]:
    """:func:`mse` and :func:`mse_grad` at one point (omega, t), computed from one residual."""
    x_arr, y_arr = as_data(x, y)
    omega_arr, t_arr = as_params(omega, t)
    if omega_arr.shape != ():
        raise ValueError(f"mse_and_grad takes one point: omega and t must be scalars, got shape {omega_arr.shape}")
    check_phase(x_arr, omega_arr, t_arr)
    return _loss_and_grad_unchecked(x_arr, y_arr, float(omega_arr), float(t_arr))


def _mse_reduce(x_arr, y_arr, omega, t):
    residual = y_arr - np.sin(omega * x_arr + t)
    return (0.5 * np.mean(residual * residual, axis=-1),)


def mse(x: ArrayLike, y: ArrayLike, omega: ArrayLike, t: ArrayLike) -> NDArray[np.float64] | float:
    """Half the mean squared error of the model on the data ``(x, y)``.

    Raises ValueError for bad data or parameters, for parameters whose phase omega*x + t would
    overflow, and for more than :data:`sinefit._checks.MAX_EVALUATIONS` parameter points times
    data points (large work within the limit is done in chunks).
    """
    x_arr, y_arr, omega_arr, t_arr = _checked(x, y, omega, t, "mse")
    (value,) = _per_point(x_arr, y_arr, omega_arr, t_arr, _mse_reduce)
    return float(value) if np.ndim(value) == 0 else value


def _grad_reduce(x_arr, y_arr, omega, t):
    phase = omega * x_arr + t
    residual, cos_phase = y_arr - np.sin(phase), np.cos(phase)
    return -np.mean(residual * cos_phase * x_arr, axis=-1), -np.mean(residual * cos_phase, axis=-1)


def mse_grad(
    x: ArrayLike, y: ArrayLike, omega: ArrayLike, t: ArrayLike
) -> tuple[NDArray[np.float64] | float, NDArray[np.float64] | float]:
    """The analytic gradient (dMSE/domega, dMSE/dt) of :func:`mse` (same checks and limits)."""
    x_arr, y_arr, omega_arr, t_arr = _checked(x, y, omega, t, "mse_grad")
    d_omega, d_t = _per_point(x_arr, y_arr, omega_arr, t_arr, _grad_reduce)
    if np.ndim(d_omega) == 0:
        return float(d_omega), float(d_t)
    return d_omega, d_t
