"""Array ops that keep the memory layout of their input: padding and the gradient of indexing.

The NumPy reference returns C-order results, so a channel-major activation padded or indexed
(the CIFAR ResNets' option-A shortcut: every second pixel, zero channels added) came back
(N, C, H, W)-ordered, and the residual add that followed first copied it back to channel-major
(elementwise.add works in one layout). Here the result is allocated in the axis order of the
input's strides (layout.empty_in_order_of), so the add that follows reads both operands in
place.
"""
import numpy as np

from . import layout


def pad(a, widths):
    """a zero-padded by widths ((before, after) per axis), in a's axis order."""
    shape = tuple(n + lo + hi for n, (lo, hi) in zip(a.shape, widths))
    out = layout.empty_in_order_of(a, shape)
    out[...] = 0
    out[tuple(slice(lo, lo + n) for n, (lo, _) in zip(a.shape, widths))] = a
    return out


def getitem_backward(g, shape, index):
    """zeros(shape) with g at index (basic indexing, no repeated elements), in g's axis order
    (C order when the index dropped or added axes)."""
    if g.ndim != len(shape):
        out = np.empty(shape, dtype=g.dtype)
    else:
        out = layout.empty_in_order_of(g, shape)
    out[...] = 0
    out[index] = g
    return out
