"""Where the time of one tinyres run goes, kernel by kernel: every backend kernel is wrapped in
a wall-clock timer (the table's own methods, no monkeypatching of the modules), the workload
runs once to warm up and `--runs` times measured, and the per-kernel totals are printed with
their share of the step. Python work between kernels (autograd, ops, modules) shows up as
"outside kernels".

`--torch` profiles PyTorch's run of the same case too (torch.profiler, self CPU time per aten
op), and prints both sides' convolution totals: inside a model they can differ from the per-kernel
benchmark, which times every call in isolation.

    python -m benchmarks.profile_step [--case resnet50-train] [--runs 3] [--threads 2]
                                      [--by-shape] [--torch] [--json PATH]

`--recipe` profiles epochs of the default recipe (`bench_train`: `tinyres train`'s defaults,
data loading and evaluation included) instead of one case's step.
"""
import time
from collections import defaultdict

from . import common, report, timing, workloads


def _conv_kind(name, args):
    """A label for a convolution call: its kernel size, stride and input size."""
    if name == "conv2d_forward":
        x_shape, w_shape, stride = args[0].shape, args[1].shape, args[2]
    elif name == "conv2d_backward_data":
        x_shape, w_shape, stride = args[2], args[1].shape, args[3]
    else:
        x_shape, w_shape, stride = args[1].shape, args[2], args[3]
    r, s = w_shape[2:]
    return f"{name} {r}x{s}/{stride[0]} {w_shape[1]}->{w_shape[0]} at {x_shape[2]}"


def profile(case, runs, by_shape=False):
    """{"total": seconds per run, "kernels": {name: {"seconds", "calls"}} per run}; by_shape
    splits the convolutions by kernel, stride, channels and input size."""
    run, _ = workloads.tinyres_run(case)
    return profile_run(run, runs, by_shape)


def profile_run(run, runs, by_shape=False):
    """profile() of any zero-argument callable that runs tinyres on the cpu."""
    import tinyres
    backend = tinyres.get_backend("cpu")
    run()
    seconds, calls = defaultdict(float), defaultdict(int)

    def timed(name, kernel):
        def call(*args, **kwargs):
            start = time.perf_counter()
            try:
                return kernel(*args, **kwargs)
            finally:
                key = _conv_kind(name, args) if by_shape and name.startswith("conv2d") else name
                seconds[key] += time.perf_counter() - start
                calls[key] += 1
        return call

    for name, kernel in backend.table.items():
        setattr(backend, name, timed(name, kernel))
    try:
        start = time.perf_counter()
        for _ in range(runs):
            run()
        total = (time.perf_counter() - start) / runs
    finally:
        for name, kernel in backend.table.items():
            setattr(backend, name, kernel)
    kernels = {name: {"seconds": seconds[name] / runs, "calls": calls[name] // runs}
               for name in sorted(seconds, key=seconds.get, reverse=True)}
    return {"total": total, "kernels": kernels}


def profile_torch(case, runs):
    """The same for PyTorch eager: {"total", "kernels": {aten op: {"seconds", "calls"}}} per
    run, from torch.profiler's self CPU time (time inside the op, not in the ops it calls)."""
    return profile_torch_run(workloads.torch_run(case), runs)


def profile_torch_run(run, runs):
    """profile_torch() of any zero-argument callable that runs PyTorch."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile
    run()
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        start = time.perf_counter()
        for _ in range(runs):
            run()
        total = (time.perf_counter() - start) / runs
    ops = [e for e in prof.key_averages() if e.key.startswith("aten::")]
    ops.sort(key=lambda e: e.self_cpu_time_total, reverse=True)
    kernels = {e.key: {"seconds": e.self_cpu_time_total * 1e-6 / runs, "calls": e.count // runs}
               for e in ops}
    return {"total": total, "kernels": kernels}


def convolution_seconds(result):
    """Seconds per run spent in convolution kernels (any kernel or aten op named *conv*)."""
    return sum(k["seconds"] for name, k in result["kernels"].items() if "conv" in name)


def print_profile(case, result, side="tinyres"):
    total = result["total"]
    print(f"\nprofile of one {side} {case} run: {total * 1e3:.1f} ms")
    print(f"{'kernel':48s} {'calls':>6s} {'ms':>9s} {'share':>6s}")
    inside = 0.0
    for name, k in result["kernels"].items():
        inside += k["seconds"]
        if k["seconds"] >= 0.0005 * total:
            print(f"{name[:48]:48s} {k['calls']:6d} {k['seconds'] * 1e3:9.1f}"
                  f" {k['seconds'] / total:6.1%}")
    outside = total - inside
    print(f"{'outside kernels':48s} {'':6s} {outside * 1e3:9.1f} {outside / total:6.1%}")
    print(f"{'all convolutions':48s} {'':6s} {convolution_seconds(result) * 1e3:9.1f}"
          f" {convolution_seconds(result) / total:6.1%}")


def _epochs(recipe):
    """A callable that trains (and evaluates) the recipe's next epoch at each call."""
    done = []

    def run():
        done.append(recipe.epoch(len(done) + 1))
    return run


def main(argv=None):
    p = common.bare_parser(__doc__)
    p.add_argument("--case", choices=list(workloads.CASES), default="resnet50-train")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--by-shape", action="store_true",
                   help="split the convolutions by kernel, stride, channels and input size")
    p.add_argument("--torch", action="store_true", help="profile PyTorch's run of the case too")
    p.add_argument("--json", metavar="PATH")
    p.add_argument("--recipe", action="store_true",
                   help="profile an epoch of the default recipe (bench_train) instead of --case:"
                        " one epoch warms up, --runs epochs are measured")
    args = p.parse_args(argv)
    pin = timing.pin_threads if args.torch or args.recipe else timing.pin_tinyres
    print(f"threads: {pin(args.threads)}; machine: {timing.machine()}")
    case = "recipe-epoch" if args.recipe else args.case
    if args.recipe:
        from . import bench_train
        ours, theirs = bench_train.build_recipes(1 + args.runs)
        result = profile_run(_epochs(ours), args.runs, args.by_shape)
    else:
        result = profile(args.case, args.runs, args.by_shape)
    print_profile(case, result)
    record = {"case": case, "machine": timing.machine(), **result}
    if args.torch:
        record["torch"] = (profile_torch_run(_epochs(theirs), args.runs) if args.recipe
                           else profile_torch(args.case, args.runs))
        print_profile(case, record["torch"], "PyTorch")
        ours, theirs = convolution_seconds(result), convolution_seconds(record["torch"])
        print(f"\nconvolutions inside the model: tinyres {ours * 1e3:.1f} ms, PyTorch"
              f" {theirs * 1e3:.1f} ms, ratio {ours / theirs:.2f}")
    if args.json:
        report.write_json(args.json, record)


if __name__ == "__main__":
    main()
