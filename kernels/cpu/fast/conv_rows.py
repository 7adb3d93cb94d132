"""Convolutions with few output columns (ResNet's 7x7 maps: N*P*Q = 392 at batch 8), where the
image groups of conv_gemm.py would leave each thread a GEMM only a few hundred columns wide.
Here the columns of the whole batch are built once (one range of channels per thread), then each
thread multiplies one range of output rows by all of them:

    forward          y[k0:k1]     = w[k0:k1] @ cols
    backward data    gcols[r0:r1] = w.T[r0:r1] @ gy,  then col2im by channel ranges
    backward weight  gw[k0:k1]    = gy[k0:k1] @ cols.T  (no partial sums to add)

With scalar im2col loops for such short rows (conv_im2col.py) it is what makes ResNet's 7x7-map
convolutions use both cores (the figures: benchmarks/RESULTS.md, "What was done, with the
figures that decided it", item 7). As in conv_gemm.py, the two steps run in Numba parallel
regions calling blas.gemm where blas.native() allows (_by_rows_tasks, _data_tasks), else on the
Python threads with np.matmul.
"""
import numpy as np

from . import blas, layout, threads
from .conv_im2col import columns, uncolumns
from .numba_setup import njit, prange
from .scratch import scratch

NARROW_COLUMNS = 1024  # below this many output columns in all, split the rows instead
MIN_ROWS = 16  # GEMM rows per thread, at least


def applies(plan):
    """True when the convolution of plan (a conv_plan.Plan) is better split by output rows."""
    return (not plan.direct and plan.n * plan.p * plan.q < NARROW_COLUMNS
            and threads.count() > 1)


def _columns(plan, xc):
    """cols (rows, N*P*Q) of the whole batch, each thread writing the rows of a range of input
    channels (whole rows: split by images, the threads' columns would share a cache line in
    every row, and two threads were slower than one)."""
    cols = scratch((plan.rows, plan.n * plan.p * plan.q), xc.dtype, slot=2)

    def work(channels):
        c0, c1 = channels
        plan.im2col(xc[c0:c1], 0, plan.n, cols[plan.channel_rows(c0, c1)])
    threads.parallel(work, threads.ranges(plan.c, 1))
    return cols


def _by_rows(a, b, out):
    """out = a @ b, one range of rows of a (and out) per thread."""
    def work(span):
        np.matmul(a[span[0]:span[1]], b, out=out[span[0]:span[1]])
    threads.parallel(work, threads.ranges(a.shape[0], MIN_ROWS))


# The three passes in Numba parallel regions (blas.native()).

@njit(parallel=True, nogil=True, cache=True)
def _by_rows_tasks(xc, a, out, weight, kind, geometry, channels, rows, xpads, cols):
    """Two regions: cols = the columns of each thread's range of channels (c0, c1) of
    `channels`, then by each thread's range (k0, k1) of `rows`: out[k0:k1] = a[k0:k1] @ cols
    (forward: a = w2, out = y2), or with weight=True a[k0:k1] @ cols.T (a = g, out = gw2)."""
    taps = geometry[0] * geometry[1]
    for t in prange(channels.shape[0]):
        c0, c1 = channels[t, 0], channels[t, 1]
        columns(xc[c0:c1], 0, xc.shape[1], kind, geometry, xpads[t, :c1 - c0],
                cols[c0 * taps:c1 * taps])
    for t in prange(rows.shape[0]):
        k0, k1 = rows[t, 0], rows[t, 1]
        if weight:
            blas.gemm(a[k0:k1], cols.T, out[k0:k1], 0)
        else:
            blas.gemm(a[k0:k1], cols, out[k0:k1], 0)


@njit(parallel=True, nogil=True, cache=True)
def _data_tasks(wt, g, gx, kind, geometry, rows, channels, gcols):
    """Two regions: gcols[r0:r1] = wt[r0:r1] @ g by each thread's range of `rows`, then col2im
    of each thread's range of channels (c0, c1) into gx[c0:c1]."""
    taps = geometry[0] * geometry[1]
    for t in prange(rows.shape[0]):
        r0, r1 = rows[t, 0], rows[t, 1]
        blas.gemm(wt[r0:r1], g, gcols[r0:r1], 0)
    for t in prange(channels.shape[0]):
        c0, c1 = channels[t, 0], channels[t, 1]
        uncolumns(gcols[c0 * taps:c1 * taps], 0, gx.shape[1], kind, geometry, gx[c0:c1])


def _by_rows_native(plan, xc, a, out, weight):
    """_by_rows_tasks with its scratch, OpenBLAS single-threaded."""
    channels = threads.ranges(plan.c, 1)
    most = max(c1 - c0 for c0, c1 in channels)
    cols = scratch((plan.rows, plan.n * plan.p * plan.q), xc.dtype, slot=2)
    xpads = scratch((len(channels),) + plan.pad_shape(most, plan.n), xc.dtype, slot=3)
    threads.single_blas(_by_rows_tasks, xc, a, out, weight, plan.kind, plan.geometry,
                        threads.task_array(channels),
                        threads.task_array(threads.ranges(a.shape[0], MIN_ROWS)), xpads, cols)


def conv2d_forward(x, w, plan):
    """(N, C, H, W), (K, C, R, S) -> (N, K, P, Q), stored channel-major; plan: conv_plan.Plan."""
    xc = layout.channel_major(x)
    y = np.empty((plan.k, plan.n, plan.p, plan.q), dtype=x.dtype)
    w2, y2 = w.reshape(plan.k, -1), y.reshape(plan.k, -1)
    if blas.native():
        _by_rows_native(plan, xc, w2, y2, False)
    else:
        _by_rows(w2, _columns(plan, xc), y2)
    return layout.from_channel_major(y)


def conv2d_backward_data(gy, w, plan):
    """(N, K, P, Q), (K, C, R, S) -> gx (N, C, H, W), stored channel-major."""
    wt = w.reshape(plan.k, -1).T  # (C*R*S, K)
    g = layout.matrix(gy)
    gx = np.empty((plan.c, plan.n, plan.h, plan.w), dtype=gy.dtype)
    gcols = scratch((plan.rows, g.shape[1]), g.dtype, slot=2)
    if blas.native():
        threads.single_blas(_data_tasks, wt, g, gx, plan.kind, plan.geometry,
                            threads.task_array(threads.ranges(plan.rows, MIN_ROWS)),
                            threads.task_array(threads.ranges(plan.c, 1)), gcols)
        return layout.from_channel_major(gx)
    _by_rows(wt, g, gcols)

    def work(channels):  # whole planes of gx per thread, as _columns
        c0, c1 = channels
        plan.col2im(gcols[plan.channel_rows(c0, c1)], 0, plan.n, gx[c0:c1])
    threads.parallel(work, threads.ranges(plan.c, 1))
    return layout.from_channel_major(gx)


def conv2d_backward_weight(gy, x, plan):
    """(N, K, P, Q), (N, C, H, W) -> gw (K, C, R, S), C-contiguous."""
    xc, g = layout.channel_major(x), layout.matrix(gy)
    gw = np.empty((plan.k, plan.c, plan.r, plan.s), dtype=gy.dtype)
    if blas.native():
        _by_rows_native(plan, xc, g, gw.reshape(plan.k, -1), True)
    else:
        _by_rows(g, _columns(plan, xc).T, gw.reshape(plan.k, -1))
    return gw
