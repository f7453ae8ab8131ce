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

from sinefit._checks import as_axis, as_data

#: The course's parameter window: omega in [0, 2*pi], t in [-pi, pi].
OMEGA_RANGE: tuple[float, float] = (0.0, 2 * np.pi)
T_RANGE: tuple[float, float] = (-np.pi, np.pi)


def mse_grid(x: ArrayLike, y: ArrayLike, omegas: ArrayLike, ts: ArrayLike) -> NDArray[np.float64]:
    """The MSE at every (omega, t) of the grid, shape ``(len(ts), len(omegas))``.

    The layout is that of ``np.meshgrid(omegas, ts)``: rows follow t, columns follow omega.
    """
    x_arr, y_arr = as_data(x, y)
    omega_axis = as_axis(omegas, "omegas")
    t_axis = as_axis(ts, "ts")
    n = x_arr.size
    phase = np.outer(omega_axis, x_arr)  # (n_omega, N)
    s, c = np.sin(phase), np.cos(phase)
    # The six means over the data, one row each, one column per omega: the only O(N) work.
    per_omega = np.stack([
        np.full(omega_axis.size, y_arr @ y_arr / n),  # <y^2>
        s @ y_arr / n,  # <ys>
        c @ y_arr / n,  # <yc>
        np.einsum("ij,ij->i", s, s) / n,  # <s^2>
        np.einsum("ij,ij->i", s, c) / n,  # <sc>
        np.einsum("ij,ij->i", c, c) / n,  # <c^2>
    ])
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
    """The MSE landscape on an evenly spaced ``n_t`` x ``n_omega`` grid over the course window."""
    for name, value in (("n_omega", n_omega), ("n_t", n_t)):
        if value < 2:
            raise ValueError(f"{name} must be at least 2 grid points, got {name}={value}")
    omegas = np.linspace(*omega_range, n_omega)
    ts = np.linspace(*t_range, n_t)
    return Landscape(omegas, ts, mse_grid(x, y, omegas, ts))
