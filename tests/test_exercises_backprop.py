"""The two exercises of notebook 03 (the backward rule of ``cos``, division with two inputs), as a
student would answer them: right, wrong in each of the classic ways, malformed, and untouched
(``...``).  Every answer gets a Feedback with the right status and a friendly sentence, never an
exception.

The engine is taught in the notebook; this file holds a copy of its essentials (the node with
``backward_rule``, ``unbroadcast``, the backward pass over a topological order), so the checkers
are tested against the protocol the notebook's engine speaks.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from sinefit.feedback import Feedback
from sinefit.op_check import check_binary_op, check_unary_op

# --- the notebook's engine, in short -----------------------------------------------------------


class Node:
    __array_ufunc__ = None

    def __init__(self, data, parents=(), op="leaf", backward_rule=None, requires_grad=False):
        self.data = np.asarray(data, dtype=np.float64)
        self.grad = np.zeros_like(self.data)
        self.parents = parents
        self.op = op
        self.backward_rule = backward_rule
        self.requires_grad = requires_grad or any(parent.requires_grad for parent in parents)

    def backward(self, seed=None):
        order, visited = [], set()

        def visit(node):
            if node not in visited:
                visited.add(node)
                for parent in node.parents:
                    visit(parent)
                order.append(node)

        visit(self)
        for node in order:
            if node.parents:
                node.grad = np.zeros_like(node.data)
        self.grad = self.grad + (np.ones_like(self.data) if seed is None else seed)
        for node in reversed(order):
            if node.backward_rule is None:
                continue
            for parent, gradient in zip(node.parents, node.backward_rule(node.grad)):
                if parent.requires_grad:
                    parent.grad += unbroadcast(gradient, parent.data.shape)


def unbroadcast(gradient, shape):
    while gradient.ndim > len(shape):
        gradient = gradient.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1:
            gradient = gradient.sum(axis=axis, keepdims=True)
    return gradient


def parameter(value):
    return Node(value, requires_grad=True)


def as_node(value):
    return value if isinstance(value, Node) else Node(value)


def unary(name, rule):
    """cos(a) with the given backward rule, a function of (g, a.data)."""

    def op(a):
        return Node(np.cos(a.data), (a,), name, lambda g: rule(g, a.data))

    op.__name__ = name
    return op


def binary(name, rule):
    """div(a, b) with the given backward rule, a function of (g, a.data, b.data)."""

    def op(a, b):
        a, b = as_node(a), as_node(b)
        return Node(a.data / b.data, (a, b), name, lambda g: rule(g, a.data, b.data))

    op.__name__ = name
    return op


def check_cos(op) -> Feedback:
    return check_unary_op(op, torch.cos, make_leaf=parameter)


def check_div(op) -> Feedback:
    return check_binary_op(op, torch.div, make_leaf=parameter)


def assert_friendly(result: Feedback) -> None:
    """A sentence a student can read: a verdict first, no repr, no traceback."""
    assert isinstance(result, Feedback)
    assert result.text.startswith(("Correct!", "Not yet:", "Not attempted yet:"))
    assert result.message.strip()
    for leak in ("Traceback", "<function", "<lambda>", " object at 0x", "Error(", "File \""):
        assert leak not in result.text, result.text
    assert re.search(r"[.!]$", result.message.strip()), result.message
    assert "sinefit-feedback" in result._repr_html_()
    if result.status == "incorrect":
        assert result.hint, "a wrong answer gets a hint"


# --- exercise 1: the backward rule of cos ------------------------------------------------------

COS_ANSWERS = {
    "right": (unary("cos", lambda g, a: (-g * np.sin(a),)), "correct", "cos matches torch.cos"),
    "untouched starter": (unary("cos", lambda g, a: ...), "not attempted", "still holds `...`"),
    "half-done tuple": (unary("cos", lambda g, a: (...,)), "not attempted", "still holds `...`"),
    "bare value (no trailing comma)": (unary("cos", lambda g, a: (-g * np.sin(a))), "incorrect",
                                       "returned a bare value instead of a tuple"),
    "missing upstream factor": (unary("cos", lambda g, a: (-np.sin(a),)), "incorrect",
                                "missing upstream factor"),
    "missing upstream factor and sign": (unary("cos", lambda g, a: (np.sin(a),)), "incorrect",
                                         "missing upstream factor, and a flipped sign"),
    "sign flipped": (unary("cos", lambda g, a: (g * np.sin(a),)), "incorrect",
                     "wrong local derivative of cos for the input: its sign is flipped"),
    "wrong local derivative": (unary("cos", lambda g, a: (-g * np.cos(a),)), "incorrect",
                               "wrong local derivative of cos for the input: for input shape ()"),
    "two gradients for one input": (unary("cos", lambda g, a: (-g * np.sin(a), g)), "incorrect",
                                    "returned 2 gradients for 1 input"),
    "a rule that raises": (unary("cos", lambda g, a: (-g * np.sine(a),)), "incorrect",
                           "calling the backward rule of cos raised AttributeError"),
}


@pytest.mark.parametrize("answer", COS_ANSWERS, ids=list(COS_ANSWERS))
def test_exercise_1_names_each_answer(answer):
    op, status, fragment = COS_ANSWERS[answer]
    result = check_cos(op)
    assert result.status == status, result.text
    assert fragment in result.message, result.message
    assert_friendly(result)


def test_exercise_1_the_whole_operation_left_as_ellipsis_is_not_attempted():
    assert check_cos(...).status == "not attempted"

    def cos(a):
        return Node(..., (a,), "cos", lambda g: ...)  # the value left as `...` too

    result = check_cos(cos)
    assert result.status == "not attempted"
    assert_friendly(result)


@pytest.mark.parametrize(
    ("op", "fragment"),
    [
        (3, "the operation should be a function that takes node and returns a node, got int"),
        (lambda a: np.cos(a.data), "your operation must return a node (with .data and .backward)"),
        (lambda a: Node(np.sin(a.data), (a,), "cos", lambda g: (g,)), "the value of your operation differs"),
        (lambda a: Node(np.cos(a.data).sum(), (a,), "cos", lambda g: (-g * np.sin(a.data),)),
         "your operation changed the shape"),
        (lambda a: a.data.undefined, "raised AttributeError"),
        (lambda a, b: a, "raised TypeError"),
    ],
    ids=["not a function", "an array, not a node", "wrong value", "wrong shape", "op raises",
         "wrong number of arguments"],
)
def test_exercise_1_malformed_answers_get_a_sentence(op, fragment):
    result = check_cos(op)
    assert result.status == "incorrect"
    assert fragment in result.message
    assert_friendly(result)


def test_exercise_1_the_result_displays_as_a_sentence():
    result = check_cos(COS_ANSWERS["missing upstream factor"][0])
    assert repr(result) == str(result) == result.text
    assert result.text.startswith("Not yet: missing upstream factor")
    assert "Hint:" in result.text and "Hint" in result._repr_html_()


# --- exercise 2: division, two inputs ------------------------------------------------------------

DIV_ANSWERS = {
    "right": (binary("div", lambda g, a, b: (g / b, -g * a / b**2)), "correct", "div matches torch.div"),
    "right, written as a * b^-1": (binary("div", lambda g, a, b: (g * b**-1, g * a * -(b**-2))), "correct",
                                   "div matches torch.div"),
    "right, summing by hand for a scalar b": (
        binary("div", lambda g, a, b: (g / b, unbroadcast(-g * a / b**2, b.shape))), "correct",
        "div matches torch.div"),
    "untouched starter": (binary("div", lambda g, a, b: ...), "not attempted", "still holds `...`"),
    "half done": (binary("div", lambda g, a, b: (g / b, ...)), "not attempted", "still holds `...`"),
    "one gradient for two inputs": (binary("div", lambda g, a, b: (g / b,)), "incorrect",
                                    "returned 1 gradient for 2 inputs"),
    "bare value": (binary("div", lambda g, a, b: g / b), "incorrect", "returned a bare value"),
    "swapped order": (binary("div", lambda g, a, b: (-g * a / b**2, g / b)), "incorrect", "swapped order"),
    "missing upstream factor for b": (binary("div", lambda g, a, b: (g / b, -a / b**2)), "incorrect",
                                      "missing upstream factor: the gradient div sends to the second input"),
    "missing upstream factor for a": (binary("div", lambda g, a, b: (1 / b, -g * a / b**2)), "incorrect",
                                      "missing upstream factor: the gradient div sends to the first input"),
    "sign flipped for b": (binary("div", lambda g, a, b: (g / b, g * a / b**2)), "incorrect",
                           "wrong local derivative of div for the second input: its sign is flipped"),
    "wrong local derivative for a": (binary("div", lambda g, a, b: (g * b, -g * a / b**2)), "incorrect",
                                     "wrong local derivative of div for the first input"),
    "wrong power of b": (binary("div", lambda g, a, b: (g / b, -g * a / b)), "incorrect",
                         "wrong local derivative of div for the second input"),
}


@pytest.mark.parametrize("answer", DIV_ANSWERS, ids=list(DIV_ANSWERS))
def test_exercise_2_names_each_answer(answer):
    op, status, fragment = DIV_ANSWERS[answer]
    result = check_div(op)
    assert result.status == status, result.text
    assert fragment in result.message, result.message
    assert_friendly(result)


def test_exercise_2_checks_broadcasting():
    result = check_div(DIV_ANSWERS["right"][0])
    assert "(3, 4) and ()" in result.message and "(3, 4) and (4,)" in result.message


def test_exercise_2_an_engine_that_forgets_to_unbroadcast_is_caught_on_the_broadcast_shapes():
    class NoUnbroadcastNode(Node):
        def backward(self, seed=None):
            for parent, gradient in zip(self.parents, self.backward_rule(seed)):
                parent.grad = parent.grad + gradient  # a full-size gradient into a scalar's grad

    def div(a, b):
        return NoUnbroadcastNode(a.data / b.data, (a, b), "div", lambda g: (g / b.data, -g * a.data / b.data**2))

    result = check_binary_op(div, torch.div, make_leaf=lambda data: NoUnbroadcastNode(data, requires_grad=True))
    assert result.status == "incorrect"
    assert "should have that shape" in result.message


@pytest.mark.parametrize(
    ("op", "fragment"),
    [
        (None, None),
        ("div", "the operation should be a function that takes nodes and returns a node, got str"),
        (lambda a: a, "raised TypeError"),
    ],
    ids=["None", "a string", "one argument"],
)
def test_exercise_2_malformed_answers_get_a_sentence(op, fragment):
    result = check_div(op)
    if fragment is None:
        assert result.status == "not attempted"
    else:
        assert result.status == "incorrect" and fragment in result.message
    assert_friendly(result)


def test_the_checkers_are_deterministic():
    op = DIV_ANSWERS["wrong power of b"][0]
    assert check_div(op).text == check_div(op).text


# --- exercise 3: forward mode, the tangent of cos ------------------------------------------------

from sinefit.exercises.backprop import check_dual_op  # noqa: E402  (the forward-mode part of this file)


class Dual:
    """The notebook's dual number, in short: a value and its tangent."""

    __array_ufunc__ = None

    def __init__(self, value, tangent=0.0):
        self.value = np.asarray(value, dtype=np.float64)
        self.tangent = np.asarray(tangent, dtype=np.float64)


def dual_op(rule):
    """cos on dual numbers with the given tangent rule, a function of (value, tangent)."""

    def dual_cos(a):
        return Dual(np.cos(a.value), rule(a.value, a.tangent))

    return dual_cos


def check_cos_forward(op) -> Feedback:
    return check_dual_op(op, torch.cos, make_dual=Dual)


DUAL_COS_ANSWERS = {
    "right": (dual_op(lambda a, da: -np.sin(a) * da), "correct", "dual_cos matches torch.cos in forward mode"),
    "right, written with the minus last": (dual_op(lambda a, da: da * np.sin(a) * -1), "correct",
                                           "dual_cos matches torch.cos"),
    "untouched starter": (dual_op(lambda a, da: ...), "not attempted", "still holds `...`"),
    "missing tangent factor": (dual_op(lambda a, da: -np.sin(a)), "incorrect", "missing tangent factor: the tangent"),
    "missing tangent factor and sign": (dual_op(lambda a, da: np.sin(a)), "incorrect",
                                        "missing tangent factor, and a flipped sign"),
    "sign flipped": (dual_op(lambda a, da: np.sin(a) * da), "incorrect", "wrong derivative of dual_cos: its sign"),
    "wrong derivative": (dual_op(lambda a, da: np.cos(a) * da), "incorrect",
                         "wrong derivative of dual_cos: for input shape ()"),
    "tangent left at zero": (dual_op(lambda a, da: 0.0 * a), "incorrect", "is zero, as for a constant"),
    "tangent passed through": (dual_op(lambda a, da: da), "incorrect", "the input's tangent unchanged"),
    "a rule that raises": (dual_op(lambda a, da: -np.sine(a) * da), "incorrect", "raised AttributeError"),
    "a tangent of the wrong shape": (dual_op(lambda a, da: (-np.sin(a) * da).sum()), "incorrect",
                                     "has shape () , the input (5,)".replace(" ,", ",")),
}


@pytest.mark.parametrize("answer", DUAL_COS_ANSWERS, ids=list(DUAL_COS_ANSWERS))
def test_exercise_3_names_each_answer(answer):
    op, status, fragment = DUAL_COS_ANSWERS[answer]
    result = check_cos_forward(op)
    assert result.status == status, result.text
    assert fragment in result.message, result.message
    assert_friendly(result)


@pytest.mark.parametrize(
    ("op", "status", "fragment"),
    [
        (..., "not attempted", "still holds `...`"),
        (None, "not attempted", "still holds `...`"),
        ("cos", "incorrect", "should be a function that takes a dual number and returns one, got a str"),
        (lambda a: np.cos(a.value), "incorrect", "must return a dual number (with .value and .tangent), got a float64"),
        (lambda a: Dual(np.sin(a.value), np.cos(a.value) * a.tangent), "incorrect", "the value of your operation differs"),
        (lambda a, b: a, "incorrect", "raised TypeError"),
        (lambda a: type("Half", (), {"value": np.cos(a.value), "tangent": ...})(), "not attempted", "still holds"),
        (lambda a: type("Text", (), {"value": "cos", "tangent": 0.0})(), "incorrect", "the value of the dual number"),
    ],
    ids=["ellipsis", "None", "a string", "an array, not a dual", "wrong value", "two arguments",
         "tangent left as ...", "value not numbers"],
)
def test_exercise_3_malformed_answers_get_a_sentence(op, status, fragment):
    result = check_cos_forward(op)
    assert result.status == status, result.text
    assert fragment in result.message, result.message
    assert_friendly(result)


def test_exercise_3_checks_every_shape_and_is_deterministic():
    right = check_cos_forward(DUAL_COS_ANSWERS["right"][0])
    assert "(), (5,), (3, 4)" in right.message
    wrong = DUAL_COS_ANSWERS["wrong derivative"][0]
    assert check_cos_forward(wrong).text == check_cos_forward(wrong).text


def test_exercise_3_judges_other_functions_too():
    def dual_exp(a):
        return Dual(np.exp(a.value), np.exp(a.value) * a.tangent)

    assert check_dual_op(dual_exp, torch.exp, make_dual=Dual).passed
    assert "torch.exp" in check_dual_op(dual_exp, torch.exp, make_dual=Dual).message


def test_exercise_3_a_result_whose_attributes_raise_gets_a_sentence():
    class Broken:
        value = 0.0

        @property
        def tangent(self):
            raise ValueError("no tangent here")

    result = check_cos_forward(lambda a: Broken())
    assert result.status == "incorrect" and "raised ValueError: no tangent here" in result.message
    assert_friendly(result)
