"""Fast convolution: im2col + OpenBLAS GEMM per group of images, channel-major activations.

With x stored as a (C, N*H*W) matrix (see layout.py) and w as (K, C*R*S), for each group of
images g (a range of columns):

    forward          y[:, g]  (K, n*P*Q)   = w @ cols_g               cols_g = im2col(x[g])
    backward data    gx[g]                 = col2im(w.T @ gy[:, g])
    backward weight  gw       (K, C*R*S)   = sum over g of gy[:, g] @ cols_g.T

A 1x1, stride-1 convolution needs no im2col: it reads x itself (conv_plan.py). Which
convolutions come here rather than to the direct, Winograd or by-rows kernels: conv.py.
Groups are as large as fits in cache (GROUP_BYTES of columns) and are spread over the threads
(threads.py), so each group's columns go from im2col to the GEMM without leaving the core's
cache (the figures: benchmarks/RESULTS.md, "What was done, with the figures that decided it",
item 4). Columns live in per-thread scratch memory; returned arrays are fresh.

Each pass exists twice, the same arithmetic: its threads' shares in one Numba parallel region,
calling NumPy's OpenBLAS through blas.gemm (the *_share functions and their *_tasks drivers,
where blas.native() allows), and on the Python threads with np.matmul (threads.parallel).
"""
import numpy as np

from . import blas, layout, threads
from .conv_im2col import columns, uncolumns
from .numba_setup import njit, prange
from .scratch import scratch

GROUP_BYTES = 2 << 20  # columns per group: about what one core's L2 (+ its L3 share) holds
MIN_COLUMNS = 256  # but at least this many GEMM columns, so that each GEMM stays efficient


def groups(plan, itemsize):
    """[(n0, n1)]: the plan's images in groups whose columns fill about GROUP_BYTES, with at
    least MIN_COLUMNS columns; every thread gets a group."""
    pq = plan.p * plan.q
    per_image = plan.rows * pq * itemsize
    size = max(-(-MIN_COLUMNS // pq), GROUP_BYTES // max(per_image, 1), 1)
    share = -(-plan.n // max(threads.count(), 1))
    # with no im2col to keep in cache, one group per thread
    size = share if plan.direct else min(size, share)
    return [(i, min(plan.n, i + size)) for i in range(0, plan.n, size)]


def _columns(plan, xc, group):
    """cols (rows, n*P*Q) of the group's images: a view of xc, or scratch."""
    if plan.direct:
        return xc.reshape(plan.c, -1)[:, plan.span(*group)]
    cols = scratch((plan.rows, (group[1] - group[0]) * plan.p * plan.q), xc.dtype)
    plan.im2col(xc, *group, cols)
    return cols


# The three passes in Numba parallel regions (blas.native()): one function per pass for a
# thread's share (lo, hi) of the groups (rows (n0, n1) of `groups`), and its driver.

@njit(nogil=True, cache=True)
def _group_columns(xc, rows, kind, geometry, direct, n0, n1, xpad, buffer):
    """The (rows, (n1-n0)*P*Q) columns of images n0..n1-1: xc itself when direct, else built
    in buffer (through xpad)."""
    pq = geometry[6] * geometry[7]
    if direct:
        return xc.reshape(xc.shape[0], -1)[:, n0 * pq:n1 * pq]
    cols = buffer[:rows * (n1 - n0) * pq].reshape(rows, (n1 - n0) * pq)
    columns(xc, n0, n1, kind, geometry, xpad, cols)
    return cols


@njit(nogil=True, cache=True)
def _forward_share(xc, w2, y2, kind, geometry, direct, groups, lo, hi, xpad, buffer):
    """y2[:, group] = w2 @ the group's columns."""
    pq = geometry[6] * geometry[7]
    for i in range(lo, hi):
        n0, n1 = groups[i, 0], groups[i, 1]
        cols = _group_columns(xc, w2.shape[1], kind, geometry, direct, n0, n1, xpad, buffer)
        blas.gemm(w2, cols, y2[:, n0 * pq:n1 * pq], 0)


@njit(parallel=True, nogil=True, cache=True)
def _forward_tasks(xc, w2, y2, kind, geometry, direct, groups, shares, xpads, buffers):
    for t in prange(shares.shape[0]):
        _forward_share(xc, w2, y2, kind, geometry, direct, groups, shares[t, 0], shares[t, 1],
                       xpads[t], buffers[t])


@njit(nogil=True, cache=True)
def _data_share(wt, g, gx, kind, geometry, direct, groups, lo, hi, buffer):
    """gx's images of each group = col2im(wt @ g[:, group]) (straight into gx when direct)."""
    pq = geometry[6] * geometry[7]
    for i in range(lo, hi):
        n0, n1 = groups[i, 0], groups[i, 1]
        if direct:
            blas.gemm(wt, g[:, n0 * pq:n1 * pq], gx.reshape(gx.shape[0], -1)[:, n0 * pq:n1 * pq],
                      0)
            continue
        gcols = buffer[:wt.shape[0] * (n1 - n0) * pq].reshape(wt.shape[0], (n1 - n0) * pq)
        blas.gemm(wt, g[:, n0 * pq:n1 * pq], gcols, 0)
        uncolumns(gcols, n0, n1, kind, geometry, gx)


@njit(parallel=True, nogil=True, cache=True)
def _data_tasks(wt, g, gx, kind, geometry, direct, groups, shares, buffers):
    for t in prange(shares.shape[0]):
        _data_share(wt, g, gx, kind, geometry, direct, groups, shares[t, 0], shares[t, 1],
                    buffers[t])


@njit(nogil=True, cache=True)
def _weight_share(xc, g, part, kind, geometry, direct, groups, lo, hi, xpad, buffer):
    """part (K, C*R*S) = the sum over the groups of g[:, group] @ their columns.T."""
    pq = geometry[6] * geometry[7]
    for i in range(lo, hi):
        n0, n1 = groups[i, 0], groups[i, 1]
        cols = _group_columns(xc, part.shape[1], kind, geometry, direct, n0, n1, xpad, buffer)
        blas.gemm(g[:, n0 * pq:n1 * pq], cols.T, part, 0 if i == lo else 1)


@njit(parallel=True, nogil=True, cache=True)
def _weight_tasks(xc, g, parts, kind, geometry, direct, groups, shares, xpads, buffers):
    for t in prange(shares.shape[0]):
        _weight_share(xc, g, parts[t], kind, geometry, direct, groups, shares[t, 0],
                      shares[t, 1], xpads[t], buffers[t])


def _native(driver, plan, tasks, dtype, *arrays, xpads=True):
    """driver(*arrays, kind, geometry, direct, groups, shares, [xpads,] buffers) with
    OpenBLAS single-threaded: each thread's share of the tasks, its columns in its row of one
    scratch buffer (and its zero-bordered copy in xpads)."""
    shares = threads.task_array(threads.shares(tasks))
    most = max(n1 - n0 for n0, n1 in tasks)
    buffers = scratch((len(shares), 1 if plan.direct else plan.rows * most * plan.p * plan.q),
                      dtype)
    pads = (scratch((len(shares),) + plan.pad_shape(plan.c, most), dtype, slot=3),) if xpads \
        else ()
    threads.single_blas(driver, *arrays, plan.kind, plan.geometry, plan.direct,
                        threads.task_array(tasks), shares, *pads, buffers)


def conv2d_forward(x, w, plan):
    """(N, C, H, W), (K, C, R, S) -> (N, K, P, Q), stored channel-major; plan: conv_plan.Plan."""
    xc = layout.channel_major(x)
    w2 = w.reshape(plan.k, -1)
    y = np.empty((plan.k, plan.n, plan.p, plan.q), dtype=x.dtype)
    y2 = y.reshape(plan.k, -1)
    tasks = groups(plan, x.dtype.itemsize)
    if blas.native():
        _native(_forward_tasks, plan, tasks, x.dtype, xc, w2, y2)
        return layout.from_channel_major(y)

    def work(group):
        np.matmul(w2, _columns(plan, xc, group), out=y2[:, plan.span(*group)])
    threads.parallel(work, tasks)
    return layout.from_channel_major(y)


def conv2d_backward_data(gy, w, plan):
    """(N, K, P, Q), (K, C, R, S) -> gx (N, C, H, W), stored channel-major."""
    wt = w.reshape(plan.k, -1).T  # (C*R*S, K), a transposed view BLAS reads as is
    g = layout.matrix(gy)
    gx = np.empty((plan.c, plan.n, plan.h, plan.w), dtype=gy.dtype)
    tasks = groups(plan, gy.dtype.itemsize)
    if blas.native():
        _native(_data_tasks, plan, tasks, gy.dtype, wt, g, gx, xpads=False)
        return layout.from_channel_major(gx)

    def work(group):
        n0, n1 = group
        if plan.direct:
            np.matmul(wt, g[:, plan.span(n0, n1)],
                      out=gx.reshape(plan.c, -1)[:, plan.span(n0, n1)])
            return
        gcols = scratch((plan.rows, (n1 - n0) * plan.p * plan.q), gy.dtype)
        np.matmul(wt, g[:, plan.span(n0, n1)], out=gcols)
        plan.col2im(gcols, n0, n1, gx)
    threads.parallel(work, tasks)
    return layout.from_channel_major(gx)


def conv2d_backward_weight(gy, x, plan):
    """(N, K, P, Q), (N, C, H, W) -> gw (K, C, R, S), C-contiguous."""
    xc, g = layout.channel_major(x), layout.matrix(gy)
    tasks = groups(plan, x.dtype.itemsize)
    if blas.native():
        parts = np.empty((len(threads.shares(tasks)), plan.k, plan.rows), dtype=x.dtype)
        _native(_weight_tasks, plan, tasks, x.dtype, xc, g, parts)
        return parts.sum(axis=0).reshape(plan.k, plan.c, plan.r, plan.s)

    def work(group):
        return np.matmul(g[:, plan.span(*group)], _columns(plan, xc, group).T)  # (K, C*R*S)
    parts = threads.parallel_sum(work, tasks)
    return parts.reshape(plan.k, plan.c, plan.r, plan.s)
