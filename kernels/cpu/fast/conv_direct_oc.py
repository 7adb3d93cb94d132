"""3x3, padding-1 convolutions in float32 by output-channel vectors, with the tiles of
conv_direct_oc_tile.py, for a multiple of 32 output channels (16 for backward-data):

    forward              y  (K, N, P, Q) = conv(x (C, N, H, W), w (K, C, 3, 3)), stride 1 or 2
    stride-2 backward    gx (C, N, H, W): each gx pixel sums the gy pixels whose windows cover
    data                 it; by the parity of its row and column that is 1, 2, 2 or 4 taps of
                         w (_stride2_phases): four phases, each a small direct convolution of gy;
                         a multiple of 16 gx channels (in blocks of 32 where C allows, else 16)

Each thread takes a range of images and walks it a few images at a time (as many as fill about
CHUNK_BYTES). Per chunk it copies the input into scratch memory with a zero border around every
image (conv_direct_weight_oc.pad_images); then, per block of 32 output channels (whose packed
weights stay in L1 or L2), for every phase (the forward pass has one) the tiles run along its
output rows, in pieces of the widths they exist for, and store their sums pixel by pixel; at the
end of the chunk those are transposed, 16x16 in registers, into the channel-major output.
(conv.py takes the forward pass for stride 2 only: at stride 1 it measured as fast as
conv_direct.py, not faster.)
"""
import numpy as np

from . import simd, threads
from .conv_direct_oc_tile import (KB, TAPS, WIDTHS, tile16_1, tile16_4, tile16_7, tile16_8,
                                  tile16_12, tile_1, tile_4, tile_7, tile_8, tile_12)
from .conv_direct_weight_oc import pad_images, pixel_major
from .layout import channel_major, from_channel_major
from .numba_setup import njit, prange

CHUNK_BYTES = 256 << 10  # padded input and pixel-major output of one chunk stay in L2


def applies(x_shape, w_shape, stride, padding, dtype):
    """True for the forward pass this module computes: 3x3, padding 1, stride 1 or 2 (both ways
    alike), float32, a multiple of 32 output channels, on a machine with AVX-512."""
    return (simd.HAS_AVX512 and np.dtype(dtype) == np.float32 and tuple(w_shape[2:]) == (3, 3)
            and tuple(padding) == (1, 1) and tuple(stride) in ((1, 1), (2, 2))
            and w_shape[0] % KB == 0)


def applies_backward_data(x_shape, w_shape, stride, padding, dtype):
    """True for the backward-data pass this module computes: 3x3, padding 1, stride 2, float32,
    a multiple of 16 input channels (its output channels), on a machine with AVX-512."""
    return (simd.HAS_AVX512 and np.dtype(dtype) == np.float32 and tuple(w_shape[2:]) == (3, 3)
            and tuple(padding) == (1, 1) and tuple(stride) == (2, 2)
            and w_shape[1] % simd.LANES == 0)


def block_width(channels):
    """The output channels per tile for `channels` of them: 32 where they divide, else 16."""
    return KB if channels % KB == 0 else simd.LANES


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


def pack(w, kb=KB):
    """w (K, C, 3, 3) -> (K/kb, C, 9, kb) float32, C-contiguous: the weights of each block of
    kb output channels, per input channel and tap."""
    k, c = w.shape[:2]
    return np.ascontiguousarray(w.reshape(k // kb, kb, c, TAPS).transpose(0, 2, 3, 1),
                                dtype=np.float32)


@njit(nogil=True, cache=True)
def _row16(xp, wp, yt, taps, slots, x_start, y_start, cuts, channels, x_channel, x_step,
           y_step):
    """_row with the tiles of 16 output channels."""
    for t in range(cuts.shape[0]):
        j, pw = cuts[t, 0], cuts[t, 1]
        xs, ys = x_start + j * x_step, y_start + j * y_step
        if pw == 12:
            tile16_12(xp, wp, yt[ys:], taps, slots, xs, channels, x_channel, x_step, y_step)
        elif pw == 8:
            tile16_8(xp, wp, yt[ys:], taps, slots, xs, channels, x_channel, x_step, y_step)
        elif pw == 7:
            tile16_7(xp, wp, yt[ys:], taps, slots, xs, channels, x_channel, x_step, y_step)
        elif pw == 4:
            tile16_4(xp, wp, yt[ys:], taps, slots, xs, channels, x_channel, x_step, y_step)
        else:
            tile16_1(xp, wp, yt[ys:], taps, slots, xs, channels, x_channel, x_step, y_step)


@njit(nogil=True, cache=True)
def _row(xp, wp, yt, taps, slots, x_start, y_start, cuts, channels, x_channel, x_step, y_step):
    """The tiles (of KB output channels) of one output row: pieces cuts (start, width), outputs
    from yt[y_start]."""
    for t in range(cuts.shape[0]):
        j, pw = cuts[t, 0], cuts[t, 1]
        xs, ys = x_start + j * x_step, y_start + j * y_step
        if pw == 12:
            tile_12(xp, wp, yt[ys:], taps, slots, xs, channels, x_channel, x_step, y_step)
        elif pw == 8:
            tile_8(xp, wp, yt[ys:], taps, slots, xs, channels, x_channel, x_step, y_step)
        elif pw == 7:
            tile_7(xp, wp, yt[ys:], taps, slots, xs, channels, x_channel, x_step, y_step)
        elif pw == 4:
            tile_4(xp, wp, yt[ys:], taps, slots, xs, channels, x_channel, x_step, y_step)
        else:
            tile_1(xp, wp, yt[ys:], taps, slots, xs, channels, x_channel, x_step, y_step)


class Phase:
    """One set of output pixels that the same taps compute: output rows row0, row0 + row_step,
    ... (rows of them), columns col0, col0 + col_step, ... (cols of them); the input pixel of
    tap t for the a-th row and b-th column is xpad[a * x_row_step + b * x_step + taps[t]]
    (padded coordinates, flat within an image), its weights at slots[t] of each input channel's
    9 * kb (kb: the output channels per tile)."""

    def __init__(self, taps, slots, rows, cols, row0, row_step, col0, col_step, x_row_step,
                 x_step):
        self.taps, self.slots = np.array(taps, np.int64), np.array(slots, np.int64)
        self.geometry = np.array([rows, row0, row_step, col0, col_step, x_row_step, x_step],
                                 np.int64)
        self.cuts = pieces(cols)


@njit(nogil=True, cache=True)
def _phase(xps, wb, yb, taps, slots, geometry, cuts, m, x_image, out_h, out_w, c, x_channel,
           kb):
    """The tiles of one phase (Phase.geometry, unpacked) over image m of the chunk; kb output
    channels per tile."""
    rows, row0, row_step, col0, col_step, x_row_step, x_step = geometry
    for a in range(rows):
        y_pixel = (m * out_h + row0 + a * row_step) * out_w + col0
        if kb == KB:
            _row(xps, wb, yb, taps, slots, m * x_image + a * x_row_step, y_pixel * kb, cuts, c,
                 x_channel, x_step, col_step * kb)
        else:
            _row16(xps, wb, yb, taps, slots, m * x_image + a * x_row_step, y_pixel * kb, cuts,
                   c, x_channel, x_step, col_step * kb)


@njit(nogil=True, cache=True)
def _convolve(x, wp, y, out_h, out_w, taps, slots, counts, geometry, cuts, cut_counts, m_lo,
              m_hi, chunk):
    """y (K, N*out_h*out_w)'s images m_lo..m_hi-1 from x (C, N, H, W) and packed wp (K/kb, C,
    9, kb), by the phases given as arrays (phase f: taps[f, :counts[f]], slots likewise,
    geometry[f], cuts[f, :cut_counts[f]]), at most `chunk` images at a time."""
    chunk = max(1, min(chunk, m_hi - m_lo))
    c, h, w = x.shape[0], x.shape[2], x.shape[3]
    blocks, kb, image = wp.shape[0], wp.shape[3], out_h * out_w
    xp = np.zeros((c, chunk, h + 2, w + 2), dtype=np.float32)
    yt = np.empty((blocks, chunk * image, kb), dtype=np.float32)
    x_image, x_channel = (h + 2) * (w + 2), chunk * (h + 2) * (w + 2)
    xps = xp.reshape(-1)
    for m0 in range(m_lo, m_hi, chunk):
        m1 = min(m_hi, m0 + chunk)
        pad_images(x, m0, m1, xp)
        for b in range(blocks):
            wb, yb = wp[b].reshape(-1), yt[b].reshape(-1)
            for m in range(m1 - m0):
                for f in range(counts.size):
                    _phase(xps, wb, yb, taps[f, :counts[f]], slots[f, :counts[f]],
                           geometry[f], cuts[f, :cut_counts[f]], m, x_image, out_h, out_w, c,
                           x_channel, kb)
        pixel_major(y, m0 * image, m1 * image, yt, True)  # back to channel-major rows


@njit(parallel=True, nogil=True, cache=True)
def _convolve_tasks(x, wp, y, out_h, out_w, taps, slots, counts, geometry, cuts, cut_counts,
                    tasks, chunk):
    """_convolve for each task (m_lo, m_hi) of images, one per thread (threads.py)."""
    for t in prange(tasks.shape[0]):
        _convolve(x, wp, y, out_h, out_w, taps, slots, counts, geometry, cuts, cut_counts,
                  tasks[t, 0], tasks[t, 1], chunk)


def _chunk(c, k, h, w, pq):
    """Images per chunk: padded input and pixel-major output of CHUNK_BYTES, at least one."""
    return max(1, CHUNK_BYTES // (4 * (c * (h + 2) * (w + 2) + k * pq)))


def convolve(xc, wp, out_size, phases):
    """xc (C, N, H, W) C-contiguous, wp packed (K/kb, C, 9, kb) -> y (K, N, *out_size), every
    output pixel in one of the phases (whose slots count in units of kb)."""
    c, n, h, w = xc.shape
    k = wp.shape[0] * wp.shape[3]
    y = np.empty((k, n * out_size[0] * out_size[1]), dtype=np.float32)
    chunk = _chunk(c, k, h, w, out_size[0] * out_size[1])
    counts = np.array([f.taps.size for f in phases], np.int64)
    cut_counts = np.array([len(f.cuts) for f in phases], np.int64)
    taps, slots = np.zeros((2, len(phases), counts.max()), np.int64)
    cuts = np.zeros((len(phases), cut_counts.max(), 2), np.int64)
    for i, f in enumerate(phases):
        taps[i, :counts[i]], slots[i, :counts[i]] = f.taps, f.slots
        cuts[i, :cut_counts[i]] = f.cuts
    geometry = np.stack([f.geometry for f in phases])
    tasks = threads.ranges(n, 1)
    if threads.native():
        _convolve_tasks(xc, wp, y, *out_size, taps, slots, counts, geometry, cuts, cut_counts,
                        threads.task_array(tasks), chunk)
    else:
        def work(task):
            _convolve(xc, wp, y, *out_size, taps, slots, counts, geometry, cuts, cut_counts,
                      task[0], task[1], chunk)
        threads.parallel(work, tasks, numba_only=True)
    return y.reshape((k, n) + tuple(out_size))


def conv2d_forward(x, w, stride):
    """(N, C, H, W), (K, C, 3, 3) float32 -> (N, K, P, Q), stored channel-major: one phase,
    every output pixel, 9 taps."""
    n, c, h, wd = x.shape
    s = stride[0]
    p, q = (h - 1) // s + 1, (wd - 1) // s + 1
    row = wd + 2
    phase = Phase([r * row + t for r in range(3) for t in range(3)], np.arange(TAPS) * KB,
                  p, q, 0, 1, 0, 1, s * row, s)
    return from_channel_major(convolve(channel_major(x), pack(w), (p, q), [phase]))


def _stride2_phases(h, w, p, q, kb=KB):
    """The four phases of a 3x3, stride-2, padding-1 convolution's backward-data: output pixel
    (u, v) = (2a + pu, 2b + pv) receives gy[i, j] through tap (r, s) where u = 2i + r - 1, so
    pu = 0 takes r = 1 (i = a), pu = 1 takes r = 0 (i = a + 1) and r = 2 (i = a); columns
    alike. 1, 2, 2 and 4 taps: 9 in all for 4 pixels. gy is padded by one (i + 1, j + 1);
    weights packed for kb output channels per tile."""
    row = q + 2
    phases = []
    for pu in (0, 1):
        for pv in (0, 1):
            rows_r = (1,) if pu == 0 else (0, 2)
            cols_s = (1,) if pv == 0 else (0, 2)
            taps = [(1 + (pu + 1 - r) // 2) * row + 1 + (pv + 1 - s) // 2
                    for r in rows_r for s in cols_s]
            slots = [(3 * r + s) * kb for r in rows_r for s in cols_s]
            rows, cols = (h - pu + 1) // 2, (w - pv + 1) // 2
            if rows and cols:
                phases.append(Phase(taps, slots, rows, cols, pu, 2, pv, 2, row, 1))
    return phases


def conv2d_backward_data_stride2(gy, w, x_shape):
    """(N, K, P, Q), (K, C, 3, 3) float32 -> gx (N, C, H, W) of the 3x3, stride-2, padding-1
    convolution (the adjoint of its forward), stored channel-major: the four phases of
    _stride2_phases, with the weights packed for C output channels (not flipped: each phase
    names its taps), in blocks of block_width(C)."""
    n, c, h, wd = x_shape
    kb = block_width(c)
    wt = np.ascontiguousarray(w.transpose(1, 0, 2, 3))  # (C, K, 3, 3)
    phases = _stride2_phases(h, wd, gy.shape[2], gy.shape[3], kb)
    return from_channel_major(convolve(channel_major(gy), pack(wt, kb), (h, wd), phases))
