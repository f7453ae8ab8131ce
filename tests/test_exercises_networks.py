"""Notebook 05's package code: make_mlp (seeded by its own generator) and the checkers of its
exercises, fed right, wrong, malformed and unanswered (``...``) answers."""

import io
import re

import numpy as np
import pytest
import torch
from torch import nn

from sinefit.exercises.networks import PARAMETER_CASES, check_parameter_count, check_reloaded, true_parameter_count
from sinefit.feedback import Feedback
from sinefit.networks import make_mlp

REPR_OR_TRACE = re.compile(r"Traceback|object at 0x|tensor\(|array\(|<\w|Feedback\(")


def assert_friendly(feedback, status):
    assert isinstance(feedback, Feedback)
    assert feedback.status == status, feedback.text
    text = feedback.text
    assert not REPR_OR_TRACE.search(text), text
    assert feedback.message.rstrip().endswith((".", "!", ")")), feedback.message
    assert repr(feedback) == str(feedback) == text
    assert "<div" in feedback._repr_html_()
    return text


def hand_built(width, hidden_layers=2):
    """The network as notebook 05 writes it, drawing from the global stream."""
    layers = [nn.Linear(1, width), nn.Tanh()]
    for _ in range(hidden_layers - 1):
        layers += [nn.Linear(width, width), nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(width, 1))


def same_weights(first, second):
    a, b = first.state_dict(), second.state_dict()
    return list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)


# --- make_mlp ---------------------------------------------------------------------------------

@pytest.mark.parametrize("width, hidden_layers", [(1, 1), (3, 2), (16, 2), (7, 3), (33, 1)])
@pytest.mark.parametrize("seed", [0, 1, 5])
def test_make_mlp_is_manual_seed_then_the_hand_built_network(width, hidden_layers, seed):
    torch.manual_seed(seed)
    expected = hand_built(width, hidden_layers)
    assert same_weights(make_mlp(width, hidden_layers, seed=seed), expected)


def test_make_mlp_neither_reads_nor_moves_the_global_stream():
    torch.manual_seed(11)
    first = make_mlp(16, seed=0)
    after_first = torch.rand(4)
    torch.manual_seed(11)
    torch.rand(100)  # other draws before it do not change it ...
    assert same_weights(make_mlp(16, seed=0), first)
    torch.manual_seed(11)
    make_mlp(16, seed=3)
    assert torch.equal(torch.rand(4), after_first)  # ... and it draws nothing from the stream
    assert not same_weights(make_mlp(16, seed=1), first)


def test_make_mlp_layers_and_dtype():
    model = make_mlp(8, hidden_layers=3)
    kinds = [type(layer).__name__ for layer in model]
    assert kinds == ["Linear", "Tanh", "Linear", "Tanh", "Linear", "Tanh", "Linear"]
    assert all(p.dtype == torch.float32 and p.requires_grad for p in model.parameters())
    assert model(torch.zeros(5, 1)).shape == (5, 1)
    bound = 1 / np.sqrt(8)
    assert model[2].weight.detach().abs().max().item() <= bound  # nn.Linear's law: uniform in ±1/sqrt(fan_in)


@pytest.mark.parametrize("kwargs", [{"width": 0}, {"width": 2.5}, {"width": "16"}, {"width": 10**6},
                                    {"width": 4, "hidden_layers": 0}, {"width": 4, "seed": -1}])
def test_make_mlp_refuses_bad_arguments(kwargs):
    with pytest.raises((ValueError, TypeError), match=r"width|hidden_layers|seed"):
        make_mlp(**kwargs)


# --- Exercise 1: parameter_count ------------------------------------------------------------

def right_count(width, hidden_layers):
    return 2 * width + (hidden_layers - 1) * (width * width + width) + width + 1


def test_true_counts_follow_from_the_layer_shapes():
    assert true_parameter_count(16, 2) == 321
    for width, hidden in PARAMETER_CASES:
        assert true_parameter_count(width, hidden) == right_count(width, hidden)


def test_parameter_count_right_answers():
    text = assert_friendly(check_parameter_count(right_count), "correct")
    assert "321" in text
    # counting a built network is also right, and NumPy or tensor integers are fine
    assert_friendly(check_parameter_count(lambda w, h: sum(p.numel() for p in make_mlp(w, h).parameters())),
                    "correct")
    assert_friendly(check_parameter_count(lambda w, h: np.int64(right_count(w, h))), "correct")
    assert_friendly(check_parameter_count(lambda w, h: torch.tensor(right_count(w, h))), "correct")
    assert_friendly(check_parameter_count(lambda w, h: float(right_count(w, h))), "correct")


def test_parameter_count_unanswered():
    def starter(width, hidden_layers):
        return ...

    assert_friendly(check_parameter_count(starter), "not attempted")
    assert_friendly(check_parameter_count(...), "not attempted")


@pytest.mark.parametrize("mistake, function, words", [
    ("no biases", lambda w, h: w + (h - 1) * w * w + w, "biases"),
    ("no output bias", lambda w, h: right_count(w, h) - 1, "output layer's bias"),
    ("one layer too many", lambda w, h: right_count(w, h) + w * w + w, "too many"),
    ("one layer too few", lambda w, h: right_count(w, h) - w * w - w, "too few"),
    ("all square", lambda w, h: h * (w * w + w), "Linear(1, width)"),
    ("tanh parameters", lambda w, h: right_count(w, h) + h * w, "Tanh"),
    ("right for the lesson only", lambda w, h: 321, "width 32"),
    ("slightly off", lambda w, h: right_count(w, h) + 7, "too many"),
])
def test_parameter_count_names_the_mistake(mistake, function, words):
    text = assert_friendly(check_parameter_count(function), "incorrect")
    assert words in text, (mistake, text)


@pytest.mark.parametrize("answer, words", [
    (321, "function"),
    ("w*w", "function"),
    (lambda w, h: "321", "whole number"),
    (lambda w, h: 320.5, "whole number"),
    (lambda w, h: None, "whole number"),
    (lambda w, h: True, "whole number"),
    (lambda w, h: [1, 2], "whole number"),
    (lambda *args: sum(args[2]), "IndexError"),
    (lambda w, h: 1 / 0, "ZeroDivisionError"),
])
def test_parameter_count_malformed_answers_get_a_sentence(answer, words):
    text = assert_friendly(check_parameter_count(answer), "incorrect")
    assert words in text


# --- Exercise 2: save, reload, evaluate --------------------------------------------------------

@pytest.fixture(scope="module")
def trained():
    """A small network moved away from its initial weights, as the lesson's `mlp` is."""
    model = make_mlp(16, seed=0)
    x = torch.linspace(-3, 3, 50).reshape(-1, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.03)
    for _ in range(20):
        optimizer.zero_grad()
        nn.MSELoss()(model(x), torch.sin(x)).backward()
        optimizer.step()
    optimizer.zero_grad()
    return model


@pytest.fixture
def x_grid():
    return torch.linspace(-2 * np.pi, 2 * np.pi, 101).reshape(-1, 1)


def solution(trained, x_grid):
    buffer = io.BytesIO()
    torch.save(trained.state_dict(), buffer)
    buffer.seek(0)
    reloaded = make_mlp(16, seed=1)
    reloaded.load_state_dict(torch.load(buffer, weights_only=True))
    reloaded.eval()
    with torch.no_grad():
        predictions = reloaded(x_grid)
    return reloaded, predictions


def test_reloaded_right_answer(trained, x_grid):
    trained.train()
    text = assert_friendly(check_reloaded(*solution(trained, x_grid), trained, x_grid), "correct")
    assert "101" in text
    assert trained.training  # the checker leaves the trained network's mode alone
    assert all(p.grad is None for p in trained.parameters())


def test_reloaded_unanswered(trained, x_grid):
    assert_friendly(check_reloaded(..., ..., trained, x_grid), "not attempted")
    assert_friendly(check_reloaded(None, None, trained, x_grid), "not attempted")
    assert_friendly(check_reloaded(..., torch.zeros(3), trained, x_grid), "not attempted")
    reloaded, _ = solution(trained, x_grid)
    assert "predictions" in assert_friendly(check_reloaded(reloaded, ..., trained, x_grid), "not attempted")


def test_reloaded_the_usual_slips(trained, x_grid):
    reloaded, predictions = solution(trained, x_grid)

    with torch.no_grad():
        same_object = trained(x_grid)
    assert "second name" in assert_friendly(check_reloaded(trained, same_object, trained, x_grid), "incorrect")

    never_loaded = make_mlp(16, seed=1).eval()
    assert "differ" in assert_friendly(check_reloaded(never_loaded, predictions, trained, x_grid), "incorrect")

    sharing = make_mlp(16, seed=1).eval()
    for name, parameter in trained.named_parameters():  # the same tensors, not copies
        layer, attribute = name.split(".")
        setattr(sharing[int(layer)], attribute, parameter)
    assert "shares" in assert_friendly(check_reloaded(sharing, predictions, trained, x_grid), "incorrect")

    in_training = solution(trained, x_grid)[0].train()
    assert "eval()" in assert_friendly(check_reloaded(in_training, predictions, trained, x_grid), "incorrect")

    with_graph = reloaded(x_grid)
    assert "no_grad" in assert_friendly(check_reloaded(reloaded, with_graph, trained, x_grid), "incorrect")

    wider = make_mlp(32, seed=1).eval()
    assert "layers" in assert_friendly(check_reloaded(wider, predictions, trained, x_grid), "incorrect")

    with torch.no_grad():
        elsewhere = reloaded(x_grid + 1)
    assert "differ" in assert_friendly(check_reloaded(reloaded, elsewhere, trained, x_grid), "incorrect")
    assert "shape" in assert_friendly(check_reloaded(reloaded, predictions[:10], trained, x_grid), "incorrect")


@pytest.mark.parametrize("reloaded, predictions, words", [
    ("mlp", None, "nn.Module"),
    ({"0.weight": 1}, None, "nn.Module"),
    ("mlp", torch.zeros(3), "nn.Module"),
])
def test_reloaded_malformed_answers(trained, x_grid, reloaded, predictions, words):
    assert words in assert_friendly(check_reloaded(reloaded, predictions, trained, x_grid), "incorrect")


def test_reloaded_predictions_that_are_not_a_tensor(trained, x_grid):
    reloaded, predictions = solution(trained, x_grid)
    text = assert_friendly(check_reloaded(reloaded, predictions.numpy(), trained, x_grid), "incorrect")
    assert "tensor" in text
    assert_friendly(check_reloaded(reloaded, [1.0, 2.0], trained, x_grid), "incorrect")


def test_reloaded_lesson_values_are_checked(trained, x_grid):
    with pytest.raises(TypeError, match="x_grid"):
        check_reloaded(*solution(trained, x_grid), "mlp", x_grid)
