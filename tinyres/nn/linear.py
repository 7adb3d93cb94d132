"""Linear: a learnable fully connected layer."""
import math

from .. import functional as F
from . import init
from ..creation import zeros
from .module import Module
from .parameter import Parameter


class Linear(Module):
    """(*, in_features) -> (*, out_features); weight (out, in), bias (out,)."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(zeros(out_features, in_features))
        self.bias = Parameter(zeros(out_features)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: U(+-1/sqrt(in_features)) for the weight and the bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}," \
               f" bias={self.bias is not None}"
