"""gradient_flow(model, x, y): how large the gradient is at every depth of a ResNet or plain net.

One forward and backward pass of the cross-entropy loss on a batch, probed (see probes.py). For
every residual block (input side first) it reports the norm of dL/dy at its output, of dL/dx at
its input, and of the two parts of dL/dx: the part that came through the shortcut (the identity,
or option A's padding, or a projection) and the part that came back through the residual branch.
For every Conv2d and Linear layer (in the order the forward pass calls them) it reports the norm
of its weight's gradient. Norms are L2 norms over the whole tensor, batch included.

The model is left as it was found: the forward runs in the model's current mode (a fresh model is
in train mode), and the parameters' .grad and the buffers (BN running statistics) are restored.
"""
import math
from dataclasses import asdict, dataclass, field

from .. import functional as F
from ..nn import Conv2d, Linear
from .probes import probe_blocks


@dataclass
class BlockFlow:
    """One residual block. shortcut: 'identity', 'padding' (option A), 'projection' or 'none'
    (a plain block). grad_identity is 0.0 in a plain block; grad_at_add is the norm of the
    gradient at the branch's output, which for a residual block is the gradient at the addition
    (the add hands the same gradient to both paths). The *_array fields hold the gradients as
    numpy arrays when gradient_flow(keep_grads=True), else None."""

    name: str
    index: int
    kind: str
    residual: bool
    shortcut: str
    grad_output: float
    grad_input: float
    grad_identity: float
    grad_branch: float
    grad_at_add: float
    output_array: object = field(default=None, repr=False)
    input_array: object = field(default=None, repr=False)
    identity_array: object = field(default=None, repr=False)
    branch_array: object = field(default=None, repr=False)


@dataclass
class LayerFlow:
    """One Conv2d or Linear layer, index = its position in the forward pass (0 = first)."""

    name: str
    index: int
    kind: str
    weight_grad: float
    weight: float


@dataclass
class GradientFlow:
    """The result of gradient_flow: model (a label), loss, blocks and layers input side first."""

    model: str
    loss: float
    blocks: list
    layers: list

    def to_dict(self):
        """Plain data (no arrays): {'model', 'loss', 'blocks': [dict], 'layers': [dict]}."""
        out = asdict(self)
        for block in out["blocks"]:
            for key in [k for k in block if k.endswith("_array")]:
                del block[key]
        return out

    def format(self):
        """A text table of the blocks, input side first."""
        lines = [f"{self.model}: loss {self.loss:.4f}",
                 f"{'block':12s} {'shortcut':>10s} {'|dL/dy|':>10s} {'|dL/dx|':>10s}"
                 f" {'identity':>10s} {'branch':>10s}"]
        for b in self.blocks:
            lines.append(f"{b.name:12s} {b.shortcut:>10s} {b.grad_output:10.3e}"
                         f" {b.grad_input:10.3e} {b.grad_identity:10.3e} {b.grad_branch:10.3e}")
        return "\n".join(lines)


def gradient_flow(model, x, y, label=None, keep_grads=False):
    """Probe one backward pass of cross_entropy(model(x), y): x (N, C, H, W), y (N,) int64.
    Returns a GradientFlow; label names the model in it (default: the class name)."""
    layers = [(name, m) for name, m in model.named_modules() if isinstance(m, (Conv2d, Linear))]
    call_order = []
    handles = [m.register_forward_hook(_order_recorder(call_order, name)) for name, m in layers]
    saved = _save_state(model)
    try:
        with probe_blocks(model) as probes:
            model.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            blocks = [_block_flow(i, p, keep_grads) for i, p in enumerate(probes)]
        by_name = dict(layers)
        ordered = list(dict.fromkeys(call_order))  # a layer called twice counts once
        layer_flows = [_layer_flow(i, name, by_name[name]) for i, name in enumerate(ordered)]
    finally:
        for handle in handles:
            handle.remove()
        _restore_state(model, saved)
    return GradientFlow(label or type(model).__name__, loss.item(), blocks, layer_flows)


def _order_recorder(call_order, name):
    def record(module, args, output):
        call_order.append(name)
    return record


def _save_state(model):
    """What a probing pass changes: each parameter's .grad and each buffer's array."""
    grads = [(p, p.grad) for p in model.parameters()]
    buffers = [(b, b.backend.copy(b.data)) for b in model.buffers()]
    return grads, buffers


def _restore_state(model, saved):
    grads, buffers = saved
    for p, grad in grads:
        p.grad = grad
    for b, copy in buffers:
        b.set_data_(copy)


def _norm(tensor):
    if tensor is None:
        return 0.0
    values = tensor.numpy().astype("float64").ravel()
    return math.sqrt(float(values @ values))


def _shortcut_kind(block):
    if not block.residual:
        return "none"
    if block.downsample is None:
        return "identity"
    return "projection" if any(block.downsample.parameters()) else "padding"


def _block_flow(index, probe, keep_grads):
    block = probe.block
    grads = {key: probe.grad(key) for key in ("y", "x_in", "x_short", "x_branch", "f")}
    arrays = {}
    if keep_grads:
        arrays = {f"{name}_array": None if grads[key] is None else grads[key].numpy().copy()
                  for name, key in (("output", "y"), ("input", "x_in"),
                                    ("identity", "x_short"), ("branch", "x_branch"))}
    return BlockFlow(probe.name, index, type(block).__name__, bool(block.residual),
                     _shortcut_kind(block), _norm(grads["y"]), _norm(grads["x_in"]),
                     _norm(grads["x_short"]), _norm(grads["x_branch"]), _norm(grads["f"]),
                     **arrays)


def _layer_flow(index, name, module):
    return LayerFlow(name, index, type(module).__name__, _norm(module.weight.grad),
                     _norm(module.weight))
