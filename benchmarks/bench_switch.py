"""What one of tinyres's own choices saves (tinyres alone, no PyTorch).

The same model and inputs, one step with the choice on, the next with it off, alternating in one
process (which goes first swaps every round); medians of `--repeat` steps each, and the median
of the step-by-step ratios (neighbouring steps share the machine's load). The choices:

    fused         each batch norm and residual add fused with the ReLU after it
                  (models/fused.py; off: fused.ENABLED = False)
    native-gemm   the GEMM convolutions in Numba's parallel regions, calling NumPy's OpenBLAS
                  through kernels/cpu/fast/blas.py (off: on the Python threads, np.matmul)
    stem-rows     the 7-wide kernels' weight gradient kernel row by kernel row
                  (conv_direct_weight_oc.conv2d_backward_weight_rows; off: im2col + GEMM)
    strided-rows  the stride-2 forward passes with few output columns by output rows
                  (conv_rows; off: by output-channel vectors, conv_direct_oc)

    python -m benchmarks.bench_switch --switch native-gemm [--cases resnet18-forward ...]
                                      [--repeat 11]
"""
import statistics
import time

from . import common, timing, workloads


def _fused(on):
    from tinyres.models import fused
    fused.ENABLED = on


_AS_LOADED = {}  # what a switch turned off, as tinyres set it up (kept at the first turn)


def _native_gemm(on):
    from tinyres.kernels.cpu.fast import blas, threads
    found = _AS_LOADED.setdefault("blas.AVAILABLE", blas.AVAILABLE)
    blas.AVAILABLE = on and found
    threads._state["blas_region_at"] = float("-inf")  # the last step's Python threads are idle


def _stem_rows(on):
    from tinyres.kernels.cpu.fast import conv_direct_weight_oc
    conv_direct_weight_oc.ROW_TAPS = 7 if on else 0  # no kernel is 0 wide


def _strided_rows(on):
    from tinyres.kernels.cpu.fast import conv, conv_direct_oc
    with_rows = _AS_LOADED.setdefault("strided rule", conv._strided_by_output_channels)

    def without_rows(x_shape, w_shape, stride, padding, dtype):  # the rule before the change
        return (conv.DIRECT and tuple(stride) == (2, 2)
                and conv_direct_oc.applies(x_shape, w_shape, stride, padding, dtype))
    conv._strided_by_output_channels = with_rows if on else without_rows


SWITCHES = {"fused": _fused, "native-gemm": _native_gemm, "stem-rows": _stem_rows,
            "strided-rows": _strided_rows}


def alternate(run, repeat, switch="fused"):
    """{True: [seconds], False: [seconds]}: run() timed `repeat` times with the choice on and
    off, alternating (which goes first swaps every round); the choice is left on."""
    turn = SWITCHES[switch]
    seconds = {True: [], False: []}
    try:
        for i in range(repeat):
            for on in ((True, False) if i % 2 else (False, True)):
                turn(on)
                start = time.perf_counter()
                run()
                seconds[on].append(time.perf_counter() - start)
    finally:
        turn(True)
    return seconds


def main(argv=None, switch=None):
    parser = common.bare_parser(__doc__)
    if switch is None:
        parser.add_argument("--switch", choices=list(SWITCHES), required=True)
    parser.add_argument("--cases", nargs="+", default=list(workloads.CASES),
                        choices=list(workloads.CASES))
    parser.add_argument("--repeat", type=int, default=11, help="steps each way (default: 11)")
    parser.add_argument("--threads", type=int, default=2, help="threads (default: 2)")
    args = parser.parse_args(argv)
    switch = switch or args.switch
    print(f"{switch}; threads: {timing.pin_tinyres(args.threads)}; load {timing.load()}")
    print(f"{'case':26s} {'on ms':>9s} {'off ms':>9s} {'ratio':>6s} {'per step':>9s}")
    for case in args.cases:
        run, _ = workloads.tinyres_run(case, copy_state=False)
        run()  # compile and warm up both ways
        alternate(run, 1, switch)
        seconds = alternate(run, args.repeat, switch)
        on, off = (statistics.median(seconds[side]) for side in (True, False))
        steps = statistics.median(a / b for a, b in zip(seconds[True], seconds[False]))
        print(f"{case:26s} {on * 1e3:9.1f} {off * 1e3:9.1f} {on / off:6.3f} {steps:9.3f}")
    print(f"load average at the end: {timing.load()}")


if __name__ == "__main__":
    main()
