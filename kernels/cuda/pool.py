"""CUDA max and average pooling (pool.cu); same signatures and results as kernels/cpu/pool.py."""
import numpy as np

from ..shapes import output_size
from .runtime import Source, contiguous, i32, plane_grid, xp

SOURCE = Source("pool.cu", ("maxpool2d_forward", "maxpool2d_backward", "avgpool2d_forward",
                            "avgpool2d_backward"))


def _geometry(x_shape, kernel, stride, padding):
    """(P, Q, the int arguments every pooling kernel takes: H, W, R, S, sh, sw, ph, pw, P, Q,
    planes)."""
    n, c, h, w = x_shape
    p = output_size(h, kernel[0], stride[0], padding[0])
    q = output_size(w, kernel[1], stride[1], padding[1])
    return p, q, tuple(i32(v) for v in (h, w, *kernel, *stride, *padding, p, q, n * c))


def maxpool2d_forward(x, kernel, stride, padding):
    """(N, C, H, W) -> (y, argmax) (N, C, P, Q); argmax int64 = h * W + w, first maximum wins."""
    n, c = x.shape[:2]
    p, q, geometry = _geometry(x.shape, kernel, stride, padding)
    y = xp.empty((n, c, p, q), dtype=x.dtype)
    argmax = xp.empty((n, c, p, q), dtype=np.int64)
    grid, block = plane_grid(n * c, p * q)
    SOURCE.launch("maxpool2d_forward", x.dtype, grid, block, (contiguous(x), *geometry, y, argmax))
    return y, argmax


def maxpool2d_backward(gy, argmax, x_shape, kernel, stride, padding):
    """(N, C, P, Q) -> gx (N, C, H, W): each gradient goes to its window's maximum (a gather,
    deterministic)."""
    n, c, h, w = x_shape
    _, _, geometry = _geometry(x_shape, kernel, stride, padding)
    gx = xp.empty(tuple(x_shape), dtype=gy.dtype)
    grid, block = plane_grid(n * c, h * w)
    SOURCE.launch("maxpool2d_backward", gy.dtype, grid, block,
                  (contiguous(gy), xp.ascontiguousarray(argmax, dtype=np.int64), *geometry, gx))
    return gx


def avgpool2d_forward(x, kernel, stride, padding, count_include_pad=True):
    """(N, C, H, W) -> (N, C, P, Q), zero padding."""
    n, c = x.shape[:2]
    p, q, geometry = _geometry(x.shape, kernel, stride, padding)
    y = xp.empty((n, c, p, q), dtype=x.dtype)
    grid, block = plane_grid(n * c, p * q)
    SOURCE.launch("avgpool2d_forward", x.dtype, grid, block,
                  (contiguous(x), *geometry, i32(bool(count_include_pad)), y))
    return y


def avgpool2d_backward(gy, x_shape, kernel, stride, padding, count_include_pad=True):
    """(N, C, P, Q) -> gx (N, C, H, W): each window spreads its gradient evenly."""
    n, c, h, w = x_shape
    _, _, geometry = _geometry(x_shape, kernel, stride, padding)
    gx = xp.empty(tuple(x_shape), dtype=gy.dtype)
    grid, block = plane_grid(n * c, h * w)
    SOURCE.launch("avgpool2d_backward", gy.dtype, grid, block,
                  (contiguous(gy), *geometry, i32(bool(count_include_pad)), gx))
    return gx
