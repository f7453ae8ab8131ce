"""Input validation shared by the package: clear errors instead of silent NaN plots."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def as_data(x: ArrayLike, y: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return ``x`` and ``y`` as 1-D float arrays of equal, non-zero length with finite values."""
    x_arr = np.asarray(x, dtype=float)
    y_arr = np.asarray(y, dtype=float)
    for name, arr in (("x", x_arr), ("y", y_arr)):
        if arr.ndim != 1:
            raise ValueError(
                f"{name} must be a 1-D array of data points, got shape {arr.shape}; "
                f"pass one column, e.g. data[:, 0] for x and data[:, 1] for y"
            )
    if x_arr.shape != y_arr.shape:
        raise ValueError(
            f"x and y must have the same length, got x.shape={x_arr.shape} and y.shape={y_arr.shape}"
        )
    if x_arr.size == 0:
        raise ValueError("x and y are empty: the MSE of no data points is undefined")
    for name, arr in (("x", x_arr), ("y", y_arr)):
        if not np.all(np.isfinite(arr)):
            bad = int(np.count_nonzero(~np.isfinite(arr)))
            raise ValueError(f"{name} has {bad} non-finite value(s) (NaN or inf); clean the data first")
    return x_arr, y_arr


def as_params(omega: ArrayLike, t: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return ``omega`` and ``t`` as finite float arrays broadcast to one common shape."""
    omega_arr = np.asarray(omega, dtype=float)
    t_arr = np.asarray(t, dtype=float)
    try:
        shape = np.broadcast_shapes(omega_arr.shape, t_arr.shape)
    except ValueError:
        raise ValueError(
            f"omega and t must broadcast together, got omega.shape={omega_arr.shape} and "
            f"t.shape={t_arr.shape}; use np.meshgrid(omegas, ts) for a grid"
        ) from None
    for name, arr in (("omega", omega_arr), ("t", t_arr)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} has non-finite value(s) (NaN or inf): {arr!r}")
    return np.broadcast_to(omega_arr, shape), np.broadcast_to(t_arr, shape)


def as_axis(values: ArrayLike, name: str) -> NDArray[np.float64]:
    """Return a grid axis as a non-empty 1-D finite float array."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of grid values, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} has non-finite value(s) (NaN or inf)")
    return arr
