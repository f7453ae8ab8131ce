"""Two builds give the same bytes: the package's generated figures and HTML carry no random ids.

The slide decks and the student edition embed what the notebooks' cells output.  Two outputs used
to differ between runs: notebook 03's engine graph (graphviz node ids were Python ``id()`` values)
and the descent animation (matplotlib's player gets a random ``uuid4`` element id).  Each test
makes the output twice from fresh objects, as two executions of the cell would, and compares bytes.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from sinefit.animation import animation_html
from sinefit.data import load_xy
from sinefit.descent import gradient_descent
from sinefit.graph import course_loss_graph, draw_graph, graph_edges, torch_graph
from sinefit.landscape import landscape
from sinefit.training import course_loss


class Value:
    """A node of a small reverse-mode engine, like notebook 03's (only what drawing needs)."""

    def __init__(self, data, parents=(), op="leaf", requires_grad=False):
        self.data, self.parents, self.op, self.requires_grad = data, parents, op, requires_grad

    def __add__(self, other):
        return Value(self.data + other.data, (self, other), "add", self.requires_grad or other.requires_grad)

    def __mul__(self, other):
        return Value(self.data * other.data, (self, other), "mul", self.requires_grad or other.requires_grad)

    def __sub__(self, other):
        return Value(self.data - other.data, (self, other), "sub", self.requires_grad or other.requires_grad)

    def sin(self):
        return Value(np.sin(self.data), (self,), "sin", self.requires_grad)

    def mean(self):
        return Value(np.mean(self.data), (self,), "mean", self.requires_grad)


def engine_graph_source_and_svg() -> tuple[str, str]:
    """Notebook 03's engine graph cell, on fresh nodes."""
    x, y = load_xy(rows=50)
    omega, t = Value(3.0, op="omega", requires_grad=True), Value(1.0, op="t", requires_grad=True)
    residual = Value(y) - (omega * Value(x) + t).sin()
    loss = (residual * residual).mean()
    dot = draw_graph(loss, inputs=lambda node: [p for p in node.parents if p.requires_grad],
                     label=lambda node: node.op)
    return dot.source, dot.pipe(format="svg", encoding="utf-8")


def test_the_engine_graph_is_the_same_on_every_build():
    first, second = engine_graph_source_and_svg(), engine_graph_source_and_svg()
    assert first == second
    source, svg = first
    # Node ids follow the walk from the loss, not memory addresses.
    assert re.findall(r"^\s*(\S+) \[label=", source, flags=re.M)[0] == "node0"
    assert not re.search(r"\d{9,}", source + svg)


def test_the_engine_graph_keeps_its_shape():
    x, y = load_xy(rows=50)
    omega, t = Value(3.0, op="omega", requires_grad=True), Value(1.0, op="t", requires_grad=True)
    residual = Value(y) - (omega * Value(x) + t).sin()
    dot = draw_graph((residual * residual).mean(), inputs=lambda n: [p for p in n.parents if p.requires_grad],
                     label=lambda n: n.op)
    assert graph_edges(dot) == sorted([("omega", "mul"), ("mul", "add"), ("t", "add"), ("add", "sin"),
                                       ("sin", "sub"), ("sub", "mul"), ("sub", "mul"), ("mul", "mean")])


def test_torch_graphs_are_the_same_on_every_build():
    def build() -> tuple[str, str]:
        x, y = (torch.from_numpy(c) for c in load_xy(rows=20))
        omega = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
        t = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
        dot = torch_graph(course_loss(x, y, omega, t), {"omega": omega, "t": t})
        return dot.source, dot.pipe(format="svg", encoding="utf-8")

    assert build() == build()
    assert course_loss_graph().pipe(format="svg") == course_loss_graph().pipe(format="svg")


@pytest.fixture(scope="module")
def small_run():
    x, y = load_xy(rows=100)
    return landscape(x, y, n_omega=40, n_t=30), gradient_descent(x, y, (3.0, 1.0), lr=0.1, steps=6)


def test_the_animation_html_is_the_same_on_every_build(small_run):
    land, run = small_run
    first = animation_html(land, run, max_frames=4, dpi=30)
    second = animation_html(land, run, max_frames=4, dpi=30)
    assert first == second
    # The player still works: one id, used by the image, the slider and the script alike.
    ids = set(re.findall(r'id="_anim_img([0-9a-f]+)"', first))
    assert len(ids) == 1
    (anim_id,) = ids
    assert f"_anim_slider{anim_id}" in first and f"anim{anim_id} = new Animation(" in first


def test_different_animations_get_different_ids(small_run):
    land, run = small_run
    one = animation_html(land, run, max_frames=4, dpi=30)
    other = animation_html(land, run, max_frames=3, dpi=30)
    id_of = [re.search(r'id="_anim_img([0-9a-f]+)"', html)[1] for html in (one, other)]
    assert id_of[0] != id_of[1]
