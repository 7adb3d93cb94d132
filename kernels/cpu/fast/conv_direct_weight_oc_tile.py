"""The micro-kernels of the direct 3x3 weight gradient by output-channel vectors
(conv_direct_weight_oc.py): for a block of KB output channels k and one or two input channels
c, the 9 tap sums over the output pixels of a few images,

    gw[k, c, r, s] = sum over output pixels (m, i, j) of
                     gy[k, m, i, j] * xpad[c, m, i*stride + r, j*stride + s]

where xpad is x with one zero row and column around each image (padding 1). Vectorised over
the output channels: the caller stores gy pixel by pixel, the block's KB channels contiguous,
so that one pixel's gradients are KB / 16 vectors; each x value is one float broadcast to 16
lanes, and every (input channel, tap, vector) has its own accumulator, which holds 16 output
channels' sums. Two shapes, 18 accumulators each:

    tile_32x1   KB = 32, one input channel:   per pixel 2 vector + 9 broadcast loads, 18 FMAs
    tile_16x2   KB = 16, two input channels:  per pixel 1 vector + 18 broadcast loads, 18 FMAs

No lane masks (the zeros are in xpad) and no sums across lanes: at the end the tile adds its
accumulators to acc in memory, so that a batch can be summed a few images at a time.

Wider kernels take a third shape, one kernel row at a time (the caller points xp at that row):

    row_tile_32 KB = 32, one input channel, one row of ROW_TAPS = 7 taps:
                per pixel 2 vector + 7 broadcast loads, 14 FMAs

(The pixel-vectorised tile, conv_direct_weight_tile.py, needs 18 loads, 2 of them masked, for
27 FMAs and a sum across the lanes of every accumulator; it stays in use where the output
channels are not a multiple of 16.)
"""
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from . import simd

TAPS = 9


def _pixel(builder, gp, g_at, xp, x_at, taps, accs, kv):
    """One output pixel's FMAs: its kv gradient vectors (from gp[g_at]) times the input at
    x_at + each tap's offset (broadcast), into accs[t * kv + v] for tap t and vector v."""
    gys = [simd.load(builder, simd.offset(builder, gp, builder.add(g_at, simd.I64(
        v * simd.LANES)))) for v in range(kv)]
    for t, tap in enumerate(taps):
        xs = simd.broadcast_load(builder, simd.offset(builder, xp, builder.add(x_at, tap)))
        for v in range(kv):
            j = t * kv + v
            builder.store(simd.fma(builder, gys[v], xs, builder.load(accs[j])), accs[j])


def _add_sums(builder, ap, accs):
    """acc[16 j: 16 j + 16] += accs[j] for every accumulator j, acc in memory at ap."""
    for j, a in enumerate(accs):
        part = simd.offset(builder, ap, j * simd.LANES)
        simd.store(builder, builder.fadd(simd.load(builder, part), builder.load(a)), part)


def _tile(kv, cw):
    """The tile for kv vectors of output channels (KB = 16 kv) and cw input channels: its
    9 * kv * cw accumulators, kv + 9 * cw loads per pixel for 9 * kv * cw FMAs."""
    kb = kv * simd.LANES

    def weight_oc_tile(typingctx, xp, gt, acc, images, rows, cols, stride, x_image, x_row,
                       x_channel):
        """acc (cw * TAPS * KB,) += the tap sums of cw input channels,
        acc[(ci * TAPS + 3 r + s) * KB + kk] for input channel ci, output channel kk of
        the block.

        xp: the first input channel, zero-padded: image m's padded row u, column v at
        xp[m * x_image + u * x_row + v], the next channels x_channel apart; gt: the block's
        gradient, output pixel (m, i, j) of the images x rows x cols output at
        gt[KB * ((m * rows + i) * cols + j) + kk].
        """
        signature = types.void(xp, gt, acc, *([types.int64] * 7))

        def codegen(context, builder, sig, args):
            xp, gp, ap = [simd.data_pointer(context, builder, t, a)
                          for t, a in zip(sig.args[:3], args[:3])]
            images, rows, cols, stride, x_image, x_row, x_channel = args[3:]
            i64 = simd.I64
            count = cw * TAPS * kv
            accs = [cgutils.alloca_once_value(builder, simd.zeros()) for _ in range(count)]
            taps = [builder.add(builder.mul(i64(ci), x_channel), builder.add(
                builder.mul(i64(r), x_row), i64(s)))  # tap t = ci * TAPS + 3 r + s
                for ci in range(cw) for r in range(3) for s in range(3)]
            with cgutils.for_range(builder, images) as image:
                with cgutils.for_range(builder, rows) as row:
                    x_start = builder.add(builder.mul(image.index, x_image),
                                          builder.mul(builder.mul(row.index, stride), x_row))
                    g_start = builder.mul(builder.add(builder.mul(image.index, rows),
                                                      row.index), cols)
                    with cgutils.for_range(builder, cols) as col:
                        x_at = builder.add(x_start, builder.mul(col.index, stride))
                        g_at = builder.mul(builder.add(g_start, col.index), i64(kb))
                        _pixel(builder, gp, g_at, xp, x_at, taps, accs, kv)
            _add_sums(builder, ap, accs)
            return context.get_dummy_value()
        return signature, codegen
    return intrinsic(weight_oc_tile)


tile_32x1 = _tile(2, 1)  # 32 output channels x 1 input channel: 18 accumulators
tile_16x2 = _tile(1, 2)  # 16 output channels x 2 input channels: 18 accumulators


def _row_tile(kv, width):
    """The tile for one row of `width` taps of one input channel and kv vectors of output
    channels (KB = 16 kv): its width * kv accumulators, kv + width loads per pixel for
    width * kv FMAs."""
    kb = kv * simd.LANES

    def weight_row_tile(typingctx, xp, gt, acc, rows, cols, stride, x_row):
        """acc (width * KB,) += the sums of one kernel row's taps s < width,
        acc[s * KB + kk] for output channel kk of the block: the sum over output pixels (i, j)
        of gt[KB * (i * cols + j) + kk] * xp[i * stride * x_row + j * stride + s].

        xp: the kernel row's first input row, zero-padded, rows x_row apart; gt: the block's
        gradient for rows x cols output pixels, pixel-major."""
        signature = types.void(xp, gt, acc, *([types.int64] * 4))

        def codegen(context, builder, sig, args):
            xp, gp, ap = [simd.data_pointer(context, builder, t, a)
                          for t, a in zip(sig.args[:3], args[:3])]
            rows, cols, stride, x_row = args[3:]
            i64 = simd.I64
            count = width * kv
            accs = [cgutils.alloca_once_value(builder, simd.zeros()) for _ in range(count)]
            with cgutils.for_range(builder, rows) as row:
                x_start = builder.mul(builder.mul(row.index, stride), x_row)
                g_start = builder.mul(row.index, cols)
                with cgutils.for_range(builder, cols) as col:
                    x_at = builder.add(x_start, builder.mul(col.index, stride))
                    g_at = builder.mul(builder.add(g_start, col.index), i64(kb))
                    _pixel(builder, gp, g_at, xp, x_at, [i64(tap) for tap in range(width)],
                           accs, kv)
            _add_sums(builder, ap, accs)
            return context.get_dummy_value()
        return signature, codegen
    return intrinsic(weight_row_tile)


ROW_TAPS = 7  # the taps of the row tile: a 7-wide kernel (ResNet's 7x7 stem)
row_tile_32 = _row_tile(2, ROW_TAPS)  # 32 output channels x 7 taps: 14 accumulators
