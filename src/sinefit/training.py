"""Fitting (omega, t) with torch: the course loss and runners for any ``torch.optim`` optimizer.

:func:`fit_torch` steps on the full data every time (gradient descent); :func:`fit_minibatch`
steps on the minibatches of a ``DataLoader`` (stochastic gradient descent), optionally with a
learning-rate scheduler and a validation set.  Both record a :class:`~sinefit.descent.Trajectory`
like the NumPy descent runners, so torch and hand-written runs can be drawn by the same helpers
and compared step by step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sized
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch.utils.data import default_collate

from sinefit._checks import (
    MAX_STEPS,
    ArgumentTypeError,
    as_data,
    as_float_array,
    as_int,
    as_real,
    as_steps,
    check_callable,
    check_factory,
    describe,
)
from sinefit.descent import DivergenceError, Trajectory, divergence_message

#: loss_fn(x, y, omega, t) -> scalar tensor
TorchLoss = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
#: make_optimizer([omega, t]) -> a torch.optim optimizer over those two tensors
MakeOptimizer = Callable[[list[torch.Tensor]], torch.optim.Optimizer]
#: make_scheduler(optimizer) -> a torch.optim.lr_scheduler scheduler of that optimizer
MakeScheduler = Callable[[torch.optim.Optimizer], torch.optim.lr_scheduler.LRScheduler]


class Batches(Iterable[Any], Sized, Protocol):
    """What :func:`fit_minibatch` iterates once per epoch: a ``DataLoader`` or a list of ``(x, y)`` batches."""


def course_loss(x: torch.Tensor, y: torch.Tensor, omega: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """The course loss 1/2 * mean((y - sin(omega*x + t))**2), written as the lectures write it."""
    if not (isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor)):
        bad = "x" if not isinstance(x, torch.Tensor) else "y"
        raise ArgumentTypeError(f"course_loss takes torch tensors, got {bad}={describe(x if bad == 'x' else y)}; "
                                "convert with torch.from_numpy or sinefit.training.as_tensors(x, y)")
    residual = y - torch.sin(omega * x + t)
    return 0.5 * torch.mean(residual * residual)


def as_tensors(x: ArrayLike, y: ArrayLike, dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """Validated data as two 1-D tensors of ``dtype`` (a floating-point torch dtype)."""
    _check_dtype(dtype)
    x_arr, y_arr = as_data(x, y)
    return torch.as_tensor(x_arr, dtype=dtype), torch.as_tensor(y_arr, dtype=dtype)


def _check_dtype(dtype: Any) -> None:
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise ArgumentTypeError(f"dtype must be a floating-point torch dtype such as torch.float64, got dtype={describe(dtype)}")


def _check_start(start: ArrayLike) -> NDArray[np.float64]:
    start_arr = as_float_array(start, "start")
    if start_arr.shape != (2,) or not np.all(np.isfinite(start_arr)):
        raise ValueError(f"start must be two finite numbers (omega, t), got {start!r}")
    return start_arr


#: What make_optimizer should look like, for error messages.
_OPTIMIZER_EXAMPLE = "lambda params: torch.optim.SGD(params, lr=0.1)"


def _make_optimizer(make_optimizer: MakeOptimizer, params: list[torch.Tensor]) -> torch.optim.Optimizer:
    """``make_optimizer(params)``, checked: a torch optimizer of exactly these parameters, lr > 0."""
    try:
        optimizer = make_optimizer(params)
    except TypeError as exc:
        raise ArgumentTypeError(f"make_optimizer must be a function of the parameter list, e.g. "
                                f"{_OPTIMIZER_EXAMPLE}; calling it failed: {exc}") from exc
    except ValueError as exc:  # e.g. torch's "Invalid learning rate: -0.1"
        raise ValueError(f"make_optimizer could not make an optimizer: {exc}") from exc
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise ArgumentTypeError(f"make_optimizer must return a torch.optim optimizer, e.g. {_OPTIMIZER_EXAMPLE}; "
                                f"it returned {describe(optimizer)}")
    optimised = {id(p) for group in optimizer.param_groups for p in group["params"]}
    missing = [name for name, param in zip(("omega", "t"), params) if id(param) not in optimised]
    if missing:
        raise ValueError(f"make_optimizer must optimise the parameters it is given ({_OPTIMIZER_EXAMPLE}); the "
                         f"optimizer it made does not update {' and '.join(missing)}")
    for group in optimizer.param_groups:
        if "lr" in group:
            lr = as_real(group["lr"], "the optimizer's lr", example="0.1")
            if not lr > 0:
                raise ValueError(f"make_optimizer made an optimizer with learning rate lr={lr!r}: a learning rate "
                                 "must be positive (the NumPy runners refuse lr=0 too: nothing would move)")
    return optimizer


def _check_loss(loss: Any) -> None:
    """The first value of loss_fn: a one-element tensor that depends on omega and t."""
    if not isinstance(loss, torch.Tensor):
        raise ArgumentTypeError(f"loss_fn must return a torch tensor, got {describe(loss)}")
    if loss.numel() != 1:
        raise ValueError(f"loss_fn must return a single number (a scalar tensor), got shape {tuple(loss.shape)}")
    if not loss.requires_grad:
        raise ValueError("loss_fn returned a tensor that does not depend on omega and t (no gradient): "
                         "compute it from the omega and t it is given, without .item() or .detach()")


def _grad_values(*params: torch.Tensor) -> list[float]:
    """Each parameter's ``.grad`` as a float; 0.0 for one the loss did not use (its ``.grad`` is None)."""
    return [0.0 if param.grad is None else param.grad.item() for param in params]


def fit_torch(
    x: ArrayLike,
    y: ArrayLike,
    start: ArrayLike,
    steps: int,
    make_optimizer: MakeOptimizer,
    loss_fn: TorchLoss = course_loss,
    dtype: torch.dtype = torch.float64,
) -> Trajectory:
    """Run ``steps`` optimizer steps on (omega, t) from ``start`` and record the trajectory.

    Every step evaluates ``loss_fn`` on the full data (plain gradient descent when the optimizer
    is ``torch.optim.SGD``).  Row k of the trajectory holds the parameters before step k and the
    loss and gradient computed there; the last row holds the final parameters.

    ``make_optimizer`` is a function of the parameter list (not an optimizer class) returning an
    optimizer of those parameters with a positive learning rate; ``steps`` is an integer in
    [0, :data:`sinefit._checks.MAX_STEPS`].  Bad arguments raise ValueError or TypeError.
    """
    steps = as_steps(steps)
    check_factory(make_optimizer, "make_optimizer", _OPTIMIZER_EXAMPLE)
    check_callable(loss_fn, "loss_fn", "sinefit.training.course_loss")
    x_t, y_t = as_tensors(x, y, dtype)
    start_arr = _check_start(start)
    omega = torch.tensor(start_arr[0], dtype=dtype, requires_grad=True)
    t = torch.tensor(start_arr[1], dtype=dtype, requires_grad=True)
    optimizer = _make_optimizer(make_optimizer, [omega, t])
    lr = float(optimizer.param_groups[0]["lr"])
    path, losses, grads = [], [], []
    for step in range(steps + 1):
        optimizer.zero_grad()
        loss = loss_fn(x_t, y_t, omega, t)
        if step == 0:
            _check_loss(loss)
        loss.backward()
        grad = _grad_values(omega, t)
        if not (np.isfinite(loss.item()) and np.all(np.isfinite(grad))):
            partial = Trajectory(np.array(path).reshape(-1, 2), np.array(losses), np.array(grads).reshape(-1, 2), lr)
            message, cause = divergence_message(step, lr, [omega.item(), t.item()], losses)
            raise DivergenceError(
                message or f"the loss became non-finite at step {step} with learning rate lr={lr:g}: "
                "lower the learning rate",
                partial, step, cause,
            )
        path.append([omega.item(), t.item()])
        losses.append(loss.item())
        grads.append(grad)
        if step < steps:
            optimizer.step()
    return Trajectory(np.array(path), np.array(losses), np.array(grads), lr)


@dataclass(frozen=True)
class MinibatchRun:
    """One minibatch run.  Row k of ``trajectory`` is the state before step k (the last row: after
    the last step); its loss and gradient are those of the whole training set there, the quantities
    the minibatches estimate.  The per-step arrays hold what step k actually used."""

    trajectory: Trajectory
    batch_loss: NDArray[np.float64]  # (steps,) the loss on the minibatch of step k
    batch_grad: NDArray[np.float64]  # (steps, 2) its gradient, the one the optimizer stepped on
    batch_size: NDArray[np.int64]  # (steps,) rows in the minibatch of step k
    lr: NDArray[np.float64]  # (steps,) the learning rate step k used (schedulers change it)
    steps_per_epoch: int
    val_loss: NDArray[np.float64] | None  # (steps + 1,) validation loss at every row, if asked for

    @property
    def steps(self) -> int:
        """The number of optimizer steps taken."""
        return self.trajectory.steps

    @property
    def examples(self) -> NDArray[np.int64]:
        """Per-example gradients evaluated before each row, shape ``(steps + 1,)``, starting at 0."""
        return np.concatenate([[0], np.cumsum(self.batch_size)]).astype(np.int64)

    @property
    def epoch(self) -> NDArray[np.float64]:
        """The row index in epochs (step / steps_per_epoch), shape ``(steps + 1,)``."""
        return np.arange(self.steps + 1) / self.steps_per_epoch


def _check_pair(value: Any, name: str) -> tuple[Any, Any]:
    """``(x, y)`` given as a tuple or list of two arrays."""
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        raise ArgumentTypeError(f"{name} must be a pair (x, y) of arrays, got {name}={describe(value)}")
    return value[0], value[1]


def _training_tensors(batches: Batches, train: tuple[ArrayLike, ArrayLike] | None, dtype: torch.dtype):
    if train is not None:
        return as_tensors(*_check_pair(train, "train"), dtype=dtype)
    dataset = getattr(batches, "dataset", None)
    if dataset is None:
        raise ValueError(
            "batches has no .dataset to measure the training loss on: pass train=(x, y) "
            "or a torch DataLoader"
        )
    x, y = default_collate([dataset[i] for i in range(len(dataset))])
    return as_tensors(x.numpy(), y.numpy(), dtype=dtype)


def _batch_tensors(x_batch: Any, y_batch: Any, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """A minibatch as two 1-D tensors of ``dtype``; a loader's tensors are used as they are."""
    if (isinstance(x_batch, torch.Tensor) and isinstance(y_batch, torch.Tensor)
            and x_batch.dtype == y_batch.dtype == dtype and x_batch.ndim == y_batch.ndim == 1
            and x_batch.shape == y_batch.shape and len(x_batch) > 0
            and bool(torch.isfinite(x_batch).all() & torch.isfinite(y_batch).all())):
        return x_batch, y_batch
    return as_tensors(x_batch, y_batch, dtype)


#: At most this many (row, data point) pairs are evaluated at once by _measure_rows.
_MEASURE_CHUNK = 1_000_000


def _measure_rows(
    loss_fn: TorchLoss, x: torch.Tensor, y: torch.Tensor, params: NDArray[np.float64], with_grad: bool = False
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``loss_fn`` on all of (x, y) at every row (omega, t) of ``params``, and its gradient if asked.

    All rows are evaluated in one vectorised call (``torch.func.vmap``, in chunks); a loss function
    that vmap cannot batch (e.g. one calling ``.item()``) is evaluated row by row instead.  Returns
    ``(losses (rows,), grads (rows, 2))``; the gradients are NaN unless ``with_grad``.
    """
    rows = len(params)
    losses, grads = np.full(rows, np.nan), np.full((rows, 2), np.nan)
    if rows == 0:
        return losses, grads
    omegas = torch.as_tensor(params[:, 0], dtype=x.dtype)
    ts = torch.as_tensor(params[:, 1], dtype=x.dtype)
    chunk = max(1, _MEASURE_CHUNK // len(x))
    try:
        batched = torch.func.vmap(lambda omega, t: loss_fn(x, y, omega, t))
        with torch.set_grad_enabled(with_grad):
            for begin in range(0, rows, chunk):
                omega = omegas[begin:begin + chunk].clone().requires_grad_(with_grad)
                t = ts[begin:begin + chunk].clone().requires_grad_(with_grad)
                value = batched(omega, t)
                losses[begin:begin + chunk] = value.detach().numpy()
                if with_grad:
                    # vmap keeps the rows apart, so the gradient of their sum holds each row's own
                    # gradient: one backward pass, bit for bit what torch.func.grad gives per row.
                    grad_omega, grad_t = torch.autograd.grad(value.sum(), (omega, t), materialize_grads=True)
                    grads[begin:begin + chunk] = torch.stack([grad_omega, grad_t], dim=1).numpy()
    except RuntimeError:  # vmap cannot batch this loss function: one row at a time
        for row in range(rows):
            omega = omegas[row].clone().requires_grad_(with_grad)
            t = ts[row].clone().requires_grad_(with_grad)
            with torch.set_grad_enabled(with_grad):
                loss = loss_fn(x, y, omega, t)
                if with_grad:
                    grads[row] = [g.item() for g in torch.autograd.grad(loss, [omega, t], materialize_grads=True)]
            losses[row] = loss.item()
    return losses, grads


def fit_minibatch(
    batches: Batches,
    start: ArrayLike,
    epochs: int,
    make_optimizer: MakeOptimizer,
    loss_fn: TorchLoss = course_loss,
    make_scheduler: MakeScheduler | None = None,
    schedule_every: Literal["epoch", "step"] = "epoch",
    train: tuple[ArrayLike, ArrayLike] | None = None,
    validation: tuple[ArrayLike, ArrayLike] | None = None,
    dtype: torch.dtype = torch.float64,
) -> MinibatchRun:
    """Run ``epochs`` passes over ``batches`` on (omega, t) from ``start``, one optimizer step per batch.

    ``batches`` yields ``(x_batch, y_batch)`` pairs; iterating it again starts the next epoch (a
    ``DataLoader`` with ``shuffle=True`` reshuffles, drawing from its ``generator``).  The training
    loss recorded in the trajectory is measured on ``train`` (default: the loader's whole dataset),
    the validation loss on ``validation``; neither measurement affects the run.  With
    ``make_scheduler`` the scheduler is stepped after every epoch or every step
    (``schedule_every``).  A non-finite loss raises :class:`DivergenceError` with the rows so far.

    ``make_optimizer`` and ``make_scheduler`` are functions (not classes); ``epochs`` is an
    integer >= 0 with ``epochs * len(batches)`` at most :data:`sinefit._checks.MAX_STEPS`.
    """
    epochs = as_int(epochs, "epochs", low=0, what="a non-negative integer")
    if schedule_every not in ("epoch", "step"):
        raise ValueError(f"schedule_every must be 'epoch' or 'step', got schedule_every={schedule_every!r}")
    if not (hasattr(batches, "__len__") and hasattr(batches, "__iter__")):
        raise ArgumentTypeError(f"batches must be a DataLoader or a list of (x, y) batches, got batches={describe(batches)}")
    steps_per_epoch = len(batches)
    if steps_per_epoch < 1:
        raise ValueError("batches is empty: an epoch needs at least one (x, y) batch")
    if epochs * steps_per_epoch > MAX_STEPS:
        raise ValueError(f"epochs={epochs:,} of {steps_per_epoch:,} batches would be {epochs * steps_per_epoch:,} steps, "
                         f"more than the limit of {MAX_STEPS:,} (sinefit._checks.MAX_STEPS); check the count")
    check_factory(make_optimizer, "make_optimizer", _OPTIMIZER_EXAMPLE)
    if make_scheduler is not None:
        check_factory(make_scheduler, "make_scheduler",
                      "lambda optimizer: torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)")
    check_callable(loss_fn, "loss_fn", "sinefit.training.course_loss")
    _check_dtype(dtype)
    start_arr = _check_start(start)
    x_train, y_train = _training_tensors(batches, train, dtype)
    x_val, y_val = (as_tensors(*_check_pair(validation, "validation"), dtype=dtype)
                    if validation is not None else (None, None))

    omega = torch.tensor(start_arr[0], dtype=dtype, requires_grad=True)
    t = torch.tensor(start_arr[1], dtype=dtype, requires_grad=True)
    optimizer = _make_optimizer(make_optimizer, [omega, t])
    scheduler = make_scheduler(optimizer) if make_scheduler is not None else None
    if scheduler is not None and not callable(getattr(scheduler, "step", None)):
        raise ArgumentTypeError(f"make_scheduler must return a torch.optim.lr_scheduler scheduler, got {describe(scheduler)}")
    initial_lr = float(optimizer.param_groups[0]["lr"])
    # The loop records only what the steps themselves produce; the training and validation losses
    # at every row are measured afterwards, all rows at once (see _measure_rows): measuring them
    # inside the loop would cost as much as the training itself.
    path: list[list[float]] = [[omega.item(), t.item()]]
    batch_losses: list[float] = []
    batch_grads: list[list[float]] = []
    sizes: list[int] = []
    lrs: list[float] = []

    def measured(rows: int) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None]:
        """Training loss and gradient (and validation loss) at the first ``rows`` rows of ``path``.

        Raises DivergenceError at the first row where the training loss or gradient is not finite,
        with the rows before it, as if it had been measured during the run.
        """
        params = np.array(path[:rows]).reshape(-1, 2)
        losses, grads = _measure_rows(loss_fn, x_train, y_train, params, with_grad=True)
        finite = np.isfinite(losses) & np.all(np.isfinite(grads), axis=1)
        if not finite.all():
            row = int(np.argmin(finite))  # rows are measured after the steps: row k follows step k
            raise diverged(row, "on the training set", Trajectory(params[:row], losses[:row], grads[:row], initial_lr))
        val = _measure_rows(loss_fn, x_val, y_val, params)[0] if x_val is not None else None
        return losses, grads, val

    def diverged(step: int, where: str, partial: Trajectory | None = None) -> DivergenceError:
        """The error for a non-finite loss at ``step``, with the rows so far (default: all of them)."""
        if partial is None:
            losses, grads, _ = measured(len(path))  # raises itself if an earlier row diverged
            partial = Trajectory(np.array(path), losses, grads, initial_lr)
        lr = lrs[step - 1] if step > 0 else initial_lr
        message, cause = divergence_message(step, lr, path[step] if step < len(path) else path[-1],
                                            list(partial.loss), where=f" {where}")
        return DivergenceError(
            message or f"the loss became non-finite {where} at step {step} with learning rate "
            f"lr={lr:g}: lower the learning rate",
            partial, step, cause,
        )

    for epoch in range(epochs):
        steps_this_epoch = 0
        for batch in batches:
            try:
                x_batch, y_batch = batch
            except (TypeError, ValueError):
                raise ArgumentTypeError(f"batches must yield (x, y) pairs, got a batch {describe(batch)}") from None
            optimizer.zero_grad()
            x_b, y_b = _batch_tensors(x_batch, y_batch, dtype)
            loss = loss_fn(x_b, y_b, omega, t)
            if not batch_losses:
                _check_loss(loss)
            loss.backward()
            values = [loss.item(), *_grad_values(omega, t)]
            if not all(np.isfinite(values)):
                raise diverged(len(batch_losses), "on a minibatch")
            batch_losses.append(values[0])
            batch_grads.append(values[1:])
            sizes.append(len(x_b))
            lrs.append(float(optimizer.param_groups[0]["lr"]))
            optimizer.step()
            if scheduler is not None and schedule_every == "step":
                scheduler.step()
            steps_this_epoch += 1
            path.append([omega.item(), t.item()])
        if steps_this_epoch != steps_per_epoch:
            raise ValueError(
                f"epoch {epoch} had {steps_this_epoch} batches but len(batches) is {steps_per_epoch}: "
                "pass a re-iterable (a DataLoader or a list), not a one-shot iterator"
            )
        if scheduler is not None and schedule_every == "epoch":
            scheduler.step()

    losses, grads, val_losses = measured(len(path))
    return MinibatchRun(
        trajectory=Trajectory(np.array(path), losses, grads, initial_lr),
        batch_loss=np.array(batch_losses),
        batch_grad=np.array(batch_grads).reshape(-1, 2),
        batch_size=np.array(sizes, dtype=np.int64),
        lr=np.array(lrs),
        steps_per_epoch=steps_per_epoch,
        val_loss=val_losses,
    )
