"""Vector code for Numba: the few LLVM IR building blocks of the hand-vectorised kernels.

Numba compiles ordinary loops, and LLVM vectorises them as it sees fit; for a register-blocked
micro-kernel (conv_direct_tile.py) we need to say which values are 16-float vectors. A function
decorated with numba.extending.intrinsic receives an llvmlite IRBuilder and may emit any IR;
the helpers below emit the pieces such a micro-kernel is made of:

    load / store           16 consecutive floats
    masked_load / _store   the same, lanes whose mask bit is 0 read as 0 / are not written
                           (and are never touched, so they may lie outside the array)
    broadcast_load         one float copied to all 16 lanes
    fma                    a * b + c in one rounding (llvm.fma.v16f32)

and three small kernels made of them: copy and fill_zero (float32 rows, 16 at a time), and
transpose_block (a 16x16 block of floats transposed in registers).

They are generic LLVM intrinsics: LLVM lowers them for any x86 target (as two AVX2 halves, or
scalar code), so the kernels are correct everywhere, and fast where AVX-512 is (HAS_AVX512).

Editing a micro-kernel: Numba's on-disk cache (cache=True) is keyed on the file of the function
that calls an intrinsic, not on the intrinsic's own file, so after changing a tile module delete
the cached machine code of its callers (kernels/cpu/fast/__pycache__/*.nbi and *.nbc), or the
old code keeps running.
"""
import llvmlite.binding as llvm
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

LANES = 16
F32 = ir.FloatType()
VEC = ir.VectorType(F32, LANES)
MASK = ir.VectorType(ir.IntType(1), LANES)
I16 = ir.IntType(16)
I32 = ir.IntType(32)
I64 = ir.IntType(64)


def _host_has_avx512():
    try:
        return bool(llvm.get_host_cpu_features().get("avx512f", False))
    except RuntimeError:  # features unknown on this host: assume the slow lowering
        return False


HAS_AVX512 = _host_has_avx512()


def _function(builder, name, ret, args):
    return cgutils.get_or_insert_function(builder.module, ir.FunctionType(ret, args), name)


def data_pointer(context, builder, array_type, array):
    """The float* of a Numba array argument (its first element)."""
    return context.make_array(array_type)(context, builder, array).data


def offset(builder, pointer, index):
    """pointer + index elements (index: an i64 value or a Python int)."""
    if isinstance(index, int):
        index = ir.Constant(I64, index)
    return builder.gep(pointer, [index])


def fma(builder, a, b, c):
    """a * b + c, lane by lane, rounded once."""
    return builder.call(_function(builder, "llvm.fma.v16f32", VEC, [VEC, VEC, VEC]), [a, b, c])


def zeros():
    return ir.Constant(VEC, None)


def load(builder, pointer):
    """16 floats at pointer (no alignment assumed)."""
    return builder.load(builder.bitcast(pointer, VEC.as_pointer()), align=4)


def store(builder, value, pointer):
    builder.store(value, builder.bitcast(pointer, VEC.as_pointer()), align=4)


def mask(builder, bits):
    """An integer's low 16 bits as a lane mask (bit j: lane j)."""
    return builder.bitcast(builder.trunc(bits, I16) if bits.type != I16 else bits, MASK)


def masked_load(builder, pointer, lanes):
    """16 floats at pointer, 0 in the lanes whose mask bit is 0 (those are not read)."""
    fn = _function(builder, "llvm.masked.load.v16f32.p0", VEC, [pointer.type, I32, MASK, VEC])
    return builder.call(fn, [pointer, ir.Constant(I32, 4), lanes, zeros()])


def masked_store(builder, value, pointer, lanes):
    """Write the lanes of value whose mask bit is 1 to pointer[lane]."""
    fn = _function(builder, "llvm.masked.store.v16f32.p0", ir.VoidType(),
                   [VEC, pointer.type, I32, MASK])
    builder.call(fn, [value, pointer, ir.Constant(I32, 4), lanes])


def broadcast(builder, scalar):
    """A float in all 16 lanes."""
    one = builder.insert_element(ir.Constant(VEC, ir.Undefined), scalar, ir.Constant(I32, 0))
    return builder.shuffle_vector(one, ir.Constant(VEC, ir.Undefined),
                                  ir.Constant(ir.VectorType(I32, LANES), [0] * LANES))


def broadcast_load(builder, pointer):
    """The float at pointer in all 16 lanes."""
    return broadcast(builder, builder.load(pointer, align=4))


def barrier(builder, values):
    """values, passed through an empty asm statement with side effects: every value is
    computed before it and no load or store moves across it. Used to stop LLVM's scheduler
    from hoisting many loads ahead of their use, which needs more registers than there are
    (and spills)."""
    n = len(values)
    constraints = ",".join(["=v"] * n + [str(i) for i in range(n)] + ["~{memory}"])
    if n == 1:  # one output is returned as it is, not in a struct
        kind = ir.FunctionType(VEC, [VEC])
        return [builder.asm(kind, "", constraints, list(values), side_effect=True)]
    kind = ir.FunctionType(ir.LiteralStructType([VEC] * n), [VEC] * n)
    out = builder.asm(kind, "", constraints, list(values), side_effect=True)
    return [builder.extract_value(out, i) for i in range(n)]


def horizontal_sum(builder, value):
    """The sum of a vector's 16 lanes (a float)."""
    total = builder.extract_element(value, ir.Constant(I32, 0))
    for lane in range(1, LANES):
        total = builder.fadd(total, builder.extract_element(value, ir.Constant(I32, lane)))
    return total


def _fold(builder, x, y, width):
    """Two vectors made of groups of `width` lanes -> one of groups of width/2 lanes: each
    group's two halves added, x's groups first, then y's."""
    groups, half = LANES // width, width // 2
    firsts = [g * width + i for g in range(groups) for i in range(half)]
    seconds = [g * width + half + i for g in range(groups) for i in range(half)]

    def pick(lanes):
        both = lanes + [LANES + lane for lane in lanes]
        return builder.shuffle_vector(x, y, ir.Constant(ir.VectorType(I32, LANES), both))
    return builder.fadd(pick(firsts), pick(seconds))


def lane_sums(builder, vectors):
    """The sums of the lanes of up to 16 vectors, as one vector (lane i: vector i's sum; lanes
    past the last vector 0): 4 rounds of shuffles and adds, 45 operations for 16 vectors
    instead of 15 dependent ones per vector."""
    level = list(vectors) + [zeros()] * (LANES - len(vectors))
    width = LANES
    while width > 1:
        level = [_fold(builder, level[i], level[i + 1], width) for i in range(0, len(level), 2)]
        width //= 2
    return level[0]


def _tail_mask(builder, count):
    """The mask of the first `count` (< 16) lanes."""
    one = ir.Constant(I64, 1)
    return mask(builder, builder.sub(builder.shl(one, count), one))


@intrinsic
def copy(typingctx, dst, dst_start, src, src_start, count):
    """dst[dst_start:dst_start+count] = src[src_start:src_start+count], float32, 16 at a time
    (a Numba loop of this is compiled to gathers: Python's negative indices)."""
    def codegen(context, builder, signature, args):
        d = offset(builder, data_pointer(context, builder, signature.args[0], args[0]), args[1])
        s = offset(builder, data_pointer(context, builder, signature.args[2], args[2]), args[3])
        n = args[4]
        full = builder.sdiv(n, ir.Constant(I64, LANES))
        with cgutils.for_range(builder, full) as loop:
            i = builder.mul(loop.index, ir.Constant(I64, LANES))
            store(builder, load(builder, offset(builder, s, i)), offset(builder, d, i))
        done = builder.mul(full, ir.Constant(I64, LANES))
        lanes = _tail_mask(builder, builder.sub(n, done))
        value = masked_load(builder, offset(builder, s, done), lanes)
        masked_store(builder, value, offset(builder, d, done), lanes)
        return context.get_dummy_value()
    return types.void(dst, types.int64, src, types.int64, types.int64), codegen


@intrinsic
def fill_zero(typingctx, dst, start, count):
    """dst[start:start+count] = 0, float32, 16 at a time."""
    def codegen(context, builder, signature, args):
        d = offset(builder, data_pointer(context, builder, signature.args[0], args[0]), args[1])
        n = args[2]
        full = builder.sdiv(n, ir.Constant(I64, LANES))
        with cgutils.for_range(builder, full) as loop:
            store(builder, zeros(), offset(builder, d, builder.mul(loop.index,
                                                                   ir.Constant(I64, LANES))))
        done = builder.mul(full, ir.Constant(I64, LANES))
        masked_store(builder, zeros(), offset(builder, d, done),
                     _tail_mask(builder, builder.sub(n, done)))
        return context.get_dummy_value()
    return types.void(dst, types.int64, types.int64), codegen


def _transpose16(builder, rows):
    """16 vectors (the rows of a 16x16 block) -> the block's 16 columns: 4 rounds in which
    rows i and i + b (i without bit b, b = 1, 2, 4, 8) swap their off-diagonal b x b blocks
    (64 two-vector shuffles)."""
    rows = list(rows)
    b = 1
    while b < LANES:
        for i in range(LANES):
            if i & b:
                continue
            x, y = rows[i], rows[i + b]
            low = [lane if not lane & b else LANES + lane - b for lane in range(LANES)]
            high = [lane + b if not lane & b else LANES + lane for lane in range(LANES)]
            rows[i], rows[i + b] = [builder.shuffle_vector(
                x, y, ir.Constant(ir.VectorType(I32, LANES), lanes)) for lanes in (low, high)]
        b *= 2
    return rows


@intrinsic
def transpose_block(typingctx, dst, dst_start, dst_stride, src, src_start, src_stride):
    """dst[dst_start + j * dst_stride + i] = src[src_start + i * src_stride + j] for i, j < 16:
    a 16x16 block of float32, transposed (16 loads, 64 shuffles, 16 stores)."""
    def codegen(context, builder, signature, args):
        d = data_pointer(context, builder, signature.args[0], args[0])
        s = data_pointer(context, builder, signature.args[3], args[3])
        rows = [load(builder, offset(builder, s, builder.add(args[4], builder.mul(
            ir.Constant(I64, i), args[5])))) for i in range(LANES)]
        for j, column in enumerate(_transpose16(builder, rows)):
            store(builder, column, offset(builder, d, builder.add(args[1], builder.mul(
                ir.Constant(I64, j), args[2]))))
        return context.get_dummy_value()
    return types.void(dst, types.int64, types.int64, src, types.int64, types.int64), codegen
