"""Whole models, tinyres against PyTorch eager: ResNet-18 and ResNet-50 at batch 8 (224x224),
inference forward and training step; CIFAR ResNet-56 at batch 128 (32x32), training step.

Time: both sides in this process, same weights and inputs, alternating runs, medians (runs of
a second or more: the few milliseconds one side's idle threads spin after it ends do not count).
Memory: each side alone in a child process (see memory.py); "step MB" is the peak resident
memory above the process's footprint after its imports and a warm-up.
The physical limit: the machine's float32 FMA peak on the same threads (bench_peak.py, best of
3, measured first), and each side's GFLOP/s as a share of it.

    python -m benchmarks.bench_models [--cases resnet50-train ...] [--no-memory]
                                      [--threads 2] [--repeat 5] [--json PATH] [--png PATH]
"""
from . import bench_peak, common, memory, timing, workloads


def run_case(case, args):
    ours, state = workloads.tinyres_run(case)
    theirs = workloads.torch_run(case, state)
    result = timing.compare(ours, theirs, args.repeat, warmup=2, settle=False)
    row = {"name": case, "flops": workloads.flops(case), **result}
    if not args.no_memory:
        sides = {side: memory.measure(side, case, args.threads) for side in ("tinyres", "torch")}
        row["peak_mb"] = {side: m["step_mb"] for side, m in sides.items()}
        row["process_peak_mb"] = {side: m["peak_mb"] for side, m in sides.items()}
        row["memory_ratio"] = row["peak_mb"]["tinyres"] / row["peak_mb"]["torch"]
    return row


def main(argv=None):
    p = common.parser(__doc__)
    p.add_argument("--cases", nargs="+", choices=list(workloads.CASES),
                   default=list(workloads.CASES), help="which workloads (default: all)")
    p.add_argument("--no-memory", action="store_true",
                   help="skip the peak-memory measurement (two child processes per case)")
    args = p.parse_args(argv)
    title = "models: tinyres vs PyTorch eager"
    meta = common.start(args, title)
    meta["peak_gflops"] = bench_peak.peak(args.threads, repeat=3)
    print(f"float32 FMA peak on {args.threads} threads: {meta['peak_gflops']:.0f} GFLOP/s")
    rows = []
    for case in args.cases:
        row = run_case(case, args)
        rows.append(row)
        memory_note = ""
        if "peak_mb" in row:
            memory_note = (f", step memory {row['peak_mb']['tinyres']:.0f} MB vs"
                           f" {row['peak_mb']['torch']:.0f} MB")
        print(f"  {case:24s} ratio {row['ratio']:.2f} ({row['tinyres']:.3f} s vs"
              f" {row['torch']:.3f} s){memory_note}", flush=True)
    common.finish(args, meta, rows, title)


if __name__ == "__main__":
    main()
