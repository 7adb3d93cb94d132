"""Numba max and average pooling, plane by plane, one range of channels per thread.

Inputs of any layout are read as channel-major (C, N, H, W) blocks (layout.py) and the results
are stored channel-major. Same results as the NumPy reference in pool.py: -inf padding never
wins, the first maximum in window order wins ties, and the first NaN in a window wins over every
number.
"""
import numpy as np

from . import layout, threads
from .conv import output_size
from .numba_setup import njit

PARALLEL_MIN = 1 << 15  # output values per thread below which one thread does it all


@njit(nogil=True, cache=True)
def _maxpool_forward(x, r_size, s_size, sh, sw, ph, pw, y, argmax):
    n_size, c_size, h_size, w_size = x.shape
    p_size, q_size = y.shape[2], y.shape[3]
    for nc in range(n_size * c_size):
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


def _by_channels(kernel, block, *args):
    """kernel(block, *args) with every (C, N, ...) array in it cut into one channel range per
    thread (the plane kernels read their first axis as N: any range of it is independent)."""
    channels, values = block.shape[0], max(block.size, 1)

    def work(span):
        lo, hi = span
        kernel(block[lo:hi], *[a[lo:hi] if isinstance(a, np.ndarray) else a for a in args])
    per_channel = max(values // max(channels, 1), 1)
    threads.parallel(work, threads.ranges(channels, -(-PARALLEL_MIN // per_channel)))


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
    _by_channels(_maxpool_forward, _planes(x), *kernel, *stride, *padding, y, argmax)
    return layout.from_channel_major(y), layout.from_channel_major(argmax)


def maxpool2d_backward(gy, argmax, x_shape):
    """(N, C, P, Q) -> gx (N, C, H, W), channel-major."""
    n, c, h, w = x_shape
    gx = np.empty((c, n, h, w), dtype=gy.dtype)
    _by_channels(_maxpool_backward, _planes(gy), _planes(argmax), gx)
    return layout.from_channel_major(gx)


def avgpool2d_forward(x, kernel, stride, padding, count_include_pad=True):
    """(N, C, H, W) -> (N, C, P, Q), zero padding; channel-major."""
    y = np.empty(_output_shape(x.shape, kernel, stride, padding), dtype=x.dtype)
    _by_channels(_avgpool_forward, _planes(x), *kernel, *stride, *padding,
                 bool(count_include_pad), y)
    return layout.from_channel_major(y)


def avgpool2d_backward(gy, x_shape, kernel, stride, padding, count_include_pad=True):
    """(N, C, P, Q) -> gx (N, C, H, W): each window spreads its gradient evenly; channel-major."""
    n, c, h, w = x_shape
    gx = np.empty((c, n, h, w), dtype=gy.dtype)
    _by_channels(_avgpool_backward, _planes(gy), *kernel, *stride, *padding,
                 bool(count_include_pad), gx)
    return layout.from_channel_major(gx)
