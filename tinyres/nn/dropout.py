"""Dropout as a module: active in train mode, the identity in eval mode."""
from ..ops.dropout import dropout
from .module import Module


class Dropout(Module):
    """Zero each element with probability p in training (scaling the rest by 1 / (1 - p)).
    inplace is accepted for torchvision compatibility; tinyres never overwrites its input."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise ValueError(f"Dropout: argument 'p' must be a probability in [0, 1], got {p!r}")
        self.p, self.inplace = p, inplace

    def forward(self, x):
        return dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"
