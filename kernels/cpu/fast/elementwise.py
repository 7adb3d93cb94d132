"""Numba elementwise kernels (ReLU forward/backward, the same-shape add, and the add fused with
the ReLU after it) on both cores.

NumPy's ufuncs run on one thread; these cut large arrays into one range per thread (threads.py)
and run a serial nogil loop on each, which LLVM vectorizes. They keep the memory layout of their
input (channel-major activations stay so) and fall back to NumPy for small, broadcast or
non-dense operands, where NumPy is as fast and handles every case.
"""
import numpy as np

from .. import elementwise as reference
from . import layout, threads
from .numba_setup import njit, prange

PARALLEL_MIN = 1 << 16  # below this many elements per thread, waking a thread costs more


@njit(nogil=True, cache=True)
def _relu(x, out):
    zero = x.dtype.type(0)
    for i in range(x.size):
        v = x[i]
        out[i] = zero if v < 0 else v  # NaN stays NaN, as np.maximum


@njit(nogil=True, cache=True)
def _relu_backward(gy, y, out):
    zero = gy.dtype.type(0)
    for i in range(gy.size):
        out[i] = gy[i] if y[i] > 0 else zero


@njit(nogil=True, cache=True)
def _add(a, b, out):
    for i in range(a.size):
        out[i] = a[i] + b[i]


@njit(nogil=True, cache=True)
def _add_relu(a, b, out):
    zero = a.dtype.type(0)
    for i in range(a.size):
        v = a[i] + b[i]
        out[i] = zero if v < 0 else v  # as _relu


@njit(parallel=True, nogil=True, cache=True)
def _relu_tasks(x, out, tasks):
    """_relu over one range (lo, hi) of the flat arrays per task (threads.py)."""
    for t in prange(tasks.shape[0]):
        lo, hi = tasks[t, 0], tasks[t, 1]
        _relu(x[lo:hi], out[lo:hi])


@njit(parallel=True, nogil=True, cache=True)
def _relu_backward_tasks(gy, y, out, tasks):
    """_relu_backward over one range per task."""
    for t in prange(tasks.shape[0]):
        lo, hi = tasks[t, 0], tasks[t, 1]
        _relu_backward(gy[lo:hi], y[lo:hi], out[lo:hi])


@njit(parallel=True, nogil=True, cache=True)
def _add_tasks(a, b, out, tasks):
    """_add over one range per task."""
    for t in prange(tasks.shape[0]):
        lo, hi = tasks[t, 0], tasks[t, 1]
        _add(a[lo:hi], b[lo:hi], out[lo:hi])


@njit(parallel=True, nogil=True, cache=True)
def _add_relu_tasks(a, b, out, tasks):
    """_add_relu over one range per task."""
    for t in prange(tasks.shape[0]):
        lo, hi = tasks[t, 0], tasks[t, 1]
        _add_relu(a[lo:hi], b[lo:hi], out[lo:hi])


def _split(kernel, driver, *flats):
    """kernel(*slices) over one range of the flat arrays per thread (threads.by_ranges; driver:
    its Numba parallel region)."""
    threads.by_ranges(kernel, driver, threads.ranges(flats[0].size, PARALLEL_MIN), *flats)


def _dense_pair(a, b):
    """(order, a, b as a's layout) when a parallel flat loop applies, else None."""
    if a.shape != b.shape or a.dtype != b.dtype or a.size < PARALLEL_MIN:
        return None
    order = layout.memory_order(a)
    if order is None:
        return None
    return order, a, layout.like(b, a)


def relu_forward(x):
    """(...) -> max(x, 0), in x's layout; NaN stays NaN."""
    order = layout.memory_order(x) if x.size >= PARALLEL_MIN else None
    if order is None:
        return reference.relu_forward(x)
    out = np.empty_like(x)
    _split(_relu, _relu_tasks, layout.flat(x, order), layout.flat(out, order))
    return out


def relu_backward(gy, y):
    """(...) -> gy where y > 0, else 0; in y's layout."""
    pair = _dense_pair(y, gy)
    if pair is None:
        return reference.relu_backward(gy, y)
    order, y, gy = pair
    out = np.empty_like(y)
    _split(_relu_backward, _relu_backward_tasks, layout.flat(gy, order), layout.flat(y, order),
           layout.flat(out, order))
    return out


def _pairwise(kernel, driver, fallback, a, b):
    """kernel over one range of a, b and a new result (in a's layout) per thread; fallback(a, b)
    where that does not apply (small, broadcast, non-dense or non-floating operands)."""
    pair = _dense_pair(a, b)
    if pair is None or a.dtype.kind != "f":
        return fallback(a, b)
    order, a, b = pair
    out = np.empty_like(a)
    _split(kernel, driver, layout.flat(a, order), layout.flat(b, order),
           layout.flat(out, order))
    return out


def add(a, b):
    """a + b (NumPy broadcasting); large same-shape operands in parallel, in a's layout."""
    if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
        return np.add(a, b)
    return _pairwise(_add, _add_tasks, np.add, a, b)


def add_relu(a, b):
    """max(a + b, 0) for a and b of one shape, in one pass; in a's layout. NaN stays NaN."""
    return _pairwise(_add_relu, _add_relu_tasks, reference.add_relu, a, b)
