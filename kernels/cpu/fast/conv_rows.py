"""Convolutions with few output columns (ResNet's 7x7 maps: N*P*Q = 392 at batch 8), where the
per-image groups of conv_gemm.py would leave each thread a GEMM only a few hundred columns
wide. Here the columns of the whole batch are built once (one image range per thread), then each
thread multiplies one range of output rows by all of them:

    forward          y[k0:k1]   = w[k0:k1] @ cols
    backward data    gcols[r0:r1] = w.T[r0:r1] @ gy,  then col2im by image ranges
    backward weight  gw[k0:k1]  = gy[k0:k1] @ cols.T  (no partial sums to add)

Together with scalar im2col loops for such short rows (conv_numba.py), ResNet-18's 512 -> 512
3x3 forward on 7x7 maps (batch 8, 2 threads) went from 25.6 ms to 15.4 ms.
"""
import numpy as np

from . import threads
from .conv_im2col import col2im_cm, im2col_cm, subsample_cm, upsample_cm
from .scratch import scratch

NARROW_COLUMNS = 1024  # below this many output columns in all, split the rows instead
MIN_ROWS = 16  # GEMM rows per thread, at least


def applies(plan):
    """True when plan (a conv_gemm._Plan) is better split by output rows."""
    return (not plan.direct and plan.n * plan.p * plan.q < NARROW_COLUMNS
            and threads.count() > 1)


def _spans(plan):
    pq = plan.p * plan.q
    return [(n0, n1, slice(n0 * pq, n1 * pq)) for n0, n1 in threads.ranges(plan.n, 1)]


def columns(plan, xc):
    """cols (rows, N*P*Q) of the whole batch, each thread writing its images' columns."""
    cols = scratch((plan.rows, plan.n * plan.p * plan.q), xc.dtype, slot=2)

    def work(span):
        n0, n1, part = span
        if plan.pointwise:
            subsample_cm(xc, n0, n1, *plan.stride,
                         cols[:, part].reshape(plan.c, n1 - n0, plan.p, plan.q))
        else:
            im2col_cm(xc, n0, n1, plan.r, plan.s, *plan.stride, *plan.padding, plan.p, plan.q,
                      cols[:, part])
    threads.parallel(work, _spans(plan))
    return cols


def by_rows(a, b, out):
    """out = a @ b, one range of rows of a (and out) per thread."""
    def work(span):
        np.matmul(a[span[0]:span[1]], b, out=out[span[0]:span[1]])
    threads.parallel(work, threads.ranges(a.shape[0], MIN_ROWS))


def backward_data(plan, wt, g, gx):
    """gx (C, N, H, W) = col2im(wt @ g), wt (C*R*S, K), g (K, N*P*Q)."""
    gcols = scratch((plan.rows, g.shape[1]), g.dtype, slot=2)
    by_rows(wt, g, gcols)

    def work(span):
        n0, n1, part = span
        if plan.pointwise:
            upsample_cm(gcols[:, part].reshape(plan.c, n1 - n0, plan.p, plan.q), n0, n1,
                        *plan.stride, gx)
        else:
            col2im_cm(gcols[:, part], n0, n1, plan.r, plan.s, *plan.stride, *plan.padding,
                      plan.p, plan.q, gx)
    threads.parallel(work, _spans(plan))
