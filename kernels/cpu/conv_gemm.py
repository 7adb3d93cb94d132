"""Fast convolution: one OpenBLAS GEMM per call for the whole batch, channel-major activations.

With x stored as a (C, N*H*W) matrix (see layout.py) and w as (K, C*R*S):

    forward          y  (K, N*P*Q)   = w @ cols                 cols = im2col(x) (C*R*S, N*P*Q)
    backward data    gx              = col2im(w.T @ gy)
    backward weight  gw (K, C*R*S)   = gy @ cols.T

A 1x1 convolution needs no im2col: stride 1 uses x itself as cols, a larger stride first
subsamples x. The columns live in scratch memory (reused between calls); what is returned is
always a fresh array, since autograd may keep it.
"""
import numpy as np

from . import layout
from .conv import output_size
from .conv_numba import col2im_cm, im2col_cm
from .scratch import scratch


def _geometry(x_shape, w_shape, stride, padding):
    """(P, Q, pointwise) where pointwise means a 1x1 kernel without padding."""
    p = output_size(x_shape[2], w_shape[2], stride[0], padding[0])
    q = output_size(x_shape[3], w_shape[3], stride[1], padding[1])
    pointwise = tuple(w_shape[2:]) == (1, 1) and tuple(padding) == (0, 0)
    return p, q, pointwise


def _columns(x, w_shape, stride, padding, p, q, pointwise):
    """x (N, C, H, W) -> its columns (C*R*S, N*P*Q), a view of x or scratch."""
    xc = layout.channel_major(x)  # (C, N, H, W)
    c, n = xc.shape[:2]
    if pointwise and tuple(stride) == (1, 1):
        return xc.reshape(c, -1)
    if pointwise:
        cols = scratch((c, n, p, q), x.dtype)
        cols[...] = xc[:, :, ::stride[0], ::stride[1]][:, :, :p, :q]
        return cols.reshape(c, -1)
    cols = scratch((c * w_shape[2] * w_shape[3], n * p * q), x.dtype)
    im2col_cm(xc, *w_shape[2:], *stride, *padding, p, q, cols)
    return cols


def _gy_matrix(gy):
    """gy (N, K, P, Q) -> (K, N*P*Q), a view when gy is channel-major."""
    return layout.channel_major(gy).reshape(gy.shape[1], -1)


def conv2d_forward(x, w, stride, padding):
    """(N, C, H, W), (K, C, R, S) -> (N, K, P, Q), stored channel-major."""
    n, k = x.shape[0], w.shape[0]
    p, q, pointwise = _geometry(x.shape, w.shape, stride, padding)
    cols = _columns(x, w.shape, stride, padding, p, q, pointwise)
    y = np.empty((k, n, p, q), dtype=x.dtype)
    np.matmul(w.reshape(k, -1), cols, out=y.reshape(k, -1))
    return layout.from_channel_major(y)


def conv2d_backward_data(gy, w, x_shape, stride, padding):
    """(N, K, P, Q), (K, C, R, S) -> gx (N, C, H, W), stored channel-major."""
    n, c, h, width = x_shape
    k = w.shape[0]
    p, q, pointwise = _geometry(x_shape, w.shape, stride, padding)
    wt = w.reshape(k, -1).T  # (C*R*S, K), a transposed view BLAS reads as is
    g = _gy_matrix(gy)
    if pointwise and tuple(stride) == (1, 1):
        gx = np.empty((c, n, h, width), dtype=gy.dtype)
        np.matmul(wt, g, out=gx.reshape(c, -1))
    elif pointwise:
        gsub = scratch((c, n, p, q), gy.dtype)
        np.matmul(wt, g, out=gsub.reshape(c, -1))
        gx = np.zeros((c, n, h, width), dtype=gy.dtype)
        gx[:, :, :p * stride[0]:stride[0], :q * stride[1]:stride[1]] = gsub
    else:
        gcols = scratch((wt.shape[0], n * p * q), gy.dtype)
        np.matmul(wt, g, out=gcols)
        gx = np.empty((c, n, h, width), dtype=gy.dtype)
        col2im_cm(gcols, *w.shape[2:], *stride, *padding, p, q, gx)
    return layout.from_channel_major(gx)


def conv2d_backward_weight(gy, x, w_shape, stride, padding):
    """(N, K, P, Q), (N, C, H, W) -> gw (K, C, R, S), C-contiguous."""
    p, q, pointwise = _geometry(x.shape, w_shape, stride, padding)
    cols = _columns(x, w_shape, stride, padding, p, q, pointwise)
    gw = np.empty(w_shape, dtype=gy.dtype)
    np.matmul(_gy_matrix(gy), cols.T, out=gw.reshape(w_shape[0], -1))
    return gw
