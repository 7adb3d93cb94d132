"""Strided convolutions (ResNet's 3x3/2 downsampling, its 7x7/2 stem) in float32 on
channel-major activations, forward only, by the direct tile of conv_direct_tile.py.

A stride-2 convolution reads every other row and column. Split the input into its 2x2 phases
(even/odd rows x even/odd columns), each stored in the output's geometry (N, P, Q): then tap
(r, s) reads, for output pixel (i, j), phase ((r-p) mod 2, (s-p) mod 2) at row i + (r-p) // 2
and column j + (s-p) // 2, a constant offset from the output pixel as in the stride-1 case. So
the tile runs unchanged; each tap's offset also picks its phase, and its lane mask drops what
falls in the padding. Any stride works the same way (stride_h * stride_w phases).
"""
import numpy as np

from ...shapes import output_size
from . import conv_direct, layout, simd, threads
from .numba_setup import njit, prange


def applies(x_shape, w_shape, stride, padding, dtype):
    """True for the strided float32 convolutions this module computes on AVX-512: those whose
    output is at least as large as a phase of the input (ceil(H / stride) rows, ...), so that
    the phases fit in the output's geometry (padding >= kernel - stride does it)."""
    out = [output_size(x_shape[2 + i], w_shape[2 + i], stride[i], padding[i]) for i in (0, 1)]
    return (simd.HAS_AVX512 and np.dtype(dtype) == np.float32 and max(stride) > 1
            and all(-(-x_shape[2 + i] // stride[i]) <= out[i] for i in (0, 1)))


@njit(nogil=True, cache=True)
def _phases(x, c0, c1, sh, sw, out):
    """out (sh*sw, C, N, P, Q)[:, c0:c1] = the phases of x (C, N, H, W): phase (a, b) holds
    x[c, n, sh*i + a, sw*j + b], 0 past the image."""
    _, n_size, h_size, w_size = x.shape
    p_size, q_size = out.shape[3], out.shape[4]
    for c in range(c0, c1):
        for n in range(n_size):
            for a in range(sh):
                for i in range(p_size):
                    h = sh * i + a
                    for b in range(sw):
                        row = out[a * sw + b, c, n, i]
                        if h >= h_size:
                            row[:] = 0
                            continue
                        for j in range(q_size):
                            w = sw * j + b
                            row[j] = x[c, n, h, w] if w < w_size else 0


@njit(parallel=True, nogil=True, cache=True)
def _phases_tasks(x, sh, sw, out, tasks):
    """_phases over one range of channels (c0, c1) per task, in a Numba parallel region."""
    for t in prange(tasks.shape[0]):
        _phases(x, tasks[t, 0], tasks[t, 1], sh, sw, out)


def phases(xc, stride, out_size):
    """(C, N, H, W) -> (stride_h * stride_w, C, N, P, Q), one range of channels per thread."""
    c, n = xc.shape[:2]
    out = np.empty((stride[0] * stride[1], c, n) + tuple(out_size), dtype=xc.dtype)
    ranges = threads.ranges(c, 1)
    if threads.native():
        _phases_tasks(xc, *stride, out, threads.task_array(ranges))
        return out

    def work(span):
        _phases(xc, span[0], span[1], *stride, out)
    threads.parallel(work, ranges, numba_only=True)
    return out


def _taps(kernel, stride, padding, c, n, out_size):
    """(offsets, rows, columns) of every tap (r, s): where it reads in the phase array, and
    the input row and column it reads relative to stride * the output pixel's."""
    (sh, sw), (ph, pw), phase_size = stride, padding, c * n * out_size[0] * out_size[1]
    offsets, rows, columns = [], [], []
    for r in range(kernel[0]):
        for s in range(kernel[1]):
            u, v = r - ph, s - pw
            phase = (u % sh) * sw + v % sw
            offsets.append(phase * phase_size + (u // sh) * out_size[1] + v // sw)
            rows.append(u)
            columns.append(v)
    return np.array(offsets, np.int64), rows, columns


def conv2d_forward(x, w, stride, padding):
    """(N, C, H, W), (K, C, R, S) float32 -> (N, K, P, Q), stored channel-major."""
    n, c, h, wd = x.shape
    out = (output_size(h, w.shape[2], stride[0], padding[0]),
           output_size(wd, w.shape[3], stride[1], padding[1]))
    split = phases(layout.channel_major(x), stride, out)
    offsets, rows, columns = _taps(w.shape[2:], stride, padding, c, n, out)
    masks = conv_direct.lane_masks(n, out, (h, wd), stride, rows, columns)
    y = conv_direct.convolve(split.reshape(-1), c, (n,) + out, conv_direct.pack(w),
                             w.shape[0], masks, offsets)
    return layout.from_channel_major(y)
