"""Drawing computation graphs with graphviz.

:func:`draw_graph` draws any graph given a walker (a function from a node to its inputs) and a
labeller; :func:`torch_graph` uses it on torch's autograd graph (``grad_fn.next_functions``), so a
home-made autodiff engine can be drawn by the same code and compared shape for shape.

``python -m sinefit.graph`` (or ``make figures``) writes ``figures/call_graph.svg`` for the course
loss; rendering needs graphviz's ``dot`` program, building the graph does not.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from pathlib import Path
from typing import Any

import graphviz
import torch

from sinefit._checks import ArgumentTypeError, check_callable, describe
from sinefit.data import load_xy, repo_root
from sinefit.training import course_loss


#: Left to right, the direction of the forward pass, with labels that read on a slide: the graph of
#: the course loss fills the width of a 16:9 slide (1192 px) with labels of 17.5 px on screen.
GRAPH_ATTR = {"rankdir": "LR", "ranksep": "0.2", "nodesep": "0.2"}
NODE_ATTR = {"fontname": "Helvetica", "fontsize": "20", "margin": "0.08,0.04", "penwidth": "1.4"}
EDGE_ATTR = {"penwidth": "1.6", "arrowsize": "1.1"}


def draw_graph(
    root: Any,
    inputs: Callable[[Any], Iterable[Any]],
    label: Callable[[Any], str],
    is_leaf: Callable[[Any], bool] | None = None,
    key: Callable[[Any], Hashable] = id,
) -> graphviz.Digraph:
    """A graphviz ``Digraph`` of everything reachable from ``root`` through ``inputs``.

    Edges point from an input to the node that consumes it (the direction of the forward pass).
    Leaves (by default: nodes without inputs) are drawn as light blue boxes, operations as white
    boxes with rounded corners (narrower than ellipses, so a left-to-right graph fits a slide).
    ``key`` tells nodes apart and names them in the DOT source.  With the default (``id``) the
    nodes are named by walk order instead (``node0`` is ``root``), not by memory address, so the
    same graph gives the same source and SVG on every run.
    Labels are drawn literally: quotes, brackets and backslashes in them are escaped.
    """
    check_callable(inputs, "inputs", "lambda node: node.parents")
    check_callable(label, "label", "lambda node: node.op")
    check_callable(key, "key", "id")
    if is_leaf is not None:
        check_callable(is_leaf, "is_leaf", "lambda node: not node.parents")
    is_leaf = is_leaf or (lambda node: not list(inputs(node)))
    dot = graphviz.Digraph(graph_attr=GRAPH_ATTR, node_attr=NODE_ATTR, edge_attr=EDGE_ATTR)
    number: dict[Hashable, str] = {}

    def name(node: Any) -> str:
        if key is not id:
            return str(key(node))
        return number.setdefault(key(node), f"node{len(number)}")

    seen: set[Hashable] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if key(node) in seen:
            continue
        seen.add(key(node))
        leaf = is_leaf(node)
        text = label(node)
        if not isinstance(text, str):
            raise ArgumentTypeError(f"label must return a str for every node, got {describe(text)} for {describe(node)}")
        dot.node(name(node), graphviz.escape(text), shape="box",
                 style="filled" if leaf else "rounded,filled", fillcolor="lightblue" if leaf else "white")
        for parent in inputs(node):
            dot.edge(name(parent), name(node))
            stack.append(parent)
    return dot


def torch_graph(tensor: torch.Tensor, names: Mapping[str, torch.Tensor]) -> graphviz.Digraph:
    """The autograd graph behind ``tensor``: backward nodes by class name, leaves by variable name.

    ``names`` maps a name to each leaf tensor that requires grad (e.g. ``{"omega": omega}``).
    """
    if not isinstance(tensor, torch.Tensor):
        raise ArgumentTypeError(f"tensor must be a torch.Tensor computed from tensors with requires_grad=True, "
                                f"got tensor={describe(tensor)}")
    if not isinstance(names, Mapping) or not all(isinstance(v, torch.Tensor) for v in names.values()):
        raise ArgumentTypeError(f"names must map names to leaf tensors, e.g. {{'omega': omega}}, got names={describe(names)}")
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
    # Holding every node keeps its Python wrapper alive: torch 2.3 makes a new wrapper for a node
    # whenever the last one was freed, and a freed wrapper's id() can come back as another node's.
    numbers: dict[int, str] = {}
    alive: list[Any] = []

    def key(fn: Any) -> str:
        if id(fn) not in numbers:
            alive.append(fn)
            numbers[id(fn)] = f"node{len(numbers)}"
        return numbers[id(fn)]

    return draw_graph(tensor.grad_fn, inputs, label, is_leaf=lambda fn: hasattr(fn, "variable"), key=key)


def course_loss_graph() -> graphviz.Digraph:
    """The autograd graph of the course loss on the first 50 rows of the course data at (3, 1)."""
    x, y = (torch.from_numpy(column) for column in load_xy(rows=50, dtype="float32"))
    omega = torch.tensor(3.0, requires_grad=True)
    t = torch.tensor(1.0, requires_grad=True)
    return torch_graph(course_loss(x, y, omega, t), {"omega": omega, "t": t})


def graph_labels(dot: graphviz.Digraph) -> list[str]:
    """The sorted node labels of a ``Digraph``, read from its source (no rendering needed)."""
    if not isinstance(dot, graphviz.Digraph):
        raise ArgumentTypeError(f"dot must be a graphviz.Digraph (from draw_graph), got dot={describe(dot)}")
    found = re.findall(r'\[label=(?:"((?:[^"\\]|\\.)*)"|(\w+))', dot.source)
    return sorted(_unescape(quoted) or bare for quoted, bare in found)


_DOT_ID = r'"(?:[^"\\]|\\.)*"|[^\s"\[\]]+'


def _unescape(text: str) -> str:
    """A quoted DOT string's content as written: ``\\"`` is ``"`` and ``\\\\`` is a backslash."""
    return re.sub(r"\\(.)", r"\1", text, flags=re.S)


def _unquote(dot_id: str) -> str:
    return _unescape(dot_id[1:-1]) if dot_id.startswith('"') else dot_id


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
    """The sorted node labels of an SVG written by graphviz (the ``<text>`` of each node, unescaped)."""
    if not isinstance(svg_text, str):
        raise ArgumentTypeError(f"svg_text must be the SVG as a str, got svg_text={describe(svg_text)}")
    nodes = re.findall(r'<g id="node\d+" class="node">(.*?)</g>', svg_text, flags=re.S)
    labels = [" ".join(html.unescape(text) for text in re.findall(r"<text[^>]*>([^<]*)</text>", node))
              for node in nodes]
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


def print_autograd_graph(tensor: torch.Tensor, names: Mapping[str, torch.Tensor],
                         indent: str = "    ") -> tuple[list[str], int]:
    """Print the autograd graph behind ``tensor`` as an indented tree, the loss's node first.

    Each line is a node, indented one level deeper than the node that consumes it; a leaf shows its
    name from ``names`` and its node class, e.g. ``omega (AccumulateGrad)``.  A node reached a
    second time is printed once more with ``(see above)`` and not expanded again.  Returns the
    labels of the distinct nodes (as :func:`torch_graph` labels them) and the number of edges.
    """
    if not isinstance(tensor, torch.Tensor):
        raise ArgumentTypeError(f"tensor must be a torch.Tensor computed from tensors with requires_grad=True, "
                                f"got tensor={describe(tensor)}")
    if tensor.grad_fn is None:
        raise ValueError("tensor has no grad_fn: build it from tensors with requires_grad=True")
    name_of = {id(value): name for name, value in names.items()}
    seen: set[int] = set()
    alive: list[Any] = []  # held, so that torch (2.3) reuses each node's wrapper and its id() stays unique
    labels: list[str] = []
    edges = 0

    def walk(fn: Any, depth: int) -> None:
        nonlocal edges
        leaf = getattr(fn, "variable", None)  # AccumulateGrad nodes hold their leaf tensor
        if leaf is not None and id(leaf) not in name_of:
            raise ValueError(f"a leaf of shape {tuple(leaf.shape)} has no name: add it to names")
        label = type(fn).__name__ if leaf is None else name_of[id(leaf)]
        shown = label if leaf is None else f"{label} ({type(fn).__name__})"
        if id(fn) in seen:
            print(indent * depth + shown + "  (see above)")
            return
        print(indent * depth + shown)
        seen.add(id(fn))
        alive.append(fn)
        labels.append(label)
        for parent, _ in fn.next_functions:
            if parent is not None:  # None: an input that needs no gradient (data, constants)
                edges += 1
                walk(parent, depth + 1)

    walk(tensor.grad_fn, 0)
    return labels, edges


if __name__ == "__main__":
    print(f"wrote {write_call_graph()}")
