"""Peak memory of one side of a workload, measured in a fresh process of its own.

In one process the two sides would share the allocator: memory PyTorch freed stays resident and
tinyres would reuse it without raising the peak (or the other way round). So each side runs in a
child process that imports only its own framework and reports, from /proc/self/status:

    baseline  VmRSS after the imports (tinyres: with its cpu kernels, numba included), before
              the model is built
    peak      VmHWM (the resident high-water mark) after building it and running warm-up + runs
    step      peak - baseline: model, gradients, optimizer state, activations and workspace

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


def child(side, case, runs=3):
    """Run in the child: build the side's workload, run it, report the memory as JSON."""
    from . import timing, workloads
    if side == "tinyres":
        import tinyres
        tinyres.get_backend("cpu")  # imports the kernel modules (numba, llvmlite)
    else:
        import torch  # noqa: F401
    threads = int(os.environ.get("TINYRES_BENCH_THREADS", "2"))
    baseline = _status_kb("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current RSS: the imports' own peak does not count
    except OSError:
        pass
    if side == "tinyres":
        timing.pin_tinyres(threads)
        run, _ = workloads.tinyres_run(case)
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
