"""Drawing computation graphs with graphviz.

:func:`draw_graph` draws any graph given a walker (a function from a node to its inputs) and a
labeller; :func:`torch_graph` uses it on torch's autograd graph (``grad_fn.next_functions``), so a
home-made autodiff engine can be drawn by the same code and compared shape for shape.

``python -m sinefit.graph`` (or ``make figures``) writes ``figures/call_graph.svg`` for the course
loss; rendering needs graphviz's ``dot`` program, building the graph does not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from pathlib import Path
from typing import Any

import graphviz
import torch

from sinefit.data import load_xy, repo_root
from sinefit.training import course_loss


def draw_graph(
    root: Any,
    inputs: Callable[[Any], Iterable[Any]],
    label: Callable[[Any], str],
    is_leaf: Callable[[Any], bool] | None = None,
    key: Callable[[Any], Hashable] = id,
) -> graphviz.Digraph:
    """A graphviz ``Digraph`` of everything reachable from ``root`` through ``inputs``.

    Edges point from an input to the node that consumes it (the direction of the forward pass).
    Leaves (by default: nodes without inputs) are drawn as boxes, operations as ellipses.
    """
    is_leaf = is_leaf or (lambda node: not list(inputs(node)))
    dot = graphviz.Digraph(graph_attr={"rankdir": "BT"}, node_attr={"fontname": "Helvetica"})
    seen: set[Hashable] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if key(node) in seen:
            continue
        seen.add(key(node))
        leaf = is_leaf(node)
        dot.node(str(key(node)), label(node), shape="box" if leaf else "ellipse",
                 style="filled", fillcolor="lightblue" if leaf else "white")
        for parent in inputs(node):
            dot.edge(str(key(parent)), str(key(node)))
            stack.append(parent)
    return dot


def torch_graph(tensor: torch.Tensor, names: Mapping[str, torch.Tensor]) -> graphviz.Digraph:
    """The autograd graph behind ``tensor``: backward nodes by class name, leaves by variable name.

    ``names`` maps a name to each leaf tensor that requires grad (e.g. ``{"omega": omega}``).
    """
    if tensor.grad_fn is None:
        raise ValueError("tensor has no grad_fn: build it from tensors with requires_grad=True")
    name_of = {id(value): name for name, value in names.items()}

    def inputs(fn: Any) -> list[Any]:
        return [parent for parent, _ in fn.next_functions if parent is not None]

    def label(fn: Any) -> str:
        variable = getattr(fn, "variable", None)
        if variable is None:
            return type(fn).__name__
        if id(variable) not in name_of:
            raise ValueError(f"a leaf of shape {tuple(variable.shape)} has no name: add it to names")
        return name_of[id(variable)]

    # Number the nodes in walk order (not by memory address) so the same loss gives the same file.
    numbers: dict[int, str] = {}

    def key(fn: Any) -> str:
        return numbers.setdefault(id(fn), f"node{len(numbers)}")

    return draw_graph(tensor.grad_fn, inputs, label, is_leaf=lambda fn: hasattr(fn, "variable"), key=key)


def course_loss_graph() -> graphviz.Digraph:
    """The autograd graph of the course loss on the first 50 rows of the course data at (3, 1)."""
    x, y = (torch.from_numpy(column) for column in load_xy(rows=50, dtype="float32"))
    omega = torch.tensor(3.0, requires_grad=True)
    t = torch.tensor(1.0, requires_grad=True)
    return torch_graph(course_loss(x, y, omega, t), {"omega": omega, "t": t})


def graph_labels(dot: graphviz.Digraph) -> list[str]:
    """The sorted node labels of a ``Digraph``, read from its source (no rendering needed)."""
    found = re.findall(r'\[label=(?:"([^"]*)"|(\w+))', dot.source)
    return sorted(quoted or bare for quoted, bare in found)


_DOT_ID = r'"(?:[^"\\]|\\.)*"|[^\s"\[\]]+'


def _unquote(dot_id: str) -> str:
    return dot_id[1:-1].replace('\\"', '"') if dot_id.startswith('"') else dot_id


def graph_edges(dot: graphviz.Digraph) -> list[tuple[str, str]]:
    """The sorted edges of a graph drawn by :func:`draw_graph`, as (input label, consumer label).

    Two graphs with the same labels and the same labelled edges have the same shape; an input used
    twice by one operation (``r * r``) gives its edge twice.  Read from the source, no rendering.
    """
    if not isinstance(dot, graphviz.Digraph):
        raise ValueError(f"dot must be a graphviz.Digraph (from draw_graph), got {type(dot).__name__}")
    label_of: dict[str, str] = {}
    pairs: list[tuple[str, str]] = []
    for line in dot.body:
        edge = re.fullmatch(rf"\s*({_DOT_ID}) -> ({_DOT_ID})(?: \[.*\])?\s*", line, flags=re.S)
        node = re.fullmatch(rf"\s*({_DOT_ID}) \[label=({_DOT_ID})[\s\]].*", line, flags=re.S)
        if edge:
            pairs.append((_unquote(edge[1]), _unquote(edge[2])))
        elif node:
            label_of[_unquote(node[1])] = _unquote(node[2])
    unlabelled = sorted({key for pair in pairs for key in pair} - label_of.keys())
    if unlabelled:
        raise ValueError(f"the graph has edges to nodes without a label: {unlabelled[:3]}; draw it with draw_graph")
    return sorted((label_of[tail], label_of[head]) for tail, head in pairs)


def svg_labels(svg_text: str) -> list[str]:
    """The sorted node labels of an SVG written by graphviz (the ``<text>`` of each node)."""
    nodes = re.findall(r'<g id="node\d+" class="node">(.*?)</g>', svg_text, flags=re.S)
    labels = [" ".join(re.findall(r"<text[^>]*>([^<]*)</text>", node)) for node in nodes]
    return sorted(labels)


CALL_GRAPH_SVG = "figures/call_graph.svg"


def read_call_graph() -> str:
    """The SVG text of ``figures/call_graph.svg``, found from the package (any working directory)."""
    return (repo_root() / CALL_GRAPH_SVG).read_text(encoding="utf-8")


def write_call_graph(path: Path | None = None) -> Path:
    """Render :func:`course_loss_graph` to SVG (default ``figures/call_graph.svg``)."""
    target = Path(path) if path is not None else repo_root() / CALL_GRAPH_SVG
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        svg = course_loss_graph().pipe(format="svg", encoding="utf-8")
    except graphviz.ExecutableNotFound:
        raise FileNotFoundError(
            "graphviz's `dot` program is needed to render the graph: apt-get install graphviz "
            "(or conda install graphviz)"
        ) from None
    target.write_text(svg, encoding="utf-8")
    return target


if __name__ == "__main__":
    print(f"wrote {write_call_graph()}")
