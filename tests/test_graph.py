"""The computation-graph drawing, and the freshness of the committed figure."""

import torch

from sinefit.data import repo_root
from sinefit.graph import (
    CALL_GRAPH_SVG,
    course_loss_graph,
    draw_graph,
    graph_labels,
    svg_labels,
    torch_graph,
)

EXPECTED_OPS = {"AddBackward0", "MeanBackward0", "MulBackward0", "SinBackward0", "SubBackward0"}


def test_course_loss_graph_has_the_operations_and_named_leaves():
    labels = graph_labels(course_loss_graph())
    assert set(labels) == EXPECTED_OPS | {"omega", "t"}
    # omega*x, residual*residual and 0.5*mean: three multiplications.
    assert labels.count("MulBackward0") == 3


def test_committed_svg_matches_what_todays_torch_builds():
    svg = (repo_root() / CALL_GRAPH_SVG).read_text()
    assert svg_labels(svg) == graph_labels(course_loss_graph()), (
        "figures/call_graph.svg is stale: run `make figures`"
    )


def test_torch_graph_edges_follow_next_functions():
    a = torch.tensor(2.0, requires_grad=True)
    out = torch.sin(a) * a
    dot = torch_graph(out, {"a": a})
    assert graph_labels(dot) == ["MulBackward0", "SinBackward0", "a"]
    # a feeds both the sine and the product: two edges leave it, three edges in all.
    assert dot.source.count("->") == 3


def test_torch_graph_refuses_unnamed_leaves_and_constants():
    a = torch.tensor(2.0, requires_grad=True)
    b = torch.tensor(3.0, requires_grad=True)
    import pytest

    with pytest.raises(ValueError, match="has no name"):
        torch_graph(a * b, {"a": a})
    with pytest.raises(ValueError, match="no grad_fn"):
        torch_graph(torch.tensor(1.0), {})


def test_draw_graph_takes_any_node_walker():
    graph = {"loss": ["mul"], "mul": ["w", "w"], "w": []}
    dot = draw_graph("loss", inputs=graph.__getitem__, label=str.upper, key=str)
    assert graph_labels(dot) == ["LOSS", "MUL", "W"]
    assert 'w [label=W fillcolor=lightblue shape=box' in dot.source


def test_the_graph_source_is_the_same_on_every_run():
    # Nodes are numbered in walk order, not by address, so `make figures` rewrites the same file.
    assert course_loss_graph().source == course_loss_graph().source
    assert "node0" in course_loss_graph().source


def test_the_committed_graph_reads_on_a_slide():
    """figures/call_graph.svg runs left to right and, shown as wide as a slide allows, its labels
    are at least MIN_SLIDE_LABEL_PX on a 1280x720 screen."""
    import re

    from sinefit.plotting import MIN_SLIDE_LABEL_PX, SLIDE_FIGURE_BOX_PX, SLIDE_SCREEN_SCALE

    assert "rankdir=LR" in course_loss_graph().source
    svg = (repo_root() / CALL_GRAPH_SVG).read_text()
    width, height = map(float, re.search(r'viewBox="[\d.]+ [\d.]+ ([\d.]+) ([\d.]+)"', svg).groups())
    shown = min(width * 4 / 3, SLIDE_FIGURE_BOX_PX[0], SLIDE_FIGURE_BOX_PX[1] * width / height)  # 1 pt = 4/3 px
    smallest = min(float(size) for size in re.findall(r'font-size="([\d.]+)"', svg))
    assert smallest * shown / width * SLIDE_SCREEN_SCALE >= MIN_SLIDE_LABEL_PX
