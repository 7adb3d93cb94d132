"""Memory layouts of the fast cpu kernels: (N, C, H, W) arrays stored channel-major.

The public shape of an image batch is always (N, C, H, W). Its *memory* may be in any order; the
fast kernels store their outputs channel-major, i.e. as a C-contiguous (C, N, H, W) block seen
through a transposed view. Then each channel is one contiguous run of N*H*W values, so that

- a 1x1 convolution is one GEMM on the (C, N*H*W) matrix, with no copy,
- every convolution is one GEMM for the whole batch whose output is already in this layout,
- batch norm, pooling and the like work on contiguous per-channel runs (which fit in L2).

Kernels accept any layout and convert (one copy) what is not channel-major; inside a model that
happens only at its input. Elementwise kernels keep whatever dense layout they are given.
"""
import numpy as np


def is_channel_major(a):
    """True when a (N, C, H, W) is stored as a C-contiguous (C, N, H, W) block."""
    return a.ndim == 4 and a.transpose(1, 0, 2, 3).flags.c_contiguous


def channel_major(a):
    """(N, C, H, W) -> the C-contiguous (C, N, H, W) array holding it (a view when possible)."""
    return np.ascontiguousarray(a.transpose(1, 0, 2, 3))


def matrix(a):
    """(N, C, H, W) -> its channel-major (C, N*H*W) matrix (a view when already so stored)."""
    return channel_major(a).reshape(a.shape[1], -1)


def from_channel_major(a):
    """(C, N, H, W) C-contiguous -> its (N, C, H, W) view."""
    return a.transpose(1, 0, 2, 3)


def empty_channel_major(shape, dtype):
    """A new uninitialised (N, C, H, W) array stored channel-major."""
    n, c, h, w = shape
    return from_channel_major(np.empty((c, n, h, w), dtype=dtype))


def memory_order(a):
    """The axis permutation that makes a C-contiguous (None when a is not dense)."""
    if a.flags.c_contiguous:
        return tuple(range(a.ndim))
    perm = tuple(sorted(range(a.ndim), key=lambda i: -abs(a.strides[i])))
    return perm if a.transpose(perm).flags.c_contiguous else None


def empty_in_order_of(a, shape):
    """A new uninitialised array of `shape` (a's number of axes, a's dtype) whose axes lie in
    memory in the order of a's strides, largest first (a may be any view)."""
    order = sorted(range(a.ndim), key=lambda i: -abs(a.strides[i]))
    block = np.empty(tuple(shape[i] for i in order), dtype=a.dtype)
    return block.transpose(np.argsort(order))


def flat(a, order):
    """The dense array a as a 1-D view in memory order (order from memory_order(a))."""
    return a.transpose(order).reshape(-1)


def like(a, template):
    """a's values in template's memory layout (a itself when it already has it)."""
    if a.strides == template.strides:
        return a
    out = np.empty_like(template, dtype=a.dtype)
    out[...] = a
    return out
