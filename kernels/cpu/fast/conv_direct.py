"""Direct convolutions in float32 on channel-major activations, by the register-blocked tile
of conv_direct_tile.py: here the 3x3, stride-1, padding-1 forward and backward-data passes and
what every direct convolution shares (lane masks, packed weights, the tiles' loops); strided
forward passes in conv_direct_strided.py, the weight gradient in conv_direct_weight.py.

    forward          y  (K, N*H*W) = conv(x (C, N*H*W), w (K, C, 3, 3))
    backward data    gx (C, N*H*W) = conv(gy (K, N*H*W), w' (C, K, 3, 3)),
                     w'[c, k, r, s] = w[k, c, 2-r, 2-s]  (the same convolution, kernel flipped)

Each thread takes a range of output pixels (or, on small maps, of output-channel blocks). Its
pixels are cut into chunks whose input fits in L2; per chunk, per block of KB output channels
(whose packed weights stay in L1), the tiles run left to right. Wide inputs are summed C_BLOCK
channels at a time, the later blocks adding to the output. The lane masks of every 16-pixel
vector (which taps fall in the padding) depend only on the geometry and are computed once.
"""
import numpy as np

from . import layout, simd, threads
from .conv_direct_tile import KB, PV, TILE, tile
from .numba_setup import njit, prange

C_BLOCK = 32  # input channels per pass: the tile's input rows and weights stay in L1
CHUNK_BYTES = 256 << 10  # input pixels per chunk: C_BLOCK channels of them fill about a
                         # quarter of L2
MIN_TILES = 8  # tiles per thread at least, else threads split the output channels instead
_masks = {}
ROWS3 = [r - 1 for r in range(3) for s in range(3)]  # where the taps of a 3x3, padding-1
COLUMNS3 = [s - 1 for r in range(3) for s in range(3)]  # kernel read, around the pixel


def applies(x_shape, w_shape, stride, padding, dtype):
    """True for the convolutions this module computes (3x3, stride 1, padding 1, float32) on a
    machine with AVX-512 (elsewhere LLVM's lowering of the vectors is correct but slow)."""
    return (simd.HAS_AVX512 and np.dtype(dtype) == np.float32 and tuple(w_shape[2:]) == (3, 3)
            and tuple(stride) == (1, 1) and tuple(padding) == (1, 1))


@njit(nogil=True, cache=True)
def _lane_masks(n, p_size, q_size, h, w, sh, sw, rows, columns, vectors):
    """(vectors, T+1) uint16 for a kernel of T taps over an (n, h, w) input and an (n, p_size,
    q_size) output: bit j of [v, t] is set when output pixel 16v+j exists and its tap t, which
    reads input row i*sh + rows[t] and column j*sw + columns[t], lies inside the image;
    [v, T]: the pixel exists."""
    taps, pixels = rows.size, p_size * q_size
    masks = np.zeros((vectors, taps + 1), dtype=np.uint16)
    for p in range(min(n * pixels, vectors * simd.LANES)):
        i, j = (p % pixels) // q_size, p % q_size
        v, bit = p // simd.LANES, np.uint16(1 << (p % simd.LANES))
        masks[v, taps] |= bit
        for t in range(taps):
            if 0 <= i * sh + rows[t] < h and 0 <= j * sw + columns[t] < w:
                masks[v, t] |= bit
    return masks


def lane_masks(n, out_size, in_size, stride=(1, 1), rows=ROWS3, columns=COLUMNS3):
    """The lane masks of a batch of n images, flat, with room for every tile (cached); by
    default those of a 3x3, stride-1, padding-1 convolution. rows, columns: where each tap
    reads, relative to stride * (output row, column)."""
    key = (n, tuple(out_size), tuple(in_size), tuple(stride), tuple(rows), tuple(columns))
    if key not in _masks:
        if len(_masks) > 16:
            _masks.clear()
        vectors = -(-n * out_size[0] * out_size[1] // TILE) * PV
        _masks[key] = _lane_masks(n, *out_size, *in_size, *stride, np.array(rows, np.int64),
                                  np.array(columns, np.int64), vectors).reshape(-1)
    return _masks[key]


def pack(w, flip=False):
    """w (K, C, R, S) -> flat packed weights (K'/KB blocks, then per C_BLOCK channels
    (R*S taps, c, KB)); K' = K, or C with flip (the 3x3 kernel of backward-data). Missing
    channels of the last block are zeros."""
    taps = w.shape[2] * w.shape[3]
    wt = w.reshape(w.shape[0], w.shape[1], taps)
    if flip:
        wt = wt[:, :, ::-1].transpose(1, 0, 2)
    k, c = wt.shape[:2]
    blocks = -(-k // KB)
    padded = np.zeros((blocks * KB, c, taps), dtype=np.float32)
    padded[:k] = wt
    out = np.empty((blocks, c * taps * KB), dtype=np.float32)
    for c0 in range(0, c, C_BLOCK):
        c1 = min(c, c0 + C_BLOCK)
        part = padded[:, c0:c1].reshape(blocks, KB, c1 - c0, taps).transpose(0, 3, 2, 1)
        out[:, c0 * taps * KB:c1 * taps * KB] = part.reshape(blocks, -1)
    return out


@njit(nogil=True, cache=True)
def _convolve(x, wp, y, masks, offsets, c, k, plane, chunk, halo, p_lo, p_hi, b_lo, b_hi):
    """y (k, plane) = conv(x (c, plane), or phases of it) over output pixels p_lo..p_hi-1
    (multiples of TILE) and output-channel blocks b_lo..b_hi-1. halo > 0 (stride 1 only):
    each chunk's input rows, halo pixels either side, are first copied to this thread's
    scratch, rows not 4 KB apart."""
    taps = offsets.size
    stride = (chunk + 2 * halo + 31) // 16 * 16
    xs = np.zeros(c * stride if halo > 0 else 0, dtype=np.float32)
    for q0 in range(p_lo, p_hi, chunk):
        q1 = min(p_hi, q0 + chunk)
        if halo > 0:
            lo, hi = max(0, q0 - halo), min(plane, q1 + halo)
            for ci in range(c):
                row = ci * stride
                simd.fill_zero(xs, row, lo - q0 + halo)
                simd.copy(xs, row + lo - q0 + halo, x, ci * plane + lo, hi - lo)
                simd.fill_zero(xs, row + hi - q0 + halo, stride - (hi - q0 + halo))
        for b in range(b_lo, b_hi):
            k_count = min(KB, k - b * KB)
            yb = y[b * KB * plane:]
            for c0 in range(0, c, C_BLOCK):
                cn = min(C_BLOCK, c - c0)
                wb = wp[b, c0 * taps * KB:]
                for p0 in range(q0, q1, TILE):
                    if halo > 0:
                        tile(xs[c0 * stride:], wb, yb, masks, offsets, p0, p0 - q0 + halo,
                             stride, cn, plane, k_count, c0, taps)
                    else:
                        tile(x[c0 * plane:], wb, yb, masks, offsets, p0, p0, plane, cn, plane,
                             k_count, c0, taps)


@njit(parallel=True, nogil=True, cache=True)
def _convolve_tasks(x, wp, y, masks, offsets, c, k, plane, chunk, halo, tasks):
    """_convolve for each task (p_lo, p_hi, b_lo, b_hi), one per thread (threads.py)."""
    for t in prange(tasks.shape[0]):
        _convolve(x, wp, y, masks, offsets, c, k, plane, chunk, halo, tasks[t, 0], tasks[t, 1],
                  tasks[t, 2], tasks[t, 3])


def _tasks(plane, k, chunk):
    """One (p_lo, p_hi, b_lo, b_hi) per thread: pixel ranges, or on small maps blocks of
    output channels."""
    tiles, blocks, n = -(-plane // TILE), -(-k // KB), threads.count()
    if tiles >= MIN_TILES * n or blocks < n:
        cuts = [i * tiles // n * TILE for i in range(n + 1)]
        return [(cuts[i], cuts[i + 1], 0, blocks) for i in range(n) if cuts[i] < cuts[i + 1]]
    cuts = [i * blocks // n for i in range(n + 1)]
    return [(0, tiles * TILE, cuts[i], cuts[i + 1]) for i in range(n) if cuts[i] < cuts[i + 1]]


def convolve(x, c, out_shape, wp, k, masks, offsets, halo=0):
    """x: C channels of N*P*Q pixels, flat (or several phases of them, as offsets say);
    packed weights of K output channels -> y (K, N, P, Q). halo: see _convolve."""
    plane = int(np.prod(out_shape))
    chunk = max(TILE, CHUNK_BYTES // (4 * min(c, C_BLOCK)) // TILE * TILE)
    y = np.empty(k * plane, dtype=np.float32)
    tasks = _tasks(plane, k, chunk)
    if threads.native():
        _convolve_tasks(x, wp, y, masks, offsets, c, k, plane, chunk, halo,
                        threads.task_array(tasks))
    else:
        def work(task):
            _convolve(x, wp, y, masks, offsets, c, k, plane, chunk, halo, *task)
        threads.parallel(work, tasks, numba_only=True)
    return y.reshape((k,) + tuple(out_shape))


def _same(xc, wp, k):
    """(C, N, H, W) -> (K, N, H, W): 3x3, stride 1, padding 1."""
    c, n, h, w = xc.shape
    offsets = np.array([r * w + s for r, s in zip(ROWS3, COLUMNS3)], np.int64)
    # copying the input rows pays from 32 channels on (benchmarks/RESULTS.md)
    halo = (w + 1 + simd.LANES - 1) // simd.LANES * simd.LANES if c > 16 else 0
    return convolve(xc.reshape(-1), c, (n, h, w), wp, k, lane_masks(n, (h, w), (h, w)),
                    offsets, halo)


def conv2d_forward(x, w):
    """(N, C, H, W), (K, C, 3, 3) float32 -> (N, K, H, W), stored channel-major."""
    return layout.from_channel_major(_same(layout.channel_major(x), pack(w), w.shape[0]))


def conv2d_backward_data(gy, w):
    """(N, K, H, W), (K, C, 3, 3) float32 -> gx (N, C, H, W), stored channel-major."""
    gx = _same(layout.channel_major(gy), pack(w, flip=True), w.shape[1])
    return layout.from_channel_major(gx)
