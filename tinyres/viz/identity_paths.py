"""Identity mappings, checked numerically (He et al. 2016, eq. 4-5).

In a chain of pre-activation blocks x_{i+1} = x_i + F_i(x_i) nothing stands on the identity
path, so for any l < L

    x_L = x_l + sum_{i=l}^{L-1} F_i(x_i)
    dL/dx_l = dL/dx_L + sum_{i=l}^{L-1} dL/dx_{i+1} dF_i/dx_i

chain_errors() measures both sides: the left from one backward pass, the right from dL/dx_L plus
each branch backpropagated on its own. With a ReLU after each addition (the 2015 blocks) the
same identity does not hold: the contrast shows what the clean path buys.
"""
import numpy as np

from ..creation import tensor
from ..models.preact import PreActBlock
from ..models.resnet import BasicBlock
from ..random import manual_seed


def make_chain(kind, blocks, channels, seed):
    """`blocks` blocks of `channels` channels in float64: kind 'pre' (PreActBlock) or 'post'
    (BasicBlock, He et al. 2015)."""
    manual_seed(seed)
    block = PreActBlock if kind == "pre" else BasicBlock
    return [block(channels, channels).double() for _ in range(blocks)]


def chain_errors(chain, x, r):
    """{(l, L): max |dL/dx_l - (dL/dx_L + sum of branch terms l..L-1)|} for 0 <= l < L <= n,
    with L = sum(x_n * r); x (N, C, H, W) float64, r like x_n."""
    xs = [tensor(x, requires_grad=True)]
    for block in chain:
        xs.append(block(xs[-1]))
        xs[-1].retain_grad()
    (xs[-1] * tensor(r)).sum().backward()
    grads = [t.grad.numpy() for t in xs]
    terms = []
    for i, block in enumerate(chain):  # block i's branch alone, fed dL/dx_{i+1}
        alone = tensor(xs[i].numpy(), requires_grad=True)
        block.branch(alone).backward(tensor(grads[i + 1]))
        terms.append(alone.grad.numpy())
    errors = {}
    for low in range(len(chain)):
        for high in range(low + 1, len(chain) + 1):
            right = grads[high] + sum(terms[low:high])
            errors[(low, high)] = float(np.abs(grads[low] - right).max())
    return errors


def format_errors(errors, blocks):
    """A triangle of max |difference|: a row per l, a column per L."""
    lines = ["    l \\ L " + "".join(f"{high:>10d}" for high in range(1, blocks + 1))]
    for low in range(blocks):
        cells = "".join(f"{errors[(low, h)]:10.1e}" if h > low else f"{'':10s}"
                        for h in range(1, blocks + 1))
        lines.append(f"    {low:5d}  {cells}")
    return lines


def identity_mapping_section(seed=0, blocks=4, shape=(2, 2, 4, 4)):
    """The lines of `tinyres explain`'s section 4."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    r = rng.standard_normal(shape)
    pre = chain_errors(make_chain("pre", blocks, shape[1], seed), x, r)
    post = chain_errors(make_chain("post", blocks, shape[1], seed), x, r)
    scale = float(np.abs(r).max())
    return [
        f"A chain of {blocks} pre-activation blocks (He et al. 2016), x_(i+1) = x_i + F_i(x_i)"
        " with",
        "F_i = conv(relu(bn(conv(relu(bn(.)))))) and nothing after the addition, unrolls to",
        "",
        "    dL/dx_l = dL/dx_L + sum_{i=l..L-1} dL/dx_(i+1) dF_i/dx_i     for every l < L",
        "",
        "Left: one backward pass. Right: dL/dx_L plus each branch backpropagated on its own.",
        "max |left - right| (x_0 is the chain's input, x_L a block's output):",
        *format_errors(pre, blocks),
        f"  -> exact to float64 rounding (worst {max(pre.values()):.1e}; dL/dx_{blocks}'s entries"
        f" reach {scale:.1f}): the top's",
        "     gradient dL/dx_L reaches every block whole, and the branches only add to it.",
        "",
        f"The same check on {blocks} post-activation blocks (He et al. 2015: a ReLU after each",
        "addition, x_(i+1) = relu(x_i + F_i(x_i))) fails:",
        *format_errors(post, blocks),
        "  -> the ReLU on the path masks the gradient at every block: there, the top's",
        "     gradient reaches block l only through the product of the masks in between.",
    ]
