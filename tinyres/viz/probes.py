"""Probes: watch the gradient at chosen points inside residual blocks during one backward pass.

A residual block computes y = post_activation(branch(x) + shortcut(x)) (models/residual.py:
the ReLU after the addition, or nothing in a pre-activation block). To split dL/dx into the
part that arrives through the shortcut and the part that arrives through the branch, the two
uses of x must be two different tensors of the graph. While probing, every block's input goes
through an identity node (a forward pre-hook), and the block's own branch() and shortcut()
methods are shadowed on the instance by wrappers that route their input through identity nodes
of their own; retain_grad() keeps the gradient of each. Leaving the context restores the block.

    x ──Identity──> x_in ──Identity──> x_branch ──> branch ──> f ──┐
                         └─Identity──> x_short ──> shortcut ──────(+)──> post_activation ──> y
    dL/dx_in = dL/dx_short + dL/dx_branch        (autograd sums the two paths at x_in)
"""
import contextlib
from dataclasses import dataclass, field

from ..models.residual import ResidualBlock
from ..ops.identity import identity


@dataclass
class BlockProbe:
    """The tensors of a block's last forward call whose gradients are retained: x_in (input),
    x_branch and x_short (the input as the branch and the shortcut saw it), f (the branch's
    output, i.e. the gradient at the addition) and y (the output). x_short is None in a plain
    block (residual=False), which has no shortcut."""

    name: str
    block: ResidualBlock
    tensors: dict = field(default_factory=dict)

    def grad(self, key):
        """The retained gradient of tensors[key] as a Tensor (None when it got none)."""
        tensor = self.tensors.get(key)
        return None if tensor is None else tensor.grad


def residual_blocks(model):
    """(name, block) for every residual block of model (post- or pre-activation, basic or
    bottleneck), in definition order."""
    return [(name, m) for name, m in model.named_modules() if isinstance(m, ResidualBlock)]


def _retained(tensor):
    """identity(tensor) with its gradient kept after backward (tensor itself when it needs none)."""
    if not tensor.requires_grad:
        return tensor
    out = identity(tensor)
    out.retain_grad()
    return out


def _instrument(probe):
    """Hooks and method wrappers for one block; returns a function that undoes them."""
    block = probe.block
    branch, shortcut = block.branch, block.shortcut  # the bound methods of the class

    def before(module, args):
        x_in = _retained(args[0])
        probe.tensors = {"x_in": x_in, "x_short": None}
        return (x_in,) + tuple(args[1:])

    def after(module, args, output):
        if output.requires_grad:
            output.retain_grad()
        probe.tensors["y"] = output

    def probed_branch(x):
        probe.tensors["x_branch"] = x_branch = _retained(x)
        f = branch(x_branch)
        if f.requires_grad:
            f.retain_grad()
        probe.tensors["f"] = f
        return f

    def probed_shortcut(x):
        probe.tensors["x_short"] = x_short = _retained(x)
        return shortcut(x_short)

    handles = [block.register_forward_pre_hook(before), block.register_forward_hook(after)]
    object.__setattr__(block, "branch", probed_branch)  # shadows the method on this instance
    object.__setattr__(block, "shortcut", probed_shortcut)

    def undo():
        for handle in handles:
            handle.remove()
        del block.__dict__["branch"], block.__dict__["shortcut"]
    return undo


@contextlib.contextmanager
def probe_blocks(model):
    """with probe_blocks(model) as probes: forward + backward, then read probes[i].grad('x_in')
    etc.; probes: list of BlockProbe, one per residual block in definition order."""
    probes = [BlockProbe(name, block) for name, block in residual_blocks(model)]
    undos = []
    try:
        for probe in probes:
            undos.append(_instrument(probe))
        yield probes
    finally:
        for undo in undos:
            undo()
