"""relu(bn(x)) and relu(a + b), as the networks write them, each in one pass over memory.

    bn_relu(bn, relu, x)      = relu(bn(x))        a batch norm and the ReLU after it
    add_relu(relu, a, b)      = relu(a + b)        the skip connection of He et al.'s blocks

A narrow network spends a good part of its step reading and writing activations, and a ReLU
alone is one more full read and write of one (forward and backward). The fused ops
(F.batch_norm_relu, F.add_relu) compute the same values and gradients in one pass. They apply
when the modules are the plain ones (an nn.BatchNorm2d and an nn.ReLU) and carry no hook: a
hook on bn or relu must see the value between the two, so then both modules run one after the
other, as written. So do all of them with TINYRES_FUSED_OPS=0 (or fused.ENABLED = False), to
see every op on its own (in a graph drawing, say) or to time the difference
(`python -m benchmarks.bench_fusion`).
"""
import os

from .. import functional as F
from .. import nn

ENABLED = os.environ.get("TINYRES_FUSED_OPS", "1") != "0"


def _plain(module, cls):
    """True when module is exactly a cls, with no hook of any kind (and fusing is on)."""
    return ENABLED and type(module) is cls and not (
        module._forward_pre_hooks or module._forward_hooks or module._backward_hooks
        or module._backward_pre_hooks)


def bn_relu(bn, relu, x):
    """relu(bn(x)): fused (BatchNorm2d.forward_relu) when both modules are plain."""
    if _plain(bn, nn.BatchNorm2d) and _plain(relu, nn.ReLU):
        return bn.forward_relu(x)
    return relu(bn(x))


def add_relu(relu, a, b):
    """relu(a + b), the residual add and its ReLU: fused (F.add_relu) when relu is plain."""
    if _plain(relu, nn.ReLU):
        return F.add_relu(a, b)
    return relu(F.add(a, b))
