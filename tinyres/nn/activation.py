"""ReLU as a module."""
from .. import functional as F
from .module import Module


class ReLU(Module):
    """max(x, 0). inplace is accepted for torchvision compatibility; tinyres never overwrites
    its input (the backward of the skip connection may still need it)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.relu(x)
