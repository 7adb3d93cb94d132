"""The micro-kernel of the direct 3x3 weight gradient (conv_direct_weight.py): for KW output
channels k and one input channel c, the 9 tap sums over a range of pixels,

    gw[k, c, r, s] = sum over pixels p of  gy[k, p] * x[c, p + (r-1)*W + (s-1)]

with x = 0 in the padding. Vectorised over 16 consecutive pixels p (as the forward tile,
conv_direct_tile.py). Tap (r, s) pairs gy at pixel p with x at p + (r-1)*W + (s-1); what the
padding would zero is zeroed two ways:

    the column (s = 0 or 2): the x load is masked with the lane mask of tap (1, s), which
        drops the pixels in the first / last column (they would read the row before / after)
    the row (r = 0 or 2): the caller copies gy in three row variants, r = 0 with the first
        row of every image zeroed, r = 1 as it is, r = 2 with the last row zeroed, so that
        the product with the row above the first (the previous image's) is 0

Per 16-pixel vector: 2 mask loads, then for each kernel row r, KW loads of gy and 3 of x and
KW*3 fused multiply-adds into KW*9 accumulators (27 of the 32 AVX-512 registers with KW = 3).
Each accumulator holds 16 partial sums; at the end the tile adds up their lanes
(simd.lane_sums: a few shuffles per accumulator) and adds the KW*9 totals to acc in memory,
so that a long range of pixels can be summed in chunks.
"""
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from . import simd

KW = 3  # output channels per tile
TAPS = 9
ACC = -(-KW * TAPS // simd.LANES) * simd.LANES  # floats of a tile's sums in memory


def _rows(builder, gp, k_count, k_stride, variant_stride):
    """gy pointers [i][r]: row variant r of output channel i (channels past k_count: row 0)."""
    i64 = simd.I64
    rows = []
    for i in range(KW):
        k = builder.select(builder.icmp_signed("<", i64(i), k_count), i64(i), i64(0))
        first = builder.mul(k, k_stride)
        rows.append([simd.offset(builder, gp, builder.add(first, builder.mul(i64(r),
                                                                            variant_stride)))
                     for r in range(3)])
    return rows


def _columns(builder, xp, width, x_shift):
    """x pointers [r][s]: x shifted by tap (r, s)."""
    i64 = simd.I64
    return [[simd.offset(builder, xp, builder.add(x_shift, builder.add(
        builder.mul(i64(r - 1), width), i64(s - 1)))) for s in range(3)] for r in range(3)]


@intrinsic
def weight_tile(typingctx, x, gy, acc, masks, v_first, v_count, width, x_shift, gy_variants,
                gy_stride, k_count):
    """acc (ACC,) += the tap sums (k, r, s) over 16-pixel vectors 0..v_count-1, in
    acc[9 k + 3 r + s] (ACC = KW * 9 rounded up to 16 floats).

    x: one input channel, pixel p at x[p + x_shift] (x_shift >= W + 1 zeros before the first
    pixel, as many after the last); gy: the first output channel's 3 row variants,
    gy_variants apart, pixel p at gy[p]; channels gy_stride apart (only k_count of them
    exist: the others read channel 0, their sums are discarded); masks: (vectors, 10) uint16
    flat, the lane masks of the batch's 16-pixel vectors (conv_direct.lane_masks), the
    first of this range being vector v_first; width: W, the image width.
    """
    signature = types.void(x, gy, acc, masks, *([types.int64] * 7))

    def codegen(context, builder, sig, args):
        xp, gp, ap, mp = [simd.data_pointer(context, builder, t, a)
                          for t, a in zip(sig.args[:4], args[:4])]
        v_first, v_count, width, x_shift, gy_variants, gy_stride, k_count = args[4:]
        i64 = simd.I64
        rows = _rows(builder, gp, k_count, gy_stride, gy_variants)
        columns = _columns(builder, xp, width, x_shift)
        accs = [cgutils.alloca_once_value(builder, simd.zeros()) for _ in range(KW * TAPS)]
        with cgutils.for_range(builder, v_count) as loop:
            p = builder.mul(loop.index, i64(simd.LANES))
            v = builder.mul(builder.add(v_first, loop.index), i64(TAPS + 1))
            # the masks of taps (1, 0) and (1, 2): the columns that have a left / right
            # neighbour (a tap's row is taken care of by gy's row variants)
            sides = [simd.mask(builder, builder.load(simd.offset(builder, mp, builder.add(
                v, i64(tap))))) for tap in (3, 5)]
            for r in range(3):
                gys = [simd.load(builder, simd.offset(builder, rows[i][r], p)) for i in range(KW)]
                for s in range(3):
                    pointer = simd.offset(builder, columns[r][s], p)
                    xs = (simd.load(builder, pointer) if s == 1 else
                          simd.masked_load(builder, pointer, sides[s // 2]))
                    index = [i * TAPS + 3 * r + s for i in range(KW)]
                    sums = [simd.fma(builder, gys[i], xs, builder.load(accs[j]))
                            for i, j in enumerate(index)]
                    for j, total in zip(index, simd.barrier(builder, sums)):
                        builder.store(total, accs[j])
        for first in range(0, KW * TAPS, simd.LANES):  # acc[j] += the sum of accs[j]'s lanes
            part = simd.offset(builder, ap, first)
            sums = simd.lane_sums(builder, [builder.load(a)
                                            for a in accs[first:first + simd.LANES]])
            simd.store(builder, builder.fadd(simd.load(builder, part), sums), part)
        return context.get_dummy_value()
    return signature, codegen
