"""ResidualBlock: what every block of a residual network computes, whatever its layers.

    y = post_activation(branch(x) + shortcut(x))

branch is the residual function F (two 3x3 convolutions, or a 1x1-3x3-1x1 bottleneck, with
their batch norms and ReLUs); shortcut is the identity, or a projection / zero padding where
the shape changes; post_activation is the ReLU after the addition in He et al.'s 2015 blocks and
nothing in the pre-activation blocks of 2016. A plain block (residual=False) has no shortcut:
y = post_activation(branch(x)). Each block class writes its own __init__ and branch.
"""
from .. import functional as F
from .. import nn


class ResidualBlock(nn.Module):
    """Base class: subclasses set expansion (output channels per `planes`), build their layers
    and `downsample` (the shortcut's layers, None for the identity) in __init__, and write
    branch(); residual=False leaves the shortcut out."""

    expansion = 1
    residual = True

    def branch(self, x):
        """The residual function F(x)."""
        raise NotImplementedError(f"{type(self).__name__} must define branch()")

    def shortcut(self, x):
        """The identity, or the projection/padding when the shape changes."""
        return x if self.downsample is None else self.downsample(x)

    def post_activation(self, out):
        """What follows the addition: nothing here (a pre-activation block)."""
        return out

    def join(self, out, shortcut):
        """post_activation(out + shortcut): the skip connection (a block whose post-activation
        is a ReLU adds and activates in one pass: models/fused.py)."""
        return self.post_activation(F.add(out, shortcut))

    def forward(self, x):
        out = self.branch(x)
        if self.residual:
            return self.join(out, self.shortcut(x))
        return self.post_activation(out)
