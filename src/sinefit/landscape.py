"""The loss landscape: the MSE on a grid of (omega, t).

With s = sin(omega*x) and c = cos(omega*x), sin(omega*x + t) = s*cos(t) + c*sin(t), so the
squared error expands into six means over the data, each depending on omega only:

    2*MSE = <y^2> - 2cos(t)<ys> - 2sin(t)<yc> + cos^2(t)<s^2> + 2sin(t)cos(t)<sc> + sin^2(t)<c^2>

Computing them costs O(N * n_omega); combining them on the grid costs O(n_omega * n_t), instead
of O(N * n_omega * n_t) for evaluating the sine at every grid point and data point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sinefit._checks import CHUNK_ELEMENTS, as_axis, as_data, as_int, as_pair, check_bytes, check_phase, check_work

#: The course's parameter window: omega in [0, 2*pi], t in [-pi, pi].
OMEGA_RANGE: tuple[float, float] = (0.0, 2 * np.pi)
T_RANGE: tuple[float, float] = (-np.pi, np.pi)


def _per_omega_means(x_arr: NDArray[np.float64], y_arr: NDArray[np.float64],
                     omega_axis: NDArray[np.float64]) -> NDArray[np.float64]:
    """The six means over the data, one row each, one column per omega (shape (6, n_omega))."""
    n = x_arr.size
    phase = np.outer(omega_axis, x_arr)  # (n_omega, N)
    s, c = np.sin(phase), np.cos(phase)
    return np.stack([
        np.full(omega_axis.size, y_arr @ y_arr / n),  # <y^2>
        s @ y_arr / n,  # <ys>
        c @ y_arr / n,  # <yc>
        np.einsum("ij,ij->i", s, s) / n,  # <s^2>
        np.einsum("ij,ij->i", s, c) / n,  # <sc>
        np.einsum("ij,ij->i", c, c) / n,  # <c^2>
    ])


def mse_grid(x: ArrayLike, y: ArrayLike, omegas: ArrayLike, ts: ArrayLike) -> NDArray[np.float64]:
    """The MSE at every (omega, t) of the grid, shape ``(len(ts), len(omegas))``.

    The layout is that of ``np.meshgrid(omegas, ts)``: rows follow t, columns follow omega.
    Raises ValueError for bad data or axes, for an omega whose phase omega*x overflows, for a
    result larger than :data:`sinefit._checks.MAX_BYTES` and for more than
    :data:`sinefit._checks.MAX_EVALUATIONS` (omega, data point) pairs; large work within the
    limits is done a chunk of omegas at a time, so memory stays bounded.
    """
    x_arr, y_arr = as_data(x, y)
    omega_axis = as_axis(omegas, "omegas")
    t_axis = as_axis(ts, "ts")
    check_phase(x_arr, omega_axis, np.zeros(1))
    check_bytes(8.0 * omega_axis.size * t_axis.size,
                f"the MSE grid of {t_axis.size:,} ts x {omega_axis.size:,} omegas", "use a coarser grid")
    check_work(float(omega_axis.size) * x_arr.size,
               f"the MSE grid over {omega_axis.size:,} omegas and {x_arr.size:,} data points",
               "use fewer omegas or fewer data points (e.g. x[::10], y[::10])")
    if omega_axis.size * x_arr.size <= CHUNK_ELEMENTS:
        per_omega = _per_omega_means(x_arr, y_arr, omega_axis)
    else:  # a chunk of omegas at a time: (chunk, N) intermediates instead of (n_omega, N)
        chunk = max(1, CHUNK_ELEMENTS // x_arr.size)
        per_omega = np.concatenate([_per_omega_means(x_arr, y_arr, omega_axis[i:i + chunk])
                                    for i in range(0, omega_axis.size, chunk)], axis=1)
    # Their coefficients in 2*MSE, one row per t.
    cos_t, sin_t = np.cos(t_axis), np.sin(t_axis)
    per_t = np.stack(
        [np.ones_like(t_axis), -2 * cos_t, -2 * sin_t, cos_t**2, 2 * sin_t * cos_t, sin_t**2], axis=1
    )
    # One (n_t x 6) @ (6 x n_omega) product combines them on the whole grid.
    grid = per_t @ (0.5 * per_omega)
    # Rounding can push an exact zero a hair below; the MSE is never negative.
    return np.maximum(grid, 0.0, out=grid)


@dataclass(frozen=True)
class Landscape:
    """The MSE on a grid, with its axes: ``values[i, j]`` is the MSE at ``(omegas[j], ts[i])``."""

    omegas: NDArray[np.float64]
    ts: NDArray[np.float64]
    values: NDArray[np.float64]

    def argmin(self) -> tuple[float, float]:
        """The grid point (omega, t) with the smallest MSE."""
        i, j = np.unravel_index(np.argmin(self.values), self.values.shape)
        return float(self.omegas[j]), float(self.ts[i])


def landscape(
    x: ArrayLike,
    y: ArrayLike,
    n_omega: int = 500,
    n_t: int = 500,
    omega_range: tuple[float, float] = OMEGA_RANGE,
    t_range: tuple[float, float] = T_RANGE,
) -> Landscape:
    """The MSE landscape on an evenly spaced ``n_t`` x ``n_omega`` grid over the course window.

    ``n_omega`` and ``n_t`` are integers >= 2; the ranges are ``(low, high)`` pairs of finite
    numbers with low < high.  The limits of :func:`mse_grid` apply.
    """
    for name, value in (("n_omega", n_omega), ("n_t", n_t)):
        count = as_int(value, name, what="an integer number of grid points >= 2")
        if count < 2:
            raise ValueError(f"{name} must be at least 2 grid points, got {name}={count}")
    omega_low, omega_high = as_pair(omega_range, "omega_range", what="(low, high), two finite numbers", increasing=True)
    t_low, t_high = as_pair(t_range, "t_range", what="(low, high), two finite numbers", increasing=True)
    omegas = np.linspace(omega_low, omega_high, int(n_omega))
    ts = np.linspace(t_low, t_high, int(n_t))
    return Landscape(omegas, ts, mse_grid(x, y, omegas, ts))
