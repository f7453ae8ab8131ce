"""The operation checker of the backprop notebook, driven by an engine without ``backward_rule``:
it passes correct operations, names the fault of wrong ones in a Feedback, and rejects a misused
checker (``torch_fn``, shapes, range, tolerances) with a ValueError.

The engine the notebook teaches lives in the notebook.  The checker only needs the node protocol
(``.data``, ``.grad``, ``.backward(seed)``), so these tests drive it with the smallest engine that
speaks it: unary operations only, so the graph is a chain and backward needs no topological sort.
(``tests/test_exercises_backprop.py`` drives it with an engine like the notebook's.)
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sinefit.feedback import Feedback
from sinefit.op_check import DEFAULT_SHAPES, check_unary_op


class ChainNode:
    """A node with at most one parent; ``local`` maps the upstream gradient to the parent's."""

    def __init__(self, data, parent=None, local=None):
        self.data = np.asarray(data, dtype=float)
        self.grad = np.zeros_like(self.data)
        self.parent, self.local = parent, local

    def backward(self, seed):
        node, upstream = self, np.asarray(seed, dtype=float)
        while node is not None:
            node.grad = node.grad + upstream
            upstream = node.local(upstream) if node.parent is not None else None
            node = node.parent


def unary(value_fn, derivative_fn, name):
    """An operation node of the chain engine: value value_fn(x), local derivative derivative_fn(x)."""

    def op(a):
        return ChainNode(value_fn(a.data), a, lambda g: g * derivative_fn(a.data))

    op.__name__ = name
    return op


exp_op = unary(np.exp, np.exp, "exp")
cos_op = unary(np.cos, lambda x: -np.sin(x), "cos")


def check(op, torch_fn, **kwargs) -> Feedback:
    return check_unary_op(op, torch_fn, ChainNode, **kwargs)


@pytest.mark.parametrize(("op", "torch_fn"), [(exp_op, torch.exp), (cos_op, torch.cos)])
def test_a_correct_operation_passes(op, torch_fn):
    result = check(op, torch_fn)
    assert result.passed, result.message
    assert result.status == "correct"
    assert result.message.startswith(f"{op.__name__} matches torch.{op.__name__}")
    assert all(str(shape) in result.message for shape in DEFAULT_SHAPES)


def test_a_wrong_sign_in_the_derivative_fails_on_the_gradient():
    result = check(unary(np.cos, np.sin, "cos"), torch.cos)
    assert result.status == "incorrect"
    assert "wrong local derivative of cos" in result.message and "sign is flipped" in result.message


def test_a_rule_that_ignores_the_upstream_gradient_fails():
    def exp_ignoring_upstream(a):
        return ChainNode(np.exp(a.data), a, lambda g: np.exp(a.data))

    result = check(exp_ignoring_upstream, torch.exp)
    assert result.status == "incorrect"
    assert result.message.startswith("missing upstream factor: the gradient exp_ignoring_upstream sends")


def test_a_wrong_value_fails_before_the_gradient_is_looked_at():
    result = check(unary(np.sin, lambda x: -np.sin(x), "cos"), torch.cos)
    assert not result.passed
    assert result.message.startswith("the value of cos differs from torch.cos for input shape ()")


def test_a_wrong_local_derivative_names_the_worst_element():
    # cos with derivative sin(2x) - unrelated: neither the sign nor the upstream factor explains it
    result = check(unary(np.cos, lambda x: np.sin(2 * x), "cos"), torch.cos)
    assert result.status == "incorrect"
    assert result.message.startswith("wrong local derivative of cos for the input: for input shape ()")
    assert "with upstream gradient" in result.message and "torch's is" in result.message


def test_the_message_names_the_worst_element():
    # Wrong only where x > 2: the scalar and vector draws may pass, the report must point at x > 2.
    def exp_wrong_above_two(a):
        return ChainNode(np.exp(a.data), a, lambda g: g * np.where(a.data > 2, 1.0, np.exp(a.data)))

    result = check(exp_wrong_above_two, torch.exp)
    assert not result.passed
    x = float(result.message.split("at input ")[1].split()[0])
    assert x > 2


def test_returning_an_array_instead_of_a_node_fails_with_a_hint():
    result = check(lambda a: np.exp(a.data), torch.exp, shapes=[(3,)])
    assert not result.passed
    assert "must return a node" in result.message and "ndarray" in result.message
    assert result.hint


def test_an_operation_that_changes_the_shape_fails():
    result = check(lambda a: ChainNode(a.data.sum(), a, lambda g: g * np.ones_like(a.data)), torch.exp,
                   shapes=[(4,)])
    assert not result.passed
    assert "changed the shape" in result.message


def test_an_operation_that_overwrites_its_input_fails():
    def exp_in_place(a):
        np.exp(a.data, out=a.data)
        return ChainNode(a.data.copy(), a, lambda g: g * a.data)

    result = check(exp_in_place, torch.exp)
    assert not result.passed
    assert "modified its input" in result.message


def test_the_check_is_deterministic_and_the_seed_changes_the_inputs():
    seen = []

    def recording_exp(a):
        seen.append(a.data.copy())
        return exp_op(a)

    for seed in (0, 0, 1):
        check(recording_exp, torch.exp, seed=seed, shapes=[(3,)])
    assert np.array_equal(seen[0], seen[1])
    assert not np.array_equal(seen[0], seen[2])
    assert np.all((seen[0] >= -3) & (seen[0] < 3))


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"torch_fn": None}, "torch_fn must be callable"),
        ({"shapes": []}, "shapes must be a non-empty list"),
        ({"shapes": [(0,)]}, "positive sizes"),
        ({"shapes": 5}, "shapes must be a sequence"),
        ({"low": 1.0, "high": 1.0}, "low < high"),
        ({"high": float("nan")}, "low < high"),
        ({"rtol": -1.0}, "tolerances must be >= 0"),
        ({"torch_fn": torch.sum}, "elementwise"),
    ],
)
def test_a_misused_checker_raises_a_clear_value_error(kwargs, fragment):
    arguments = {"op": exp_op, "torch_fn": torch.exp, "make_leaf": ChainNode} | kwargs
    with pytest.raises(ValueError, match=fragment):
        check_unary_op(**arguments)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"op": "exp"}, "the operation should be a function"),
        ({"make_leaf": 3}, "make_leaf should be the engine's function"),
        ({"make_leaf": np.asarray}, "make_leaf must return a node"),
    ],
)
def test_what_a_student_passes_wrongly_gets_feedback_not_an_error(kwargs, fragment):
    arguments = {"op": exp_op, "torch_fn": torch.exp, "make_leaf": ChainNode} | kwargs
    result = check_unary_op(**arguments)
    assert result.status == "incorrect" and fragment in result.message


def test_the_elementwise_error_names_the_shapes():
    with pytest.raises(ValueError, match=r"shape \(3, 4\) torch.sum returned \(\)"):
        check_unary_op(exp_op, torch.sum, ChainNode, shapes=[(3, 4)])
