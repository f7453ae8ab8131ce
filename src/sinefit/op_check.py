"""Checking an operation of a home-made autodiff engine against torch: the backprop exercises.

The backprop notebook builds a small reverse-mode engine and asks the student to add operations:
one with one input (:func:`check_unary_op`, e.g. ``cos``) and one with two inputs
(:func:`check_binary_op`, e.g. ``div``).  A checker runs the student's operation on seeded random
inputs, sends a random upstream gradient back through it, and compares the value and the gradient
of every input with what torch computes for the same inputs.  It returns a
:class:`sinefit.feedback.Feedback`: *Correct!*, *Not yet:* with the mistake named and a hint, or
*Not attempted yet:* while the backward rule is still the starter's ``...``.

The mistakes it names:

- the backward rule returns a bare value instead of a tuple with one gradient per input;
- the rule returns too few or too many gradients (a two-input operation needs two);
- a missing upstream factor: the rule returns the local derivative without multiplying it by the
  incoming gradient ``g``;
- a wrong local derivative (a flipped sign is said so); for two inputs, gradients in swapped order;
- a wrong value, an operation that changes the shape or overwrites its input, an operation that
  raises or returns something that is not a node.

The engine is reached only through a small protocol, so any engine written in the course fits (the
engine itself is taught in the notebook and passed in through ``make_leaf``):

- ``make_leaf(array)`` returns a leaf node that collects a gradient;
- a node has ``.data`` (its value) and ``.grad`` (its gradient, filled in by ``backward``);
- ``node.backward(seed)`` back-propagates ``seed``, the gradient of some final result with respect
  to ``node`` (torch's ``tensor.backward(gradient)``);
- optionally, as in the notebook's engine, ``node.backward_rule(upstream)`` returns the tuple of
  gradients for ``node.parents``; the checker calls it first to judge the rule's form.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from sinefit.feedback import Feedback, correct, not_attempted, not_yet, unanswered

#: Input shapes tried by default for a one-input operation: a scalar, a vector and a matrix.
DEFAULT_SHAPES: tuple[tuple[int, ...], ...] = ((), (5,), (3, 4))

#: Input shape pairs tried by default for a two-input operation: the same shapes, then broadcasting
#: (a matrix with a number, a matrix with a row).
DEFAULT_BINARY_SHAPES: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] = (
    ((), ()), ((5,), (5,)), ((3, 4), ()), ((3, 4), (4,)),
)

_ORDINALS = ("first", "second", "third", "fourth")

_RULE_HINT = ("Your backward rule (the lambda) receives the upstream gradient g and returns a tuple "
              "with one gradient per input, e.g. `lambda g: (g * local_derivative,)` for one input.")
_DERIVATIVE_HINT = ("Differentiate the operation with respect to this input, evaluate the derivative "
                    "at the inputs' .data, and multiply it by the upstream gradient g; check the sign.")


def _name(fn: Callable[..., Any]) -> str:
    name = getattr(fn, "__name__", type(fn).__name__)
    if name.startswith("<"):  # a lambda: no name to show
        return "your operation"
    return f"torch.{name}" if getattr(torch, name, None) is fn else name


def _error(error: BaseException) -> str:
    """An exception as words: its type and message, with a lambda's ``<lambda>`` as plain ``lambda``."""
    return f"{type(error).__name__}: {error}".replace("<lambda>", "lambda").rstrip(".")


def _mentions_ellipsis(error: BaseException) -> bool:
    return "ellipsis" in str(error).lower()


def _holds_ellipsis(value: Any) -> bool:
    if value is ...:
        return True
    return isinstance(value, (tuple, list)) and any(item is ... for item in value)


def _not_attempted() -> Feedback:
    return not_attempted("the backward rule still holds `...`: replace it with your rule and run the "
                         "cell again.")


@dataclass(frozen=True)
class _Case:
    """One trial: the inputs, the upstream gradient and torch's answers for them."""

    inputs: tuple[NDArray[np.float64], ...]
    upstream: NDArray[np.float64]
    value: NDArray[np.float64]
    grads: tuple[NDArray[np.float64], ...]  # upstream-weighted: what the engine must produce
    local_grads: tuple[NDArray[np.float64], ...]  # with upstream 1: the local derivative alone

    @property
    def shapes(self) -> str:
        return " and ".join(str(data.shape) for data in self.inputs)


def _torch_reference(torch_fn: Callable[..., torch.Tensor], inputs: Sequence[NDArray[np.float64]],
                     upstream: NDArray[np.float64]) -> tuple[NDArray[np.float64], list[NDArray[np.float64]],
                                                              list[NDArray[np.float64]]]:
    """torch's value and vector-Jacobian products (with ``upstream`` and with ones) at ``inputs``."""
    leaves = [torch.tensor(data, dtype=torch.float64, requires_grad=True) for data in inputs]
    out = torch_fn(*leaves)
    expected_shape = np.broadcast_shapes(*(data.shape for data in inputs))
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != expected_shape:
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        shapes = " and ".join(str(data.shape) for data in inputs)
        raise ValueError(
            f"torch_fn must be an elementwise torch function (output shape = broadcast input shape): "
            f"on inputs of shape {shapes} {_name(torch_fn)} returned {got}"
        )
    # The VJP as the gradient of the scalar sum(upstream * out): the same numbers as passing
    # grad_outputs=upstream, without the shape check that imports sympy (0.4 s) on first use.
    weighted = torch.autograd.grad((out * torch.from_numpy(upstream)).sum(), leaves, retain_graph=True)
    local = torch.autograd.grad(out.sum(), leaves)
    # A reference that is NaN or inf somewhere cannot judge anything there ("got nan, expected nan").
    for what, values in (("value", out.detach()), *(("gradient", grad) for grad in local)):
        if not bool(torch.isfinite(values).all()):
            bad = int(torch.argmin(torch.isfinite(values).to(torch.int8).reshape(-1)))
            at = ", ".join(f"{np.broadcast_to(data, values.shape).flat[bad]:.4g}" for data in inputs)
            raise ValueError(
                f"{_name(torch_fn)} has no finite {what} at input {at}, inside the range the inputs are drawn "
                f"from (low..high): pass low and high inside its domain, e.g. low=0.5, high=3.0 for torch.log"
            )
    return (out.detach().numpy(), [grad.numpy() for grad in weighted], [grad.numpy() for grad in local])


def _validate(torch_fn: Any, shapes: Sequence[Any], low: float, high: float, rtol: float, atol: float,
              n_inputs: int) -> list[tuple[tuple[int, ...], ...]]:
    if not callable(torch_fn):
        raise ValueError(f"torch_fn must be callable, got {type(torch_fn).__name__}: {torch_fn!r}")
    try:
        if n_inputs == 1:
            checked = [(tuple(int(size) for size in shape),) for shape in shapes]
        else:
            checked = [tuple(tuple(int(size) for size in shape) for shape in pair) for pair in shapes]
    except TypeError:
        example = "((), (5,))" if n_inputs == 1 else "(((), ()), ((3, 4), (4,)))"
        raise ValueError(f"shapes must be a sequence of shapes such as {example}, got {shapes!r}") from None
    if not checked or any(size < 1 for case in checked for shape in case for size in shape):
        raise ValueError(f"shapes must be a non-empty list of shapes with positive sizes, got {shapes!r}")
    if any(len(case) != n_inputs for case in checked):
        raise ValueError(f"each case needs {n_inputs} input shapes, got {shapes!r}")
    for case in checked:
        try:
            np.broadcast_shapes(*case)
        except ValueError:
            raise ValueError(f"the input shapes {case} do not broadcast together") from None
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"the input range needs finite low < high, got low={low!r}, high={high!r}")
    if not (rtol >= 0 and atol >= 0):
        raise ValueError(f"tolerances must be >= 0, got rtol={rtol!r}, atol={atol!r}")
    return checked


def _cases(torch_fn: Callable[..., torch.Tensor], checked: list[tuple[tuple[int, ...], ...]],
           low: float, high: float, seed: int) -> list[_Case]:
    """Seeded inputs (a second input kept away from zero, so that division is safe) and torch's answers."""
    rng = np.random.default_rng(seed)
    cases = []
    for shapes in checked:
        inputs = [rng.uniform(low, high, size=shapes[0])]
        for shape in shapes[1:]:
            inputs.append(rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape))
        upstream = rng.standard_normal(size=np.broadcast_shapes(*shapes))
        value, grads, local = _torch_reference(torch_fn, inputs, upstream)
        cases.append(_Case(tuple(inputs), upstream, value, tuple(grads), tuple(local)))
    return cases


def _close(got: NDArray[np.float64], expected: NDArray[np.float64], rtol: float, atol: float) -> bool:
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=rtol, atol=atol))


def _where(got: NDArray[np.float64], expected: NDArray[np.float64], case: _Case, index: int) -> str:
    """The worst mismatch, in words: the input there, the upstream gradient, got and expected."""
    error = np.abs(got - expected)
    i = int(np.argmax(error)) if error.size else 0
    data = case.inputs[index]
    upstream = (f" with upstream gradient {case.upstream.flat[i]:.4g}"
                if case.upstream.shape == data.shape else "")  # else the gradient sums several
    plural = "s" if len(case.inputs) > 1 else ""
    return (f"for input shape{plural} {case.shapes}, at input {data.flat[i]:.4g}{upstream} the gradient is "
            f"{got.flat[i]:.6g}, torch's is {expected.flat[i]:.6g}")


def _judge_gradient(got: NDArray[np.float64], case: _Case, index: int, grads: list[NDArray[np.float64]],
                    rtol: float, atol: float, op_name: str) -> Feedback | None:
    """None if the gradient of input ``index`` is right; else the mistake, named."""
    expected = case.grads[index]
    if _close(got, expected, rtol, atol):
        return None
    n = len(case.inputs)
    which = "the input" if n == 1 else f"the {_ORDINALS[index]} input"
    if n > 1 and all(grad.shape == exp.shape for grad, exp in zip(grads[::-1], case.grads)) and all(
            _close(grad, exp, rtol, atol) for grad, exp in zip(grads[::-1], case.grads)):
        return not_yet(
            f"the gradients of {op_name} are in swapped order: the first input got the gradient of the "
            f"second and the other way round.",
            "The rule returns the gradients in the order of the node's parents: (for a, for b).")
    if np.all(got == 0) and np.any(expected != 0):
        return not_yet(f"no gradient reached {which} of {op_name}: its .grad is still zero after backward.",
                       "Return one gradient per input, in the order of the node's parents.")
    if _close(got, case.local_grads[index], rtol, atol):
        return not_yet(
            f"missing upstream factor: the gradient {op_name} sends to {which} is the local derivative "
            f"alone; it must be multiplied by the incoming (upstream) gradient g.",
            "The chain rule: the gradient for an input is g times the local derivative.")
    if _close(got, -case.local_grads[index], rtol, atol):
        return not_yet(
            f"missing upstream factor, and a flipped sign: the gradient {op_name} sends to {which} is "
            f"minus the local derivative alone; it must be the local derivative times the incoming "
            f"(upstream) gradient g.", "The chain rule: the gradient for an input is g times the local "
                                      "derivative; check the derivative's sign.")
    if _close(got, -expected, rtol, atol):
        return not_yet(f"wrong local derivative of {op_name} for {which}: its sign is flipped.",
                       _DERIVATIVE_HINT)
    return not_yet(f"wrong local derivative of {op_name} for {which}: {_where(got, expected, case, index)}.",
                   _DERIVATIVE_HINT)


def _judge_rule(node: Any, case: _Case, op_name: str, n_inputs: int) -> Feedback | None:
    """The form of the rule's result, if the node exposes its rule (the notebook's engine does)."""
    rule = getattr(node, "backward_rule", None)
    if not callable(rule):
        return None
    try:
        result = rule(case.upstream.copy())
    except Exception as error:  # noqa: BLE001 - any fault of the student's rule becomes a sentence
        if _mentions_ellipsis(error):
            return _not_attempted()
        return not_yet(f"calling the backward rule of {op_name} raised {_error(error)}.",
                       _RULE_HINT)
    if _holds_ellipsis(result):
        return _not_attempted()
    n_parents = len(getattr(node, "parents", ())) or n_inputs
    if not isinstance(result, (tuple, list)):
        return not_yet(
            f"the backward rule of {op_name} returned a bare value instead of a tuple with one gradient "
            f"per input; the engine pairs that tuple with the node's parents.",
            "Put the gradient in a tuple: `lambda g: (g * local_derivative,)`, with the trailing comma."
            if n_parents == 1 else "Return a tuple: `lambda g: (gradient_for_a, gradient_for_b)`.")
    if len(result) != n_parents:
        return not_yet(
            f"the backward rule of {op_name} returned {len(result)} gradient{'s' * (len(result) != 1)} "
            f"for {n_parents} input{'s' * (n_parents != 1)}: it needs one per input.",
            "Return a tuple with one gradient per parent of the node, in the same order.")
    return None


def _check_op(op: Any, torch_fn: Callable[..., torch.Tensor], make_leaf: Any,
              checked: list[tuple[tuple[int, ...], ...]], low: float, high: float, seed: int, rtol: float,
              atol: float) -> Feedback:
    n_inputs = len(checked[0])
    if unanswered(op):
        return not_attempted("define the operation in the cell above and run it again.")
    op_name = _name(op)
    if not callable(op):
        return not_yet(f"the operation should be a function that takes node{'s' * (n_inputs > 1)} and returns "
                       f"a node, got {type(op).__name__}.", "Define it with `def`, as the lesson's `sin`.")
    if not callable(make_leaf):
        return not_yet(f"make_leaf should be the engine's function that makes a parameter, got "
                       f"{type(make_leaf).__name__}.", "Pass make_leaf=parameter.")
    # All references first, so a misused torch_fn is reported whatever the student's op does.
    cases = _cases(torch_fn, checked, low, high, seed)
    torch_name = _name(torch_fn)
    for case in cases:
        leaves = [make_leaf(data.copy()) for data in case.inputs]
        if not all(hasattr(leaf, "data") and hasattr(leaf, "grad") for leaf in leaves):
            return not_yet(f"make_leaf must return a node with .data and .grad, got "
                           f"{type(leaves[0]).__name__}.", "Pass make_leaf=parameter.")
        try:
            node = op(*leaves)
        except Exception as error:  # noqa: BLE001
            if _mentions_ellipsis(error):
                return _not_attempted()
            return not_yet(f"calling {op_name} raised {_error(error)}.",
                           "Compute the value from the inputs' .data and return a Node.")
        if not (hasattr(node, "data") and callable(getattr(node, "backward", None))):
            return not_yet(f"{op_name} must return a node (with .data and .backward), got {type(node).__name__}.",
                           "Return Node(value, parents, name, rule), as the lesson's operations do.")
        try:
            value = np.asarray(node.data, dtype=float)
        except (TypeError, ValueError):
            return not_yet(f"the value of {op_name} is not an array of numbers (got {type(node.data).__name__}).",
                           "Compute the value from the inputs' .data with NumPy.")
        if value.shape != case.value.shape:
            return not_yet(f"{op_name} changed the shape: inputs {case.shapes}, output {value.shape}, "
                           f"expected {case.value.shape}.", "An elementwise operation keeps the shape.")
        if not _close(value, case.value, rtol, atol):
            error = np.abs(value - case.value)
            i = int(np.argmax(error)) if error.size else 0
            return not_yet(f"the value of {op_name} differs from {torch_name} for input shape "
                           f"{case.shapes}: got {value.flat[i]:.6g}, expected {case.value.flat[i]:.6g}.",
                           "Compute the value from the inputs' .data with NumPy.")
        if not all(np.array_equal(np.asarray(leaf.data), data) for leaf, data in zip(leaves, case.inputs)):
            return not_yet(f"{op_name} modified its input's data: an operation must make a new node.",
                           "Compute a new array; do not write into the inputs' .data.")
        wrong_rule = _judge_rule(node, case, op_name, n_inputs)
        if wrong_rule:
            return wrong_rule
        try:
            node.backward(case.upstream.copy())
        except Exception as error:  # noqa: BLE001
            if _mentions_ellipsis(error):
                return _not_attempted()
            return not_yet(f"backward through {op_name} raised {_error(error)}.", _RULE_HINT)
        grads = []
        for index, (leaf, data) in enumerate(zip(leaves, case.inputs)):
            grad = None if leaf.grad is None else np.asarray(leaf.grad, dtype=float)
            if grad is None or grad.shape != data.shape:
                got = "None" if grad is None else f"shape {grad.shape}"
                return not_yet(f"after backward the gradient of an input of shape {data.shape} should have "
                               f"that shape, got {got}.", _RULE_HINT)
            grads.append(grad)
        for index, grad in enumerate(grads):
            wrong = _judge_gradient(grad, case, index, grads, rtol, atol, op_name)
            if wrong:
                return wrong
    shape_list = ", ".join(case.shapes for case in cases)
    return correct(f"{op_name} matches {torch_name}: values and gradients agree on random inputs of "
                   f"shape{'s' if len(cases) > 1 else ''} {shape_list}.")


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
) -> Feedback:
    """Compare the elementwise one-input operation ``op`` of a home-made engine with ``torch_fn``.

    For each shape, inputs are drawn uniformly from [``low``, ``high``) and an upstream gradient
    from a standard normal (seeded by ``seed``: the same check every run).  The node
    ``op(make_leaf(inputs))`` must have torch's value, and after ``node.backward(upstream)`` the
    leaf's ``.grad`` must equal torch's gradient, both within ``rtol``/``atol`` (``np.allclose``).

    Returns a :class:`~sinefit.feedback.Feedback`; a wrong, malformed or unanswered operation gets a
    sentence naming the mistake, never an exception.  Raises ``ValueError`` only for a misused
    checker (a ``torch_fn`` that is not an elementwise torch function, bad shapes, range or tolerances).
    """
    checked = _validate(torch_fn, shapes, low, high, rtol, atol, n_inputs=1)
    return _check_op(op, torch_fn, make_leaf, checked, low, high, seed, rtol, atol)


def check_binary_op(
    op: Callable[[Any, Any], Any],
    torch_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    make_leaf: Callable[[NDArray[np.float64]], Any],
    *,
    shapes: Sequence[Sequence[Sequence[int]]] = DEFAULT_BINARY_SHAPES,
    low: float = -3.0,
    high: float = 3.0,
    seed: int = 0,
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> Feedback:
    """Compare the elementwise two-input operation ``op(a, b)`` of a home-made engine with ``torch_fn``.

    As :func:`check_unary_op`, for each pair of input shapes (broadcasting included): ``a`` is drawn
    from [``low``, ``high``), ``b`` from ±[0.5, 2) (away from zero, so that division is safe).  Both
    leaves' gradients must equal torch's.  Besides the mistakes of one-input operations it names a
    rule that returns one gradient for two inputs and gradients in swapped order.
    """
    checked = _validate(torch_fn, shapes, low, high, rtol, atol, n_inputs=2)
    return _check_op(op, torch_fn, make_leaf, checked, low, high, seed, rtol, atol)
