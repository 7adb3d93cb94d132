"""explain_block(): a guided tour of the backward pass through one residual block, as text.

Used by `tinyres explain`. Everything runs in float64 on a tiny input so the numbers can be
checked by eye: the node-by-node backward walk (with the kernel functions each op ran), the
addition handing one gradient to both paths, dL/dx = dL/dz (I + dF/dx) checked numerically, the
zero-initialised block that is exactly the identity, and (identity_paths.py) a chain of
pre-activation blocks where dL/dx_l = dL/dx_L + branch terms holds from any block to any deeper one.
"""
import numpy as np

from .. import functional as F
from ..backend import current_kernels
from ..autograd import tensor_id, topological_order
from ..creation import tensor
from ..hooks import HookHandle
from ..models.resnet import BasicBlock
from ..nn import init
from ..random import manual_seed
from .identity_paths import identity_mapping_section
from .kernel_trace import describe, record_backward

RULE = "-" * 78


def explain_block(seed=0, batch=2, channels=2, size=4):
    """The whole tour as one string: a BasicBlock(channels, channels) in train mode on an input
    of shape (batch, channels, size, size) drawn with seed."""
    manual_seed(seed)
    rng = np.random.default_rng(seed)
    shape = (batch, channels, size, size)
    block = BasicBlock(channels, channels).double()
    x = tensor(rng.standard_normal(shape), requires_grad=True)
    r = tensor(rng.standard_normal(shape))  # dL/dy: a fixed random direction
    lines = _introduction(shape)
    run = _forward(block, x, r)
    lines += _backward_walk(block, run)
    lines += _check_split(block, run)
    lines += _zero_init(seed, shape, rng)
    lines += ["", RULE, "4. Identity mappings: a clean path from any block to any deeper one",
              RULE] + identity_mapping_section(seed, shape=shape)
    return "\n".join(lines) + "\n"


def _introduction(shape):
    return [
        "The backward pass through one residual block",
        "=" * 78,
        "A BasicBlock (3x3 conv, BN, ReLU, 3x3 conv, BN, identity shortcut) in train mode, in",
        f"float64, on an input x of shape {shape}. Forward:",
        "",
        "    f = F(x) = bn2(conv2(relu(bn1(conv1(x)))))      the residual branch",
        "    z = f + x                                          the skip connection",
        "    y = relu(z)",
        "    L = sum(y * r)        r is a fixed random tensor, so dL/dy = r",
        "",
        "Backward applies the chain rule node by node. At the addition both inputs get dL/dz,",
        "so x receives two contributions, which autograd sums:",
        "",
        "    dL/dx = dL/dz * I  +  dL/dz * dF/dx  =  dL/dz (I + dF/dx)",
        "",
        "The identity term carries dL/dz to x untouched, however small dF/dx is.",
        "",
        f"Kernel set: {current_kernels()} ('reference' runs every op through one short NumPy",
        "function of kernels/cpu/: tinyres explain --kernels reference).",
    ]


def _forward(block, x, r):
    """The block's forward written out, with names for the walk; returns the named tensors."""
    names = {id(x): "x (the block's input)", id(r): "r"}
    outputs = []  # the named intermediates, kept alive so the walk can name them
    handles = [m.register_forward_hook(_namer(names, name, outputs))
               for name, m in block.named_modules() if m is not block]
    f = block.branch(x)
    z = F.add(f, block.shortcut(x))
    y = block.relu(z)
    yr = y * r
    loss = yr.sum()
    for handle in handles:
        handle.remove()
    names.update({id(f): "f = F(x) = bn2(...)", id(z): "z = f + x", id(y): "y = relu(z)",
                  id(yr): "y * r", id(loss): "L"})
    outputs.append(yr)  # kept alive, so that the walk can name it
    for name, p in block.named_parameters():
        names[id(p)] = name
    for t in (f, z, y):
        t.retain_grad()
    return {"x": x, "r": r, "f": f, "z": z, "y": y, "loss": loss, "names": names,
            "outputs": outputs}


def _namer(names, module_name, outputs):
    def name(module, args, output):
        names[id(output)] = f"{module_name}(.)"
        outputs.append(output)
    return name


def _backward_walk(block, run):
    """Hook every node, run backward, list the nodes in the order backward reached them."""
    visits, names = [], run["names"]
    order = topological_order(run["loss"])
    recorders = record_backward(order)
    handles = []
    for node in order:
        node.hooks.append(_visit(visits, node))
        handles.append(HookHandle(node.hooks, node.hooks[-1]))
    run["loss"].backward()
    for handle in handles:
        handle.remove()
    lines = ["", RULE, "1. The backward walk, in the order autograd visits the nodes",
             "   (reverse topological order: a node comes after every node computed from it)",
             "   ('conv1(.)' is the output of conv1; |grad| is the L2 norm of dL/d(node);",
             "   under each op, the kernel functions its backward called: step into them)",
             RULE, f"{'step':>4s}  {'node':24s} {'made by':12s} {'grad shape':>16s}"
                   f" {'|grad|':>10s}"]
    for step, (t, grad) in enumerate(visits, 1):
        made_by = "parameter" if t.grad_fn is None and t.tensor() is not run["x"] else (
            "input" if t.grad_fn is None else t.grad_fn.name)
        lines.append(f"{step:4d}  {names.get(tensor_id(t), '?'):24s} {made_by:12s}"
                     f" {str(grad.shape):>16s} {_norm(grad):10.4f}{_note(t, run)}")
        recorder = recorders.get(id(t))
        if recorder is not None:
            lines.append(f"{'':6s}kernels: {describe(recorder.calls)}")
        if recorder is not None and recorder.sums:
            lines.append(f"{'':6s}autograd summed two gradients of one input:"
                         f" {describe(recorder.sums)}")
    lines += ["", "Every node is visited once, after all the nodes that use it: x comes last, once",
              "both paths (the branch through conv1 and the shortcut through the Add) have",
              "handed it their share."]
    return lines


def _visit(visits, t):
    def record(grad):
        visits.append((t, grad.numpy().copy()))
    return record


def _note(t, run):
    if t.tensor() is run["z"]:
        return "   <- the Add: passes dL/dz unchanged to f AND to x"
    if t.tensor() is run["f"]:
        return "   <- the same gradient as z"
    if t.tensor() is run["x"]:
        return "   <- sum of the shortcut's and the branch's shares"
    return ""


def _check_split(block, run):
    """dL/dx == dL/dz (identity part) + branch VJP of dL/df, recomputed separately."""
    dz, df, dx = (run[name].grad.numpy() for name in ("z", "f", "x"))
    x_alone = tensor(run["x"].numpy(), requires_grad=True)  # a fresh graph: the branch alone
    block.branch(x_alone).backward(df)
    via_branch = x_alone.grad.numpy()
    via_identity = dz  # the shortcut is the identity: its Jacobian is I
    total = via_identity + via_branch
    return ["", RULE, "2. The two paths, checked numerically", RULE,
            f"dL/dz (at the addition)         |.| = {_norm(dz):.6f}",
            f"dL/df (the branch's output)     |.| = {_norm(df):.6f}   max |dL/df - dL/dz| ="
            f" {np.abs(df - dz).max():.1e}",
            "  -> the addition hands the same gradient to both of its inputs.",
            f"via the identity:  dL/dz * I      |.| = {_norm(via_identity):.6f}",
            f"via the branch:    dL/dz * dF/dx  |.| = {_norm(via_branch):.6f}"
            "   (the branch alone, backpropagated separately)",
            f"their sum                         |.| = {_norm(total):.6f}",
            f"dL/dx from backward()             |.| = {_norm(dx):.6f}   max |difference| ="
            f" {np.abs(dx - total).max():.1e}",
            "  -> dL/dx = dL/dz (I + dF/dx): what the shortcut carries plus what the branch does."]


def _zero_init(seed, shape, rng):
    """A block whose last BN scale is zero (zero_init_residual): exactly the identity."""
    manual_seed(seed)
    block = BasicBlock(shape[1], shape[1]).double()
    init.zeros_(block.bn2.weight)  # what zero_init_residual=True does to every block
    x = tensor(np.maximum(rng.standard_normal(shape), 0.0), requires_grad=True)
    r = tensor(rng.standard_normal(shape))
    f = block.branch(x)
    y = block.relu(F.add(f, block.shortcut(x)))
    y.retain_grad()
    (y * r).sum().backward()
    xs, dx, dy = x.numpy(), x.grad.numpy(), y.grad.numpy()
    positive, zero = xs > 0, xs == 0
    quiet = [n for n, p in block.named_parameters() if not np.any(p.grad.numpy())]
    return ["", RULE, "3. A zero-initialised block is the identity", RULE,
            "With bn2.weight = 0 (zero_init_residual=True) the branch outputs exactly 0. Inside a",
            "ResNet a block's input comes out of a ReLU, so it is >= 0; here x = relu(noise), with",
            f"{int(zero.sum())} of its {xs.size} entries exactly 0.",
            f"max |F(x)|          = {np.abs(f.numpy()).max():.1e}",
            f"max |y - x|         = {np.abs(y.numpy() - xs).max():.1e}   -> y = relu(0 + x) = x",
            f"where x > 0:  max |dL/dx - dL/dy| = {np.abs(dx - dy)[positive].max():.1e}"
            f"   ({int(positive.sum())} entries)",
            f"where x = 0:  max |dL/dx| = {np.abs(dx[zero]).max() if zero.any() else 0:.1e},"
            f" max |dL/dy| = {np.abs(dy[zero]).max() if zero.any() else 0:.1e}",
            "Precisely: y = x exactly for every x >= 0, and dL/dx = dL/dy * 1[x > 0] exactly:",
            "equal to dL/dy wherever x > 0, and 0 where x = 0, because ReLU's gradient at 0 is",
            "taken as 0 (as in PyTorch). For a strictly positive x, dL/dx = dL/dy everywhere.",
            f"Parameters with an all-zero gradient: {', '.join(quiet)}.",
            "Only bn2's scale and shift get a gradient at first; once bn2.weight moves away from",
            "0, the branch starts to learn a correction F(x) on top of the identity."]


def _norm(array):
    return float(np.sqrt(np.sum(np.square(array))))
