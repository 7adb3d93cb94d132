"""to_dot(tensor): the autograd graph behind a tensor as Graphviz DOT text; render() draws it.

Nodes are tensors: an op's output is labelled with the op (its grad_fn) and its shape, a leaf
that requires grad with its parameter name (when a module is given) and shape, an input that
needs no gradient in grey. Edges run forward, from an op's inputs to its output. Add nodes (and
AddReLU, the add of He et al.'s blocks with the ReLU after it, fused: models/fused.py) are
filled orange; when one of their two inputs comes from much further upstream than the other
(a skip connection: the block's input, next to its branch's output), that edge is drawn red and
bold and labelled "skip".
"""
import os
import subprocess

from ..autograd import tensor_id, topological_order
from .deps import dot_program

FORMATS = ("svg", "png", "pdf")
ADDS = ("Add", "AddReLU")  # the ops a skip connection ends in


def to_dot(tensor, module=None, names=None, title=None):
    """DOT text (str) of the graph behind tensor. module: name leaf parameters by their
    state_dict names; names: {id(tensor): label} for any other tensors."""
    labels = _parameter_names(module)
    labels.update(names or {})
    order = topological_order(tensor)
    ids = {id(t): f"n{i}" for i, t in enumerate(order)}
    depth = _depths(order)
    lines = ["digraph autograd {", '  rankdir="TB";',
             '  node [fontname="Helvetica", fontsize=10, style=filled, fillcolor=white];']
    if title:
        lines.append(f'  labelloc="t"; label={_quote(title)};')
    constants = {}
    for t in order:
        lines.append(f"  {ids[id(t)]} [{_node_style(t, labels)}];")
        if t.grad_fn is None:
            continue
        skip = _skip_parent(t, depth)
        for parent in t.grad_fn.parents:
            if parent is None:
                continue
            source = ids.get(id(parent))
            if source is None:  # an input that needs no gradient
                source = constants.get(id(parent))
                if source is None:
                    source = constants[id(parent)] = f"c{len(constants)}"
                    label = _quote(labels.get(tensor_id(parent), "input") + "\n"
                                   + str(parent.shape))
                    lines.append(f"  {source} [label={label}, shape=box, fillcolor=gray90,"
                                 f" fontcolor=gray30];")
            style = ' [color=red, penwidth=2.5, label="skip", fontcolor=red]' if (
                parent is skip) else ""
            lines.append(f"  {source} -> {ids[id(t)]}{style};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(dot_text, path):
    """Draw DOT text into path; the format (svg, png, pdf) comes from its extension. Needs
    Graphviz's `dot` program (FileNotFoundError saying how to install it otherwise)."""
    fmt = os.path.splitext(path)[1].lstrip(".").lower()
    if fmt not in FORMATS:
        raise ValueError(f"render: argument 'path' must end in one of"
                         f" {', '.join('.' + f for f in FORMATS)}, got {path!r}")
    done = subprocess.run([dot_program(), f"-T{fmt}", "-o", path], input=dot_text, text=True,
                          capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"render: dot failed: {done.stderr.strip()}")
    return path


def _parameter_names(module):
    if module is None:
        return {}
    named = list(module.named_parameters()) + list(module.named_buffers())
    return {id(t): name for name, t in named}


def _depths(order):
    """Longest path from a leaf to each tensor (order lists inputs before outputs)."""
    depth = {}
    for t in order:
        parents = [] if t.grad_fn is None else [p for p in t.grad_fn.parents if p is not None]
        depth[id(t)] = 1 + max((depth.get(id(p), 0) for p in parents), default=-1)
    return depth


def _skip_parent(t, depth):
    """The input of an add that arrives from far upstream (the skip connection), or None."""
    if t.grad_fn.name not in ADDS:
        return None
    parents = [p for p in t.grad_fn.parents if p is not None and id(p) in depth]
    if len(parents) != 2:
        return None
    near, far = sorted(parents, key=lambda p: -depth[id(p)])
    return far if depth[id(near)] - depth[id(far)] > 1 else None


def _node_style(t, labels):
    if t.grad_fn is None:
        label = f"{labels.get(tensor_id(t), 'leaf')}\n{t.shape}"
        return f"label={_quote(label)}, shape=box, fillcolor=lightblue"
    name = labels.get(tensor_id(t))
    label = f"{t.grad_fn.name}\n{t.shape}" if name is None else f"{name}\n{t.grad_fn.name}" \
        f"\n{t.shape}"
    fill = "orange" if t.grad_fn.name in ADDS else "white"
    return f"label={_quote(label)}, shape=box, style=\"rounded,filled\", fillcolor={fill}"


def _quote(text):
    """A DOT string literal (newlines become line breaks)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
