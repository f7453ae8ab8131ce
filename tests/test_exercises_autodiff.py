"""The checkers of notebook 02's exercises: right, wrong, malformed and unanswered (``...``) answers
each get a friendly sentence with the right verdict, never an exception or a repr."""

import re

import numpy as np
import pytest
import torch

from sinefit.data import load_xy
from sinefit.exercises.autodiff import (
    GRAD_HOLDS_CHOICES,
    check_dv0_domega,
    check_hessian,
    check_without_reset,
    descent_without_reset,
)
from sinefit.feedback import Feedback
from sinefit.graph import course_loss_graph, graph_labels, print_autograd_graph
from sinefit.training import course_loss

START, LR, STEPS = (3.0, 1.0), 0.1, 50
REPR_OR_TRACE = re.compile(r"Traceback|object at 0x|tensor\(|array\(|Error\b|<\w")


@pytest.fixture(scope="module")
def data():
    x, y = load_xy("sgd_data", rows=50, dtype=np.float32)
    return torch.from_numpy(x), torch.from_numpy(y)


def fresh():
    return (torch.tensor(START[0], requires_grad=True), torch.tensor(START[1], requires_grad=True))


def assert_friendly(feedback, status):
    assert isinstance(feedback, Feedback)
    assert feedback.status == status, feedback.text
    text = feedback.text
    assert not REPR_OR_TRACE.search(text), text
    assert text.rstrip().endswith((".", "?", ")")), text
    assert repr(feedback) == text  # a bare checker call shows the sentence
    return text


# --- Exercise 1 -----------------------------------------------------------------------------

def exercise1(data, dv5_dv6, dv6_domega):
    x_t, y_t = data
    return check_dv0_domega(dv5_dv6, dv6_domega, x_t, y_t, at=START)


def test_exercise1_right_answer_reproduces_autograd(data):
    x_t, y_t = data
    n = len(x_t)
    omega, t = fresh()
    course_loss(x_t, y_t, omega, t).backward()
    text = assert_friendly(exercise1(data, torch.eye(n), x_t.reshape(n, 1)), "correct")
    assert f"{omega.grad.item():+.5f}" in text
    # a vector for the column, NumPy arrays and a float64 identity are all fine
    assert_friendly(exercise1(data, np.eye(n), x_t.numpy()), "correct")


def test_exercise1_unanswered(data):
    n = len(data[0])
    assert_friendly(exercise1(data, ..., ...), "not attempted")
    text = assert_friendly(exercise1(data, torch.eye(n), ...), "not attempted")
    assert "dv6_domega" in text


@pytest.mark.parametrize("mistake, dv5_dv6, dv6_domega, words", [
    ("all ones", lambda x, v5: torch.ones(len(x), len(x)), lambda x, v5: x.reshape(-1, 1), "off the diagonal"),
    ("sine's derivative", lambda x, v5: torch.diag(torch.cos(v5)), lambda x, v5: x.reshape(-1, 1), "sine"),
    ("scalar matrix", lambda x, v5: 1.0, lambda x, v5: x.reshape(-1, 1), "single number"),
    ("wrong shape", lambda x, v5: torch.eye(3), lambda x, v5: x.reshape(-1, 1), "shape"),
    ("t's derivative", lambda x, v5: torch.eye(len(x)), lambda x, v5: torch.ones(len(x), 1), "∂v5/∂t"),
    ("omega itself", lambda x, v5: torch.eye(len(x)), lambda x, v5: torch.full((len(x), 1), 3.0), "not ω"),
    ("sign", lambda x, v5: torch.eye(len(x)), lambda x, v5: -x.reshape(-1, 1), "sign"),
    ("row", lambda x, v5: torch.eye(len(x)), lambda x, v5: x.reshape(1, -1), "row"),
    ("diagonal x", lambda x, v5: torch.eye(len(x)), lambda x, v5: torch.diag(x), "one column"),
    ("value, not derivative", lambda x, v5: torch.eye(len(x)), lambda x, v5: 3.0 * x, "value"),
])
def test_exercise1_common_mistakes_are_named(data, mistake, dv5_dv6, dv6_domega, words):
    x_t, _ = data
    v5 = START[0] * x_t + START[1]
    text = assert_friendly(exercise1(data, dv5_dv6(x_t, v5), dv6_domega(x_t, v5)), "incorrect")
    assert words in text, (mistake, text)
    assert "Hint:" in text


@pytest.mark.parametrize("dv5_dv6, dv6_domega", [
    ("eye", None), (None, "x"), ({"a": 1}, [1, 2]), ([[1, 2], [3]], 1.0),
    (torch.full((50, 50), float("nan")), 1.0),
])
def test_exercise1_malformed_answers_get_a_sentence(data, dv5_dv6, dv6_domega):
    assert_friendly(exercise1(data, dv5_dv6, dv6_domega), "incorrect")


# --- Exercise 2 -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def reference_path(data):
    return descent_without_reset(*data, START, LR, STEPS)


def exercise2(data, path, grad_holds):
    return check_without_reset(path, grad_holds, *data, START, LR, STEPS)


def student_loop(data, reset=False, keep_tensors=False):
    """The loop a student writes, in float32 like the lesson."""
    x_t, y_t = data
    omega, t = fresh()
    path = [START]
    for _ in range(STEPS):
        if reset:
            omega.grad, t.grad = None, None
        course_loss(x_t, y_t, omega, t).backward()
        with torch.no_grad():
            omega -= LR * omega.grad
            t -= LR * t.grad
        path.append((omega, t) if keep_tensors else (omega.item(), t.item()))
    return path


def test_exercise2_right_answer(data, reference_path):
    text = assert_friendly(exercise2(data, student_loop(data), "b"), "correct")
    assert f"{reference_path[:, 0].min():.2f}" in text
    assert_friendly(exercise2(data, np.array(student_loop(data)), " (B) "), "correct")
    assert_friendly(exercise2(data, torch.tensor(student_loop(data)), "b"), "correct")


def test_exercise2_float32_loop_matches_the_float64_reference(data, reference_path):
    assert np.abs(np.array(student_loop(data)) - reference_path).max() < 1e-5


def test_exercise2_the_run_without_reset_swings_and_does_not_settle(data):
    long_run = descent_without_reset(*data, START, LR, 400)
    with_reset = descent_without_reset(*data, START, LR, STEPS, reset=True)
    minimum = with_reset[-1, 0]
    assert long_run[300:, 0].min() < minimum - 0.5 and long_run[300:, 0].max() > minimum + 0.5


def test_exercise2_unanswered(data):
    assert_friendly(exercise2(data, ..., ...), "not attempted")
    text = assert_friendly(exercise2(data, student_loop(data), ...), "not attempted")
    assert "path is right" in text


@pytest.mark.parametrize("choice, words", [("a", "lesson's descent"), ("c", "same point")])
def test_exercise2_wrong_choices_are_explained(data, choice, words):
    assert choice in GRAD_HOLDS_CHOICES
    text = assert_friendly(exercise2(data, student_loop(data), choice), "incorrect")
    assert words in text


@pytest.mark.parametrize("path_kind, words", [
    ("with reset", "with the reset"),
    ("tensors appended", "the tensors omega and t themselves"),
    ("no start", "start point is missing"),
    ("transposed", "columns"),
    ("other lr", "leaves the run"),
    ("nan", "NaN"),
])
def test_exercise2_common_mistakes_are_named(data, path_kind, words):
    if path_kind == "with reset":
        path = student_loop(data, reset=True)
    elif path_kind == "tensors appended":
        path = student_loop(data, keep_tensors=True)
    elif path_kind == "no start":
        path = student_loop(data)[1:]
    elif path_kind == "transposed":
        path = np.array(student_loop(data)).T
    elif path_kind == "other lr":
        path = descent_without_reset(*data, START, 0.05, STEPS)
    else:
        path = np.full((STEPS + 1, 2), np.nan)
    text = assert_friendly(exercise2(data, path, "b"), "incorrect")
    assert words in text, text


@pytest.mark.parametrize("path, grad_holds", [
    ("path", "b"), (None, "b"), (3.0, "b"), ([[1, 2], [3]], "b"), ([{"a": 1}], "b"),
    ("valid", 2), ("valid", "d"), ("valid", None),
])
def test_exercise2_malformed_answers_get_a_sentence(data, path, grad_holds):
    if isinstance(path, str) and path == "valid":
        path = student_loop(data)
    assert_friendly(exercise2(data, path, grad_holds), "incorrect")


# --- Exercise 3 -----------------------------------------------------------------------------

def gradient_and_hessian(data):
    x_t, y_t = data
    omega, t = fresh()
    loss = course_loss(x_t, y_t, omega, t)
    gradient = torch.autograd.grad(loss, (omega, t), create_graph=True)
    hessian = torch.stack([torch.stack(torch.autograd.grad(g, (omega, t), retain_graph=True))
                           for g in gradient])
    return omega, t, gradient, hessian


def exercise3(data, gradient, hessian, omega, t):
    return check_hessian(gradient, hessian, omega, t, *data)


def test_exercise3_right_answer(data):
    omega, t, gradient, hessian = gradient_and_hessian(data)
    text = assert_friendly(exercise3(data, gradient, hessian, omega, t), "correct")
    assert "eigenvalues" in text
    # nested tuples as torch.autograd.grad returns them are fine too
    rows = [torch.autograd.grad(g, (omega, t), retain_graph=True) for g in gradient]
    assert_friendly(exercise3(data, list(gradient), rows, omega, t), "correct")


def test_exercise3_hessian_matches_finite_differences_of_autograd(data):
    x_t, y_t = (v.double() for v in data)
    _, _, _, hessian = gradient_and_hessian(data)

    def grad_at(point):
        omega, t = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point)
        return np.array([g.item() for g in torch.autograd.grad(course_loss(x_t, y_t, omega, t), (omega, t))])

    h = 1e-6
    columns = [(grad_at(np.add(START, h * e)) - grad_at(np.subtract(START, h * e))) / (2 * h) for e in np.eye(2)]
    np.testing.assert_allclose(hessian.detach().numpy(), np.column_stack(columns), rtol=1e-4, atol=1e-5)


def test_exercise3_unanswered(data):
    omega, t, gradient, _ = gradient_and_hessian(data)
    assert_friendly(exercise3(data, ..., ..., omega, t), "not attempted")
    text = assert_friendly(exercise3(data, gradient, ..., omega, t), "not attempted")
    assert "Hessian" in text


@pytest.mark.parametrize("mistake, words", [
    ("backward's None", "backward() returns"),
    ("swapped", "wrong order"),
    ("only omega", "one derivative"),
    ("MSELoss gradient", "twice"),
    ("called backward", "omega.grad and t.grad are filled"),
    ("diagonal only", "mixed derivatives"),
    ("hessian doubled", "twice the Hessian"),
    ("hessian of two numbers", "four"),
    ("first derivatives", "first derivatives"),
])
def test_exercise3_common_mistakes_are_named(data, mistake, words):
    omega, t, gradient, hessian = gradient_and_hessian(data)
    if mistake == "backward's None":
        gradient = None
    elif mistake == "swapped":
        gradient = gradient[::-1]
    elif mistake == "only omega":
        gradient = gradient[0]
    elif mistake == "MSELoss gradient":
        gradient = tuple(2 * g for g in gradient)
    elif mistake == "called backward":
        course_loss(*data, omega, t).backward()
    elif mistake == "diagonal only":
        hessian = torch.diag(torch.diag(hessian))
    elif mistake == "hessian doubled":
        hessian = 2 * hessian
    elif mistake == "hessian of two numbers":
        hessian = torch.diag(hessian)
    else:
        hessian = torch.stack([torch.stack(gradient), torch.stack(gradient)])
    text = assert_friendly(exercise3(data, gradient, hessian, omega, t), "incorrect")
    assert words in text, text


@pytest.mark.parametrize("gradient, hessian", [
    ("grad", "H"), (3.0, "H"), ({"omega": 1}, "H"), ([1.0, 2.0, 3.0], "H"), ([float("nan"), 1.0], "H"),
    ("ok", "H"), ("ok", None), ("ok", torch.zeros(3, 3)), ("ok", [[1.0, 2.0], [3.0]]),
    ("ok", torch.full((2, 2), float("inf"))),
])
def test_exercise3_malformed_answers_get_a_sentence(data, gradient, hessian):
    omega, t, right_gradient, _ = gradient_and_hessian(data)
    gradient = right_gradient if isinstance(gradient, str) and gradient == "ok" else gradient
    assert_friendly(exercise3(data, gradient, hessian, omega, t), "incorrect")


# --- the context is the notebook's, not the student's: a bad one is a bug and raises -----------

def test_a_bad_lesson_context_raises(data):
    with pytest.raises(ValueError):
        check_dv0_domega(..., ..., data[0], data[1][:3], at=START)
    with pytest.raises(ValueError):
        check_without_reset(..., ..., *data, start=("a", 1.0), lr=LR, steps=STEPS)


# --- the graph printer the notebook uses (sinefit.graph.print_autograd_graph) ----------------

def test_print_autograd_graph_prints_the_course_graph(data, capsys):
    omega, t = fresh()
    labels, edges = print_autograd_graph(course_loss(*data, omega, t), {"omega": omega, "t": t})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "MulBackward0" and "omega (AccumulateGrad)" in printed[-3]
    assert printed[-1].strip() == "SubBackward0  (see above)"
    assert sorted(labels) == graph_labels(course_loss_graph()) and edges == 9
    with pytest.raises(ValueError, match="no name"):
        print_autograd_graph(course_loss(*data, omega, t), {"omega": omega})
    with pytest.raises(ValueError, match="no grad_fn"):
        print_autograd_graph(data[0], {})
