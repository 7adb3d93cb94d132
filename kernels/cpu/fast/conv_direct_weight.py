"""The weight gradient of a 3x3, stride-1, padding-1 convolution in float32, computed directly
on channel-major activations with the micro-kernel of conv_direct_weight_tile.py:

    gw[k, c, r, s] = sum over pixels p of gy[k, p] * x[c, p + (r-1)*W + (s-1)]

Each thread takes a range of pixels (on small maps, a range of output-channel blocks instead)
and walks it in chunks of CHUNK pixels. Per chunk it copies x (with zeros around it) and gy
(in the three row variants the tile needs) into scratch memory whose rows are not multiples of
4 KB apart: the rows of a channel-major batch lie N*H*W floats apart, often a power of two,
and would otherwise compete for the same few cache sets. Then, for every block of KW output
channels and every input channel, the tile adds the chunk's tap sums to one float per
(k, c, tap); the threads' sums are added at the end.
"""
import numpy as np

from . import layout, simd, threads
from .conv_direct import lane_masks
from .conv_direct_weight_tile import ACC, KW, TAPS, weight_tile
from .numba_setup import njit, prange

CHUNK = 1024  # pixels per pass: the chunk's copies stay in L2
MIN_VECTORS = 64  # 16-pixel vectors per thread at least, else threads split the channels


@njit(cache=True)
def _row_length(n):
    """n rounded up to 16 floats, and not a multiple of 256 floats (1 KB)."""
    n = -(-n // simd.LANES) * simd.LANES
    return n + simd.LANES if n % 256 == 0 else n


@njit(nogil=True, cache=True)
def _copy(src, start, dst, begin, end):
    """dst[:begin] = 0, dst[begin:end] = src[start:start+end-begin], dst[end:] = 0."""
    simd.fill_zero(dst, 0, begin)
    simd.copy(dst, begin, src, start, end - begin)
    simd.fill_zero(dst, end, dst.size - end)


@njit(nogil=True, cache=True)
def _copy_x(x, c, plane, p0, p1, halo, xs):
    """xs (c, L): pixels p0-halo .. p1+halo-1 of each channel of x (c*plane flat), 0 outside
    the batch."""
    lo, hi = max(0, p0 - halo), min(plane, p1 + halo)
    for ci in range(c):
        _copy(x, ci * plane + lo, xs[ci], lo - p0 + halo, hi - p0 + halo)


@njit(nogil=True, cache=True)
def _copy_gy(gy, k0, k1, plane, h, w, p0, p1, gs):
    """gs (k1-k0, 3, L): pixels p0..p1-1 of gy's channels k0..k1-1 (0 after them), variant 0
    with the first row of every image zeroed, 1 as it is, 2 with the last row zeroed."""
    image = h * w
    for ki in range(k0, k1):
        for r in range(3):
            row = gs[ki - k0, r]
            _copy(gy, ki * plane + p0, row, 0, p1 - p0)
            if r == 1:
                continue
            first = 0 if r == 0 else (h - 1) * w
            for n in range(p0 // image, (p1 - 1) // image + 1):
                a, b = max(p0, n * image + first), min(p1, n * image + first + w)
                if a < b:
                    row[a - p0:b - p0] = 0


@njit(nogil=True, cache=True)
def _weight_sums(x, gy, acc, masks, c, k, h, w, p_lo, p_hi, b_lo, b_hi):
    """acc (blocks, c, ACC) += the tap sums of output-channel blocks b_lo..b_hi-1
    over pixels p_lo..p_hi-1 (p_lo a multiple of 16); x (c, plane), gy (k, plane) flat."""
    plane = x.size // c
    halo = (w + 1 + simd.LANES - 1) // simd.LANES * simd.LANES
    k0, k1 = b_lo * KW, min(k, b_hi * KW)
    xs = np.empty((c, _row_length(CHUNK + 2 * halo)), dtype=np.float32)
    gs = np.empty((k1 - k0, 3, _row_length(CHUNK)), dtype=np.float32)
    for p0 in range(p_lo, p_hi, CHUNK):
        p1 = min(p_hi, p0 + CHUNK)
        _copy_x(x, c, plane, p0, p1, halo, xs)
        _copy_gy(gy, k0, k1, plane, h, w, p0, p1, gs)
        vectors = (p1 - p0 + simd.LANES - 1) // simd.LANES
        for b in range(b_lo, b_hi):
            g = gs[b * KW - k0:].reshape(-1)
            for ci in range(c):
                weight_tile(xs[ci], g, acc[b, ci], masks, p0 // simd.LANES, vectors, w, halo,
                            gs.shape[2], 3 * gs.shape[2], min(KW, k - b * KW))


def _tasks(plane, blocks):
    """One (p_lo, p_hi, b_lo, b_hi) per thread."""
    vectors, n = -(-plane // simd.LANES), threads.count()
    if vectors >= MIN_VECTORS * n or blocks < n:
        cuts = [i * vectors // n * simd.LANES for i in range(n)] + [plane]
        return [(cuts[i], cuts[i + 1], 0, blocks) for i in range(n) if cuts[i] < cuts[i + 1]]
    cuts = [i * blocks // n for i in range(n + 1)]
    return [(0, plane, cuts[i], cuts[i + 1]) for i in range(n) if cuts[i] < cuts[i + 1]]


@njit(parallel=True, nogil=True, cache=True)
def _weight_sums_tasks(x, gy, accs, masks, c, k, h, w, tasks):
    """accs[t] = _weight_sums over task t (p_lo, p_hi, b_lo, b_hi), one per thread
    (threads.py)."""
    for t in prange(tasks.shape[0]):
        _weight_sums(x, gy, accs[t], masks, c, k, h, w, tasks[t, 0], tasks[t, 1], tasks[t, 2],
                     tasks[t, 3])


def conv2d_backward_weight(gy, x):
    """(N, K, H, W), (N, C, H, W) float32 -> gw (K, C, 3, 3), C-contiguous."""
    xc, gc = layout.channel_major(x), layout.channel_major(gy)
    c, n, h, w = xc.shape
    k = gc.shape[0]
    blocks = -(-k // KW)
    masks = lane_masks(n, (h, w), (h, w))
    tasks, xs, gs = _tasks(n * h * w, blocks), xc.reshape(-1), gc.reshape(-1)
    accs = np.zeros((len(tasks), blocks, c, ACC), dtype=np.float32)  # one per task
    if threads.native():
        _weight_sums_tasks(xs, gs, accs, masks, c, k, h, w, threads.task_array(tasks))
    else:
        def work(t):
            _weight_sums(xs, gs, accs[t], masks, c, k, h, w, *tasks[t])
        threads.parallel(work, range(len(tasks)), numba_only=True)
    acc = accs.sum(axis=0)  # the tasks' partial sums
    sums = acc[:, :, :KW * TAPS].reshape(blocks, c, KW, TAPS)
    return np.ascontiguousarray(sums.transpose(0, 2, 1, 3).reshape(blocks * KW, c, 3, 3)[:k])
