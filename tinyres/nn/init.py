"""Initialisers as in torch.nn.init, drawing from tinyres's seeded host generator, in place."""
import math

from .. import random


def _fill(tensor, host_values):
    return tensor.set_data_(tensor.backend.asarray(host_values, tensor.dtype))


def fans(tensor):
    """(fan_in, fan_out) of a weight (out, in, *kernel) as PyTorch computes them."""
    if tensor.ndim < 2:
        raise ValueError(f"fans need a weight of at least 2 dimensions, got shape {tensor.shape}")
    receptive = 1
    for n in tensor.shape[2:]:
        receptive *= n
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def uniform_(tensor, low=0.0, high=1.0):
    return _fill(tensor, random.generator().uniform(low, high, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0):
    return _fill(tensor, random.generator().normal(mean, std, tensor.shape))


def constant_(tensor, value):
    return tensor.set_data_(tensor.backend.full(tensor.shape, value, tensor.dtype))


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def _gain(nonlinearity, a):
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        return math.sqrt(2.0 / (1 + a * a))
    if nonlinearity in ("linear", "conv2d", "sigmoid"):
        return 1.0
    raise ValueError(f"nonlinearity must be 'relu', 'leaky_relu' or 'linear', got {nonlinearity!r}")


def _fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fans(tensor)
    return fan_in if mode == "fan_in" else fan_out


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """N(0, std^2) with std = gain / sqrt(fan): He et al. 2015."""
    std = _gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std)


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """U(-b, b) with b = gain * sqrt(3 / fan); PyTorch's default for Conv2d and Linear uses
    a = sqrt(5), i.e. b = 1 / sqrt(fan_in)."""
    bound = _gain(nonlinearity, a) * math.sqrt(3.0 / _fan(tensor, mode))
    return uniform_(tensor, -bound, bound)
