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

from sinefit._checks import as_data, as_params


def predict(x: ArrayLike, omega: ArrayLike, t: ArrayLike) -> NDArray[np.float64]:
    """The model's prediction sin(omega*x + t), shape ``broadcast(omega, t).shape + x.shape``."""
    x_arr = np.asarray(x, dtype=float)
    omega_arr, t_arr = as_params(omega, t)
    return np.sin(omega_arr[..., np.newaxis] * x_arr.reshape(-1) + t_arr[..., np.newaxis]).reshape(
        omega_arr.shape + x_arr.shape
    )


def _residual_and_cos(x, y, omega, t):
    x_arr, y_arr = as_data(x, y)
    omega_arr, t_arr = as_params(omega, t)
    phase = omega_arr[..., np.newaxis] * x_arr + t_arr[..., np.newaxis]
    return x_arr, y_arr - np.sin(phase), np.cos(phase)


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
    return _loss_and_grad_unchecked(x_arr, y_arr, float(omega_arr), float(t_arr))


def mse(x: ArrayLike, y: ArrayLike, omega: ArrayLike, t: ArrayLike) -> NDArray[np.float64] | float:
    """Half the mean squared error of the model on the data ``(x, y)``."""
    x_arr, y_arr = as_data(x, y)
    residual = y_arr - predict(x_arr, omega, t)
    value = 0.5 * np.mean(residual * residual, axis=-1)
    return float(value) if np.ndim(value) == 0 else value


def mse_grad(
    x: ArrayLike, y: ArrayLike, omega: ArrayLike, t: ArrayLike
) -> tuple[NDArray[np.float64] | float, NDArray[np.float64] | float]:
    """The analytic gradient (dMSE/domega, dMSE/dt) of :func:`mse`."""
    x_arr, residual, cos_phase = _residual_and_cos(x, y, omega, t)
    d_omega = -np.mean(residual * cos_phase * x_arr, axis=-1)
    d_t = -np.mean(residual * cos_phase, axis=-1)
    if np.ndim(d_omega) == 0:
        return float(d_omega), float(d_t)
    return d_omega, d_t
