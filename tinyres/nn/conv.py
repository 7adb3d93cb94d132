"""Conv2d: a learnable 2-D convolution (no groups, no dilation)."""
import math

from .. import functional as F
from . import init
from ..creation import zeros
from .module import Module
from .parameter import Parameter


class Conv2d(Module):
    """(N, in_channels, H, W) -> (N, out_channels, P, Q); weight (out, in, R, S), bias (out,)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True):
        super().__init__()
        size = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = size, stride, padding
        self.weight = Parameter(zeros(out_channels, in_channels, *size))
        self.bias = Parameter(zeros(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: kaiming_uniform_(a=sqrt(5)), i.e. U(+-1/sqrt(fan_in)), bias too."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(init.fans(self.weight)[0])
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self):
        bias = "" if self.bias is not None else ", bias=False"
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size},"
                f" stride={self.stride}, padding={self.padding}{bias}")
