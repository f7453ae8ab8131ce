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
    # Means over the data, one value per omega: the only O(N) work.
    ys, yc = s @ y_arr / n, c @ y_arr / n
    ss, cc, sc = np.einsum("ij,ij->i", s, s) / n, np.einsum("ij,ij->i", c, c) / n, np.einsum("ij,ij->i", s, c) / n
    y2 = float(y_arr @ y_arr) / n
    cos_t, sin_t = np.cos(t_axis)[:, np.newaxis], np.sin(t_axis)[:, np.newaxis]
    twice_mse = (
        y2
        - 2 * cos_t * ys
        - 2 * sin_t * yc
        + cos_t**2 * ss
        + 2 * sin_t * cos_t * sc
        + sin_t**2 * cc
    )
    # Rounding can push an exact zero a hair below; the MSE is never negative.
    return np.maximum(0.5 * twice_mse, 0.0)


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
