"""The weight gradient of a 3x3, padding-1 convolution (stride 1 or 2) in float32 with a
multiple of 16 output channels, computed directly by the tiles of conv_direct_weight_oc_tile.py,
which vectorise over output channels:

    gw[k, c, r, s] = sum over output pixels (m, i, j) of
                     gy[k, m, i, j] * x[c, m, i*stride + r - 1, j*stride + s - 1]   (0 outside)

Each thread takes a range of images and walks it a few images at a time (as many as fill about
CHUNK_BYTES). Per chunk it copies x into scratch memory with a zero border around every image
(so that the tile needs no masks), and gy pixel-major in blocks of KB output channels (so
that one pixel's KB gradients are KB / 16 vectors); then, for every block of output channels and
every input channel (two at a time when KB = 16), the tile adds the chunk's tap sums to one float
per (k, c, tap). The threads' sums are added at the end. KB = 32 where the output channels are a
multiple of 32, else 16 (the tile for two input channels then needs an even number of them).

A kernel ROW_TAPS = 7 wide (ResNet's 7x7/2 stem, padding 3), any height, padding and stride, is
summed one kernel row at a time by the row tile (conv2d_backward_weight_rows): per image, x with
its zero border, and gy pixel-major one band of output rows at a time (BAND_BYTES, so that the
tile's 3 channels x 7 rows of passes over it read it from L2).
"""
import numpy as np

from . import simd, threads
from .conv_direct_weight_oc_tile import ROW_TAPS, TAPS, row_tile_32, tile_16x2, tile_32x1
from .layout import channel_major
from .numba_setup import njit, prange

CHUNK_BYTES = 256 << 10  # padded x and pixel-major gy of one chunk stay in L2
BAND_BYTES = 256 << 10  # the row tile's pixel-major gy of one band of output rows, in L2


def applies(x_shape, w_shape, stride, padding, dtype):
    """True for what this module computes: 3x3, padding 1, stride 1 or 2 (both ways alike),
    float32, on a machine with AVX-512, a multiple of 32 output channels, or of 16 with an even
    number of input channels."""
    k, c = w_shape[:2]
    return (simd.HAS_AVX512 and np.dtype(dtype) == np.float32 and tuple(w_shape[2:]) == (3, 3)
            and tuple(padding) == (1, 1) and tuple(stride) in ((1, 1), (2, 2))
            and (k % 32 == 0 or (k % 16 == 0 and c % 2 == 0)))


def applies_rows(x_shape, w_shape, stride, padding, dtype):
    """True for what conv2d_backward_weight_rows computes: a kernel ROW_TAPS wide (any height,
    padding and stride, the same stride both ways), float32, a multiple of 32 output channels,
    on a machine with AVX-512."""
    k, c, r, s = w_shape
    return (simd.HAS_AVX512 and np.dtype(dtype) == np.float32 and s == ROW_TAPS
            and k % 32 == 0 and stride[0] == stride[1])


def block(k):
    """Output channels per tile: 32 where they are a multiple of 32, else 16."""
    return 32 if k % 32 == 0 else 16


@njit(nogil=True, cache=True)
def pad_images(x, m0, m1, xp):
    """xp (C, M, H+2*ph, W+2*pw): images m0..m1-1 of x (C, N, H, W) inside its zero border, ph
    rows and pw columns wide (as xp's shape says: 1 and 1 for a 3x3 kernel)."""
    c, n, h, w = x.shape
    xs, xps = x.reshape(-1), xp.reshape(-1)
    rows, width = xp.shape[2], xp.shape[3]
    ph, pw = (rows - h) // 2, (width - w) // 2
    for ci in range(c):
        for m in range(m0, m1):
            for i in range(h):
                simd.copy(xps, ((ci * xp.shape[1] + m - m0) * rows + i + ph) * width + pw,
                          xs, ((ci * n + m) * h + i) * w, w)


@njit(nogil=True, cache=True)
def pixel_major(rows, p0, p1, blocks, back):
    """Pixels p0..p1-1 between rows (K, N*P*Q), channel-major, and blocks (K/KB, pixels, KB),
    pixel-major with KB channels per block: blocks = rows' pixels, or with back=True rows'
    pixels = blocks. In 16x16 blocks transposed in registers, the last < 16 pixels one by one."""
    full = p0 + (p1 - p0) // simd.LANES * simd.LANES
    rs, bs = rows.reshape(-1), blocks.reshape(-1)
    stride, kb_size = rows.shape[1], blocks.shape[2]
    for kb in range(blocks.shape[0]):
        for half in range(0, kb_size, simd.LANES):
            k0 = kb * kb_size + half
            for p in range(p0, full, simd.LANES):
                r_at, b_at = k0 * stride + p, (kb * blocks.shape[1] + p - p0) * kb_size + half
                if back:
                    simd.transpose_block(rs, r_at, stride, bs, b_at, kb_size)
                else:
                    simd.transpose_block(bs, b_at, kb_size, rs, r_at, stride)
            for kk in range(simd.LANES):
                for p in range(full, p1):
                    if back:
                        rows[k0 + kk, p] = blocks[kb, p - p0, half + kk]
                    else:
                        blocks[kb, p - p0, half + kk] = rows[k0 + kk, p]


@njit(nogil=True, cache=True)
def _weight_sums(x, gy, acc, p_size, q_size, stride, m_lo, m_hi, chunk):
    """acc (K/KB, C, TAPS*KB) += the tap sums over images m_lo..m_hi-1, at most `chunk` images
    at a time; x (C, N, H, W), gy (K, N*P*Q)."""
    chunk = max(1, min(chunk, m_hi - m_lo))
    c, h, w = x.shape[0], x.shape[2], x.shape[3]
    blocks, image, kb_size = acc.shape[0], p_size * q_size, acc.shape[2] // TAPS
    xp = np.zeros((c, chunk, h + 2, w + 2), dtype=np.float32)
    gt = np.empty((blocks, chunk * image, kb_size), dtype=np.float32)
    x_image, x_channel = (h + 2) * (w + 2), chunk * (h + 2) * (w + 2)
    for m0 in range(m_lo, m_hi, chunk):
        m1 = min(m_hi, m0 + chunk)
        pad_images(x, m0, m1, xp)
        pixel_major(gy, m0 * image, m1 * image, gt, False)
        for kb in range(blocks):
            g = gt[kb].reshape(-1)
            if kb_size == 32:
                for ci in range(c):
                    tile_32x1(xp[ci].reshape(-1), g, acc[kb, ci], m1 - m0, p_size, q_size,
                              stride, x_image, w + 2, x_channel)
            else:
                for ci in range(0, c, 2):
                    tile_16x2(xp[ci:].reshape(-1), g, acc[kb, ci:].reshape(-1), m1 - m0,
                              p_size, q_size, stride, x_image, w + 2, x_channel)


@njit(parallel=True, nogil=True, cache=True)
def _weight_sums_tasks(x, gy, accs, p_size, q_size, stride, tasks, chunk):
    """accs[t] = _weight_sums over task t (m_lo, m_hi) of images, one per thread (threads.py)."""
    for t in prange(tasks.shape[0]):
        _weight_sums(x, gy, accs[t], p_size, q_size, stride, tasks[t, 0], tasks[t, 1], chunk)


def _chunk(c, k, h, w, pq):
    """Images per chunk: padded x and pixel-major gy of CHUNK_BYTES, at least one image."""
    per_image = 4 * (c * (h + 2) * (w + 2) + k * pq)
    return max(1, CHUNK_BYTES // per_image)


def conv2d_backward_weight(gy, x, stride):
    """(N, K, P, Q), (N, C, H, W) float32 -> gw (K, C, 3, 3), C-contiguous."""
    xc, gc = channel_major(x), channel_major(gy)
    c, n, h, w = xc.shape
    k, _, p, q = gc.shape
    kb = block(k)
    blocks = k // kb
    chunk = _chunk(c, k, h, w, p * q)
    tasks, rows = threads.ranges(n, 1), gc.reshape(k, -1)
    accs = np.zeros((len(tasks), blocks, c, TAPS * kb), dtype=np.float32)  # one per task
    if threads.native():
        _weight_sums_tasks(xc, rows, accs, p, q, stride[0], threads.task_array(tasks), chunk)
    else:
        def work(t):
            _weight_sums(xc, rows, accs[t], p, q, stride[0], *tasks[t], chunk)
        threads.parallel(work, range(len(tasks)), numba_only=True)
    return _weight_from_sums(accs, (k, c, 3, 3), kb)


def _weight_from_sums(accs, w_shape, kb):
    """gw (K, C, R, S), C-contiguous, from the tasks' partial sums accs (tasks, K/kb, C, ...,
    kb), each block's kb output channels last."""
    k, c, r, s = w_shape
    sums = accs.sum(axis=0).reshape(k // kb, c, r, s, kb).transpose(0, 4, 1, 2, 3)
    return np.ascontiguousarray(sums.reshape(k, c, r, s))


@njit(nogil=True, cache=True)
def _row_sums(x, gy, acc, p_size, q_size, stride, m_lo, m_hi, pad_h, pad_w, band):
    """acc (K/32, C, R, ROW_TAPS*32) += the tap sums over images m_lo..m_hi-1, kernel row by
    kernel row, one image and `band` output rows at a time; x (C, N, H, W), gy (K, N*P*Q)."""
    c, h, w = x.shape[0], x.shape[2], x.shape[3]
    blocks, r_size, image = acc.shape[0], acc.shape[2], p_size * q_size
    width = w + 2 * pad_w
    xp = np.zeros((c, 1, h + 2 * pad_h, width), dtype=np.float32)
    gt = np.empty((blocks, band * q_size, 32), dtype=np.float32)
    for m in range(m_lo, m_hi):
        pad_images(x, m, m + 1, xp)
        for p0 in range(0, p_size, band):
            p1 = min(p_size, p0 + band)
            pixel_major(gy, m * image + p0 * q_size, m * image + p1 * q_size, gt, False)
            for kb in range(blocks):
                g = gt[kb].reshape(-1)
                for ci in range(c):
                    xs = xp[ci].reshape(-1)
                    for r in range(r_size):
                        row_tile_32(xs[(p0 * stride + r) * width:], g, acc[kb, ci, r], p1 - p0,
                                    q_size, stride, width)


@njit(parallel=True, nogil=True, cache=True)
def _row_sums_tasks(x, gy, accs, p_size, q_size, stride, tasks, pad_h, pad_w, band):
    """accs[t] = _row_sums over task t (m_lo, m_hi) of images, one per thread (threads.py)."""
    for t in prange(tasks.shape[0]):
        _row_sums(x, gy, accs[t], p_size, q_size, stride, tasks[t, 0], tasks[t, 1], pad_h,
                  pad_w, band)


def conv2d_backward_weight_rows(gy, x, w_shape, stride, padding):
    """(N, K, P, Q), (N, C, H, W) float32 -> gw (K, C, R, ROW_TAPS), C-contiguous, for a kernel
    ROW_TAPS wide (ResNet's 7x7 stem): per image, band of output rows (BAND_BYTES of gy,
    pixel-major), block of 32 output channels, input channel and kernel row, the row tile adds
    up that row's 7 taps. (Through im2col the stem's columns are 147 floats per output pixel,
    7.4 MB an image, and its GEMM is 64 x 147 wide: half as fast.)"""
    xc, gc = channel_major(x), channel_major(gy)
    c, n, h, w = xc.shape
    k, _, p, q = gc.shape
    r = w_shape[2]
    band = max(1, BAND_BYTES // (4 * 32 * q))
    tasks, rows = threads.ranges(n, 1), gc.reshape(k, -1)
    accs = np.zeros((len(tasks), k // 32, c, r, ROW_TAPS * 32), dtype=np.float32)
    if threads.native():
        _row_sums_tasks(xc, rows, accs, p, q, stride[0], threads.task_array(tasks), *padding,
                        band)
    else:
        def work(t):
            _row_sums(xc, rows, accs[t], p, q, stride[0], *tasks[t], *padding, band)
        threads.parallel(work, range(len(tasks)), numba_only=True)
    return _weight_from_sums(accs, (k, c, r, ROW_TAPS), 32)
