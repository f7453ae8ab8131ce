"""The trig-identity landscape equals the naive double loop."""

import numpy as np
import pytest

from sinefit.data import load_xy
from sinefit.landscape import OMEGA_RANGE, T_RANGE, landscape, mse_grid


def naive_grid(x, y, omegas, ts):
    grid = np.empty((len(ts), len(omegas)))
    for i, t in enumerate(ts):
        for j, omega in enumerate(omegas):
            residual = y - np.sin(omega * x + t)
            grid[i, j] = 0.5 * np.mean(residual * residual)
    return grid


@pytest.mark.parametrize("rows", [1, 50, 1000])
def test_mse_grid_equals_naive_loop(rows):
    x, y = load_xy(rows=rows)
    omegas = np.linspace(*OMEGA_RANGE, 41)
    ts = np.linspace(*T_RANGE, 29)
    fast = mse_grid(x, y, omegas, ts)
    assert fast.shape == (29, 41)  # np.meshgrid(omegas, ts) layout
    np.testing.assert_allclose(fast, naive_grid(x, y, omegas, ts), rtol=0, atol=1e-12)


def test_grid_orientation_matches_meshgrid():
    x, y = load_xy(rows=50)
    omegas, ts = np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5])
    omega_grid, t_grid = np.meshgrid(omegas, ts)
    residual = y - np.sin(omega_grid[..., None] * x + t_grid[..., None])
    np.testing.assert_allclose(mse_grid(x, y, omegas, ts), 0.5 * np.mean(residual**2, axis=-1), atol=1e-13)


def test_landscape_minimum_is_near_the_true_parameters():
    x, y = load_xy(rows=50)
    land = landscape(x, y, 200, 200)
    omega, t = land.argmin()
    assert abs(omega - 2.188) < 0.1 and abs(t - 1.0) < 0.1
    assert land.values.min() >= 0


@pytest.mark.parametrize(
    ("omegas", "ts", "match"),
    [(np.array([]), np.ones(3), "omegas must be a non-empty 1-D"),
     (np.ones(3), np.ones((2, 2)), "ts must be a non-empty 1-D"),
     (np.array([1.0, np.nan]), np.ones(3), "omegas has non-finite")],
)
def test_bad_axes_raise(omegas, ts, match):
    x, y = load_xy(rows=5)
    with pytest.raises(ValueError, match=match):
        mse_grid(x, y, omegas, ts)


def test_landscape_rejects_degenerate_grid():
    x, y = load_xy(rows=5)
    with pytest.raises(ValueError, match="n_t must be at least 2"):
        landscape(x, y, n_omega=10, n_t=1)
