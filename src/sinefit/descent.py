"""Gradient-descent runners that keep the whole trajectory.

    params_{k+1} = params_k - lr * grad(params_k)

A run records the parameters, the loss and the gradient at every step (including the start), so
figures and tests work from data.  A learning rate that makes the loss blow up is a lesson, not a
crash: the run stops with a :class:`DivergenceError` that names the step and the learning rate and
carries the trajectory up to that point.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sinefit._checks import as_data
from sinefit.model import _loss_and_grad_unchecked

#: A function of the parameter vector returning (loss, gradient vector).
LossAndGrad = Callable[[NDArray[np.float64]], tuple[float, ArrayLike]]


@dataclass(frozen=True)
class Trajectory:
    """One descent run: row k of each array is step k (row 0 is the start)."""

    params: NDArray[np.float64]  # (steps + 1, n_params)
    loss: NDArray[np.float64]  # (steps + 1,)
    grad: NDArray[np.float64]  # (steps + 1, n_params)
    lr: float

    @property
    def grad_norm(self) -> NDArray[np.float64]:
        """The Euclidean length of the gradient at every step."""
        return np.linalg.norm(self.grad, axis=1)

    @property
    def final(self) -> NDArray[np.float64]:
        """The parameters after the last step."""
        return self.params[-1]

    @property
    def steps(self) -> int:
        """The number of update steps taken."""
        return len(self.params) - 1


class DivergenceError(ArithmeticError):
    """The loss became non-finite; ``trajectory`` holds the steps before it did."""

    def __init__(self, message: str, trajectory: Trajectory):
        super().__init__(message)
        self.trajectory = trajectory


def _check_run(start: ArrayLike, lr: float, steps: int) -> NDArray[np.float64]:
    start_arr = np.atleast_1d(np.asarray(start, dtype=float))
    if start_arr.ndim != 1 or not np.all(np.isfinite(start_arr)):
        raise ValueError(f"start must be a finite vector of parameters, got start={start!r}")
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr (the learning rate) must be a positive finite number, got lr={lr!r}")
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got steps={steps!r}")
    return start_arr


def descend(loss_and_grad: LossAndGrad, start: ArrayLike, lr: float, steps: int) -> Trajectory:
    """Run ``steps`` gradient-descent updates of size ``lr`` from ``start``.

    ``loss_and_grad(params)`` returns the loss and the gradient at ``params``.
    """
    params = _check_run(start, lr, steps)
    path, losses, grads = [], [], []
    for step in range(steps + 1):
        finite = bool(np.all(np.isfinite(params)))
        if finite:
            # Overflow is what divergence looks like; it is reported below, not warned about.
            with np.errstate(over="ignore", invalid="ignore"):
                loss, grad = loss_and_grad(params)
                grad = np.asarray(grad, dtype=float).reshape(params.shape)
            finite = bool(np.isfinite(loss) and np.all(np.isfinite(grad)))
        if not finite:
            partial = Trajectory(
                np.array(path).reshape(-1, params.size),
                np.array(losses),
                np.array(grads).reshape(-1, params.size),
                float(lr),
            )
            raise DivergenceError(
                f"the loss became non-finite at step {step} with learning rate lr={lr:g}: "
                f"the steps grow instead of shrinking, so lower the learning rate",
                partial,
            )
        path.append(params)
        losses.append(float(loss))
        grads.append(grad)
        if step < steps:
            with np.errstate(over="ignore", invalid="ignore"):
                params = params - lr * grad
    return Trajectory(np.array(path), np.array(losses), np.array(grads), float(lr))


def gradient_descent(
    x: ArrayLike, y: ArrayLike, start: ArrayLike, lr: float, steps: int
) -> Trajectory:
    """Plain gradient descent on the course MSE, with the analytic gradient, from (omega, t) = start."""
    x_arr, y_arr = as_data(x, y)
    start_arr = _check_run(start, lr, steps)
    if start_arr.shape != (2,):
        raise ValueError(f"start must be (omega, t), two numbers, got shape {start_arr.shape}")

    def loss_and_grad(params: NDArray[np.float64]) -> tuple[float, ArrayLike]:
        # The data were validated once above; each step only evaluates.
        return _loss_and_grad_unchecked(x_arr, y_arr, params[0], params[1])

    return descend(loss_and_grad, start_arr, lr, steps)
