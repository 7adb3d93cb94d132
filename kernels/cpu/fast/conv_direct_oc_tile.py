"""The micro-kernels of the direct 3x3 convolutions by output-channel vectors (conv_direct_oc.py):
one tile of KB = 32 output channels x PW output pixels along one row, kept in 2 * PW vector
registers while it sums over all input channels and the taps of a table (tiles of 16 output
channels, one vector per pixel, serve convolutions with 16, 48, ... of them),

    y[k, pixel j] = sum over c and taps t of  w[k, c, tap t] * xpad[c, start + taps[t] + j * step]

where xpad is the input with one zero row and column around each image (padding 1). For the
forward pass the table holds the 9 taps (r, s) at r * (W + 2) + s and step is the stride; each
phase of the stride-2 backward-data pass has its own table of 1, 2 or 4 taps (conv_direct_oc.py).
Vectorised over the output channels: per (c, tap) the tile loads the tap's 32 weights (two
vectors, packed (C, 9, KB) by the caller), broadcasts each of the PW input values it multiplies
to 16 lanes and makes 2 * PW fused multiply-adds: with PW = 12, 24 FMAs for 14 loads, no lane
masks (the zeros are in xpad). At the end it stores its PW * KB sums pixel by pixel (KB channels
contiguous, pixels y_step floats apart); the caller turns them into channel-major rows.

One tile per PW and width of the channel block (a loop over pixels would keep the accumulators
in memory): WIDTHS lists the pixel widths that have one, and conv_direct_oc.pieces cuts an output
row into such widths. tile_PW are the tiles of 32 output channels, tile16_PW those of 16.
"""
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from . import simd

KV = 2  # 16-float vectors of output channels per tile
KB = KV * simd.LANES  # output channels per tile
TAPS = 9


def _tile(pw, kv=KV):
    """The tile for PW = pw pixels and kv * 16 output channels (KB = kv * 16 below): kv * pw
    accumulators."""
    kb = kv * simd.LANES

    def conv_oc_tile(typingctx, xp, wp, yt, taps, slots, x_start, channels, x_channel,
                     x_step, y_step):
        """yt[y_step * j + kk] = output channel kk of the tile's pixel j < pw, for
        sum over ci < channels and t < taps.size of wp[ci * 9 * KB + slots[t] + kk]
        * xp[x_start + ci * x_channel + taps[t] + j * x_step]."""
        signature = types.void(xp, wp, yt, taps, slots, *([types.int64] * 5))

        def codegen(context, builder, sig, args):
            xp, wp, yp, tp, sp = [simd.data_pointer(context, builder, t, a)
                                  for t, a in zip(sig.args[:5], args[:5])]
            count = context.make_array(sig.args[3])(context, builder, args[3]).nitems
            x_start, channels, x_channel, x_step, y_step = args[5:]
            i64 = simd.I64
            accs = [cgutils.alloca_once_value(builder, simd.zeros()) for _ in range(kv * pw)]
            columns = [builder.mul(i64(j), x_step) for j in range(pw)]
            with cgutils.for_range(builder, channels) as channel:
                x_at = builder.add(x_start, builder.mul(channel.index, x_channel))
                w_at = builder.mul(channel.index, i64(TAPS * kb))
                with cgutils.for_range(builder, count) as tap:
                    w_tap = builder.add(w_at, builder.load(simd.offset(builder, sp, tap.index)))
                    ws = [simd.load(builder, simd.offset(builder, wp, builder.add(
                        w_tap, i64(v * simd.LANES)))) for v in range(kv)]
                    x_tap = builder.add(x_at, builder.load(simd.offset(builder, tp, tap.index)))
                    for j in range(pw):
                        xs = simd.broadcast_load(builder, simd.offset(
                            builder, xp, builder.add(x_tap, columns[j])))
                        for v in range(kv):
                            a = accs[j * kv + v]
                            builder.store(simd.fma(builder, ws[v], xs, builder.load(a)), a)
            for j in range(pw):  # pixel j's KB sums, from yt[y_step * j]
                for v in range(kv):
                    at = builder.add(builder.mul(i64(j), y_step), i64(v * simd.LANES))
                    simd.store(builder, builder.load(accs[j * kv + v]),
                               simd.offset(builder, yp, at))
            return context.get_dummy_value()
        return signature, codegen
    return intrinsic(conv_oc_tile)


WIDTHS = (12, 8, 7, 4, 1)  # the widths with a tile, widest first
tile_12, tile_8, tile_7, tile_4, tile_1 = (_tile(pw) for pw in WIDTHS)
tile16_12, tile16_8, tile16_7, tile16_4, tile16_1 = (_tile(pw, 1) for pw in WIDTHS)
