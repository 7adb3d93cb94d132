"""Batch-parallel work for the convolution kernels: T Python threads, each running its own
share of the images with single-threaded OpenBLAS and serial (nogil) Numba code.

Why not let OpenBLAS thread each GEMM? Per image group, im2col and its GEMM share data that
stays in the core's cache; a thread that owns whole images never waits for the other one inside
a convolution, and OpenBLAS's own threads would add a synchronisation to every (small) GEMM.
OpenBLAS's thread count is process-wide, so it is set to 1 only for the duration of a parallel
region and restored after. T follows Numba's thread count (numba.set_num_threads /
NUMBA_NUM_THREADS), so one knob sets both. Without threadpoolctl the work runs in the calling
thread, chunk after chunk, with OpenBLAS threading each GEMM (correct, a little slower).
"""
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numba

try:
    from threadpoolctl import ThreadpoolController
except ImportError:  # optional (pip install threadpoolctl, or tinyres[fast]): degrade gracefully
    ThreadpoolController = None

_lock = threading.Lock()
_state = {"pool": None, "size": 0, "blas": None}


def count():
    """How many threads the kernels may use (Numba's current setting)."""
    return numba.get_num_threads()


def _blas():
    """threadpoolctl's controllers of numpy's BLAS (found once), or ().

    Only numpy's: numba imports scipy, which loads a second OpenBLAS whose idle thread pool
    must not be woken; when numpy's library cannot be told apart, every BLAS found is used.
    """
    if _state["blas"] is None:
        found = ()
        if ThreadpoolController is not None:
            import numpy
            libs = ThreadpoolController().select(user_api="blas").lib_controllers
            home = os.path.dirname(os.path.dirname(os.path.abspath(numpy.__file__)))
            own = [lib for lib in libs if os.path.basename(os.path.dirname(lib.filepath))
                   in ("numpy.libs", "numpy") and lib.filepath.startswith(home)]
            found = tuple(own or libs)
        _state["blas"] = found
    return _state["blas"]


def _pool(size):
    with _lock:
        if _state["size"] != size:
            if _state["pool"] is not None:
                _state["pool"].shutdown(wait=True)
            _state["pool"] = ThreadPoolExecutor(size, thread_name_prefix="tinyres-conv")
            _state["size"] = size
        return _state["pool"]


def _shares(run_share, tasks):
    """[run_share(share) for each thread's contiguous share of tasks], the shares in parallel
    with OpenBLAS single-threaded; in this thread alone when there is nothing to share."""
    threads = min(count(), len(tasks))
    blas = _blas()
    if threads <= 1 or not blas or threading.current_thread().name.startswith("tinyres-conv"):
        # (a kernel called from inside a parallel region runs serially)
        return [run_share(tasks)]
    shares = [tasks[i * len(tasks) // threads:(i + 1) * len(tasks) // threads]
              for i in range(threads)]
    saved = [lib.get_num_threads() for lib in blas]
    for lib in blas:
        lib.set_num_threads(1)
    try:
        futures = [_pool(threads - 1).submit(run_share, share) for share in shares[1:]]
        first = run_share(shares[0])  # this thread takes the first share itself
        return [first] + [future.result() for future in futures]
    finally:
        for lib, n in zip(blas, saved):
            lib.set_num_threads(n)


def parallel(work, tasks):
    """work(task) for every task (equal-sized image groups), spread over count() threads in
    contiguous shares."""
    _shares(lambda share: [work(task) for task in share], tasks)


def parallel_sum(work, tasks):
    """The sum of work(task) (fresh arrays of one shape) over the tasks, computed as in
    parallel(): each thread sums its own share in place, then the shares are added."""
    def run_share(share):
        total = work(share[0])
        for task in share[1:]:
            total += work(task)
        return total
    parts = _shares(run_share, tasks)
    total = parts[0]
    for part in parts[1:]:
        total += part
    return total


def single_blas(fn, *args):
    """fn(*args) with OpenBLAS single-threaded: for GEMMs too small to gain from two threads,
    after which OpenBLAS's idle worker would spin, stealing a core from the next kernels
    (benchmarks/RESULTS.md, "What was done, with the figures that decided it", item 6)."""
    blas = _blas()
    saved = [lib.get_num_threads() for lib in blas]
    for lib in blas:
        lib.set_num_threads(1)
    try:
        return fn(*args)
    finally:
        for lib, n in zip(blas, saved):
            lib.set_num_threads(n)


def ranges(n, minimum):
    """[(lo, hi)]: 0..n cut into count() equal ranges, or one range when n < 2 * minimum (too
    little work to be worth waking a thread)."""
    parts = min(count(), n // max(minimum, 1))
    if parts <= 1:
        return [(0, n)]
    return [(i * n // parts, (i + 1) * n // parts) for i in range(parts)]
