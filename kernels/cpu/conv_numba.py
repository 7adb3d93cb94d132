"""Numba im2col and col2im: one parallel task per (image, channel) plane, no temporaries.

col2im scatters into its own plane only, so the tasks never write to the same element.
Same signatures and results as the NumPy reference in conv.py.
"""
import numpy as np

from .conv import output_size
from .numba_setup import njit, prange


@njit(parallel=True, cache=True)
def _im2col(x, r_size, s_size, sh, sw, ph, pw, p_size, q_size, out):
    n_size, c_size, h_size, w_size = x.shape
    for nc in prange(n_size * c_size):
        n, c = nc // c_size, nc % c_size
        for r in range(r_size):
            for s in range(s_size):
                row = (c * r_size + r) * s_size + s
                for p in range(p_size):
                    h = p * sh - ph + r
                    for q in range(q_size):
                        w = q * sw - pw + s
                        inside = 0 <= h < h_size and 0 <= w < w_size
                        out[n, row, p * q_size + q] = x[n, c, h, w] if inside else 0


@njit(parallel=True, cache=True)
def _col2im(cols, r_size, s_size, sh, sw, ph, pw, p_size, q_size, out):
    n_size, c_size, h_size, w_size = out.shape
    for nc in prange(n_size * c_size):
        n, c = nc // c_size, nc % c_size
        out[n, c] = 0
        for r in range(r_size):
            for s in range(s_size):
                row = (c * r_size + r) * s_size + s
                for p in range(p_size):
                    h = p * sh - ph + r
                    if h < 0 or h >= h_size:
                        continue
                    for q in range(q_size):
                        w = q * sw - pw + s
                        if 0 <= w < w_size:
                            out[n, c, h, w] += cols[n, row, p * q_size + q]


def im2col(x, kernel, stride, padding):
    """(N, C, H, W) -> (N, C*R*S, P*Q), zero padding."""
    n, c, h, w = x.shape
    p = output_size(h, kernel[0], stride[0], padding[0])
    q = output_size(w, kernel[1], stride[1], padding[1])
    out = np.empty((n, c * kernel[0] * kernel[1], p * q), dtype=x.dtype)
    _im2col(np.ascontiguousarray(x), *kernel, *stride, *padding, p, q, out)
    return out


def col2im(cols, x_shape, kernel, stride, padding):
    """(N, C*R*S, P*Q) -> (N, C, H, W): overlapping windows add up."""
    p = output_size(x_shape[2], kernel[0], stride[0], padding[0])
    q = output_size(x_shape[3], kernel[1], stride[1], padding[1])
    out = np.empty(x_shape, dtype=cols.dtype)
    _col2im(np.ascontiguousarray(cols), *kernel, *stride, *padding, p, q, out)
    return out
