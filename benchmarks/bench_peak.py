"""This machine's float32 FMA peak: the physical limit every convolution is measured against.

A loop of CHAINS independent 16-float fused multiply-adds that never touches memory (built in
LLVM IR, kernels/cpu/fast/simd.py): on AVX-512 each is one vfmadd231ps on a zmm register, and with
more chains than an FMA unit's latency x its count the units never wait. GFLOP/s = 2 x 16 x
CHAINS x iterations / seconds, on 1 thread and on `--threads` threads at once (each thread its
own loop; Python threads, the kernel releases the GIL). The best of `--repeat` runs is the
peak (a shared machine can only slow a run down).

    python -m benchmarks.bench_peak [--threads 2] [--repeat 5]
"""
import time
from concurrent.futures import ThreadPoolExecutor

import numba
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from tinyres.kernels.cpu.fast import simd

from . import common

CHAINS = 16  # independent accumulators: more than 2 FMA units x 4 cycles of latency
ITERATIONS = 20_000_000  # about 0.1-0.2 s per thread


@intrinsic
def _fma_chains(typingctx, iterations, seed):
    """CHAINS vector accumulators, each updated `iterations` times by acc = x * y + acc."""
    def codegen(context, builder, signature, args):
        n, x = args
        xv = simd.broadcast(builder, x)
        yv = simd.broadcast(builder, builder.fsub(x, x.type(1.0)))
        accs = [cgutils.alloca_once_value(builder, simd.broadcast(builder, x))
                for _ in range(CHAINS)]
        with cgutils.for_range(builder, n):
            for acc in accs:
                builder.store(simd.fma(builder, xv, yv, builder.load(acc)), acc)
        total = builder.load(accs[0])
        for acc in accs[1:]:
            total = builder.fadd(total, builder.load(acc))
        return simd.horizontal_sum(builder, total)
    return types.float32(types.int64, types.float32), codegen


@numba.njit(nogil=True, cache=True)
def fma_loop(iterations, seed):
    """Run the FMA chains; returns their sum (so that nothing is optimised away)."""
    return _fma_chains(iterations, seed)


def gflops(threads, iterations=ITERATIONS):
    """GFLOP/s of `threads` FMA loops running at once (one per thread)."""
    fma_loop(10, 1.0)  # compile (or load from the cache) outside the timing
    with ThreadPoolExecutor(threads) as pool:
        start = time.perf_counter()
        list(pool.map(lambda _: fma_loop(iterations, 1.0), range(threads)))
        seconds = time.perf_counter() - start
    return 2 * simd.LANES * CHAINS * iterations * threads / seconds / 1e9


def peak(threads, repeat=5):
    """The best GFLOP/s of `repeat` runs on `threads` threads."""
    return max(gflops(threads) for _ in range(repeat))


def main(argv=None):
    p = common.parser(__doc__.splitlines()[0])
    args = p.parse_args(argv)
    meta = common.start(args, "float32 FMA peak")
    one = peak(1, args.repeat)
    many = peak(args.threads, args.repeat)
    print(f"AVX-512: {simd.HAS_AVX512}")
    print(f"1 thread: {one:.1f} GFLOP/s; {args.threads} threads: {many:.1f} GFLOP/s"
          f" (best of {args.repeat})")
    meta["load_1min_end"] = common.timing.load()
    print(f"load average at the end: {meta['load_1min_end']}")
    if args.json:
        common.report.write_json(args.json, {"meta": meta, "gflops_1": one, "gflops": many})


if __name__ == "__main__":
    main()
