"""The micro-kernel of the direct convolutions (conv_direct.py, conv_direct_strided.py): one
tile of KB output channels x PV*16 output pixels, kept in KB*PV vector registers while it sums
over the input channels and the kernel's taps.

The idea. Activations are channel-major: each channel is one contiguous row of N*H*W pixels
(layout.py). For a 3x3, stride-1, padding-1 convolution, output pixel p of channel k is

    y[k, p] = sum over c and taps (r, s) of  w[k, c, r, s] * x[c, p + (r-1)*W + (s-1)]

where x counts as 0 when the shifted pixel falls outside its image (padding). So 16 consecutive
output pixels need, per (c, tap), 16 consecutive input pixels shifted by a constant: one vector
load, with a 16-bit mask that zeroes the lanes falling in the padding (image edges, and also
where a vector spans two rows or two images: any W works). Every weight is a scalar broadcast
to 16 lanes. Per (tap, c) the tile makes PV loads, KB broadcasts and KB*PV fused multiply-adds
on its accumulators: with KB = 8, PV = 3, 24 FMAs for 11 loads, and 24 + 3 + 1 registers of the
32 AVX-512 has. A tap whose masks are all zero (the row above the first image row...) is
skipped. Tiles cross rows and images freely; lanes past the last pixel are masked off.
The taps are a table (their offsets and masks): a strided convolution becomes one of these on
its input split into phases (conv_direct_strided.py).

The loop order is tap, then input channel: a tap's masks stay in mask registers for the whole
channel loop, and the weights are packed (taps, C, KB) so that the broadcasts read memory in
order. Its speed against the core's FMA peak: benchmarks/RESULTS.md, "Which algorithm, per
shape" and `python -m benchmarks.bench_peak`.

The kernel is written in LLVM IR (simd.py) because LLVM vectorises plain Numba loops of this
shape over the input channels (a reduction) instead of over pixels.
"""
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from . import simd

KB = 8  # output channels per tile
PV = 3  # 16-pixel vectors per tile
TILE = PV * simd.LANES  # pixels per tile


class _Args:
    """The tile's arguments as IR values: pointers to the arrays' first elements, i64 scalars."""

    def __init__(self, context, builder, signature, args):
        arrays = [simd.data_pointer(context, builder, t, a)
                  for t, a in zip(signature.args[:5], args[:5])]
        self.x, self.w, self.y, self.masks, self.offsets = arrays
        (self.p0, self.xpos, self.xstride, self.channels, self.ystride, self.k_count,
         self.accumulate, self.taps) = args[5:]
        self.columns = builder.add(self.taps, simd.I64(1))  # of the mask table


def _vector_masks(builder, a, i64, tap):
    """The PV lane masks (i16 values) of the tile's vectors for one tap (tap = taps: the
    pixels that exist)."""
    first = builder.mul(builder.sdiv(a.p0, i64(simd.LANES)), a.columns)
    return [builder.load(simd.offset(builder, a.masks, builder.add(
        first, builder.add(builder.mul(i64(j), a.columns), tap)))) for j in range(PV)]


def _y_pointer(builder, a, i64, i, j):
    """&y[i, p0 + 16 j] (row stride ystride)."""
    return simd.offset(builder, a.y, builder.add(builder.mul(i64(i), a.ystride),
                                                 builder.add(a.p0, i64(simd.LANES * j))))


def _start(builder, a, i64, accs, inside):
    """Accumulators = 0, or the current y when accumulating (a later block of channels)."""
    adding = builder.icmp_signed("!=", a.accumulate, i64(0))
    for i in range(KB):
        for j in range(PV):
            with builder.if_else(adding) as (then, otherwise):
                with then:
                    y = simd.masked_load(builder, _y_pointer(builder, a, i64, i, j), inside[j])
                    builder.store(y, accs[i][j])
                with otherwise:
                    builder.store(simd.zeros(), accs[i][j])


def _tap(builder, a, i64, accs, tap):
    """accs += the tap's products, summed over the input channels (skipped when all lanes of
    all vectors lie in the padding)."""
    bits = _vector_masks(builder, a, i64, tap)
    anything = bits[0]
    for b in bits[1:]:
        anything = builder.or_(anything, b)
    masks = [simd.mask(builder, b) for b in bits]
    start = builder.add(a.xpos, builder.load(simd.offset(builder, a.offsets, tap)))
    weights = builder.mul(builder.mul(tap, a.channels), i64(KB))
    with builder.if_then(builder.icmp_signed("!=", anything, anything.type(0))):
        with cgutils.for_range(builder, a.channels) as loop:
            c = loop.index
            row = builder.add(builder.mul(c, a.xstride), start)
            xs = [simd.masked_load(builder, simd.offset(builder, a.x, builder.add(
                row, i64(simd.LANES * j))), masks[j]) for j in range(PV)]
            wc = builder.add(weights, builder.mul(c, i64(KB)))
            for i in range(KB):
                wv = simd.broadcast_load(builder, simd.offset(builder, a.w,
                                                              builder.add(wc, i64(i))))
                for j in range(PV):
                    acc = accs[i][j]
                    builder.store(simd.fma(builder, wv, xs[j], builder.load(acc)), acc)


def _finish(builder, a, i64, accs, inside):
    """y[i, p0 + 16 j] = accs[i][j] for the tile's k_count real output channels, the pixels
    past the end of the batch masked off."""
    for i in range(KB):
        with builder.if_then(builder.icmp_signed("<", i64(i), a.k_count)):
            for j in range(PV):
                simd.masked_store(builder, builder.load(accs[i][j]),
                                  _y_pointer(builder, a, i64, i, j), inside[j])


@intrinsic
def tile(typingctx, x, w, y, masks, offsets, p0, xpos, xstride, channels, ystride, k_count,
         accumulate, taps):
    """One tile: y[0:k_count, p0:p0+TILE] (+)= the convolution of x with w.

    x: (channels, xstride) flat, the tile's pixels at xpos; w: (taps, channels, KB) flat,
    packed; y: (KB, ystride) flat, rows of the tile's output channels; masks: (vectors, taps+1)
    uint16 flat, the lane masks of every 16-pixel vector of the output for each tap, then a
    mask of the pixels that exist; offsets: (taps,) int64, where each tap reads x relative to
    the output pixel (3x3, stride 1: (r-1)*W + (s-1)). accumulate != 0 adds to y.
    """
    signature = types.void(x, w, y, masks, offsets, *([types.int64] * 8))

    def codegen(context, builder, sig, args):
        a = _Args(context, builder, sig, args)
        i64 = simd.I64
        accs = [[cgutils.alloca_once(builder, simd.VEC) for _ in range(PV)] for _ in range(KB)]
        inside = [simd.mask(builder, b) for b in _vector_masks(builder, a, i64, a.taps)]
        _start(builder, a, i64, accs, inside)
        with cgutils.for_range(builder, a.taps) as loop:
            _tap(builder, a, i64, accs, loop.index)
        _finish(builder, a, i64, accs, inside)
        return context.get_dummy_value()
    return signature, codegen
