"""Gradient descent and heavy-ball momentum on a quadratic, one Hessian eigenvalue at a time.

Near a minimum the loss is a quadratic, ``L(theta) = 1/2 (theta - theta*)^T H (theta - theta*)``,
and along each eigenvector of ``H`` (eigenvalue ``lam``) both methods act on one number, the
error ``e`` along that eigenvector:

- gradient descent: ``e_{k+1} = (1 - lr*lam) e_k``, a convergence factor ``|1 - lr*lam|``;
- momentum (torch's form, ``v_{k+1} = beta v_k + g_k``, ``theta_{k+1} = theta_k - lr v_{k+1}``):
  the pair ``(e, v)`` is multiplied by the 2x2 matrix :func:`momentum_matrix` at every step, and
  the convergence factor is that matrix's spectral radius (its largest eigenvalue in size).

The factor of a method on the whole quadratic is the largest over its eigenvalues; for the
factors of both methods that is the one at ``lam_min`` or at ``lam_max``.  Notebook 04 uses these to
show why momentum exists; :func:`sine_hessian` gives the course loss's own Hessian.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sinefit._checks import as_data


def gd_factor(lr: ArrayLike, eigenvalue: ArrayLike) -> NDArray[np.float64]:
    """Gradient descent's convergence factor ``|1 - lr * eigenvalue|`` along one eigenvector (broadcasts)."""
    return np.abs(1 - np.asarray(lr, dtype=float) * np.asarray(eigenvalue, dtype=float))


def momentum_matrix(lr: float, beta: float, eigenvalue: float) -> NDArray[np.float64]:
    """The 2x2 matrix that maps (error, velocity) to the next step's along one eigenvector.

    With ``g_k = eigenvalue * e_k``: ``v_{k+1} = beta v_k + eigenvalue e_k`` and
    ``e_{k+1} = e_k - lr v_{k+1} = (1 - lr*eigenvalue) e_k - lr*beta v_k``.
    """
    return np.array([[1 - lr * eigenvalue, -lr * beta], [eigenvalue, beta]], dtype=float)


def momentum_factor(lr: ArrayLike, beta: ArrayLike, eigenvalue: ArrayLike) -> NDArray[np.float64]:
    """The spectral radius of :func:`momentum_matrix`: momentum's convergence factor (broadcasts).

    The matrix's eigenvalues are the roots of ``z^2 - (1 + beta - lr*eigenvalue) z + beta = 0``.
    """
    lr, beta, eigenvalue = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (lr, beta, eigenvalue)))
    half_trace = (1 + beta - lr * eigenvalue) / 2
    root = np.sqrt((half_trace**2 - beta).astype(complex))
    return np.maximum(np.abs(half_trace + root), np.abs(half_trace - root))


def worst_factor(factor: NDArray[np.float64] | float, *others: NDArray[np.float64] | float) -> NDArray[np.float64]:
    """The factor on the whole quadratic: the largest of the factors at its eigenvalues."""
    return np.maximum.reduce([np.asarray(factor, dtype=float), *(np.asarray(o, dtype=float) for o in others)])


def best_gd(lambda_min: float, lambda_max: float) -> tuple[float, float]:
    """Gradient descent's best fixed rate ``2/(lambda_min + lambda_max)`` and its factor ``(kappa-1)/(kappa+1)``."""
    kappa = lambda_max / lambda_min
    return 2 / (lambda_min + lambda_max), (kappa - 1) / (kappa + 1)


def best_momentum(lambda_min: float, lambda_max: float) -> tuple[float, float, float]:
    """The classical optimum of heavy-ball momentum on a quadratic (Polyak): ``(lr, beta, factor)``.

    ``lr = 4 / (sqrt(lambda_max) + sqrt(lambda_min))^2``, ``beta = ((sqrt(kappa)-1)/(sqrt(kappa)+1))^2``
    and the factor ``sqrt(beta) = (sqrt(kappa)-1)/(sqrt(kappa)+1)``.
    """
    root_kappa = np.sqrt(lambda_max / lambda_min)
    factor = (root_kappa - 1) / (root_kappa + 1)
    return 4 / (np.sqrt(lambda_max) + np.sqrt(lambda_min)) ** 2, factor**2, factor


def sine_hessian(x: ArrayLike, y: ArrayLike, omega: float, t: float) -> NDArray[np.float64]:
    """The Hessian of the course loss ``1/2 mean((y - sin(omega x + t))^2)`` at (omega, t).

    With ``u = omega x + t`` and the residual ``r = sin(u) - y``, it is the mean over the rows of
    ``(cos(u)^2 - r sin(u)) * [[x^2, x], [x, 1]]``.
    """
    x_arr, y_arr = as_data(x, y)
    u = omega * x_arr + t
    weight = np.cos(u) ** 2 - (np.sin(u) - y_arr) * np.sin(u)
    return np.array([[np.mean(weight * x_arr**2), np.mean(weight * x_arr)],
                     [np.mean(weight * x_arr), np.mean(weight)]])


def run_quadratic(hessian: ArrayLike, start: ArrayLike, lr: float, beta: float = 0.0, steps: int = 100) -> NDArray[np.float64]:
    """Heavy-ball momentum (torch's form; ``beta = 0`` is gradient descent) on ``1/2 theta^T H theta``.

    Returns the ``steps + 1`` iterates, from ``start``; the minimum is at the origin.
    """
    hessian = np.asarray(hessian, dtype=float)
    theta, velocity = np.array(start, dtype=float), np.zeros(len(start))
    path = [theta]
    for _ in range(steps):
        velocity = beta * velocity + hessian @ theta
        theta = theta - lr * velocity
        path.append(theta)
    return np.array(path)
