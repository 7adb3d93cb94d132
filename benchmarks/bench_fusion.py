"""What fusing each batch norm and residual add with the ReLU after it saves (tinyres alone).

The same model and inputs, one step with the fused ops (models/fused.py), the next with every
op on its own (fused.ENABLED = False), alternating in one process; medians of `--repeat` steps
each, and the median of the step-by-step ratios (neighbouring steps share the machine's load).

    python -m benchmarks.bench_fusion [--cases cifar_resnet56-train ...] [--repeat 11]
"""
import statistics
import time

from . import common, timing, workloads


def alternate(run, repeat):
    """{True: [seconds], False: [seconds]}: run() timed `repeat` times with the fused ops on
    and off, alternating (which goes first swaps every round); fusing is left on."""
    from tinyres.models import fused
    seconds = {True: [], False: []}
    try:
        for i in range(repeat):
            for on in ((True, False) if i % 2 else (False, True)):
                fused.ENABLED = on
                start = time.perf_counter()
                run()
                seconds[on].append(time.perf_counter() - start)
    finally:
        fused.ENABLED = True
    return seconds


def main(argv=None):
    parser = common.bare_parser(__doc__)
    parser.add_argument("--cases", nargs="+", default=list(workloads.CASES),
                        choices=list(workloads.CASES))
    parser.add_argument("--repeat", type=int, default=11, help="steps each way (default: 11)")
    parser.add_argument("--threads", type=int, default=2, help="threads (default: 2)")
    args = parser.parse_args(argv)
    print(f"threads: {timing.pin_tinyres(args.threads)}; load {timing.load()}")
    print(f"{'case':26s} {'fused ms':>9s} {'unfused ms':>11s} {'ratio':>6s} {'per step':>9s}")
    for case in args.cases:
        run, _ = workloads.tinyres_run(case, copy_state=False)
        run()  # compile and warm up both ways
        alternate(run, 1)
        seconds = alternate(run, args.repeat)
        fused, plain = (statistics.median(seconds[on]) for on in (True, False))
        steps = statistics.median(a / b for a, b in zip(seconds[True], seconds[False]))
        print(f"{case:26s} {fused * 1e3:9.1f} {plain * 1e3:11.1f} {fused / plain:6.3f}"
              f" {steps:9.3f}")
    print(f"load average at the end: {timing.load()}")


if __name__ == "__main__":
    main()
