"""Data-parallel training step time on this machine: 1 process vs N processes (MPI), and the
share of each step spent in communication.

    python benchmarks/bench_distributed.py                 # runs the configurations below
    mpiexec -n 2 python benchmarks/bench_distributed.py --worker --threads 1   # one of them

Each step is cifar_resnet20 (SyncBatchNorm, DistributedDataParallel) on a (B, 1, 28, 28)
mnist5k-sized batch per process: forward, backward, gradient all-reduce, SGD. Communication is
the time spent inside all-reduce calls (SyncBatchNorm's and the gradient buckets'), which
includes waiting for the slower rank; a separate loop times the gradient all-reduce alone,
after a barrier, to show the transfer cost itself.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

CONFIGS = [(1, 1), (1, 2), (2, 1)]  # (processes, threads per process)


class TimedGroup:
    """A ProcessGroup whose all_reduce_ calls add up their wall time."""

    def __init__(self, group):
        self.group, self.seconds, self.calls = group, 0.0, 0

    def __getattr__(self, name):
        return getattr(self.group, name)

    def all_reduce_(self, array):
        began = time.perf_counter()
        self.group.all_reduce_(array)
        self.seconds += time.perf_counter() - began
        self.calls += 1


def build(group, batch):
    """(model, optimizer, x, y) for one process."""
    import tinyres
    from tinyres import distributed as dist, optim
    from tinyres.models import cifar_resnet20
    tinyres.manual_seed(0)
    model = dist.convert_sync_batchnorm(cifar_resnet20(in_channels=1), group)
    model = dist.DistributedDataParallel(model, group)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    rng = np.random.default_rng(group.rank)
    x = tinyres.tensor(rng.standard_normal((batch, 1, 28, 28)).astype(np.float32))
    y = tinyres.tensor(rng.integers(0, 10, batch))
    return model, opt, x, y


def step(model, opt, x, y, group):
    """One training step; returns (seconds in allreduce_gradients(), of which in all-reduce)."""
    import tinyres.functional as F
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    began, inside = time.perf_counter(), group.seconds
    model.allreduce_gradients()
    call, inside = time.perf_counter() - began, group.seconds - inside
    opt.step()
    return call, inside


def allreduce_alone(group, size, dtype=np.float32, repeats=20):
    """Median seconds of one all-reduce of `size` values, the ranks lined up by a barrier first
    (so it is the transfer, not the wait for a slower rank)."""
    flat, times = np.zeros(size, dtype), []
    for _ in range(repeats):
        group.barrier()
        began = time.perf_counter()
        group.all_reduce_(flat)
        times.append(time.perf_counter() - began)
    return float(np.median(times))


def worker(batch, steps, warmup):
    from tinyres import distributed as dist
    group = TimedGroup(dist.init_process_group())
    model, opt, x, y = build(group, batch)
    for _ in range(warmup):  # Numba compiles on first use
        step(model, opt, x, y, group)
    group.barrier()
    group.seconds, group.calls, grad_call, grad_comm = 0.0, 0, 0.0, 0.0
    began = time.perf_counter()
    for _ in range(steps):
        call, inside = step(model, opt, x, y, group)
        grad_call, grad_comm = grad_call + call, grad_comm + inside
    total = time.perf_counter() - began
    size = sum(b.size for b in model.buckets.buckets)
    stats = {"step": total / steps, "comm": group.seconds / steps, "grad_comm": grad_comm / steps,
             "grad_copy": (grad_call - grad_comm) / steps, "calls": group.calls / steps,
             "buckets": len(model.buckets.buckets), "grad_values": size}
    several = group.world_size > 1  # the bare group: these calls are not the steps' traffic
    stats["alone"] = allreduce_alone(group.group, size) if several else 0.0
    stats["small"] = allreduce_alone(group.group, 65, np.float64, 200) if several else 0.0
    everyone = group.comm.gather(stats, root=0)
    if group.rank == 0:
        print("RESULT " + json.dumps({"processes": group.world_size, "ranks": everyone}))


def run_config(processes, threads, args):
    env = {**os.environ, "OPENBLAS_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads),
           "NUMBA_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    command = [mpiexec if os.path.exists(mpiexec) else "mpiexec", "-n", str(processes),
               sys.executable, os.path.abspath(__file__), "--worker", "--batch", str(args.batch),
               "--steps", str(args.steps), "--warmup", str(args.warmup)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def report(processes, threads, result, batch, baseline):
    ranks = result["ranks"]
    step_s = max(r["step"] for r in ranks)  # the job moves at its slowest rank's pace
    comm = np.mean([r["comm"] for r in ranks])
    grad = np.mean([r["grad_comm"] for r in ranks])
    copy = np.mean([r["grad_copy"] for r in ranks])
    rate = processes * batch / step_s
    speedup = "" if baseline is None else f"{rate / baseline:.2f}x"
    alone, small = ranks[0]["alone"] * 1e3, ranks[0]["small"] * 1e6
    print(f"| {processes} x {threads} | {batch} x {processes} | {step_s * 1e3:6.0f} |"
          f" {rate:6.1f} | {speedup:>5} | {comm / step_s:5.1%} | {(comm - grad) * 1e3:4.0f} |"
          f" {grad * 1e3:4.1f} | {copy * 1e3:4.1f} | {ranks[0]['calls']:.0f} |"
          f" {ranks[0]['buckets']} | {alone:.2f} | {small:.0f} |")
    return rate


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", action="store_true", help="be one rank (under mpiexec)")
    parser.add_argument("--batch", type=int, default=64, help="samples per process and step")
    parser.add_argument("--steps", type=int, default=10, help="timed steps")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    args = parser.parse_args()
    if args.worker:
        return worker(args.batch, args.steps, args.warmup)
    print(f"load average before: {open('/proc/loadavg').read().split()[:3]}, cpus:"
          f" {os.cpu_count()}")
    print("| processes x threads | batch | ms/step | samples/s | vs 1 x 1 | in all-reduce |"
          " SyncBN all-reduces (ms) | gradient all-reduce (ms) | bucket copy + scale (ms) |"
          " all-reduces/step | buckets | gradients alone (ms) | 65 float64 alone (us) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    baseline = None
    for processes, threads in CONFIGS:
        result = run_config(processes, threads, args)
        rate = report(processes, threads, result, args.batch, baseline)
        baseline = rate if baseline is None else baseline
    print(f"load average after: {open('/proc/loadavg').read().split()[:3]}")


if __name__ == "__main__":
    main()
