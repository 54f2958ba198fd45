"""to_dot: Graphviz text of the graph, with op names, shapes, dtypes and what needs grad."""
import re
import shutil
import subprocess

import pytest

import minidl as mdl
from minidl.autograd.ops import linear

NODE = re.compile(r"^\s*(\w+) \[label=\"(.*)\"")
EDGE = re.compile(r"^\s*(\w+) -> (\w+)\b")


def parse(dot):
    """Declared nodes (id -> label) and edges of the DOT text, after checking its structure."""
    assert dot.startswith("digraph minidl {") and dot.rstrip().endswith("}")
    assert dot.count("{") == dot.count("}")
    nodes, edges = {}, []
    for line in dot.splitlines()[1:-1]:
        edge, node = EDGE.match(line), NODE.match(line)
        if edge:
            edges.append(edge.groups())
        elif node:
            nodes[node.group(1)] = node.group(2)
    for a, b in edges:
        assert a in nodes and b in nodes, f"edge {a} -> {b} references an undeclared node"
    return nodes, edges


def mlp_graph(device):
    x = mdl.randn(4, 3, device=device)
    w = mdl.randn(2, 3, device=device, requires_grad=True)
    b = mdl.zeros(2, device=device, requires_grad=True)
    return linear(x, w, b).relu().sum(), w, b


def test_dot_names_ops_shapes_dtypes_and_grad(device):
    y, w, b = mlp_graph(device)
    nodes, edges = parse(mdl.autograd.to_dot(y, names={"weight": w, "bias": b}))
    labels = list(nodes.values())
    for op, shape in (("Sum", "()"), ("ReLU", "(4, 2)"), ("Linear", "(4, 2)")):
        label = next(lab for lab in labels if lab.startswith(op))
        assert f"{shape} float32" in label and "needs grad" in label
    assert any(lab.startswith("weight") and "(2, 3) float32" in lab and "requires_grad" in lab
               for lab in labels)
    assert any(lab.startswith("bias") and "(2,) float32" in lab for lab in labels)
    assert len(edges) == 5  # Sum->out, ReLU->Sum, Linear->ReLU, weight->Linear, bias->Linear


def test_dot_of_a_leaf_and_of_a_shared_subgraph(device):
    w = mdl.ones(2, dtype="float64", device=device, requires_grad=True)
    nodes, edges = parse(mdl.autograd.to_dot(w))
    assert len(nodes) == 2 and edges and "float64" in "".join(nodes.values())
    h = w.exp()
    nodes, edges = parse(mdl.autograd.to_dot(h * h + h, title="diamond"))
    assert sum(label.startswith("Exp") for label in nodes.values()) == 1  # drawn once
    assert sum(1 for a, b in edges if nodes[a].startswith("Exp")) == 3


def test_dot_marks_a_freed_graph_and_gradient_norms(device):
    y, w, _ = mlp_graph(device)
    y.backward(retain_graph=True)
    text = mdl.autograd.to_dot(y)
    parse(text)
    assert "grad norm" in text
    y.backward()
    assert "graph freed" in mdl.autograd.to_dot(y)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graphviz_accepts_the_text():
    y, w, b = mlp_graph("cpu")
    result = subprocess.run(["dot", "-Tsvg"], input=mdl.autograd.to_dot(y, names={"w": w}),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "<svg" in result.stdout
