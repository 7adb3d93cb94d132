"""Numba batch normalisation on channel-major data: one range of channels per thread.

Each channel is a contiguous run of N*H*W values (layout.py), small enough to stay in L2 between
the passes over it, so the two-pass statistics (mean, then the centred variance, as the NumPy
reference) cost about one read from memory. Per-channel sums accumulate in float64, as the
reference does and for the same reason (see batchnorm.py); fastmath here only allows reordering
those sums (no assumptions about NaN or infinity).

relu=True fuses the ReLU that follows (forward: max(y, 0) as y is written; backward: gy counts
only where that output was positive), so a batch norm and its ReLU read and write the
activation once, not twice. The same arithmetic in the same order: the results are those of
the two kernels one after the other, bit for bit.
"""
import numpy as np

from . import layout, threads
from .numba_setup import njit, prange

REORDER = {"reassoc", "contract"}


@njit(inline="always")
def _activate(v, zero, relu):
    """v, or max(v, 0) when relu (NaN stays NaN, as elementwise._relu)."""
    return zero if relu and v < 0 else v


@njit(inline="always")
def _passed(g, y, zero, relu):
    """The gradient g through the fused ReLU whose output is y (when relu): g where y > 0."""
    return g if not relu or y > 0 else zero


@njit(fastmath=REORDER, cache=True)
def _mean_var(row):
    """(M,) -> float64 mean and biased variance, centred two-pass."""
    total = 0.0
    for i in range(row.size):
        total += row[i]
    mean = total / row.size
    squares = 0.0
    for i in range(row.size):
        d = row[i] - mean
        squares += d * d
    return mean, squares / row.size


@njit(nogil=True, fastmath=REORDER, cache=True)
def _forward_train(x, weight, bias, eps, relu, y, mean, var, invstd):
    """x (C, M) -> y (C, M) (max(y, 0) when relu), and per-channel mean, biased var, invstd
    (C,)."""
    zero = x.dtype.type(0)
    for c in range(x.shape[0]):
        m, v = _mean_var(x[c])
        inv = 1.0 / np.sqrt(v + eps)
        mean[c], var[c], invstd[c] = m, v, inv
        # (x - mean) first, as the reference: x * scale + shift would cancel for large means
        centre = x.dtype.type(m)
        scale = x.dtype.type(inv * weight[c])
        shift = bias[c]
        row, out = x[c], y[c]
        for i in range(row.size):
            out[i] = _activate((row[i] - centre) * scale + shift, zero, relu)


@njit(nogil=True, fastmath=REORDER, cache=True)
def _affine(x, scale, shift, relu, y):
    """y[c] = x[c] * scale[c] + shift[c] for x, y (C, M) (max(y, 0) when relu)."""
    zero = x.dtype.type(0)
    for c in range(x.shape[0]):
        a, b = scale[c], shift[c]
        row, out = x[c], y[c]
        for i in range(row.size):
            out[i] = _activate(row[i] * a + b, zero, relu)


@njit(nogil=True, fastmath=REORDER, cache=True)
def _backward(gy, x, mean, invstd, weight, training, relu, y, gx, gweight, gbias):
    """gy, x (C, M) -> gx (C, M), gweight, gbias (C,); relu: gy passes the fused ReLU, whose
    output is y (C, M), first (else y is not read)."""
    count = x.shape[1]
    zero = x.dtype.type(0)
    for c in range(x.shape[0]):
        g_row, x_row, y_row, out = gy[c], x[c], y[c], gx[c]
        m, inv = np.float64(mean[c]), np.float64(invstd[c])
        sum_g = 0.0
        sum_gx = 0.0
        for i in range(count):
            g = _passed(g_row[i], y_row[i], zero, relu)
            sum_g += g
            sum_gx += g * (x_row[i] - m)
        sum_gxhat = sum_gx * inv  # sum(gy * xhat)
        gbias[c], gweight[c] = sum_g, sum_gxhat
        scale = inv * weight[c]
        if not training:
            a = x.dtype.type(scale)
            for i in range(count):
                out[i] = _passed(g_row[i], y_row[i], zero, relu) * a
            continue
        # gx = scale * (gy - mean(gy) - xhat * mean(gy * xhat)), xhat = (x - m) * inv
        a = x.dtype.type(scale)
        centre = mean[c]
        mean_g = x.dtype.type(sum_g / count)
        slope = x.dtype.type(sum_gxhat * inv / count)
        for i in range(count):
            g = _passed(g_row[i], y_row[i], zero, relu)
            out[i] = (g - mean_g - (x_row[i] - centre) * slope) * a


PARALLEL_MIN = 1 << 16  # values per thread below which one thread does it all


@njit(parallel=True, nogil=True, cache=True)
def _forward_train_tasks(x, weight, bias, eps, relu, y, mean, var, invstd, tasks):
    """_forward_train over one range of channels (lo, hi) per task (threads.py)."""
    for t in prange(tasks.shape[0]):
        lo, hi = tasks[t, 0], tasks[t, 1]
        _forward_train(x[lo:hi], weight[lo:hi], bias[lo:hi], eps, relu, y[lo:hi], mean[lo:hi],
                       var[lo:hi], invstd[lo:hi])


@njit(parallel=True, nogil=True, cache=True)
def _affine_tasks(x, scale, shift, relu, y, tasks):
    """_affine over one range of channels per task."""
    for t in prange(tasks.shape[0]):
        lo, hi = tasks[t, 0], tasks[t, 1]
        _affine(x[lo:hi], scale[lo:hi], shift[lo:hi], relu, y[lo:hi])


@njit(parallel=True, nogil=True, cache=True)
def _backward_tasks(gy, x, mean, invstd, weight, training, relu, y, gx, gweight, gbias,
                    tasks):
    """_backward over one range of channels per task."""
    for t in prange(tasks.shape[0]):
        lo, hi = tasks[t, 0], tasks[t, 1]
        _backward(gy[lo:hi], x[lo:hi], mean[lo:hi], invstd[lo:hi], weight[lo:hi], training,
                  relu, y[lo:hi], gx[lo:hi], gweight[lo:hi], gbias[lo:hi])


def _by_channels(kernel, driver, *arrays):
    """kernel(*arrays) over one range of channels (the first axis of every array; scalars pass
    through) per thread (threads.by_ranges; driver: its Numba parallel region)."""
    channels, values = arrays[0].shape[0], arrays[0].size
    per_channel = max(values // max(channels, 1), 1)
    threads.by_ranges(kernel, driver, threads.ranges(channels, -(-PARALLEL_MIN // per_channel)),
                      *arrays)


def _rows(x):
    """(N, C, ...) -> its channel-major (C, N*...) matrix (a view when already channel-major)."""
    n, c = x.shape[:2]
    return layout.channel_major(x.reshape(n, c, -1, 1)).reshape(c, -1)


def _out(x):
    """A new array for a result shaped like x, channel-major, and its (C, M) matrix."""
    y = layout.empty_channel_major(x.reshape(x.shape[0], x.shape[1], -1, 1).shape, x.dtype)
    return y.reshape(x.shape), layout.channel_major(y).reshape(x.shape[1], -1)


def _param(p, channels, value, dtype):
    return np.full(channels, value, dtype=dtype) if p is None else np.ascontiguousarray(p)


def batchnorm_forward_train(x, weight, bias, eps, relu=False):
    """(N, C, H, W) -> (y, mean, biased var, invstd); statistics of this batch; relu=True:
    y = max(y, 0)."""
    channels = x.shape[1]
    stats = [np.empty(channels, dtype=x.dtype) for _ in range(3)]
    y, y_rows = _out(x)
    _by_channels(_forward_train, _forward_train_tasks, _rows(x),
                 _param(weight, channels, 1, x.dtype),
                 _param(bias, channels, 0, x.dtype), float(eps), bool(relu), y_rows, *stats)
    return (y, *stats)


def batchnorm_forward_eval(x, mean, var, weight, bias, eps, relu=False):
    """(N, C, H, W) -> (y, invstd); normalised with the given (running) statistics; relu=True:
    y = max(y, 0)."""
    channels = x.shape[1]
    invstd = 1.0 / np.sqrt(var + eps)
    scale = invstd * _param(weight, channels, 1, x.dtype)
    shift = _param(bias, channels, 0, x.dtype) - mean * scale
    y, y_rows = _out(x)
    _by_channels(_affine, _affine_tasks, _rows(x), scale.astype(x.dtype),
                 shift.astype(x.dtype), bool(relu), y_rows)
    return y, invstd


def batchnorm_backward(gy, x, mean, invstd, weight, training, relu_output=None):
    """(N, C, H, W) -> (gx, gweight (C,), gbias (C,)); relu_output: a relu=True forward's y,
    through whose ReLU gy passes first."""
    channels = x.shape[1]
    gweight = np.empty(channels, dtype=x.dtype)
    gbias = np.empty(channels, dtype=x.dtype)
    gx, gx_rows = _out(x)
    g_rows = _rows(gy)
    relu = relu_output is not None
    _by_channels(_backward, _backward_tasks, g_rows, _rows(x), mean, invstd,
                 _param(weight, channels, 1, x.dtype), bool(training), relu,
                 _rows(relu_output) if relu else g_rows, gx_rows, gweight, gbias)
    return gx, gweight, gbias
