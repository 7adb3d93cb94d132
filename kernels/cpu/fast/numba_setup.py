"""Numba, configured once for tinyres.

The cpu kernels use no Numba parallel regions (prange) any more: every kernel is a serial,
nogil function, and threads.py runs one range of the work per thread, because Numba's workers
keep spinning after each parallel region and slow down the kernel that follows (the figures:
benchmarks/RESULTS.md, "What was done, with the figures that decided it", item 6). The
threading layer is still pinned to workqueue (it never spins against OpenBLAS) for any parallel
code a user adds; their own NUMBA_THREADING_LAYER wins.
"""
import os

import numba

if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"

njit = numba.njit
