"""3x3, stride-1, padding-1 convolutions by Winograd's F(2x2, 3x3): forward, backward-data and
backward-weight as 16 GEMMs each over groups of images (see conv_winograd_transforms.py for the
maths).

Compared with im2col + GEMM (conv_gemm.py), the GEMMs do 2.25x fewer multiply-adds and the
transformed input is 16/9 smaller than the columns. Backward-data is the forward convolution of
gy with the flipped kernel; backward-weight pairs the transformed input with the transformed
output gradient, tile by tile, and maps the sum back with the filter transform's transpose.
Groups and threads as in conv_gemm.py (a Numba parallel region calling blas.gemm, or the Python
threads); the transforms live in scratch memory, one row per thread.
TINYRES_WINOGRAD=0 turns it off (every convolution then goes through im2col).

It is faster than im2col + GEMM from 8x8 maps and 8 input channels on (MIN_SIZE, MIN_CHANNELS;
the figures: benchmarks/RESULTS.md, "What was done, with the figures that decided it", item 5).
"""
import os

import numpy as np

from . import blas, layout, threads
from .numba_setup import njit, prange
from .scratch import scratch
from .conv_winograd_transforms import (filter_gradient, filter_transform, gradient_transform,
                                       input_transform, output_transform)

ENABLED = os.environ.get("TINYRES_WINOGRAD", "1") != "0"
GROUP_BYTES = 1 << 20  # transformed input + output of one group: about a core's L2 ...
MIN_TILES = 256  # ... but at least this many tiles, so that the 16 GEMMs stay efficient
MIN_SIZE = 8  # below 8x8 maps (ResNet-50's 7x7) the tiles waste too much: im2col wins
MIN_CHANNELS = 8  # a 3-channel stem is faster by im2col


def applies(x_shape, w_shape, stride, padding):
    """True for the convolutions this module computes (and computes faster than im2col)."""
    return (ENABLED and tuple(w_shape[2:]) == (3, 3) and tuple(stride) == (1, 1)
            and tuple(padding) == (1, 1) and min(x_shape[2:]) >= MIN_SIZE
            and w_shape[1] >= MIN_CHANNELS)


def _groups(n, h, w, channels, itemsize):
    """Groups (n0, n1, i0, i1): tile rows i0..i1-1 of images n0..n1-1, whose transformed tiles
    (16 x channels per tile) fill about GROUP_BYTES with at least MIN_TILES tiles. Large maps
    (ResNet's 56x56) are cut into bands of tile rows, small ones grouped by whole images; there
    is at least one group per thread."""
    th, tw = (h + 1) // 2, (w + 1) // 2
    tile_bytes = 16 * channels * itemsize
    rows = max(-(-MIN_TILES // tw), GROUP_BYTES // (tile_bytes * tw), 1)
    if rows < th:
        rows = min(rows, -(-n * th // max(threads.count(), 1)))
        return [(i, i + 1, r, min(th, r + rows)) for i in range(n) for r in range(0, th, rows)]
    size = max(rows // th, 1)
    size = min(size, -(-n // max(threads.count(), 1)))
    return [(i, min(n, i + size), 0, th) for i in range(0, n, size)]


def _tiles(group, h, w):
    n0, n1, i0, i1 = group
    return (n1 - n0) * (i1 - i0) * ((w + 1) // 2)


@njit(parallel=True, nogil=True, cache=True)
def _convolve_tasks(xc, u, out, groups, shares, vs, ms):
    """_convolve's groups (rows n0, n1, i0, i1 of groups) in a Numba parallel region, each
    thread's share (lo, hi) of them in turn, its transforms in its rows of vs and ms."""
    c, k, tw = xc.shape[0], u.shape[1], (xc.shape[3] + 1) // 2
    for t in prange(shares.shape[0]):
        for g in range(shares[t, 0], shares[t, 1]):
            n0, n1, i0, i1 = groups[g, 0], groups[g, 1], groups[g, 2], groups[g, 3]
            tiles = (n1 - n0) * (i1 - i0) * tw
            v = vs[t, :16 * c * tiles].reshape(16, c, tiles)
            m = ms[t, :16 * k * tiles].reshape(16, k, tiles)
            input_transform(xc, n0, n1, i0, i1, v)
            for e in range(16):
                blas.gemm(u[e], v[e], m[e], 0)
            output_transform(m, n0, n1, i0, i1, out)


def _native_scratch(groups, c, k, h, w, dtype):
    """For a Numba parallel region over the groups: the threads' shares (an array of (lo, hi)),
    and two scratch arrays, one row per thread, for 16 x c and 16 x k values per tile."""
    shares = threads.shares(groups)
    most = max(_tiles(group, h, w) for group in groups)
    return (threads.task_array(shares), scratch((len(shares), 16 * c * most), dtype, slot=0),
            scratch((len(shares), 16 * k * most), dtype, slot=1))


def _convolve(xc, u, out):
    """out (K, N, H, W) = the 3x3 convolution of xc (C, N, H, W) with the transformed u."""
    c, n, h, w = xc.shape
    k = u.shape[1]
    groups = _groups(n, h, w, c + k, xc.dtype.itemsize)
    if blas.native():
        shares, vs, ms = _native_scratch(groups, c, k, h, w, xc.dtype)
        threads.single_blas(_convolve_tasks, xc, u, out, threads.task_array(groups), shares, vs,
                            ms)
        return

    def work(group):
        v = scratch((16, c, _tiles(group, h, w)), xc.dtype, slot=0)
        m = scratch((16, k, _tiles(group, h, w)), xc.dtype, slot=1)
        input_transform(xc, *group, v)
        np.matmul(u, v, out=m)
        output_transform(m, *group, out)
    threads.parallel(work, groups)


def _transformed_filters(w, flip, dtype):
    """u (16, K, C) = G w G^T, or (16, C, K) for the flipped kernel of backward-data; one
    range of output channels k per thread."""
    k, c = w.shape[:2]
    w = np.ascontiguousarray(w)
    u = np.empty((16, c, k) if flip else (16, k, c), dtype=dtype)
    ranges = threads.ranges(k, 64)
    if threads.native():
        _filter_transform_tasks(w, flip, u, threads.task_array(ranges))
        return u

    def work(span):
        lo, hi = span
        filter_transform(w[lo:hi], flip, u[:, :, lo:hi] if flip else u[:, lo:hi])
    threads.parallel(work, ranges, numba_only=True)
    return u


@njit(parallel=True, nogil=True, cache=True)
def _filter_transform_tasks(w, flip, u, tasks):
    """filter_transform over one range of k (lo, hi) per task, in a Numba parallel region."""
    for t in prange(tasks.shape[0]):
        lo, hi = tasks[t, 0], tasks[t, 1]
        if flip:
            filter_transform(w[lo:hi], flip, u[:, :, lo:hi])
        else:
            filter_transform(w[lo:hi], flip, u[:, lo:hi])


def _filter_gradient(du, dtype):
    """du (16, K, C) -> gw (K, C, 3, 3) = G^T du G, one range of k per thread."""
    k, c = du.shape[1:]
    gw = np.empty((k, c, 3, 3), dtype=dtype)
    ranges = threads.ranges(k, 64)
    if threads.native():
        _filter_gradient_tasks(du, gw, threads.task_array(ranges))
        return gw

    def work(span):
        lo, hi = span
        filter_gradient(du[:, lo:hi], gw[lo:hi])
    threads.parallel(work, ranges, numba_only=True)
    return gw


@njit(parallel=True, nogil=True, cache=True)
def _filter_gradient_tasks(du, gw, tasks):
    """filter_gradient over one range of k (lo, hi) per task, in a Numba parallel region."""
    for t in prange(tasks.shape[0]):
        lo, hi = tasks[t, 0], tasks[t, 1]
        filter_gradient(du[:, lo:hi], gw[lo:hi])


def conv2d_forward(x, w):
    """(N, C, H, W), (K, C, 3, 3) -> (N, K, H, W), stored channel-major."""
    k = w.shape[0]
    u = _transformed_filters(w, False, x.dtype)
    xc = layout.channel_major(x)
    y = np.empty((k,) + xc.shape[1:], dtype=x.dtype)
    _convolve(xc, u, y)
    return layout.from_channel_major(y)


def conv2d_backward_data(gy, w):
    """(N, K, H, W), (K, C, 3, 3) -> gx (N, C, H, W), stored channel-major."""
    c = w.shape[1]
    u = _transformed_filters(w, True, gy.dtype)
    gc = layout.channel_major(gy)
    gx = np.empty((c,) + gc.shape[1:], dtype=gy.dtype)
    _convolve(gc, u, gx)
    return layout.from_channel_major(gx)


def conv2d_backward_weight(gy, x):
    """(N, K, H, W), (N, C, H, W) -> gw (K, C, 3, 3), C-contiguous."""
    xc, gc = layout.channel_major(x), layout.channel_major(gy)
    c, n, h, w = xc.shape
    k = gc.shape[0]
    groups = _groups(n, h, w, c + k, x.dtype.itemsize)
    if blas.native():
        shares, vs, zs = _native_scratch(groups, c, k, h, w, x.dtype)
        parts = np.empty((len(shares), 16, k, c), dtype=x.dtype)
        threads.single_blas(_weight_tasks, xc, gc, parts, threads.task_array(groups), shares,
                            vs, zs)
        return _filter_gradient(parts.sum(axis=0), x.dtype)

    def work(group):
        v = scratch((16, c, _tiles(group, h, w)), x.dtype, slot=0)
        z = scratch((16, k, _tiles(group, h, w)), x.dtype, slot=1)
        input_transform(xc, *group, v)
        gradient_transform(gc, *group, z)
        return np.matmul(z, v.transpose(0, 2, 1))  # (16, K, C)
    du = threads.parallel_sum(work, groups)
    return _filter_gradient(du, x.dtype)


@njit(parallel=True, nogil=True, cache=True)
def _weight_tasks(xc, gc, parts, groups, shares, vs, zs):
    """conv2d_backward_weight's groups in a Numba parallel region: parts[t] (16, K, C) = the
    sum over thread t's share of the groups of z[e] @ v[e].T (z: gc's transformed tiles, v:
    xc's)."""
    c, k, tw = xc.shape[0], gc.shape[0], (xc.shape[3] + 1) // 2
    for t in prange(shares.shape[0]):
        lo, hi = shares[t, 0], shares[t, 1]
        for g in range(lo, hi):
            n0, n1, i0, i1 = groups[g, 0], groups[g, 1], groups[g, 2], groups[g, 3]
            tiles = (n1 - n0) * (i1 - i0) * tw
            v = vs[t, :16 * c * tiles].reshape(16, c, tiles)
            z = zs[t, :16 * k * tiles].reshape(16, k, tiles)
            input_transform(xc, n0, n1, i0, i1, v)
            gradient_transform(gc, n0, n1, i0, i1, z)
            for e in range(16):
                blas.gemm(z[e], v[e].T, parts[t, e], 0 if g == lo else 1)
