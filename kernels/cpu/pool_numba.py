"""Numba max pooling: one parallel task per (image, channel) plane.

Same results as the NumPy reference in pool.py: -inf padding never wins, the first maximum in
window order wins ties, and the first NaN in a window wins over every number.
"""
import numpy as np

from .conv import output_size
from .numba_setup import njit, prange


@njit(parallel=True, cache=True)
def _maxpool_forward(x, r_size, s_size, sh, sw, ph, pw, y, argmax):
    n_size, c_size, h_size, w_size = x.shape
    p_size, q_size = y.shape[2], y.shape[3]
    for nc in prange(n_size * c_size):
        n, c = nc // c_size, nc % c_size
        for p in range(p_size):
            for q in range(q_size):
                best = -np.inf
                where = -1
                for r in range(r_size):
                    h = p * sh - ph + r
                    if h < 0 or h >= h_size:
                        continue
                    for s in range(s_size):
                        w = q * sw - pw + s
                        if w < 0 or w >= w_size:
                            continue
                        v = x[n, c, h, w]
                        if where < 0 or v > best or (v != v and best == best):
                            best = v
                            where = h * w_size + w
                y[n, c, p, q] = best
                argmax[n, c, p, q] = where


@njit(parallel=True, cache=True)
def _maxpool_backward(gy, argmax, gx):
    n_size, c_size, h_size, w_size = gx.shape
    p_size, q_size = gy.shape[2], gy.shape[3]
    for nc in prange(n_size * c_size):
        n, c = nc // c_size, nc % c_size
        plane = gx[n, c].reshape(h_size * w_size)
        plane[:] = 0
        for p in range(p_size):
            for q in range(q_size):
                plane[argmax[n, c, p, q]] += gy[n, c, p, q]


def maxpool2d_forward(x, kernel, stride, padding):
    """(N, C, H, W) -> (y, argmax) (N, C, P, Q); argmax = h * W + w."""
    n, c, h, w = x.shape
    p = output_size(h, kernel[0], stride[0], padding[0])
    q = output_size(w, kernel[1], stride[1], padding[1])
    y = np.empty((n, c, p, q), dtype=x.dtype)
    argmax = np.empty((n, c, p, q), dtype=np.int64)
    _maxpool_forward(np.ascontiguousarray(x), *kernel, *stride, *padding, y, argmax)
    return y, argmax


def maxpool2d_backward(gy, argmax, x_shape):
    """(N, C, P, Q) -> gx (N, C, H, W)."""
    gx = np.empty(x_shape, dtype=gy.dtype)
    _maxpool_backward(np.ascontiguousarray(gy), np.ascontiguousarray(argmax), gx)
    return gx
