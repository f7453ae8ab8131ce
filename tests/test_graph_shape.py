"""graph_edges reads the shape of any graph drawn by draw_graph, so a home-made autodiff engine's
graph can be compared with torch's edge for edge."""

from __future__ import annotations

import graphviz
import pytest
import torch

from sinefit.graph import course_loss_graph, draw_graph, graph_edges, graph_labels, torch_graph

# A toy graph as a dict: node -> its inputs; "d" uses "b" twice, like r * r in the course loss.
TOY = {"d": ["b", "b", "c"], "b": ["a"], "c": ["a"], "a": []}


def toy_graph(label=str.upper) -> graphviz.Digraph:
    return draw_graph("d", TOY.__getitem__, label, key=str)


def test_edges_are_labelled_pairs_and_a_repeated_input_counts_twice():
    assert graph_edges(toy_graph()) == [("A", "B"), ("A", "C"), ("B", "D"), ("B", "D"), ("C", "D")]


def test_labels_that_need_quoting_come_back_unquoted():
    edges = graph_edges(toy_graph(label=lambda name: f'node "{name}" -1.5'))
    assert ('node "b" -1.5', 'node "d" -1.5') in edges
    assert len(edges) == 5


def test_the_edges_agree_with_the_labels_of_the_same_graph():
    dot = toy_graph()
    assert sorted({label for edge in graph_edges(dot) for label in edge}) == sorted(set(graph_labels(dot)))


def test_torch_course_loss_edges():
    edges = graph_edges(course_loss_graph())
    assert edges.count(("SubBackward0", "MulBackward0")) == 2  # residual * residual
    assert ("omega", "MulBackward0") in edges and ("t", "AddBackward0") in edges
    assert len(edges) == 9 and len(graph_labels(course_loss_graph())) == 9


def test_two_torch_graphs_of_the_same_formula_have_the_same_edges():
    a = torch.tensor(1.5, requires_grad=True)
    b = torch.tensor(-0.5, requires_grad=True)
    first = torch_graph(torch.sin(a * b) + a, {"a": a, "b": b})
    second = torch_graph(torch.sin(a * b) + a, {"a": a, "b": b})
    different = torch_graph(torch.cos(a * b) + a, {"a": a, "b": b})
    assert graph_edges(first) == graph_edges(second)
    assert graph_edges(first) != graph_edges(different)


def test_an_edge_to_an_unlabelled_node_is_an_error():
    dot = graphviz.Digraph()
    dot.node("1", "x")
    dot.edge("1", "2")
    with pytest.raises(ValueError, match="without a label"):
        graph_edges(dot)


def test_not_a_digraph_is_an_error():
    with pytest.raises(ValueError, match="graphviz.Digraph"):
        graph_edges("digraph { a -> b }")
