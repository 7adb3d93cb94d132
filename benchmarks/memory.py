"""Peak memory of one side of a workload, measured in a fresh process of its own.

In one process the two sides would share the allocator: memory PyTorch freed stays resident and
tinyres would reuse it without raising the peak (or the other way round). So each side runs in a
child process that imports only its own framework and reports, from /proc/self/status:

    baseline  VmRSS after the imports and a warm-up (the same model on two small images, then
              dropped), before the model is built
    peak      VmHWM (the resident high-water mark) after building it and running warm-up + runs
    step      peak - baseline: model, gradients, optimizer state, activations and workspace

The warm-up puts what each side loads once per process on first use into the baseline: for
tinyres, Numba's runtime and compiled kernels, read from its cache (about 45 MB, 41 of them at
the first kernel: LLVM and Numba's runtime); for PyTorch its lazily initialised libraries. None
of it is model, gradient or activation memory, and PyTorch's compiled kernels are in its
baseline from the import on.

    python -m benchmarks.memory tinyres resnet50-train    (prints one JSON line)
"""
import json
import os
import subprocess
import sys


def _status_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def _warm_up(side, case, threads):
    """Run the case's model once on two small images (then drop it)."""
    import gc

    from . import timing, workloads
    name, _, size, mode = workloads.CASES[case]
    small = "_warm_up"
    workloads.CASES[small] = (name, 2, min(size, 32), mode)
    try:
        if side == "tinyres":
            timing.pin_tinyres(threads)
            workloads.tinyres_run(small, copy_state=False)[0]()
        else:
            timing.pin_torch(threads)
            workloads.torch_run(small)()
    finally:
        del workloads.CASES[small]
    gc.collect()


def child(side, case, runs=3):
    """Run in the child: build the side's workload, run it, report the memory as JSON."""
    from . import timing, workloads
    if side == "tinyres":
        import tinyres
        tinyres.get_backend("cpu")  # imports the kernel modules (numba, llvmlite)
    else:
        import torch  # noqa: F401
    threads = int(os.environ.get("TINYRES_BENCH_THREADS", "2"))
    _warm_up(side, case, threads)
    baseline = _status_kb("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current RSS: the imports' own peak does not count
    except OSError:
        pass
    if side == "tinyres":
        timing.pin_tinyres(threads)
        run, _ = workloads.tinyres_run(case, copy_state=False)
    else:
        timing.pin_torch(threads)
        run = workloads.torch_run(case)
    for _ in range(runs):
        run()
    peak = _status_kb("VmHWM")
    return {"side": side, "case": case, "baseline_mb": baseline / 1024,
            "peak_mb": peak / 1024, "step_mb": (peak - baseline) / 1024}


def measure(side, case, threads):
    """Run child() in a fresh interpreter and return its dict."""
    env = dict(os.environ, TINYRES_BENCH_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-m", "benchmarks.memory", side, case], env=env,
                         capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    print(json.dumps(child(sys.argv[1], sys.argv[2])))
