"""The micro-kernel of the direct 3x3 weight gradient by output-channel vectors
(conv_direct_weight_oc.py): for KB = 32 output channels k and one input channel c, the 9 tap
sums over the output pixels of a few images,

    gw[k, c, r, s] = sum over output pixels (m, i, j) of
                     gy[k, m, i, j] * xpad[c, m, i*stride + r, j*stride + s]

where xpad is x with one zero row and column around each image (padding 1). Vectorised over
the output channels: per pixel, gy's 32 channels are two 16-float vectors (the caller stores gy
pixel by pixel, 32 channels contiguous), each of the 9 x values is one float broadcast to 16
lanes, and the 18 fused multiply-adds go into 18 accumulators, one per (tap, vector), that
hold 16 output channels' sums each. So per pixel: 2 vector loads + 9 broadcast loads for 18
FMAs, no lane masks (the zeros are in xpad) and no sums across lanes at the end; the tile
adds its accumulators to acc in memory, so that a batch can be summed a few images at a time.

(The pixel-vectorised tile, conv_direct_weight_tile.py, needs 18 loads, 2 of them masked, for
27 FMAs and a sum across the lanes of every accumulator; it stays in use where there are fewer
than 32 output channels.)
"""
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from . import simd

KV = 2  # 16-float vectors of output channels per tile
KB = KV * simd.LANES  # output channels per tile
TAPS = 9


@intrinsic
def weight_oc_tile(typingctx, xp, gt, acc, images, rows, cols, stride, x_image, x_row):
    """acc (TAPS * KB,) += the tap sums of one input channel, acc[KB * (3 r + s) + kk] for
    output channel kk of the block.

    xp: the input channel, zero-padded: image m's padded row u, column v at
    xp[m * x_image + u * x_row + v]; gt: the block's gradient, output pixel (m, i, j) of the
    images x rows x cols output at gt[KB * ((m * rows + i) * cols + j) + kk].
    """
    signature = types.void(xp, gt, acc, *([types.int64] * 6))

    def codegen(context, builder, sig, args):
        xp, gp, ap = [simd.data_pointer(context, builder, t, a)
                      for t, a in zip(sig.args[:3], args[:3])]
        images, rows, cols, stride, x_image, x_row = args[3:]
        i64 = simd.I64
        accs = [cgutils.alloca_once_value(builder, simd.zeros()) for _ in range(TAPS * KV)]
        taps = [builder.add(builder.mul(i64(r), x_row), i64(s))
                for r in range(3) for s in range(3)]
        with cgutils.for_range(builder, images) as image:
            with cgutils.for_range(builder, rows) as row:
                x_start = builder.add(builder.mul(image.index, x_image),
                                      builder.mul(builder.mul(row.index, stride), x_row))
                g_start = builder.mul(builder.add(builder.mul(image.index, rows), row.index),
                                      cols)
                with cgutils.for_range(builder, cols) as col:
                    x_at = builder.add(x_start, builder.mul(col.index, stride))
                    g_at = builder.mul(builder.add(g_start, col.index), i64(KB))
                    gys = [simd.load(builder, simd.offset(builder, gp, builder.add(
                        g_at, i64(v * simd.LANES)))) for v in range(KV)]
                    for t in range(TAPS):
                        xs = simd.broadcast_load(builder, simd.offset(
                            builder, xp, builder.add(x_at, taps[t])))
                        for v in range(KV):
                            j = t * KV + v
                            builder.store(simd.fma(builder, gys[v], xs, builder.load(accs[j])),
                                          accs[j])
        for j in range(TAPS * KV):  # acc[16 j: 16 j + 16] += accs[j]
            part = simd.offset(builder, ap, j * simd.LANES)
            simd.store(builder, builder.fadd(simd.load(builder, part), builder.load(accs[j])),
                       part)
        return context.get_dummy_value()
    return signature, codegen
