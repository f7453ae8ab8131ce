"""The loss landscape: the package's trig-identity grid against the original lecture's broadcasting.

The original evaluated sin(omega*x + t) at every grid point for every data point through an outer
product, ``np.sin(np.tensordot(x, omega_grid, 0) + t_grid)``, holding N x 500 x 500 values at once.
"""

from __future__ import annotations

import time

import numpy as np

from sinefit.data import load_xy
from sinefit.landscape import mse_grid


def original_broadcasting(x: np.ndarray, y: np.ndarray, omegas: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """The original lecture's landscape: an (N, n_t, n_omega) array of sines, then the mean over N."""
    omega_grid, t_grid = np.meshgrid(omegas, ts)
    residual = np.sin(np.tensordot(x, omega_grid, 0) + t_grid) - y[:, np.newaxis, np.newaxis]
    return 0.5 * np.sum(residual * residual, axis=0) / len(x)


def best_time(fn, repeats: int) -> float:
    """The fastest of ``repeats`` runs, in seconds (the least disturbed by other processes)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def run(grid_size: int = 500) -> dict[str, float]:
    """Time both approaches on a grid_size x grid_size grid with N = 50 and N = 1000 points."""
    omegas = np.linspace(0, 2 * np.pi, grid_size)
    ts = np.linspace(-np.pi, np.pi, grid_size)
    results: dict[str, float] = {}
    for n, repeats in ((50, 5), (1000, 2)):
        x, y = load_xy(rows=n)
        fast = mse_grid(x, y, omegas, ts)
        slow = original_broadcasting(x, y, omegas, ts)
        if not np.allclose(fast, slow, rtol=0, atol=1e-12):
            raise AssertionError(f"the two landscapes disagree for N={n}: max diff {np.abs(fast - slow).max()}")
        t_fast = best_time(lambda: mse_grid(x, y, omegas, ts), repeats=20)
        t_slow = best_time(lambda: original_broadcasting(x, y, omegas, ts), repeats=repeats)
        results[f"landscape_original_s_n{n}"] = t_slow
        results[f"landscape_package_s_n{n}"] = t_fast
        results[f"landscape_speedup_n{n}"] = t_slow / t_fast
    return results
