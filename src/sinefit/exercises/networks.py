"""Checkers of notebook 05's exercises (from two parameters to a network).

- :func:`check_parameter_count`: the number of parameters of an MLP from its layer shapes (Exercise 1);
- :func:`check_reloaded`: a network saved with its ``state_dict``, reloaded into a fresh one and
  evaluated in eval mode without a graph (Exercise 2).

Each takes the student's answer first and returns a :class:`sinefit.feedback.Feedback`.  A wrong,
malformed or missing (``...``) answer gets a sentence, never an exception.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from sinefit.feedback import Feedback, answer_kind, correct, not_attempted, not_yet, unanswered
from sinefit.networks import make_mlp

__all__ = ["PARAMETER_CASES", "check_parameter_count", "check_reloaded", "true_parameter_count"]

#: (width, hidden_layers) pairs the student's formula is tried on: the lesson's network first.
PARAMETER_CASES: tuple[tuple[int, int], ...] = ((16, 2), (32, 2), (16, 1), (5, 3), (64, 4), (1, 1))


def true_parameter_count(width: int, hidden_layers: int) -> int:
    """The parameters of ``make_mlp(width, hidden_layers)``, counted on the network itself."""
    return sum(p.numel() for p in make_mlp(width, hidden_layers).parameters())


_kind = answer_kind  # shared with the other lectures' checkers


def _as_count(value: Any) -> int | None:
    """A parameter count given as a Python, NumPy or one-element torch integer (or a whole float)."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (numbers.Integral, np.integer)):
        return int(value)
    if isinstance(value, (numbers.Real, np.floating)) and np.isfinite(value) and float(value).is_integer():
        return int(value)
    return None


def _count_slips(width: int, layers: int) -> list[tuple[int, str, str]]:
    """(count, what went wrong, hint) for the usual mistakes, for one (width, hidden_layers)."""
    w, hidden = width, layers
    right = true_parameter_count(w, hidden)
    weights_only = w + (hidden - 1) * w * w + w
    return [
        (weights_only, "that counts the weights but not the biases.",
         "every Linear(n_in, n_out) has n_in * n_out weights and n_out biases."),
        (right - 1, "the output layer's bias is missing.",
         "the last layer, Linear(width, 1), has a bias too."),
        (right + w * w + w, "that has one width × width layer too many.",
         "hidden_layers tanh layers are joined by hidden_layers - 1 layers of shape width × width."),
        (right - w * w - w, "that has one width × width layer too few.",
         "hidden_layers tanh layers are joined by hidden_layers - 1 layers of shape width × width."),
        (w * w * hidden + w * hidden, "that counts hidden_layers layers of width × width, with their biases.",
         "the first layer is Linear(1, width) and the last Linear(width, 1): they are not width × width."),
        (right + hidden * w, "that gives the input layer, or every tanh, parameters of its own.",
         "Tanh has no parameters; the first layer, Linear(1, width), has width weights and width biases."),
    ]


def check_parameter_count(parameter_count: Any) -> Feedback:
    """Check a function ``parameter_count(width, hidden_layers)`` against the networks themselves.

    It is called for every pair of :data:`PARAMETER_CASES` and must return the number of parameters
    of ``make_mlp(width, hidden_layers)`` (a whole number).  A function that returns ``...`` has not
    been attempted.
    """
    if unanswered(parameter_count):
        return not_attempted("define parameter_count(width, hidden_layers) and run the cell again.")
    if not callable(parameter_count):
        return not_yet(f"parameter_count should be a function of (width, hidden_layers), but it is "
                       f"{_kind(parameter_count)}.",
                       "keep the starter's `def parameter_count(width, hidden_layers):` and return a formula.")
    for width, hidden in PARAMETER_CASES:
        try:
            answer = parameter_count(width, hidden)
        except Exception as exc:  # the student's code: any error becomes a sentence
            return not_yet(f"parameter_count({width}, {hidden}) stopped with {type(exc).__name__}: {exc}.",
                           "the function takes two whole numbers, the width and the number of hidden layers.")
        if answer is ...:
            return not_attempted("parameter_count still returns `...`: replace it with your formula.")
        count = _as_count(answer)
        if count is None:
            return not_yet(f"parameter_count({width}, {hidden}) returned {_kind(answer)}, not a whole number.",
                           "return an int: the number of weights plus the number of biases.")
        right = true_parameter_count(width, hidden)
        if count == right:
            continue
        where = f"width {width} with {hidden} hidden layer{'s' if hidden > 1 else ''}"
        for slip, message, hint in _count_slips(width, hidden):
            if count == slip and slip != right:
                return not_yet(f"for {where} your function gives {count}: {message}", hint)
        side = "too many" if count > right else "too few"
        return not_yet(f"for {where} your function gives {count}, {side}.",
                       "add up the layers one by one: Linear(n_in, n_out) holds n_in * n_out + n_out numbers.")
    lesson = true_parameter_count(*PARAMETER_CASES[0])
    return correct(f"{len(PARAMETER_CASES)} networks counted right: width 16 with 2 hidden layers has {lesson} "
                   f"parameters, width 32 has {true_parameter_count(32, 2)}. The width × width layers "
                   f"dominate, so doubling the width about quadruples the count.")


def _shares_memory(first: nn.Module, second: nn.Module) -> bool:
    """Whether any tensor of one module's state is a tensor (or a view of the memory) of the other's."""
    pointers = {tensor.untyped_storage().data_ptr() for tensor in second.state_dict().values()}
    return any(tensor.untyped_storage().data_ptr() in pointers for tensor in first.state_dict().values())


def check_reloaded(reloaded: Any, predictions: Any, trained: nn.Module, x: torch.Tensor) -> Feedback:
    """Check a reloaded copy of ``trained`` and its predictions at ``x``.

    ``reloaded`` must be another module (no tensor shared with ``trained``) holding the same weights,
    switched to eval mode; ``predictions`` must be ``reloaded(x)`` computed without a graph (under
    ``torch.no_grad()``), equal bit for bit to what ``trained`` predicts.  ``trained`` and ``x`` are
    the lesson's; ``trained`` is evaluated without a graph and its mode is left as it was.
    """
    if not isinstance(trained, nn.Module) or not isinstance(x, torch.Tensor):
        raise TypeError("check_reloaded(reloaded, predictions, trained, x): pass the lesson's mlp and x_grid")
    if unanswered(reloaded) and unanswered(predictions):
        return not_attempted("save, reload and evaluate in place of the `...` and run the cell again.")
    if unanswered(reloaded):
        return not_attempted("reloaded is still `...`: build the fresh network and load the saved weights.")
    if not isinstance(reloaded, nn.Module):
        return not_yet(f"reloaded should be a network (an nn.Module), but it is {_kind(reloaded)}.",
                       "build a fresh one with make_mlp, then call its load_state_dict with what torch.load read.")
    if reloaded is trained:
        return not_yet("reloaded is the trained network itself, not a copy: `reloaded = mlp` only gives it a "
                       "second name.",
                       "build a fresh network with make_mlp and load the saved state_dict into it.")
    expected_state, state = trained.state_dict(), reloaded.state_dict()
    if list(state) != list(expected_state) or any(state[k].shape != v.shape for k, v in expected_state.items()):
        return not_yet("reloaded does not have the trained network's layers: its state_dict has other names "
                       "or shapes, so the saved weights cannot fit it.",
                       "build it with the same width: make_mlp(WIDTH, seed=...).")
    if _shares_memory(reloaded, trained):
        return not_yet("reloaded shares its tensors with the trained network: changing one would change the "
                       "other, so it is not a saved and reloaded copy.",
                       "save with torch.save into the buffer, read it back with torch.load, then load_state_dict.")
    if not all(torch.equal(state[k], v) for k, v in expected_state.items()):
        return not_yet("reloaded's weights differ from the trained network's: it still holds its own initial "
                       "weights, or the buffer was saved before training.",
                       "reloaded.load_state_dict(torch.load(buffer, weights_only=True)), after buffer.seek(0).")
    if reloaded.training:
        return not_yet("reloaded is still in training mode (reloaded.training is True). For this network the "
                       "predictions are the same, but a network with dropout would predict at random.",
                       "call reloaded.eval() before evaluating.")
    if unanswered(predictions):
        return not_attempted("reloaded is right; predictions is still `...`: evaluate it at x_grid.")
    if not isinstance(predictions, torch.Tensor):
        return not_yet(f"predictions should be the tensor that reloaded(x_grid) returns, but it is "
                       f"{_kind(predictions)}.",
                       "predictions = reloaded(x_grid), inside a `with torch.no_grad():` block.")
    if predictions.requires_grad or predictions.grad_fn is not None:
        return not_yet("predictions carry a computation graph (predictions.requires_grad is True): torch "
                       "recorded the evaluation for a backward pass that will never come.",
                       "compute them inside a `with torch.no_grad():` block.")
    with torch.no_grad():
        expected = trained(x)
    if predictions.shape != expected.shape:
        return not_yet(f"predictions have shape {tuple(predictions.shape)}, but the network's outputs at "
                       f"x_grid have shape {tuple(expected.shape)}.",
                       "evaluate reloaded at x_grid itself, a column of inputs.")
    if not torch.equal(predictions, expected):
        return not_yet("predictions differ from the trained network's outputs at x_grid.",
                       "evaluate reloaded (after loading the weights) at x_grid.")
    return correct(f"the reloaded network predicts, bit for bit, what the trained one does at all {len(x)} "
                   f"points: its {len(expected_state)} saved tensors are all there is to the trained network.")
