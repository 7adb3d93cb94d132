"""tinyres.viz.to_dot / render and `tinyres graph`: nodes, edges, parameter names, the Add of a
skip connection with its two in-edges (the one from far upstream highlighted), and a clear
message where Graphviz is missing."""
import re
import shutil

import pytest

import tinyres
from tinyres.autograd import topological_order
from tinyres.cli import main
from tinyres.models import BasicBlock
from tinyres.viz import render, to_dot


def _block_graph():
    tinyres.manual_seed(0)
    block = BasicBlock(2, 2)
    x = tinyres.randn(2, 2, 4, 4, requires_grad=True)
    out = block(x)
    return block, x, out, to_dot(out, module=block, names={id(x): "x"})


def _edges(dot):
    return re.findall(r"^\s*(\w+) -> (\w+)(.*);$", dot, flags=re.M)


def _nodes(dot):
    return dict(re.findall(r'^\s*(\w+) \[label="([^"]*)"', dot, flags=re.M))


def test_every_graph_node_and_edge_is_in_the_dot_text():
    block, x, out, dot = _block_graph()
    assert dot.startswith("digraph autograd {") and dot.rstrip().endswith("}")
    nodes, edges = _nodes(dot), _edges(dot)
    order = topological_order(out)
    assert len(nodes) == len(order)  # x requires grad, so every input is a graph node
    parents = sum(len([p for p in t.grad_fn.parents if p is not None])
                  for t in order if t.grad_fn is not None)
    assert len(edges) == parents
    labels = "\n".join(nodes.values())
    for name in ("conv1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "x\\n(2, 2, 4, 4)",
                 "Conv2d", "BatchNormReLU\\n", "BatchNorm\\n", "AddReLU\\n"):  # fused pairs
        assert name in labels


def test_the_skip_connection_is_the_highlighted_in_edge_of_the_add():
    block, x, out, dot = _block_graph()
    nodes, edges = _nodes(dot), _edges(dot)
    (add,) = [n for n, label in nodes.items() if label.startswith("AddReLU")]
    into_add = [(src, style) for src, dst, style in edges if dst == add]
    assert len(into_add) == 2
    skip = [src for src, style in into_add if "skip" in style]
    other = [src for src, style in into_add if "skip" not in style]
    assert [nodes[s] for s in skip] == ["x\\n(2, 2, 4, 4)"]  # from far upstream: the input
    assert nodes[other[0]].startswith("BatchNorm")  # the branch's last op
    assert "fillcolor=orange" in dot


def test_a_plain_graph_has_no_skip_and_constants_are_grey():
    x = tinyres.randn(2, 3)  # needs no gradient: drawn as a grey input
    w = tinyres.randn(3, 3, requires_grad=True)
    dot = to_dot((x @ w).relu())
    assert "skip" not in dot and "fillcolor=gray90" in dot and "MatMul" in dot


def test_render_without_graphviz_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(FileNotFoundError, match="Graphviz's `dot` program.*apt-get install"):
        render(_block_graph()[3], str(tmp_path / "g.svg"))
    with pytest.raises(ValueError, match=r"'path' must end in one of .svg, .png, .pdf"):
        render("digraph {}", "graph.gif")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_render_draws_an_svg(tmp_path):
    path = render(_block_graph()[3], str(tmp_path / "g.svg"))
    assert "<svg" in open(path, encoding="utf-8").read()


def test_graph_command_writes_dot_text(tmp_path, capsys):
    out = tmp_path / "resnet8.dot"
    assert main(["graph", "cifar_resnet20", "--out", str(out), "--input-size", "4"]) == 0
    text = out.read_text()
    assert "layer3.2.conv2.weight" in text and text.count('label="skip"') == 9
    assert "9 skip connections highlighted" in capsys.readouterr().out
    assert main(["graph", "cifar_plain20", "--out", str(out), "--input-size", "4"]) == 0
    assert 'label="skip"' not in out.read_text()
    assert main(["graph", "cifar_resnet20", "--out", "g.gif"]) == 2
    assert "--out must end in .dot, .svg, .png or .pdf" in capsys.readouterr().err
