"""NumPy's own OpenBLAS GEMM, callable from Numba code (nopython, nogil), so that a kernel whose
tasks multiply matrices can run them in a Numba parallel region, on the same OpenMP threads as
every other kernel, instead of handing them to Python threads (threads.py says why that
matters):

    gemm(a, b, out, beta)   out = a @ b + beta * out, for 2-D float32 or float64 arrays, each
                            with contiguous rows or contiguous columns (a transposed view is
                            read as is), out with contiguous rows (it may be a slice of a
                            wider array); beta 0 (out is only written) or 1 (added to)

It calls cblas_sgemm / cblas_dgemm of the OpenBLAS library that NumPy loaded (found through
threadpoolctl, with 64-bit integers: the `64_` symbols of NumPy's wheels), registered with LLVM
under names of our own, which Numba code calls as external functions (so the kernels that call
them are cached like every other kernel). OpenBLAS must run single-threaded during such a
region (threads.single_blas), as it does on the Python threads. AVAILABLE is False where that
library or its symbols are not found (another BLAS, no threadpoolctl): the kernels then keep
their Python-thread drivers and np.matmul.
"""
import ctypes

import llvmlite.binding as llvm
import numpy as np
from numba import types

from . import threads
from .numba_setup import njit

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112  # the CBLAS enums
_SYMBOLS = {"s": ("scipy_cblas_sgemm64_", "cblas_sgemm64_"),
            "d": ("scipy_cblas_dgemm64_", "cblas_dgemm64_")}


def _find():
    """(sgemm, dgemm) ctypes functions of NumPy's OpenBLAS with 64-bit integers, or None."""
    for controller in threads._blas():
        if getattr(controller, "internal_api", "") != "openblas":
            continue
        try:
            lib = ctypes.CDLL(controller.filepath)
        except OSError:
            continue
        found = [next((getattr(lib, name) for name in _SYMBOLS[kind] if hasattr(lib, name)),
                      None) for kind in "sd"]
        if None not in found:
            return tuple(found)
    return None


def _external(name, function, real):
    """The C function as a Numba external function under `name` (a symbol registered with
    LLVM, so that the kernels calling it can be cached: their code names the symbol, not this
    process's address); addresses are passed as integers (a.ctypes.data)."""
    llvm.add_symbol(name, ctypes.cast(function, ctypes.c_void_p).value)
    i64, address = types.int64, types.uintp
    return types.ExternalFunction(name, types.void(
        types.intc, types.intc, types.intc, i64, i64, i64, real, address, i64, address, i64,
        real, address, i64))


_functions = _find()
AVAILABLE = _functions is not None
if AVAILABLE:
    _sgemm = _external("tinyres_cblas_sgemm", _functions[0], types.float32)
    _dgemm = _external("tinyres_cblas_dgemm", _functions[1], types.float64)


def native():
    """Whether a kernel that multiplies matrices should run its tasks in a Numba parallel
    region now, calling gemm (threads.native(), and the library was found)."""
    return AVAILABLE and threads.native()


@njit(inline="always")
def _operand(a):
    """(CBLAS transpose flag, leading dimension) of a 2-D array read in row-major terms: its
    rows contiguous (as is), else its columns (transposed)."""
    if a.strides[1] == a.itemsize or a.shape[1] == 1:
        return NO_TRANS, max(a.strides[0] // a.itemsize, a.shape[1], 1)
    return TRANS, max(a.strides[1] // a.itemsize, a.shape[0], 1)


if AVAILABLE:
    @njit(nogil=True, cache=True)
    def gemm(a, b, out, beta):
        """out (M, N) = a (M, K) @ b (K, N) + beta * out, float32 or float64 alike, with NumPy's
        OpenBLAS (beta 0: out's old values are not read, NaN included)."""
        m, k = a.shape
        n = b.shape[1]
        if m == 0 or n == 0:
            return
        if k == 0:
            if beta == 0:
                out[:] = 0
            return
        ta, lda = _operand(a)
        tb, ldb = _operand(b)
        ldc = max(out.strides[0] // out.itemsize, n, 1)
        pa, pb, pc = a.ctypes.data, b.ctypes.data, out.ctypes.data
        if a.itemsize == 4:
            _sgemm(ROW_MAJOR, ta, tb, m, n, k, np.float32(1), pa, lda, pb, ldb, np.float32(beta),
                   pc, ldc)
        else:
            _dgemm(ROW_MAJOR, ta, tb, m, n, k, 1.0, pa, lda, pb, ldb, float(beta), pc, ldc)
else:
    gemm = None
