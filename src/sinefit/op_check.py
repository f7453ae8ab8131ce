"""Checking a home-made autodiff operation against torch.

The backprop notebook builds a small reverse-mode engine and asks the student to add one more
elementwise operation (``exp``, ``cos``, ...).  :func:`check_unary_op` runs the student's operation
on seeded random inputs, sends a random upstream gradient back through it, and compares both the
value and the gradient with what torch computes for the same inputs.

The engine is reached only through a small protocol, so any engine written in the course fits:

- ``make_leaf(array)`` returns a leaf node that collects a gradient;
- a node has ``.data`` (its value) and ``.grad`` (its gradient, filled in by ``backward``);
- ``node.backward(seed)`` back-propagates ``seed``, the gradient of some final result with respect
  to ``node`` (torch's ``tensor.backward(gradient)``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

#: Input shapes tried by default: a scalar, a vector and a matrix.
DEFAULT_SHAPES: tuple[tuple[int, ...], ...] = ((), (5,), (3, 4))


@dataclass(frozen=True)
class OpCheck:
    """The verdict of :func:`check_unary_op`: ``passed`` and a message saying why."""

    passed: bool
    message: str


def _name(fn: Callable[..., Any]) -> str:
    name = getattr(fn, "__name__", repr(fn))
    return f"torch.{name}" if getattr(torch, name, None) is fn else name


def _validate(
    op: Any, torch_fn: Any, make_leaf: Any, shapes: Sequence[Sequence[int]], low: float, high: float,
    rtol: float, atol: float,
) -> list[tuple[int, ...]]:
    for arg, value in (("op", op), ("torch_fn", torch_fn), ("make_leaf", make_leaf)):
        if not callable(value):
            raise ValueError(f"{arg} must be callable, got {type(value).__name__}: {value!r}")
    try:
        checked = [tuple(int(size) for size in shape) for shape in shapes]
    except TypeError:
        raise ValueError(f"shapes must be a sequence of shapes such as ((), (5,)), got {shapes!r}") from None
    if not checked or any(size < 1 for shape in checked for size in shape):
        raise ValueError(f"shapes must be a non-empty list of shapes with positive sizes, got {shapes!r}")
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"the input range needs finite low < high, got low={low!r}, high={high!r}")
    if not (rtol >= 0 and atol >= 0):
        raise ValueError(f"tolerances must be >= 0, got rtol={rtol!r}, atol={atol!r}")
    return checked


def _torch_reference(
    torch_fn: Callable[[torch.Tensor], torch.Tensor], data: NDArray[np.float64], upstream: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """torch's value and vector-Jacobian product (upstream · d out/d in) at ``data``."""
    x = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    out = torch_fn(x)
    if not isinstance(out, torch.Tensor) or out.shape != x.shape:
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(
            f"torch_fn must be an elementwise torch function (output shape = input shape): on an "
            f"input of shape {tuple(x.shape)} {_name(torch_fn)} returned {got}"
        )
    # The VJP as the gradient of the scalar sum(upstream * out): the same numbers as passing
    # grad_outputs=upstream, without the shape check that imports sympy (0.4 s) on first use.
    (grad,) = torch.autograd.grad((out * torch.from_numpy(upstream)).sum(), x)
    return out.detach().numpy(), grad.numpy()


def _disagreement(what: str, got: NDArray[np.float64], expected: NDArray[np.float64],
                  data: NDArray[np.float64], rtol: float, atol: float,
                  upstream: NDArray[np.float64] | None = None) -> str | None:
    """None if ``got`` matches ``expected``; else where the worst mismatch is, in words."""
    if np.allclose(got, expected, rtol=rtol, atol=atol):
        return None
    error = np.abs(got - expected)
    i = int(np.argmax(error)) if error.size else 0
    seen_with = "" if upstream is None else f" with upstream gradient {upstream.flat[i]:.4g}"
    return (f"the {what} for input shape {data.shape}: at x={data.flat[i]:.4g}{seen_with} got "
            f"{got.flat[i]:.6g}, expected {expected.flat[i]:.6g} (error {error.flat[i]:.2g})")


def check_unary_op(
    op: Callable[[Any], Any],
    torch_fn: Callable[[torch.Tensor], torch.Tensor],
    make_leaf: Callable[[NDArray[np.float64]], Any],
    *,
    shapes: Sequence[Sequence[int]] = DEFAULT_SHAPES,
    low: float = -3.0,
    high: float = 3.0,
    seed: int = 0,
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> OpCheck:
    """Compare the elementwise operation ``op`` of a home-made engine with ``torch_fn``.

    For each shape, inputs are drawn uniformly from [``low``, ``high``) and an upstream gradient
    from a standard normal (seeded by ``seed``: the same check every run).  The node
    ``op(make_leaf(inputs))`` must have torch's value, and after ``node.backward(upstream)`` the
    leaf's ``.grad`` must equal torch's gradient, both within ``rtol``/``atol`` (``np.allclose``).

    Returns an :class:`OpCheck`; a wrong operation is a failed check with a message naming the
    shape and the worst element, not an exception.  Raises ``ValueError`` for a misused checker
    (arguments that are not callable, bad shapes or range, a ``torch_fn`` that is not elementwise,
    a ``make_leaf`` that returns no node).
    """
    checked = _validate(op, torch_fn, make_leaf, shapes, low, high, rtol, atol)
    op_name, torch_name = _name(op), _name(torch_fn)
    rng = np.random.default_rng(seed)
    cases = []
    for shape in checked:
        data = rng.uniform(low, high, size=shape)
        upstream = rng.standard_normal(size=shape)
        # All references first, so a misused torch_fn is reported whatever the student's op does.
        cases.append((shape, data, upstream, *_torch_reference(torch_fn, data, upstream)))
    for shape, data, upstream, expected_value, expected_grad in cases:
        leaf = make_leaf(data.copy())
        if not (hasattr(leaf, "data") and hasattr(leaf, "grad")):
            raise ValueError(f"make_leaf must return a node with .data and .grad, got {type(leaf).__name__}")
        node = op(leaf)
        if not (hasattr(node, "data") and callable(getattr(node, "backward", None))):
            return OpCheck(False, f"{op_name} must return a node (with .data and .backward), "
                                  f"got {type(node).__name__}")
        value = np.asarray(node.data, dtype=float)
        if value.shape != shape:
            return OpCheck(False, f"{op_name} changed the shape: input {shape}, output {value.shape}")
        wrong = _disagreement(f"value of {op_name} differs from {torch_name}", value, expected_value,
                              data, rtol, atol)
        if wrong:
            return OpCheck(False, wrong)
        if not np.array_equal(np.asarray(leaf.data), data):
            return OpCheck(False, f"{op_name} modified its input's data: an operation must make a new node")
        node.backward(upstream)
        grad = np.asarray(leaf.grad, dtype=float) if leaf.grad is not None else None
        if grad is None or grad.shape != shape:
            got = "None" if grad is None else f"shape {grad.shape}"
            return OpCheck(False, f"after backward the input's gradient should have shape {shape}, got {got}")
        wrong = _disagreement(f"gradient of {op_name} differs from {torch_name}", grad, expected_grad,
                              data, rtol, atol, upstream)
        if wrong:
            return OpCheck(False, wrong)
    shape_list = ", ".join(str(shape) for shape in checked)
    return OpCheck(True, f"{op_name} matches {torch_name}: values and gradients agree on random inputs "
                         f"of shapes {shape_list} (rtol={rtol:g}, atol={atol:g})")
