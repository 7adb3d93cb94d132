"""Numba max and average pooling, plane by plane, one range of channels per thread.

Inputs of any layout are read as channel-major (C, N, H, W) blocks (layout.py) and the results
are stored channel-major. Same results as the NumPy reference in pool.py: -inf padding never
wins, the first maximum in window order wins ties, and the first NaN in a window wins over every
number.
"""
import numpy as np

from ...shapes import output_size
from . import layout, threads
from .numba_setup import njit, prange

PARALLEL_MIN = 1 << 15  # output values per thread below which one thread does it all


@njit(inline="always")
def _better(v, best):
    """v replaces best: larger, or the first NaN (NaN wins over every number)."""
    return v > best or (v != v and best == best)


@njit(inline="always")
def _take(v, vi, best, where):
    """(best, where) after window element v at vi (branch-free _better)."""
    t = _better(v, best)
    return (v if t else best), (vi if t else where)


@njit(inline="always")
def _window(start, size, stride, pad, limit):
    """[lo, hi): the valid input positions of window `start` (never empty: pad <= size / 2)."""
    first = start * stride - pad
    return max(first, 0), min(first + size, limit)


@njit(inline="always")
def _rows_3x3s2(row, even, odd, best, where):
    """best[q], where[q]: the max of row over columns 2q-1, 2q, 2q+1 (those that exist) and
    its column, first maximum winning: ResNet's 3x3/2 pooling with padding 1. The row is split
    into its even and odd columns first, so that the loop over q reads unit strides, and runs
    branch-free from q = 1 (no negative index): LLVM vectorises both loops."""
    w_size, q_size = row.size, best.size
    for j in range(w_size // 2):
        even[j] = row[2 * j]
        odd[j] = row[2 * j + 1]
    if w_size % 2:
        even[w_size // 2] = row[w_size - 1]
    best[0], where[0] = row[0], 0
    if w_size > 1:
        best[0], where[0] = _take(row[1], 1, best[0], where[0])
    full = min(q_size, (w_size - 1) // 2)  # windows 1..full-1 have all three columns
    for q in range(1, full):
        b, at = odd[q - 1], 2 * q - 1
        b, at = _take(even[q], 2 * q, b, at)
        best[q], where[q] = _take(odd[q], 2 * q + 1, b, at)
    for q in range(max(full, 1), q_size):  # the last window may miss its right column
        b, at = odd[q - 1], 2 * q - 1
        b, at = _take(even[q], 2 * q, b, at)
        if 2 * q + 1 < w_size:
            b, at = _take(odd[q], 2 * q + 1, b, at)
        best[q], where[q] = b, at


@njit(nogil=True, cache=True)
def _maxpool_forward(x, r_size, s_size, sh, sw, ph, pw, y, argmax):
    """Separable: the max over each row's window first (value and column), then over rows.
    Row-major first-maximum order is kept: the first row holding the maximum wins, and in it
    the first column. (Why separable, and the 3x3/2 row loop _rows_3x3s2: benchmarks/RESULTS.md,
    "What was done, with the figures that decided it", item 8, and issue 13's "What changed".)"""
    n_size, c_size, h_size, w_size = x.shape
    p_size, q_size = y.shape[2], y.shape[3]
    row_best = np.empty((h_size, q_size), dtype=x.dtype)
    row_where = np.empty((h_size, q_size), dtype=np.int64)
    even = np.empty((w_size + 1) // 2, dtype=x.dtype)
    odd = np.empty(w_size // 2 + 1, dtype=x.dtype)
    fast = s_size == 3 and sw == 2 and pw == 1
    for nc in range(n_size * c_size):
        n, c = nc // c_size, nc % c_size
        for h in range(h_size):
            row = x[n, c, h]
            if fast:
                _rows_3x3s2(row, even, odd, row_best[h], row_where[h])
                continue
            for q in range(q_size):
                lo, hi = _window(q, s_size, sw, pw, w_size)
                best, where = row[lo], lo
                for w in range(lo + 1, hi):
                    if _better(row[w], best):
                        best, where = row[w], w
                row_best[h, q], row_where[h, q] = best, where
        for p in range(p_size):
            lo, hi = _window(p, r_size, sh, ph, h_size)
            out, arg = y[n, c, p], argmax[n, c, p]
            for q in range(q_size):
                out[q] = row_best[lo, q]
                arg[q] = lo * w_size + row_where[lo, q]
            for h in range(lo + 1, hi):
                for q in range(q_size):
                    out[q], arg[q] = _take(row_best[h, q], h * w_size + row_where[h, q],
                                           out[q], arg[q])


@njit(nogil=True, cache=True)
def _maxpool_backward(gy, argmax, gx):
    n_size, c_size, h_size, w_size = gx.shape
    p_size, q_size = gy.shape[2], gy.shape[3]
    for nc in range(n_size * c_size):
        n, c = nc // c_size, nc % c_size
        plane = gx[n, c].reshape(h_size * w_size)
        plane[:] = 0
        for p in range(p_size):
            for q in range(q_size):
                plane[argmax[n, c, p, q]] += gy[n, c, p, q]


@njit(nogil=True, cache=True)
def _avgpool_forward(x, r_size, s_size, sh, sw, ph, pw, count_include_pad, y):
    n_size, c_size, h_size, w_size = x.shape
    p_size, q_size = y.shape[2], y.shape[3]
    for nc in range(n_size * c_size):
        n, c = nc // c_size, nc % c_size
        for p in range(p_size):
            for q in range(q_size):
                total = 0.0
                count = 0
                for h in range(max(p * sh - ph, 0), min(p * sh - ph + r_size, h_size)):
                    for w in range(max(q * sw - pw, 0), min(q * sw - pw + s_size, w_size)):
                        total += x[n, c, h, w]
                        count += 1
                y[n, c, p, q] = total / (r_size * s_size if count_include_pad else count)


@njit(nogil=True, cache=True)
def _avgpool_backward(gy, r_size, s_size, sh, sw, ph, pw, count_include_pad, gx):
    n_size, c_size, h_size, w_size = gx.shape
    p_size, q_size = gy.shape[2], gy.shape[3]
    for nc in range(n_size * c_size):
        n, c = nc // c_size, nc % c_size
        gx[n, c] = 0
        for p in range(p_size):
            for q in range(q_size):
                h0, h1 = max(p * sh - ph, 0), min(p * sh - ph + r_size, h_size)
                w0, w1 = max(q * sw - pw, 0), min(q * sw - pw + s_size, w_size)
                count = r_size * s_size if count_include_pad else (h1 - h0) * (w1 - w0)
                share = gy[n, c, p, q] / count
                gx[n, c, h0:h1, w0:w1] += share


@njit(parallel=True, nogil=True, cache=True)
def _maxpool_forward_tasks(x, r_size, s_size, sh, sw, ph, pw, y, argmax, tasks):
    for t in prange(tasks.shape[0]):
        lo, hi = tasks[t, 0], tasks[t, 1]
        _maxpool_forward(x[lo:hi], r_size, s_size, sh, sw, ph, pw, y[lo:hi], argmax[lo:hi])


@njit(parallel=True, nogil=True, cache=True)
def _maxpool_backward_tasks(gy, argmax, gx, tasks):
    for t in prange(tasks.shape[0]):
        lo, hi = tasks[t, 0], tasks[t, 1]
        _maxpool_backward(gy[lo:hi], argmax[lo:hi], gx[lo:hi])


@njit(parallel=True, nogil=True, cache=True)
def _avgpool_forward_tasks(x, r_size, s_size, sh, sw, ph, pw, count_include_pad, y, tasks):
    for t in prange(tasks.shape[0]):
        lo, hi = tasks[t, 0], tasks[t, 1]
        _avgpool_forward(x[lo:hi], r_size, s_size, sh, sw, ph, pw, count_include_pad,
                         y[lo:hi])


@njit(parallel=True, nogil=True, cache=True)
def _avgpool_backward_tasks(gy, r_size, s_size, sh, sw, ph, pw, count_include_pad, gx, tasks):
    for t in prange(tasks.shape[0]):
        lo, hi = tasks[t, 0], tasks[t, 1]
        _avgpool_backward(gy[lo:hi], r_size, s_size, sh, sw, ph, pw, count_include_pad,
                          gx[lo:hi])


def _by_channels(kernel, driver, block, *args):
    """kernel(block, *args) with every (C, N, ...) array in it cut into one channel range per
    thread (the plane kernels read their first axis as N: any range of it is independent);
    driver: the same in a Numba parallel region (threads.by_ranges)."""
    channels, values = block.shape[0], max(block.size, 1)
    per_channel = max(values // max(channels, 1), 1)
    threads.by_ranges(kernel, driver,
                      threads.ranges(channels, -(-PARALLEL_MIN // per_channel)), block, *args)


def _planes(x):
    """(N, C, H, W) -> the (C, N, H, W) block, which the plane kernels take as (N', C', H, W)."""
    return layout.channel_major(x)


def _output_shape(x_shape, kernel, stride, padding):
    n, c, h, w = x_shape
    return (c, n, output_size(h, kernel[0], stride[0], padding[0]),
            output_size(w, kernel[1], stride[1], padding[1]))


def maxpool2d_forward(x, kernel, stride, padding):
    """(N, C, H, W) -> (y, argmax) (N, C, P, Q); argmax = h * W + w. Channel-major."""
    shape = _output_shape(x.shape, kernel, stride, padding)
    y = np.empty(shape, dtype=x.dtype)
    argmax = np.empty(shape, dtype=np.int64)
    _by_channels(_maxpool_forward, _maxpool_forward_tasks, _planes(x), *kernel, *stride,
                 *padding, y, argmax)
    return layout.from_channel_major(y), layout.from_channel_major(argmax)


def maxpool2d_backward(gy, argmax, x_shape, kernel=None, stride=None, padding=None):
    """(N, C, P, Q) -> gx (N, C, H, W), channel-major (the window geometry is not needed)."""
    n, c, h, w = x_shape
    gx = np.empty((c, n, h, w), dtype=gy.dtype)
    _by_channels(_maxpool_backward, _maxpool_backward_tasks, _planes(gy), _planes(argmax), gx)
    return layout.from_channel_major(gx)


def _global(shape, kernel, stride, padding):
    """True for global average pooling: one window covering each whole plane."""
    return (tuple(kernel) == tuple(shape[2:]) and tuple(padding) == (0, 0)
            and tuple(stride) == tuple(kernel))


def avgpool2d_forward(x, kernel, stride, padding, count_include_pad=True):
    """(N, C, H, W) -> (N, C, P, Q), zero padding; channel-major."""
    if _global(x.shape, kernel, stride, padding):  # a plain mean: NumPy, float64 sums
        planes = _planes(x).reshape(x.shape[1], x.shape[0], -1)
        mean = np.sum(planes, axis=2, dtype=np.float64) / planes.shape[2]
        return layout.from_channel_major(mean.astype(x.dtype).reshape(planes.shape[:2] + (1, 1)))
    y = np.empty(_output_shape(x.shape, kernel, stride, padding), dtype=x.dtype)
    _by_channels(_avgpool_forward, _avgpool_forward_tasks, _planes(x), *kernel, *stride,
                 *padding, bool(count_include_pad), y)
    return layout.from_channel_major(y)


def avgpool2d_backward(gy, x_shape, kernel, stride, padding, count_include_pad=True):
    """(N, C, P, Q) -> gx (N, C, H, W): each window spreads its gradient evenly; channel-major."""
    n, c, h, w = x_shape
    gx = np.empty((c, n, h, w), dtype=gy.dtype)
    if _global(x_shape, kernel, stride, padding):
        gx[...] = _planes(gy) / gy.dtype.type(h * w)
        return layout.from_channel_major(gx)
    _by_channels(_avgpool_backward, _avgpool_backward_tasks, _planes(gy), *kernel, *stride,
                 *padding, bool(count_include_pad), gx)
    return layout.from_channel_major(gx)
