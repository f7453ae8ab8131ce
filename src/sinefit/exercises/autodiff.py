"""Checkers of notebook 02's exercises (automatic differentiation with PyTorch).

- :func:`check_dv0_domega`: the chain rule for ω as a product of matrices (Exercise 1);
- :func:`check_without_reset`: gradient descent without resetting ``.grad`` (Exercise 2);
- :func:`check_hessian`: ``torch.autograd.grad`` instead of ``backward()``, twice (Exercise 3).

Each takes the student's answer first and the lesson's own values (data, start point, ...) after
it, and returns a :class:`sinefit.feedback.Feedback`.  A wrong, malformed or missing (``...``)
answer gets a sentence, never an exception; the references are computed here, in float64, from
the lesson's values, so the checkers hold whatever the student's cells did.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from sinefit.feedback import Feedback, answer_kind, correct, not_attempted, not_yet

__all__ = ["GRAD_HOLDS_CHOICES", "check_dv0_domega", "check_hessian", "check_without_reset",
           "descent_without_reset"]

#: Relative and absolute tolerances against the float64 references (the lesson computes in float32).
RTOL, ATOL = 1e-4, 1e-6


# --- turning answers into numbers --------------------------------------------------------------

def _numbers(value: Any) -> NDArray[np.float64] | None:
    """``value`` (a tensor, array, number or nested list/tuple of them) as a float array, or None."""
    if value is None or value is ... or isinstance(value, (str, bytes, dict, set)):
        return None
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", torch.float64).numpy()
    if isinstance(value, (list, tuple)):
        parts = [_numbers(part) for part in value]
        if any(part is None for part in parts):
            return None
        try:
            return np.array(parts, dtype=float)
        except ValueError:  # ragged: rows of different lengths
            return None
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None


_kind = answer_kind  # shared with the other lectures' checkers


def _same(a: NDArray[np.float64], b: Any, rtol: float = RTOL, atol: float = ATOL) -> bool:
    b = np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _data(x: Any, y: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The lesson's data as float64 vectors (a bad value here is the notebook's bug: it raises)."""
    x_arr, y_arr = _numbers(x), _numbers(y)
    if x_arr is None or y_arr is None or x_arr.ndim != 1 or x_arr.shape != y_arr.shape or x_arr.size == 0:
        raise ValueError("x and y must be two 1-D tensors or arrays of the same length: pass x_t and y_t")
    return x_arr, y_arr


def _pair(at: Any) -> tuple[float, float]:
    """A start or evaluation point given as one pair (ω, t)."""
    try:
        omega, t = at
    except (TypeError, ValueError):
        raise ValueError("the point must be a pair (omega, t), e.g. start = (3.0, 1.0)") from None
    return _point(omega, t)


def _point(omega: Any, t: Any) -> tuple[float, float]:
    values = [_numbers(value) for value in (omega, t)]
    if any(value is None or value.size != 1 or not np.isfinite(value).all() for value in values):
        raise ValueError("the point must be two finite numbers (omega, t), e.g. start or the leaf tensors")
    return float(values[0].reshape(())), float(values[1].reshape(()))


# --- Exercise 1: the chain rule for omega, as matrices ------------------------------------------

def _dv0_dv5(x: NDArray[np.float64], y: NDArray[np.float64], omega: float, t: float) -> NDArray[np.float64]:
    """The row dv0/dv5 of the course loss: -(1/N) (y - sin v5) cos v5, as a 1×N matrix."""
    v5 = omega * x + t
    return (-(y - np.sin(v5)) * np.cos(v5) / x.size).reshape(1, -1)


def check_dv0_domega(dv5_dv6: Any, dv6_domega: Any, x: Any, y: Any, at: Any) -> Feedback:
    """Check the two local derivatives that take the chain from v5 down to ω.

    ``dv5_dv6`` should be the N×N matrix of ∂v5_l/∂v6_m (v5 = v6 + t) and ``dv6_domega`` the N×1
    column of ∂v6_m/∂ω (v6 = ω·x); a length-N vector is accepted for the column.  ``x``, ``y`` and
    ``at`` (the point (ω, t)) are the lesson's.  On success the message multiplies them with the
    lesson's ∂v0/∂v5 and compares the product with autograd's gradient.
    """
    x_arr, y_arr = _data(x, y)
    omega, t = _pair(at)
    n = x_arr.size
    if dv5_dv6 is ... and dv6_domega is ...:
        return not_attempted("build the two matrices in place of the `...` and run the cell again.")
    if dv5_dv6 is ... or dv6_domega is ...:
        missing = "dv5_dv6" if dv5_dv6 is ... else "dv6_domega"
        return not_attempted(f"{missing} is still `...`: build it as well and run the cell again.")

    matrix, column = _numbers(dv5_dv6), _numbers(dv6_domega)
    for name, value, array in (("dv5_dv6", dv5_dv6, matrix), ("dv6_domega", dv6_domega, column)):
        if array is None:
            return not_yet(f"{name} should be a tensor of numbers, but it is {_kind(value)}.",
                           "build it with torch operations, e.g. torch.eye, torch.diag or reshape.")
        if not np.all(np.isfinite(array)):
            return not_yet(f"{name} contains NaN or infinite values.",
                           "build it from the forward pass's values, which are all finite.")

    # dv5_dv6: v5_l = v6_l + t, so the identity.
    v5 = omega * x_arr + t
    if matrix.size == 1:
        return not_yet(f"dv5_dv6 is a single number, but it should be an N×N matrix (N = {n}): one row "
                       f"for each v5_l and one column for each v6_m.",
                       "write down ∂v5_l/∂v6_m for l = m and for l ≠ m, then put those numbers in a matrix.")
    if matrix.shape != (n, n):
        return not_yet(f"dv5_dv6 has shape {tuple(matrix.shape)}, but it should be N×N = {n}×{n}: one row "
                       f"for each v5_l and one column for each v6_m.",
                       "v5 and v6 are both vectors of length N.")
    if not _same(matrix, np.eye(n)):
        if _same(matrix, np.ones((n, n))):
            return not_yet("every entry of dv5_dv6 is 1, but v5_l depends only on v6_l: the entries off "
                           "the diagonal are 0.",
                           "the Kronecker delta of the other element-wise nodes applies here too.")
        if _same(matrix, np.diag(np.cos(v5))):
            return not_yet("dv5_dv6 holds cos(v5) on its diagonal: that is the sine's derivative "
                           "∂v4/∂v5, one node further up.",
                           "v5 = v6 + t: how much does v5_l change when v6_l grows by a little?")
        if _same(matrix, np.diag(x_arr)):
            return not_yet("dv5_dv6 holds x on its diagonal: that belongs to the next node down, "
                           "v6 = ω·x.",
                           "v5 = v6 + t: how much does v5_l change when v6_l grows by a little?")
        return not_yet("dv5_dv6 is not the matrix of ∂v5_l/∂v6_m.",
                       "v5_l = v6_l + t: the diagonal holds the derivative of v6_l + t with respect to v6_l, "
                       "and v5_l does not depend on any other v6_m.")

    # dv6_domega: v6_m = omega * x_m, so the column x.
    if column.size == 1:
        return not_yet("dv6_domega is a single number, but each of the N components v6_m = ω·x_m has "
                       "its own derivative with respect to ω.",
                       f"it should be a column of N = {n} numbers (shape N×1).")
    if column.shape == (1, n):
        return not_yet(f"dv6_domega is a row (shape 1×{n}); ω is one number, so ∂v6/∂ω is a column "
                       f"of N = {n} rows and 1 column.", "reshape it to (N, 1).")
    if column.shape == (n, n):
        return not_yet(f"dv6_domega is an N×N matrix, but ω is one number: ∂v6/∂ω has one column "
                       f"(shape {n}×1).", "one row per v6_m, one column for ω.")
    if column.shape not in ((n,), (n, 1)):
        return not_yet(f"dv6_domega has shape {tuple(column.shape)}, but it should be a column of "
                       f"N = {n} numbers (shape {n}×1).", "one row per v6_m, one column for ω.")
    column = column.reshape(n)
    if not _same(column, x_arr):
        if _same(column, np.ones(n)):
            return not_yet("dv6_domega is all ones: that is ∂v5/∂t, the way down to t. This node is "
                           "v6 = ω·x.", "differentiate ω·x_m with respect to ω.")
        if _same(column, np.full(n, omega)):
            return not_yet("dv6_domega holds ω itself, but the derivative of ω·x_m with respect to ω is "
                           "not ω.", "x_m is a constant factor: d(ω·c)/dω = c.")
        if _same(column, -x_arr):
            return not_yet("dv6_domega has the right size but the wrong sign.",
                           "v6 = ω·x has no minus sign; the −1 of the chain comes from v3 = y − v4, "
                           "which ∂v0/∂v5 already contains.")
        if _same(column, omega * x_arr):
            return not_yet("dv6_domega is v6 = ω·x itself, the node's value, not its derivative.",
                           "differentiate ω·x_m with respect to ω.")
        return not_yet("dv6_domega is not the column of ∂v6_m/∂ω.",
                       "v6_m = ω·x_m: differentiate with respect to ω, for every m.")

    product = float((_dv0_dv5(x_arr, y_arr, omega, t) @ matrix @ column.reshape(n, 1)).item())
    return correct(f"The chain rule down to ω: ∂v0/∂v5 · dv5_dv6 · dv6_domega = {product:+.5f}, "
                   f"autograd's omega.grad at ({omega:g}, {t:g}).")


# --- Exercise 2: descent without the gradient reset --------------------------------------------

#: The answers Exercise 2 offers for "what does .grad hold before the update of step k?"
GRAD_HOLDS_CHOICES: dict[str, str] = {
    "a": "the gradient at the current point",
    "b": "the sum of the gradients at every point visited so far",
    "c": "the gradient at the start point, times the number of steps taken",
}
_GRAD_HOLDS_ANSWER = "b"


def descent_without_reset(x: Any, y: Any, start: Any, lr: float, steps: int,
                          reset: bool = False) -> NDArray[np.float64]:
    """The lesson's descent loop on ½·MSE without the reset of ``.grad`` (or with it: ``reset=True``).

    Returns the (steps + 1) × 2 rows of (ω, t), the start first; computed in float64.
    """
    x_arr, y_arr = _data(x, y)
    x_t, y_t = torch.from_numpy(x_arr), torch.from_numpy(y_arr)
    omega, t = (torch.tensor(value, dtype=torch.float64, requires_grad=True) for value in _pair(start))
    path = [(omega.item(), t.item())]
    for _ in range(int(steps)):
        if reset:
            omega.grad, t.grad = None, None
        residual = y_t - torch.sin(omega * x_t + t)
        (0.5 * torch.mean(residual * residual)).backward()
        with torch.no_grad():
            omega -= lr * omega.grad
            t -= lr * t.grad
        path.append((omega.item(), t.item()))
    return np.array(path)


def _letter(answer: Any) -> str | None:
    if not isinstance(answer, str):
        return None
    letter = answer.strip().strip("()").strip().lower()
    return letter if letter in GRAD_HOLDS_CHOICES else None


def _check_grad_holds(answer: Any) -> Feedback | None:
    """None if the multiple-choice answer is right, else the feedback."""
    letter = _letter(answer)
    if letter == _GRAD_HOLDS_ANSWER:
        return None
    if letter is None:
        return not_yet(f"grad_holds should be one of the letters a, b or c (as text, e.g. \"a\"), but it "
                       f"is {_kind(answer)}.", "pick the description of .grad you believe, as a string.")
    if letter == "a":
        return not_yet("your path is right, but grad_holds is not: if .grad held only the current "
                       "gradient, this run would be the lesson's descent.",
                       "backward() adds into .grad; what has been added after k steps?")
    return not_yet("your path is right, but grad_holds is not: the gradient doubled in the lesson's "  # (c)
                   "demo because both backward passes ran at the same point.",
                   "here every backward pass runs at a new point: what has been added after k steps?")


def check_without_reset(path: Any, grad_holds: Any, x: Any, y: Any, start: Any, lr: float,
                        steps: int) -> Feedback:
    """Check a descent path run without resetting ``.grad``, and what ``.grad`` then holds.

    ``path`` should be the (steps + 1) rows of (ω, t) of the lesson's loop with the reset line
    removed, the start first (a list of pairs, an array or a tensor); ``grad_holds`` one of the
    letters of :data:`GRAD_HOLDS_CHOICES`.  ``x``, ``y``, ``start``, ``lr`` and ``steps`` are the
    lesson's.
    """
    expected = descent_without_reset(x, y, start, lr, steps)
    with_reset = descent_without_reset(x, y, start, lr, steps, reset=True)
    if path is ...:
        return not_attempted("run the loop without the reset, put its path in place of the `...` "
                             "and run the cell again.")
    rows = _numbers(path)
    if rows is None or rows.ndim != 2 or rows.size == 0:
        return not_yet(f"path should be a list of (omega, t) pairs, one per step, but it is {_kind(path)}"
                       + ("." if rows is None else f" of shape {tuple(rows.shape)}."),
                       "append (omega.item(), t.item()) after every update, as the lesson's loop does.")
    if rows.shape == (2, steps + 1):
        return not_yet("path has the steps in its columns: it should have one row per step, "
                       f"{steps + 1} rows of (omega, t).", "transpose it, or append one pair per step.")
    if rows.shape == (steps, 2) and _same(rows, expected[1:]):
        return not_yet(f"path has {steps} rows: the start point is missing.",
                       "start the list with the start point, as the lesson's loop does: "
                       f"{steps + 1} rows for {steps} steps.")
    if rows.shape != (steps + 1, 2):
        return not_yet(f"path has shape {tuple(rows.shape)}, but {steps} steps from the start make "
                       f"{steps + 1} rows of (omega, t).",
                       f"run {steps} steps and keep the start point as the first row.")
    if not np.all(np.isfinite(rows)):
        return not_yet("path contains NaN or infinite values.",
                       f"use the lesson's learning rate ({lr:g}) and start point.")
    if np.allclose(rows[1:], rows[-1]) and not np.allclose(expected[1:], expected[-1]):
        return not_yet("every row of your path after the start is the same point: you appended the "
                       "tensors omega and t themselves, which the update keeps changing in place.",
                       "append their values, (omega.item(), t.item()).")
    if _same(rows, with_reset):
        return not_yet("this is the path of the lesson's descent, with the reset.",
                       "remove the line that sets omega.grad and t.grad to None (or zero_grad()).")
    if not _same(rows, expected):
        first = int(np.argmax(~np.isclose(rows, expected, rtol=RTOL, atol=ATOL).all(axis=1)))
        return not_yet(f"your path leaves the run without the reset at step {first}.",
                       f"use the lesson's loop unchanged except for the reset: ½·MSE, lr = {lr:g}, "
                       f"{steps} steps from ({_pair(start)[0]:g}, {_pair(start)[1]:g}).")
    if grad_holds is ...:
        return not_attempted("your path is right. Now answer the question: put a, b or c in place of "
                             "the `...` of grad_holds.")
    wrong = _check_grad_holds(grad_holds)
    if wrong is not None:
        return wrong
    lowest = float(rows[:, 0].min())
    return correct(f"Without the reset, .grad holds the sum of all the gradients so far, so the run "
                   f"overshoots: ω swings down to {lowest:.2f} and back instead of settling.")


# --- Exercise 3: torch.autograd.grad and the Hessian -------------------------------------------

def _reference_hessian(x: NDArray[np.float64], y: NDArray[np.float64], omega: float,
                       t: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The gradient and Hessian of ½·MSE at (omega, t), from the formulas, in float64.

    With phase φ_i = ω x_i + t and residual r_i = y_i − sin φ_i, and J_i = (x_i, 1) = ∂φ_i/∂(ω, t):
    the gradient is −mean(r cos φ · J) and the Hessian mean((cos² φ + r sin φ) · J Jᵀ).
    """
    phase = omega * x + t
    residual = y - np.sin(phase)
    jacobian = np.stack([x, np.ones_like(x)], axis=1)  # (N, 2)
    gradient = -np.mean((residual * np.cos(phase))[:, None] * jacobian, axis=0)
    weight = np.cos(phase) ** 2 + residual * np.sin(phase)
    hessian = (jacobian * weight[:, None]).T @ jacobian / x.size
    return gradient, hessian


def _check_gradient(gradient: Any, expected: NDArray[np.float64]) -> Feedback | None:
    """None if ``gradient`` is (dL/dω, dL/dt), else the feedback."""
    if gradient is None:
        return not_yet("gradient is None: that is what backward() returns. It writes the gradients "
                       "into .grad instead of returning them.",
                       "torch.autograd.grad(loss, (omega, t), ...) returns them as a tuple.")
    values = _numbers(gradient)
    if values is None:
        return not_yet(f"gradient should be the tuple of two tensors that torch.autograd.grad returns, "
                       f"but it is {_kind(gradient)}.",
                       "torch.autograd.grad(loss, (omega, t), create_graph=True).")
    values = values.reshape(-1)
    if values.size == 1:
        return not_yet("gradient holds one derivative; the loss has two parameters.",
                       "pass both inputs to torch.autograd.grad: (omega, t).")
    if values.size != 2:
        return not_yet(f"gradient holds {values.size} numbers; the loss has two parameters, ω and t.",
                       "torch.autograd.grad(loss, (omega, t), ...) returns one tensor per input.")
    if not np.all(np.isfinite(values)):
        return not_yet("gradient contains NaN or infinite values.",
                       "start again from fresh_parameters() and the lesson's half_mse.")
    if _same(values, expected):
        return None
    if _same(values, expected[::-1]):
        return not_yet("gradient has the two derivatives in the wrong order.",
                       "list the inputs as (omega, t), ω first.")
    if _same(values, 2 * expected):
        return not_yet("gradient is twice the gradient of ½·MSE: either the loss lost its ½ "
                       "(nn.MSELoss) or two backward passes added up.",
                       "differentiate the lesson's half_mse once, at fresh parameters.")
    if _same(values, -expected):
        return not_yet("gradient has the wrong sign.", "differentiate the loss itself, not its negative.")
    return not_yet("gradient is not the gradient of ½·MSE at the parameters.",
                   "loss = half_mse(omega, t), then torch.autograd.grad(loss, (omega, t), ...).")


def check_hessian(gradient: Any, hessian: Any, omega: Any, t: Any, x: Any, y: Any) -> Feedback:
    """Check a gradient taken with ``torch.autograd.grad`` and the Hessian taken from it.

    ``gradient`` should be the pair (∂L/∂ω, ∂L/∂t) of L = ½·MSE at the leaf tensors ``omega`` and
    ``t``, ``hessian`` the 2×2 matrix of second derivatives (a tensor or nested lists), and the
    leaves' ``.grad`` still ``None``: ``torch.autograd.grad`` returns gradients instead of
    accumulating them.  ``x`` and ``y`` are the lesson's data.
    """
    x_arr, y_arr = _data(x, y)
    point = _point(omega, t)
    if gradient is ... and hessian is ...:
        return not_attempted("compute the gradient and the Hessian in place of the `...` and run the "
                             "cell again.")
    expected_gradient, expected_hessian = _reference_hessian(x_arr, y_arr, *point)
    if gradient is ...:
        return not_attempted("gradient is still `...`: compute it with torch.autograd.grad first.")
    wrong = _check_gradient(gradient, expected_gradient)
    if wrong is not None:
        return wrong
    filled = [name for name, leaf in (("omega", omega), ("t", t))
              if isinstance(leaf, torch.Tensor) and leaf.grad is not None]
    if filled:
        return not_yet(f"the gradient is right, but {' and '.join(name + '.grad' for name in filled)} "
                       f"{'is' if len(filled) == 1 else 'are'} filled: backward() was called on these "
                       f"parameters.",
                       "start again from fresh_parameters() and use only torch.autograd.grad, which "
                       "returns the gradients and leaves .grad alone.")
    if hessian is ...:
        return not_attempted("the gradient is right and .grad is untouched. Now the Hessian: "
                             "differentiate each component of the gradient again.")
    matrix = _numbers(hessian)
    if matrix is None:
        return not_yet(f"hessian should be a 2×2 tensor of second derivatives, but it is {_kind(hessian)}.",
                       "torch.stack the rows, each a torch.stack of what torch.autograd.grad returns.")
    if matrix.size == 2:
        return not_yet("hessian holds two numbers; the Hessian of a loss of two parameters has four: "
                       "∂²L/∂ω², ∂²L/∂ω∂t, ∂²L/∂t∂ω and ∂²L/∂t².",
                       "differentiate each of the two gradient components with respect to both ω and t.")
    if matrix.shape != (2, 2):
        return not_yet(f"hessian has shape {tuple(matrix.shape)}, but it should be 2×2.",
                       "row i is the gradient of gradient[i] with respect to (omega, t).")
    if not np.all(np.isfinite(matrix)):
        return not_yet("hessian contains NaN or infinite values.",
                       "differentiate the gradient you just checked, at the same parameters.")
    if not _same(matrix, expected_hessian):
        diagonal = np.diag(np.diag(expected_hessian))
        if _same(matrix, diagonal):
            return not_yet("the diagonal of hessian is right, but the mixed derivatives ∂²L/∂ω∂t are "
                           "missing (they are not zero).",
                           "differentiate ∂L/∂ω with respect to t as well, and ∂L/∂t with respect to ω.")
        if _same(matrix, 2 * expected_hessian):
            return not_yet("hessian is twice the Hessian of ½·MSE: the loss lost its ½ somewhere.",
                           "differentiate the gradient of the lesson's half_mse.")
        if _same(matrix, np.tile(expected_gradient, (2, 1))) or _same(matrix, np.tile(expected_gradient, (2, 1)).T):
            return not_yet("hessian repeats the gradient: it holds first derivatives, not second ones.",
                           "apply torch.autograd.grad to each component of the gradient.")
        return not_yet("hessian is not the matrix of second derivatives of ½·MSE at the parameters.",
                       "row i: torch.autograd.grad(gradient[i], (omega, t), retain_graph=True).")
    eigenvalues = np.linalg.eigvalsh(expected_hessian)
    return correct(f"The gradient by torch.autograd.grad, with .grad untouched, and the Hessian, whose "
                   f"eigenvalues at ({point[0]:g}, {point[1]:g}) are {eigenvalues[0]:+.3f} and "
                   f"{eigenvalues[1]:+.3f}.")
