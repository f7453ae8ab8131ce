"""Checker of notebook 03's forward-mode exercise: an operation on dual numbers, against torch.

Notebook 03 builds forward-mode autodiff from dual numbers: a ``Dual`` holds a ``value`` and a
``tangent``, the derivative of that value along one direction.  The exercise adds an operation
(``cos``); :func:`check_dual_op` runs the student's operation on dual numbers with seeded random
values and tangents (a number, a vector, a matrix) and compares the result's value and tangent with
what torch computes for the same inputs: the value of ``torch_fn`` and the derivative times the
input's tangent (the Jacobian-vector product of an elementwise function).

It returns a :class:`sinefit.feedback.Feedback` and names the common mistakes: a tangent that is
the local derivative alone (the input's tangent not multiplied in), a flipped sign, a tangent left
at zero (the result made as a constant) or passed through unchanged, a wrong derivative, a wrong
value or shape, an operation that raises or does not return a dual number.  While the starter's
``...`` is still in place it answers *Not attempted yet*.

The dual numbers are reached only through a small protocol, so the notebook's class fits:
``make_dual(value, tangent)`` makes one; a dual number has ``.value`` and ``.tangent``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from sinefit.feedback import Feedback, correct, not_attempted, not_yet

__all__ = ["DEFAULT_SHAPES", "check_dual_op"]

#: Input shapes tried: a number, a vector and a matrix.
DEFAULT_SHAPES: tuple[tuple[int, ...], ...] = ((), (5,), (3, 4))

_TANGENT_HINT = ("Forward mode's chain rule: the tangent of f(a) is f'(a) times a.tangent, with the "
                 "derivative evaluated at a.value.")


def _name(fn: Any, fallback: str) -> str:
    name = getattr(fn, "__name__", "")
    if not name or name.startswith("<"):  # a lambda: no name to show
        return fallback
    return f"torch.{name}" if getattr(torch, name, None) is fn else name


def _kind(value: Any) -> str:
    name = type(value).__name__
    return f"{'an' if name[0].lower() in 'aeiou' else 'a'} {name}"


def _error(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".replace("<lambda>", "lambda").rstrip(".")


def _not_attempted() -> Feedback:
    return not_attempted("the tangent still holds `...`: replace it with your rule and run the cell again.")


def _as_numbers(value: Any) -> NDArray[np.float64] | None:
    if value is ... or value is None:
        return None
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _close(got: NDArray[np.float64], expected: NDArray[np.float64]) -> bool:
    return got.shape == np.shape(expected) and bool(np.allclose(got, expected, rtol=1e-10, atol=1e-12))


def _reference(torch_fn: Callable[[torch.Tensor], torch.Tensor], value: NDArray[np.float64]
               ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """torch's value and elementwise derivative at ``value``."""
    leaf = torch.tensor(value, dtype=torch.float64, requires_grad=True)
    out = torch_fn(leaf)
    (derivative,) = torch.autograd.grad(out.sum(), leaf)
    return out.detach().numpy(), derivative.numpy()


def _tangent_mistake(tangent: NDArray[np.float64], derivative: NDArray[np.float64],
                     incoming: NDArray[np.float64], name: str, shape: tuple[int, ...]) -> str:
    """What is wrong with a tangent that differs from derivative * incoming, in words."""
    if _close(tangent, derivative):
        return (f"missing tangent factor: the tangent of {name} is the local derivative alone; it must "
                "be multiplied by the input's tangent, a.tangent.")
    if _close(tangent, -derivative):
        return ("missing tangent factor, and a flipped sign: the tangent is minus the local derivative "
                "alone.")
    if _close(tangent, -derivative * incoming):
        return f"wrong derivative of {name}: its sign is flipped."
    if _close(tangent, np.zeros_like(derivative)):
        return (f"the tangent of {name} is zero, as for a constant: the result must carry the input's "
                "tangent, times the local derivative.")
    if _close(tangent, incoming):
        return (f"the tangent of {name} is the input's tangent unchanged: it must be multiplied by the "
                "local derivative.")
    return f"wrong derivative of {name}: for input shape {shape} the tangent differs from torch's."


def check_dual_op(
    op: Any,
    torch_fn: Callable[[torch.Tensor], torch.Tensor],
    make_dual: Callable[..., Any],
    shapes: Sequence[tuple[int, ...]] = DEFAULT_SHAPES,
    seed: int = 0,
) -> Feedback:
    """Check a one-input operation on dual numbers (forward mode) against ``torch_fn``.

    ``op(dual)`` must return a dual number whose ``.value`` is ``torch_fn`` of the input's value
    and whose ``.tangent`` is the derivative there times the input's tangent.  Tried on seeded
    random values and tangents of each of ``shapes``.  Never raises for a wrong answer.
    """
    if op is ... or op is None:
        return _not_attempted()
    if not callable(op):
        return not_yet(f"the operation should be a function that takes a dual number and returns one, "
                       f"got {_kind(op)}.", "Define it with `def`, as `dual_add` and `dual_mul` are.")
    name = _name(op, "your operation")
    reference_name = _name(torch_fn, "torch's function")
    rng = np.random.default_rng(seed)
    for shape in shapes:
        value = rng.uniform(-2.0, 2.0, size=shape)
        incoming = rng.normal(size=shape)
        expected_value, derivative = _reference(torch_fn, value)
        try:
            result = op(make_dual(value.copy(), incoming.copy()))
        except Exception as error:  # a student's code may raise anything: say so, do not crash
            if "ellipsis" in str(error).lower():
                return _not_attempted()
            return not_yet(f"calling {name} on a dual number of shape {shape} raised {_error(error)}.",
                           "Run your operation on a small Dual yourself and read the error.")
        try:
            value_out, tangent_out = result.value, result.tangent
        except AttributeError:
            return not_yet(f"{name} must return a dual number (with .value and .tangent), got {_kind(result)}.",
                           "Return `Dual(value, tangent)`.")
        except Exception as error:  # a property of the student's own class that raises
            return not_yet(f"reading .value and .tangent of what {name} returns raised {_error(error)}.",
                           "Return `Dual(value, tangent)`.")
        if tangent_out is ...:
            return _not_attempted()
        got_value, got_tangent = _as_numbers(value_out), _as_numbers(tangent_out)
        if got_value is None or got_tangent is None:
            which = "value" if got_value is None else "tangent"
            return not_yet(f"the {which} of the dual number {name} returns is not made of numbers.",
                           "Compute it with NumPy from a.value and a.tangent.")
        if not _close(got_value, expected_value):
            return not_yet(f"the value of {name} differs from {reference_name}'s for input shape {shape}.",
                           "The value is the function of a.value; only the tangent is new.")
        if got_tangent.shape != value.shape:
            return not_yet(f"the tangent of {name} has shape {got_tangent.shape}, the input {value.shape}: "
                           "they should have the same shape.", _TANGENT_HINT)
        if not _close(got_tangent, derivative * incoming):
            return not_yet(_tangent_mistake(got_tangent, derivative, incoming, name, shape), _TANGENT_HINT)
    tried = ", ".join(str(shape) for shape in shapes)
    return correct(f"{name} matches {reference_name} in forward mode: values and tangents agree on "
                   f"random inputs of shapes {tried}.")
