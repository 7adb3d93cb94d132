"""Direct 3x3, stride-1, padding-1 convolutions in float32 on channel-major activations:
forward and backward-data, both by the register-blocked tile of conv3x3_tile.py (the weight
gradient is in conv3x3_weight.py).

    forward          y  (K, N*H*W) = conv(x (C, N*H*W), w (K, C, 3, 3))
    backward data    gx (C, N*H*W) = conv(gy (K, N*H*W), w' (C, K, 3, 3)),
                     w'[c, k, r, s] = w[k, c, 2-r, 2-s]  (the same convolution, kernel flipped)

Each thread takes a range of output pixels (or, on small maps, of output-channel blocks). Its
pixels are cut into chunks whose input fits in L2; per chunk, per block of KB output channels
(whose packed weights stay in L1), the tiles run left to right. Wide inputs (ResNet's 512
channels) are summed C_BLOCK channels at a time, the later blocks adding to the output.
The lane masks of every 16-pixel vector (which taps fall in the padding) depend only on
(N, H, W) and are computed once per shape.
"""
import numpy as np

from . import layout, simd, threads
from .conv3x3_tile import KB, PV, TAPS, TILE, tile
from .numba_setup import njit

C_BLOCK = 32  # input channels per pass: the tile's input rows and weights stay in L1
CHUNK_BYTES = 256 << 10  # input pixels per chunk: C_BLOCK channels of them fill about a
                         # quarter of L2
MIN_TILES = 8  # tiles per thread at least, else threads split the output channels instead
_masks = {}


def applies(x_shape, w_shape, stride, padding, dtype):
    """True for the convolutions this module computes (3x3, stride 1, padding 1, float32) on a
    machine with AVX-512 (elsewhere LLVM's lowering of the vectors is correct but slow)."""
    return (simd.HAS_AVX512 and np.dtype(dtype) == np.float32 and tuple(w_shape[2:]) == (3, 3)
            and tuple(stride) == (1, 1) and tuple(padding) == (1, 1))


@njit(nogil=True, cache=True)
def _lane_masks(n, h, w, vectors):
    """(vectors, 9) uint16: bit j of [v, 3r+s] is set when pixel 16v+j exists and its tap (r, s)
    lies inside its image."""
    masks = np.zeros((vectors, TAPS), dtype=np.uint16)
    for p in range(min(n * h * w, vectors * simd.LANES)):
        i, j = (p % (h * w)) // w, p % w
        bit = np.uint16(1 << (p % simd.LANES))
        for r in range(3):
            for s in range(3):
                if 0 <= i + r - 1 < h and 0 <= j + s - 1 < w:
                    masks[p // simd.LANES, 3 * r + s] |= bit
    return masks


def lane_masks(n, h, w):
    """The lane masks of an (N, H, W) batch, flat, with room for every tile (cached)."""
    key = (n, h, w)
    if key not in _masks:
        if len(_masks) > 16:
            _masks.clear()
        vectors = -(-n * h * w // TILE) * PV
        _masks[key] = _lane_masks(n, h, w, vectors).reshape(-1)
    return _masks[key]


def pack(w, flip):
    """w (K, C, 3, 3) -> flat packed weights (K'/KB blocks, then per C_BLOCK channels (9, c, KB));
    K' = K (forward) or C (flip: the kernel of backward-data). Missing channels of the last
    block are zeros."""
    wt = w.reshape(w.shape[0], w.shape[1], TAPS)
    if flip:
        wt = wt[:, :, ::-1].transpose(1, 0, 2)
    k, c = wt.shape[:2]
    blocks = -(-k // KB)
    padded = np.zeros((blocks * KB, c, TAPS), dtype=np.float32)
    padded[:k] = wt
    out = np.empty((blocks, c * TAPS * KB), dtype=np.float32)
    for c0 in range(0, c, C_BLOCK):
        c1 = min(c, c0 + C_BLOCK)
        part = padded[:, c0:c1].reshape(blocks, KB, c1 - c0, TAPS).transpose(0, 3, 2, 1)
        out[:, c0 * TAPS * KB:c1 * TAPS * KB] = part.reshape(blocks, -1)
    return out


@njit(nogil=True, cache=True)
def _convolve(x, wp, y, masks, offsets, c, k, plane, chunk, p_lo, p_hi, b_lo, b_hi):
    """y (k, plane) = conv(x (c, plane)) over pixels p_lo..p_hi-1 (multiples of TILE) and
    output-channel blocks b_lo..b_hi-1."""
    for q0 in range(p_lo, p_hi, chunk):
        q1 = min(p_hi, q0 + chunk)
        for b in range(b_lo, b_hi):
            k_count = min(KB, k - b * KB)
            yb = y[b * KB * plane:]
            for c0 in range(0, c, C_BLOCK):
                cn = min(C_BLOCK, c - c0)
                xc = x[c0 * plane:]
                wb = wp[b, c0 * TAPS * KB:]
                for p0 in range(q0, q1, TILE):
                    tile(xc, wb, yb, masks, offsets, p0, p0, plane, cn, plane, k_count, c0)


def _tasks(plane, k, chunk):
    """One (p_lo, p_hi, b_lo, b_hi) per thread: pixel ranges, or on small maps blocks of
    output channels."""
    tiles, blocks, n = -(-plane // TILE), -(-k // KB), threads.count()
    if tiles >= MIN_TILES * n or blocks < n:
        cuts = [i * tiles // n * TILE for i in range(n + 1)]
        return [(cuts[i], cuts[i + 1], 0, blocks) for i in range(n) if cuts[i] < cuts[i + 1]]
    cuts = [i * blocks // n for i in range(n + 1)]
    return [(0, tiles * TILE, cuts[i], cuts[i + 1]) for i in range(n) if cuts[i] < cuts[i + 1]]


def convolve(xc, wp, k):
    """(C, N, H, W) C-contiguous, packed weights of K output channels -> (K, N, H, W)."""
    c, n, h, w = xc.shape
    plane = n * h * w
    masks = lane_masks(n, h, w)
    offsets = np.array([(r - 1) * w + (s - 1) for r in range(3) for s in range(3)], np.int64)
    chunk = max(TILE, CHUNK_BYTES // (4 * min(c, C_BLOCK)) // TILE * TILE)
    x, y = xc.reshape(-1), np.empty(k * plane, dtype=np.float32)

    def work(task):
        _convolve(x, wp, y, masks, offsets, c, k, plane, chunk, *task)
    threads.parallel(work, _tasks(plane, k, chunk))
    return y.reshape(k, n, h, w)


def conv2d_forward(x, w):
    """(N, C, H, W), (K, C, 3, 3) float32 -> (N, K, H, W), stored channel-major."""
    y = convolve(layout.channel_major(x), pack(w, flip=False), w.shape[0])
    return layout.from_channel_major(y)


def conv2d_backward_data(gy, w):
    """(N, K, H, W), (K, C, 3, 3) float32 -> gx (N, C, H, W), stored channel-major."""
    gx = convolve(layout.channel_major(gy), pack(w, flip=True), w.shape[1])
    return layout.from_channel_major(gx)

