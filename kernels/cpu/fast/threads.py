"""Batch-parallel work for the kernels, in two ways.

Every kernel can run its tasks in a Numba parallel region: a `prange` over task_array(tasks),
one task per thread, on Numba's OpenMP threads (numba_setup.py). Those threads never take the
GIL and wait for the next region spinning, so a region starts within microseconds, where handing
a task to a Python thread takes 50-80 us (its wake-up, then the GIL); a CIFAR ResNet-56 step
opens over 400 regions. The kernels that multiply matrices (im2col + GEMM, Winograd) call NumPy's
OpenBLAS there through blas.gemm, single-threaded.

The other way is parallel() below: T Python threads, each running its own share of the tasks
with single-threaded OpenBLAS (np.matmul) and serial (nogil) Numba code. It is what the GEMM
kernels use where blas.gemm is not available (NumPy built on another BLAS), and every kernel
with TINYRES_NATIVE_THREADS=0 or without Numba's OpenMP layer. native() says which: the Numba
regions, unless an OpenBLAS kernel used the Python threads (or OpenBLAS its own) in the last
HOLD_SECONDS, because the two kinds of thread must not share the cores (a GEMM region run while
the OpenMP threads still spin made ResNet-18/50 1.3-1.7x slower: benchmarks/RESULTS.md, "Issue
13, third round"). With blas.gemm, ResNet-18/50 run every kernel on the OpenMP threads, as the
CIFAR ResNets do ("Issue 13, fifth round").

Why not let OpenBLAS thread each GEMM? Per image group, im2col and its GEMM share data that
stays in the core's cache; a thread that owns whole images never waits for the other one inside
a convolution, and OpenBLAS's own threads would add a synchronisation to every (small) GEMM,
then spin after it against the next kernels. OpenBLAS's thread count is process-wide, so it is
set to 1 only for the duration of a parallel region (single_blas) and restored after. T follows
Numba's thread count (numba.set_num_threads / NUMBA_NUM_THREADS), so one knob sets both.
Without threadpoolctl the work runs in the calling thread, chunk after chunk, with OpenBLAS
threading each GEMM (correct, a little slower).
"""
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

try:
    from threadpoolctl import ThreadpoolController
except ImportError:  # optional (pip install threadpoolctl, or tinyres[fast]): degrade gracefully
    ThreadpoolController = None

_lock = threading.Lock()
_state = {"pool": None, "size": 0, "blas": None, "blas_region_at": float("-inf")}
HOLD_SECONDS = 5.0  # after an OpenBLAS kernel's region, the Numba kernels stay on Python threads


def _openmp_layer():
    """True when Numba's parallel regions run on its OpenMP layer (GNU libgomp loads, and the
    user has not chosen another layer)."""
    if os.environ.get("NUMBA_THREADING_LAYER", "omp") != "omp":
        return False
    try:
        import numba.np.ufunc.omppool  # noqa: F401  (fails without libgomp)
    except ImportError:
        return False
    return True


NATIVE = os.environ.get("TINYRES_NATIVE_THREADS", "1") != "0" and _openmp_layer()


def native():
    """Whether a Numba-only kernel should run its tasks in a Numba parallel region now (see the
    module's docstring), rather than with parallel(..., numba_only=True)."""
    return NATIVE and time.monotonic() - _state["blas_region_at"] > HOLD_SECONDS


def openblas_in_use():
    """Note that OpenBLAS runs on more than one thread now (ours or its own): for HOLD_SECONDS
    the Numba-only kernels keep to the Python threads (native())."""
    if count() > 1:
        _state["blas_region_at"] = time.monotonic()


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


def _shares(run_share, tasks, numba_only):
    """[run_share(share) for each thread's contiguous share of tasks], the shares in parallel
    with OpenBLAS single-threaded; in this thread alone when there is nothing to share.
    numba_only: the work calls no OpenBLAS (it does not hold the Numba kernels to these threads,
    see native())."""
    if not numba_only:
        openblas_in_use()
    threads = min(count(), len(tasks))
    blas = _blas()
    if threads <= 1 or not blas or threading.current_thread().name.startswith("tinyres-conv"):
        # (a kernel called from inside a parallel region runs serially)
        return [run_share(tasks)]
    parts = [tasks[lo:hi] for lo, hi in shares(tasks)]
    saved = [lib.get_num_threads() for lib in blas]
    for lib in blas:
        lib.set_num_threads(1)
    try:
        futures = [_pool(threads - 1).submit(run_share, part) for part in parts[1:]]
        first = run_share(parts[0])  # this thread takes the first share itself
        return [first] + [future.result() for future in futures]
    finally:
        for lib, n in zip(blas, saved):
            lib.set_num_threads(n)


def shares(tasks):
    """[(lo, hi)]: the contiguous shares tasks[lo:hi] of the threads, one per thread (at most
    one per task, at least one)."""
    parts = max(min(count(), len(tasks)), 1)
    return [(i * len(tasks) // parts, (i + 1) * len(tasks) // parts) for i in range(parts)]


def parallel(work, tasks, numba_only=False):
    """work(task) for every task (equal-sized image groups), spread over count() threads in
    contiguous shares; numba_only: see _shares."""
    _shares(lambda share: [work(task) for task in share], tasks, numba_only)


def parallel_sum(work, tasks, numba_only=False):
    """The sum of work(task) (fresh arrays of one shape) over the tasks, computed as in
    parallel(): each thread sums its own share in place, then the shares are added."""
    def run_share(share):
        total = work(share[0])
        for task in share[1:]:
            total += work(task)
        return total
    parts = _shares(run_share, tasks, numba_only)
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


def by_ranges(kernel, driver, tasks, *args):
    """kernel(*args) over one range (lo, hi) of the first axis of every array in args per task
    (other arguments pass through): in this thread when there is one task, else in
    driver(*args, task_array(tasks)), a Numba parallel region (native()), or on the Python
    threads."""
    if len(tasks) == 1:
        kernel(*args)
    elif native():
        driver(*args, task_array(tasks))
    else:
        def work(span):
            kernel(*[a[span[0]:span[1]] if isinstance(a, np.ndarray) else a for a in args])
        parallel(work, tasks, numba_only=True)


def task_array(tasks):
    """tasks (tuples of ints, e.g. from ranges()) as an int64 array, one row per task: what a
    Numba parallel driver takes (`for t in prange(tasks.shape[0])`)."""
    return np.array(tasks, dtype=np.int64).reshape(len(tasks), -1)


def ranges(n, minimum):
    """[(lo, hi)]: 0..n cut into count() equal ranges, or one range when n < 2 * minimum (too
    little work to be worth waking a thread)."""
    parts = min(count(), n // max(minimum, 1))
    if parts <= 1:
        return [(0, n)]
    return [(i * n // parts, (i + 1) * n // parts) for i in range(parts)]
