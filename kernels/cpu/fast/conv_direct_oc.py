"""The forward pass of a 3x3, padding-1 convolution (stride 1 or 2) in float32 by output-channel
vectors, with the tiles of conv_direct_oc_tile.py, for a multiple of 32 output channels:

    y (K, N, P, Q) = conv(x (C, N, H, W), w (K, C, 3, 3))

(conv.py takes it for stride 2; at stride 1 it measured as fast as conv_direct.py, not faster.)

Each thread takes a range of images and walks it a few images at a time (as many as fill about
CHUNK_BYTES). Per chunk it copies the input into scratch memory with a zero border around every
image (conv_direct_weight_oc.pad_images); then, per block of 32 output channels (whose packed
weights stay in L1 or L2), the tiles run along every output row, in pieces of the widths they
exist for, and store their sums pixel by pixel; at the end of the chunk those are transposed,
16x16 in registers, into the channel-major output.
"""
import numpy as np

from . import simd, threads
from .conv_direct_oc_tile import KB, TAPS, WIDTHS, tile_1, tile_4, tile_7, tile_8, tile_12
from .conv_direct_weight_oc import pad_images
from .layout import channel_major, from_channel_major
from .numba_setup import njit

CHUNK_BYTES = 256 << 10  # padded input and pixel-major output of one chunk stay in L2


def applies(x_shape, w_shape, stride, padding, dtype):
    """True for the forward pass this module computes: 3x3, padding 1, stride 1 or 2 (both ways
    alike), float32, a multiple of 32 output channels, on a machine with AVX-512."""
    return (simd.HAS_AVX512 and np.dtype(dtype) == np.float32 and tuple(w_shape[2:]) == (3, 3)
            and tuple(padding) == (1, 1) and tuple(stride) in ((1, 1), (2, 2))
            and w_shape[0] % KB == 0)


def pieces(width):
    """An output row of `width` pixels cut into (start, width) pieces that have a tile: equal
    pieces of the widest width that divides the row, else greedily widest first."""
    for pw in WIDTHS[:-1]:
        if width % pw == 0:
            return np.array([(j, pw) for j in range(0, width, pw)], dtype=np.int64)
    out, j = [], 0
    for pw in WIDTHS:
        while width - j >= pw:
            out.append((j, pw))
            j += pw
    return np.array(out, dtype=np.int64).reshape(-1, 2)


def pack(w):
    """w (K, C, 3, 3) -> (K/KB, C, 9, KB) float32, C-contiguous: the weights of each block of
    KB output channels, per input channel and tap."""
    k, c = w.shape[:2]
    return np.ascontiguousarray(w.reshape(k // KB, KB, c, TAPS).transpose(0, 2, 3, 1),
                                dtype=np.float32)


@njit(nogil=True, cache=True)
def _row(xp, wp, yt, x_start, y_start, cuts, channels, x_channel, x_row, stride):
    """The tiles of one output row: pieces cuts (start, width), outputs from yt[y_start]."""
    for t in range(cuts.shape[0]):
        j, pw = cuts[t, 0], cuts[t, 1]
        xs, ys = x_start + j * stride, y_start + j * KB
        if pw == 12:
            tile_12(xp, wp, yt[ys:], xs, channels, x_channel, x_row, stride)
        elif pw == 8:
            tile_8(xp, wp, yt[ys:], xs, channels, x_channel, x_row, stride)
        elif pw == 7:
            tile_7(xp, wp, yt[ys:], xs, channels, x_channel, x_row, stride)
        elif pw == 4:
            tile_4(xp, wp, yt[ys:], xs, channels, x_channel, x_row, stride)
        else:
            tile_1(xp, wp, yt[ys:], xs, channels, x_channel, x_row, stride)


@njit(nogil=True, cache=True)
def _channel_major_rows(yt, p0, p1, y):
    """y (K, N*P*Q)'s pixels p0..p1-1 = yt (K/KB, pixels, KB); in 16x16 blocks transposed in
    registers, the last < 16 pixels one by one."""
    full = p0 + (p1 - p0) // simd.LANES * simd.LANES
    ys, yts = y.reshape(-1), yt.reshape(-1)
    plane = y.shape[1]
    for kb in range(yt.shape[0]):
        for half in range(0, KB, simd.LANES):
            k0 = kb * KB + half
            for p in range(p0, full, simd.LANES):
                simd.transpose_block(ys, k0 * plane + p, plane,
                                     yts, (kb * yt.shape[1] + p - p0) * KB + half, KB)
            for kk in range(simd.LANES):
                for p in range(full, p1):
                    y[k0 + kk, p] = yt[kb, p - p0, half + kk]


@njit(nogil=True, cache=True)
def _convolve(x, wp, y, p_size, q_size, stride, cuts, m_lo, m_hi, chunk):
    """y (K, N*P*Q)'s images m_lo..m_hi-1 = conv(x (C, N, H, W), packed wp)."""
    c, h, w = x.shape[0], x.shape[2], x.shape[3]
    blocks, image = wp.shape[0], p_size * q_size
    xp = np.zeros((c, chunk, h + 2, w + 2), dtype=np.float32)
    yt = np.empty((blocks, chunk * image, KB), dtype=np.float32)
    x_image, x_row, x_channel = (h + 2) * (w + 2), w + 2, chunk * (h + 2) * (w + 2)
    xps = xp.reshape(-1)
    for m0 in range(m_lo, m_hi, chunk):
        m1 = min(m_hi, m0 + chunk)
        pad_images(x, m0, m1, xp)
        for kb in range(blocks):
            wb, yb = wp[kb].reshape(-1), yt[kb].reshape(-1)
            for m in range(m1 - m0):
                for i in range(p_size):
                    _row(xps, wb, yb, m * x_image + i * stride * x_row,
                         ((m * p_size) + i) * q_size * KB, cuts, c, x_channel, x_row, stride)
        _channel_major_rows(yt, m0 * image, m1 * image, y)


def _chunk(c, k, h, w, pq):
    """Images per chunk: padded input and pixel-major output of CHUNK_BYTES, at least one."""
    return max(1, CHUNK_BYTES // (4 * (c * (h + 2) * (w + 2) + k * pq)))


def convolve(xc, wp, stride):
    """xc (C, N, H, W) C-contiguous, wp packed (K/KB, C, 9, KB) -> y (K, N, P, Q)."""
    c, n, h, w = xc.shape
    k = wp.shape[0] * KB
    p, q = (h - 1) // stride + 1, (w - 1) // stride + 1
    y = np.empty((k, n * p * q), dtype=np.float32)
    chunk = _chunk(c, k, h, w, p * q)
    cuts = pieces(q)

    def work(task):
        _convolve(xc, wp, y, p, q, stride, cuts, task[0], task[1],
                  max(1, min(chunk, task[1] - task[0])))
    threads.parallel(work, threads.ranges(n, 1))
    return y.reshape(k, n, p, q)


def conv2d_forward(x, w, stride):
    """(N, C, H, W), (K, C, 3, 3) float32 -> (N, K, P, Q), stored channel-major."""
    return from_channel_major(convolve(channel_major(x), pack(w), stride[0]))

