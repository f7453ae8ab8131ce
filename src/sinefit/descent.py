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

from sinefit._checks import as_data, as_float_array, as_lr, as_steps, check_callable, check_phase, describe
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
    """The loss became non-finite; ``trajectory`` holds the steps before it did.

    ``step`` is the step at which it happened and ``cause`` what is to blame: ``"start"`` (the
    loss is not finite at the start point, before any update: no learning rate helps),
    ``"learning rate"`` (the updates grew until they overflowed) or ``"loss function"`` (the loss
    was still decreasing when it turned non-finite: the function is undefined there).
    """

    def __init__(self, message: str, trajectory: Trajectory, step: int | None = None,
                 cause: str = "learning rate"):
        super().__init__(message)
        self.trajectory = trajectory
        self.step = step
        self.cause = cause


def divergence_message(step: int, lr: float, params: ArrayLike, losses: list[float], where: str = "") -> tuple[str, str]:
    """The message and the cause of a non-finite loss at ``step`` (see :class:`DivergenceError`).

    ``losses`` are the finite losses recorded before ``step``.
    """
    shown = np.array2string(np.asarray(params, dtype=float), precision=4, separator=", ")
    if step == 0:
        return (f"the loss is not finite at the start point {shown}{where}, before any step: the start "
                f"point is the problem, not the learning rate (lr={lr:g}); start where the loss is defined",
                "start")
    if len(losses) >= 2 and losses[-1] < losses[-2] and np.all(np.isfinite(params)):
        return (f"the loss became non-finite{where} at step {step} with learning rate lr={lr:g} while it was "
                f"still decreasing: the loss function is not finite at {shown}, which is not a learning-rate "
                f"problem", "loss function")
    return "", "learning rate"


def _check_run(start: ArrayLike, lr: float, steps: int) -> NDArray[np.float64]:
    """Validated ``start`` (a non-empty finite vector), ``lr`` (positive finite) and ``steps``.

    ``steps`` must be an integer in [0, :data:`sinefit._checks.MAX_STEPS`].
    """
    start_arr = np.atleast_1d(as_float_array(start, "start"))
    if start_arr.ndim != 1 or start_arr.size == 0 or not np.all(np.isfinite(start_arr)):
        raise ValueError(f"start must be a non-empty finite vector of parameters, got start={start!r}")
    as_lr(lr)
    as_steps(steps)
    return start_arr


def descend(loss_and_grad: LossAndGrad, start: ArrayLike, lr: float, steps: int) -> Trajectory:
    """Run ``steps`` gradient-descent updates of size ``lr`` from ``start``.

    ``loss_and_grad(params)`` returns the loss and the gradient at ``params``.  ``lr`` is a
    positive finite number (a 0-d array or tensor works too), ``steps`` an integer in
    [0, :data:`sinefit._checks.MAX_STEPS`].  A non-finite loss raises :class:`DivergenceError`.
    """
    check_callable(loss_and_grad, "loss_and_grad", "lambda p: (loss(p), gradient(p))")
    params = _check_run(start, lr, steps)
    lr, steps = as_lr(lr), as_steps(steps)
    path, losses, grads = [], [], []
    for step in range(steps + 1):
        finite = bool(np.all(np.isfinite(params)))
        if finite:
            # Overflow is what divergence looks like; it is reported below, not warned about.
            with np.errstate(over="ignore", invalid="ignore"):
                loss, grad = _call(loss_and_grad, params)
            finite = bool(np.isfinite(loss) and np.all(np.isfinite(grad)))
        if not finite:
            partial = Trajectory(
                np.array(path).reshape(-1, params.size),
                np.array(losses),
                np.array(grads).reshape(-1, params.size),
                float(lr),
            )
            message, cause = divergence_message(step, lr, params, losses)
            raise DivergenceError(
                message or f"the loss became non-finite at step {step} with learning rate lr={lr:g}: "
                f"the steps grow instead of shrinking, so lower the learning rate",
                partial, step, cause,
            )
        path.append(params)
        losses.append(float(loss))
        grads.append(grad)
        if step < steps:
            with np.errstate(over="ignore", invalid="ignore"):
                params = params - lr * grad
    return Trajectory(np.array(path), np.array(losses), np.array(grads), float(lr))


def _call(loss_and_grad: LossAndGrad, params: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
    """``loss_and_grad(params)`` as (a float loss, a gradient shaped like params), or a clear error."""
    result = loss_and_grad(params)
    try:
        loss, grad = result
    except (TypeError, ValueError):
        raise ValueError(f"loss_and_grad must return a pair (loss, gradient), got {describe(result)}") from None
    try:
        if isinstance(loss, (str, bytes)) or np.ndim(loss) != 0:
            raise TypeError
        loss = float(loss)
    except (TypeError, ValueError):
        raise ValueError(f"loss_and_grad must return a single number as the loss, got {describe(loss)}") from None
    grad = np.asarray(grad, dtype=float)
    if grad.size != params.size:
        raise ValueError(f"loss_and_grad must return one gradient component per parameter ({params.size}), "
                         f"got a gradient of shape {grad.shape}")
    return loss, grad.reshape(params.shape)


def gradient_descent(
    x: ArrayLike, y: ArrayLike, start: ArrayLike, lr: float, steps: int
) -> Trajectory:
    """Plain gradient descent on the course MSE, with the analytic gradient, from (omega, t) = start.

    The arguments are checked as in :func:`descend`; a start whose phase omega*x + t overflows is
    a ValueError.
    """
    x_arr, y_arr = as_data(x, y)
    start_arr = _check_run(start, lr, steps)
    if start_arr.shape != (2,):
        raise ValueError(f"start must be (omega, t), two numbers, got shape {start_arr.shape}")
    check_phase(x_arr, start_arr[:1], start_arr[1:])

    def loss_and_grad(params: NDArray[np.float64]) -> tuple[float, ArrayLike]:
        # The data were validated once above; each step only evaluates.
        return _loss_and_grad_unchecked(x_arr, y_arr, params[0], params[1])

    return descend(loss_and_grad, start_arr, lr, steps)
