"""Notebook 05's network: a small multilayer perceptron, seeded by a generator of its own.

:func:`make_mlp` builds the ``nn.Sequential`` that notebook 05 writes out by hand (``Linear``
layers joined by ``Tanh``) and draws its initial weights as ``nn.Linear`` does, uniformly in
±1/sqrt(fan_in), but from a ``torch.Generator`` seeded with ``seed`` instead of torch's global
random stream.  So ``make_mlp(w, seed=s)`` is, bit for bit, the network that
``torch.manual_seed(s)`` followed by the hand-written ``nn.Sequential`` gives, and building it
neither depends on nor changes what the rest of the program draws.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from sinefit._checks import as_int

__all__ = ["MAX_HIDDEN_LAYERS", "MAX_WIDTH", "make_mlp"]

#: The widest hidden layer :func:`make_mlp` builds (a width-4096 layer already has 16.8 M weights).
MAX_WIDTH = 4096
#: The most hidden layers :func:`make_mlp` builds.
MAX_HIDDEN_LAYERS = 32


def make_mlp(width: int, hidden_layers: int = 2, seed: int = 0) -> nn.Sequential:
    """A 1-input, 1-output MLP with ``hidden_layers`` tanh layers of ``width`` units, seeded by ``seed``.

    The layers are ``Linear(1, width), Tanh()``, then ``hidden_layers - 1`` times
    ``Linear(width, width), Tanh()``, then ``Linear(width, 1)``; float32, torch's default.  Every
    weight and bias is drawn uniformly in ±1/sqrt(fan_in), layer by layer, weight before bias (the
    order and the law of ``nn.Linear``'s own initialisation), from ``torch.Generator().manual_seed(seed)``.
    """
    width = as_int(width, "width", low=1, high=MAX_WIDTH, what=f"a whole number of units in 1..{MAX_WIDTH}")
    hidden_layers = as_int(hidden_layers, "hidden_layers", low=1, high=MAX_HIDDEN_LAYERS,
                           what=f"a whole number of hidden layers in 1..{MAX_HIDDEN_LAYERS}")
    seed = as_int(seed, "seed", low=0, what="an integer >= 0 (the same seed gives the same network)")
    sizes = [1] + [width] * hidden_layers + [1]
    layers: list[nn.Module] = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        # skip_init: no initial draw from the global stream; the weights are drawn below.
        layers += [nn.utils.skip_init(nn.Linear, fan_in, fan_out), nn.Tanh()]
    model = nn.Sequential(*layers[:-1])  # no tanh after the output layer
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in model:
            if isinstance(layer, nn.Linear):
                bound = 1 / math.sqrt(layer.in_features)
                layer.weight.uniform_(-bound, bound, generator=generator)
                layer.bias.uniform_(-bound, bound, generator=generator)
    return model

