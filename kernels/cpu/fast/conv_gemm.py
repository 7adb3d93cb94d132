"""Fast convolution: im2col + OpenBLAS GEMM per group of images, channel-major activations.

With x stored as a (C, N*H*W) matrix (see layout.py) and w as (K, C*R*S), for each group of
images g (a range of columns):

    forward          y[:, g]  (K, n*P*Q)   = w @ cols_g               cols_g = im2col(x[g])
    backward data    gx[g]                 = col2im(w.T @ gy[:, g])
    backward weight  gw       (K, C*R*S)   = sum over g of gy[:, g] @ cols_g.T

A 1x1 convolution needs no im2col: stride 1 reads x itself, a larger stride subsamples it.
Convolutions with few output columns split the GEMM by rows instead (conv_rows.py). Which
convolutions come here rather than to the direct or Winograd kernels: conv_dispatch.py.
Groups are as large as fits in cache (GROUP_BYTES of columns) and are spread over the threads
(threads.py), so each group's columns go from im2col to the GEMM without leaving the core's
cache; measured on CIFAR ResNet shapes, GEMMs on cache-sized groups run up to 2x faster than one
GEMM over the whole batch. Columns live in per-thread scratch memory; returned arrays are fresh.
"""
import numpy as np

from ...shapes import output_size
from . import conv_rows, layout, threads
from .conv_im2col import col2im_cm, im2col_cm, subsample_cm, upsample_cm
from .scratch import scratch

GROUP_BYTES = 2 << 20  # columns per group: about what one core's L2 (+ its L3 share) holds
MIN_COLUMNS = 256  # but at least this many GEMM columns, so that each GEMM stays efficient


class _Plan:
    """Geometry of one convolution and its image groups."""

    def __init__(self, x_shape, w_shape, stride, padding, itemsize):
        self.n, self.c, self.h, self.w = x_shape
        self.k, _, self.r, self.s = w_shape
        self.stride, self.padding = tuple(stride), tuple(padding)
        self.p = output_size(self.h, self.r, stride[0], padding[0])
        self.q = output_size(self.w, self.s, stride[1], padding[1])
        self.pointwise = (self.r, self.s) == (1, 1) and self.padding == (0, 0)
        self.direct = self.pointwise and self.stride == (1, 1)  # x is its own columns
        self.rows = self.c * self.r * self.s
        pq = self.p * self.q
        per_image = self.rows * pq * itemsize
        size = max(-(-MIN_COLUMNS // pq), GROUP_BYTES // max(per_image, 1), 1)
        share = -(-self.n // max(threads.count(), 1))
        # every thread gets a group; with no im2col to keep in cache, one group per thread
        size = share if self.direct else min(size, share)
        self.groups = [(i, min(self.n, i + size)) for i in range(0, self.n, size)]

    def span(self, group):
        """The columns of a group in an (rows, N*P*Q) matrix."""
        pq = self.p * self.q
        return slice(group[0] * pq, group[1] * pq)

    def columns(self, xc, group):
        """cols (rows, n*P*Q) of the group's images: a view of xc or scratch."""
        n0, n1 = group
        if self.direct:
            return xc.reshape(self.c, -1)[:, self.span(group)]
        if self.pointwise:
            cols = scratch((self.c, n1 - n0, self.p, self.q), xc.dtype)
            subsample_cm(xc, n0, n1, *self.stride, cols)
            return cols.reshape(self.c, -1)
        cols = scratch((self.rows, (n1 - n0) * self.p * self.q), xc.dtype)
        im2col_cm(xc, n0, n1, self.r, self.s, *self.stride, *self.padding, self.p, self.q, cols)
        return cols


def _matrix(a):
    """(N, C, H, W) -> its channel-major (C, N*H*W) matrix (a view when already so stored)."""
    return layout.channel_major(a).reshape(a.shape[1], -1)


def conv2d_forward(x, w, stride, padding):
    """(N, C, H, W), (K, C, R, S) -> (N, K, P, Q), stored channel-major."""
    plan = _Plan(x.shape, w.shape, stride, padding, x.dtype.itemsize)
    xc = layout.channel_major(x)
    w2 = w.reshape(plan.k, -1)
    y = np.empty((plan.k, plan.n, plan.p, plan.q), dtype=x.dtype)
    y2 = y.reshape(plan.k, -1)
    if conv_rows.applies(plan):
        conv_rows.by_rows(w2, conv_rows.columns(plan, xc), y2)
        return layout.from_channel_major(y)

    def work(group):
        np.matmul(w2, plan.columns(xc, group), out=y2[:, plan.span(group)])
    threads.parallel(work, plan.groups)
    return layout.from_channel_major(y)


def conv2d_backward_data(gy, w, x_shape, stride, padding):
    """(N, K, P, Q), (K, C, R, S) -> gx (N, C, H, W), stored channel-major."""
    plan = _Plan(x_shape, w.shape, stride, padding, gy.dtype.itemsize)
    wt = w.reshape(plan.k, -1).T  # (C*R*S, K), a transposed view BLAS reads as is
    g = _matrix(gy)
    gx = np.empty((plan.c, plan.n, plan.h, plan.w), dtype=gy.dtype)
    if conv_rows.applies(plan):
        conv_rows.backward_data(plan, wt, g, gx)
        return layout.from_channel_major(gx)

    def work(group):
        n0, n1 = group
        if plan.direct:
            np.matmul(wt, g[:, plan.span(group)], out=gx.reshape(plan.c, -1)[:, plan.span(group)])
            return
        gcols = scratch((plan.rows, (n1 - n0) * plan.p * plan.q), gy.dtype)
        np.matmul(wt, g[:, plan.span(group)], out=gcols)
        if plan.pointwise:  # strided 1x1: the gradient lands on every stride-th pixel
            upsample_cm(gcols.reshape(plan.c, n1 - n0, plan.p, plan.q), n0, n1, *plan.stride, gx)
            return
        col2im_cm(gcols, n0, n1, plan.r, plan.s, *plan.stride, *plan.padding, plan.p, plan.q,
                  gx)
    threads.parallel(work, plan.groups)
    return layout.from_channel_major(gx)


def conv2d_backward_weight(gy, x, w_shape, stride, padding):
    """(N, K, P, Q), (N, C, H, W) -> gw (K, C, R, S), C-contiguous."""
    plan = _Plan(x.shape, w_shape, stride, padding, x.dtype.itemsize)
    xc, g = layout.channel_major(x), _matrix(gy)
    if conv_rows.applies(plan):
        gw = np.empty(w_shape, dtype=gy.dtype)
        conv_rows.by_rows(g, conv_rows.columns(plan, xc).T, gw.reshape(plan.k, -1))
        return gw

    def work(group):
        cols = plan.columns(xc, group)
        return np.matmul(g[:, plan.span(group)], cols.T)  # (K, C*R*S)
    parts = threads.parallel_sum(work, plan.groups)
    return parts.reshape(w_shape)
