"""Shared timing for the benchmarks: pinned threads, warm-up, alternating runs, medians.

Fairness rules: both sides run in one process with the same number of threads (PyTorch's
intra-op pool, OpenBLAS and Numba); each is warmed up; then the runs alternate tinyres, PyTorch,
tinyres, PyTorch... so that load from other processes on a shared machine hits both sides alike;
the medians are compared.
"""
import os
import statistics
import time


def pin_tinyres(threads):
    """OpenBLAS (numpy's GEMMs) and Numba get `threads` threads; returns a description."""
    import numba

    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    blas = "OpenBLAS from OPENBLAS_NUM_THREADS=" + os.environ.get("OPENBLAS_NUM_THREADS", "?")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        pass
    else:
        threadpool_limits(threads, user_api="blas")
        blas = f"OpenBLAS {threads}"
    return f"numba {numba.get_num_threads()}, {blas}"


def pin_torch(threads):
    """PyTorch's intra-op pool gets `threads` threads; returns a description."""
    import torch

    torch.set_num_threads(threads)
    return f"torch {torch.get_num_threads()}"


def pin_threads(threads):
    """Both sides get `threads` threads; returns a description."""
    return f"{pin_torch(threads)}, {pin_tinyres(threads)}"


# TINYRES_BENCH_CLOCK=cpu times with the process's CPU time instead of the wall clock: with one
# thread per side it is barely disturbed by other processes, which makes it the steadier
# measure for development on a shared machine (never for the published tables).
CLOCK = time.process_time if os.environ.get("TINYRES_BENCH_CLOCK") == "cpu" else time.perf_counter


def timed(fn):
    """Seconds one call of fn() takes."""
    start = CLOCK()
    fn()
    return CLOCK() - start


def compare(ours, theirs, repeat=5, warmup=1, settle=True):
    """Median seconds of ours() and theirs(), run alternately `repeat` times after `warmup`
    calls of each. Returns {"tinyres": s, "torch": s, "ratio": tinyres / torch, "samples"}.

    settle=True (for short kernels) runs each side untimed for SETTLE_S right before each
    timed call: PyTorch's OpenMP workers keep spinning for some milliseconds after each op, and
    would otherwise steal the cores from a kernel timed right after it (measured: a 5 ms
    tinyres GEMM took 9-12 ms when timed straight after a PyTorch convolution, a 1.9 ms ReLU
    4.8 ms). Each side is then timed as in a loop of its own, with its own threads warm.
    """
    for _ in range(warmup):
        ours()
        theirs()
    a, b = [], []
    for _ in range(repeat):
        if settle:
            _settle(ours)
        a.append(timed(ours))
        if settle:
            _settle(theirs)
        b.append(timed(theirs))
    t_ours, t_theirs = statistics.median(a), statistics.median(b)
    return {"tinyres": t_ours, "torch": t_theirs, "ratio": t_ours / t_theirs,
            "samples": {"tinyres": a, "torch": b}}


SETTLE_S = 0.02  # longer than PyTorch's OpenMP workers spin after an op


def _settle(fn):
    """Call fn() untimed until SETTLE_S has passed (at least once)."""
    start = time.perf_counter()
    fn()
    while time.perf_counter() - start < SETTLE_S:
        fn()


def load():
    """The 1-minute load average (other processes on a shared machine), or None."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def machine():
    """CPU model, logical CPU count and the load average, for the record."""
    model = "unknown cpu"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": model, "cpus": os.cpu_count(), "load_1min": load()}
